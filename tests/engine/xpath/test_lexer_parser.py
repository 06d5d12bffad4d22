"""Lexer and parser unit tests, and the ODK pitfalls DESIGN.md lists.

Each pitfall is checked end to end (parse, compile, evaluate) because a
pitfall is about what a form computes, not only about the tree.
"""

from __future__ import annotations

import math

import pytest

from app.core.errors import XPathStaticError, XPathSyntaxError
from app.engine.xpath import ast
from app.engine.xpath.compiler import compile_expression
from app.engine.xpath.lexer import T, tokenize
from app.engine.xpath.parser import parse

from .helpers import build, evaluate, evaluate_string, shape


def kinds(text: str) -> list[tuple[T, str]]:
    return [(token.kind, token.value) for token in tokenize(text)[:-1]]


# -- lexer -------------------------------------------------------------------------
def test_operator_names_are_operators_only_in_operator_position() -> None:
    assert kinds("div div div") == [(T.NAME, "div"), (T.OPNAME, "div"), (T.NAME, "div")]
    assert kinds("and or mod") == [(T.NAME, "and"), (T.OPNAME, "or"), (T.NAME, "mod")]
    assert kinds("(mod)")[1] == (T.NAME, "mod")
    assert kinds("/data/or")[-1] == (T.NAME, "or")
    assert kinds("a[and]")[2] == (T.NAME, "and")


def test_star_is_a_name_test_or_multiplication_by_position() -> None:
    assert kinds("* * *") == [(T.STAR, "*"), (T.MUL, "*"), (T.STAR, "*")]
    assert kinds("2*3")[1] == (T.MUL, "*")
    assert kinds("/data/*")[-1] == (T.STAR, "*")


@pytest.mark.parametrize(
    "name",
    ["first-name", "a.b", "hh_size", "ຊື່", "ຊື່_ຫົວໜ້າ", "ເພດ-ຂອງ.ຫົວໜ້າ", "_private", "a-"],
)
def test_names_may_contain_dash_dot_and_lao(name: str) -> None:
    assert kinds(name) == [(T.NAME, name)]
    assert kinds("${" + name + "}") == [(T.REF, name)]


def test_lao_marks_are_name_characters() -> None:
    # ື (U+0EB7) and ້ (U+0EC9) are combining marks (Mn): inside a name, not separators.
    assert kinds("ເມື້ອ + 1")[0] == (T.NAME, "ເມື້ອ")


def test_function_node_type_and_axis_tokens() -> None:
    assert kinds("jr:choice-name(")[0] == (T.FUNC, "jr:choice-name")
    assert kinds("count (")[0] == (T.FUNC, "count")
    assert kinds("text()")[0] == (T.NODETYPE, "text")
    assert kinds("child::a")[:2] == [(T.AXIS, "child"), (T.OP, "::")]


def test_numbers_and_strings() -> None:
    assert kinds("1 .5 2. 3.25") == [
        (T.NUMBER, "1"),
        (T.NUMBER, ".5"),
        (T.NUMBER, "2."),
        (T.NUMBER, "3.25"),
    ]
    assert kinds("'it''s'")[0] == (T.STRING, "it")  # no escapes in XPath 1.0 literals
    assert kinds('"it\'s"') == [(T.STRING, "it's")]
    assert kinds("'ສະບາຍດີ'") == [(T.STRING, "ສະບາຍດີ")]


def test_token_positions() -> None:
    assert [token.pos for token in tokenize("${a} + ab")] == [0, 5, 7, 9]


# -- parser: trees -------------------------------------------------------------------
N = lambda value: ("Number", float(value))  # noqa: E731


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", ("+", N(1), ("*", N(2), N(3)))),
        ("1 - 2 - 3", ("-", ("-", N(1), N(2)), N(3))),
        ("8 div 2 div 2", ("div", ("div", N(8), N(2)), N(2))),
        ("7 mod 3 * 2", ("*", ("mod", N(7), N(3)), N(2))),
        ("1 or 2 and 3", ("or", N(1), ("and", N(2), N(3)))),
        ("1 = 2 or 3 != 4", ("or", ("=", N(1), N(2)), ("!=", N(3), N(4)))),
        ("1 < 2 = 3 > 4", ("=", ("<", N(1), N(2)), (">", N(3), N(4)))),
        ("1 + 2 < 3 * 4", ("<", ("+", N(1), N(2)), ("*", N(3), N(4)))),
        ("-1 + 2", ("+", ("neg", N(1)), N(2))),
        ("- - 1", ("neg", ("neg", N(1)))),
        ("2 - -2", ("-", N(2), ("neg", N(2)))),
        ("-2 * -3", ("*", ("neg", N(2)), ("neg", N(3)))),
        ("-(1 + 2)", ("neg", ("+", N(1), N(2)))),
        ("(1 + 2) * 3", ("*", ("+", N(1), N(2)), N(3))),
    ],
)
def test_operator_precedence_and_associativity(text: str, expected: object) -> None:
    assert shape(parse(text)) == expected


