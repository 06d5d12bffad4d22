"""`samluat bundle review` and `samluat bundle reviews`, run in-process on a real database."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import col, select

from app.bundle.export import export_coordinator_bundle
from app.bundle.importer import import_bundle
from app.bundle.reviews import review_feedback
from app.bundle.target import BundleTarget
from app.cli.main import main
from app.store.store import open_store
from app.store.tables import ReviewDecision, ReviewOutcome, Role
from tests.bundle.bundletools import (
    PASSWORD,
    Coordinator,
    as_user,
    content_hash,
    deliver,
    make_field,
    reopen,
    synthetic_documents,
    with_text,
)
from tests.bundle.conftest import Run

# Shares its first 13 characters ("uuid:a6a3a450") with the first synthetic interview.
LOOKALIKE = "uuid:a6a3a450-0000-4000-8000-000000000001"
COMMENT = "The staff count is missing."


def head(coordinator: Coordinator, instance_id: str) -> str:
    [current] = coordinator.store.heads(instance_id=instance_id)
    return current.rev_id


@dataclass
class Interviews:
    """Finalised interviews on the coordinator's (closed) database, and the laptop's file."""

    returned: str
    approved: str
    returned_rev: str
    approved_rev: str
    in_edit: str
    in_conflict: str
    laptop_db: Path
    laptop_user: str


@pytest.fixture
def interviews(coordinator: Coordinator, tmp_path: Path) -> Interviews:
    """Five interviews from one laptop: two to review, a look-alike id, one being edited on
    the coordinator's database and one edited both there and on the laptop (a conflict)."""
    field = make_field(tmp_path, coordinator, "laptop-r")
    documents = synthetic_documents()
    returned = field.interview(dict(documents[0]))
    approved = field.interview(dict(documents[1]))
    in_edit = field.interview(dict(documents[2]))
    in_conflict = field.interview(dict(documents[3]))
    lookalike = copy.deepcopy(dict(documents[4]))
    lookalike["instance_id"] = lookalike["data"]["meta"]["instanceID"] = LOOKALIKE
    field.interview(lookalike)
    deliver(field, coordinator, tmp_path / "out")

    coordinator.store.start_edit(instance_id=in_conflict, reason="typo")
    coordinator.store.autosave(
        instance_id=in_conflict, document=with_text(dict(documents[3]), "theirs")
    )
    coordinator.store.finalise(instance_id=in_conflict)
    field.edit(in_conflict, with_text(dict(documents[3]), "mine"))
    deliver(field, coordinator, tmp_path / "out")
    assert len(coordinator.store.heads(instance_id=in_conflict)) == 2
    coordinator.store.start_edit(instance_id=in_edit, reason="typo")

    coordinator.store.add_user(
        username="sup1", password=PASSWORD, role=Role.SUPERVISOR, display_name="Awa Diallo"
    )
    coordinator.store.add_user(username="enum1", password=PASSWORD, role=Role.ENUMERATOR)
    found = Interviews(
        returned,
        approved,
        head(coordinator, returned),
        head(coordinator, approved),
        in_edit,
        in_conflict,
        field.store.path,
        field.store.user.username,
    )
    field.close()
    coordinator.store.close()
    return found


Snapshot = tuple[str, list[tuple[str, str, str, str]], int]


def snapshot(coordinator: Coordinator) -> Snapshot:
    """The interviews' content, every review decision and the review paradata (store left closed).

    `content_hash` covers submissions and revisions only, so decisions are compared too.
    """
    target = reopen(coordinator)
    with target.session() as session:
        decisions = [
            (d.rev_id, d.decision, d.comment, d.reviewer_id)
            for d in session.exec(select(ReviewDecision).order_by(col(ReviewDecision.id)))
        ]
    events = len(coordinator.store.events(kind="review_decided"))
    state = (content_hash(target), decisions, events)
    coordinator.store.close()
    return state


def lines(out: str) -> list[str]:
    return out.strip().splitlines()


