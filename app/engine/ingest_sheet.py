"""Raw-sheet side of XLSForm ingest: column headers, row numbers and the lint pass.

pyxform's json drops row numbers and the column headers as the author wrote
them, and `workbook_to_json` stops at its first error. So before calling it we
read the raw sheet rows once to

- map every column header to pyxform's meaning of it (with pyxform's own
  `process_header`, so aliases such as ``relevance`` or ``caption::en`` agree),
- number every survey row by its element path, so an element found in the json
  can name its ``file:survey:row``,
- check what we can check per row — expression syntax, ``${name}`` references,
  the ``classification`` column — and report all of it, even when pyxform
  rejects the form on some other row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyxform import aliases
from pyxform import constants as pyxform_constants
from pyxform.parsing.expression import RE_PYXFORM_REF_INNER
from pyxform.parsing.sheet_headers import process_header
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.utils import default_is_dynamic
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL

from app.core.errors import FormError, Location, XPathSyntaxError
from app.engine.ingest_types import NEEDS_CHOICE_LIST, lacks_choice_list, raw_type_problem, shorten
from app.engine.model import CLASSIFICATIONS
from app.engine.xpath import ast
from app.engine.xpath.parser import parse

SURVEY_COLUMNS = frozenset(MultipleChoiceQuestion.get_slot_names())
CHOICE_COLUMNS = frozenset(Option.get_slot_names())

# Survey columns (as pyxform's header tokens) that hold an ODK expression.
EXPRESSION_COLUMNS: Mapping[tuple[str, ...], str] = {
    ("bind", "relevant"): "relevant",
    ("bind", "constraint"): "constraint",
    ("bind", "calculate"): "calculation",
    ("bind", "required"): "required",
    ("bind", "readonly"): "read_only",
    ("choice_filter",): "choice_filter",
    ("control", "jr:count"): "repeat_count",
}
# Of those, the ones where yes/no/true/false are constants rather than expressions.
BOOLEAN_COLUMNS = frozenset({("bind", "required"), ("bind", "readonly")})
# Columns whose values are never searched for ${name}: pyxform checks them otherwise.
_NO_REF_COLUMNS = frozenset({"type", "name", "trigger"})

TAG_COLUMNS = ("pillar", "element")
CLASSIFICATION_COLUMN = "classification"

_REF = re.compile(r"\$\{([^}]*)\}|\$\{[^}]*$")
_REF_INNER = re.compile(r"\$\{([^}]*)\}")
_LAST_SAVED = re.compile(r"\$\{\s*last-saved#[^}]*\}?")
_LANGUAGE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)\s*$")


def clean_type(value: object) -> str:
    """A type cell as pyxform compares it: whitespace runs collapsed."""
    return " ".join(str(value).split()) if value is not None else ""


def language_code(header_language: str) -> str:
    """``"Lao (lo)"`` → ``"lo"``; a language without ``(code)`` is its own code."""
    match = _LANGUAGE.match(header_language)
    if match and match.group("code").strip():
        return match.group("code").strip()
    return header_language.strip()


class SheetHeaders:
    """The headers of one sheet and what pyxform makes of each (its token tuple)."""

    def __init__(
        self,
        headers: Iterable[str],
        header_aliases: Mapping[str, Any],
        columns: frozenset[str],
    ) -> None:
        names = [h for h in headers if isinstance(h, str)]
        double_colon = any("::" in h for h in names)
        self.tokens: dict[str, tuple[str, ...]] = {}
        self.raw: dict[tuple[str, ...], str] = {}
        self._columns: dict[tuple[str, ...], str] = {}
        for header in names:
            _, tokens = process_header(header, double_colon, dict(header_aliases), columns)
            self.tokens[header] = tuple(str(t) for t in tokens)
            self.raw.setdefault(self.tokens[header], header)

    @classmethod
    def of_sheet(
        cls,
        header_rows: Sequence[Mapping[str, Any]] | None,
        rows: Sequence[Mapping[str, Any]] | None,
        header_aliases: Mapping[str, Any],
        columns: frozenset[str],
    ) -> SheetHeaders:
        """Headers from pyxform's ``<sheet>_header`` row, else from the rows themselves."""
        if header_rows:
            return cls(list(header_rows[0]), header_aliases, columns)
        seen: dict[str, None] = {}
        for row in rows or ():
            if isinstance(row, Mapping):
                seen.update(dict.fromkeys(k for k in row if isinstance(k, str)))
        return cls(seen, header_aliases, columns)

    def column(self, *tokens: str) -> str:
        """The header as written for these tokens (or the tokens joined, if absent)."""
        cached = self._columns.get(tokens)
        if cached is not None:
            return cached
        found = self.raw.get(tokens)
        if found is None:
            found = next(
                (h for known, h in self.raw.items() if known[: len(tokens)] == tokens),
                "::".join(tokens),
            )
        self._columns[tokens] = found
        return found


