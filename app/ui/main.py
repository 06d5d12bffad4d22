"""Start the desktop app: `samluat-app [--forms DIR]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.core import paths
from app.core.logs import setup_logging
from app.ui.errors import install_excepthooks
from app.ui.fonts import install_fonts, ui_font

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = argparse.ArgumentParser(prog="samluat-app")
    parser.add_argument("--forms", type=Path, default=paths.default_forms_dir())
    parser.add_argument("--lang", choices=("en", "lo"), default=None)
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Samluat")
    app.setFont(ui_font(install_fonts()))
    install_excepthooks()
    from app.core.i18n import translator
    from app.ui.forms_window import FormsWindow

    if args.lang:
        translator.set_language(args.lang)
    window = FormsWindow(args.forms)
    window.resize(1000, 640)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
