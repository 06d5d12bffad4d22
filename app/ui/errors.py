"""One place that shows errors: expected ones plainly, bugs with their details."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.core.errors import SamluatError
from app.core.i18n import _

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """A `SamluatError` is shown as its message; anything else as a bug with a traceback."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    if isinstance(error, SamluatError):
        box.setWindowTitle(_("Problem"))
        box.setText(str(error))
    else:
        box.setWindowTitle(_("Unexpected error"))
        box.setText(
            _(
                "Something went wrong. Your saved work is safe. "
                "Please send the details to your coordinator."
            )
        )
        box.setDetailedText("".join(traceback.format_exception(error)))
    box.addButton(_("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    log.error("uncaught exception", exc_info=(kind, error, tb))
    if QApplication.instance() is not None:
        show_error(QApplication.activeWindow(), error)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    log.error(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value or Exception(), args.exc_traceback),
    )


def install_excepthooks() -> None:
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
