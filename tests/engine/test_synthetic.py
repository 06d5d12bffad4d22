"""The synthetic-response generator fills the study's instruments validly and reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.core import paths
from app.engine.loader import load_form
from app.engine.serialize import to_document
from app.engine.synthetic import generate
from app.study.forms import instrument_files

INSTRUMENTS = instrument_files(paths.default_forms_dir())


def test_the_study_has_five_instruments() -> None:
    assert len(INSTRUMENTS) == 5


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda p: p.name)
def test_every_generated_instance_validates(path: Path) -> None:
    form = load_form(path)
    documents = []
    for session in generate(form, count=15, seed=11):
        assert session.problems() == [], [p.ref for p in session.problems()]
        documents.append(to_document(session))
    # Real answers were given, not just empty instances.
    answered = [len(json.dumps(d["data"])) for d in documents]
    assert max(answered) > 1000
    assert len({d["instance_id"] for d in documents}) == 15


def test_same_seed_same_responses_other_seed_others() -> None:
    form = load_form(INSTRUMENTS[0])
    first = [to_document(s) for s in generate(form, count=4, seed=21)]
    again = [to_document(s) for s in generate(form, count=4, seed=21)]
    other = [to_document(s) for s in generate(form, count=4, seed=22)]
    assert first == again
    assert first != other


def test_user_driven_repeats_get_several_instances() -> None:
    form = load_form(next(p for p in INSTRUMENTS if "questionnaire" in p.name))
    counts = set()
    for session in generate(form, count=12, seed=5):
        for node in session.root.iter():
            if node.name == "data_system" and node.parent is not None:
                counts.add(len(node.parent.by_name["data_system"]))
    assert len(counts) > 1


def test_demo_command_prints_one_document_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "demo",
            "--form",
            str(INSTRUMENTS[-1]),
            "--count",
            "3",
            "--seed",
            "9",
            "--xml-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 3
    documents = [json.loads(line) for line in out]
    assert {d["form_id"] for d in documents} == {load_form(INSTRUMENTS[-1]).formdef.form_id}
    assert len(list(tmp_path.glob("*.xml"))) == 3
