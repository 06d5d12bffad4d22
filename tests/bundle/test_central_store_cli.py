"""A coordinator runs a PostgreSQL central store from the command line: its accounts, its
check, reviews under a name, and the decisions reaching the laptop."""

from __future__ import annotations

from pathlib import Path

from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import import_bundle
from app.bundle.keys import COORDINATOR_IDENTITY_FILE
from app.bundle.reviews import review_feedback
from tests.bundle.bundletools import PASSPHRASE, make_field, synthetic_documents
from tests.bundle.conftest import Run, close_central, open_central


def _hash_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("content hash: "))


def test_accounts_check_and_reviews_on_a_central_store(
    pg_url: str, tmp_path: Path, run: Run
) -> None:
    central = open_central("postgresql", tmp_path, pg_url)
    url = pg_url.replace("+psycopg", "")  # as a coordinator writes it
    laptop = make_field(tmp_path, central, "laptop-a")  # type: ignore[arg-type]
    try:
        first, second = (laptop.interview(dict(d)) for d in synthetic_documents(count=2))
        bundle = export_field_bundle(laptop.target, folder=tmp_path / "out")
        assert bundle is not None
        key = central.card.parent / COORDINATOR_IDENTITY_FILE
        code, out = run(
            ["bundle", "import", str(bundle.path), "--db", url, "--identity", str(key)],
            stdin=PASSPHRASE + "\n",
        )
        assert code == 0, out
        assert "applied: 2 new revision(s)" in out

        # Reviews are recorded under a name: on a central store, an account without password.
        code, out = run(["bundle", "review", first, "--approve", "--db", url])
        assert code == 1
        assert "reviewing on a central store needs --user NAME" in out
        code, out = run(
            ["user", "add", "--db", url, "khamla", "--role", "coordinator",
             "--display-name", "Khamla S."]
        )  # fmt: skip
        assert (code, out) == (0, "created khamla (coordinator) on the central store\n")
        code, out = run(["user", "add", "--db", url, "khamla", "--role", "supervisor"])
        assert (code, out) == (1, "error: There is already a user called 'khamla'.\n")
        code, out = run(["user", "list", "--db", url])
        assert code == 0
        assert out.splitlines() == [
            f"enum-laptop-a@{laptop.device_id[:8]}\tcoordinator\tenum-laptop-a "
            f"(account of laptop laptop-a ({laptop.device_id[:8]}))",
            "khamla\tcoordinator\tKhamla S.",
        ]

        code, out = run(["bundle", "review", first, "--approve", "--db", url, "--user", "khamla"])
        assert code == 0, out
        code, out = run(
            ["bundle", "review", second, "--return", "ask the respondent's post",
             "--db", url, "--user", "khamla"]
        )  # fmt: skip
        assert code == 0, out
        code, out = run(["bundle", "reviews", "--db", url])
        assert code == 0
        assert f"{second}  returned" in out and "by Khamla S.: ask the respondent's post" in out

        # The return reaches the interviewer with the coordinator's next bundle.
        back = export_coordinator_bundle(
            central.target, device_id=laptop.device_id, folder=tmp_path / "back"
        )
        assert back is not None and import_bundle(laptop.target, back.path).ok
        assert [(f.instance_id, f.comment) for f in review_feedback(laptop.target)] == [
            (second, "ask the respondent's post")
        ]
        # Once the decisions reached it, the laptop's file gives the central store's hash.
        code, central_check = run(["db", "check", "--db", url])
        assert code == 0, central_check
        assert "integrity: kept by the PostgreSQL server" in central_check
        assert "  revision             2" in central_check
        code, laptop_check = run(
            ["db", "check", "--db", str(laptop.store.path), "--user", "enum-laptop-a",
             "--password-stdin"]
        )  # fmt: skip
        assert code == 0, laptop_check
        assert _hash_line(central_check) == _hash_line(laptop_check)

    finally:
        laptop.close()
        close_central(central)


def test_cases_are_assigned_on_a_central_store_and_reach_the_laptop(
    pg_url: str, tmp_path: Path, run: Run
) -> None:
    central = open_central("postgresql", tmp_path, pg_url)
    url = pg_url.replace("+psycopg", "")
    laptop = make_field(tmp_path, central, "laptop-a")  # type: ignore[arg-type]
    try:
        first = export_field_bundle(laptop.target, folder=tmp_path / "out")  # its users
        assert first is not None
        assert import_bundle(central.target, first.path, identities=[central.identity]).ok
        cases = tmp_path / "cases.csv"
        cases.write_text(
            "form,institution,interviewer,respondent\n"
            "dg_swot,,enum-laptop-a,Statement on data sharing\n",
            encoding="utf-8",
        )
        code, out = run(["assign", "import", str(cases), "--db", url])
        assert code == 1 and "assigning cases on a central store needs --user NAME" in out
        run(["user", "add", "--db", url, "khamla", "--role", "coordinator"])
        code, out = run(["assign", "import", str(cases), "--db", url, "--user", "khamla"])
        assert (code, out) == (
            0,
            f"assigned 1 case(s) (0 already assigned): enum-laptop-a@{laptop.device_id[:8]} 1\n",
        )
        code, out = run(["assign", "import", str(cases), "--db", url, "--user", "khamla"])
        assert (code, out) == (0, "assigned 0 case(s) (1 already assigned)\n")
        code, out = run(["assign", "list", "--db", url, "--user", "khamla"])
        assert code == 0 and "Statement on data sharing" in out

        back = export_coordinator_bundle(
            central.target, device_id=laptop.device_id, folder=tmp_path / "back"
        )
        assert back is not None and import_bundle(laptop.target, back.path).ok
        mine = laptop.store.list_assignments(assigned_to=laptop.store.user.id, limit=None)
        assert [(c.form_id, c.respondent) for c in mine] == [
            ("dg_swot", "Statement on data sharing")
        ]
    finally:
        laptop.close()
        close_central(central)
