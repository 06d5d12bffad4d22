"""What merging leaves for the coordinator: conflicts, likely duplicates, sequence gaps.

Everything here is *derived* from the set of revisions and applied bundles,
never from the order they arrived in, so that every coordinator who imported
the same bundles sees the same queue:

* **conflicts**: submissions with several heads; the provisional winner is
  the head with the latest `finalised_at`, then the smallest `rev_id` (the
  same rule as `Submission.head_rev_id`). `resolve_conflict` records the
  coordinator's decision as a new finalised revision that closes the others.
* **duplicates**: submissions of one form whose business key (institution and
  respondent) is equal, with different instance ids, from different devices.
  Flagged, never merged; a coordinator can mark a group as not duplicates.
* **gaps**: per (device, target) sequence numbers never applied.

`refresh_summaries` and `update_business_keys` are the set-based versions of
the per-submission bookkeeping, used by the importer inside its transaction.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid
import weakref
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select
from sqlmodel import Session

from app.bundle.bulk import insert_many
from app.bundle.errors import BundleError
from app.bundle.target import BundleTarget
from app.bundle.validate import FormCache, validate_document
from app.core.errors import SamluatError
from app.engine.compiled import FIELD, GROUP, CompiledForm
from app.store import errors, repo_forms, repo_submissions
from app.store.canonical import canonical_text, parse_json
from app.store.repo_paradata import EventIn, EventKind
from app.store.tables import (
    Assignment,
    DuplicateDecision,
    ImportedBundle,
    Revision,
    RevisionMerge,
    RevisionStatus,
    Role,
    Submission,
    SubmissionKey,
)
from app.store.tables_bundle import DuplicateVerdict
from app.store.types import utcnow
from app.study.config import StudyConfig, default_study_path, load_study

log = logging.getLogger(__name__)

CHUNK = 500
_REV = Revision.__table__  # type: ignore[attr-defined]
_SUB = Submission.__table__  # type: ignore[attr-defined]
_MERGE = RevisionMerge.__table__  # type: ignore[attr-defined]
_KEY = SubmissionKey.__table__  # type: ignore[attr-defined]
_ASSIGN = Assignment.__table__  # type: ignore[attr-defined]
_IMPORTED = ImportedBundle.__table__  # type: ignore[attr-defined]


def chunks(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    """Sorted slices of at most `size` values (for IN lists)."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


# -- submission summaries ------------------------------------------------------------------


@dataclass(frozen=True)
class RevRow:
    """The fields of a revision that decide its submission's summary."""

    rev_id: str
    instance_id: str
    parent_rev: str | None
    status: str
    finalised_at: datetime | None
    saved_at: datetime


def _heads(revs: list[RevRow], merged: AbstractSet[str]) -> list[RevRow]:
    finalised = [r for r in revs if r.status == RevisionStatus.FINALISED.value]
    with_child = {r.parent_rev for r in finalised if r.parent_rev is not None}
    heads = [r for r in finalised if r.rev_id not in with_child and r.rev_id not in merged]
    heads.sort(key=lambda r: r.rev_id)
    heads.sort(key=lambda r: r.finalised_at or datetime.min, reverse=True)
    return heads


def summary_of(revs: Sequence[RevRow], merged: AbstractSet[str]) -> dict[str, Any]:
    """The summary columns of one submission from all its revisions (and merged-away heads)."""
    heads = _heads(list(revs), merged)
    has_draft = any(r.status == RevisionStatus.DRAFT.value for r in revs)
    state = repo_submissions.summary_state(len(heads), has_draft)
    return {
        "state": state.value,
        "head_rev_id": heads[0].rev_id if heads else None,
        "revision_count": len(revs),
        "last_saved_at": max((r.saved_at for r in revs), default=None),
    }


