"""Read and write the markdown tables of XLSForm `.md` files (pyxform's format).

`app.engine.ingest` is the one place that turns a whole form into Samluat's
model. This module is deliberately smaller: it reads the raw sheets of a `.md`
file (rows as they are written, with line numbers) and writes a sheet back,
which is what the study tooling needs to keep the shared choice lists of the
instruments identical to their single source (`app.study.choices`) and what
tests need to inspect extra columns row by row.

The reading rules mirror pyxform's markdown backend exactly:

- a line whose first non-blank character is ``#`` is a comment;
- a trailing ``# …`` after the last ``|`` of a line is a comment;
- a table line is ``| … |``; its first cell names a sheet when it is not empty,
  and the rows that follow belong to that sheet until the next sheet name;
- ``\\|`` is a literal pipe inside a cell; separator lines (``|---|``) and rows
  with only empty cells are skipped;
- the first row of a sheet is its header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import SamluatError

_COMMENT = re.compile(r"^\s*#")
_COMMENT_INLINE = re.compile(r"^(.*)(#[^|]+)$")
_CELL = re.compile(r"\s*\|(.*)\|\s*")
_SEPARATOR = re.compile(r"^[\|-]+$")
_PIPE = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based line number and its cells keyed by header."""

    line: int
    cells: Mapping[str, str]

    def get(self, column: str, default: str = "") -> str:
        """The cell under `column`, or `default` when the row leaves it empty."""
        return self.cells.get(column, default)


@dataclass(frozen=True)
class Sheet:
    """A sheet of a markdown XLSForm.

    `first_line` and `last_line` (1-based, inclusive) span the sheet's table
    lines, from its name line to its last row, so that a tool can replace it.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    first_line: int
    last_line: int
    header_line: int = 0


class MarkdownTableError(SamluatError):
    """A markdown XLSForm cannot be read (names the file and line)."""


def _cell(text: str) -> str:
    return text.strip().replace("\\|", "|")


def parse_sheets(text: str, source: str = "<string>") -> dict[str, Sheet]:
    """Parse every sheet of a markdown XLSForm, in file order, keyed by sheet name."""
    raw: list[tuple[str, int, list[tuple[int, list[str]]], int]] = []
    current: list[tuple[int, list[str]]] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if _COMMENT.match(line):
            continue
        inline = _COMMENT_INLINE.match(line)
        if inline:
            line = inline.group(1)
        match = _CELL.match(line)
        if not match:
            continue
        inner = match.group(1)
        if _SEPARATOR.match(inner):
            continue
        parts = [_cell(part) for part in _PIPE.split(inner)]
        first, cells = parts[0], parts[1:]
        if first:
            current = []
            raw.append((first, number, current, number))
        if current is None:
            raise MarkdownTableError(f"{source}:{number}: table row before any sheet name")
        if any(cells):
            current.append((number, cells))
            name, start, rows, _ = raw[-1]
            raw[-1] = (name, start, rows, number)
    sheets: dict[str, Sheet] = {}
    for name, start, rows, end in raw:
        if name in sheets:
            raise MarkdownTableError(f"{source}:{start}: sheet {name!r} appears twice")
        if not rows:
            sheets[name] = Sheet(name, (), (), start, end)
            continue
        header_line, header_cells = rows[0]
        header = tuple(header_cells)
        body: list[Row] = []
        for number, cells in rows[1:]:
            if len(cells) > len(header) and any(cells[len(header) :]):
                raise MarkdownTableError(
                    f"{source}:{number}: row has more cells than the header of sheet {name!r}"
                )
            values = {
                column: value
                for column, value in zip(header, cells, strict=False)
                if column and value
            }
            body.append(Row(number, values))
        sheets[name] = Sheet(name, header, tuple(body), start, end, header_line)
    return sheets


def read_sheets(path: Path) -> dict[str, Sheet]:
    """`parse_sheets` on a file (UTF-8)."""
    return parse_sheets(path.read_text(encoding="utf-8"), source=str(path))


def escape(value: str) -> str:
    """A cell value as written in a table (pipes escaped, no line breaks)."""
    if "\n" in value:
        raise MarkdownTableError(f"cell values cannot span lines: {value!r}")
    return value.replace("|", "\\|")


def format_row(cells: Sequence[str]) -> str:
    """One data row: ``| | a | b |`` (the empty first cell keeps it in the sheet)."""
    return "| | " + " | ".join(escape(cell) for cell in cells) + " |"


def format_sheet(
    name: str,
    header: Sequence[str],
    records: Iterable[Mapping[str, str]],
    comments: Sequence[str] = (),
) -> list[str]:
    """Lines of a sheet: its name, optional ``#`` comments, header and one line per record.

    A record with the special key ``""`` set to text emits that text as a blank
    line plus ``# text`` comment before it (used to title groups of rows).
    """
    lines = [f"| {name} |"]
    lines.extend(f"# {comment}" if comment else "#" for comment in comments)
    lines.append(format_row(header))
    for record in records:
        unknown = set(record) - set(header) - {""}
        if unknown:
            raise MarkdownTableError(f"sheet {name!r}: columns {sorted(unknown)} not in header")
        if record.get(""):
            lines.append("")
            lines.append(f"# {record['']}")
        lines.append(format_row([record.get(column, "") for column in header]))
    return lines
