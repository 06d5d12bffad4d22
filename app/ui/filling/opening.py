"""Open a Filling (new, resumed or an edit) off the UI thread, and remember it is open."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.core.i18n import translator
from app.engine.compiled import CompiledForm
from app.fieldwork.filling import Filling
from app.fieldwork.library import FormLibrary
from app.store import LocalStore
from app.study.config import InstrumentRole, StudyConfig
from app.ui.home.cases import Names, form_names, form_role
from app.ui.settings.store import SettingsStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedFilling:
    filling: Filling
    interview: bool  # the study marks this instrument as an interview guide
    names: Names  # the form's name in each language


def display_language(form: CompiledForm, chosen: str | None) -> str | None:
    """The language to show `form` in: the one chosen in Settings, else the app's own
    (a Lao interface shows Lao questions), else the form's default (None)."""
    codes = form.formdef.language_codes()
    for code in (chosen, translator.language):
        if code and code in codes:
            return code
    return None


def _opened(
    filling: Filling, study: StudyConfig | None, settings: SettingsStore, store: LocalStore
) -> OpenedFilling:
    settings.remember_open_draft(store.user.username, filling.instance_id)
    form_id = filling.form.formdef.form_id
    return OpenedFilling(
        filling=filling,
        interview=form_role(study, form_id) == InstrumentRole.INTERVIEW.value,
        names=form_names(study, filling.form),
    )


def start_filling(
    *,
    store: LocalStore,
    library: FormLibrary,
    study: StudyConfig | None,
    settings: SettingsStore,
    form_id: str,
    version: str,
    assignment_id: str | None = None,
) -> OpenedFilling:
    form = library.get(form_id, version)
    filling = Filling.start(
        store=store,
        form=form,
        language=display_language(form, settings.settings.form_language),
        assignment_id=assignment_id,
    )
    log.info("started %s on form %s %s", filling.instance_id, form_id, version)
    return _opened(filling, study, settings, store)


def resume_filling(
    *,
    store: LocalStore,
    library: FormLibrary,
    study: StudyConfig | None,
    settings: SettingsStore,
    instance_id: str,
) -> OpenedFilling:
    filling = Filling.resume(store=store, library=library, instance_id=instance_id)
    return _opened(filling, study, settings, store)


def edit_filling(
    *,
    store: LocalStore,
    library: FormLibrary,
    study: StudyConfig | None,
    settings: SettingsStore,
    instance_id: str,
    reason: str,
) -> OpenedFilling:
    filling = Filling.edit(store=store, library=library, instance_id=instance_id, reason=reason)
    log.info("editing %s", instance_id)
    return _opened(filling, study, settings, store)
