"""How big a form file may be: rows and filled cells per sheet, counted before pyxform reads it.

pyxform turns every row of a sheet into a dict, and Samluat every row into a
question or a choice: a 13 MB .xlsx holding a million survey rows took five
minutes and 3.8 GB to load, and died with a traceback where memory was short.
So before pyxform starts, one streaming pass over the raw file counts rows and
filled cells sheet by sheet (in the sheet XML of an .xlsx, the lines of a .csv
or .md) and refuses the file as soon as a sheet passes a limit, without
building anything.

An .xls needs no pass: the format itself stops at 65,536 rows and 256 columns.
"""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import IO, NamedTuple

from pyxform.constants import SUPPORTED_SHEET_NAMES

from app.core.errors import FormError, Location
from app.engine.ingest_types import shorten

# Real forms are far below both limits: a survey sheet has hundreds of rows, the longest
# choice lists (every village of a province or of the country) 10,000-20,000. Loading costs
# 3-5 KB per row (99,000 villages: 290 MB; 99,000 questions: 480 MB, each under a minute),
# so 100,000 rows per sheet leaves five times the longest real list and still loads on a
# field laptop, where the million-row file needed 3.8 GB.
MAX_SHEET_ROWS = 100_000
# Ten filled cells a row at the row limit: a village list with labels in three languages
# and a few choice_filter columns fills six or seven.
MAX_SHEET_CELLS = 1_000_000
# A .md file keeps every table it holds, XLSForm sheet or not; a real one has a handful.
MAX_MD_TABLES = 100

_NOT_LOADED = "not a form Samluat loads"
_CHUNK = 1 << 20
# An unfinished tag longer than this at a chunk's end is no row or cell tag: drop it.
_MAX_CARRY = 1 << 20

# Row and cell start tags that are not self-closing (`<row r="9"/>` is an empty row
# Excel keeps for its formatting, `<c r="B9" s="1"/>` an empty formatted cell).
_FULL_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*(?<!/)>")
_FULL_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*(?<!/)>")
_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class SheetCounter:
    """Rows and filled cells of the sheets of one file, refused past the limits."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.rows: Counter[str] = Counter()
        self.cells: Counter[str] = Counter()

    def add(self, sheet: str, rows: int, cells: int) -> None:
        """Count `rows` more rows holding `cells` more filled cells in `sheet`."""
        self.rows[sheet] += rows
        self.cells[sheet] += cells
        if self.rows[sheet] > MAX_SHEET_ROWS:
            self.refuse(f"sheet {shorten(sheet)!r} has more than {MAX_SHEET_ROWS:,} rows")
        if self.cells[sheet] > MAX_SHEET_CELLS:
            self.refuse(f"sheet {shorten(sheet)!r} has more than {MAX_SHEET_CELLS:,} filled cells")

    def refuse(self, what: str) -> None:
        raise FormError(f"{what}: {_NOT_LOADED}", Location(self.filename))


# -- .xlsx -----------------------------------------------------------------------------


def check_xlsx_size(data: bytes, filename: str) -> None:
    """Refuse a workbook with a sheet pyxform reads past the limits (call after `check_zip`)."""
    counter = SheetCounter(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a workbook: openpyxl says so where read errors are reported
        return
    with archive:
        for sheet, part in _sheets_pyxform_reads(archive):
            try:
                with archive.open(part) as stream:
                    _count_sheet_xml(stream, sheet, counter)
            except FormError:
                raise
            except Exception:  # zipfile and zlib raise many types for a damaged part
                continue  # openpyxl reports it where read errors are reported


def _count_sheet_xml(stream: IO[bytes], sheet: str, counter: SheetCounter) -> None:
    carry = b""
    while chunk := stream.read(_CHUNK):
        text, carry = _complete_tags(carry + chunk)
        counter.add(sheet, len(_FULL_ROW.findall(text)), len(_FULL_CELL.findall(text)))
    counter.add(sheet, len(_FULL_ROW.findall(carry)), len(_FULL_CELL.findall(carry)))


def _complete_tags(buffer: bytes) -> tuple[bytes, bytes]:
    """`buffer` cut before a tag the chunk ends inside, and that tag's start."""
    start = buffer.rfind(b"<")
    if start == -1 or buffer.find(b">", start) != -1:
        return buffer, b""
    carry = buffer[start:]
    return buffer[:start], carry if len(carry) <= _MAX_CARRY else b""