def survey_headers(header_rows: Any, rows: Any) -> SheetHeaders:
    """Headers of the survey sheet, interpreted as pyxform does."""
    return SheetHeaders.of_sheet(header_rows, rows, aliases.survey_header, SURVEY_COLUMNS)


def choices_headers(header_rows: Any, rows: Any) -> SheetHeaders:
    """Headers of the choices sheet, interpreted as pyxform does."""
    return SheetHeaders.of_sheet(header_rows, rows, aliases.list_header, CHOICE_COLUMNS)


def settings_headers(header_rows: Any, rows: Any) -> SheetHeaders:
    """Headers of the settings sheet, interpreted as pyxform does."""
    return SheetHeaders.of_sheet(header_rows, rows, aliases.settings_header, frozenset())


@dataclass
class SurveyIndex:
    """Row numbers of the survey sheet, by element path below the root."""

    rows: dict[tuple[str, ...], int] = field(default_factory=dict)
    raw_rows: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    names: Counter[str] = field(default_factory=Counter)
    audit_row: int | None = None

    def row_of(self, raw_path: tuple[str, ...]) -> int | None:
        """The row of the element at `raw_path` (names below the root), if the sheet has it."""
        return self.rows.get(raw_path)


def _is_disabled(row: Mapping[str, Any], header: str | None) -> bool:
    if header is None or header not in row:
        return False
    return bool(aliases.yes_no.get(str(row[header]).strip(), False))


def index_survey(rows: Sequence[Any], headers: SheetHeaders) -> SurveyIndex:
    """Walk the survey rows as pyxform does, recording each element's path and row."""
    index = SurveyIndex()
    type_header = headers.column("type")
    name_header = headers.column("name")
    disabled = next((h for h in headers.tokens if h.strip().lower() == "disabled"), None)
    stack: list[str] = []
    for row_number, row in enumerate(rows, start=2):
        if not isinstance(row, Mapping) or not row or _is_disabled(row, disabled):
            continue
        index.raw_rows[row_number] = row
        row_type = clean_type(row.get(type_header))
        if not row_type:
            continue
        if RE_END_CONTROL.search(row_type):
            if stack:
                stack.pop()
            continue
        raw_name = row.get(name_header)
        if row_type == "audit":
            index.audit_row = row_number
            continue
        if raw_name is None or str(raw_name).strip() == "":
            if row_type != "note":
                continue
            raw_name = f"generated_note_name_{row_number}"
        name = str(raw_name).strip()
        index.names[name] += 1
        index.rows.setdefault((*stack, name), row_number)
        if RE_BEGIN_CONTROL.search(row_type):
            stack.append(name)
    # pyxform always lets forms refer to the instanceID it adds to meta.
    index.names["instanceID"] += 1
    return index


class ErrorList:
    """Errors found so far, in order, without duplicates (lint and build may meet one twice)."""

    def __init__(self) -> None:
        self._errors: dict[str, FormError] = {}

    def add(self, message: str, location: Location) -> None:
        """Record a problem at `location`."""
        error = FormError(message, location)
        self._errors.setdefault(str(error), error)

    def add_error(self, error: FormError) -> None:
        """Record an already built `FormError` (e.g. a translated pyxform error)."""
        self._errors.setdefault(str(error), error)

    def has_at(self, location: Location) -> bool:
        """Whether a problem was already reported in exactly this cell."""
        return location.column is not None and any(
            e.location == location for e in self._errors.values()
        )

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def all(self) -> list[FormError]:
        """Errors by sheet (file-level first) and row, otherwise in the order found."""
        order = {None: 0, "settings": 1, "survey": 2, "choices": 3}
        return sorted(
            self._errors.values(),
            key=lambda e: (order.get(e.location.sheet, 4), e.location.row or 0),
        )


