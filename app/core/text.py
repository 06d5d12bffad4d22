"""Text for people: line-break opportunities for Lao text, and file sizes.

Lao is written without spaces between words, and neither Qt nor ReportLab
knows where a Lao line may break: a long statement either overflows or is
cut mid-syllable. ICU's line breaker has a Lao dictionary; `with_breaks`
inserts a zero-width space (U+200B) at each break it finds inside Lao runs,
which both Qt and ReportLab treat as a place to wrap. Only text on screen or
paper goes through it; stored answers are never changed.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

ZWSP = "\u200b"
_LAO_FIRST, _LAO_LAST = "\u0e80", "\u0eff"

LineBreaker: Any
try:  # icu4py ships ICU (with its Lao dictionary) in its wheels, Windows included.
    from icu4py.breakers import LineBreaker
except ImportError:  # pragma: no cover - a build without ICU still runs, without Lao breaks
    LineBreaker = None
    log.warning("icu4py is not available: Lao text will only wrap at spaces")


def _is_lao(character: str) -> bool:
    return _LAO_FIRST <= character <= _LAO_LAST


@lru_cache(maxsize=8192)
def with_breaks(text: str) -> str:
    """`text` with a zero-width space at every line-break opportunity between Lao words."""
    if LineBreaker is None or not any(_is_lao(c) for c in text):
        return text
    pieces: list[str] = []
    previous_end = 0
    for start, end in LineBreaker(text, "lo").segments():
        if pieces and start == previous_end and _is_lao(text[start - 1]) and _is_lao(text[start]):
            pieces.append(ZWSP)
        pieces.append(text[start:end])
        previous_end = end
    return "".join(pieces)


def without_breaks(text: str) -> str:
    """Undo `with_breaks` (e.g. before copying displayed text to the clipboard)."""
    return text.replace(ZWSP, "")


def human_size(size: int) -> str:
    """`512 B`, `3.4 MB`, `1.2 GB`: a file's size for people (units are the same in Lao)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
