"""Run the app in a child process, fill a form, report, then wait to be killed.

`python -m tests.ui.shell.crash_app fake|real`: logs in as `keo`, starts a
questionnaire, answers through the view, moves to another page, and prints
`SAVED <instance_id>` once the save is acknowledged; then idles until SIGKILL.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.app_window import AppWindow
from tests.ui.shell.helpers import PASSWORD, USER, fake_factory, make_context


def main() -> None:
    app = QApplication([])
    window = AppWindow(make_context(), view_factory=fake_factory)
    window.show()
    login = window.login
    login.username.setText(USER)
    login.password.setText(PASSWORD)
    login.submit()

    def step() -> None:
        if window.ctx.store is None or window.home.data is None:
            QTimer.singleShot(20, step)
            return
        window.start_form("dg_survey", window.home.data.forms[0].version)
        QTimer.singleShot(20, answer)

    def answer() -> None:
        screen = window.filling_screen
        if screen is None:
            QTimer.singleShot(20, answer)
            return
        view = screen.view
        view.answer("consent", "yes")
        view.answer("years_in_org", 7)
        view.turn_page(3)
        screen.autosaver.sig_saved.connect(lambda _ack: report(screen))

    def report(screen: object) -> None:
        if not screen.autosaver.pending:  # type: ignore[attr-defined]
            sys.stdout.write(f"SAVED {screen.filling.instance_id}\n")  # type: ignore[attr-defined]
            sys.stdout.flush()

    QTimer.singleShot(0, step)
    app.exec()


if __name__ == "__main__":
    main()
