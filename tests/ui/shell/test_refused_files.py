"""Refused bundle files…: every file import refused on this computer, when, and why in the
UI's language; the quarantine folder one click away."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from app.bundle import format as fmt
from app.bundle.importer import default_quarantine_dir
from app.core.i18n import translator
from app.ui.app_window import AppWindow
from app.ui.refused import RefusedFilesDialog
from tests.ui.shell.helpers import wait_for_dialog

LAO = re.compile("[\u0e80-\u0eff]")


class _Opened(QObject):
    """Stands in for the file manager: notes the folders the app asks to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def _cells(dialog: RefusedFilesDialog, column: int) -> list[str]:
    table = dialog.table
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_nothing_refused_yet_is_said(qtbot: QtBot, logged_in: AppWindow) -> None:
    logged_in.refused_action.trigger()
    dialog = wait_for_dialog(qtbot, RefusedFilesDialog)
    assert dialog.table.isHidden() and not dialog.empty.isHidden()
    assert dialog.empty.text() == "No bundle file has been refused on this computer."
    assert not dialog.open_button.isEnabled()  # no quarantine folder made yet
    dialog.reject()


def test_refused_files_are_listed_with_why_and_the_folder_opens(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    received = tmp_path / "chat"
    received.mkdir()
    photo = received / "IMG_2041.samluat"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(4000))  # a photo renamed by a chat app
    cut = received / "samluat-field-2c41fca8-to-coordinator-000003.samluat"
    cut.write_bytes(fmt.MAGIC + bytes(40))  # the copy stopped early
    assert logged_in.sync.import_files([photo, cut])
    qtbot.waitUntil(lambda: "IMG_2041" in logged_in.home.sync_status.text(), timeout=15_000)

    logged_in.refused_action.trigger()
    dialog = wait_for_dialog(qtbot, RefusedFilesDialog)
    assert dialog.table.rowCount() == 2 and dialog.empty.isHidden()
    assert sorted(_cells(dialog, 1)) == sorted([photo.name, cut.name])
    why = dict(zip(_cells(dialog, 1), _cells(dialog, 2), strict=True))
    assert why[photo.name] == "not a Samluat bundle."
    assert why[cut.name].startswith("cut short")
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d$", when) for when in _cells(dialog, 0))
    assert str(default_quarantine_dir()) in dialog.explanation.text()
    # The technical English reason is there for whoever needs it.
    assert (
        "wrong magic bytes" in dialog.table.item(_cells(dialog, 1).index(photo.name), 2).toolTip()
    )

    translator.set_language("lo")
    assert dialog.windowTitle() == "ໄຟລ໌ຂໍ້ມູນທີ່ຖືກປະຕິເສດ"
    assert all(LAO.search(text) for text in _cells(dialog, 2))

    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        dialog.open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in opened.urls] == [str(default_quarantine_dir())]
    dialog.reject()
