"""What a sync pass says when the folder is missing, in the UI's language.

An unplugged USB stick is the commonest sync problem in the field: in the Lao UI
the status line said "ແລກປ່ຽນຂໍ້ມູນບໍ່ສຳເລັດ: The sync folder … is not there (is the
USB stick plugged in?)", the explanation in English.
"""

from __future__ import annotations

import os
import time
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


def test_refused_files_are_listed_a_line_each_and_the_rest_counted(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    """Seven bad files dropped in the sync folder of a laptop that trusts no coordinator
    yet: that comes first, then two files named with their reason, a line each, and the
    other five counted; nothing imported."""
    folder = tmp_path / "usb"
    folder.mkdir()
    for index in range(7):
        (folder / f"photo-{index}.samluat").write_bytes(b"\xff\xd8\xff\xe0 not a bundle " * 40)
    old = time.time() - 120  # copied a while ago: not "still being written"
    for path in folder.iterdir():
        os.utime(path, (old, old))
    logged_in.ctx.settings.update(sync_folder=str(folder))
    translator.set_language("lo")
    assert logged_in.sync.sync_now()
    status = logged_in.home.sync_status
    qtbot.waitUntil(lambda: "ອີກ 5 ລາຍການ" in status.text(), timeout=15_000)
    lines = status.text().splitlines()
    assert lines[0].startswith("ແລກປ່ຽນຂໍ້ມູນເວລາ") and "ໄດ້ຮັບ 0" in lines[0]
    assert lines[1].startswith("ຄອມພິວເຕີນີ້ຍັງບໍ່ໄດ້ເຊື່ອຖືຜູ້ປະສານງານ")
    refused = lines[2:4]
    assert all(line.startswith("photo-") for line in refused)
    assert all(line.endswith(": ບໍ່ແມ່ນໄຟລ໌ຂໍ້ມູນຂອງ ສຳຫຼວດ.") for line in refused)
    assert lines[4:] == ["… ແລະ ອີກ 5 ລາຍການ."]
