"""Import a run of bundles in a few shared transactions instead of one commit each.

A coordinator imports hundreds of small bundles in a row. Committing each
wrote the same index pages to the WAL again and synced it once per bundle:
the same rows in 200 transactions took twice as long as in one (measured
with `bench/merge.py`'s rows). So consecutive bundles share a transaction
(`BundleTarget.one_transaction`), each in its own savepoint: a refused
bundle is undone alone, exactly as before, and the others stay.

A group is committed after `GROUP_RECORDS` records or `GROUP_SECONDS`: it
holds the write lock, and the coordinator's app, saving a review meanwhile,
waits for the lock only up to the store's busy timeout (5 s); a crash or a
full disk then costs little work; other readers see progress. Also before a
bundle that carries attachments: those are staged in transactions of their
own (`app.bundle.staging`), and gigabytes of audio must not wait in one WAL.

A bundle is durable once its group is committed. If a commit fails, the
error ends the import and the group's bundles are not in the database, as
if they had not been imported (they are still files: importing again
applies them). Callers report results once the `ImportGroups` block has ended.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from app.bundle import format as fmt
from app.bundle.errors import BundleError
from app.bundle.target import BundleTarget

GROUP_RECORDS = 20_000  # records (interviews, paradata…) applied per commit, at most
GROUP_SECONDS = 1.5  # and at most this long between commits (plus one bundle)


class ImportGroups:
    """Call `before(path)` before importing each file; use as a context manager.

    Leaving the block normally, or by one of the `keep_on` exceptions (a
    cancel, which undoes only the bundle it interrupted), commits what was
    applied; any other exception rolls the open group back.
    """

    def __init__(
        self, target: BundleTarget, *, keep_on: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.target = target
        self.keep_on = keep_on
        self._open: ExitStack | None = None
        self._records = 0
        self._started = 0.0

    def before(self, path: Path) -> None:
        """Commit the open group if it is full; join `path`'s bundle to a group if it may."""
        records, shareable = _size(path)
        if self._open is not None and (
            not shareable
            or self._records + records > GROUP_RECORDS
            or time.monotonic() - self._started >= GROUP_SECONDS
        ):
            self.commit()
        if shareable and self._open is None:
            stack = ExitStack()
            stack.enter_context(self.target.one_transaction())
            self._open, self._records, self._started = stack, 0, time.monotonic()
        self._records += records

    def commit(self) -> None:
        """Commit the open group, if any (raises like any commit)."""
        stack, self._open = self._open, None
        if stack is not None:
            stack.close()

    def roll_back(self, error: BaseException) -> None:
        """Undo the open group, if any (on the way out of a failure)."""
        stack, self._open = self._open, None
        if stack is not None:
            stack.__exit__(type(error), error, error.__traceback__)

    def __enter__(self) -> ImportGroups:
        return self

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> None:
        if error is None or isinstance(error, self.keep_on):
            self.commit()
        else:
            self.roll_back(error)


def _size(path: Path) -> tuple[int, bool]:
    """(records the header declares, whether the bundle may share a transaction)."""
    try:
        header = fmt.read_envelope(path).header
    except (BundleError, OSError):
        return 0, True  # refused before anything is written: any group will do
    counts = header.counts
    records = sum(v for k, v in counts.items() if k != "attachment_bytes")
    return records, not counts.get("attachments")
