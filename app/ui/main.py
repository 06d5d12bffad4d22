"""Start the desktop app: `samluat-app [--forms DIR] [--lang lo|en]`."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.core import paths, processes
from app.core.i18n import translator
from app.core.logs import setup_logging
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.errors import install_excepthooks
from app.ui.fonts import install_fonts, ui_font
from app.ui.qt_texts import install_qt_texts
from app.ui.settings.store import SettingsStore

log = logging.getLogger(__name__)

# Larger screens get this size; smaller ones (a 1366×768 laptop, or 150 % zoom,
# which leaves 910×512) start maximised.
DEFAULT_SIZE = (1280, 720)


def build_window(
    *, forms_dir: Path, lang: str | None = None, lao_family: str | None = None
) -> AppWindow:
    """The main window with settings applied (QApplication must exist)."""
    settings = SettingsStore()
    if lang and lang != settings.settings.ui_language:
        settings.update(ui_language=lang)
    translator.set_language(settings.settings.ui_language)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setFont(ui_font(lao_family, settings.settings.font_size))
    window = AppWindow(AppContext(settings=settings, forms_dir=forms_dir), lao_family=lao_family)
    screen = window.screen().availableGeometry()
    window.resize(min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height()))
    return window


def fills_screen(window: AppWindow) -> bool:
    """Whether the default size leaves no useful room on this screen."""
    screen = window.screen().availableGeometry()
    return screen.width() <= DEFAULT_SIZE[0] + 100 or screen.height() <= DEFAULT_SIZE[1] + 60


def main(argv: list[str] | None = None) -> int:
    # Bundle imports check records in worker processes; in a PyInstaller build those
    # start this same executable, which must run the worker, not the app.
    processes.freeze_support()
    setup_logging()
    parser = argparse.ArgumentParser(prog="samluat-app")
    parser.add_argument("--forms", type=Path, default=paths.default_forms_dir())
    parser.add_argument("--lang", choices=("en", "lo"), default=None)
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Samluat")
    install_qt_texts(app)
    install_excepthooks()
    window = build_window(forms_dir=args.forms, lang=args.lang, lao_family=install_fonts())
    if fills_screen(window):
        window.showMaximized()
    else:
        window.show()
    log.info("app started with forms from %s", args.forms)
    code = app.exec()
    shut_down_qt(window)
    return code


def shut_down_qt(*widgets: QWidget) -> None:
    """Destroy Qt objects while the QApplication still exists.

    Left to Python's final collection, PySide6 objects can be destroyed after
    the application and abort the process on exit (seen with Python 3.11).
    """
    for widget in widgets:
        widget.close()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


if __name__ == "__main__":
    raise SystemExit(main())