def test_return_and_approve_then_list_the_decisions(
    coordinator: Coordinator, interviews: Interviews, run: Run
) -> None:
    before = snapshot(coordinator)
    code, out = run(["bundle", "reviews", *as_user(coordinator)])
    assert (code, out) == (0, "no interview is returned\n")
    code, out = run(["bundle", "reviews", "--all", *as_user(coordinator)])
    assert (code, out) == (0, "no review decisions\n")

    code, out = run(
        [
            "bundle",
            "review",
            interviews.returned,
            "--return",
            f"  {COMMENT}  ",
            *as_user(coordinator, "sup1"),
        ]
    )
    assert code == 0, out
    assert out == (
        f"returned {interviews.returned} (revision {interviews.returned_rev}) "
        f"to its interviewer: {COMMENT}\n"
    )
    code, out = run(["bundle", "reviews", *as_user(coordinator)])
    assert code == 0, out
    [line] = lines(out)
    assert line.startswith(f"{interviews.returned}  returned  20")
    assert line.endswith(f" UTC  by Awa Diallo: {COMMENT}")  # the reviewer's display name
    assert snapshot(coordinator) != before  # what the refusals below compare sees a decision

    # The decision is stored, on the version reviewed, with its paradata event.
    target = reopen(coordinator)
    [info] = review_feedback(target)
    assert (info.instance_id, info.rev_id, info.decision, info.comment) == (
        interviews.returned,
        interviews.returned_rev,
        ReviewOutcome.REJECTED,
        COMMENT,
    )
    events = coordinator.store.events(instance_id=interviews.returned, kind="review_decided")
    assert [e.reason for e in events] == [COMMENT]
    coordinator.store.close()

    # A unique prefix names the interview; the "uuid:" scheme may be left out.
    code, out = run(
        ["bundle", "review", interviews.approved[5:18].upper(), "--approve", *as_user(coordinator)]
    )
    assert code == 0, out
    assert out == f"approved {interviews.approved} (revision {interviews.approved_rev})\n"

    code, out = run(["bundle", "reviews", "--all", *as_user(coordinator)])
    assert code == 0, out
    listed = {line.split("  ")[0]: line for line in lines(out)}
    assert set(listed) == {interviews.returned, interviews.approved}
    assert listed[interviews.approved].startswith(f"{interviews.approved}  approved  ")
    assert listed[interviews.approved].endswith(" UTC  by coord")  # no display name, no comment
    assert listed[interviews.returned].endswith(f"by Awa Diallo: {COMMENT}")
    code, out = run(["bundle", "reviews", *as_user(coordinator)])
    assert code == 0 and [line.split("  ")[0] for line in lines(out)] == [interviews.returned]
    assert {
        (i.instance_id, i.decision)
        for i in review_feedback(reopen(coordinator), rejected_only=False)
    } == {
        (interviews.returned, ReviewOutcome.REJECTED),
        (interviews.approved, ReviewOutcome.APPROVED),
    }


def test_a_comment_on_several_lines_is_listed_on_one(
    coordinator: Coordinator, interviews: Interviews, run: Run
) -> None:
    hostile = "Staff count\nmissing.\x1b[2J\tPlease ask again."
    code, out = run(
        ["bundle", "review", interviews.returned, "--return", hostile, *as_user(coordinator)]
    )
    assert code == 0, out
    assert out.endswith("to its interviewer: Staff count missing. [2J Please ask again.\n")
    code, out = run(["bundle", "reviews", *as_user(coordinator)])
    assert code == 0 and len(lines(out)) == 1 and "\x1b" not in out
    assert out.endswith("by coord: Staff count missing. [2J Please ask again.\n")
    [info] = review_feedback(reopen(coordinator))
    assert info.comment == hostile  # stored as written; only its display is made safe


