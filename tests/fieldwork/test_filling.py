"""Filling a form against a real encrypted store: autosave, resume, finalise, edit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import paths
from app.fieldwork.filling import Filling, NotReadyError
from app.fieldwork.library import FormLibrary, register_study_forms
from app.store import EventIn, EventKind, LocalStore, Role, create_store, open_store
from app.store.crypto import KdfParams
from app.store.errors import PermissionDeniedError
from app.store.tables import SubmissionState
from tests.engine.formtools import write_form

FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
PASSWORD = "correct horse battery"

FORM = """
| survey |
| | type | name | label | relevant | required | constraint |
| | integer | staff | Staff | | yes | . >= 0 |
| | select_one yn | has_unit | Has a data unit? | | yes | |
| | text | unit | Unit name | ${has_unit} = 'yes' | yes | |
| | begin repeat | system | System | | | |
| | text | sysname | Name | | | |
| | end repeat | | | | | |
| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
| settings |
| | form_id | version | form_title |
| | org | 1 | Organisation |
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    write_form(folder, FORM, name="org.md")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    opened = create_store(
        username="keo", password=PASSWORD, path=tmp_path / "db.sqlite", kdf=FAST_KDF
    )
    yield opened
    opened.close()


def _org_filled(store: LocalStore, study: Path) -> tuple[FormLibrary, Filling]:
    """The study's forms stored; an `org` form started, ready to finalise (3 staff, no unit)."""
    register_study_forms(store, study)
    library = FormLibrary(store)
    filling = Filling.start(store=store, form=library.get("org", "1"))
    filling.session.set_value("staff", 3)
    filling.session.set_value("has_unit", "no")
    return library, filling


def test_register_study_forms_once(store: LocalStore, study: Path) -> None:
    first = register_study_forms(store, study)
    again = register_study_forms(store, study)
    assert [(f.form_id, f.version, f.added) for f in first] == [("org", "1", True)]
    assert [f.added for f in again] == [False]
    assert [f.formdef.title for f in FormLibrary(store).latest()] == ["Organisation"]


def test_answers_survive_closing_the_store_and_resume_exactly(
    tmp_path: Path, store: LocalStore, study: Path
) -> None:
    register_study_forms(store, study)
    library = FormLibrary(store)
    filling = Filling.start(store=store, form=library.get("org", "1"))
    session = filling.session
    session.set_value("staff", 12)
    session.set_value("has_unit", "yes")
    session.set_value("unit", "ສູນຂໍ້ມູນ")
    session.add_repeat(session.root, "system")
    session.set_value("system[2]/sysname", "HMIS")
    session.set_value("has_unit", "no")  # hides `unit`, whose answer stays in the draft
    filling.ui["page"] = 4
    filling.save()
    instance_id = filling.instance_id
    store.close()

    reopened = open_store(username="keo", password=PASSWORD, path=tmp_path / "db.sqlite")
    try:
        resumed = Filling.resume(
            store=reopened, library=FormLibrary(reopened), instance_id=instance_id
        )
        assert resumed.session.snapshot() == session.snapshot()
        assert resumed.ui["page"] == 4
        resumed.session.set_value("has_unit", "yes")
        assert resumed.session.value("unit") == "ສູນຂໍ້ມູນ"
        changes = [
            e
            for e in reopened.events(instance_id=instance_id)
            if e.kind == EventKind.ANSWER_CHANGED
        ]
        assert [(e.field, e.old_value, e.new_value) for e in changes][:3] == [
            ("staff", None, "12"),
            ("has_unit", None, "yes"),
            ("unit", None, "ສູນຂໍ້ມູນ"),
        ]
    finally:
        reopened.close()


def test_finalise_refuses_problems_then_stores_a_revision(store: LocalStore, study: Path) -> None:
    register_study_forms(store, study)
    filling = Filling.start(store=store, form=FormLibrary(store).get("org", "1"))
    with pytest.raises(NotReadyError, match="staff"):
        filling.finalise()
    filling.session.set_value("staff", 3)
    filling.session.set_value("has_unit", "no")
    revision = filling.finalise()
    assert revision.status == "finalised"
    document = store.revision_document(rev_id=revision.rev_id)
    assert document["data"]["staff"] == 3
    assert "unit" not in document["data"]


