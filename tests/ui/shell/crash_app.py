"""Run the app in a child process, fill a form, report, then wait to be killed.

`python -m tests.ui.shell.crash_app fake|real`: logs in as `keo`, starts a
questionnaire, answers (through the fake view, or with key presses in the real
entry view), moves to a later page, and prints `SAVED <instance_id> <page>`
once everything is acknowledged by the store; then idles until SIGKILL.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.ui.app_window import AppWindow
from tests.ui.shell.helpers import PASSWORD, USER, fake_factory, make_context


def fill_fake(view: object) -> int:
    view.answer("consent", "yes")  # type: ignore[attr-defined]
    view.answer("years_in_org", 7)  # type: ignore[attr-defined]
    view.turn_page(3)  # type: ignore[attr-defined]
    return 3


def fill_real(view: object) -> int:
    def press(key: Qt.Key) -> None:
        QTest.keyClick(QApplication.focusWidget(), key)

    press(Qt.Key.Key_PageDown)  # the consent page
    press(Qt.Key.Key_1)  # yes
    press(Qt.Key.Key_PageDown)  # interview details
    QTest.keyClicks(QApplication.focusWidget(), "Keo")
    press(Qt.Key.Key_Return)
    for _ in range(3):
        press(Qt.Key.Key_PageDown)
    return int(view.current)  # type: ignore[attr-defined]


def main() -> None:
    real = sys.argv[1:] == ["real"]
    app = QApplication([])
    window = AppWindow(make_context(), view_factory=None if real else fake_factory)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
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
        focus = QApplication.focusWidget()
        if screen is None or focus is None or not screen.isAncestorOf(focus):
            QTimer.singleShot(20, answer)
            return
        page = fill_real(screen.view) if real else fill_fake(screen.view)
        screen.autosaver.sig_saved.connect(lambda _ack: report(screen, page))

    def report(screen: object, page: int) -> None:
        if not screen.autosaver.pending:  # type: ignore[attr-defined]
            instance_id = screen.filling.instance_id  # type: ignore[attr-defined]
            sys.stdout.write(f"SAVED {instance_id} {page}\n")
            sys.stdout.flush()

    QTimer.singleShot(0, step)
    app.exec()


if __name__ == "__main__":
    main()
