"""What a coordinator sees and decides after merging bundles, in the app.

The bundle service keeps the queues (`app.bundle.merge`: conflicts, likely
duplicates, missing bundles) by ids; this puts the names of people, laptops
and forms on them, and for a conflict the questions whose answers differ
between the competing versions (what the coordinator has to choose between).
Decisions go back through the same service, which records them as revisions
(a resolved conflict) or verdicts (duplicates), so they travel in bundles.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.bundle.keys import list_devices
from app.bundle.merge import (
    DuplicateGroup,
    Gap,
    conflict_queue,
    decide_duplicates,
    document_key,
    likely_duplicates,
    resolve_conflict,
    sequence_gaps,
)
from app.bundle.target import BundleTarget
from app.core.errors import SamluatError
from app.engine.compiled import FieldDef
from app.engine.model import Text
from app.fieldwork.library import FormLibrary
from app.store import LocalStore
from app.study.config import StudyConfig
from app.study.registry import load_registry

log = logging.getLogger(__name__)

MAX_DIFFERENCES = 12  # listed per conflict; the rest are counted


@dataclass(frozen=True)
class VersionView:
    """One of the competing versions of an interview."""

    rev_id: str
    author: str
    device: str
    finalised_at: datetime | None
    reason: str | None
    provisional_winner: bool


@dataclass(frozen=True)
class Difference:
    """An answer that is not the same in every competing version."""

    path: str  # in the document's data, e.g. "systems[2]/owner"
    label: Text  # the question's label in the form's languages (empty if not found)

    def text(self, lang: str | None) -> str:
        """The question's label in `lang` (its path if it has none), with the repeat number."""
        label = self.label.get_text(lang)
        if not label:
            return self.path
        numbers = re.findall(r"\[(\d+)\]", self.path)
        return f"{label} ({', '.join(numbers)})" if numbers else label


@dataclass(frozen=True)
class ConflictView:
    instance_id: str
    form: str  # the form's title
    versions: tuple[VersionView, ...]  # the provisional winner first
    differing: tuple[Difference, ...]  # up to MAX_DIFFERENCES, in form order
    more_differing: int  # how many more
    form_name: Text  # the study's name of the form (empty if not a study form)
    # Whom the interview is about (the winner's answers), so that it can be recognised.
    institution_code: str = ""
    institution: Text = field(default_factory=Text)  # its name in the registry, if there
    respondent: str = ""

    def form_text(self, lang: str | None) -> str:
        return self.form_name.get_text(lang) or self.form

    def about_text(self, lang: str | None) -> str:
        """ "Institution / respondent", as far as the answers say; empty when they do not."""
        institution = self.institution.get_text(lang) or self.institution_code
        return " / ".join(part for part in (institution, self.respondent) if part)


@dataclass(frozen=True)
class DuplicateView:
    group: DuplicateGroup
    form: str
    members: tuple[tuple[str, str], ...]  # (instance id, laptop name)
    institution: Text  # the institution's name from the study's registry (empty if not there)
    form_name: Text  # the study's name of the form (empty if not a study form)

    def institution_text(self, lang: str | None) -> str:
        return self.institution.get_text(lang) or self.group.institution

    def form_text(self, lang: str | None) -> str:
        return self.form_name.get_text(lang) or self.form


@dataclass(frozen=True)
class MergeOverview:
    conflicts: tuple[ConflictView, ...]
    duplicates: tuple[DuplicateView, ...]
    gaps: tuple[Gap, ...]

    @property
    def empty(self) -> bool:
        return not (self.conflicts or self.duplicates or self.gaps)


