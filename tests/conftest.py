"""Test-wide settings: Qt runs offscreen, every test gets its own SAMLUAT_HOME."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before any Qt import anywhere in the test session.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SAMLUAT_HOME"] = tempfile.mkdtemp(prefix="samluat-test-home-")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def samluat_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user directory for each test (data, cache, logs, config)."""
    home = tmp_path / "samluat-home"
    monkeypatch.setenv("SAMLUAT_HOME", str(home))
    return home


@pytest.fixture
def repo_root() -> Path:
    return REPO
