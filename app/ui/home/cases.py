"""What the home screen shows, read from the store on a worker thread (no Qt here).

A *case* is an assignment (who is to be interviewed with which form), a
submission, or both when the submission was started from the assignment.
Institution, cluster and province of a submission come from its answers: the
first question (outside repeats) whose choice list is the study's institution
or cluster list, or a list called ``province``. Names are kept in every
language so that the list re-renders on a language switch without a reload
and so that Lao text is searchable whatever the UI language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from app.core.errors import SamluatError
from app.engine.compiled import CompiledForm
from app.engine.model import Group, Question, Repeat
from app.fieldwork.library import FormLibrary
from app.store import LocalStore, RevisionStatus, SubmissionState
from app.store.repo_cases import AssignmentInfo
from app.store.repo_reviews import ReviewInfo
from app.store.repo_submissions import SubmissionRow
from app.store.tables import ReviewOutcome, Revision
from app.store.tables_bundle import ItemKind, OutgoingItem
from app.study.config import InstrumentRole, StudyConfig

log = logging.getLogger(__name__)

Names = Mapping[str, str]  # language code → text

CASE_ATTRIBUTES = ("institution", "cluster", "province")
RETURNED, APPROVED = "returned", "approved"  # review decisions, as shown statuses
PROVINCE_LIST = "province"
RECENT_LIMIT = 10
PAGE_SIZE = 500


def pick(names: Names, language: str, fallback: str = "") -> str:
    """The text in `language`, else English, else any, else `fallback`."""
    for code in (language, "en"):
        text = names.get(code)
        if text:
            return text
    for text in names.values():
        if text:
            return text
    return fallback


@dataclass(frozen=True)
class FormEntry:
    form_id: str
    version: str
    names: Names
    role: str  # an InstrumentRole value, or "survey" for forms outside the study file
    question_count: int


@dataclass(frozen=True)
class Coded:
    """A coded answer (institution, cluster, province) with its names."""

    code: str = ""
    names: Names = field(default_factory=dict)

    def text(self, language: str) -> str:
        return pick(self.names, language, self.code)


@dataclass(frozen=True)
class CaseRow:
    form_id: str
    form_names: Names
    status: str  # a submission state, or an assignment status when nothing was started
    instance_id: str | None = None
    assignment_id: str | None = None
    institution: Coded = Coded()
    cluster: Coded = Coded()
    province: Coded = Coded()
    respondent: str = ""
    interviewer: str = ""
    interviewer_id: str | None = None
    updated_at: datetime | None = None
    search_text: str = ""  # every language, case-folded
    review: str = ""  # the latest decision on the current version: "approved" or "rejected"
    review_comment: str = ""
    reviewer: str = ""

    @property
    def shown_status(self) -> str:
        """The status people see: a reviewed finalised form shows the decision."""
        if self.status == SubmissionState.FINALISED.value and self.review:
            return RETURNED if self.review == ReviewOutcome.REJECTED.value else APPROVED
        return self.status


@dataclass(frozen=True)
class HomeData:
    study_names: Names
    forms: list[FormEntry]
    cases: list[CaseRow]
    drafts: list[CaseRow]  # the user's open drafts and edits, newest first
    recent: list[CaseRow]  # recently finalised, newest first
    returned: list[CaseRow]  # the user's forms returned for correction, newest first
    unexported: int  # finalised forms with a version not yet in an exported bundle


def form_role(study: StudyConfig | None, form_id: str) -> str:
    if study is not None:
        for instrument in study.instruments:
            if instrument.form_id == form_id:
                return instrument.role.value
    return InstrumentRole.SURVEY.value


def form_names(study: StudyConfig | None, form: CompiledForm) -> Names:
    formdef = form.formdef
    if study is not None:
        for instrument in study.instruments:
            if instrument.form_id == formdef.form_id:
                return instrument.name.as_dict()
    return {"en": formdef.title or formdef.form_id}


class _FormCaseFields:
    """Where a form keeps the case attributes, and their names per code."""

    def __init__(self, form: CompiledForm, study: StudyConfig | None) -> None:
        lists = {
            "institution": study.choices.institution_list if study else "institution",
            "cluster": study.choices.cluster_list if study else "cluster",
            "province": PROVINCE_LIST,
        }
        self.paths: dict[str, tuple[str, ...]] = {}
        self.names: dict[str, dict[str, Names]] = {}
        formdef = form.formdef
        for attribute, list_name in lists.items():
            choice_list = formdef.choice_lists.get(list_name)
            if choice_list is not None:
                self.names[attribute] = {c.name: dict(c.label) for c in choice_list.choices}
        self._find(formdef.children, lists, formdef.root_name)

    def _find(self, elements: Any, lists: dict[str, str], root: str) -> None:
        for element in elements:
            if isinstance(element, Repeat):
                continue  # an attribute of the case, not of one repeat instance
            if isinstance(element, Group):
                self._find(element.children, lists, root)
            elif isinstance(element, Question) and element.choice_list:
                for attribute, list_name in lists.items():
                    if element.choice_list == list_name and attribute not in self.paths:
                        path = element.path[1:] if element.path[:1] == (root,) else element.path
                        self.paths[attribute] = tuple(path)

    def coded(self, attribute: str, code: str) -> Coded:
        if not code:
            return Coded()
        return Coded(code, self.names.get(attribute, {}).get(code, {}))

    def read(self, document: Mapping[str, Any]) -> dict[str, Coded]:
        data = document.get("data", {})
        found: dict[str, Coded] = {}
        for attribute, path in self.paths.items():
            value: Any = data
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            found[attribute] = self.coded(attribute, value if isinstance(value, str) else "")
        return found


def _search_text(row: CaseRow) -> str:
    parts = [row.respondent, row.interviewer, row.status, row.instance_id or "", row.review_comment]
    parts += list(row.form_names.values())
    for coded in (row.institution, row.cluster, row.province):
        parts.append(coded.code)
        parts += list(coded.names.values())
    return " ".join(p for p in parts if p).casefold()


def all_submissions(store: LocalStore) -> list[SubmissionRow]:
    rows: list[SubmissionRow] = []
    while True:
        page = store.list_submissions(limit=PAGE_SIZE, offset=len(rows))
        rows.extend(page.rows)
        if not page.rows or len(rows) >= page.total:
            return rows


def unexported_count(store: LocalStore) -> int:
    """Forms (submissions) with a finalised version made on this computer that is in no
    exported bundle yet. Forms, not versions: a form edited after it was finalised is
    one case in the list and one here, not two.

    A stand-in until the bundle service offers this count itself: it reads the
    revisions and the items of the bundles this database wrote (`outgoing_item`).
    """
    written = select(OutgoingItem.item_key).where(OutgoingItem.kind == ItemKind.REVISION.value)
    query = (
        select(func.count(func.distinct(Revision.instance_id)))
        .select_from(Revision)
        .where(
            Revision.status == RevisionStatus.FINALISED.value,
            Revision.device_id == store.device_id,
            col(Revision.rev_id).not_in(written),
        )
    )
    with store.session() as session:
        return int(session.exec(query).one())


def load_home(*, store: LocalStore, library: FormLibrary, study: StudyConfig | None) -> HomeData:
    """Everything the home screen shows (runs on a worker)."""
    forms: list[FormEntry] = []
    fields_by_form: dict[tuple[str, str], _FormCaseFields] = {}
    names_by_form: dict[str, Names] = {}
    for form in library.latest():
        formdef = form.formdef
        names = form_names(study, form)
        names_by_form[formdef.form_id] = names
        fields_by_form[(formdef.form_id, formdef.version)] = _FormCaseFields(form, study)
        forms.append(
            FormEntry(
                form_id=formdef.form_id,
                version=formdef.version,
                names=names,
                role=form_role(study, formdef.form_id),
                question_count=formdef.count_questions(),
            )
        )
    if study is not None:
        order = {i.form_id: n for n, i in enumerate(study.instruments)}
        forms.sort(key=lambda f: (order.get(f.form_id, len(order)), f.form_id))

    def case_fields(form_id: str, version: str | None) -> _FormCaseFields | None:
        if version is not None and (form_id, version) not in fields_by_form:
            try:
                fields_by_form[(form_id, version)] = _FormCaseFields(
                    library.get(form_id, version), study
                )
            except SamluatError:
                log.warning("form %s %s cannot be loaded", form_id, version)
                return None
        if version is None:
            for (fid, _v), found in fields_by_form.items():
                if fid == form_id:
                    return found
            return None
        return fields_by_form[(form_id, version)]

    users = {u.id: (u.display_name or u.username) for u in store.list_users()}
    reviews = store.head_reviews()
    submissions = all_submissions(store)
    assignments = {a.id: a for a in store.list_assignments(limit=100_000)}
    cases: list[CaseRow] = []
    started: set[str] = set()
    for row in submissions:
        assignment = assignments.get(row.assignment_id or "")
        if assignment is not None:
            started.add(assignment.id)
        found = case_fields(row.form_id, row.form_version)
        attributes = _submission_attributes(store, row, found)
        if assignment is not None and found is not None:
            # The case's own attributes fill what the answers do not (yet) say.
            for key in CASE_ATTRIBUTES:
                if not attributes.get(key, Coded()).code:
                    attributes[key] = found.coded(key, getattr(assignment, key))
        cases.append(
            _with_search(
                CaseRow(
                    form_id=row.form_id,
                    form_names=names_by_form.get(row.form_id, {"en": row.form_id}),
                    status=row.state.value,
                    instance_id=row.instance_id,
                    assignment_id=row.assignment_id,
                    institution=attributes.get("institution", Coded()),
                    cluster=attributes.get("cluster", Coded()),
                    province=attributes.get("province", Coded()),
                    respondent=assignment.respondent if assignment else "",
                    interviewer=users.get(row.created_by, ""),
                    interviewer_id=row.created_by,
                    updated_at=row.last_saved_at,
                    **_review_fields(reviews.get(row.instance_id), users),
                )
            )
        )
    for assignment in assignments.values():
        if assignment.id in started:
            continue
        cases.append(_assignment_row(assignment, case_fields, names_by_form, users))
    mine = store.user.id
    drafts = [
        c
        for c in cases
        if c.instance_id
        and c.status in (SubmissionState.DRAFT.value, SubmissionState.EDITING.value)
        and c.interviewer_id == mine
    ]
    recent = [c for c in cases if c.status == SubmissionState.FINALISED.value][:RECENT_LIMIT]
    returned = [c for c in cases if c.shown_status == RETURNED and c.interviewer_id == mine]
    return HomeData(
        study_names=study.name.as_dict() if study else {},
        forms=forms,
        cases=cases,
        drafts=drafts,
        recent=recent,
        returned=returned,
        unexported=unexported_count(store),
    )


def _review_fields(review: ReviewInfo | None, users: Mapping[str, str]) -> dict[str, str]:
    if review is None:
        return {}
    return {
        "review": review.decision.value,
        "review_comment": review.comment,
        "reviewer": users.get(review.reviewer_id, review.reviewer_id),
    }


def _with_search(row: CaseRow) -> CaseRow:
    return replace(row, search_text=_search_text(row))


def _submission_attributes(
    store: LocalStore, row: SubmissionRow, found: _FormCaseFields | None
) -> dict[str, Coded]:
    if found is None or not found.paths:
        return {}
    try:
        if row.state in (SubmissionState.DRAFT, SubmissionState.EDITING):
            draft = store.load_draft(instance_id=row.instance_id)
            document = draft.document if draft else {}
        elif row.head_rev_id:
            document = store.revision_document(rev_id=row.head_rev_id)
        else:
            document = {}
    except SamluatError:
        log.warning("cannot read submission %s for the case list", row.instance_id)
        return {}
    return found.read(document)


def _assignment_row(
    assignment: AssignmentInfo,
    case_fields: Any,
    names_by_form: Mapping[str, Names],
    users: Mapping[str, str],
) -> CaseRow:
    found: _FormCaseFields | None = case_fields(assignment.form_id, assignment.form_version)

    def coded(attribute: str, code: str) -> Coded:
        return found.coded(attribute, code) if found else Coded(code, {})

    return _with_search(
        CaseRow(
            form_id=assignment.form_id,
            form_names=names_by_form.get(assignment.form_id, {"en": assignment.form_id}),
            status=assignment.status.value,
            assignment_id=assignment.id,
            institution=coded("institution", assignment.institution),
            cluster=coded("cluster", assignment.cluster),
            province=coded("province", assignment.province),
            respondent=assignment.respondent,
            interviewer=users.get(assignment.assigned_to or "", ""),
            interviewer_id=assignment.assigned_to,
            updated_at=assignment.updated_at,
        )
    )