def test_unary_minus_binds_tighter_than_multiplication_but_looser_than_union() -> None:
    tree = parse("-a | b")
    assert isinstance(tree, ast.Negate)
    assert isinstance(tree.operand, ast.Binary) and tree.operand.op == "|"


def test_paths_predicates_and_filters() -> None:
    assert shape(parse("/data/hh[2]/name")) == (
        "path",
        True,
        (("child", "data", ()), ("child", "hh", (N(2),)), ("child", "name", ())),
        None,
    )
    assert shape(parse("../a")) == (
        "path",
        False,
        (("parent", "node()", ()), ("child", "a", ())),
        None,
    )
    assert shape(parse(".")) == ("path", False, (("self", "node()", ()),), None)
    assert shape(parse("//a")) == (
        "path",
        True,
        (("descendant-or-self", "node()", ()), ("child", "a", ())),
        None,
    )
    tree = parse("instance('crops')/root/item[name = current()/../q]/label")
    assert isinstance(tree, ast.Path)
    assert tree.base == ast.Call(0, "instance", (ast.Literal(9, "crops"),))
    assert [step.test for step in tree.steps] == ["root", "item", "label"]
    assert isinstance(parse("(a | b)[1]"), ast.Filter)
    assert shape(parse("@id")) == ("path", False, (("attribute", "id", ()),), None)


def test_operator_names_as_field_names() -> None:
    assert shape(parse("div div div")) == (
        "div",
        ("path", False, (("child", "div", ()),), None),
        ("path", False, (("child", "div", ()),), None),
    )
    assert shape(parse("/data/and and /data/or")) == (
        "and",
        ("path", True, (("child", "data", ()), ("child", "and", ())), None),
        ("path", True, (("child", "data", ()), ("child", "or", ())), None),
    )


def test_calls_refs_and_literals() -> None:
    assert shape(parse("concat(${a}, ' ', \"x\")")) == (
        "call",
        "concat",
        (("Ref", "a"), ("Literal", " "), ("Literal", "x")),
    )
    assert shape(parse("true()")) == ("call", "true", ())
    assert parse("${ຊື່}") == ast.Ref(0, "ຊື່")


def test_positions_in_the_tree() -> None:
    tree = parse("1 + concat('a', ${b})")
    assert isinstance(tree, ast.Binary) and tree.pos == 2
    assert isinstance(tree.right, ast.Call) and tree.right.pos == 4
    assert [arg.pos for arg in tree.right.args] == [11, 16]