def merge_overview(store: LocalStore, study: StudyConfig | None = None) -> MergeOverview:
    """The three queues of this coordinator's database, with names (off the UI thread);
    institutions are named from `study`'s registry."""
    target = BundleTarget.from_store(store)
    institutions = _institution_names(study)
    devices = {d.device_id: d.name for d in list_devices(target)}
    users = {u.id: u.display_name or u.username for u in store.list_users()}
    titles = {f.form_id: f.title or f.form_id for f in store.list_form_versions()}
    names = {i.form_id: Text(i.name.as_dict()) for i in study.instruments} if study else {}
    library = FormLibrary(store)
    conflicts = []
    for item in conflict_queue(target):
        heads = sorted(item.heads, key=lambda h: h.rev_id != item.provisional_winner)
        documents = [store.revision_document(rev_id=h.rev_id) for h in heads]
        labels = _labels(library, documents[0])
        institution, respondent = document_key(documents[0])
        differing = [
            Difference(path, labels.get(re.sub(r"\[\d+\]", "", path), Text()))
            for path in differing_answers(documents)
        ]
        conflicts.append(
            ConflictView(
                instance_id=item.instance_id,
                form=titles.get(item.form_id, item.form_id),
                form_name=names.get(item.form_id, Text()),
                versions=tuple(
                    VersionView(
                        rev_id=h.rev_id,
                        author=users.get(h.author_id, h.author_id),
                        device=devices.get(h.device_id, h.device_id),
                        finalised_at=h.finalised_at,
                        reason=h.reason,
                        provisional_winner=h.rev_id == item.provisional_winner,
                    )
                    for h in heads
                ),
                differing=tuple(differing[:MAX_DIFFERENCES]),
                more_differing=max(len(differing) - MAX_DIFFERENCES, 0),
                institution_code=institution,
                institution=institutions.get(institution, Text()),
                respondent=respondent,
            )
        )
    duplicates = tuple(
        DuplicateView(
            group=group,
            form=titles.get(group.form_id, group.form_id),
            form_name=names.get(group.form_id, Text()),
            members=tuple(
                (m.instance_id, devices.get(m.device_id, m.device_id)) for m in group.members
            ),
            institution=institutions.get(group.institution, Text()),
        )
        for group in likely_duplicates(target)
    )
    return MergeOverview(tuple(conflicts), duplicates, tuple(sequence_gaps(target)))


def _institution_names(study: StudyConfig | None) -> dict[str, Text]:
    """Institution names by code, as business keys hold them (case-folded)."""
    if study is None:
        return {}
    try:
        registry = load_registry(study)
    except SamluatError as error:  # a study without a usable registry: codes are shown
        log.info("no institution names for the duplicates list: %s", error)
        return {}
    return {i.code.casefold(): Text(i.name.as_dict()) for i in registry.institutions}


def keep_version(store: LocalStore, *, instance_id: str, rev_id: str, reason: str) -> str:
    """Resolve a conflict in favour of `rev_id`; returns the revision recording it."""
    return resolve_conflict(
        BundleTarget.from_store(store), instance_id=instance_id, winner_rev_id=rev_id, reason=reason
    )


def judge_duplicates(store: LocalStore, *, group: DuplicateGroup, same: bool, comment: str) -> None:
    """Record whether a group of likely duplicates is one interview or several."""
    decide_duplicates(BundleTarget.from_store(store), group=group, duplicate=same, comment=comment)


def differing_answers(documents: list[dict[str, Any]]) -> list[str]:
    """Paths of the answers that are not the same in every document, in form order."""
    flat = [_flatten(d.get("data"), "") for d in documents]
    order: dict[str, None] = {}
    for answers in flat:
        order.update(dict.fromkeys(answers))
    return [path for path in order if len({repr(a.get(path)) for a in flat}) > 1]


def _labels(library: FormLibrary, document: dict[str, Any]) -> dict[str, Text]:
    """Question labels by data path (repeat numbers left out) of a document's form."""
    try:
        form = library.get(str(document.get("form_id")), str(document.get("form_version")))
    except SamluatError:
        return {}  # a form this database lacks: the paths are shown instead
    labels: dict[str, Text] = {}
    stack: list[tuple[FieldDef, str]] = [(child, "") for child in form.root.children]
    while stack:
        definition, prefix = stack.pop()
        path = f"{prefix}/{definition.name}" if prefix else definition.name
        if definition.question is not None:
            labels[path] = definition.question.label
        stack.extend((child, path) for child in definition.children)
    return labels


def _flatten(data: Any, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for name, value in data.items():
            if name == "meta":
                continue  # instance ids and timestamps, not answers
            out.update(_flatten(value, f"{prefix}/{name}" if prefix else name))
    elif isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        for index, item in enumerate(data, start=1):
            out.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix] = data
    return out
