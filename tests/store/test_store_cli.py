"""`samluat db …` and `samluat user …` end to end through the CLI entry point."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli.main import main


def run(
    args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_check_backup_and_users(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login = ["--user", "boss", "--password-stdin"]
    code, out, _ = run(
        ["db", "init", *login], "boss-password\nboss-password\n", monkeypatch, capsys
    )
    assert code == 0 and "encrypted" in out and "NOT" not in out

    code, out, _ = run(["db", "check", *login], "boss-password\n", monkeypatch, capsys)
    assert code == 0
    assert "integrity: ok" in out and "foreign keys: ok" in out and "schema: 0003" in out
    assert "  app_user             1" in out
    content_line = [line for line in out.splitlines() if line.startswith("content hash: ")]
    assert len(content_line) == 1 and len(content_line[0].split()[-1]) == 64

    dest = tmp_path / "bk" / "copy.db"
    code, out, _ = run(["db", "backup", str(dest), *login], "boss-password\n", monkeypatch, capsys)
    assert code == 0 and dest.is_file() and "key file" in out

    code, out, _ = run(
        ["user", "add", "noy", "--role", "enumerator", *login],
        "boss-password\nnoy-password\nnoy-password\n",
        monkeypatch,
        capsys,
    )
    assert code == 0 and "created noy (enumerator)" in out
    code, out, _ = run(
        ["user", "list", "--user", "noy", "--password-stdin"], "noy-password\n", monkeypatch, capsys
    )
    assert code == 0 and "boss\tcoordinator" in out and "noy\tenumerator" in out

    code, _, err = run(["db", "check", *login], "wrong-password\n", monkeypatch, capsys)
    assert code == 1 and err.strip() == "error: Wrong user name or password."

    code, _, err = run(
        ["user", "add", "x", "--role", "coordinator", "--user", "noy", "--password-stdin"],
        "noy-password\nxx-password\nxx-password\n",
        monkeypatch,
        capsys,
    )
    assert code == 1 and "cannot manage" in err


def test_init_plaintext_and_mismatched_passwords(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["db", "init", "--user", "a", "--password-stdin"],
        "first-password\nother-password\n",
        monkeypatch,
        capsys,
    )
    assert code == 1 and "differ" in err
    code, out, _ = run(
        ["db", "init", "--user", "a", "--password-stdin", "--no-encrypt"],
        "first-password\nfirst-password\n",
        monkeypatch,
        capsys,
    )
    assert code == 0 and "NOT encrypted" in out
    code, _, err = run(
        ["db", "init", "--user", "a", "--password-stdin"],
        "first-password\nfirst-password\n",
        monkeypatch,
        capsys,
    )
    assert code == 1 and "already exists" in err
