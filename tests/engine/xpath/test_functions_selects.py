"""Select functions, checklists, jr:choice-name and randomize."""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.core.errors import XPathEvalError
from app.engine.instance import Node, build_secondary
from app.engine.xpath.functions.selects import ParkMiller, shuffle

from .helpers import build, evaluate, evaluate_string

FORM = build(
    {
        "crops": "rice maize cassava",
        "one": "rice",
        "none": "",
        "hh": [
            {"crop": "maize", "score": ("1", "int")},
            {"crop": "rice", "score": ("0", "int")},
            {"crop": "", "score": ("", "int")},
        ],
        "flags": [{"f": "yes", "w": ("2.5", "decimal")}, {"f": "", "w": ("4", "decimal")}],
    }
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("selected(/data/crops, 'maize')", True),
        ("selected(/data/crops, 'mai')", False),
        ("selected(/data/crops, ' rice ')", True),  # the choice is trimmed (JavaRosa)
        ("selected(/data/crops, '')", False),
        ("selected(/data/none, '')", False),
        ("selected(/data/none, 'rice')", False),
        ("selected(/data/one, 'rice')", True),
        ("selected('1 2 3', 2)", True),  # a number is compared as text
        ("is-selected(/data/crops, 'cassava')", True),
        ("selected('ເຂົ້າ ສາລີ', 'ສາລີ')", True),
    ],
)
def test_selected(expression: str, expected: bool) -> None:
    assert evaluate(expression, FORM) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("selected-at(/data/crops, 0)", "rice"),
        ("selected-at(/data/crops, 2)", "cassava"),
        ("selected-at(/data/crops, 3)", ""),
        ("selected-at(/data/crops, -1)", ""),
        ("selected-at(/data/crops, 1.9)", "maize"),
        ("selected-at(/data/crops, 'x')", "rice"),  # NaN index is 0, as Java's cast
        ("selected-at(/data/none, 0)", ""),
        ("selected-at('a  b', 1)", "b"),  # repeated spaces are one separator
        ("count-selected(/data/crops)", "3"),
        ("count-selected(/data/none)", "0"),
        ("count-selected(' a  b ')", "2"),
        ("count-selected(/data/one)", "1"),
    ],
)
def test_selected_at_and_count_selected(expression: str, expected: str) -> None:
    assert evaluate_string(expression, FORM) == expected


# -- jr:choice-name --------------------------------------------------------------------------
LABELS = {
    ("crop_list", "rice"): {"en": "Rice", "lo": "ເຂົ້າ"},
    ("crop_list", "maize"): {"en": "Maize", "lo": "ສາລີ"},
}


def choice_label(list_name: str, choice: str, language: str | None) -> str:
    labels = LABELS[(list_name, choice)]  # KeyError for an unknown choice, as a dict would
    return labels.get(language or "en", "")


def choice_list_of(node: Node) -> str | None:
    return "crop_list" if node.name in ("crop", "one", "crops") else None


def names(expression: str, **kwargs: Any) -> str:
    return evaluate_string(
        expression,
        FORM,
        choice_label=choice_label,
        choice_list_of=choice_list_of,
        **kwargs,
    )


def test_choice_name_by_path_string() -> None:
    assert names("jr:choice-name(/data/one, '/data/one')") == "Rice"
    assert names("jr:choice-name(/data/one, ' /data/one ')") == "Rice"  # pyxform pads
    assert names("jr:choice-name('maize', '/data/one')", language="lo") == "ສາລີ"
    assert names("jr:choice-name(selected-at(/data/crops, 1), '/data/crops')") == "Maize"


def test_choice_name_in_a_repeat_uses_the_current_instance() -> None:
    expression = "jr:choice-name(../crop, '/data/hh/crop')"
    assert names(expression, context="/data/hh[1]/score") == "Maize"
    assert names(expression, context="/data/hh[2]/score") == "Rice"
    assert names("jr:choice-name(../crop, '../crop')", context="/data/hh[2]/score") == "Rice"


def test_choice_name_with_an_unconverted_reference() -> None:
    assert names("jr:choice-name(/data/one, '${one}')") == "Rice"
    assert names("jr:choice-name(/data/hh[1]/crop, '${crop}')") == "Maize"


@pytest.mark.parametrize(
    "expression",
    [
        "jr:choice-name('sorghum', '/data/one')",  # no such choice
        "jr:choice-name('rice', '/data/missing')",  # no such field
        "jr:choice-name('rice', '/data/none')",  # not a select
        "jr:choice-name(/data/none, '/data/one')",  # unanswered
        "jr:choice-name(/data/crops, '/data/crops')",  # several choices: no match
    ],
)
def test_choice_name_is_empty_when_nothing_matches(expression: str) -> None:
    assert names(expression) == ""


def test_choice_name_without_session_callbacks_is_empty() -> None:
    assert evaluate("jr:choice-name(/data/one, '/data/one')", FORM) == ""