# -- parser: errors --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("   ", 0),
        ("1 +", 3),
        ("(1", 2),
        ("1 2", 2),
        ("concat('a',", 11),
        ("concat(1,,2)", 9),
        ("'abc", 0),
        ("${x", 0),
        ("${}", 0),
        ("$x", 0),
        ("a::b", 0),
        ("1 + #", 4),
        ("/data/[1]", 6),
        ("a[", 2),
        ("a]", 1),
        ("1 = = 2", 4),
        ("a/", 2),
        ("2abc", 0),
        ("x:", 1),
        ("a b", 2),
        ("if(${a} = 'x', 1, 2", 19),
        ("ສະບາຍ ດີ", 6),
    ],
)
def test_syntax_errors_carry_the_position(text: str, position: int) -> None:
    with pytest.raises(XPathSyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert caught.value.expression == text
    assert f"at character {position + 1}" in str(caught.value)


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    text = "(" * 5000 + "1" + ")" * 5000
    with pytest.raises(XPathSyntaxError) as caught:
        parse(text)
    assert 0 <= caught.value.position <= len(text)
    text = "-" * 5000 + "1"
    with pytest.raises(XPathSyntaxError):
        parse(text)


def test_reasonable_nesting_still_parses() -> None:
    depth = 50
    assert evaluate("(" * depth + "1" + ")" * depth) == 1.0
    assert evaluate("if(" * depth + "true()" + ", 1, 0)" * depth) == 1.0


def test_long_sums_compile_and_evaluate() -> None:
    # Real forms add up hundreds of scores: ${q1} + ${q2} + … must not hit
    # Python's recursion limit when compiling or evaluating.
    text = " + ".join(["1"] * 3000)
    assert evaluate(text) == 3000.0
    assert evaluate(" - ".join(["1"] * 3000)) == -2998.0
    assert evaluate(" and ".join(["true()"] * 3000)) is True
    assert evaluate(" or ".join(["false()"] * 3000)) is False
    assert evaluate(" * ".join(["1"] * 3000)) == 1.0


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("no-such-function(1)", 0, "unknown function"),
        ("1 + substr('a')", 4, "substr() takes 2 to 3 arguments, not 1"),
        ("concat()", 0, "at least 1"),
        ("true(1)", 0, "takes 0 arguments"),
        ("not(1, 2)", 0, "takes 1 argument, not 2"),
    ],
)
def test_unknown_functions_and_wrong_arity_are_static_errors(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(XPathStaticError) as caught:
        compile_expression(parse(text), text)
    assert caught.value.position == position
    assert message in caught.value.message


# -- the pitfalls ------------------------------------------------------------------
def test_boolean_of_the_string_false_is_true() -> None:
    assert evaluate("boolean('false')") is True
    assert evaluate("boolean-from-string('false')") is False
    root = build({"flag": "false"})  # how a stored `1 > 2` reads back
    assert evaluate("boolean(/data/flag)", root) is True
    assert evaluate("/data/flag = 'false'", root) is True


def test_numbers_serialise_without_trailing_zero() -> None:
    assert evaluate_string("1") == "1"
    assert evaluate_string("2 * 0.5") == "1"
    assert evaluate_string("10 div 4") == "2.5"
    assert evaluate_string("-0") == "0"
    assert evaluate_string("int(3.9)") == "3"
    assert evaluate_string("1 div 0") == "Infinity"
    assert evaluate_string("0 div 0") == "NaN"
    assert evaluate_string("concat(1, '/', 2.50)") == "1/2.5"
    root = build({"n": ("7", "int"), "d": ("7.0", "decimal")})
    assert evaluate_string("/data/n + /data/d", root) == "14"


def test_dates_compare_and_subtract_as_day_numbers() -> None:
    root = build({"dob": ("2000-02-29", "date"), "visit": ("2024-03-01", "date")})
    assert evaluate("/data/visit - /data/dob", root) == 8767.0
    assert evaluate("/data/visit > /data/dob", root) is True
    assert evaluate("/data/dob < '2000-03-01'", root) is True
    assert evaluate("today() - /data/dob", root) == 8767.0
    assert evaluate("/data/dob + 1 = date('2000-03-01')", root) is True
    # Before 1970 the day numbers are negative.
    root = build({"dob": ("1969-12-31", "date")})
    assert evaluate("number(/data/dob)", root) == -1.0
    assert evaluate("/data/dob < date(0)", root) is True


def test_zero_based_select_and_substr_but_one_based_indexed_repeat() -> None:
    root = build(
        {
            "fruits": "mango banana durian",
            "hh": [{"name": "Noy"}, {"name": "Kham"}, {"name": "Bua"}],
        }
    )
    assert evaluate("selected-at(/data/fruits, 0)", root) == "mango"
    assert evaluate("selected-at(/data/fruits, 2)", root) == "durian"
    assert evaluate("substr('ສະບາຍດີ', 0, 2)", root) == "ສະ"
    assert evaluate("substring('ສະບາຍດີ', 1, 2)", root) == "ສະ"
    assert evaluate_string("indexed-repeat(/data/hh/name, /data/hh, 1)", root) == "Noy"
    assert evaluate_string("indexed-repeat(/data/hh/name, /data/hh, 3)", root) == "Bua"
    assert evaluate_string("/data/hh[2]/name", root) == "Kham"


def test_operator_words_as_field_names_evaluate() -> None:
    root = build({"div": ("6", "int"), "mod": ("4", "int"), "and": "x", "or": ""})
    assert evaluate("/data/div div /data/mod", root) == 1.5
    assert evaluate("/data/div mod /data/mod", root) == 2.0
    assert evaluate("/data/and and /data/or", root) is False
    assert evaluate("${div} * ${mod}", root) == 24.0


def test_names_with_dash_dot_and_lao_evaluate() -> None:
    root = build({"first-name": "Noy", "hh.size": ("5", "int"), "ຊື່": "ນ້ອຍ"})
    assert evaluate("concat(/data/first-name, ${ຊື່})", root) == "Noyນ້ອຍ"
    assert evaluate("/data/hh.size - 1", root) == 4.0
    assert evaluate("string-length(${ຊື່})", root) == 4.0


def test_precedence_evaluates() -> None:
    assert evaluate("1 + 2 * 3") == 7.0
    assert evaluate("1 - 2 - 3") == -4.0
    assert evaluate("-2 * -3") == 6.0
    assert evaluate("2 - -2") == 4.0
    assert evaluate("1 = 1 and 2 < 1 or true()") is True
    assert evaluate("1 < 2 = true()") is True
    assert evaluate("7 mod 3 * 2") == 2.0
    assert math.isnan(evaluate("-'a'"))