def refresh_summaries(connection: Connection, instance_ids: Iterable[str]) -> dict[str, str | None]:
    """Recompute `state`, `head_rev_id`, `revision_count`, `last_saved_at` of many submissions.

    Same result as `repo_submissions.refresh_summary`, in a few queries per
    500 submissions. Returns instance id → head revision id.
    """
    head_of: dict[str, str | None] = {}
    for chunk in chunks(instance_ids):
        rows = connection.execute(
            select(
                _REV.c.rev_id,
                _REV.c.instance_id,
                _REV.c.parent_rev,
                _REV.c.status,
                _REV.c.finalised_at,
                _REV.c.saved_at,
            ).where(_REV.c.instance_id.in_(chunk))
        ).all()
        by_instance: dict[str, list[RevRow]] = {i: [] for i in chunk}
        for row in rows:
            by_instance[row.instance_id].append(RevRow(*row))
        merged = {
            str(r[0])
            for r in connection.execute(
                select(_MERGE.c.parent_rev)
                .select_from(_MERGE.join(_REV, _REV.c.rev_id == _MERGE.c.parent_rev))
                .where(_REV.c.instance_id.in_(chunk))
            )
        }
        updates = []
        for instance_id, revs in by_instance.items():
            summary = summary_of(revs, merged)
            head_of[instance_id] = summary["head_rev_id"]
            updates.append(
                {
                    "b_instance": instance_id,
                    "b_state": summary["state"],
                    "b_head": summary["head_rev_id"],
                    "b_count": summary["revision_count"],
                    "b_last": summary["last_saved_at"],
                }
            )
        if updates:
            connection.execute(_UPDATE_SUMMARY, updates)
    return head_of


_UPDATE_SUMMARY = (
    _SUB.update()
    .where(_SUB.c.instance_id == bindparam("b_instance"))
    .values(
        state=bindparam("b_state"),
        head_rev_id=bindparam("b_head"),
        revision_count=bindparam("b_count"),
        last_saved_at=bindparam("b_last"),
    )
)


# -- business keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessKeyRule:
    """Which fields identify the institution and the respondent of a submission.

    The first non-empty field found (anywhere outside repeats) wins; an
    institution of `other_choice` is replaced by the first non-empty
    `institution_other_fields` text. A submission with an assignment uses the
    assignment's institution and respondent when they are set. The field
    names are the study's (`[duplicates]` in forms/study.toml), not code.
    """

    institution_fields: tuple[str, ...] = ()
    institution_other_fields: tuple[str, ...] = ()
    respondent_fields: tuple[str, ...] = ()
    other_choice: str = "other"

    @classmethod
    def of_study(cls, study: StudyConfig | None) -> BusinessKeyRule:
        if study is None:
            return cls()
        key = study.duplicates
        return cls(
            key.institution_fields,
            key.institution_other_fields,
            key.respondent_fields,
            key.other_choice,
        )


@lru_cache(maxsize=1)
def default_key_rule() -> BusinessKeyRule:
    """The rule of the study shipped in forms/ (no flagging without a study file)."""
    path = default_study_path()
    try:
        return BusinessKeyRule.of_study(load_study(path) if path.is_file() else None)
    except SamluatError:
        log.warning("study file %s unusable: likely duplicates are not flagged", path)
        return BusinessKeyRule()


