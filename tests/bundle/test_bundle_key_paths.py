"""Business keys looked up where the form puts the named fields equal the keys a walk
of the whole document finds (the walk decides when a name occurs twice)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from app.bundle.merge import default_key_rule, document_key, key_paths
from app.engine.loader import load_form
from app.engine.serialize import to_document
from app.engine.synthetic import generate
from app.study.forms import instrument_files
from tests.engine.formtools import write_form

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _named_leaves(data: Any, names: set[str], out: list[tuple[dict[str, Any], str]]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in names and not isinstance(value, dict):
                out.append((data, key))
            _named_leaves(value, names, out)


@pytest.mark.parametrize("path", instrument_files(FORMS), ids=lambda p: p.stem)
def test_lookups_equal_the_walk_on_study_documents(path: Path) -> None:
    form = load_form(path)
    rule = default_key_rule()
    names = {*rule.institution_fields, *rule.institution_other_fields, *rule.respondent_fields}
    paths = key_paths(form)
    assert paths is not None  # each named field occurs once in the study's forms
    rng = random.Random(5)
    compared = 0
    for session in generate(form, count=15, seed=9):
        document = to_document(session)
        variants = [document]
        for _ in range(4):
            changed = copy.deepcopy(document)
            found: list[tuple[dict[str, Any], str]] = []
            _named_leaves(changed["data"], names, found)
            for parent, key in found:
                parent[key] = rng.choice(["", "  Ministry  of Finance ", None, ["a", "b"], "other"])
            variants.append(changed)
        for variant in variants:
            assert document_key(variant, paths=paths) == document_key(variant)
            compared += 1
    assert compared == 75


def test_a_name_used_twice_falls_back_to_the_walk(tmp_path: Path) -> None:
    rule = default_key_rule()
    name = rule.respondent_fields[0]
    form = load_form(
        write_form(
            tmp_path,
            f"""
| survey |
| | type | name | label |
| | begin group | a | A |
| | text | {name} | R |
| | end group | | |
| | begin group | b | B |
| | text | {name} | R again |
| | end group | | |
""",
        ),
        use_cache=False,
    )
    assert key_paths(form) is None
