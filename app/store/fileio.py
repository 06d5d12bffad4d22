"""Small durable-file helpers for the store's side files (key file, lockout file),
and file names fit to print."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one.

    Temp file in the same folder → fsync → rename over → fsync the folder.
    A failed write (full disk, read-only folder) removes its temp file and raises.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the error that matters is the one being raised
            tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def json_bytes(value: Any, *, sort_keys: bool = True) -> bytes:
    """Pretty JSON as UTF-8.

    Text that UTF-8 cannot encode (file names that were not UTF-8 on disk come
    back from the OS with surrogate escapes) is written as JSON `\\u` escapes,
    which `json.loads` turns back into the same string.
    """
    text = json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=True).encode("ascii")


def write_json(path: Path, value: Any) -> None:
    """`atomic_write_bytes` of pretty, sorted JSON (`json_bytes`)."""
    atomic_write_bytes(path, json_bytes(value))


def readable_name(name: str | os.PathLike[str]) -> str:
    """A file name (or path) fit to print, log and store as UTF-8 text.

    Names that are not valid UTF-8 on disk reach Python with surrogate escapes,
    which cannot be encoded; their undecodable bytes are shown as `\\xe9`. Other
    names are returned unchanged.
    """
    text = os.fspath(name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def read_json(path: Path) -> Any:
    """Parse a JSON file (callers map errors to their own messages)."""
    return json.loads(path.read_text(encoding="utf-8"))
