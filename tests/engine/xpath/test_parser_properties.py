"""Property tests: the parser never fails with anything but a positioned syntax
error, valid expressions round-trip through an unparser, and compiling and
evaluating arbitrary well-formed expressions raises only the engine's errors.

Expressions are generated as trees (`expressions`) and printed fully
parenthesised (`unparse`); "near-valid" inputs are those texts with a few
random edits, which exercise the error paths far better than random text.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import XPathEvalError, XPathStaticError, XPathSyntaxError
from app.engine.xpath import ast
from app.engine.xpath.compiler import compile_expression
from app.engine.xpath.parser import parse
from app.engine.xpath.registry import FUNCTIONS, Context, lookup

from .helpers import NameBinder, build, make_env, shape

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- generating trees ----------------------------------------------------------------
_START = "abcxyz_ກຂຄງ"
_REST = _START + "0123456789.-ິ່້"
NODE_TYPES = {"node", "text", "comment", "processing-instruction"}

names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_START),
    st.text(alphabet=_REST, max_size=5),
).filter(lambda name: name not in NODE_TYPES)
# Field-like names that are also operator words, to keep `div div div` honest.
names = st.one_of(names, st.sampled_from(["and", "or", "div", "mod", "ຊື່", "first-name"]))

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(float),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
literals = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).filter(
    lambda text: not ("'" in text and '"' in text)
)

AXES = ["child", "parent", "self", "attribute", "descendant-or-self", "ancestor"]
TESTS = st.one_of(names, st.sampled_from(["*", "node()", "text()"]))


def steps(
    predicate: st.SearchStrategy[ast.Expr] | None = None,
) -> st.SearchStrategy[tuple[ast.Step, ...]]:
    predicates = st.just([]) if predicate is None else st.lists(predicate, max_size=1)
    step = st.builds(
        lambda axis, test, found: ast.Step(0, axis, test, tuple(found)),
        st.sampled_from(AXES),
        TESTS,
        predicates,
    )
    return st.lists(step, min_size=1, max_size=3).map(tuple)


leaves: st.SearchStrategy[ast.Expr] = st.one_of(
    numbers.map(lambda value: ast.Number(0, value)),
    literals.map(lambda value: ast.Literal(0, value)),
    names.map(lambda name: ast.Ref(0, name)),
    st.builds(lambda s: ast.Path(0, False, s), steps()),
    st.builds(lambda s: ast.Path(0, True, s), steps() | st.just(())),
)

OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "|"]


def extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(
            lambda op, left, right: ast.Binary(0, op, left, right),
            st.sampled_from(OPERATORS),
            children,
            children,
        ),
        children.map(lambda operand: ast.Negate(0, operand)),
        st.builds(
            lambda name, args: ast.Call(0, name, tuple(args)),
            names | st.sampled_from(["concat", "jr:choice-name", "if"]),
            st.lists(children, max_size=3),
        ),
        st.builds(
            lambda base, predicates: ast.Filter(0, base, tuple(predicates)),
            children,
            st.lists(children, min_size=1, max_size=2),
        ),
        st.builds(lambda base, s: ast.Path(0, False, s, base), children, steps(children)),
        st.builds(lambda s: ast.Path(0, False, s), steps(children)),
    )


expressions = st.recursive(leaves, extend, max_leaves=12)


# -- printing trees --------------------------------------------------------------------
def number_text(value: float) -> str:
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def literal_text(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


def unparse(node: ast.Expr) -> str:
    """Fully parenthesised source for `node`, using only unabbreviated steps."""
    if isinstance(node, ast.Number):
        return number_text(node.value)
    if isinstance(node, ast.Literal):
        return literal_text(node.value)
    if isinstance(node, ast.Ref):
        return "${" + node.name + "}"
    if isinstance(node, ast.Binary):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, ast.Negate):
        # Parenthesised as a whole: in XPath `-a | b` is `-(a | b)` (UnaryExpr ::=
        # '-' UnaryExpr | UnionExpr), so a bare `-(a)` before `|` would change the tree.
        return f"(-({unparse(node.operand)}))"
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(unparse(arg) for arg in node.args)})"
    if isinstance(node, ast.Filter):
        predicates = "".join(f"[{unparse(p)}]" for p in node.predicates)
        return f"({unparse(node.base)}){predicates}"
    if isinstance(node, ast.Path):
        path = "/".join(
            f"{step.axis}::{step.test}" + "".join(f"[{unparse(p)}]" for p in step.predicates)
            for step in node.steps
        )
        if node.base is not None:
            return f"({unparse(node.base)})/{path}"
        if node.absolute:
            return f"(/{path})"
        return f"({path})"
    raise AssertionError(node)


# -- properties ------------------------------------------------------------------------
def parses_or_fails_cleanly(text: str) -> None:
    try:
        tree = parse(text)
    except XPathSyntaxError as error:
        assert 0 <= error.position <= len(text), (text, error.position)
        assert error.expression == text
    else:
        assert isinstance(tree, ast.Expr)


@PROPERTY_SETTINGS
@given(st.text())
def test_arbitrary_text_parses_or_raises_a_positioned_syntax_error(text: str) -> None:
    parses_or_fails_cleanly(text)


XPATH_ALPHABET = "abxyz01239 .,:;@$'\"{}()[]/|*+-=!<>ກິ່_"


@PROPERTY_SETTINGS
@given(st.text(alphabet=XPATH_ALPHABET, max_size=30))
def test_xpath_like_text_parses_or_raises_a_positioned_syntax_error(text: str) -> None:
    parses_or_fails_cleanly(text)


@PROPERTY_SETTINGS
@given(expressions)
def test_generated_expressions_round_trip(tree: ast.Expr) -> None:
    text = unparse(tree)
    assert shape(parse(text)) == shape(tree), text
    # Printing the parsed tree again gives the same text: the unparser is canonical.
    assert unparse(parse(text)) == text


edits = st.lists(
    st.tuples(
        st.sampled_from(["delete", "insert", "duplicate"]),
        st.floats(min_value=0, max_value=1),
        st.sampled_from([*XPATH_ALPHABET, "div", "and", "::", "${", "//", ".."]),
    ),
    min_size=1,
    max_size=3,
)


def mutate(text: str, changes: list[tuple[str, float, str]]) -> str:
    for kind, where, piece in changes:
        index = min(int(where * len(text)), len(text))
        if kind == "delete":
            text = text[:index] + text[index + 1 :]
        elif kind == "insert":
            text = text[:index] + piece + text[index:]
        else:
            text = text[:index] + text[index : index + 3] + text[index:]
    return text


@PROPERTY_SETTINGS
@given(expressions, edits)
def test_near_valid_expressions_parse_or_raise_a_positioned_syntax_error(
    tree: ast.Expr, changes: list[tuple[str, float, str]]
) -> None:
    parses_or_fails_cleanly(mutate(unparse(tree), changes))


# -- compiling and evaluating whatever parses --------------------------------------------
ROOT = build(
    {
        "a": ("3", "int"),
        "b": "ສະບາຍດີ",
        "d": ("2024-02-29", "date"),
        "rep": [{"x": ("1.5", "decimal"), "s": "a b"}, {"x": "", "s": ""}],
        "div": "x",
    }
)
lookup("true")  # loads the function library
CALLABLE = sorted(FUNCTIONS)


def call_with_valid_arity(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    def build_call(name: str, data: st.DataObject) -> ast.Expr:
        function = FUNCTIONS[name]
        high = function.max_args if function.max_args is not None else function.min_args + 3
        count = data.draw(st.integers(function.min_args, high))
        args = tuple(data.draw(children) for _ in range(count))
        return ast.Call(0, name, args)

    return st.builds(build_call, st.sampled_from(CALLABLE), st.data())


field_paths = st.sampled_from(
    ["/data/a", "/data/b", "/data/d", "/data/rep/x", "/data/rep/s", "/data/rep", "/data/div"]
).map(parse)
evaluable_leaves = st.one_of(
    numbers.map(lambda value: ast.Number(0, value)),
    st.sampled_from(["", "0", "1", "-2.5", "abc", "2024-01-01", "12:30", "a b", "NaN"]).map(
        lambda value: ast.Literal(0, value)
    ),
    field_paths,
    st.sampled_from(["a", "b", "x", "rep"]).map(lambda name: ast.Ref(0, name)),
)


def evaluable_extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(
            lambda op, left, right: ast.Binary(0, op, left, right),
            st.sampled_from(OPERATORS),
            children,
            children,
        ),
        children.map(lambda operand: ast.Negate(0, operand)),
        call_with_valid_arity(children),
    )


evaluable = st.recursive(evaluable_leaves, evaluable_extend, max_leaves=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evaluable, st.sampled_from(["/data", "/data/rep[1]/x", "/data/rep[2]/s"]))
def test_evaluation_raises_only_engine_errors(tree: ast.Expr, context: str) -> None:
    text = unparse(tree)
    try:
        compiled = compile_expression(parse(text), text, NameBinder(ROOT))
    except XPathStaticError:
        return
    env = make_env(ROOT, choice_label=lambda *_: "label", choice_list_of=lambda _: "list")
    node = compile_expression(parse(context), context)(Context(ROOT, env))[0]
    try:
        result = compiled(Context(node, env))
    except XPathEvalError:
        return
    assert isinstance(result, str | float | bool | list), (text, result)