def _sheets_pyxform_reads(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part) of the sheets pyxform reads: the XLSForm ones, or the only one.
    Without the workbook's list of sheets (a damaged file), every worksheet part counts."""
    sheets = _workbook_sheets(archive)
    if not sheets:
        return [(name, name) for name in archive.namelist() if _is_worksheet(name)]
    if len(sheets) == 1:
        return sheets
    return [(name, part) for name, part in sheets if name.lower() in SUPPORTED_SHEET_NAMES]


def _workbook_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part) of every sheet, from the workbook and its relationships.

    Read with regular expressions: an XML parser would expand entity declarations,
    which is what an XML bomb is made of.
    """
    workbook = _workbook_part(archive)
    folder = posixpath.dirname(workbook)
    rels = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {
        attributes.get("Id", ""): _part(folder, attributes.get("Target", ""))
        for attributes in _tags(_read_small(archive, rels), b"Relationship")
    }
    sheets = [
        (attributes.get("name", ""), targets.get(attributes.get("id", ""), ""))
        for attributes in _tags(_read_small(archive, workbook), b"sheet")
    ]
    return [(name, part) for name, part in sheets if part]


def _workbook_part(archive: zipfile.ZipFile) -> str:
    for attributes in _tags(_read_small(archive, "_rels/.rels"), b"Relationship"):
        if attributes.get("Type", "").endswith("/officeDocument"):
            return _part("", attributes.get("Target", "")) or "xl/workbook.xml"
    return "xl/workbook.xml"


def _part(folder: str, target: str) -> str:
    """A relationship target as a part name in the archive."""
    if not target:
        return ""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _read_small(archive: zipfile.ZipFile, part: str) -> bytes:
    """A part that is small in any real workbook (bounded by `check_zip` in any case)."""
    try:
        return archive.read(part)
    except Exception:  # missing or damaged: the workbook's reader reports it
        return b""


def _tags(xml: bytes, tag: bytes) -> Iterator[dict[str, str]]:
    """The attributes of each `<tag …>` by local name (`r:id` as `id`: the prefix of the
    relationships namespace is the writer's choice)."""
    for match in _TAG.finditer(xml):
        if match.group(1) != tag:
            continue
        attributes: dict[str, str] = {}
        for key, double, single in _ATTRIBUTE.findall(match.group(2)):
            name = key.decode("ascii", "replace").rpartition(":")[2]
            attributes[name] = html.unescape((double or single).decode("utf-8", "replace"))
        yield attributes


# -- .csv and .md ----------------------------------------------------------------------


class ForeignSheet(NamedTuple):
    """A first-column value of a CSV form that names no XLSForm sheet."""

    name: str
    line: int
    after_survey: bool


def check_csv_size(text: str, filename: str) -> ForeignSheet | None:
    """Refuse a CSV form with a sheet past the limits (text already decoded).

    The first column names the sheet of the rows that follow; pyxform cannot read a
    CSV naming any other sheet (a plain data table, say), so the pass stops at the first
    such name and returns it.
    """
    counter = SheetCounter(filename)
    sheet: str | None = None
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in rows:
            if row and row[0].strip():
                sheet = row[0].strip().lower()
                if sheet not in SUPPORTED_SHEET_NAMES:
                    return ForeignSheet(row[0].strip(), rows.line_num, "survey" in counter.rows)
            if sheet is not None:
                counter.add(sheet, 1, sum(1 for cell in row[1:] if cell.strip()))
    except csv.Error:
        pass  # pyxform's own reading reports a malformed CSV
    return None


def check_md_size(text: str, filename: str) -> None:
    """Refuse a Markdown form with a table past the limits, or with too many tables."""
    counter = SheetCounter(filename)
    sheet: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = stripped.strip("|").split("|")
        if cells[0].strip():
            sheet = cells[0].strip()
            if sheet not in counter.rows and len(counter.rows) >= MAX_MD_TABLES:
                counter.refuse(f"the file has more than {MAX_MD_TABLES} tables")
        if sheet is not None:
            counter.add(sheet, 1, sum(1 for cell in cells[1:] if cell.strip()))
