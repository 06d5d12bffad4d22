"""Every corpus form that pyxform converts loads, opens a session, and builds the
same data instance that pyxform's XForm declares, in the same order.

pyxform's XML is only the oracle here: Samluat itself never generates or
parses XForm XML to load a form.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from pyxform.xls2xform import convert

from app.engine.loader import load_form
from app.engine.serialize import to_openrosa_xml
from app.engine.session import FormSession

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "xlsform"
# pyxform does not check expression syntax; this form exists in pyxform's suite to
# show that. ODK Validate rejects it, and so does Samluat (see test_bad_calc_is_refused).
SYNTAX_ERROR_FORMS = {"bad_calc.xlsx"}
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".xls", ".xlsx", ".csv", ".md"))


def pyxform_instance(path: Path) -> etree._Element | None:
    try:
        result = convert(xlsform=str(path), validate=False, pretty_print=False)
    except Exception:
        return None
    html = etree.fromstring(result.xform.encode("utf-8"))
    instance = next(
        e for e in html.iter("{http://www.w3.org/2002/xforms}instance") if e.get("id") is None
    )
    return instance[0]


def local(tag: str) -> str:
    return tag.split("}", 1)[-1]


def element_paths(root: etree._Element) -> list[str]:
    """Paths of every element, templates included, each once, in document order."""
    seen: dict[str, None] = {}

    def visit(element: etree._Element, prefix: str) -> None:
        path = f"{prefix}/{local(element.tag)}"
        seen.setdefault(path, None)
        for child in element:
            if isinstance(child.tag, str):
                visit(child, path)

    visit(root, "")
    return list(seen)


CONVERTIBLE = [p for p in corpus_files() if p.name not in SYNTAX_ERROR_FORMS]


def test_the_corpus_is_there() -> None:
    assert len(corpus_files()) == 65


@pytest.mark.parametrize("path", CONVERTIBLE, ids=lambda p: p.name)
def test_form_instance_matches_pyxform(path: Path) -> None:
    expected = pyxform_instance(path)
    if expected is None:
        # Rejected by pyxform: ours must reject it too (checked in test_corpus.py
        # with the error location); nothing to compare here.
        with pytest.raises(Exception) as caught:
            load_form(path, use_cache=False)
        assert path.name in str(caught.value)
        return
    form = load_form(path, use_cache=False)
    ours = ["/" + "/".join(definition.path) for definition in form.fields]
    assert ours == element_paths(expected)
    session = FormSession(form)
    xml = etree.fromstring(to_openrosa_xml(session).encode("utf-8"))
    assert xml.get("id") == expected.get("id")
    assert (xml.get("version") or None) == (expected.get("version") or None)
    # Every element we submit exists in pyxform's instance, in pyxform's order.
    allowed = element_paths(expected)
    submitted = element_paths(xml)
    assert set(submitted) <= set(allowed)
    assert submitted == [p for p in allowed if p in set(submitted)]


def test_bad_calc_is_refused_with_its_row_and_column() -> None:
    with pytest.raises(Exception) as caught:
        load_form(CORPUS / "bad_calc.xlsx", use_cache=False)
    assert "bad_calc.xlsx:survey:2:calculation:" in str(caught.value)