def test_choice_name_with_a_broken_path_is_an_error() -> None:
    with pytest.raises(XPathEvalError, match="jr:choice-name"):
        names("jr:choice-name(/data/one, '/data/[')")
    with pytest.raises(XPathEvalError, match="must name a field"):
        names("jr:choice-name(/data/one, '1 + 1')")


# -- checklists ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("checklist(2, 3, true(), 'yes', '')", True),
        ("checklist(3, -1, true(), 'yes', '')", False),
        ("checklist(-1, 1, true(), 'yes', '')", False),
        ("checklist(-1, -1)", True),
        ("checklist(0, 0)", True),
        ("checklist(1, 1, /data/hh/score)", True),  # the int 0 and '' are false
        ("checklist(2, 2, /data/hh/crop)", True),
        ("checklist(1, 2, 'false')", True),  # a non-empty string is true
        ("checklist('x', 1, 1)", True),  # NaN bounds count as 0
    ],
)
def test_checklist(expression: str, expected: bool) -> None:
    assert evaluate(expression, FORM) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("weighted-checklist(3, 5, true(), 2, true(), 3, false(), 100)", True),
        ("weighted-checklist(6, 10, true(), 2, true(), 3, false(), 100)", False),
        ("weighted-checklist(-1, 1.5, true(), 2)", False),  # no -1 convention here
        ("weighted-checklist(0, 0)", True),
        ("weighted-checklist(2.5, 2.5, /data/flags/f, /data/flags/w)", True),
        ("weighted-checklist(2, 3, 'yes', /data/flags[2]/w)", False),
    ],
)
def test_weighted_checklist(expression: str, expected: bool) -> None:
    assert evaluate(expression, FORM) is expected


def test_weighted_checklist_argument_errors() -> None:
    with pytest.raises(XPathEvalError, match="pairs"):
        evaluate("weighted-checklist(1, 2, true())")
    with pytest.raises(XPathEvalError, match="differ in size"):
        evaluate("weighted-checklist(1, 2, /data/hh/crop, /data/flags/w)", FORM)


# -- randomize -------------------------------------------------------------------------------
LETTERS = build_secondary("letters", [{"name": letter} for letter in "ABCDEF"])
DIGITS = build_secondary("digits", [{"name": str(digit)} for digit in range(10)])


def shuffled(expression: str, **kwargs: Any) -> str:
    return "".join(
        node.value
        for node in evaluate(expression, secondary={"letters": LETTERS, "digits": DIGITS}, **kwargs)
    )


@pytest.mark.parametrize(
    ("instance", "seed", "expected"),
    [
        # JavaRosa's FisherYatesExamplesTest, shared with Enketo.
        ("digits", "33", "3548201697"),
        ("digits", "42", "0591846372"),
        ("letters", "42", "AFCBDE"),
        ("letters", "-42", "EDAFBC"),
        ("letters", "1", "BFEACD"),
        ("letters", "11111111", "ACDBFE"),
        ("letters", "42.9", "AFCBDE"),  # truncated to an integer
    ],
)
def test_seeded_randomize_matches_odk_collect(instance: str, seed: str, expected: str) -> None:
    assert shuffled(f"randomize(instance('{instance}')/root/item/name, {seed})") == expected


def test_seeded_randomize_with_a_field_seed_and_nan() -> None:
    root = build({"seed": ("42", "int"), "blank": ("", "int")})
    expression = "randomize(instance('letters')/root/item/name, {})"
    env = {"secondary": {"letters": LETTERS}}
    result = evaluate(expression.format("/data/seed"), root, **env)
    assert "".join(node.value for node in result) == "AFCBDE"
    nan_seed = evaluate(expression.format("/data/blank"), root, **env)
    zero_seed = evaluate(expression.format("0"), root, **env)
    assert [n.value for n in nan_seed] == [n.value for n in zero_seed]


def test_unseeded_randomize_uses_the_environment_generator() -> None:
    expression = "randomize(instance('digits')/root/item/name)"
    first = shuffled(expression, rng=random.Random(5))
    assert first == shuffled(expression, rng=random.Random(5))
    assert sorted(first) == list("0123456789")
    orders = {shuffled(expression, rng=random.Random(seed)) for seed in range(10)}
    assert len(orders) > 5


def test_randomize_edge_cases() -> None:
    assert evaluate("randomize(/data/missing, 3)", FORM) == []
    with pytest.raises(XPathEvalError, match="randomize"):
        evaluate("randomize('a b c')")
    assert evaluate_string("count(randomize(/data/hh, 7))", FORM) == "3"


def test_park_miller_sequence() -> None:
    generator = ParkMiller(1)
    assert generator.state == 1
    assert [round(generator.random() * 2147483646) for _ in range(3)] == [
        16806,
        282475248,
        1622650072,
    ]
    assert ParkMiller(0).state == 2147483646
    assert ParkMiller(2147483647).state == 2147483646


def test_shuffle_is_a_permutation() -> None:
    nodes = [Node(str(i)) for i in range(50)]
    result = shuffle(nodes, random.Random(3).random)
    assert sorted(id(n) for n in result) == sorted(id(n) for n in nodes)
    assert result != nodes
