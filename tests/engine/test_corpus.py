"""The public pyxform corpus: pyxform itself is the oracle for what must load.

For every file, ``pyxform.xls2xform.convert(validate=False)`` decides: a form
it converts must load, with the same questions (same names, same order, same
count) as pyxform's survey; a form it rejects must give a `FormError` naming
the file. The one deliberate difference is listed in `STRICTER_THAN_PYXFORM`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from pyxform.question import Question as PyxformQuestion
from pyxform.xls2xform import convert

from app.core.errors import FormError, FormErrors
from app.engine.ingest import read_xlsform
from app.engine.model import FormDef

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "xlsform"
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file())

# pyxform does not check expression syntax (ODK Validate, which needs Java, does); we do.
STRICTER_THAN_PYXFORM = {
    "bad_calc.xlsx": "bad_calc.xlsx:survey:2:calculation: invalid expression: ",
}


def pyxform_questions(path: Path) -> list[str] | None:
    """Names of pyxform's survey questions in order, or None if pyxform rejects the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = convert(xlsform=str(path), validate=False)
        except Exception:  # the oracle's verdict, whatever pyxform raises
            return None
    survey = result._survey
    return [e.name for e in survey.iter_descendants() if isinstance(e, PyxformQuestion)]


def test_corpus_is_complete() -> None:
    assert len(FILES) == 65
    assert {p.suffix for p in FILES} == {".xlsx", ".xls", ".csv", ".md"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file(path: Path) -> None:
    expected = pyxform_questions(path)
    if expected is None or path.name in STRICTER_THAN_PYXFORM:
        with pytest.raises((FormError, FormErrors)) as caught:
            read_xlsform(path)
        message = str(caught.value)
        assert path.name in message
        if path.name in STRICTER_THAN_PYXFORM:
            assert expected is not None, "pyxform now rejects it: drop the exception"
            assert STRICTER_THAN_PYXFORM[path.name] in message
        return
    form = read_xlsform(path)
    assert isinstance(form, FormDef)
    # pyxform's survey does not count meta/entity/label as a question; its instance has it.
    ours = [q.name for q in form.questions() if q.path[1:3] != ("meta", "entity")]
    assert ours == expected
    for element in form.walk():
        assert element.location.file == str(path)


def test_corpus_totals() -> None:
    loaded, rejected = [], []
    for path in FILES:
        try:
            read_xlsform(path)
            loaded.append(path.name)
        except (FormError, FormErrors):
            rejected.append(path.name)
    assert (len(loaded), len(rejected)) == (53, 12), rejected


def test_rejections_point_at_a_row_when_pyxform_knows_one() -> None:
    for name, where in {
        "gps.csv": "gps.csv:survey:2:label: the question 'location' has no label or hint",
        "include.md": "include.md:survey:3:type: unsupported: include",
        "unknown_question_type.xls": "unknown_question_type.xls:survey:",
    }.items():
        with pytest.raises((FormError, FormErrors)) as caught:
            read_xlsform(CORPUS / name)
        assert where in str(caught.value)
