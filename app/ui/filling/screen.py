"""One form being filled: the entry view (or interview workspace) with autosave,
finalise, history and a clean close."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.i18n import _, translator
from app.fieldwork.filling import Filling
from app.store.repo_submissions import RevisionInfo
from app.ui.context import AppContext
from app.ui.entry.form_view import FormView  # imported up front: not on the first open
from app.ui.filling.autosave import Autosaver
from app.ui.filling.opening import OpenedFilling, display_language
from app.ui.home.cases import pick
from app.ui.interview.workspace import InterviewWorkspace
from app.ui.language import ask, on_language_changed
from app.ui.messages import show_problem, user_message
from app.ui.widgets import ElidedHeading
from app.ui.workers import BusyIndicator, Job, run_task

log = logging.getLogger(__name__)

ViewFactory = Callable[[Filling, bool, str], QWidget]


def default_view_factory(filling: Filling, interview: bool, page_mode: str) -> QWidget:
    """The form entry view, or the interview workspace for interview guides."""
    if interview:
        workspace: QWidget = InterviewWorkspace(filling, page_mode=page_mode)
        return workspace
    view: QWidget = FormView(filling, page_mode=page_mode)
    return view


class FillingScreen(QWidget):
    sig_closed = Signal(str)  # instance_id: the form was closed on purpose
    sig_finalised = Signal(str)  # instance_id
    sig_history_requested = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        opened: OpenedFilling,
        *,
        view_factory: ViewFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.opened = opened
        self.filling = opened.filling
        self._view_factory = view_factory or default_view_factory
        self._closing = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        bar = QHBoxLayout()
        self.title = ElidedHeading(scale=1.15)
        self.save_state = QLabel()
        self.save_state.setObjectName("save_state")
        self.history_button = QPushButton()
        self.close_button = QPushButton()
        self.history_button.clicked.connect(
            lambda: self.sig_history_requested.emit(self.filling.instance_id)
        )
        self.close_button.clicked.connect(lambda: self.close_form())
        bar.addWidget(self.title, 1)
        bar.addWidget(self.save_state)
        # No finalise button here: the entry view and the workspace have their own
        # "Check and finalise…" (Ctrl+Shift+F), which ends in `sig_finalise_requested`.
        for button in (self.history_button, self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            bar.addWidget(button)
        layout.addLayout(bar)
        self.edit_note = QLabel()
        self.edit_note.setWordWrap(True)
        self.edit_note.setVisible(self.filling.reason is not None)
        layout.addWidget(self.edit_note)
        self.autosaver = Autosaver(self.filling, collect_ui=self._view_state, parent=self)
        self.autosaver.sig_state_changed.connect(self._show_save_state)
        self.autosaver.sig_failed.connect(self._save_failed)
        # The views restore their place from `filling.ui` when they are built.
        self.view = self._make_view({})
        layout.addWidget(self.view, 1)
        self.busy = BusyIndicator()
        layout.addWidget(self.busy)
        QShortcut(QKeySequence("Ctrl+W"), self, lambda: self.close_form())
        self.retranslate()
        on_language_changed(self, self.retranslate)

    # -- the view ------------------------------------------------------------------
    def _make_view(self, state: dict[str, Any]) -> QWidget:
        settings = self.ctx.settings.settings
        view = self._view_factory(self.filling, self.opened.interview, settings.page_mode)
        if state:
            view.restore_ui_state(state)  # type: ignore[attr-defined]
        self._apply_form_language(view, display_language(self.filling.form, settings.form_language))
        # The view records question enter/leave paradata in the Filling itself; here a
        # move only schedules a save, so that after a crash the form reopens where it was.
        view.sig_answer_changed.connect(self.autosaver.changed)  # type: ignore[attr-defined]
        view.sig_answer_changed.connect(self.update_title)  # type: ignore[attr-defined]
        view.sig_question_entered.connect(self.autosaver.changed)  # type: ignore[attr-defined]
        view.sig_finalise_requested.connect(self._finalise_confirmed)  # type: ignore[attr-defined]
        return view

    def _view_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.view.ui_state()  # type: ignore[attr-defined]
        return state

    def _apply_form_language(self, view: QWidget, code: str | None) -> None:
        if code is None or code in self.filling.form.formdef.language_codes():
            view.set_form_language(code)  # type: ignore[attr-defined]

    def set_form_language(self, code: str | None) -> None:
        """The form language chosen in Settings changed (None: follow the app's)."""
        self._apply_form_language(self.view, display_language(self.filling.form, code))
        self.autosaver.changed()

    def set_page_mode(self, mode: str) -> None:
        """Rebuild the view in another page mode, keeping its place."""
        state = self.view.ui_state()  # type: ignore[attr-defined]
        old = self.view
        self.view = self._make_view(state)
        layout = self.layout()
        if layout is not None:
            layout.replaceWidget(old, self.view)
        old.hide()
        old.deleteLater()
        self.view.setFocus()

    # -- language and state --------------------------------------------------------
    def retranslate(self) -> None:
        if not self.ctx.settings.settings.form_language:
            # The form follows the app's language unless one was chosen in Settings.
            self._apply_form_language(self.view, display_language(self.filling.form, None))
        self.update_title()
        self.history_button.setText(_("History"))
        self.close_button.setText(_("Close form"))
        self.close_button.setToolTip(_("Save and go back to the home screen (Ctrl+W)"))
        if self.filling.reason is not None:
            self.edit_note.setText(
                _("Editing a finalised form. Reason: {reason}").format(reason=self.filling.reason)
            )
        self._show_save_state()

    def update_title(self) -> None:
        """The form's name and the instance's (which follows the answers it is made of)."""
        name = pick(self.opened.names, translator.language, self.filling.form.formdef.form_id)
        # An instance name such as concat(institution, '-', date) before the institution
        # is answered: no dangling separator ("Questionnaire — -2026-11-28").
        instance_name = self.filling.session.instance_name().strip(" -–—_/|,;:.")
        if any(c.isalnum() for c in instance_name):
            name = f"{name} — {instance_name}"
        if shiboken6.isValid(self.title):
            self.title.setText(name)

    def _show_save_state(self) -> None:
        if not shiboken6.isValid(self.save_state):
            return  # the screen is being torn down
        saver = self.autosaver
        if saver.failing is not None:
            self.save_state.setText(_("Not saved yet"))
            self.save_state.setToolTip(user_message(saver.failing))
            self.save_state.setStyleSheet("color: #b00020; font-weight: bold;")
            return
        self.save_state.setStyleSheet("")
        self.save_state.setToolTip("")
        if saver.pending:
            self.save_state.setText(_("Saving…"))
        elif saver.last_ack is not None:
            moment = saver.last_ack.saved_at.astimezone().strftime("%H:%M:%S")
            self.save_state.setText(_("Saved at {time}").format(time=moment))
        else:
            self.save_state.setText(_("Saved"))

    def _save_failed(self, error: BaseException) -> None:
        show_problem(self, error)

    # -- closing -------------------------------------------------------------------
    def dispose(self) -> None:
        """Delete this screen without a long pause on the UI thread (call once hidden)."""
        dispose = getattr(self.view, "dispose", None)
        if callable(dispose):
            dispose(self.deleteLater)
        else:
            self.deleteLater()

    def commit_typing(self) -> None:
        """Answer what is still being typed in the focused field (text is taken in batches):
        leaving by Ctrl+W, the Close button or quitting does not move the focus."""
        commit = getattr(self.view, "commit_focused", None)
        if callable(commit):
            commit()

    def flush(self, callback: Callable[[bool], None]) -> None:
        """Make everything durable (the app is quitting; the draft stays open)."""
        self.commit_typing()
        self.autosaver.flush(callback)

    def close_form(self, then: Callable[[], None] | None = None) -> None:
        """Save, then leave the form; it no longer reopens after the next login."""
        if self._closing:
            return
        self._closing = True

        def saved(ok: bool) -> None:
            if not ok and not ask(
                self,
                _("Not saved"),
                _(
                    "Your latest answers could not be saved: {reason}\n\nClose the form "
                    "anyway and lose them?"
                ).format(reason=user_message(self.autosaver.failing or Exception())),
                yes=_("Close and lose them"),
                no=_("Stay in the form"),
            ):
                self._closing = False
                return
            self._closed(then)

        self.commit_typing()
        self.autosaver.flush(saved)

    def _closed(self, then: Callable[[], None] | None) -> None:
        self.autosaver.stop()
        filling = self.filling
        settings = self.ctx.settings
        username = filling.store.user.username

        def work(_job: Job) -> None:
            filling.close()  # (a new form closed empty leaves no draft, one event)
            settings.forget_open_draft(username, filling.instance_id)

        task = run_task(work, name="close-form", on_failure=lambda e: log.warning("%s", e))
        task.when_finished(lambda: self.sig_closed.emit(filling.instance_id))
        if then is not None:
            task.when_finished(then)

    # -- finalising ----------------------------------------------------------------
    def _finalise_confirmed(self) -> None:
        self._closing = True
        self.view.setEnabled(False)  # no change may reach the session while it is frozen

        def flushed(ok: bool) -> None:
            if not ok:
                self._finalise_failed(self.autosaver.failing or Exception())
                return
            self.autosaver.stop()
            filling, settings = self.filling, self.ctx.settings
            username = filling.store.user.username

            def work(_job: Job) -> RevisionInfo:
                revision = filling.finalise()
                settings.forget_open_draft(username, filling.instance_id)
                return revision

            task = run_task(
                work, name="finalise", on_success=self._finalised, on_failure=self._finalise_failed
            )
            self.busy.track(task, _("Finalising…"))

        self.autosaver.flush(flushed)

    def _finalised(self, revision: RevisionInfo) -> None:
        log.info("finalised %s as %s", revision.instance_id, revision.rev_id)
        self.sig_finalised.emit(revision.instance_id)

    def _finalise_failed(self, error: BaseException) -> None:
        self._closing = False
        self.view.setEnabled(True)
        show_problem(self, error)
