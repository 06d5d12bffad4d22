"""User paths honour SAMLUAT_HOME and logging writes a rotating file there."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.core import logs, paths


def test_every_user_path_moves_under_samluat_home(samluat_home: Path) -> None:
    for folder in (paths.data_dir(), paths.config_dir(), paths.cache_dir(), paths.log_dir()):
        assert folder.is_dir()
        assert samluat_home in folder.parents


def test_without_samluat_home_paths_use_platform_dirs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SAMLUAT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert paths.data_dir() == tmp_path / "xdg-data" / "Samluat"


def test_log_records_reach_the_rotating_file(
    monkeypatch: pytest.MonkeyPatch, samluat_home: Path
) -> None:
    monkeypatch.setattr(logs, "_configured", False)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logs.setup_logging()
        logging.getLogger("samluat.test").warning("canary-log-line")
        for handler in root.handlers:
            handler.flush()
        text = (paths.log_dir() / logs.LOG_FILE_NAME).read_text(encoding="utf-8")
        assert "canary-log-line" in text
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
