"""The study's forms in a database set up with commands only: `db init` stores them as the
app's first run does, and `form add` stores a new version later."""

from __future__ import annotations

from pathlib import Path

from app.core import paths
from app.store import Role
from app.store.store import open_store
from tests.bundle.bundletools import (
    PASSWORD,
    Coordinator,
    as_user,
    make_field,
    send_back,
)
from tests.cli.conftest import Run

SWOT = paths.default_forms_dir() / "swot_statement.md"
BROKEN = "| survey |\n| | type | name |\n| | nonsense | x |\n"
NONSENSE = "unsupported: unknown question type 'nonsense'"


def versions(database: Path, user: str = "keo") -> list[tuple[str, str]]:
    with open_store(username=user, password=PASSWORD, path=database) as store:
        return sorted((info.form_id, info.version) for info in store.list_form_versions())


def swot_version() -> str:
    """The shipped SWOT form's version, as its settings row writes it."""
    line = next(x for x in SWOT.read_text("utf-8").splitlines() if x.startswith("| | dg_swot |"))
    return line.split("|")[3].strip()


def with_version(folder: Path, version: str) -> Path:
    """A copy of the SWOT form whose settings give it `version`."""
    text = SWOT.read_text("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SWOT.name
    path.write_text(
        text.replace(f"| dg_swot | {swot_version()} |", f"| dg_swot | {version} |"), "utf-8"
    )
    return path


# -- db init ------------------------------------------------------------------------------------


def test_db_init_stores_the_study_forms_as_the_app_does(run: Run, tmp_path: Path) -> None:
    """QA: a coordinator set up with commands only sent bundles with 0 form versions."""
    database = tmp_path / "coordinator.db"
    login = ["--db", str(database), "--user", "keo", "--password-stdin", "--no-encrypt"]
    code, out, err = run("db", "init", *login, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert (code, err) == (0, "")
    created, stored = out.splitlines()
    assert created.startswith(f"created {database} (NOT encrypted)")
    assert stored.startswith(f"stored 5 form version(s) from {paths.default_forms_dir()}: ")
    assert f"dg_swot {swot_version()}" in stored
    assert [form_id for form_id, _ in versions(database)] == [
        "dg_desk_review",
        "dg_interview",
        "dg_stakeholder",
        "dg_survey",
        "dg_swot",
    ]


def test_db_init_takes_another_forms_folder_and_checks_it_first(run: Run, tmp_path: Path) -> None:
    study = tmp_path / "study"
    with_version(study, "7")
    database = tmp_path / "coordinator.db"
    login = ["--db", str(database), "--user", "keo", "--password-stdin", "--no-encrypt"]
    twice = f"{PASSWORD}\n{PASSWORD}\n"

    code, out, err = run("db", "init", *login, "--forms", str(tmp_path / "nowhere"), stdin=twice)
    assert (code, out, err) == (1, "", f"error: --forms {tmp_path / 'nowhere'}: no such folder\n")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.md").write_text(BROKEN, "utf-8")
    code, out, err = run("db", "init", *login, "--forms", str(broken), stdin=twice)
    assert (code, out) == (1, "")
    assert err == f"error: {broken / 'bad.md'}:survey:2:type: {NONSENSE}\n"
    assert not database.exists()  # nothing made: the command can simply be run again

    code, out, err = run("db", "init", *login, "--forms", str(study), stdin=twice)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == f"stored 1 form version(s) from {study}: dg_swot 7"
    assert versions(database) == [("dg_swot", "7")]


# -- form add -----------------------------------------------------------------------------------


def test_form_add_stores_a_new_version_that_the_next_bundle_carries(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, coordinator, "laptop-07")
    try:
        newer = with_version(tmp_path / "changed", "2099010101")
        code, out, err = run("form", "add", str(newer), str(SWOT), *as_user(coordinator))
        assert (code, err) == (0, "")
        assert out.splitlines() == [
            f"{SWOT}: dg_swot version {swot_version()} is already stored",
            f"stored dg_swot version 2099010101 from {newer}",
        ]
        send_back(laptop, coordinator, tmp_path / "back")
        assert ("dg_swot", "2099010101") in {
            (info.form_id, info.version) for info in laptop.store.list_form_versions()
        }
    finally:
        laptop.close()


def test_form_add_refuses_a_changed_form_under_a_stored_version(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    """Laptops know a form version by its number: the change would never reach them."""
    changed = tmp_path / "changed" / SWOT.name
    changed.parent.mkdir()
    changed.write_text(SWOT.read_text("utf-8").replace("| Strength |", "| Strong point |"), "utf-8")
    before = versions(coordinator.store.path, "coord")
    code, out, err = run("form", "add", str(changed), *as_user(coordinator))
    assert (code, out) == (1, "")
    assert err == (
        f"error: {changed}: dg_swot version {swot_version()} is already stored, with other "
        "content: raise the version in its settings to store this change\n"
    )
    assert versions(coordinator.store.path, "coord") == before


def test_form_add_says_when_an_older_version_is_added(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    older = with_version(tmp_path / "old", "1")
    code, out, err = run("form", "add", str(older), *as_user(coordinator))
    assert (code, err) == (0, "")
    assert out == (
        f"stored dg_swot version 1 from {older} (older than version {swot_version()}, which "
        "new interviews keep using)\n"
    )


def test_form_add_is_for_the_coordinators_computer(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, coordinator, "laptop-07")
    try:
        newer = with_version(tmp_path / "changed", "2099010101")
        field = ["--db", str(laptop.store.path), "--user", "enum-laptop-07", "--password-stdin"]
        code, out, err = run("form", "add", str(newer), *field)
        assert (code, out) == (1, "")
        assert err == (
            "error: this is a field laptop: form versions are added on the coordinator's "
            "computer and reach the laptops in its bundles\n"
        )
        coordinator.store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
        code, out, err = run("form", "add", str(newer), *as_user(coordinator, "noy"))
        assert (code, out, err) == (
            1,
            "",
            "error: noy is an enumerator: only a supervisor or coordinator may add form versions\n",
        )
    finally:
        laptop.close()


def test_form_add_names_a_broken_form_and_stores_nothing(
    run: Run, coordinator: Coordinator, tmp_path: Path
) -> None:
    newer = with_version(tmp_path / "changed", "2099010101")
    broken = tmp_path / "bad.md"
    broken.write_text(BROKEN, "utf-8")
    before = versions(coordinator.store.path, "coord")
    code, out, err = run("form", "add", str(newer), str(broken), *as_user(coordinator))
    assert (code, out) == (1, "")
    assert err == f"error: {broken}:survey:2:type: {NONSENSE}\n"
    assert versions(coordinator.store.path, "coord") == before
