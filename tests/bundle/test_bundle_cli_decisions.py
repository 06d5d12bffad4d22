"""`samluat bundle resolve` and `samluat bundle decide`, run in-process on a real database."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.bundle.merge import conflict_queue, likely_duplicates
from app.cli.main import main
from app.store import repo_submissions
from app.store.store import LocalStore
from app.store.tables import Role
from tests.bundle.bundletools import (
    DESK,
    PASSWORD,
    Coordinator,
    add_form,
    as_user,
    deliver,
    make_field,
    reopen,
    synthetic_documents,
    with_text,
)
from tests.bundle.conftest import Run

# Two heads whose ids share their first 9 characters ("c0ffee00-" is ambiguous).
COORD_REV = "c0ffee00-aaaa-4000-8000-000000000001"
FIELD_REV = "c0ffee00-bbbb-4000-8000-000000000002"


def edit_with_id(
    store: LocalStore, instance_id: str, document: dict[str, Any], rev_id: str
) -> None:
    """Edit and finalise a submission as `store`'s user, the new revision being `rev_id`."""
    with store.session(write=True) as session:
        repo_submissions.start_edit(
            session=session,
            instance_id=instance_id,
            reason="wording",
            user_id=store.user.id,
            device_id=store.device_id,
            rev_id=rev_id,
        )
    store.autosave(instance_id=instance_id, document=document)
    store.finalise(instance_id=instance_id)


@dataclass
class Conflict:
    instance_id: str
    document: dict[str, Any]


@pytest.fixture
def conflict(coordinator: Coordinator, tmp_path: Path) -> Conflict:
    """An interview edited both by the coordinator and on the laptop; the store is left closed."""
    field = make_field(tmp_path, coordinator, "laptop-c")
    document = dict(synthetic_documents()[1])
    instance = field.interview(document)
    deliver(field, coordinator, tmp_path / "out")
    edit_with_id(coordinator.store, instance, with_text(document, "coordinator's"), COORD_REV)
    edit_with_id(field.store, instance, with_text(document, "interviewer's"), FIELD_REV)
    deliver(field, coordinator, tmp_path / "out")
    field.close()
    [item] = conflict_queue(coordinator.target)
    assert {h.rev_id for h in item.heads} == {COORD_REV, FIELD_REV}
    coordinator.store.add_user(username="enum1", password=PASSWORD, role=Role.ENUMERATOR)
    coordinator.store.close()
    return Conflict(instance, document)


def test_resolve_by_prefix(coordinator: Coordinator, conflict: Conflict, run: Run) -> None:
    code, out = run(["bundle", "conflicts", *as_user(coordinator)])
    assert code == 0 and "1 conflict(s)" in out
    code, out = run(
        [
            "bundle",
            "resolve",
            conflict.instance_id,
            "--keep",
            "C0FFEE00-BB",  # a unique prefix (in capitals: ids are lower-case hex)
            "--reason",
            "the interviewer was there",
            *as_user(coordinator),
        ]
    )
    assert code == 0, out
    assert f"resolved {conflict.instance_id}: kept {FIELD_REV}, recorded as revision " in out
    new = out.split("recorded as revision ")[1].split()[0]
    target = reopen(coordinator)
    assert conflict_queue(target) == []
    assert [h.rev_id for h in coordinator.store.heads(instance_id=conflict.instance_id)] == [new]
    history = {r.rev_id: r for r in coordinator.store.history(instance_id=conflict.instance_id)}
    assert history[new].parent_rev == FIELD_REV
    assert "the interviewer was there" in (history[new].reason or "")
    document = coordinator.store.revision_document(rev_id=new)
    assert document == coordinator.store.revision_document(rev_id=FIELD_REV)
    code, out = run(["bundle", "conflicts", *as_user(coordinator)])
    assert code == 0 and "0 conflict(s)" in out


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        ("c0ffee00", "matches several of the conflicting versions of"),
        ("c0ffee00-", "matches several"),
        ("deadbeef", "matches none of the conflicting versions of"),
        ("c0ffee", "--keep needs at least 8 characters"),
    ],
)
def test_resolve_refuses_ambiguous_or_unknown_versions(
    coordinator: Coordinator, conflict: Conflict, run: Run, keep: str, message: str
) -> None:
    code, out = run(
        [
            "bundle",
            "resolve",
            conflict.instance_id,
            "--keep",
            keep,
            "--reason",
            "x",
            *as_user(coordinator),
        ]
    )
    assert code == 1, out
    assert out.startswith("error: ") and message in out
    if "matches" in message:  # the heads are named, to pick from
        assert COORD_REV in out and FIELD_REV in out
    assert len(conflict_queue(reopen(coordinator))) == 1  # nothing changed


