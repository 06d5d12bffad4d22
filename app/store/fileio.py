"""Small durable-file helpers for the store's side files (key file, lockout file)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one.

    Temp file in the same folder → fsync → rename over → fsync the folder.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
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


def write_json(path: Path, value: Any) -> None:
    """`atomic_write_bytes` of pretty, sorted JSON."""
    atomic_write_bytes(
        path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    )


def read_json(path: Path) -> Any:
    """Parse a JSON file (callers map errors to their own messages)."""
    return json.loads(path.read_text(encoding="utf-8"))
