"""Short form of bench/store_crash.py: ≥50 SIGKILLs of an autosaving process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("store_crash", REPO / "bench" / "store_crash.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["store_crash"] = module
    spec.loader.exec_module(module)
    return module


def test_sigkill_during_autosave_loses_nothing_acknowledged(tmp_path: Path) -> None:
    # The harness runs in a fresh single-threaded interpreter, so that forking
    # its children never copies the test runner's threads.
    env = dict(os.environ, SAMLUAT_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "store_crash.py"),
            "--trials",
            "60",
            "--mode",
            "fork",
            "--seed",
            "20261128",
            "--max-delay",
            "0.2",
            "--workdir",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["problems"] == []
    assert done.returncode == 0
    assert report["trials"] == 60
    # The kills landed while saving, not only before the first save.
    assert report["trials_with_saves"] >= 40
    assert report["acknowledged"] >= 500


def test_verifier_notices_missing_acknowledged_saves(home: Path, tmp_path: Path) -> None:
    """The checker is not vacuous: claims the database cannot back up are reported."""
    harness = _harness()
    path = tmp_path / "crash.db"
    harness.create_database(path)
    acks = harness.Acks()
    for line in ["N uuid:ghost-0", "S uuid:ghost-0 3 abc", "F uuid:ghost-0 rev-x abc"]:
        acks.feed(line)
    problems = harness.verify(path, acks)
    assert any("acknowledged submission missing" in p for p in problems)
    assert any("answer events missing" in p for p in problems)
    assert any("finalised revision rev-x missing" in p for p in problems)
