"""What a sync pass says when the folder is missing, in the UI's language.

An unplugged USB stick is the commonest sync problem in the field: in the Lao UI
the status line said "ແລກປ່ຽນຂໍ້ມູນບໍ່ສຳເລັດ: The sync folder … is not there (is the
USB stick plugged in?)", the explanation in English.
"""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.ui.app_window import AppWindow


def test_an_unplugged_folder_is_explained_in_lao(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    translator.set_language("lo")
    gone = tmp_path / "gone"
    logged_in.ctx.settings.update(sync_folder=str(gone))
    assert logged_in.sync.sync_now()
    status = logged_in.home.sync_status
    qtbot.waitUntil(lambda: str(gone) in status.text(), timeout=15_000)
    text = status.text().replace(str(gone), "")
    assert "USB" in text
    assert "not there" not in text and "plugged" not in text, text
