"""Form versions: put the study's forms into the store, and load stored versions.

A submission always reopens with the exact form version it was started
with, loaded from the bytes kept in the store, never from whatever file is
in `forms/` today.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from app.engine.compiled import CompiledForm
from app.engine.loader import load_form_bytes
from app.store import LocalStore, Role
from app.study.forms import instrument_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisteredForm:
    form_id: str
    version: str
    title: str
    added: bool  # False when this version was already stored


class FormLibrary:
    """Compiled forms by (form_id, version), loaded once from the store."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._forms: dict[tuple[str, str], CompiledForm] = {}

    def get(self, form_id: str, version: str) -> CompiledForm:
        key = (form_id, version)
        form = self._forms.get(key)
        if form is None:
            info, source, _compiled = self.store.get_form_version(form_id=form_id, version=version)
            form = load_form_bytes(source, info.source_name or f"{form_id}.md")
            self._forms[key] = form
        return form

    def latest(self) -> list[CompiledForm]:
        """The highest stored version of every form (`version_order`), in form_id order.

        Not the one stored last: bundles arrive in any order, and a late one may
        bring an older version than the laptop already has.
        """
        newest: dict[str, tuple[VersionKey, str]] = {}
        for info in self.store.list_form_versions():
            key = (version_order(info.version), info.created_at.isoformat())
            current = newest.get(info.form_id)
            if current is None or key > current[0]:
                newest[info.form_id] = (key, info.version)
        return [self.get(form_id, version) for form_id, (_, version) in sorted(newest.items())]


VersionKey = tuple[tuple[tuple[int, int, str], ...], str]


def version_order(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key for XLSForm versions: runs of digits compare as numbers, so "10" follows
    "9" and "2024061502" follows "2024061501" (ODK's advice: a number that only grows)."""
    parts = re.findall(r"\d+|\D+", version.strip())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts)


def register_study_forms(store: LocalStore, folder: Path) -> list[RegisteredForm]:
    """Store every instrument of the study folder whose version is not stored yet.

    Only supervisors and coordinators may add form versions; for other users
    this returns what is already there (forms reach them in coordinator bundles).
    """
    stored = {(i.form_id, i.version) for i in store.list_form_versions()}
    may_add = store.user.role in (Role.SUPERVISOR, Role.COORDINATOR)
    result: list[RegisteredForm] = []
    for path in instrument_files(folder):
        source = path.read_bytes()
        form = load_form_bytes(source, path.name)
        formdef = form.formdef
        key = (formdef.form_id, formdef.version)
        if key in stored or not may_add:
            result.append(RegisteredForm(formdef.form_id, formdef.version, formdef.title, False))
            continue
        store.add_form_version(
            form_id=formdef.form_id,
            version=formdef.version,
            title=formdef.title,
            source=source,
            source_name=path.name,
        )
        log.info("stored form %s version %s from %s", formdef.form_id, formdef.version, path)
        result.append(RegisteredForm(formdef.form_id, formdef.version, formdef.title, True))
    return result
