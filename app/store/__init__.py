"""The local store: SQLite/SQLCipher database of forms, cases, submissions, paradata, users.

Entry points for the UI, the engine and the CLI:

* `create_store` / `open_store` → `LocalStore` (a logged-in store; see
  `app.store.store`), whose methods each run one transaction;
* repository functions in `repo_*.py` and `users.py` take keyword arguments
  and an explicit `session=` for services that compose several steps;
* `canonical_json` / `content_hash` (`app.store.canonical`) for every hash.
"""

from __future__ import annotations

from app.store.canonical import canonical_json, content_hash
from app.store.repo_paradata import EventIn, EventKind
from app.store.store import LocalStore, create_store, open_store
from app.store.tables import ReviewOutcome, RevisionStatus, Role, SubmissionState

__all__ = [
    "EventIn",
    "EventKind",
    "LocalStore",
    "ReviewOutcome",
    "RevisionStatus",
    "Role",
    "SubmissionState",
    "canonical_json",
    "content_hash",
    "create_store",
    "open_store",
]