class RefChecker:
    """Checks ``${name}`` references against the names of the survey sheet."""

    def __init__(self, names: Counter[str], errors: ErrorList) -> None:
        self.names = names
        self.errors = errors
        # Expressions already checked (by the lint pass), with their tree or None if bad.
        self._checked: dict[str, ast.Expr | None] = {}

    def check_name(self, name: str, location: Location) -> bool:
        """True if `name` is exactly one field; otherwise report why not."""
        count = self.names.get(name, 0)
        if count == 0:
            self.errors.add(f"unknown field ${{{name}}}", location)
            return False
        if count > 1:
            self.errors.add(
                f"ambiguous reference ${{{name}}}: several fields have this name", location
            )
            return False
        return True

    def check_text(self, text: str, location: Location) -> frozenset[str]:
        """Check the ``${…}`` in a label-like text; returns the names it uses."""
        if "${" not in text:
            return frozenset()
        used: set[str] = set()
        for match in _REF.finditer(text):
            inner = match.group(1)
            if inner is None:
                self.errors.add(f"unterminated reference {shorten(match.group(0))!r}", location)
                continue
            ref = RE_PYXFORM_REF_INNER.fullmatch(inner.strip())
            if ref is None:
                self.errors.add(f"invalid reference ${{{shorten(inner)}}}", location)
                continue
            if ref.group("last_saved"):
                self.errors.add(
                    f"unsupported: ${{{inner}}} (values from the last saved record)", location
                )
                continue
            name = ref.group("ncname")
            if self.check_name(name, location):
                used.add(name)
        return frozenset(used)

    def used_names(self, text: str) -> frozenset[str]:
        """The valid field names a text refers to, without reporting (the lint pass did)."""
        if "${" not in text:
            return frozenset()
        # A name the survey sheet defines exactly once is valid (pyxform checked names).
        names = self.names
        return frozenset(
            inner.strip() for inner in _REF_INNER.findall(text) if names.get(inner.strip(), 0) == 1
        )

    def expression(self, source: str, location: Callable[[], Location]) -> ast.Expr | None:
        """Like `check_expression`, but an expression the lint pass saw is not re-reported."""
        if source in self._checked:
            return self._checked[source]
        return self.check_expression(source, location())

    def check_expression(self, source: str, location: Location) -> ast.Expr | None:
        """Parse `source`, reporting syntax errors and bad references; the tree or None."""
        tree = self._check_expression(source, location)
        self._checked[source] = tree
        return tree

    def _check_expression(self, source: str, location: Location) -> ast.Expr | None:
        last_saved = _LAST_SAVED.search(source)
        if last_saved:
            self.errors.add(
                f"unsupported: {last_saved.group(0)} (values from the last saved record)", location
            )
            return None
        try:
            tree = parse(source)
        except XPathSyntaxError as err:
            self.errors.add(f"invalid expression: {_describe(err)}", location)
            return None
        ok = True
        for node in ast.walk(tree):
            if isinstance(node, ast.Ref) and not self.check_name(node.name, location):
                ok = False
        return tree if ok else None


def _describe(err: XPathSyntaxError) -> str:
    """The parser's message, quoting a long expression only around the error."""
    text = err.expression
    if len(text) > 80:
        start = max(0, err.position - 30)
        text = ("…" if start else "") + text[start : err.position + 30] + "…"
    return f"{err.message} at character {err.position + 1} of {text!r}"


