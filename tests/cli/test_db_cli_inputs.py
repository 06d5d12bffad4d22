"""What the database commands say for a central store's URL or a missing password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main


@pytest.mark.parametrize(
    "command", [["db", "init"], ["db", "backup", "copy.db"], ["user", "passwd"]]
)
def test_a_central_store_url_is_refused_without_echoing_its_password(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """`--db postgresql://…` was taken as a file name: "No database at postgresql:/user:pw@…",
    password and all, on screen and in the log."""
    url = "postgresql://samluat:secret-pw@127.0.0.1:5432/study"
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--db", url, "--user", "coord"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "this command works on a database file" in err and "secret-pw" not in err
    assert "db check, user add and user list" in err  # what does open a central store


@pytest.mark.parametrize("command", [["db", "check"], ["user", "list"]])
def test_a_central_store_that_cannot_be_reached_is_one_line_without_its_password(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    url = "postgresql://samluat:secret-pw@127.0.0.1:9/study"  # nothing listens on port 9
    assert main([*command, "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the central store postgresql://samluat:***@")
    assert len(err.splitlines()) == 1 and "secret-pw" not in err


def test_a_database_file_needs_a_user(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["db", "check", "--db", str(tmp_path / "study.db")]) == 1
    assert capsys.readouterr().err == "error: --user is needed to open a database file\n"


def test_no_password_and_no_terminal_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    """Run from a script (no terminal, nothing on standard input), getpass ended in an
    EOFError traceback."""
    samluat = Path(sys.executable).with_name("samluat")
    done = subprocess.run(
        [str(samluat), "db", "check", "--db", str(tmp_path / "samluat.db"), "--user", "coord"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,  # no controlling terminal for getpass to open
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.endswith(
        "error: Password for coord: nothing was typed; in a script, give it on standard "
        "input with --password-stdin\n"
    )