@pytest.mark.parametrize(
    ("case", "message"),
    [
        pytest.param(
            "empty comment",
            "error: a return needs a comment: tell the interviewer what to correct",
            id="empty-comment",
        ),
        pytest.param("blank comment", "error: a return needs a comment", id="blank-comment"),
        pytest.param("unknown id", "error: no interview in ", id="unknown-id"),
        pytest.param(
            "short prefix",
            "error: INSTANCE_ID needs at least 8 characters, got 'a6a3a4'",
            id="short-prefix",
        ),
        pytest.param(
            "ambiguous prefix",
            f"error: a6a3a450 matches 2 interviews: {LOOKALIKE}, uuid:a6a3a450-",
            id="ambiguous-prefix",
        ),
        pytest.param(
            "being edited",
            "is being edited: finalise or discard the edit first.",
            id="being-edited",
        ),
        pytest.param(
            "in conflict", "has conflicting versions: resolve the conflict first.", id="in-conflict"
        ),
        pytest.param(
            "enumerator",
            "error: Only a supervisor or coordinator can review interviews.",
            id="enumerator",
        ),
        pytest.param("wrong password", "error: Wrong user name or password.", id="wrong-password"),
        pytest.param(
            "field laptop",
            "error: Interviews are reviewed on the coordinator's database",
            id="field-laptop",
        ),
    ],
)
def test_refusals_say_why_and_change_nothing(
    coordinator: Coordinator, interviews: Interviews, run: Run, case: str, message: str
) -> None:
    before = snapshot(coordinator)
    given = interviews.returned
    verdict = ["--approve"]
    login = as_user(coordinator)
    stdin = PASSWORD + "\n"
    if case == "empty comment":
        verdict = ["--return", ""]
    elif case == "blank comment":
        verdict = ["--return", " \n\t "]
    elif case == "unknown id":
        given = "uuid:00000000-0000-4000-8000-000000000000"
    elif case == "short prefix":
        given = "a6a3a4"
    elif case == "ambiguous prefix":
        given = "a6a3a450"
    elif case == "being edited":
        given = interviews.in_edit
    elif case == "in conflict":
        given = interviews.in_conflict
    elif case == "enumerator":
        login = as_user(coordinator, "enum1")
    elif case == "wrong password":
        stdin = "not-the-password\n"
    elif case == "field laptop":
        login = [
            "--db",
            str(interviews.laptop_db),
            "--user",
            interviews.laptop_user,
            "--password-stdin",
        ]
    code, out = run(["bundle", "review", given, *verdict, *login], stdin=stdin)
    assert code == 1, out
    assert out.startswith("error: ") and message in out
    assert len(lines(out)) == 1  # one clear line, no traceback
    if case in ("being edited", "in conflict", "unknown id"):
        assert given in out
    assert snapshot(coordinator) == before
    if case == "field laptop":  # nor on the laptop
        with open_store(
            username=interviews.laptop_user, password=PASSWORD, path=interviews.laptop_db
        ) as store:
            assert review_feedback(BundleTarget.from_store(store), rejected_only=False) == []


@pytest.mark.parametrize(
    ("verdict", "message"),
    [
        ([], "one of the arguments --approve --return is required"),
        (["--approve", "--return", "fix it"], "argument --return: not allowed with argument"),
        (["--return"], "argument --return: expected one argument"),
    ],
)
def test_the_verdict_is_one_of_approve_or_return(
    coordinator: Coordinator,
    interviews: Interviews,
    capsys: pytest.CaptureFixture[str],
    verdict: list[str],
    message: str,
) -> None:
    before = snapshot(coordinator)
    with pytest.raises(SystemExit) as exited:
        main(["bundle", "review", interviews.returned, *verdict, *as_user(coordinator)])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert snapshot(coordinator) == before


def test_the_interviewer_lists_a_return_once_it_reaches_the_laptop(
    coordinator: Coordinator, interviews: Interviews, run: Run, tmp_path: Path
) -> None:
    login = ["--db", str(interviews.laptop_db), "--user", interviews.laptop_user]
    code, out = run(["bundle", "reviews", *login, "--password-stdin"])
    assert (code, out) == (0, "no interview is returned\n")
    code, out = run(
        ["bundle", "review", interviews.returned, "--return", COMMENT, *as_user(coordinator)]
    )
    assert code == 0, out
    code, out = run(["bundle", "reviews", *login, "--password-stdin"])
    assert (code, out) == (0, "no interview is returned\n")  # not sent yet

    target = reopen(coordinator)
    with open_store(
        username=interviews.laptop_user, password=PASSWORD, path=interviews.laptop_db
    ) as store:
        back = export_coordinator_bundle(target, device_id=store.device_id, folder=tmp_path / "b")
        assert back is not None
        assert import_bundle(BundleTarget.from_store(store), back.path).ok
    code, out = run(["bundle", "reviews", *login, "--password-stdin"])
    assert code == 0, out
    [line] = lines(out)
    assert line.startswith(f"{interviews.returned}  returned  20")
    assert line.endswith(f": {COMMENT}")
    code, out = run(["bundle", "reviews", "--all", *login, "--password-stdin"], stdin="wrong\n")
    assert (code, out) == (1, "error: Wrong user name or password.\n")
