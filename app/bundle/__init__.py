"""Bundles: signed, encrypted files that move data between Samluat databases.

The format is documented in docs/bundle-format.md. Entry points for the UI
and the CLI (all take a `BundleTarget`: a logged-in `LocalStore` or a
central PostgreSQL store, see `app.bundle.target`):

* keys: `app.bundle.keys` (`init_device_keys`, `create_coordinator_keys`,
  `register_device`, `revoke_device`, `trust_coordinator`, cards);
* export: `export_field_bundle`, `export_coordinator_bundle`;
* import: `import_bundle`, `import_many` (results, never exceptions, for bad files);
* after merging: `conflict_queue`, `resolve_conflict`, `likely_duplicates`,
  `decide_duplicates`, `sequence_gaps`;
* review: `review_submission` (coordinator), `review_feedback` (field laptop);
* folder sync: `sync_folder` (`app.bundle.sync`).
"""

from __future__ import annotations

from app.bundle.export import ExportResult, export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportResult, ImportStatus, import_bundle, import_many
from app.bundle.merge import (
    conflict_queue,
    decide_duplicates,
    likely_duplicates,
    resolve_conflict,
    sequence_gaps,
)
from app.bundle.reviews import review_feedback, review_submission
from app.bundle.target import BundleTarget

__all__ = [
    "BundleTarget",
    "ExportResult",
    "ImportResult",
    "ImportStatus",
    "conflict_queue",
    "decide_duplicates",
    "export_coordinator_bundle",
    "export_field_bundle",
    "import_bundle",
    "import_many",
    "likely_duplicates",
    "resolve_conflict",
    "review_feedback",
    "review_submission",
    "sequence_gaps",
]