def test_resolve_needs_a_reason(
    coordinator: Coordinator, conflict: Conflict, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bundle", "resolve", conflict.instance_id, "--keep", FIELD_REV, *as_user(coordinator)]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "the following arguments are required: --reason" in capsys.readouterr().err
    code, out = run([*argv, "--reason", "   "])
    assert code == 1 and "error: Resolving a conflict needs a reason." in out
    assert len(conflict_queue(reopen(coordinator))) == 1


def test_resolve_elsewhere_or_by_another_role_is_refused(
    coordinator: Coordinator, conflict: Conflict, run: Run
) -> None:
    argv = ["bundle", "resolve", "--keep", FIELD_REV, "--reason", "x"]
    code, out = run([*argv, conflict.instance_id, *as_user(coordinator, "enum1")])
    assert code == 1 and "error: Only a coordinator can resolve conflicts." in out
    code, out = run([*argv, "uuid:not-in-conflict", *as_user(coordinator)])
    assert code == 1 and "uuid:not-in-conflict has no conflict to resolve" in out
    assert len(conflict_queue(reopen(coordinator))) == 1


def test_resolve_with_a_hand_merged_document(
    coordinator: Coordinator, conflict: Conflict, run: Run, tmp_path: Path
) -> None:
    argv = ["bundle", "resolve", conflict.instance_id, "--keep", COORD_REV]
    bad = tmp_path / "merged-bad.json"
    bad.write_text('{"instance_id": ', encoding="utf-8")
    code, out = run([*argv, "--reason", "merged", "--document", str(bad), *as_user(coordinator)])
    assert code == 1 and f"error: {bad}: not valid JSON" in out
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    code, out = run([*argv, "--reason", "merged", "--document", str(listed), *as_user(coordinator)])
    assert code == 1 and f"{listed}: not a document" in out
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 30_000 + "]" * 30_000, encoding="utf-8")
    code, out = run([*argv, "--reason", "merged", "--document", str(deep), *as_user(coordinator)])
    assert code == 1 and f"error: {deep}: not valid JSON: nested too deeply" in out
    assert len(conflict_queue(reopen(coordinator))) == 1
    coordinator.store.close()

    merged = tmp_path / "merged.json"
    merged.write_text(json.dumps(with_text(conflict.document, "both, merged")), encoding="utf-8")
    code, out = run([*argv, "--reason", "merged", "--document", str(merged), *as_user(coordinator)])
    assert code == 0, out
    new = out.split("recorded as revision ")[1].split()[0]
    reopen(coordinator)
    assert conflict_queue(coordinator.target) == []
    assert "both, merged" in json.dumps(coordinator.store.revision_document(rev_id=new))


# -- likely duplicates ---------------------------------------------------------------------------


def clone(document: dict[str, Any], instance_id: str) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["instance_id"] = instance_id
    out["data"]["meta"]["instanceID"] = instance_id
    return out


@pytest.fixture
def duplicates(coordinator: Coordinator, tmp_path: Path) -> str:
    """One group of likely duplicates (two laptops, one respondent); returns its key hash."""
    laptops = [make_field(tmp_path, coordinator, name) for name in ("laptop-d", "laptop-e")]
    for laptop in laptops:
        laptop.form = add_form(laptop.store, DESK)
    original = dict(synthetic_documents(DESK, 4)[0])
    laptops[0].interview(original)
    laptops[1].interview(clone(original, "uuid:00000000-0000-4000-8000-00000000dup1"))
    laptops[0].interview(dict(synthetic_documents(DESK, 4)[1]))
    for laptop in laptops:
        deliver(laptop, coordinator, tmp_path / "out")
        laptop.close()
    [group] = likely_duplicates(coordinator.target)
    coordinator.store.add_user(username="enum1", password=PASSWORD, role=Role.ENUMERATOR)
    coordinator.store.close()
    return group.key_hash


def test_decide_same_keeps_the_group_listed_as_confirmed(
    coordinator: Coordinator, duplicates: str, run: Run
) -> None:
    code, out = run(["bundle", "duplicates", *as_user(coordinator)])
    assert code == 0 and "1 group(s)" in out
    [line] = [line for line in out.splitlines() if line.startswith(duplicates[:12] + "  ")]
    assert "confirmed" not in line
    members = [m for m in out.splitlines() if m.startswith("  uuid:")]
    assert len(members) == 2  # each named by its laptop's name, as in the other listings
    assert all(re.search(r" from \S.* \([0-9a-f]{8}\)$", m) for m in members), members
    code, out = run(
        [
            "bundle",
            "decide",
            duplicates[:8],
            "--same",
            "--comment",
            "same visit",
            *as_user(coordinator),
        ]
    )
    assert code == 0, out
    assert f"group {duplicates[:12]} (" in out and "recorded as the same interview" in out
    code, out = run(["bundle", "duplicates", *as_user(coordinator)])
    assert code == 0 and "1 group(s)" in out
    [line] = [line for line in out.splitlines() if line.startswith(duplicates[:12] + "  ")]
    assert line.endswith("(confirmed: the same interview)")
    assert [g.confirmed for g in likely_duplicates(reopen(coordinator))] == [True]


def test_decide_different_hides_the_group(
    coordinator: Coordinator, duplicates: str, run: Run
) -> None:
    code, out = run(["bundle", "decide", duplicates.upper(), "--different", *as_user(coordinator)])
    assert code == 0, out
    assert "recorded as different interviews" in out
    code, out = run(["bundle", "duplicates", *as_user(coordinator)])
    assert code == 0 and "0 group(s)" in out and duplicates[:12] not in out
    assert likely_duplicates(reopen(coordinator)) == []


def test_decide_refuses_unknown_groups_and_needs_a_verdict(
    coordinator: Coordinator, duplicates: str, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "0" * 8 if not duplicates.startswith("0" * 8) else "f" * 8
    code, out = run(["bundle", "decide", unknown, "--same", *as_user(coordinator)])
    assert code == 1
    assert f"error: no listed group of likely duplicates starts with {unknown}" in out
    code, out = run(["bundle", "decide", duplicates[:7], "--same", *as_user(coordinator)])
    assert code == 1 and "GROUP needs at least 8 characters" in out
    code, out = run(["bundle", "decide", duplicates, "--same", *as_user(coordinator, "enum1")])
    assert code == 1 and "error: Only a coordinator can judge likely duplicates." in out
    for verdicts in ([], ["--same", "--different"]):
        with pytest.raises(SystemExit) as exited:
            main(["bundle", "decide", duplicates, *verdicts, *as_user(coordinator)])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "one of the arguments --same --different is required" in err or (
            "not allowed with argument" in err
        )
    assert [g.confirmed for g in likely_duplicates(reopen(coordinator))] == [False]
