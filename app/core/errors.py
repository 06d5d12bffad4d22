"""Typed exceptions whose messages are safe to show to a user.

Every error a user can cause (a bad form, a bad answer, a bad file) is a
`SamluatError`; anything else reaching the top level is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class SamluatError(Exception):
    """Base of all expected errors. `str(err)` is a complete, user-safe message."""


@dataclass(frozen=True)
class Location:
    """Where in a form definition something is: `file:sheet:row:column`."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        for part in (self.sheet, self.row, self.column):
            if part is None:
                break
            parts.append(str(part))
        return ":".join(parts)


class FormError(SamluatError):
    """A form definition cannot be used. Always names where the problem is."""

    def __init__(self, message: str, location: Location) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}")


class FormErrors(SamluatError):
    """Several `FormError`s found in one form (load reports all, not just the first)."""

    def __init__(self, errors: list[FormError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class XPathError(SamluatError):
    """Base class for expression errors."""


class XPathSyntaxError(XPathError):
    """An expression cannot be parsed; `position` is the 0-based character offset."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at character {position + 1} of {expression!r}")


class XPathStaticError(XPathSyntaxError):
    """An expression parses but cannot be compiled: unknown function, wrong arity, unknown field."""


class XPathEvalError(XPathError):
    """An expression failed while being evaluated (e.g. a bad argument type)."""


class AnswerError(SamluatError):
    """An answer cannot be accepted for a field (wrong type, unknown field, unknown choice)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
