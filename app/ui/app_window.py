"""The main window: a stack of screens (first run or login, home, filling) and a menu.

Thin on purpose: each screen lives in its own package; this only moves
between them and applies settings.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from app.bundle.importer import default_quarantine_dir
from app.core.errors import SamluatError
from app.core.i18n import _
from app.fieldwork.tidying import DeliveredList, file_lines, removal_question
from app.store import LocalStore
from app.ui.accounts.dialog import AccountsDialog, may_manage_accounts
from app.ui.assign.dialog import AssignDialog, may_assign
from app.ui.context import AppContext
from app.ui.filling.dialogs import EditReasonDialog, HistoryDialog
from app.ui.filling.opening import OpenedFilling, edit_filling, resume_filling, start_filling
from app.ui.filling.screen import FillingScreen, ViewFactory
from app.ui.fonts import ui_font
from app.ui.help_menu import HelpMenu
from app.ui.home.screen import HomeScreen
from app.ui.keys.dialog import KeysDialog
from app.ui.keys.unlock import CoordinatorKeyDialog
from app.ui.language import apply_ui_language, ask, on_language_changed
from app.ui.login.first_run import FirstRunScreen
from app.ui.login.login_screen import LoginScreen
from app.ui.merge.dialog import MergeDialog, may_merge
from app.ui.messages import show_problem
from app.ui.refused import RefusedFilesDialog
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import Settings
from app.ui.sync import SyncController
from app.ui.workers import BusyIndicator, Job, run_task

log = logging.getLogger(__name__)


class AppWindow(QMainWindow):
    sig_screen_changed = Signal(str)  # "first_run", "login", "home", "filling"

    def __init__(
        self,
        ctx: AppContext,
        *,
        lao_family: str | None = None,
        view_factory: ViewFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lao_family = lao_family
        self.view_factory = view_factory
        self.filling_screen: FillingScreen | None = None
        self._quitting = False
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        study_error: SamluatError | None = None
        try:
            ctx.load_study()
        except SamluatError as error:  # the forms still work without the study file
            log.error("study configuration unusable: %s", error)
            study_error = error
        self.first_run = FirstRunScreen(ctx)
        self.login = LoginScreen(ctx)
        self.home = HomeScreen(ctx)
        for screen in (self.first_run, self.login, self.home):
            self.stack.addWidget(screen)
        self.first_run.sig_logged_in.connect(self._logged_in)
        self.login.sig_logged_in.connect(self._logged_in)
        self.home.sig_new_form_requested.connect(self.start_form)
        self.home.sig_open_requested.connect(self.resume_form)
        self.home.sig_edit_requested.connect(self.ask_edit)
        self.home.sig_history_requested.connect(self.show_history)
        self.sync = SyncController(ctx, self)
        self.home.sig_sync_requested.connect(self.sync.sync_now)
        self.sync.sig_key_needed.connect(self.unlock_coordinator_key)
        self.sync.sig_sync_finished.connect(self.home.show_sync_status)
        self.sync.sig_delivered_listed.connect(self.confirm_removing_delivered)
        self.busy = BusyIndicator()
        self.statusBar().addPermanentWidget(self.busy, 1)
        self.sync.sig_sync_started.connect(self._sync_started)
        self._build_menu()
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.show_start_screen()
        if study_error is not None:
            QTimer.singleShot(0, lambda: show_problem(self, study_error))

    def _sync_started(self) -> None:
        # The status bar follows the pass: which file is read, how much is written.
        if self.sync.task is not None:
            self.busy.track(self.sync.task, self.sync.activity())

    # -- menu and language -----------------------------------------------------------
    def _build_menu(self) -> None:
        self.app_menu = QMenu(self)
        self.menuBar().addMenu(self.app_menu)
        self.settings_action = QAction(self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        self.accounts_action = QAction(self)
        self.accounts_action.triggered.connect(self.open_accounts)
        self.keys_action = QAction(self)
        self.keys_action.triggered.connect(self.open_keys)
        self.import_action = QAction(self)
        self.import_action.triggered.connect(self.choose_bundle_files)
        self.everything_action = QAction(self)
        self.everything_action.triggered.connect(self.choose_folder_for_everything)
        self.tidy_action = QAction(self)
        self.tidy_action.triggered.connect(lambda: self.sync.list_delivered())
        self.refused_action = QAction(self)
        self.refused_action.triggered.connect(self.show_refused_files)
        self.merge_action = QAction(self)
        self.merge_action.triggered.connect(self.open_merge)
        self.assign_action = QAction(self)
        self.assign_action.triggered.connect(self.open_assign)
        self.sync_action = QAction(self)
        self.sync_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.sync_action.triggered.connect(lambda: self.sync.sync_now())
        self.logout_action = QAction(self)
        self.logout_action.triggered.connect(self.log_out)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        for action in (
            self.settings_action,
            self.accounts_action,
            self.merge_action,
            self.assign_action,
            self.sync_action,
            self.import_action,
            self.everything_action,
            self.tidy_action,
            self.refused_action,
            self.keys_action,
            self.logout_action,
        ):
            self.app_menu.addAction(action)
        self.app_menu.addSeparator()
        self.app_menu.addAction(self.quit_action)
        self.help_menu = HelpMenu(self, self.ctx)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Samluat"))
        self.app_menu.setTitle(_("&Samluat"))
        self.settings_action.setText(_("Settings…"))
        self.accounts_action.setText(_("Accounts…"))
        self.merge_action.setText(_("Conflicts and duplicates…"))
        self.assign_action.setText(_("Assign cases from a spreadsheet…"))
        self.sync_action.setText(_("Sync now"))
        self.import_action.setText(_("Import bundle files…"))
        self.everything_action.setText(_("Write a bundle of everything…"))
        self.everything_action.setToolTip(
            _(
                "Every finalised form on this laptop, even those the coordinator already has: "
                "for a coordinator who lost data"
            )
        )
        self.tidy_action.setText(_("Remove delivered bundles from the sync folder…"))
        self.tidy_action.setToolTip(
            _(
                "Bundles the coordinator has, or this computer imported: the stick or shared "
                "folder fills up otherwise"
            )
        )
        self.refused_action.setText(_("Refused bundle files…"))
        self.keys_action.setText(_("Keys and laptops…"))
        self.logout_action.setText(_("Log out"))
        self.quit_action.setText(_("Quit"))
        self.help_menu.retranslate()

    # -- screens -------------------------------------------------------------------
    @property
    def screen_name(self) -> str:
        current = self.stack.currentWidget()
        if current is self.first_run:
            return "first_run"
        if current is self.login:
            return "login"
        if current is self.home:
            return "home"
        return "filling"

    def _show(self, widget: QWidget) -> None:
        self.stack.setCurrentWidget(widget)
        store = self.ctx.store
        self.logout_action.setEnabled(store is not None)
        self.sync_action.setEnabled(store is not None)
        self.import_action.setEnabled(store is not None)
        self.everything_action.setEnabled(store is not None)
        self.tidy_action.setEnabled(store is not None)
        self.refused_action.setEnabled(store is not None)
        self.keys_action.setEnabled(store is not None)
        self.accounts_action.setEnabled(store is not None and may_manage_accounts(store))
        self.merge_action.setEnabled(store is not None and may_merge(store))
        self.assign_action.setEnabled(store is not None and may_assign(store))
        self.sig_screen_changed.emit(self.screen_name)

    def show_start_screen(self) -> None:
        if self.ctx.db_path.is_file():
            self.login.reset()
            self._show(self.login)
            self.login.focus_first_empty()
        else:
            self._show(self.first_run)
            self.first_run.display_name.setFocus()

    def _logged_in(self, result: Any) -> None:
        store: LocalStore = result.store
        self.ctx.logged_in(store)
        self.sync.restart()
        if result.forms_error is not None:
            show_problem(self, result.forms_error)
        self.home.refresh()
        self._show(self.home)
        self.home.focus_default()
        draft = self.ctx.settings.open_draft(store.user.username)
        if draft:
            self.reopen_draft(draft)

    def reopen_draft(self, instance_id: str) -> None:
        """Reopen the form that was open when the app stopped, if it is still a draft."""
        services = self._services()
        store, settings = self.ctx.store, self.ctx.settings

        def work(_job: Job) -> OpenedFilling | None:
            if store is None or store.load_draft(instance_id=instance_id) is None:
                if store is not None:
                    settings.forget_open_draft(store.user.username, instance_id)
                return None
            return resume_filling(**services, instance_id=instance_id)

        self._open(work, _("Reopening the form you were filling…"))

    def go_home(self, *_args: object) -> None:
        screen, self.filling_screen = self.filling_screen, None
        if screen is not None:
            self.stack.removeWidget(screen)
            screen.hide()
            screen.dispose()
        self._show(self.home)
        self.activateWindow()  # a finalise check or a message may have had the focus
        self.home.focus_default()
        self.home.refresh()

    # -- forms ---------------------------------------------------------------------
    def _open(self, work: Callable[[Job], OpenedFilling | None], message: str) -> None:
        if self.filling_screen is not None:
            return
        task = run_task(work, name="open-form", on_success=self._opened, on_failure=self._failed)
        self.busy.track(task, message)

    def _services(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "store": ctx.store,
            "library": ctx.library,
            "study": ctx.study,
            "settings": ctx.settings,
        }

    def start_form(self, form_id: str, version: str, assignment_id: str | None = None) -> None:
        services = self._services()
        self._open(
            lambda _job: start_filling(
                **services, form_id=form_id, version=version, assignment_id=assignment_id
            ),
            _("Opening the form…"),
        )

    def resume_form(self, instance_id: str) -> None:
        services = self._services()
        self._open(
            lambda _job: resume_filling(**services, instance_id=instance_id),
            _("Opening the form…"),
        )

    def ask_edit(self, instance_id: str) -> None:
        # A form returned for correction shows the reviewer's comment while asking why.
        dialog = EditReasonDialog(self, note=self.home.returned_note(instance_id))
        dialog.sig_reason_given.connect(lambda reason: self.edit_form(instance_id, reason))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def edit_form(self, instance_id: str, reason: str) -> None:
        services = self._services()
        self._open(
            lambda _job: edit_filling(**services, instance_id=instance_id, reason=reason),
            _("Opening the form…"),
        )

    def show_history(self, instance_id: str) -> None:
        if self.ctx.store is None:
            return
        dialog = HistoryDialog(self.ctx.store, instance_id, self)
        dialog.sig_reviewed.connect(self.home.refresh)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _opened(self, opened: OpenedFilling | None) -> None:
        if opened is None or self.ctx.store is None or self.filling_screen is not None:
            return
        try:
            screen = FillingScreen(self.ctx, opened, view_factory=self.view_factory)
        except Exception as error:
            show_problem(self, error)
            self._show(self.home)
            return
        self.filling_screen = screen
        screen.sig_closed.connect(self.go_home)
        screen.sig_finalised.connect(self.go_home)
        screen.sig_history_requested.connect(self.show_history)
        self.stack.addWidget(screen)
        self._show(screen)
        self.activateWindow()  # the edit-reason dialog may have had the focus
        screen.view.setFocus()
        # A big form leaves tens of thousands of long-lived objects; without this a
        # full garbage collection could pause typing for 100–150 ms later on.
        gc.freeze()

    def _failed(self, error: BaseException) -> None:
        show_problem(self, error)
        if self.stack.currentWidget() not in (self.home,) and self.ctx.store is not None:
            self._show(self.home)

    # -- settings ------------------------------------------------------------------
    def open_accounts(self) -> None:
        store = self.ctx.store
        if store is None or not may_manage_accounts(store):
            return
        dialog = AccountsDialog(store, self)
        dialog.sig_account_added.connect(lambda _user: self.home.refresh())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_assign(self) -> None:
        store = self.ctx.store
        if store is None or not may_assign(store):
            return
        dialog = AssignDialog(self.ctx, self)
        dialog.sig_assigned.connect(lambda _result: self.home.refresh())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def choose_bundle_files(self) -> None:
        """Bundles received another way than the sync folder (a messaging app, a stick)."""
        names, _filter = QFileDialog.getOpenFileNames(
            self,
            _("Import bundle files"),
            str(Path.home()),
            _("Samluat bundles (*.samluat);;All files (*)"),
        )
        if names:
            self.sync.import_files([Path(name) for name in names])

    def choose_folder_for_everything(self) -> None:
        """Where to write a bundle of everything (a stick, the sync folder)."""
        start = self.sync.folder() or Path.home()
        name = QFileDialog.getExistingDirectory(
            self, _("Write a bundle of everything into"), str(start)
        )
        if name:
            self.sync.write_everything(Path(name))

    def confirm_removing_delivered(self, found: DeliveredList) -> None:
        """Ask before removing anything from the sync folder; Keep is the default."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(_("Remove delivered bundles"))
        box.setText(removal_question(found))
        box.setDetailedText(file_lines(found))
        remove = box.addButton(_("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(_("Keep"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)  # Enter must never delete by accident
        box.setEscapeButton(keep)

        def answered() -> None:
            if box.clickedButton() is remove:
                self.sync.remove_delivered(found)
            box.deleteLater()

        box.finished.connect(answered)
        box.open()

    def show_refused_files(self) -> None:
        dialog = RefusedFilesDialog(default_quarantine_dir(), self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def unlock_coordinator_key(self) -> None:
        """Ask for the coordinator key's passphrase, then run the pass that needed it."""
        dialog = CoordinatorKeyDialog(self)

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dialog.identity is not None:
                self.ctx.coordinator_keys = [dialog.identity]
                self.sync.key_unlocked()
            else:
                self.sync.key_declined()
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()

    def open_keys(self) -> None:
        store = self.ctx.store
        if store is None:
            return
        dialog = KeysDialog(store, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_merge(self) -> None:
        store = self.ctx.store
        if store is None or not may_merge(store):
            return
        dialog = MergeDialog(store, self.ctx.load_study(), self)
        dialog.sig_decided.connect(self.home.refresh)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self.ctx.study, self)
        dialog.sig_settings_changed.connect(self.apply_settings)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def apply_settings(self, old: Settings, new: Settings) -> None:
        if new.font_size != old.font_size:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                app.setFont(ui_font(self.lao_family, new.font_size))
        screen = self.filling_screen
        if screen is not None and new.page_mode != old.page_mode:
            screen.set_page_mode(new.page_mode)
        if screen is not None and new.form_language != old.form_language:
            screen.set_form_language(new.form_language)
        apply_ui_language(self.ctx.settings, new.ui_language)
        if new.sync_folder != old.sync_folder:
            self.sync.restart()

    # -- leaving -------------------------------------------------------------------
    def log_out(self) -> None:
        screen = self.filling_screen
        if screen is not None:
            screen.close_form(then=self.log_out)
            return
        store = self._end_session()
        if store is not None:
            run_task(lambda _job: store.close(), name="close-store")
        self.show_start_screen()

    def _end_session(self) -> LocalStore | None:
        """Forget the logged-in user: the store (returned, for the caller to close), the
        sync timer, and the home screen's data and any load still running for it (which
        would otherwise fail on the closed store and show an error)."""
        store = self.ctx.log_out()
        self.sync.restart()  # stops the timer: nobody is logged in
        self.home.clear()
        return store

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        screen = self.filling_screen
        store = self.ctx.store
        if screen is None and store is None:
            event.accept()
            return
        event.ignore()  # save first (off the UI thread), then close for real

        def saved(ok: bool) -> None:
            if not ok and not ask(
                self,
                _("Not saved"),
                _("Your latest answers could not be saved. Quit anyway and lose them?"),
                yes=_("Quit and lose them"),
                no=_("Stay"),
            ):
                return
            if screen is not None:
                screen.autosaver.stop()  # nothing may write once the store closes
            self._end_session()
            if store is not None:
                task = run_task(lambda _job: store.close(), name="close-store")
                task.when_finished(self._really_close)
            else:
                self._really_close()

        if screen is not None:
            screen.flush(saved)  # the draft stays open: it reopens after the next login
        else:
            saved(True)

    def _really_close(self) -> None:
        # Runs once the store has closed on a worker; the window may be gone by then
        # (deleted while quitting, or by a test's teardown).
        if not shiboken6.isValid(self):
            return
        self._quitting = True
        self.close()