def cell_text(value: Any) -> str | None:
    """A cell as text; None for empty cells (pyxform's readers give strings already)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


# What the lint pass does with a survey column.
_SKIP, _CLASSIFICATION, _EXPRESSION, _FLAG, _DEFAULT, _TEXT = range(6)


def _column_plan(headers: SheetHeaders) -> dict[str, int]:
    plan: dict[str, int] = {}
    for header, tokens in headers.tokens.items():
        if header.strip().lower() == CLASSIFICATION_COLUMN:
            plan[header] = _CLASSIFICATION
        elif tokens[0] in _NO_REF_COLUMNS:
            plan[header] = _SKIP
        elif tokens in BOOLEAN_COLUMNS:
            plan[header] = _FLAG
        elif tokens in EXPRESSION_COLUMNS:
            plan[header] = _EXPRESSION
        elif tokens == ("default",):
            plan[header] = _DEFAULT
        else:
            plan[header] = _TEXT
    return plan


def lint_survey(
    file: str,
    rows: Sequence[Any],
    headers: SheetHeaders,
    index: SurveyIndex,
    refs: RefChecker,
) -> None:
    """Per-row checks of the survey sheet that do not need pyxform's json."""
    type_header = headers.column("type")
    plan = _column_plan(headers)
    for row_number, row in index.raw_rows.items():
        row_type = clean_type(row.get(type_header))
        check_type(row_type, Location(file, "survey", row_number, type_header), refs.errors)
        for header, value in row.items():
            action = plan.get(header, _TEXT) if isinstance(header, str) else _SKIP
            if action == _SKIP:
                continue
            text = cell_text(value)
            if text is None:
                continue
            if action == _TEXT:
                if "${" in text:
                    refs.check_text(text, Location(file, "survey", row_number, header))
                continue
            location = Location(file, "survey", row_number, header)
            if action == _CLASSIFICATION:
                check_classification(text, location, refs.errors)
                continue
            is_expression = (
                action == _EXPRESSION
                or (action == _FLAG and text.strip() not in aliases.yes_no)
                or (action == _DEFAULT and default_is_dynamic(text, row_type))
            )
            if is_expression:
                refs.check_expression(text, location)


def check_type(row_type: str, location: Location, errors: ErrorList) -> None:
    """Report a type Samluat cannot load, or a select without its choice list."""
    if not row_type:
        return
    if lacks_choice_list(row_type):
        errors.add(NEEDS_CHOICE_LIST, location)
        return
    problem = raw_type_problem(row_type)
    if problem is not None:
        errors.add(f"unsupported: {problem}", location)


def check_classification(value: str, location: Location, errors: ErrorList) -> str | None:
    """The normalised classification, or None after reporting a bad value."""
    normalised = value.strip().lower()
    if normalised in CLASSIFICATIONS:
        return normalised
    errors.add(
        f"classification {shorten(value.strip())!r} is not one of {', '.join(CLASSIFICATIONS)}",
        location,
    )
    return None


def lint_choices(file: str, rows: Sequence[Any], headers: SheetHeaders, refs: RefChecker) -> None:
    """References in choice labels and media must name survey fields."""
    for row_number, row in enumerate(rows, start=2):
        if not isinstance(row, Mapping):
            continue
        for header, value in row.items():
            text = cell_text(value)
            if text is None or not isinstance(header, str):
                continue
            if headers.tokens.get(header, (header,))[0] in ("label", "media"):
                refs.check_text(text, Location(file, "choices", row_number, header))


def lint_settings(
    file: str, rows: Sequence[Any], headers: SheetHeaders, refs: RefChecker
) -> dict[str, ast.Expr]:
    """Check the settings row; returns the parsed ``instance_name`` (if any and valid)."""
    parsed: dict[str, ast.Expr] = {}
    if not rows or not isinstance(rows[0], Mapping):
        return parsed
    for header, value in rows[0].items():
        text = cell_text(value)
        if text is None or not isinstance(header, str):
            continue
        location = Location(file, "settings", 2, header)
        if headers.tokens.get(header, (header,))[0] == "instance_name":
            tree = refs.check_expression(text, location)
            if tree is not None:
                parsed["instance_name"] = tree
        else:
            refs.check_text(text, location)
    return parsed


def choice_rows(rows: Sequence[Any], headers: SheetHeaders) -> dict[str, list[tuple[int, str]]]:
    """``{list_name: [(row, choice name), …]}`` in sheet order."""
    list_header = headers.column(pyxform_constants.LIST_NAME_S)
    name_header = headers.column("name")
    found: dict[str, list[tuple[int, str]]] = {}
    for row_number, row in enumerate(rows, start=2):
        if not isinstance(row, Mapping):
            continue
        list_name = cell_text(row.get(list_header))
        if list_name is None:
            continue
        found.setdefault(list_name.strip(), []).append(
            (row_number, str(row.get(name_header, "")).strip())
        )
    return found
