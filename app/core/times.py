"""Times as people read them: stored times are UTC, shown in this computer's time zone."""

from __future__ import annotations

from datetime import datetime


def when_text(moment: datetime | None) -> str:
    """`2026-11-28 18:33` in local time; empty for no time."""
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
