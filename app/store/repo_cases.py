"""Studies, devices and cases (assignments: who is interviewed, by whom, with which form)."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.store import errors
from app.store.tables import Assignment, AssignmentStatus, Device, Study
from app.store.types import utcnow


def create_study(
    *, session: Session, code: str, title: str, description: str = "", study_id: str | None = None
) -> Study:
    """Add a study; `DuplicateError` if the code is taken."""
    if session.exec(select(Study).where(Study.code == code)).first() is not None:
        raise errors.DuplicateError(f"There is already a study with code {code!r}.")
    study = Study(
        id=study_id or str(uuid.uuid4()),
        code=code,
        title=title,
        description=description,
        created_at=utcnow(),
    )
    session.add(study)
    session.flush()
    return study


def list_studies(*, session: Session) -> list[Study]:
    """All studies by code."""
    return list(session.exec(select(Study).order_by(col(Study.code))))


def register_local_device(*, session: Session, name: str | None = None) -> Device:
    """Create the row for this machine (once, when the database is created)."""
    existing = get_local_device(session=session)
    if existing is not None:
        return existing
    device = Device(
        id=str(uuid.uuid4()),
        name=name or socket.gethostname() or "laptop",
        is_local=True,
        registered_at=utcnow(),
    )
    session.add(device)
    session.flush()
    return device


def get_local_device(*, session: Session) -> Device | None:
    """This machine's device row."""
    return session.exec(select(Device).where(col(Device.is_local).is_(True))).first()


@dataclass(frozen=True)
class AssignmentInfo:
    id: str
    study_id: str | None
    form_id: str
    form_version: str | None
    institution: str
    cluster: str
    province: str
    respondent: str
    assigned_to: str | None
    status: AssignmentStatus
    notes: str
    updated_at: datetime

    @classmethod
    def of(cls, row: Assignment) -> AssignmentInfo:
        return cls(
            id=row.id,
            study_id=row.study_id,
            form_id=row.form_id,
            form_version=row.form_version,
            institution=row.institution,
            cluster=row.cluster,
            province=row.province,
            respondent=row.respondent,
            assigned_to=row.assigned_to,
            status=AssignmentStatus(row.status),
            notes=row.notes,
            updated_at=row.updated_at,
        )


def create_assignment(
    *,
    session: Session,
    form_id: str,
    created_by: str | None,
    study_id: str | None = None,
    form_version: str | None = None,
    institution: str = "",
    cluster: str = "",
    province: str = "",
    respondent: str = "",
    assigned_to: str | None = None,
    notes: str = "",
    assignment_id: str | None = None,
) -> AssignmentInfo:
    """Add a case to be interviewed."""
    now = utcnow()
    row = Assignment(
        id=assignment_id or str(uuid.uuid4()),
        study_id=study_id,
        form_id=form_id,
        form_version=form_version,
        institution=institution,
        cluster=cluster,
        province=province,
        respondent=respondent,
        assigned_to=assigned_to,
        status=AssignmentStatus.PENDING.value,
        notes=notes,
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return AssignmentInfo.of(row)


def set_assignment_status(
    *, session: Session, assignment_id: str, status: AssignmentStatus
) -> AssignmentInfo:
    """Change a case's status."""
    row = session.get(Assignment, assignment_id)
    if row is None:
        raise errors.NotFoundError("No such case.")
    row.status = AssignmentStatus(status).value
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return AssignmentInfo.of(row)


def list_assignments(
    *,
    session: Session,
    assigned_to: str | None = None,
    status: AssignmentStatus | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[AssignmentInfo]:
    """Cases, most recently updated first (`limit=None`: all of them)."""
    query = select(Assignment).order_by(col(Assignment.updated_at).desc(), col(Assignment.id))
    if assigned_to is not None:
        query = query.where(Assignment.assigned_to == assigned_to)
    if status is not None:
        query = query.where(Assignment.status == AssignmentStatus(status).value)
    return [AssignmentInfo.of(r) for r in session.exec(query.limit(limit).offset(offset))]
