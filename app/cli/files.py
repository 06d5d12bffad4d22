"""Checks of the paths a command is given, so that a wrong one is an error, not a traceback."""

from __future__ import annotations

import getpass
from pathlib import Path

from app.core.errors import SamluatError


def require_folder(folder: Path, option: str) -> None:
    """`folder` is a folder, or nothing yet (it is then created): never a file."""
    if folder.exists() and not folder.is_dir():
        raise SamluatError(f"{option} {folder}: this is a file, not a folder")


def require_existing_folder(folder: Path, option: str) -> None:
    """`folder` is a folder that is there: a missing one is more often a USB stick not
    plugged in (its mount point gone) than a folder to make on the laptop's own disk."""
    require_folder(folder, option)
    if not folder.is_dir():
        raise SamluatError(
            f"{option} {folder}: this folder is not there (is the USB stick plugged in?); "
            "to write into a new folder, create it first"
        )


def require_file_path(path: Path, option: str) -> None:
    """`path` can be written as a file: it is no folder, and no file stands in its way."""
    if path.is_dir():
        raise SamluatError(f"{option} {path}: this is a folder, give a file name")
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise SamluatError(f"cannot write {path}: {blocking} is a file, not a folder")


def write_failed(what: str, error: OSError) -> SamluatError:
    """`cannot write <what>: <reason> (<file>)`, for an OSError met while writing."""
    where = f" ({error.filename})" if error.filename else ""
    return SamluatError(f"cannot write {what}: {error.strerror or error}{where}")


def ask_secret(prompt: str) -> str:
    """A password or passphrase typed at the terminal (not echoed)."""
    try:
        return getpass.getpass(prompt)
    except EOFError:  # no terminal to type on (a script, a pipe)
        raise SamluatError(
            f"{prompt.rstrip(': ')}: nothing was typed; in a script, give it on standard "
            "input with --password-stdin"
        ) from None
