"""The coordinator's command-line checklist (docs/fieldwork-guide.md) on real databases and
real bundles: what a QA walk-through found and what now holds."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from app.bundle.export import export_field_bundle
from app.bundle.importer import import_bundle
from app.bundle.keys import (
    create_coordinator_keys,
    init_device_keys,
    revoke_device,
    unlock_identity_file,
    write_card,
)
from app.bundle.target import BundleTarget
from app.core import paths
from app.store import Role
from app.store.db import default_db_path
from app.store.store import LocalStore, create_store
from tests.bundle.bundletools import (
    FAST_KDF,
    PASSPHRASE,
    PASSWORD,
    Coordinator,
    Field,
    as_user,
    deliver,
    make_field,
    send_back,
    synthetic_documents,
    with_text,
)
from tests.cli.conftest import Run

HEADER = "form,institution,respondent,interviewer,province\n"
ROW = "dg_survey,mtc,Director of IT,noy,vt\n"


def laptop_with_noy(root: Path, coordinator: Coordinator, name: str) -> Field:
    """A registered laptop with an enumerator `noy`, whose first bundle reached the
    coordinator (a laptop's users are known to the coordinator from then on)."""
    laptop = make_field(root, coordinator, name)
    laptop.store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
    deliver(laptop, coordinator, root / "out")
    return laptop


def cases_file(tmp_path: Path, rows: str = ROW) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


# -- assigning cases to a laptop's interviewers ------------------------------------------


def test_cases_go_to_a_laptops_interviewer_named_as_in_the_guide(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """The guide's sheet names the interviewer `noy`; on the coordinator that account is
    `noy@<laptop>` and cannot log in there: it was refused as 'not a user' or 'disabled'."""
    laptop = laptop_with_noy(tmp_path, coordinator, "laptop-07")
    try:
        code, out, err = run("assign", "import", str(cases_file(tmp_path)), *as_user(coordinator))
        assert (code, err) == (0, "")
        assert out == f"assigned 1 case(s) (0 already assigned): noy@{laptop.device_id[:8]} 1\n"
        code, out, err = run("assign", "list", "--interviewer", "noy", *as_user(coordinator))
        assert code == 0 and err == ""
        assert out.split("\t")[:5] == [
            "dg_survey",
            "mtc",
            "Director of IT",
            f"noy@{laptop.device_id[:8]}",
            "pending",
        ]
        code, out, _ = run("assign", "import", str(cases_file(tmp_path)), *as_user(coordinator))
        assert (code, out) == (0, "assigned 0 case(s) (1 already assigned)\n")

        # The case reaches noy on the laptop with the coordinator's next bundle.
        send_back(laptop, coordinator, tmp_path / "back")
        noy = next(u for u in laptop.store.list_users() if u.username == "noy")
        cases = laptop.store.list_assignments(assigned_to=noy.id, limit=None)
        assert [(c.form_id, c.institution, c.respondent) for c in cases] == [
            ("dg_survey", "mtc", "Director of IT")
        ]

        code, out, _ = run("user", "list", *as_user(coordinator))
        assert code == 0
        line = next(x for x in out.splitlines() if x.startswith("noy@"))
        assert line.endswith(f"(account of laptop laptop-07 ({laptop.device_id[:8]}))")
    finally:
        laptop.close()


def test_a_name_two_laptops_use_must_be_written_in_full(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    a = laptop_with_noy(tmp_path, coordinator, "laptop-a")
    b = laptop_with_noy(tmp_path, coordinator, "laptop-b")
    try:
        code, _, err = run("assign", "import", str(cases_file(tmp_path)), *as_user(coordinator))
        assert code == 1
        names = sorted(f"noy@{laptop.device_id[:8]}" for laptop in (a, b))
        assert (
            f"cases.csv:2: interviewer: 'noy' is on several laptops: write one of {', '.join(names)}"
            in err
        )
        full = ROW.replace("noy", f"noy@{b.device_id[:8]}")
        code, out, _ = run(
            "assign", "import", str(cases_file(tmp_path, full)), *as_user(coordinator)
        )
        assert (code, out) == (
            0,
            f"assigned 1 case(s) (0 already assigned): noy@{b.device_id[:8]} 1\n",
        )

        # Once laptop-a is revoked its noy no longer competes for the name (and gets no case).
        revoke_device(coordinator.target, a.device_id)
        code, out, _ = run("assign", "import", str(cases_file(tmp_path)), *as_user(coordinator))
        assert (code, out) == (0, "assigned 0 case(s) (1 already assigned)\n")
        gone = ROW.replace("noy", f"noy@{a.device_id[:8]}")
        code, _, err = run(
            "assign", "import", str(cases_file(tmp_path, gone)), *as_user(coordinator)
        )
        assert code == 1 and "cannot be given cases" in err
    finally:
        a.close()
        b.close()


def test_a_disabled_local_account_still_gets_no_case(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    coordinator.store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
    coordinator.store.set_user_active(username="noy", active=False)
    code, _, err = run("assign", "import", str(cases_file(tmp_path)), *as_user(coordinator))
    assert code == 1 and "'noy' cannot be given cases (account disabled)" in err


# -- commands that belong on the coordinator's computer -----------------------------------

ON_A_LAPTOP = "error: this is a field laptop: "
NO_KEY_YET = (
    "error: this database is not the coordinator's (it has no coordinator key: samluat keys "
    "coordinator-new makes it on the coordinator's computer): "
)
ASSIGNED_THERE = (
    "cases are assigned on the coordinator's computer and reach the laptops in its bundles\n"
)
REGISTERED_THERE = (
    "laptops are registered on the coordinator's computer; a laptop trusts its coordinator "
    "with samluat keys trust-coordinator CARD\n"
)


def another_laptops_card(root: Path) -> Path:
    with create_store(
        username="enum", password=PASSWORD, path=root / "other.db", encrypted=False, kdf=FAST_KDF
    ) as other:
        card = init_device_keys(BundleTarget.from_store(other)).card()
    path = root / "other.card.json"
    write_card(path, card)
    return path


def test_a_field_laptop_neither_assigns_cases_nor_registers_laptops(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """QA: on a laptop both said "assigned 1 case(s)" and "registered …", and nothing ever
    came of it: laptops send neither cases nor registrations on."""
    laptop = make_field(tmp_path, coordinator, "laptop-07")
    try:
        laptop.store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-07", "--password-stdin"]
        code, out, err = run("assign", "import", str(cases_file(tmp_path)), *field)
        assert (code, out, err) == (1, "", ON_A_LAPTOP + ASSIGNED_THERE)
        assert laptop.store.list_assignments(limit=None) == []
        card = another_laptops_card(tmp_path)
        code, out, err = run("keys", "register", str(card), *field)
        assert (code, out, err) == (1, "", ON_A_LAPTOP + REGISTERED_THERE)
        code, out, _ = run("keys", "list", *field)
        assert code == 0 and "other" not in out
    finally:
        laptop.close()


def test_a_database_without_the_coordinator_key_says_to_make_it_first(
    run: Run, tmp_path: Path
) -> None:
    create_store(
        username="keo", password=PASSWORD, path=tmp_path / "new.db", encrypted=False, kdf=FAST_KDF
    ).close()
    login = ["--db", str(tmp_path / "new.db"), "--user", "keo", "--password-stdin"]
    code, out, err = run("assign", "import", str(cases_file(tmp_path)), *login)
    assert (code, out, err) == (1, "", NO_KEY_YET + ASSIGNED_THERE)
    code, out, err = run("keys", "register", str(another_laptops_card(tmp_path)), *login)
    assert (code, out, err) == (1, "", NO_KEY_YET + REGISTERED_THERE)


def test_only_a_coordinator_registers_laptops_as_in_the_app(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    coordinator.store.add_user(username="sup", password=PASSWORD, role=Role.SUPERVISOR)
    card = another_laptops_card(tmp_path)
    code, out, err = run("keys", "register", str(card), *as_user(coordinator, "sup"))
    assert (code, out, err) == (1, "", "error: Only a coordinator can register laptops.\n")
    code, out, err = run("keys", "register", str(card), *as_user(coordinator))
    assert (code, err) == (0, "") and out.startswith("registered ")


# -- reviews ----------------------------------------------------------------------------------


def test_the_same_review_decision_twice_is_stored_once(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """QA: `--approve` twice printed "approved" twice and stored two identical decisions."""
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    try:
        instance = laptop.interview(dict(synthetic_documents()[0]))
        deliver(laptop, coordinator, tmp_path / "out")
        login = as_user(coordinator)

        def review(*verdict: str) -> str:
            code, out, err = run("bundle", "review", instance, *verdict, *login)
            assert (code, err) == (0, "")
            return out

        def decisions() -> list[tuple[str, str]]:
            reviews = coordinator.store.reviews(instance_id=instance)
            return [(r.decision.value, r.comment) for r in reviews]

        first = review("--approve")
        assert first.startswith(f"approved {instance} (revision ")
        revision = first.split("(revision ")[1].rstrip(")\n")
        again = review("--approve")
        assert again.startswith(f"{instance} (revision {revision}) is already approved (20")
        assert again.endswith(" UTC): nothing stored\n")
        assert decisions() == [("approved", "")]

        # A different decision is a new one; the same return twice is stored once.
        assert review("--return", "ask for the staff count").startswith("returned ")
        again = review("--return", " ask for the staff count ")
        assert "is already returned to its interviewer with that comment" in again
        assert review("--return", "and the budget").startswith("returned ")
        assert review("--approve").startswith("approved ")
        assert decisions() == [
            ("approved", ""),
            ("rejected", "ask for the staff count"),
            ("rejected", "and the budget"),
            ("approved", ""),
        ]
    finally:
        laptop.close()


# -- folders and files given where the other is expected --------------------------------


def test_a_file_given_as_a_folder_is_an_error_not_a_traceback(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    try:
        laptop.interview(dict(synthetic_documents()[0]))
        a_file = tmp_path / "notes.txt"
        a_file.write_text("not a folder", encoding="utf-8")
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-a", "--password-stdin"]
        code, out, err = run("bundle", "export", "--out", str(a_file), *field)
        assert (code, out) == (1, "")
        assert err == f"error: --out {a_file}: this is a file, not a folder\n"
        code, out, err = run("sync", "--folder", str(a_file), *field)
        assert (code, out) == (1, "")
        assert err == f"error: --folder {a_file}: this is a file, not a folder\n"
        code, out, err = run("bundle", "import", str(a_file), "--quarantine", str(a_file), *field)
        assert (code, out) == (1, "")
        assert err == f"error: --quarantine {a_file}: this is a file, not a folder\n"
        # A stick that is not plugged in: its folder is not made on the laptop's disk.
        stick = tmp_path / "media" / "STICK"
        code, out, err = run("bundle", "export", "--out", str(stick), *field)
        assert (code, out) == (1, "")
        assert err == (
            f"error: --out {stick}: this folder is not there (is the USB stick plugged in?); "
            "to write into a new folder, create it first\n"
        )
        assert not (tmp_path / "media").exists()
        # Nothing was written, so no bundle number was used up: the next one is 1.
        stick.mkdir(parents=True)
        code, out, _ = run("bundle", "export", "--out", str(stick), *field)
        assert code == 0 and "bundle 1 to coordinator" in out

        code, out, err = run("db", "backup", str(a_file / "backup.db"), *field)
        assert (code, out) == (1, "")
        assert err == (
            f"error: cannot write {a_file / 'backup.db'}: {a_file} is a file, not a folder\n"
        )
        code, out, err = run("db", "backup", str(tmp_path), *field)
        assert code == 1 and f"{tmp_path} is a folder: give the backup's file name" in err
    finally:
        laptop.close()


# -- conflicts, devices, keys ---------------------------------------------------------------


def test_resolve_takes_the_instance_id_as_review_does(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """`bundle resolve uuid:5aff… --keep …` (the guide) needed the full instance id."""
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    try:
        document = dict(synthetic_documents()[1])
        instance = laptop.interview(document)
        deliver(laptop, coordinator, tmp_path / "out")
        store: LocalStore = coordinator.store
        store.start_edit(instance_id=instance, reason="typo")
        store.autosave(instance_id=instance, document=with_text(document, "Slow."))
        store.finalise(instance_id=instance)
        theirs = laptop.edit(instance, with_text(document, "Very slow."), reason="their fix")
        deliver(laptop, coordinator, tmp_path / "out")

        code, out, _ = run("bundle", "conflicts", *as_user(coordinator))
        assert code == 0 and "1 conflict(s)" in out
        assert f"{theirs}  by enum-laptop-a@{laptop.device_id[:8]} on laptop-a (" in out
        assert out.count(": their fix") == 1 and ": typo" in out

        short = instance.removeprefix("uuid:")[:8]
        code, out, err = run(
            "bundle",
            "resolve",
            short,
            "--keep",
            theirs[:8],
            "--reason",
            "theirs",
            *as_user(coordinator),
        )
        assert (code, err) == (0, "")
        assert out.startswith(f"resolved {instance}: kept {theirs}")
        code, out, err = run(
            "bundle",
            "resolve",
            short,
            "--keep",
            theirs[:8],
            "--reason",
            "again",
            *as_user(coordinator),
        )
        assert code == 1 and "has no conflict to resolve" in err
    finally:
        laptop.close()


def test_revoke_by_short_id_and_a_revoked_card_is_not_registered_again(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, coordinator, "laptop-07")
    try:
        card = tmp_path / "laptop-07.json"
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-07", "--password-stdin"]
        assert run("keys", "device-init", "--card", str(card), *field)[0] == 0
        short = laptop.device_id[:8]
        code, out, err = run("keys", "revoke", short, *as_user(coordinator))
        assert (code, err) == (0, "")
        assert out == f"revoked {laptop.device_id}: its bundles are refused from now on\n"
        code, out, _ = run("keys", "revoke", laptop.device_id, *as_user(coordinator))
        assert code == 0 and out.startswith(f"{laptop.device_id} was already revoked on ")

        code, out, err = run("keys", "register", str(card), *as_user(coordinator))
        assert code == 1 and out == ""
        assert "was revoked on" in err and "its bundles stay refused" in err
        code, out, _ = run("keys", "list", *as_user(coordinator))
        assert f"{laptop.device_id}  laptop-07  field" in out and "REVOKED" in out
    finally:
        laptop.close()


def test_a_laptop_is_renamed_as_the_team_calls_it(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """Cards carry the computer's own name, often the same on every laptop ("vm")."""
    laptop = make_field(tmp_path, coordinator, "vm")
    try:
        short = laptop.device_id[:8]
        code, out, err = run("keys", "rename", short, " Laptop 07,\n Pakse", *as_user(coordinator))
        assert (code, err) == (0, "")
        assert out == f"{laptop.device_id} is now named Laptop 07, Pakse\n"
        code, out, _ = run("keys", "list", *as_user(coordinator))
        assert f"{laptop.device_id}  Laptop 07, Pakse  field" in out
        code, _, err = run("keys", "rename", short, "  ", *as_user(coordinator))
        assert (code, err) == (1, "error: A laptop's name cannot be empty.\n")
        code, _, err = run("keys", "rename", short, "x" * 81, *as_user(coordinator))
        assert code == 1 and "at most 80 characters" in err
        code, _, err = run("keys", "rename", "ffffffff", "Laptop 08", *as_user(coordinator))
        assert code == 1 and "No registered device 'ffffffff'" in err
        # A laptop cannot rename itself in the coordinator's registry.
        field = ["--db", str(laptop.store.path), "--user", "enum-vm", "--password-stdin"]
        code, _, err = run("keys", "rename", laptop.device_id, "mine", *field)
        assert code == 1 and "No registered device" in err
    finally:
        laptop.close()


def test_coordinator_new_never_replaces_a_key_silently(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    create_store(username="keo", password=PASSWORD, kdf=FAST_KDF, path=db, encrypted=False).close()
    login = ["--db", str(db), "--user", "keo", "--password-stdin"]
    secrets = PASSWORD + "\n" + (PASSPHRASE + "\n") * 2
    code, _, err = run(
        "keys", "coordinator-new", *login, "--escrow", stdin=secrets + "escrow one\nescrow two\n"
    )
    assert (code, err) == (1, "error: the two escrow passphrases differ\n")
    code, _, err = run(
        "keys", "coordinator-new", *login, "--escrow", stdin=secrets + (PASSPHRASE + "\n") * 2
    )
    assert code == 1 and "needs its own passphrase" in err
    assert not (paths.data_dir() / "keys").exists()

    stick = tmp_path / "stick" / "escrow-identity.age"
    code, out, err = run(
        "keys",
        "coordinator-new",
        *login,
        "--escrow-file",
        str(stick),
        stdin=secrets + "escrow passphrase\n" * 2,
    )
    assert (code, err) == (0, "")
    assert f"escrow key: {stick} (store it offline)" in out and stick.is_file()
    card = (paths.data_dir() / "keys" / "coordinator.card.json").read_text(encoding="utf-8")

    code, out, err = run(
        "keys", "coordinator-new", *login, "--out", str(tmp_path / "other"), stdin=secrets
    )
    assert code == 1 and "already has a coordinator key" in err and "--replace" in err
    assert not (tmp_path / "other").exists()
    code, _, _ = run("keys", "coordinator-card", *login, "--out", str(tmp_path / "card.json"))
    assert code == 0
    assert (tmp_path / "card.json").read_text(encoding="utf-8") == card  # escrow still there

    # Replacing never drops the escrow key unasked ...
    code, out, err = run("keys", "coordinator-new", *login, "--replace", stdin=secrets)
    assert code == 1 and "the current keys include an escrow key" in err and "--no-escrow" in err
    keys = paths.data_dir() / "keys"
    old_identity = (keys / "coordinator-identity.age").read_bytes()
    # ... and, as documented, puts the new key where sync looks for it, keeping the old one.
    code, out, err = run(
        "keys", "coordinator-new", *login, "--replace", "--no-escrow", stdin=secrets
    )
    assert (code, err) == (0, "")
    kept = sorted(keys.glob("coordinator-identity.replaced-*.age"))
    assert len(kept) == 1 and kept[0].read_bytes() == old_identity
    assert f"previous key kept: {kept[0]}" in out
    assert (keys / "coordinator-identity.age").read_bytes() != old_identity
    new_card = (keys / "coordinator.card.json").read_text(encoding="utf-8")
    assert '"escrow"' in card and '"escrow"' not in new_card


def test_sync_says_where_a_refused_bundle_went(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, coordinator, "laptop-a", register=False)
    try:
        folder = tmp_path / "sync"
        folder.mkdir()
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-a", "--password-stdin"]
        assert run("sync", "--folder", str(folder), "--settle", "0", *field)[0] == 0
        code, out, _ = run(
            "sync",
            "--folder",
            str(folder),
            "--settle",
            "0",
            *as_user(coordinator),
            "--identity",
            str(coordinator.keys_dir / "coordinator-identity.age"),
            stdin=PASSWORD + "\n" + PASSPHRASE + "\n",
        )
        assert code == 1 and "rejected: signed by an unknown device" in out
        quarantine = paths.data_dir() / "quarantine"
        (copied,) = [p for p in quarantine.iterdir() if not p.name.endswith(".reason.txt")]
        assert f": quarantined: {copied}" in out
    finally:
        laptop.close()


def test_inspect_names_the_earlier_bundles_a_bundle_carries_again(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """A bundle carries again what bundles covers_since … sequence-1 held; with covers_since
    equal to its own number it carries only what is new (it printed "6 (re-carries
    everything since 6)")."""
    laptop = make_field(tmp_path, coordinator, "laptop-a")

    def inspected() -> str:
        laptop.interview(dict(synthetic_documents()[len(written)]))
        bundle = export_field_bundle(laptop.target, folder=tmp_path / "out")
        assert bundle is not None
        written.append(bundle.path)
        code, out, err = run("bundle", "inspect", str(bundle.path))
        assert (code, err) == (0, "")
        return next(line for line in out.splitlines() if line.startswith("sequence: "))

    written: list[Path] = []
    try:
        assert inspected() == "sequence: 1"
        assert inspected() == "sequence: 2 (also carries again everything of bundle 1)"
        assert inspected() == "sequence: 3 (also carries again everything of bundles 1–2)"
        for path in written:
            imported = import_bundle(coordinator.target, path, identities=[coordinator.identity])
            assert imported.ok, imported.message
        send_back(laptop, coordinator, tmp_path / "back")  # acknowledges bundles 1–3
        assert inspected() == "sequence: 4"
    finally:
        laptop.close()


def test_inspect_reports_a_broken_file_on_standard_error(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.samluat"
    broken.write_bytes(b"SAMLUATB")
    code, out, err = run("bundle", "inspect", str(broken))
    assert (code, out) == (1, "")
    assert err.startswith(f"{broken}: not a valid bundle: ")


def test_a_folder_given_as_the_sheet_is_a_problem_not_a_traceback(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    folder = tmp_path / "cases.csv"
    folder.mkdir()
    code, out, err = run("assign", "import", str(folder), *as_user(coordinator))
    assert (code, out) == (1, "")
    assert err.splitlines()[1] == f"{folder}: cannot be read (Is a directory)"


def test_a_card_path_that_is_a_folder_is_an_error_not_a_traceback(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    code, out, err = run("keys", "device-init", "--card", str(folder), *as_user(coordinator))
    assert (code, out) == (1, "")
    assert err == f"error: --card {folder}: this is a folder, give a file name\n"
    code, out, err = run("keys", "coordinator-card", "--out", str(folder), *as_user(coordinator))
    assert (code, out) == (1, "")
    assert err == f"error: --out {folder}: this is a folder, give a file name\n"
    assert list(tmp_path.glob(".*.tmp")) == []


def test_a_card_of_the_other_kind_names_the_command_that_takes_it(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """QA gave `keys register` the coordinator card (and was told only that it is not a
    samluat-device-card file); the reverse mix-up happens on laptops."""
    laptop = make_field(tmp_path, coordinator, "laptop-07")
    try:
        code, out, err = run("keys", "register", str(coordinator.card), *as_user(coordinator))
        assert (code, out) == (1, "")
        assert err == (
            f"error: {coordinator.card}: this is a coordinator card: use samluat keys "
            "trust-coordinator on a laptop\n"
        )
        device_card = tmp_path / "laptop-07.json"
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-07", "--password-stdin"]
        assert run("keys", "device-init", "--card", str(device_card), *field)[0] == 0
        code, out, err = run("keys", "trust-coordinator", str(device_card), *field)
        assert (code, out) == (1, "")
        assert err == (
            f"error: {device_card}: this is a laptop's device card: register it on the "
            "coordinator with samluat keys register\n"
        )
        other = tmp_path / "other.card.json"
        other.write_text('{"format": "something else"}', encoding="utf-8")
        code, _, err = run("keys", "register", str(other), *as_user(coordinator))
        assert (code, err) == (1, f"error: {other} is not a samluat-device-card file.\n")
    finally:
        laptop.close()


def test_a_card_that_is_not_one_is_named_as_such(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    # Cards come on sticks and through chat apps: anything may arrive under that name.
    for name, data in (
        ("photo.card.json", b"\xff\xd8\xff\xe0" + bytes(200)),
        ("nested.card.json", b"[" * 30_000 + b"]" * 30_000),  # under the size limit
        ("list.card.json", b"[1, 2]"),
    ):
        card = tmp_path / name
        card.write_bytes(data)
        code, out, err = run("keys", "register", str(card), *as_user(coordinator))
        assert (code, out) == (1, ""), name
        assert err.startswith("error: ") and str(card) in err and "card" in err, err
        assert "Traceback" not in err


# -- backups ----------------------------------------------------------------------------------

ESCROW_PASSPHRASE = "escrow passphrase"


def coordinator_at_home(root: Path) -> tuple[Coordinator, Path]:
    """A coordinator as `db init` and `keys coordinator-new --escrow-file` leave it: the
    encrypted database and the key in the data folder, the escrow key on a stick."""
    store = create_store(
        username="coord",
        password=PASSWORD,
        kdf=FAST_KDF,
        path=default_db_path(),
        device_name="coordinator",
    )
    target = BundleTarget.from_store(store)
    keys = create_coordinator_keys(
        target,
        out_dir=paths.data_dir() / "keys",
        passphrase=PASSPHRASE,
        escrow_passphrase=ESCROW_PASSPHRASE,
        escrow_file=root / "escrow-stick" / "escrow-identity.age",
    )
    assert keys.escrow_file is not None
    identity = unlock_identity_file(keys.identity_file, PASSPHRASE)
    coordinator = Coordinator(store, target, identity, keys.card_file, keys.identity_file.parent)
    return coordinator, keys.escrow_file


def field_bundle(laptop: Field, folder: Path, index: int) -> Path:
    laptop.interview(dict(synthetic_documents()[index]))
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    return written.path


def test_a_coordinator_backup_restored_on_a_new_computer_opens_the_laptops_bundles(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA restored a coordinator's backup on a new computer: "Cannot read the key file
    …/keys/coordinator-identity.age", the backup had no key and nothing named the escrow
    key. A backup now keeps the key as keys/… beside it (docs/fieldwork-guide.md §6)."""
    coordinator, escrow = coordinator_at_home(tmp_path)
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    login = ["--user", "coord", "--password-stdin"]
    key = paths.data_dir() / "keys" / "coordinator-identity.age"
    try:
        backup = tmp_path / "backup-stick" / "backup-2026-05-11" / "samluat.db"
        code, out, err = run("db", "backup", str(backup), *login)
        assert (code, err) == (0, "")
        key_copy = backup.parent / "keys" / "coordinator-identity.age"
        assert f"key file: {backup}.keyring (keep it with the backup)\n" in out
        assert f"coordinator key: {key_copy} (passphrase-protected; keep it with" in out
        assert key_copy.read_bytes() == key.read_bytes()
        assert stat.S_IMODE(key_copy.stat().st_mode) == 0o600
        assert sorted(p.name for p in backup.parent.rglob("*")) == [
            "coordinator-identity.age",
            "keys",
            "samluat.db",
            "samluat.db.keyring",
        ]
        first = field_bundle(laptop, tmp_path / "stick", 0)
    finally:
        coordinator.close()

    monkeypatch.setenv("SAMLUAT_HOME", str(tmp_path / "new-computer"))
    data = paths.data_dir()
    # Restored without its key: told what to do before any passphrase is asked for.
    for name in ("samluat.db", "samluat.db.keyring"):
        shutil.copyfile(backup.parent / name, data / name)
    code, out, err = run("bundle", "import", str(first), *login)
    assert (code, out) == (1, "")
    assert f"Cannot read the key file {data / 'keys' / 'coordinator-identity.age'}:" in err
    assert "keys/coordinator-identity.age beside the backup" in err and "--identity" in err
    code, out, err = run(
        "bundle",
        "import",
        str(first),
        *login,
        "--identity",
        str(escrow),
        stdin=f"{PASSWORD}\n{ESCROW_PASSPHRASE}\n",
    )
    assert (code, err) == (0, "") and ": applied: " in out

    # Restored as the guide says: the backup folder's files put back into the data folder.
    shutil.copytree(backup.parent, data, dirs_exist_ok=True)
    second = field_bundle(laptop, tmp_path / "stick", 1)
    laptop.close()
    code, out, err = run(
        "bundle", "import", str(second), *login, stdin=f"{PASSWORD}\n{PASSPHRASE}\n"
    )
    assert (code, err) == (0, "") and ": applied: " in out


def test_a_backup_never_replaces_another_coordinator_key_unasked(run: Run, tmp_path: Path) -> None:
    """Two backups in one folder share keys/: an older key there (after `coordinator-new
    --replace`) still opens the bundles encrypted to it."""
    coordinator, _escrow = coordinator_at_home(tmp_path)
    coordinator.close()
    login = ["--user", "coord", "--password-stdin"]
    folder = tmp_path / "backups"
    older = folder / "keys" / "coordinator-identity.age"
    older.parent.mkdir(parents=True)
    older.write_bytes(b"the key before --replace")
    code, out, err = run("db", "backup", str(folder / "monday.db"), *login)
    assert (code, out) == (1, "")
    assert err == (
        f"error: {older} already holds another coordinator key (bundles encrypted to it need "
        "it): back up into another folder, or add --overwrite to replace it\n"
    )
    assert not (folder / "monday.db").exists()
    code, out, err = run("db", "backup", str(folder / "monday.db"), *login, "--overwrite")
    assert (code, err) == (0, "")
    assert older.read_bytes() == (paths.data_dir() / "keys" / older.name).read_bytes()
    # The same key again is no conflict.
    code, out, err = run("db", "backup", str(folder / "tuesday.db"), *login)
    assert (code, err) == (0, "") and f"coordinator key: {older}" in out


def test_a_backup_says_when_the_coordinator_key_is_kept_elsewhere(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """This coordinator's key was written with `coordinator-new --out`, outside the data
    folder: the backup cannot take it and says so; a field laptop has no such key."""
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    try:
        dest = tmp_path / "coordinator-backup" / "samluat.db"
        code, out, err = run("db", "backup", str(dest), *as_user(coordinator))
        assert (code, err) == (0, "")
        assert (
            f"coordinator key: none at {paths.data_dir() / 'keys' / 'coordinator-identity.age'}; "
            "if you keep it elsewhere, back it up too" in out
        )
        assert not (dest.parent / "keys").exists()
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-a", "--password-stdin"]
        dest = tmp_path / "laptop-backup" / "samluat.db"
        code, out, err = run("db", "backup", str(dest), *field)
        assert (code, err) == (0, "") and "coordinator key" not in out
        assert not (dest.parent / "keys").exists()
    finally:
        laptop.close()