def test_edit_needs_a_reason_and_makes_a_child_revision(store: LocalStore, study: Path) -> None:
    library, filling = _org_filled(store, study)
    first = filling.finalise()
    with pytest.raises(Exception, match="reason"):
        Filling.edit(store=store, library=library, instance_id=filling.instance_id, reason="  ")
    edit = Filling.edit(
        store=store,
        library=library,
        instance_id=filling.instance_id,
        reason="respondent corrected staff count",
    )
    assert edit.session.value("staff") == "3"
    edit.session.set_value("staff", 4)
    second = edit.finalise()
    history = store.history(instance_id=filling.instance_id)
    assert [r.rev_id for r in history] == [first.rev_id, second.rev_id]
    assert history[1].parent_rev == first.rev_id
    assert history[1].reason == "respondent corrected staff count"
    events = [e for e in store.events(instance_id=filling.instance_id) if e.field == "staff"]
    assert events[-1].new_value == "4" and events[-1].reason == "respondent corrected staff count"


def test_study_forms_folder_registers(store: LocalStore) -> None:
    registered = register_study_forms(store, paths.default_forms_dir())
    assert len(registered) == 5 and all(r.added for r in registered)


AUDIO_FORM = """
| survey |
| | type | name | label |
| | audio | recording | Recording |
| settings |
| | form_id | version |
| | rec | 1 |
"""


def test_attachments_are_stored_linked_and_restored(tmp_path: Path, store: LocalStore) -> None:
    folder = tmp_path / "forms2"
    folder.mkdir()
    write_form(folder, AUDIO_FORM, name="rec.md")
    register_study_forms(store, folder)
    library = FormLibrary(store)
    filling = Filling.start(store=store, form=library.get("rec", "1"))
    audio = tmp_path / "take1.ogg"
    audio.write_bytes(b"OggS" + bytes(range(256)) * 400)
    name = filling.attach(filling.session.node("recording"), audio)
    assert name.endswith(".ogg")
    filling.save()
    resumed = Filling.resume(store=store, library=library, instance_id=filling.instance_id)
    assert resumed.session.value("recording") == name
    assert b"".join(resumed.attachment_bytes(name)) == audio.read_bytes()


@pytest.mark.parametrize(
    ("stored_in_order", "expected"),
    [
        (["9", "10"], "10"),
        (["10", "9"], "10"),  # a late bundle brought the older version
        (["2024061502", "2024061501"], "2024061502"),
        (["1.10", "1.9"], "1.10"),
    ],
)
def test_new_interviews_use_the_highest_version_whatever_order_they_came_in(
    store: LocalStore, tmp_path: Path, stored_in_order: list[str], expected: str
) -> None:
    for version in stored_in_order:
        source = FORM.replace(
            "| | org | 1 | Organisation |", f"| | org | {version} | Org {version} |"
        )
        store.add_form_version(
            form_id="org", version=version, title=f"Org {version}", source=source.encode(),
            source_name="org.md",
        )  # fmt: skip
    assert [f.formdef.version for f in FormLibrary(store).latest()] == [expected]


def test_an_edit_closed_unchanged_leaves_the_interview_finalised(
    store: LocalStore, study: Path
) -> None:
    """Opened for editing (the only way to read its answers again) and closed without a
    change, the interview stayed "being edited" for ever, with a draft nobody wanted."""
    library, filling = _org_filled(store, study)
    first = filling.finalise()
    instance = filling.instance_id

    look = Filling.edit(store=store, library=library, instance_id=instance, reason="only looking")
    assert look.session.value("staff") == "3"
    look.question_entered(look.session.node("staff"))
    look.save()
    store.record_events(events=look.closing_events(), instance_id=instance)
    assert store.load_draft(instance_id=instance) is None
    assert store.list_submissions(state=SubmissionState.FINALISED).total == 1
    events = store.events(instance_id=instance)
    assert [e.kind for e in events[-3:]] == [
        EventKind.QUESTION_ENTER,
        EventKind.FORM_CLOSED,
        EventKind.EDIT_CLOSED_UNCHANGED,
    ]
    assert events[-1].reason == "only looking"

    # Finalised unchanged, it makes no new version either.
    again = Filling.edit(store=store, library=library, instance_id=instance, reason="check")
    assert again.finalise().rev_id == first.rev_id
    assert [r.rev_id for r in store.history(instance_id=instance)] == [first.rev_id]
    assert store.events(instance_id=instance)[-1].kind == EventKind.EDIT_CLOSED_UNCHANGED

    # The first change makes the edit draft, with its reason; it survives closing.
    fix = Filling.edit(store=store, library=library, instance_id=instance, reason="staff count")
    fix.session.set_value("staff", 4)
    fix.save()
    assert not fix.unchanged_edit
    assert fix.closing_events() == [EventIn(EventKind.FORM_CLOSED)]
    draft = store.load_draft(instance_id=instance)
    assert draft is not None and draft.document["data"]["staff"] == 4
    assert draft.reason == "staff count" and draft.parent_rev == first.rev_id
    with pytest.raises(Exception, match="already has an open draft"):
        Filling.edit(store=store, library=library, instance_id=instance, reason="again")


