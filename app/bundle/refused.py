"""The files import refused, read back from the quarantine folder.

`app.bundle.importer.quarantine` keeps each refused file (or, over 512 MB,
only its reason) with a `<copy>.reason.txt` beside it: the English reason,
when, the file's SHA-256, and the refusal's kind and facts. This lists them,
newest first, so that the app can show them with their reasons in its own
language instead of sending people to a folder.

The folder is ours, but its files are not trusted: a reason file that is too
large, not JSON, or not what we write is skipped (and logged), and fields of
the wrong type are read as missing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.bundle.canon import parse_time
from app.bundle.errors import BundleRejected, Refusal
from app.bundle.importer import REASON_SUFFIX
from app.store.fileio import readable_name

log = logging.getLogger(__name__)

MAX_REASON_BYTES = 64 * 1024  # ours are under 2 KB
MAX_LISTED = 1000  # newest first: a folder with more is cleared by hand
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # where a reason file has no time


@dataclass(frozen=True)
class RefusedFile:
    """One refused file as its reason file tells it."""

    reason_file: Path
    copy: Path | None  # the kept copy, None when too large to copy (or removed since)
    name: str  # the file's name where it was refused
    where: str  # the folder it was in then
    rejected_at: datetime | None
    reason: str  # English, with every technical detail
    refusal: BundleRejected | None  # the kind and facts, for the app to word (None: older app)
    claimed_source: str | None  # the laptop the file says it comes from (not verified)
    claimed_kind: str | None  # "field" or "coordinator", as the file says
    size: int | None


def refused_files(folder: Path) -> list[RefusedFile]:
    """Every refused file kept in `folder`, newest first (at most `MAX_LISTED`)."""
    try:
        reason_files = [
            p for p in folder.iterdir() if p.name.endswith(REASON_SUFFIX) and not p.is_symlink()
        ]
    except OSError:
        return []  # no quarantine folder yet: nothing was refused
    found = [item for item in map(_read, reason_files) if item is not None]
    found.sort(key=lambda f: f.rejected_at or EPOCH, reverse=True)
    return found[:MAX_LISTED]


def _read(path: Path) -> RefusedFile | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_REASON_BYTES:
            raise ValueError("not a reason file we wrote")
        record = json.loads(path.read_bytes())
        if not isinstance(record, dict) or not isinstance(record.get("reason"), str):
            raise ValueError("not a reason file we wrote")
    except (OSError, ValueError, RecursionError) as error:  # (JSON nested absurdly deep)
        log.info("quarantine: %s skipped: %s", readable_name(path.name), error)
        return None
    copy = path.with_name(path.name[: -len(REASON_SUFFIX)])
    original = _text(record.get("file")) or copy.name
    claimed = record.get("claimed")
    if not isinstance(claimed, dict):
        claimed = {}
    size = record.get("size")
    return RefusedFile(
        reason_file=path,
        copy=copy if copy.is_file() and not copy.is_symlink() else None,
        name=original.replace("\\", "/").rsplit("/", 1)[-1],
        where=original.replace("\\", "/").rpartition("/")[0],
        rejected_at=_time(record.get("rejected_at")),
        reason=record["reason"],
        refusal=_refusal(record),
        claimed_source=_text(claimed.get("source_name")),
        claimed_kind=_text(claimed.get("kind")),
        size=size if type(size) is int else None,
    )


def _refusal(record: dict[str, Any]) -> BundleRejected | None:
    facts = record.get("refusal")
    if not isinstance(facts, dict):
        return None
    try:
        kind = Refusal(str(facts.get("kind")))
    except ValueError:
        return None  # a kind a newer app wrote: its English reason is shown
    sequence = facts.get("sequence")
    return BundleRejected(
        record["reason"],
        kind,
        laptop=_text(facts.get("laptop")),
        when=_time(facts.get("when")),
        sequence=sequence if type(sequence) is int else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value, "time", optional=True)
    except ValueError:
        return None
