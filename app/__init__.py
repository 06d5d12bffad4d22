"""Samluat (ສຳຫຼວດ): offline survey and interview fieldwork."""

from __future__ import annotations

__version__ = "0.1.0"
