"""The app's preferences, kept as JSON in the user config directory.

Besides what the settings dialog edits, it remembers which draft each user
had open, so that after a crash the next login reopens it. Writes are
atomic (temp file, fsync, rename): a crash leaves the old file or the new.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.i18n import LANGUAGES
from app.store.db import DB_FILE_NAME
from app.store.fileio import read_json, write_json

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
PAGE_MODES = ("pages", "scroll")
FONT_SIZES = (9.0, 10.0, 11.0, 12.0, 14.0, 16.0)
DEFAULT_FONT_SIZE = 10.0


@dataclass(frozen=True)
class Settings:
    ui_language: str = "en"
    form_language: str | None = None  # None: the app's language if the form has it
    font_size: float = DEFAULT_FONT_SIZE
    page_mode: str = "pages"
    data_folder: str | None = None  # None: the user data directory
    sync_folder: str | None = None  # used by bundle sync
    last_user: str = ""
    open_drafts: dict[str, str] = field(default_factory=dict)  # user name → instance id
    hidden_columns: dict[str, list[str]] = field(default_factory=dict)  # table → column keys

    def db_path(self) -> Path:
        folder = Path(self.data_folder).expanduser() if self.data_folder else paths.data_dir()
        return folder / DB_FILE_NAME

    @classmethod
    def from_json(cls, data: Any) -> Settings:
        """Read what is valid, ignore the rest: a damaged file must not stop the app."""
        if not isinstance(data, dict):
            return cls()
        default = cls()
        values: dict[str, Any] = {}
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key in known:
                values[key] = value
        settings = replace(default, **values)
        fixes: dict[str, Any] = {}
        if settings.ui_language not in LANGUAGES:
            fixes["ui_language"] = default.ui_language
        if settings.form_language is not None and not isinstance(settings.form_language, str):
            fixes["form_language"] = None
        if not isinstance(settings.font_size, int | float) or not 6 <= settings.font_size <= 32:
            fixes["font_size"] = default.font_size
        if settings.page_mode not in PAGE_MODES:
            fixes["page_mode"] = default.page_mode
        for name in ("data_folder", "sync_folder"):
            if getattr(settings, name) is not None and not isinstance(getattr(settings, name), str):
                fixes[name] = None
        if not isinstance(settings.last_user, str):
            fixes["last_user"] = ""
        drafts = settings.open_drafts
        if not isinstance(drafts, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in drafts.items()
        ):
            fixes["open_drafts"] = {}
        hidden = settings.hidden_columns
        if not isinstance(hidden, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(c, str) for c in v)
            for k, v in hidden.items()
        ):
            fixes["hidden_columns"] = {}
        return replace(settings, **fixes) if fixes else settings


class SettingsStore:
    """Load and save `Settings`; thread-safe, so workers may record open drafts."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / SETTINGS_FILE
        self._lock = threading.Lock()
        self._settings = self._load()

    def _load(self) -> Settings:
        if not self.path.is_file():
            return Settings()
        try:
            return Settings.from_json(read_json(self.path))
        except (OSError, ValueError):
            log.warning("settings file unreadable; using defaults", exc_info=True)
            return Settings()

    @property
    def settings(self) -> Settings:
        with self._lock:
            return self._settings

    def update(self, **changes: Any) -> Settings:
        """Change some settings and write the file."""
        with self._lock:
            self._settings = replace(self._settings, **changes)
            write_json(self.path, asdict(self._settings))
            return self._settings

    def remember_open_draft(self, username: str, instance_id: str) -> None:
        with self._lock:
            drafts = {**self._settings.open_drafts, username: instance_id}
            self._settings = replace(self._settings, open_drafts=drafts)
            write_json(self.path, asdict(self._settings))

    def forget_open_draft(self, username: str, instance_id: str | None = None) -> None:
        """Clear the user's open draft (only if it is `instance_id`, when given)."""
        with self._lock:
            current = self._settings.open_drafts.get(username)
            if current is None or (instance_id is not None and current != instance_id):
                return
            drafts = {k: v for k, v in self._settings.open_drafts.items() if k != username}
            self._settings = replace(self._settings, open_drafts=drafts)
            write_json(self.path, asdict(self._settings))

    def open_draft(self, username: str) -> str | None:
        return self.settings.open_drafts.get(username)
