"""When an import may start validation workers: always from source; in a packaged app
only once its entry point let `freeze_support` take over worker starts."""

from __future__ import annotations

import os
import sys

import pytest

from app.bundle.validate import default_workers
from app.core import processes


@pytest.fixture
def packaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process looks like a PyInstaller build whose entry point did nothing yet."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(processes, "_entry_point_ready", False)


def test_from_source_an_import_uses_one_worker_per_core() -> None:
    assert default_workers() == min(os.cpu_count() or 1, 4) >= 2  # this machine has 2 cores


@pytest.mark.usefixtures("packaged")
def test_a_packaged_app_starts_no_workers_before_its_entry_point_allows_them() -> None:
    # Each worker would run the app's executable again: a second window per worker.
    assert not processes.may_start_workers()
    assert default_workers() == 0


@pytest.mark.usefixtures("packaged")
def test_a_packaged_app_uses_workers_after_freeze_support() -> None:
    processes.freeze_support()  # what app/ui/launch.py does first (a no-op in this process)
    assert processes.may_start_workers()
    assert default_workers() == min(os.cpu_count() or 1, 4)


def test_the_packaged_entry_point_hands_workers_over_before_importing_the_ui() -> None:
    """In packaging.spec's entry script, freeze_support runs before any app.ui import:
    a worker that loaded Qt and every screen first took seconds to start."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    spec = (repo / "packaging.spec").read_text(encoding="utf-8")
    assert '["app/ui/launch.py"]' in spec
    lines = (repo / "app" / "ui" / "launch.py").read_text(encoding="utf-8").splitlines()
    code = [
        line.strip()
        for line in lines
        if line.strip().startswith(("from ", "import ", "processes."))
    ]
    assert code.index("processes.freeze_support()  # in a worker: runs it, then exits") < next(
        i for i, line in enumerate(code) if "app.ui" in line
    )
