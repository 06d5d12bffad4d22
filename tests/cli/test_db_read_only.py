"""A data folder or database file that cannot be written is named as such, not as damage.

SQLite in WAL mode writes beside the database even to read it. A read-only data folder
(another user's, a copy from a write-protected stick) used to be reported as "damaged or
does not belong to this key file", which sends people to restore a healthy database, and
a wrong password there ended in a traceback. Run as an ordinary user would meet it: root
ignores file modes, so the commands run without the capability that lets it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PASSWORD = "read-only-test-1"


def _ordinary(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        drop = "-dac_override,-dac_read_search"
        return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", "--", *argv]
    return argv


def samluat(home: Path, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("samluat")), *args]
    return subprocess.run(
        _ordinary(command),
        input=f"{password}\n{password}\n",
        env={**os.environ, "SAMLUAT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _writable(path: Path, writable: bool) -> None:
    mode = path.stat().st_mode
    path.chmod(
        mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    )


def test_a_read_only_data_folder_or_database_is_named_and_nothing_changes(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    made = samluat(home, "db", "init", "--user", "coord", "--password-stdin")
    assert made.returncode == 0, made.stderr
    database = next(home.rglob("samluat.db"))
    data = database.parent
    before = sorted(p.name for p in data.iterdir())
    check = ("db", "check", "--user", "coord", "--password-stdin")
    try:
        for read_only in (data, database):
            _writable(read_only, False)
            for password in (PASSWORD, "wrong-password-1"):
                refused = samluat(home, *check, password=password)
                assert refused.returncode == 1
                assert refused.stderr == (
                    f"error: The database {database} cannot be opened: {read_only} is "
                    "read-only (a folder or file of another user, a read-only copy, or a "
                    "write-protected stick). Make it writable, or copy the database's folder "
                    "to one you can write to. Nothing was changed.\n"
                )
                assert sorted(p.name for p in data.iterdir()) == before  # no lockout, no -shm
            _writable(read_only, True)
            fine = samluat(home, *check)
            assert fine.returncode == 0 and "content hash" in fine.stdout, fine.stderr
    finally:
        _writable(data, True)
        _writable(database, True)
