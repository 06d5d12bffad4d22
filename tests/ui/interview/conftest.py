"""The interview workspace uses the same fixtures as form entry."""

from __future__ import annotations

from tests.ui.entry.conftest import MakeFilling, english_ui, make_filling, store

__all__ = ["MakeFilling", "english_ui", "make_filling", "store"]
