"""What every screen shares: settings, the study, and (after login) the open store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from app.bundle.keys import AgeIdentity
from app.fieldwork.library import FormLibrary
from app.store import LocalStore
from app.store.crypto import DEFAULT_KDF, KdfParams
from app.study.config import STUDY_FILE, StudyConfig, load_study
from app.ui.settings.store import SettingsStore

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: SettingsStore
    forms_dir: Path
    kdf: KdfParams = DEFAULT_KDF  # tests pass a fast one
    study: StudyConfig | None = None
    store: LocalStore | None = None
    library: FormLibrary | None = None
    # The coordinator's key once unlocked (Sync now imports the laptops' bundles with it);
    # in memory only, forgotten at log-out.
    coordinator_keys: list[AgeIdentity] = field(default_factory=list)
    _study_loaded: bool = field(default=False, repr=False)

    @property
    def db_path(self) -> Path:
        return self.settings.settings.db_path()

    def load_study(self) -> StudyConfig | None:
        """The study configuration of the forms folder (None for a plain folder of forms)."""
        if not self._study_loaded:
            self._study_loaded = True  # a broken file is reported once, not on every call
            path = self.forms_dir / STUDY_FILE
            self.study = load_study(path) if path.is_file() else None
        return self.study

    def logged_in(self, store: LocalStore) -> None:
        self.store = store
        self.library = FormLibrary(store)

    def log_out(self) -> LocalStore | None:
        """Forget the store (the caller closes it, off the UI thread)."""
        store, self.store, self.library = self.store, None, None
        self.coordinator_keys = []
        return store
