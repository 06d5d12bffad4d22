"""Pratt parser from tokens to the `ast` tree.

Binding powers follow XPath 1.0's precedence: or < and < equality <
relational < additive < multiplicative < unary minus < union < path.
"""

from __future__ import annotations

from functools import lru_cache

from app.core.errors import XPathSyntaxError
from app.engine.xpath import ast
from app.engine.xpath.lexer import T, Token, tokenize

_BINARY_POWER: dict[str, int] = {
    "or": 10,
    "and": 20,
    "=": 30,
    "!=": 30,
    "<": 40,
    "<=": 40,
    ">": 40,
    ">=": 40,
    "+": 50,
    "-": 50,
    "*": 60,
    "div": 60,
    "mod": 60,
    "|": 80,
}
_UNARY_POWER = 70
# Nesting of parentheses, predicates, arguments and unary minus. Real forms nest
# a few levels; the limit keeps pathological input a syntax error instead of a
# RecursionError (here, or later when the tree is compiled and evaluated).
MAX_NESTING = 100
_STEP_STARTS = (T.NAME, T.STAR, T.AXIS, T.NODETYPE)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, *values: str) -> bool:
        token = self.current
        return token.kind is T.OP and token.value in values

    def expect_op(self, value: str) -> Token:
        if not self.at_op(value):
            self.fail(f"expected {value!r}")
        return self.advance()

    def fail(self, message: str, token: Token | None = None) -> None:
        token = token or self.current
        found = "end of expression" if token.kind is T.EOF else repr(token.value)
        raise XPathSyntaxError(f"{message}, found {found}", self.text, token.pos)

    # -- Pratt core ----------------------------------------------------------------
    def binary_power(self, token: Token) -> int:
        if token.kind is T.OPNAME or token.kind is T.MUL:
            return _BINARY_POWER[token.value]
        if token.kind is T.OP and token.value in _BINARY_POWER:
            return _BINARY_POWER[token.value]
        return 0

    def expression(self, right_power: int = 0) -> ast.Expr:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"expression nested more than {MAX_NESTING} levels deep")
        left = self.prefix()
        while True:
            token = self.current
            power = self.binary_power(token)
            if power <= right_power:
                self.depth -= 1
                return left
            self.advance()
            right = self.expression(power)
            left = ast.Binary(token.pos, token.value, left, right)

    def prefix(self) -> ast.Expr:
        token = self.current
        if token.kind is T.OP and token.value == "-":
            self.advance()
            return ast.Negate(token.pos, self.expression(_UNARY_POWER))
        return self.path_expression()

    # -- paths ---------------------------------------------------------------------
    def starts_step(self) -> bool:
        token = self.current
        return token.kind in _STEP_STARTS or self.at_op(".", "..", "@")

    def path_expression(self) -> ast.Expr:
        token = self.current
        if self.at_op("/"):
            self.advance()
            steps = self.relative_steps() if self.starts_step() else []
            return ast.Path(token.pos, True, tuple(steps))
        if self.at_op("//"):
            self.advance()
            steps = [ast.Step(token.pos, "descendant-or-self", "node()")]
            steps.extend(self.relative_steps(required=True))
            return ast.Path(token.pos, True, tuple(steps))
        if self.starts_step():
            return ast.Path(token.pos, False, tuple(self.relative_steps()))
        primary = self.primary()
        predicates = self.predicates()
        base: ast.Expr = ast.Filter(token.pos, primary, predicates) if predicates else primary
        if self.at_op("/", "//"):
            steps = []
            if self.advance().value == "//":
                steps.append(ast.Step(token.pos, "descendant-or-self", "node()"))
            steps.extend(self.relative_steps(required=True))
            return ast.Path(token.pos, False, tuple(steps), base)
        return base

    def relative_steps(self, required: bool = True) -> list[ast.Step]:
        if not self.starts_step():
            self.fail("expected a location step")
        steps = [self.step()]
        while self.at_op("/", "//"):
            separator = self.advance()
            if separator.value == "//":
                steps.append(ast.Step(separator.pos, "descendant-or-self", "node()"))
            steps.append(self.step())
        return steps

    def step(self) -> ast.Step:
        token = self.current
        if self.at_op("."):
            self.advance()
            return ast.Step(token.pos, "self", "node()")
        if self.at_op(".."):
            self.advance()
            return ast.Step(token.pos, "parent", "node()")
        axis = "child"
        if self.at_op("@"):
            self.advance()
            axis = "attribute"
        elif token.kind is T.AXIS:
            self.advance()
            axis = token.value
            self.expect_op("::")
        test_token = self.current
        if test_token.kind in (T.NAME, T.STAR):
            self.advance()
            test = test_token.value
        elif test_token.kind is T.NODETYPE:
            self.advance()
            self.expect_op("(")
            if test_token.value == "processing-instruction" and self.current.kind is T.STRING:
                self.advance()
            self.expect_op(")")
            test = test_token.value + "()"
        else:
            self.fail("expected a name or node test")
        return ast.Step(token.pos, axis, test, self.predicates())

    def predicates(self) -> tuple[ast.Expr, ...]:
        found: list[ast.Expr] = []
        while self.at_op("["):
            self.advance()
            found.append(self.expression())
            self.expect_op("]")
        return tuple(found)

    # -- primaries -----------------------------------------------------------------
    def primary(self) -> ast.Expr:
        token = self.current
        if token.kind is T.STRING:
            self.advance()
            return ast.Literal(token.pos, token.value)
        if token.kind is T.NUMBER:
            self.advance()
            return ast.Number(token.pos, float(token.value))
        if token.kind is T.REF:
            self.advance()
            return ast.Ref(token.pos, token.value)
        if self.at_op("("):
            self.advance()
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.kind is T.FUNC:
            self.advance()
            self.expect_op("(")
            args: list[ast.Expr] = []
            if not self.at_op(")"):
                args.append(self.expression())
                while self.at_op(","):
                    self.advance()
                    args.append(self.expression())
            self.expect_op(")")
            return ast.Call(token.pos, token.value, tuple(args))
        self.fail("expected an expression")
        raise AssertionError("unreachable")


@lru_cache(maxsize=4096)
def parse(text: str) -> ast.Expr:
    """Parse an ODK expression. Raises `XPathSyntaxError` (with a position) and nothing else."""
    if not text.strip():
        raise XPathSyntaxError("empty expression", text, 0)
    parser = _Parser(text)
    tree = parser.expression()
    if parser.current.kind is not T.EOF:
        parser.fail("unexpected text after the expression")
    return tree
