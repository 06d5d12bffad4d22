"""The frame every question widget shares: label, hints, editor, message.

A question widget never decides anything about the form: it shows the node's
state (value, required, relevance, read-only, validity) as the session left it
and hands whatever the user entered to its `EntryContext`, which answers
through the session and reports back. That keeps the rules in the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.i18n import _
from app.core.text import with_breaks
from app.engine.instance import Node
from app.engine.model import Question
from app.engine.session import FormSession

log = logging.getLogger(__name__)

MIN_LABEL_WIDTH = 60


class EntryContext(Protocol):
    """What a question widget may ask of the view that holds it."""

    session: FormSession
    note_mode: bool  # the interview workspace: large note areas

    def answer(self, node: Node, value: Any) -> bool:
        """Answer `node`; on refusal the widget has been told why (or the user chose to
        keep the answer as it was). True when accepted."""

    def advance(self, widget: QuestionWidget, backwards: bool = False) -> None:
        """Move to the next (previous) question, across pages (Enter / Shift+Enter)."""

    def attach(self, node: Node, path: str) -> None:
        """Store a file as `node`'s answer, off the UI thread."""

    def load_attachment(
        self, name: str, limit: int, on_ready: Callable[[bytes | None, int | None], None]
    ) -> None:
        """Read a stored attachment off the UI thread: (bytes or None past `limit`, size)."""


def question_of(node: Node) -> Question:
    question = node.definition.question
    assert isinstance(question, Question)
    return question


def _scaled_font(widget: QWidget, factor: float, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    return font


def wrapped_label(object_name: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    # Form text is data, never markup: plain text cannot inject links or images.
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    # A wrapping label asks for the width of its longest word; Lao puts spaces only
    # between phrases, so that "word" can be wider than the page. Let the layout decide.
    label.setMinimumWidth(MIN_LABEL_WIDTH)
    return label


class QuestionWidget(QFrame):
    """Base of every question widget; subclasses build `self.body` and keep it in step."""

    #: Subclasses that show the label inside the editor (acknowledge) hide the header.
    show_header = True

    def __init__(self, ctx: EntryContext, node: Node, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.node = node
        self.question = question_of(node)
        self.setObjectName("question")
        self._updating = False  # True while the widget is being set from the session
        self._answer_error: str | None = None
        self.show_required = False  # required messages appear once visited or on finalise
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 6, 4, 6)
        outer.setSpacing(3)
        header = QHBoxLayout()
        header.setSpacing(6)
        self.label = wrapped_label("questionLabel")
        self.label.setFont(_scaled_font(self, 1.12, bold=True))
        self.marker = QLabel()  # bookmark flag
        self.marker.setObjectName("questionMarker")
        self.marker.hide()
        header.addWidget(self.label, 1)
        header.addWidget(self.marker, 0, Qt.AlignmentFlag.AlignTop)
        self.hint = wrapped_label("questionHint")
        self.guidance = wrapped_label("questionGuidance")
        italic = QFont(self.guidance.font())
        italic.setItalic(True)
        self.guidance.setFont(italic)
        self.body = QVBoxLayout()
        self.body.setSpacing(4)
        self.message = wrapped_label("questionMessage")
        self.message.hide()
        if self.show_header:
            outer.addLayout(header)
        outer.addWidget(self.hint)
        outer.addWidget(self.guidance)
        outer.addLayout(self.body)
        outer.addWidget(self.message)
        self.build()
        self.refresh_value()
        self.refresh_state()

    # -- for subclasses ----------------------------------------------------------------
    def build(self) -> None:
        """Create the editor widgets inside `self.body`."""

    def show_value(self, value: str) -> None:
        """Show the stored text `value` in the editor (no signals back)."""

    def retranslate_choices(self) -> None:
        """Choice labels changed (form language)."""

    def rebuild_choices(self) -> None:
        """The allowed choices changed (choice_filter)."""

    def set_editable(self, editable: bool) -> None:
        for child in self.editors():
            child.setEnabled(editable)

    def editors(self) -> list[QWidget]:
        """The widgets that take focus, in order."""
        return []

    def commit(self) -> None:
        """Send anything typed but not yet answered (debounced text) to the session."""

    def stays(self) -> bool:
        """Whether Enter should stay here after `commit` (the answer was not taken)."""
        return False

    def pending_message(self) -> str | None:
        """A message about input the widget holds but could not answer yet (a half date)."""
        return None

    # -- shared behaviour --------------------------------------------------------------
    def submit(self, value: Any) -> bool:
        """Hand a value to the context (which answers through the session)."""
        if self._updating:
            return False
        return self.ctx.answer(self.node, value)

    def focus_editor(self) -> None:
        editors = [e for e in self.editors() if e.isEnabled() and e.isVisibleTo(self)]
        target = editors[0] if editors else None
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def owns(self, widget: QWidget | None) -> bool:
        while widget is not None:
            if widget is self:
                return True
            widget = widget.parentWidget()
        return False

    def refresh_texts(self) -> None:
        session = self.ctx.session
        text = session.text(self.node, "label")
        if not text and not session.text(self.node, "hint"):
            text = self.question.name
        self.label.setText(with_breaks(text) + (" *" if self.node.required else ""))
        self.label.setVisible(bool(text))
        hint = session.text(self.node, "hint")
        self.hint.setText(with_breaks(hint))
        self.hint.setVisible(bool(hint))
        guidance = session.text(self.node, "guidance_hint")
        self.guidance.setText(with_breaks(guidance))
        self.guidance.setVisible(bool(guidance))
        self.retranslate_choices()
        self.refresh_message()

    def refresh_value(self) -> None:
        self._updating = True
        try:
            self.show_value(self.node.value)
        finally:
            self._updating = False

    def refresh_state(self) -> None:
        """Relevance, read-only, required marker and message from the node."""
        if not self.node.relevant:
            self.hide()
        elif not self.isWindow():
            # A widget not yet in a page must not be shown: it would open as a window.
            self.show()
        self.set_editable(not self.node.readonly)
        self.refresh_texts()

    def set_answer_error(self, message: str | None) -> None:
        self._answer_error = message
        self.refresh_message()

    def refresh_message(self) -> None:
        session = self.ctx.session
        node = self.node
        text = self._answer_error or self.pending_message() or ""
        if not text and not node.constraint_ok and node.value != "":
            text = session.text(node, "constraint_message") or _("This answer is not allowed.")
        if not text and self.show_required and node.required and node.value == "":
            text = session.text(node, "required_message") or _("This answer is required.")
        self.message.setText(with_breaks(text))
        self.message.setVisible(bool(text))

    def set_bookmarked(self, flagged: bool) -> None:
        self.marker.setText("★" if flagged else "")
        self.marker.setToolTip(_("Bookmarked") if flagged else "")
        self.marker.setVisible(flagged)
