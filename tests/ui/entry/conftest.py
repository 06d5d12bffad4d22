"""Fixtures for form entry: a real encrypted store, a form from markdown, a FormView."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.i18n import translator
from app.fieldwork.filling import Filling
from app.fieldwork.library import FormLibrary, register_study_forms
from app.store import LocalStore, create_store
from app.store.crypto import KdfParams
from tests.engine.formtools import write_form

FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    # A supervisor may add form versions to the store (enumerators get them in bundles).
    opened = create_store(
        username="keo", password="correct horse battery", path=tmp_path / "db.sqlite", kdf=FAST_KDF
    )
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def english_ui() -> Iterator[None]:
    translator.set_language("en")
    yield
    translator.set_language("en")


MakeFilling = Callable[..., Filling]


@pytest.fixture
def make_filling(tmp_path: Path, store: LocalStore) -> MakeFilling:
    """`make_filling(survey_md, choices_md="", form_id="t")` → a started Filling."""
    counter = iter(range(1000))

    def make(survey: str, choices: str = "", form_id: str = "t", language: str | None = None):
        folder = tmp_path / f"forms{next(counter)}"
        folder.mkdir()
        settings = f"""
| settings |
| | form_id | version | form_title |
| | {form_id} | 1 | Test form |
"""
        write_form(folder, survey, choices, settings, name=f"{form_id}.md")
        register_study_forms(store, folder)
        form = FormLibrary(store).get(form_id, "1")
        return Filling.start(store=store, form=form, language=language)

    return make


@pytest.fixture
def study_filling(store: LocalStore, repo_root: Path) -> Callable[[str], Filling]:
    """A Filling of one of the study's instruments, by form_id."""
    register_study_forms(store, repo_root / "forms")

    def make(form_id: str) -> Filling:
        library = FormLibrary(store)
        form = next(f for f in library.latest() if f.formdef.form_id == form_id)
        return Filling.start(store=store, form=form)

    return make
