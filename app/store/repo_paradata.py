"""Paradata: what happened, when, by whom. Append-only (the database refuses changes)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from app.store.canonical import canonical_text
from app.store.tables import ParadataEvent
from app.store.types import utcnow


class EventKind(StrEnum):
    """Kinds of paradata events the store and the UI record."""

    QUESTION_ENTER = "question_enter"
    QUESTION_LEAVE = "question_leave"
    ANSWER_CHANGED = "answer_changed"
    FORM_OPENED = "form_opened"
    FORM_SAVED = "form_saved"
    FORM_FINALISED = "form_finalised"
    FORM_EDITED = "form_edited"
    EDIT_CLOSED_UNCHANGED = "edit_closed_unchanged"
    FORM_CLOSED_EMPTY = "form_closed_empty"  # a new form closed before anything was entered
    FORM_CLOSED = "form_closed"
    LOGIN = "login"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    FORM_VERSION_ADDED = "form_version_added"
    REVIEW_DECIDED = "review_decided"
    BACKUP_MADE = "backup_made"


_UNSET: Any = object()


@dataclass(frozen=True)
class EventIn:
    """An event to record. Values are any JSON-able Python value.

    `old_value`/`new_value` left unset are stored as NULL; set to `None` they
    are stored as JSON ``null`` (e.g. "the answer was empty").
    """

    kind: str
    field: str | None = None
    old_value: Any = _UNSET
    new_value: Any = _UNSET
    reason: str | None = None
    at: datetime | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class EventOut:
    """A recorded event, values decoded."""

    uid: str
    at: datetime
    kind: str
    user_id: str | None
    device_id: str | None
    instance_id: str | None
    rev_id: str | None
    field: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    detail: dict[str, Any] | None


def _value(value: Any) -> str | None:
    return None if value is _UNSET else canonical_text(value)


_INSERT_EVENT = ParadataEvent.__table__.insert()  # type: ignore[attr-defined]


def record_events(
    *,
    session: Session,
    events: Iterable[EventIn],
    user_id: str | None,
    device_id: str | None,
    instance_id: str | None = None,
    rev_id: str | None = None,
) -> int:
    """Append `events` in the session's transaction; returns how many."""
    now = utcnow()
    rows = [
        {
            "uid": uuid.uuid4().hex,
            "at": event.at or now,
            "kind": str(event.kind),
            "user_id": user_id,
            "device_id": device_id,
            "instance_id": instance_id,
            "rev_id": rev_id,
            "field": event.field,
            "old_value": _value(event.old_value),
            "new_value": _value(event.new_value),
            "reason": event.reason,
            "detail": canonical_text(event.detail) if event.detail is not None else None,
        }
        for event in events
    ]
    if rows:
        session.connection().execute(_INSERT_EVENT, rows)
    return len(rows)


def list_events(
    *,
    session: Session,
    instance_id: str | None = None,
    kind: str | None = None,
    user_id: str | None = None,
    limit: int | None = None,
) -> list[EventOut]:
    """Events in the order they were recorded, optionally filtered."""
    query = select(ParadataEvent).order_by(col(ParadataEvent.id))
    if instance_id is not None:
        query = query.where(ParadataEvent.instance_id == instance_id)
    if kind is not None:
        query = query.where(ParadataEvent.kind == str(kind))
    if user_id is not None:
        query = query.where(ParadataEvent.user_id == user_id)
    if limit is not None:
        query = query.limit(limit)
    return [
        EventOut(
            uid=row.uid,
            at=row.at,
            kind=row.kind,
            user_id=row.user_id,
            device_id=row.device_id,
            instance_id=row.instance_id,
            rev_id=row.rev_id,
            field=row.field,
            old_value=json.loads(row.old_value) if row.old_value is not None else None,
            new_value=json.loads(row.new_value) if row.new_value is not None else None,
            reason=row.reason,
            detail=json.loads(row.detail) if row.detail is not None else None,
        )
        for row in session.exec(query)
    ]
