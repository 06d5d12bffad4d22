"""Update the UI catalogues from the code: `python build/i18n.py` (lists untranslated strings)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.i18n_catalogue import update_catalogues

missing = update_catalogues()
for lang, ids in missing.items():
    for msgid in ids:
        print(f"{lang}: untranslated: {msgid!r}")  # noqa: T201
sys.exit(1 if any(missing.values()) else 0)
