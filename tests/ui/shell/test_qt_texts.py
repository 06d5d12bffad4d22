"""Qt's own words in the Lao interface: the file chooser, the right-click menu of an answer
field, message-box buttons. Qt has no Lao translation; ours comes from the catalogues."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.ui.app_window import AppWindow
from app.ui.qt_texts import install_qt_texts


def texts_of(dialog: QWidget) -> tuple[list[str], list[str]]:
    labels = [label.text() for label in dialog.findChildren(QLabel) if label.text()]
    buttons = [button.text() for button in dialog.findChildren(QPushButton) if button.text()]
    return labels, buttons


def test_the_import_file_chooser_speaks_lao(qtbot: QtBot, logged_in: AppWindow) -> None:
    install_qt_texts(QApplication.instance())  # type: ignore[arg-type]
    translator.set_language("lo")
    seen: list[tuple[list[str], list[str]]] = []

    def look_then_cancel() -> None:
        chooser = QApplication.activeModalWidget()
        if chooser is None:  # not up yet
            QTimer.singleShot(50, look_then_cancel)
            return
        if isinstance(chooser, QFileDialog):
            seen.append(texts_of(chooser))
        chooser.close()  # never leave a modal dialog behind

    QTimer.singleShot(50, look_then_cancel)
    logged_in.choose_bundle_files()  # returns once the chooser is closed
    assert len(seen) == 1
    labels, buttons = seen[0]
    assert {"ເບິ່ງໃນ:", "ຊື່ໄຟລ໌:", "ປະເພດໄຟລ໌:"} <= set(labels)
    assert {"ເປີດ", "ຍົກເລີກ"} <= set(buttons)
    assert not {"&Look in:", "File &name:", "Cancel"} & set(labels + buttons)


def test_the_lao_interface_uses_choosers_that_speak_lao(qtbot: QtBot) -> None:
    # Windows and macOS draw their own choosers in the system's language, never Lao.
    install_qt_texts(QApplication.instance())  # type: ignore[arg-type]
    own = Qt.ApplicationAttribute.AA_DontUseNativeDialogs
    translator.set_language("lo")
    assert QApplication.testAttribute(own)  # what QFileDialog asks before going native
    translator.set_language("en")
    assert not QApplication.testAttribute(own)  # English: the system's own, as people know it


def test_an_open_chooser_follows_a_language_switch(qtbot: QtBot) -> None:
    install_qt_texts(QApplication.instance())  # type: ignore[arg-type]
    chooser = QFileDialog(None, "")
    chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(chooser)
    chooser.show()
    assert "File &name:" in texts_of(chooser)[0]
    translator.set_language("lo")
    qtbot.waitUntil(lambda: "ຊື່ໄຟລ໌:" in texts_of(chooser)[0])
    assert "ບັນທຶກ" in texts_of(chooser)[1]
    translator.set_language("en")
    qtbot.waitUntil(lambda: "File &name:" in texts_of(chooser)[0])
    chooser.close()


def test_the_right_click_menu_and_message_buttons_speak_lao(qtbot: QtBot) -> None:
    install_qt_texts(QApplication.instance())  # type: ignore[arg-type]
    translator.set_language("lo")
    field = QLineEdit()
    qtbot.addWidget(field)
    menu = field.createStandardContextMenu()
    actions = [action.text() for action in menu.actions() if action.text()]
    assert "ສຳເນົາ\tCtrl+C" in actions and "ວາງ\tCtrl+V" in actions  # shortcuts kept
    assert not [text for text in actions if "Copy" in text or "Paste" in text]
    menu.deleteLater()
    box = QMessageBox()
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    assert {button.text() for button in box.buttons()} == {"ແມ່ນ", "ບໍ່"}
