"""Logging to a rotating file in the user log directory."""

from __future__ import annotations

import logging
import logging.handlers

from app.core import paths

LOG_FILE_NAME = "samluat.log"
_configured = False


def setup_logging(level: int = logging.INFO) -> None:
    """Send every `logging` record to a rotating file (5 × 1 MB). Safe to call twice."""
    global _configured
    if _configured:
        return
    handler = logging.handlers.RotatingFileHandler(
        paths.log_dir() / LOG_FILE_NAME, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True