def _normalise(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = unicodedata.normalize("NFC", str(value)).casefold()
    return " ".join(text.split())


KeyPaths = dict[str, tuple[str, ...]]  # a named field → where it sits under `data`

_KEY_PATHS: weakref.WeakKeyDictionary[CompiledForm, dict[BusinessKeyRule, KeyPaths | None]] = (
    weakref.WeakKeyDictionary()
)


def key_paths(form: CompiledForm, rule: BusinessKeyRule | None = None) -> KeyPaths | None:
    """Where the fields `rule` names sit in `form`'s documents (outside repeats), so
    that `document_key` can look them up instead of walking the whole document;
    None when a name occurs twice (then which one wins depends on the walk)."""
    rule = rule or default_key_rule()
    known = _KEY_PATHS.setdefault(form, {})
    if rule in known:
        return known[rule]
    wanted = {*rule.institution_fields, *rule.institution_other_fields, *rule.respondent_fields}
    paths: KeyPaths | None = {}
    stack = [form.root]
    while stack and paths is not None:
        definition = stack.pop()
        for child in definition.children:
            if child.role == GROUP:
                stack.append(child)
            elif child.role == FIELD and child.name in wanted:
                if child.name in paths:
                    paths = None
                    break
                paths[child.name] = child.path[1:]
    known[rule] = paths
    return paths


def document_key(
    document: dict[str, Any],
    rule: BusinessKeyRule | None = None,
    paths: KeyPaths | None = None,
) -> tuple[str, str]:
    """(institution, respondent) from a document alone (no assignment), normalised.

    For each field the rule names, the first non-empty value met in one walk of
    the data wins, as in `business_key`; with `paths` (`key_paths` of the
    document's form) the fields are looked up where they are instead.
    """
    rule = rule or default_key_rule()
    found: dict[str, str] = {}
    if paths is not None:
        data = document.get("data")
        for name, path in paths.items():
            value: Any = data
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            text = _normalise(value) if not isinstance(value, dict) else ""
            if text:
                found[name] = text
    else:
        _walk_for_keys(document.get("data", {}), rule, found)

    def first(names: Sequence[str]) -> str:
        return next((found[name] for name in names if name in found), "")

    institution = first(rule.institution_fields)
    if institution == rule.other_choice:
        institution = first(rule.institution_other_fields) or institution
    return institution, first(rule.respondent_fields)


def _walk_for_keys(data: Any, rule: BusinessKeyRule, found: dict[str, str]) -> None:
    wanted = {*rule.institution_fields, *rule.institution_other_fields, *rule.respondent_fields}
    stack = [data]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if isinstance(value, dict):
                stack.append(value)
            elif key in wanted and key not in found:
                text = _normalise(value)
                if text:
                    found[key] = text


def with_assignment(key: tuple[str, str], assignment: tuple[str, str] | None) -> tuple[str, str]:
    """A document's key with its assignment's institution and respondent, when set, first."""
    if assignment is None:
        return key
    return _normalise(assignment[0]) or key[0], _normalise(assignment[1]) or key[1]


def business_key(
    document: dict[str, Any],
    *,
    assignment: tuple[str, str] | None = None,
    rule: BusinessKeyRule | None = None,
) -> tuple[str, str]:
    """(institution, respondent) of a submission, normalised; empty strings when unknown."""
    return with_assignment(document_key(document, rule), assignment)


@dataclass(frozen=True)
class NewSubmission:
    """A submission inserted by the current transaction (it has no business key row yet)."""

    form_id: str
    device_id: str
    assignment_id: str | None


def update_business_keys(
    connection: Connection,
    head_of: dict[str, str | None],
    rule: BusinessKeyRule | None = None,
    known: dict[str, tuple[str, str]] | None = None,
    new: dict[str, NewSubmission] | None = None,
) -> None:
    """Recompute the business keys of submissions from their current head revision.

    `known` maps revision ids to their `document_key` already computed (their
    documents are not read again); `new` describes submissions inserted in
    this transaction, which need neither a lookup nor a delete.
    """
    known = known or {}
    new = new or {}
    for chunk in chunks(head_of):
        old = [i for i in chunk if i not in new]
        subs: list[tuple[str, str, str, str | None]] = [
            (i, n.form_id, n.device_id, n.assignment_id)
            for i in chunk
            if (n := new.get(i)) is not None
        ]
        if old:
            subs.extend(
                (str(r[0]), str(r[1]), str(r[2]), r[3])
                for r in connection.execute(
                    select(
                        _SUB.c.instance_id, _SUB.c.form_id, _SUB.c.device_id, _SUB.c.assignment_id
                    ).where(_SUB.c.instance_id.in_(old))
                )
            )
        heads = [h for i in chunk if (h := head_of.get(i)) is not None and h not in known]
        keys: dict[str, tuple[str, str]] = {
            h: known[h] for i in chunk if (h := head_of.get(i)) in known
        }
        if heads:
            keys.update(
                (str(k), document_key(parse_json(v), rule))
                for k, v in connection.execute(
                    select(_REV.c.rev_id, _REV.c.document).where(_REV.c.rev_id.in_(heads))
                ).all()
            )
        assignment_ids = [s[3] for s in subs if s[3]]
        assignments = (
            {
                row.id: (row.institution, row.respondent)
                for row in connection.execute(
                    select(_ASSIGN.c.id, _ASSIGN.c.institution, _ASSIGN.c.respondent).where(
                        _ASSIGN.c.id.in_(assignment_ids)
                    )
                )
            }
            if assignment_ids
            else {}
        )
        if old:
            connection.execute(delete(_KEY).where(_KEY.c.instance_id.in_(old)))
        rows = []
        for instance_id, form_id, device_id, assignment_id in sorted(subs):
            head = head_of.get(instance_id)
            if head is None or head not in keys:
                continue
            institution, respondent = with_assignment(
                keys[head], assignments.get(assignment_id) if assignment_id else None
            )
            if not institution or not respondent:
                continue
            key = hashlib.sha256(
                canonical_text([form_id, institution, respondent]).encode("utf-8")
            ).hexdigest()
            rows.append(
                {
                    "instance_id": instance_id,
                    "form_id": form_id,
                    "key_hash": key,
                    "institution": institution,
                    "respondent": respondent,
                    "device_id": device_id,
                }
            )
        insert_many(connection, _KEY, rows)


# -- conflicts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictHead:
    """One of the competing versions of a submission."""

    rev_id: str
    author_id: str
    device_id: str
    finalised_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class ConflictItem:
    """A submission in the conflict queue and its provisional winner."""

    instance_id: str
    form_id: str
    provisional_winner: str
    heads: tuple[ConflictHead, ...]


def conflict_queue(target: BundleTarget) -> list[ConflictItem]:
    """Every unresolved conflict, by instance id, with the same provisional winner everywhere."""
    with target.session() as session:
        out = []
        for conflict in repo_submissions.list_conflicts(session=session):
            heads = repo_submissions.list_heads(session=session, instance_id=conflict.instance_id)
            submission = repo_submissions.get_submission(
                session=session, instance_id=conflict.instance_id
            )
            out.append(
                ConflictItem(
                    instance_id=conflict.instance_id,
                    form_id=submission.form_id,
                    provisional_winner=heads[0].rev_id,
                    heads=tuple(
                        ConflictHead(h.rev_id, h.author_id, h.device_id, h.finalised_at, h.reason)
                        for h in heads
                    ),
                )
            )
        return out


def _check_resolution(session: Session, instance_id: str, document: dict[str, Any]) -> None:
    """A hand-merged document must satisfy its form version, like any incoming record."""
    submission = repo_submissions.get_submission(session=session, instance_id=instance_id)
    row = repo_forms.get_form_version(
        session=session, form_id=submission.form_id, version=submission.form_version
    )
    form = FormCache().get(
        form_id=row.form_id,
        version=row.version,
        source=row.source,
        source_name=row.source_name,
        digest=row.content_hash,
    )
    validate_document(
        form,
        document,
        record=f"the merged version of {instance_id}",
        instance_id=instance_id,
        form_id=submission.form_id,
        form_version=submission.form_version,
    )


def resolve_conflict(
    target: BundleTarget,
    *,
    instance_id: str,
    winner_rev_id: str,
    reason: str,
    document: dict[str, Any] | None = None,
) -> str:
    """Record the coordinator's decision: a new finalised revision closing every head.

    Its parent is `winner_rev_id`, its other parents (`revision_merge`) the
    other heads; its document is the winner's, or `document` (e.g. merged by
    hand). Returns the new revision id.
    """
    require_coordinator(target, "resolve conflicts")
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequiredError("Resolving a conflict needs a reason.")
    if target.user_id is None:
        raise BundleError("Resolving a conflict needs a logged-in user.")
    with target.session(write=True) as session:
        heads = repo_submissions.list_heads(session=session, instance_id=instance_id)
        if len(heads) < 2:
            raise BundleError("This submission has no conflict to resolve.")
        if winner_rev_id not in {h.rev_id for h in heads}:
            raise BundleError("The chosen version is not one of the conflicting versions.")
        if document is not None:
            _check_resolution(session, instance_id, document)
        draft = repo_submissions.start_edit(
            session=session,
            instance_id=instance_id,
            reason=f"conflict resolved: {reason}",
            parent_rev=winner_rev_id,
            user_id=target.user_id,
            device_id=target.device_id,
            events=[EventIn(EventKind.FORM_EDITED, reason=reason)],
        )
        revision = repo_submissions.finalise(
            session=session,
            instance_id=instance_id,
            document=document,
            user_id=target.user_id,
            device_id=target.device_id,
            events=[EventIn(EventKind.FORM_FINALISED, detail={"resolves": len(heads)})],
        )
        connection = session.connection()
        connection.execute(
            insert(_MERGE),
            [
                {"rev_id": revision.rev_id, "parent_rev": h.rev_id}
                for h in heads
                if h.rev_id != winner_rev_id
            ],
        )
        repo_submissions.refresh_summary(session=session, instance_id=instance_id)
        head_of = refresh_summaries(connection, [instance_id])
        update_business_keys(connection, head_of)
        assert draft.rev_id == revision.rev_id
        return revision.rev_id


def require_coordinator(target: BundleTarget, what: str) -> None:
    """Refuse a laptop user who is not a coordinator (a central store's access is its server's)."""
    if target.store is not None and target.store.user.role is not Role.COORDINATOR:
        raise errors.PermissionDeniedError(f"Only a coordinator can {what}.")


# -- duplicates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateMember:
    instance_id: str
    device_id: str


@dataclass(frozen=True)
class DuplicateGroup:
    """Submissions that look like the same interview (same form, institution, respondent)."""

    key_hash: str
    form_id: str
    institution: str
    respondent: str
    members: tuple[DuplicateMember, ...]
    confirmed: bool = False  # a coordinator said: the same interview (both are kept)


def _decided(session: Session, verdict: DuplicateVerdict) -> set[tuple[str, str]]:
    """(key hash, member ids) of the groups a coordinator gave `verdict`."""
    rows = session.execute(
        select(DuplicateDecision.key_hash, DuplicateDecision.instance_ids).where(  # type: ignore[call-overload]
            DuplicateDecision.decision == verdict.value
        )
    ).all()
    return {(str(k), str(ids)) for k, ids in rows}


def likely_duplicates(
    target: BundleTarget, *, include_dismissed: bool = False
) -> list[DuplicateGroup]:
    """Groups of likely duplicates from different devices, by form then key."""
    with target.session() as session:
        connection = session.connection()
        keys = [
            str(r[0])
            for r in connection.execute(
                select(_KEY.c.key_hash)
                .group_by(_KEY.c.key_hash)
                .having(func.count(func.distinct(_KEY.c.device_id)) > 1)
            )
        ]
        dismissed = (
            set() if include_dismissed else _decided(session, DuplicateVerdict.NOT_DUPLICATE)
        )
        confirmed = _decided(session, DuplicateVerdict.DUPLICATE)
        groups = []
        for chunk in chunks(keys):
            members: dict[str, list[Any]] = {}
            for row in connection.execute(select(_KEY).where(_KEY.c.key_hash.in_(chunk))):
                members.setdefault(row.key_hash, []).append(row)
            for key_hash, rows in members.items():
                rows.sort(key=lambda r: r.instance_id)
                ids = canonical_text([r.instance_id for r in rows])
                if (key_hash, ids) in dismissed:
                    continue
                groups.append(
                    DuplicateGroup(
                        key_hash=key_hash,
                        form_id=rows[0].form_id,
                        institution=rows[0].institution,
                        respondent=rows[0].respondent,
                        members=tuple(DuplicateMember(r.instance_id, r.device_id) for r in rows),
                        confirmed=(key_hash, ids) in confirmed,
                    )
                )
        groups.sort(key=lambda g: (g.form_id, g.institution, g.respondent, g.key_hash))
        return groups


def decide_duplicates(
    target: BundleTarget, *, group: DuplicateGroup, duplicate: bool, comment: str = ""
) -> None:
    """Record a coordinator's verdict on a duplicate group (kept; nothing is merged).

    Groups judged different interviews are no longer listed; groups judged the
    same stay listed, marked `confirmed`, until one of them is dealt with.
    """
    require_coordinator(target, "judge likely duplicates")
    with target.session(write=True) as session:
        session.add(
            DuplicateDecision(
                id=str(uuid.uuid4()),
                key_hash=group.key_hash,
                instance_ids=canonical_text(sorted(m.instance_id for m in group.members)),
                decision=(
                    DuplicateVerdict.DUPLICATE if duplicate else DuplicateVerdict.NOT_DUPLICATE
                ).value,
                comment=comment,
                decided_by=target.user_id,
                decided_at=utcnow(),
            )
        )


# -- sequence gaps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Bundles of one device never applied here."""

    device_id: str
    device_name: str
    target: str
    first: int
    last: int
    covered: bool  # a later applied bundle re-carried what these held

    def __str__(self) -> str:
        span = (
            f"bundle {self.first}"
            if self.first == self.last
            else f"bundles {self.first}–{self.last}"
        )
        if self.covered:
            return (
                f"device {self.device_name}: {span} not received "
                "(their contents arrived in a later bundle)"
            )
        return f"device {self.device_name}: {span} missing"


def sequence_gaps(target: BundleTarget) -> list[Gap]:
    """Missing sequence numbers per (device, target), as ranges, by device name."""
    from app.store.tables import Device

    with target.session() as session:
        rows = session.execute(
            select(
                _IMPORTED.c.source_device_id,
                _IMPORTED.c.target,
                _IMPORTED.c.sequence,
                _IMPORTED.c.covers_since,
            ).where(_IMPORTED.c.sequence.is_not(None), _IMPORTED.c.status == "applied")
        ).all()
        names = {d.id: d.name for d in session.execute(select(Device)).scalars()}
    seen: dict[tuple[str, str], dict[int, int]] = {}
    for device_id, bundle_target, sequence, covers_since in rows:
        seen.setdefault((str(device_id), str(bundle_target)), {})[int(sequence)] = int(
            covers_since or sequence
        )
    gaps: list[Gap] = []
    for (device_id, bundle_target), sequences in seen.items():
        covered: set[int] = set()
        for sequence, since in sequences.items():
            covered.update(range(since, sequence))
        missing = [n for n in range(1, max(sequences) + 1) if n not in sequences]
        run: list[int] = []
        for number in [*missing, -1]:
            if run and (number != run[-1] + 1 or (number in covered) != (run[0] in covered)):
                gaps.append(
                    Gap(
                        device_id,
                        names.get(device_id, device_id),
                        bundle_target,
                        run[0],
                        run[-1],
                        run[0] in covered,
                    )
                )
                run = []
            if number > 0:
                run.append(number)
    gaps.sort(key=lambda g: (g.device_name, g.device_id, g.target, g.first))
    return gaps


__all__ = [
    "BusinessKeyRule",
    "ConflictHead",
    "ConflictItem",
    "DuplicateGroup",
    "DuplicateMember",
    "Gap",
    "NewSubmission",
    "RevRow",
    "business_key",
    "conflict_queue",
    "decide_duplicates",
    "default_key_rule",
    "document_key",
    "likely_duplicates",
    "refresh_summaries",
    "resolve_conflict",
    "sequence_gaps",
    "summary_of",
    "update_business_keys",
    "with_assignment",
]
