"""One submission being filled: a FormSession whose every change reaches the store.

Saving is split in two so that a UI never blocks on the disk: `prepare_save`
copies the session's state into plain data on the caller's thread (about a
millisecond for a 200-question form), and `write` stores that payload in one
durable transaction, safe to run on a worker thread while the user goes on
typing. Paradata (answer changes with old and new value, question enter and
leave, saves) travels with the next save, so an acknowledged save always
includes the events that led to it.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.errors import SamluatError
from app.engine.compiled import CompiledForm, FieldDef
from app.engine.instance import Node
from app.engine.serialize import document_snapshot, to_document
from app.engine.session import FormSession, Problem
from app.fieldwork.library import FormLibrary
from app.store import EventIn, EventKind, LocalStore, repo_submissions
from app.store.canonical import content_hash
from app.store.repo_submissions import RevisionInfo, SaveAck
from app.store.types import iso, utcnow

log = logging.getLogger(__name__)

UI_STATE_VERSION = 1


class NotReadyError(SamluatError):
    """Finalising was refused: the form still has problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} question(s) still need attention, starting with {problems[0].ref}"
        )


@dataclass(frozen=True)
class StoredFile:
    """A file streamed into the store: `name` is what an answer holds."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class SavePayload:
    """Plain data for one save, detached from the live session."""

    instance_id: str
    document: dict[str, Any]
    ui_state: dict[str, Any]
    events: tuple[EventIn, ...]
    attachments: dict[str, str]


@dataclass(frozen=True)
class EditBase:
    """The finalised version an edit shows until its first change makes the edit draft."""

    rev_id: str
    content_hash: str
    attachments: dict[str, str]


@dataclass(frozen=True)
class NotStoredYet:
    """A new form, opened but not stored: it is, at its first answer, file or bookmark."""

    opened_at: datetime
    opened_hash: str  # the document as opened (defaults, start time)
    assignment_id: str | None


@dataclass
class Filling:
    """A draft being filled (new, resumed, or an edit of a finalised submission).

    A new form is stored at its first answer (file, bookmark): a form opened by
    mistake, or to look at it, leaves no empty draft behind, only one paradata
    event saying it was opened and closed empty (nothing typed is lost: until
    the first answer there is nothing to lose). An edit makes its draft at its
    first change likewise: opened to read the answers and closed (or finalised)
    unchanged, the interview stays the finalised version it was, and its
    paradata says the edit was closed unchanged.
    """

    store: LocalStore
    form: CompiledForm
    session: FormSession
    reason: str | None = None  # the edit reason, attached to every answer change
    ui: dict[str, Any] = field(default_factory=dict)  # page, bookmarks, notes … (UI-owned)
    # Attachment file names used in answers → SHA-256 of the stored bytes.
    attachments: dict[str, str] = field(default_factory=dict)
    _events: list[EventIn] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _edit_base: EditBase | None = None  # an edit with no draft yet (nothing changed)
    _not_stored: NotStoredYet | None = None  # a new form with nothing in it yet

    def __post_init__(self) -> None:
        self.session.listeners.append(self._answer_changed)

    @property
    def instance_id(self) -> str:
        return self.session.instance_id

    # -- opening -------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        store: LocalStore,
        form: CompiledForm,
        language: str | None = None,
        assignment_id: str | None = None,
    ) -> Filling:
        """A new submission; stored by the first save that finds something in it."""
        session = FormSession(form, language=language, properties=_properties(store))
        return cls(
            store=store,
            form=form,
            session=session,
            _not_stored=NotStoredYet(
                opened_at=utcnow(),
                opened_hash=content_hash(to_document(session)),
                assignment_id=assignment_id,
            ),
        )

    @property
    def stored(self) -> bool:
        """Whether the form is in the store (a new form is, from its first answer on)."""
        return self._not_stored is None

    @classmethod
    def resume(cls, *, store: LocalStore, library: FormLibrary, instance_id: str) -> Filling:
        """Reopen a draft exactly as it was last saved (answers, repeats, page)."""
        draft = store.load_draft(instance_id=instance_id)
        if draft is None:
            raise SamluatError(f"{instance_id} has no open draft")
        form = library.get(draft.form_id, draft.form_version)
        ui_state = dict(draft.ui_state or {})
        snapshot = ui_state.pop("snapshot", None)
        if not isinstance(snapshot, dict):
            snapshot = document_snapshot(form, draft.document)
        language = ui_state.pop("language", None)
        session = FormSession.restore(
            form,
            snapshot,
            language=language if isinstance(language, str) else None,
            properties=_properties(store),
            instance_id=instance_id,
        )
        ui_state.pop("version", None)
        with store.db.session() as db_session:
            attachments = repo_submissions.revision_attachments(
                session=db_session, rev_id=draft.rev_id
            )
        return cls(
            store=store,
            form=form,
            session=session,
            reason=draft.reason,
            ui=ui_state,
            attachments=dict(attachments),
        )

    @classmethod
    def edit(
        cls, *, store: LocalStore, library: FormLibrary, instance_id: str, reason: str
    ) -> Filling:
        """Open a finalised submission for editing; `reason` is required.

        Checked now as a draft would be (who may edit, a single version); the
        child draft itself is made by the first save that changes something.
        """
        reason = reason.strip()
        if not reason:
            raise SamluatError("Editing a finalised submission needs a reason.")
        head = store.edit_base(instance_id=instance_id)
        document = store.revision_document(rev_id=head.rev_id)
        form = library.get(str(document.get("form_id")), str(document.get("form_version")))
        session = FormSession.restore(
            form,
            document_snapshot(form, document),
            properties=_properties(store),
            instance_id=instance_id,
        )
        with store.db.session() as db_session:
            links = repo_submissions.revision_attachments(session=db_session, rev_id=head.rev_id)
        return cls(
            store=store,
            form=form,
            session=session,
            reason=reason,
            attachments=dict(links),
            _edit_base=EditBase(head.rev_id, head.content_hash, dict(links)),
        )

    @property
    def unchanged_edit(self) -> bool:
        """An edit whose answers and files are still those of the finalised version."""
        return self._edit_base is not None

    # -- paradata ------------------------------------------------------------------
    def _answer_changed(self, node: Node, old: str, new: str) -> None:
        definition = node.definition
        if not isinstance(definition, FieldDef) or definition.calculate is not None:
            return  # calculations are not answers
        with self._lock:
            self._events.append(
                EventIn(
                    EventKind.ANSWER_CHANGED,
                    field=self.session.ref(node),
                    old_value=old or None,
                    new_value=new or None,
                    reason=self.reason,
                    at=datetime.now(UTC),
                )
            )

    def question_entered(self, node: Node) -> None:
        self._mark(EventKind.QUESTION_ENTER, node)

    def question_left(self, node: Node) -> None:
        self._mark(EventKind.QUESTION_LEAVE, node)

    def _mark(self, kind: str, node: Node) -> None:
        with self._lock:
            self._events.append(EventIn(kind, field=self.session.ref(node), at=datetime.now(UTC)))

    # -- saving --------------------------------------------------------------------
    def _ui_state(self) -> dict[str, Any]:
        return {
            **self.ui,
            "version": UI_STATE_VERSION,
            "language": self.session.language,
            "snapshot": self.session.snapshot(),
        }

    def prepare_save(self, *, explicit: bool = False) -> SavePayload:
        """Copy what must be saved (call on the thread that changes the session)."""
        with self._lock:
            events = tuple(self._events)
            self._events.clear()
        if explicit:
            events += (EventIn(EventKind.FORM_SAVED, at=datetime.now(UTC)),)
        return SavePayload(
            instance_id=self.instance_id,
            document=to_document(self.session),
            ui_state=self._ui_state(),
            events=events,
            attachments=dict(self.attachments),
        )

    def write(self, payload: SavePayload) -> SaveAck:
        """Store a payload durably. On failure its events go back in the queue."""
        try:
            if self._not_stored is not None:
                empty = self._still_empty(payload, self._not_stored)
                if empty is not None:
                    return empty
            if self._edit_base is not None:
                unchanged = self._write_unchanged(payload, self._edit_base)
                if unchanged is not None:
                    return unchanged
            return self.store.autosave(
                instance_id=payload.instance_id,
                document=payload.document,
                ui_state=payload.ui_state,
                events=payload.events,
                attachments=payload.attachments,
            )
        except Exception:
            with self._lock:
                self._events[:0] = payload.events
            raise

    def _still_empty(self, payload: SavePayload, new: NotStoredYet) -> SaveAck | None:
        """Before a new form's first answer nothing is stored (its paradata waits in the
        queue); the first payload with something in it creates the submission here and
        returns None, so that the save goes on as for any draft."""
        if self._empty(payload, new):
            with self._lock:
                self._events[:0] = payload.events
            return SaveAck(payload.instance_id, "", new.opened_hash, utcnow())
        self._store_new(payload.document, payload.ui_state, new)
        return None

    @staticmethod
    def _empty(payload: SavePayload, new: NotStoredYet) -> bool:
        return (
            not payload.attachments
            and not _bookmarked(payload.ui_state)
            and content_hash(payload.document) == new.opened_hash
        )

    def _store_new(
        self, document: dict[str, Any], ui_state: dict[str, Any], new: NotStoredYet
    ) -> None:
        self.store.start_submission(
            form_id=self.form.formdef.form_id,
            form_version=self.form.formdef.version,
            document=document,
            instance_id=self.instance_id,
            ui_state=ui_state,
            assignment_id=new.assignment_id,
            opened_at=new.opened_at,
        )
        self._not_stored = None

    def _write_unchanged(self, payload: SavePayload, base: EditBase) -> SaveAck | None:
        """Before an edit's first change, only its paradata is stored (with the interview,
        no version); a change makes the edit draft here and returns None."""
        if payload.attachments == base.attachments and (
            content_hash(payload.document) == base.content_hash
        ):
            self.store.record_events(events=payload.events, instance_id=payload.instance_id)
            return SaveAck(payload.instance_id, base.rev_id, base.content_hash, utcnow())
        assert self.reason is not None
        self.store.start_edit(
            instance_id=payload.instance_id, reason=self.reason, parent_rev=base.rev_id
        )
        self._edit_base = None
        return None

    def close(self) -> None:
        """Record the closing (after the last save): a new form never stored records one
        event of its own, with no interview; its queued paradata goes with it."""
        new = self._not_stored
        if new is not None:
            detail = {
                "instance_id": self.instance_id,
                "form_id": self.form.formdef.form_id,
                "form_version": self.form.formdef.version,
                "opened_at": iso(new.opened_at),
            }
            if new.assignment_id is not None:
                detail["assignment_id"] = new.assignment_id
            self.store.record_events(events=[EventIn(EventKind.FORM_CLOSED_EMPTY, detail=detail)])
            with self._lock:
                self._events.clear()
            return
        self.store.record_events(events=self.closing_events(), instance_id=self.instance_id)

    def closing_events(self) -> list[EventIn]:
        """What closing the form records: an edit closed unchanged says so, with its reason."""
        events = [EventIn(EventKind.FORM_CLOSED)]
        if self._edit_base is not None:
            events.append(EventIn(EventKind.EDIT_CLOSED_UNCHANGED, reason=self.reason))
        return events

    def save(self, *, explicit: bool = False) -> SaveAck:
        return self.write(self.prepare_save(explicit=explicit))

    # -- attachments ---------------------------------------------------------------
    def store_file(self, path: Path) -> StoredFile:
        """Stream a file into the store; it is not an answer yet (see `use_file`).

        Touches only the store (thread-safe), so a UI runs it on a worker
        thread while the enumerator goes on; the name is content-addressed,
        so the same file is stored once.
        """
        media_type, _encoding = mimetypes.guess_type(path.name)
        with path.open("rb") as stream:
            info = self.store.add_attachment(
                stream=stream, media_type=media_type or "application/octet-stream"
            )
        return StoredFile(f"{info.sha256[:20]}{path.suffix.lower()}", info.sha256, info.size)

    def use_file(self, node: Node, stored: StoredFile) -> None:
        """Answer `node` with a stored file and link it to the draft (session thread)."""
        self.attachments[stored.name] = stored.sha256
        self.session.set_value(node, stored.name)

    def attach(self, node: Node, path: Path) -> str:
        """`store_file` then `use_file`, on one thread. Returns the answer's file name."""
        stored = self.store_file(path)
        self.use_file(node, stored)
        return stored.name

    def attachment_bytes(self, name: str) -> Iterator[bytes]:
        """Stream the stored bytes behind an attachment answer."""
        sha256 = self.attachments.get(name)
        if sha256 is None:
            raise SamluatError(f"no stored file named {name}")
        return self.store.read_attachment(sha256=sha256)

    # -- finishing -----------------------------------------------------------------
    def problems(self) -> list[Problem]:
        return self.session.problems()

    def finalise(self) -> RevisionInfo:
        """Freeze the draft as an immutable revision; refused while problems remain.

        An edit that changed nothing makes no new version: the finalised one it
        showed is returned.
        """
        base = self._edit_base
        if base is not None:
            self.save()  # its paradata; a change made since the last save makes the draft
            if self._edit_base is not None:
                self.store.record_events(
                    events=[EventIn(EventKind.EDIT_CLOSED_UNCHANGED, reason=self.reason)],
                    instance_id=self.instance_id,
                )
                return next(
                    h for h in self.store.history(instance_id=self.instance_id)
                    if h.rev_id == base.rev_id
                )  # fmt: skip
        problems = self.problems()
        if problems:
            raise NotReadyError(problems)
        self.session.stamp_end()
        if self._not_stored is not None:  # (a form with nothing to answer is finalised as is)
            self._store_new(to_document(self.session), self._ui_state(), self._not_stored)
        self.save()
        return self.store.finalise(instance_id=self.instance_id, document=to_document(self.session))


def _bookmarked(ui: dict[str, Any]) -> bool:
    """Whether the views kept a bookmark (a place the interviewer marked) in `ui`."""
    entry, interview = ui.get("entry"), ui.get("interview")
    return bool(
        (isinstance(entry, dict) and entry.get("bookmarks"))
        or (isinstance(interview, dict) and interview.get("bookmark_times"))
    )


def _properties(store: LocalStore) -> dict[str, str]:
    """Values ODK metadata questions read (deviceid, username)."""
    return {"deviceid": f"samluat:{store.device_id}", "username": store.user.username}
