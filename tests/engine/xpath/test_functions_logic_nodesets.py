"""Boolean/control functions and node-set functions (logic.py, nodesets.py)."""

from __future__ import annotations

import math

import pytest

from app.core.errors import XPathEvalError
from app.engine.instance import build_secondary

from .helpers import build, evaluate, evaluate_string, find

HH = build(
    {
        "head": "Noy",
        "size": ("", "int"),
        "members": [
            {"name": "Noy", "age": ("34", "int"), "kids": [{"k": "a"}, {"k": "b"}]},
            {"name": "Kham", "age": ("", "int"), "kids": [{"k": "c"}]},
            {"name": "", "age": ("7", "int"), "kids": []},
        ],
    }
)
CROPS = build_secondary(
    "crops",
    [{"name": "rice", "label": "Rice"}, {"name": "maize", "label": "Maize"}],
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("true()", True),
        ("false()", False),
        ("not('')", True),
        ("not('false')", False),
        ("not(0)", True),
        ("not(0 div 0)", True),
        ("boolean(/data/members)", True),
        ("boolean(/data/missing)", False),
        ("boolean(/data/size)", False),  # ODK: an empty answer is false
        ("boolean(/data/head)", True),
    ],
)
def test_boolean_functions(expression: str, expected: bool) -> None:
    assert evaluate(expression, HH) is expected


def test_if_is_lazy() -> None:
    # The branch not taken is never evaluated: its error does not happen.
    assert evaluate("if(true(), 'ok', regex('a', '['))") == "ok"
    assert evaluate("if(false(), regex('a', '['), 'ok')") == "ok"
    with pytest.raises(XPathEvalError):
        evaluate("if(true(), regex('a', '['), 'ok')")
    assert evaluate("if(/data/size, 'answered', 'blank')", HH) == "blank"
    assert evaluate("if('false', 1, 2)") == 1.0  # boolean('false') is true


def test_coalesce() -> None:
    assert evaluate("coalesce(/data/size, 5)", HH) == 5.0
    assert evaluate("coalesce(/data/head, 'x')", HH) == "Noy"
    assert evaluate("coalesce('', '', 'third')") == "third"
    assert evaluate("coalesce('', /data/missing)", HH) == ""
    # NaN counts as empty, as in JavaRosa.
    assert evaluate("coalesce(number(/data/size), 0)", HH) == 0.0
    # Lazy: the second argument is not needed, so its error never happens.
    assert evaluate("coalesce('x', regex('a', '['))") == "x"


def test_once_keeps_the_first_value() -> None:
    root = build({"code": "", "kept": "ABC"})
    assert evaluate("once(concat('N', 1))", root, context="/data/code") == "N1"
    assert evaluate("once(concat('N', 1))", root, context="/data/kept") == "ABC"
    first = evaluate("once(random())", root, context="/data/code")
    assert isinstance(first, float)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("count(/data/members)", "3"),
        ("count(/data/members/kids)", "3"),
        ("count(/data/missing)", "0"),
        ("count-non-empty(/data/members/name)", "2"),
        ("count-non-empty(/data/members/age)", "2"),
        ("sum(/data/members/age)", "41"),  # the unanswered age is skipped (JavaRosa)
        ("sum(/data/missing)", "0"),
        ("count(/data/members[age > 10])", "1"),
        ("/data/members[position() = 2]/name", "Kham"),
        ("/data/members[last()]/age", "7"),
        ("name(/data/members[1]/kids)", "kids"),
        ("local-name(/data/head)", "head"),
        ("name(/data/missing)", ""),
        ("count(instance('crops')/root/item)", "2"),
        ("instance('crops')/root/item[name = 'maize']/label", "Maize"),
        ("count(instance('nope')/root/item)", "0"),
    ],
)
def test_node_set_functions(expression: str, expected: str) -> None:
    assert evaluate_string(expression, HH, secondary={"crops": CROPS}) == expected


def test_position_and_current_inside_a_repeat() -> None:
    assert evaluate("position(..)", HH, context="/data/members[2]/name") == 2.0
    assert evaluate("position(../..)", HH, context="/data/members[1]/kids[2]/k") == 1.0
    assert evaluate("position(..)", HH, context="/data/members[1]/kids[2]/k") == 2.0
    assert math.isnan(evaluate("position(/data/missing)", HH))
    assert evaluate("name()", HH, context="/data/head") == "head"
    node = find(HH, "/data/members[3]/age")
    assert evaluate("current()", HH, context=node) == [node]
    expression = "instance('crops')/root/item[label = current()/../name]/name"
    root = build({"members": [{"name": "Maize", "pick": ""}]})
    assert (
        evaluate_string(expression, root, context="/data/members/pick", secondary={"crops": CROPS})
        == "maize"
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("indexed-repeat(/data/members/name, /data/members, 1)", "Noy"),
        ("indexed-repeat(/data/members/name, /data/members, 2)", "Kham"),
        ("indexed-repeat(/data/members/name, /data/members, 4)", ""),
        # JavaRosa: an index below 1, or an unanswered one, means the first instance.
        ("indexed-repeat(/data/members/name, /data/members, 0)", "Noy"),
        ("indexed-repeat(/data/members/name, /data/members, /data/size)", "Noy"),
        ("indexed-repeat(/data/members/name, /data/members, 1 div 0)", ""),
        (
            "indexed-repeat(/data/members/kids/k, /data/members, 1, /data/members/kids, 2)",
            "b",
        ),
        (
            "indexed-repeat(/data/members/kids/k, /data/members, 2, /data/members/kids, 1)",
            "c",
        ),
        (
            "indexed-repeat(/data/members/kids/k, /data/members, 2, /data/members/kids, 2)",
            "",
        ),
    ],
)
def test_indexed_repeat_is_one_based(expression: str, expected: str) -> None:
    assert evaluate_string(expression, HH) == expected


def test_node_set_functions_need_node_sets() -> None:
    for expression in ("count('a')", "sum(1)", "indexed-repeat('a', /data/members, 1)"):
        with pytest.raises(XPathEvalError, match="node-set"):
            evaluate(expression, HH)