def test_an_edit_is_refused_at_once_to_whoever_may_not_edit(
    tmp_path: Path, store: LocalStore, study: Path
) -> None:
    """Checked when the form opens, not at the first answer typed."""
    _library, filling = _org_filled(store, study)
    filling.finalise()
    store.add_user(username="bounmy", password=PASSWORD, role=Role.ENUMERATOR)
    path = store.path
    store.close()
    other = open_store(username="bounmy", password=PASSWORD, path=path)
    try:
        with pytest.raises(PermissionDeniedError):
            Filling.edit(
                store=other, library=FormLibrary(other), instance_id=filling.instance_id,
                reason="curious",
            )  # fmt: skip
    finally:
        other.close()


def test_a_new_form_is_stored_at_its_first_answer_and_closed_empty_leaves_no_draft(
    store: LocalStore, study: Path
) -> None:
    """Every form opened by mistake (or to look at it) left an empty draft nobody could
    tell apart or remove; the visit itself stays in the paradata."""
    register_study_forms(store, study)
    library = FormLibrary(store)
    looked_at = Filling.start(store=store, form=library.get("org", "1"))
    looked_at.question_entered(looked_at.session.node("staff"))
    looked_at.save()  # an autosave of the form as opened: nothing to store
    assert not looked_at.stored and store.list_submissions().total == 0
    looked_at.close()
    assert store.list_submissions().total == 0
    visit = store.events(kind=EventKind.FORM_CLOSED_EMPTY)
    assert len(visit) == 1 and visit[0].instance_id is None and visit[0].detail is not None
    assert visit[0].detail["instance_id"] == looked_at.instance_id
    assert visit[0].detail["form_id"] == "org"
    assert datetime.fromisoformat(visit[0].detail["opened_at"]) <= datetime.now(UTC)

    answered = Filling.start(store=store, form=library.get("org", "1"))
    answered.question_entered(answered.session.node("staff"))
    answered.session.set_value("staff", 4)
    answered.save()
    assert answered.stored
    draft = store.load_draft(instance_id=answered.instance_id)
    assert draft is not None and draft.document["data"]["staff"] == 4
    kinds = [e.kind for e in store.events(instance_id=answered.instance_id)]
    assert kinds[:3] == [EventKind.FORM_OPENED, EventKind.QUESTION_ENTER, EventKind.ANSWER_CHANGED]
    answered.session.set_value("staff", None)  # emptied again: stored, and it stays
    answered.save()
    answered.close()
    assert store.load_draft(instance_id=answered.instance_id) is not None

    repeated = Filling.start(store=store, form=library.get("org", "1"))
    repeated.session.add_repeat(repeated.session.root, "system")
    repeated.save()
    bookmarked = Filling.start(store=store, form=library.get("org", "1"))
    bookmarked.ui["entry"] = {"bookmarks": ["staff"]}
    bookmarked.save()
    assert repeated.stored and bookmarked.stored
    assert store.list_submissions().total == 3


def test_a_form_with_nothing_to_answer_is_stored_when_finalised(
    tmp_path: Path, store: LocalStore
) -> None:
    folder = tmp_path / "consent"
    folder.mkdir()
    write_form(
        folder,
        """
| survey |
| | type | name | label |
| | note | thanks | Thank you |
| settings |
| | form_id | version |
| | thanks | 1 |
""",
        name="thanks.md",
    )
    register_study_forms(store, folder)
    filling = Filling.start(store=store, form=FormLibrary(store).get("thanks", "1"))
    revision = filling.finalise()
    assert store.list_submissions(state=SubmissionState.FINALISED).total == 1
    assert revision.instance_id == filling.instance_id
