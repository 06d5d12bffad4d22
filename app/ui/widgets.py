"""Small widgets the shell's screens share."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui.workers import BusyIndicator


class Heading(QLabel):
    """A bold label `scale` times the application font, following font-size changes."""

    def __init__(self, text: str = "", *, scale: float = 1.4, parent: QWidget | None = None):
        super().__init__(text, parent)
        self._scale = scale
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._restyle()

    def _restyle(self) -> None:
        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() * self._scale)
        font.setBold(True)
        self.setFont(font)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationFontChange:
            self._restyle()
        return super().event(event)


class ErrorLabel(QLabel):
    """An inline error message under a form (hidden while empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("error")
        self.setStyleSheet("color: #b00020;")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        if text:
            grow_to_fit(self.window())


def grow_to_fit(window: QWidget) -> None:
    """Make an open dialog tall enough for its contents at its width.

    A dialog keeps its size when a line appears in it (an error message): without
    this its wrapped labels are squeezed and lose their last lines."""
    if not isinstance(window, QDialog) or not window.isVisible():
        return
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    needed = window.heightForWidth(window.width())
    if needed < 0:
        needed = window.sizeHint().height()
    if needed > window.height():
        window.resize(window.width(), needed)


def wrapping_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ElidedHeading(Heading):
    """A one-line heading that ends in "…" when it does not fit (full text in the tooltip),
    so that a long form name never pushes the buttons beside it off a small screen."""

    def __init__(self, text: str = "", *, scale: float = 1.4, parent: QWidget | None = None):
        self._full = text
        super().__init__(text, scale=scale, parent=parent)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        width = max(0, self.width() - 2)
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _restyle(self) -> None:
        super()._restyle()
        if hasattr(self, "_full"):
            self._elide()


WINDOW_FRAME = 40  # pixels a desktop adds around a dialog (title bar, borders)


def size_for_screen(dialog: QWidget, width: int, height: int) -> None:
    """Resize `dialog` to `width` × `height`, or less on a small screen: a 1366×768
    laptop at 150 % zoom has 910×512 pixels, and a dialog taller than that hides its
    buttons below the screen's edge."""
    screen = dialog.screen().availableGeometry()
    dialog.resize(
        min(width, screen.width() - WINDOW_FRAME), min(height, screen.height() - WINDOW_FRAME)
    )


def scrolling_body(dialog: QDialog) -> tuple[QVBoxLayout, QVBoxLayout]:
    """The dialog's outer layout and, inside it, a layout that scrolls when the screen
    is too short for it: what goes in the outer one (the buttons) always shows."""
    outer = QVBoxLayout(dialog)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to what is inside
    inner = QWidget()
    body = QVBoxLayout(inner)
    body.setContentsMargins(0, 0, 0, 0)
    scroll.setWidget(inner)
    outer.addWidget(scroll, 1)
    return outer, body


def add_dialog_footer(
    dialog: QDialog, layout: QVBoxLayout
) -> tuple[ErrorLabel, BusyIndicator, QDialogButtonBox]:
    """The foot of a dialog that works on a worker: its error line, its busy
    indicator and a Close button (translate it with `translate_buttons`)."""
    error = ErrorLabel()
    busy = BusyIndicator()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    for widget in (error, busy, buttons):
        layout.addWidget(widget)
    return error, busy, buttons
