"""XLSForm ingest: the one adapter between pyxform and Samluat's form model.

A form file (``.xlsx``, ``.xls``, ``.csv`` or pyxform's ``.md`` tables) is read
with pyxform's own parsing API — `get_xlsform` for the workbook and
`workbook_to_json` for its survey dict — and never through XForm XML or Java.
pyxform's dict is internal to the pinned pyxform release, so this module (with
`ingest_sheet` for the raw sheets, `ingest_build` for the dict and
`ingest_types` for question types) is the only code that knows its shape; it
returns a frozen `FormDef`.

Errors: everything wrong with a form — what pyxform rejects and what it lets
through (expression syntax, unknown ``${name}``, missing choice lists,
unsupported types, bad study columns) — is reported as `FormError`s naming
``file:sheet:row:column``, all of them at once where possible (`FormErrors`).
No other exception leaves `read_xlsform`, whatever the file holds. Function
names, arity and dependency cycles are checked later, when the form is
compiled (`app.engine.compiled`).
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import hashlib
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pyxform.xls2json_backends as pyxform_backends
import xlrd
from openpyxl.utils import get_column_letter
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import (
    Definition,
    DefinitionData,
    SupportedFileTypes,
    get_xlsform,
)

from app.core.errors import FormError, FormErrors, Location
from app.engine.ingest_build import BuildContext, JsonBuilder
from app.engine.ingest_limits import check_csv_size, check_md_size, check_xlsx_size
from app.engine.ingest_sheet import (
    ErrorList,
    RefChecker,
    SheetHeaders,
    choice_rows,
    choices_headers,
    index_survey,
    lint_choices,
    lint_settings,
    lint_survey,
    settings_headers,
    survey_headers,
)
from app.engine.ingest_types import shorten
from app.engine.model import DEFAULT_LANG, Expr, FormDef

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
# XLSForms are small; these bounds keep a hostile file from exhausting memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_ZIP_RATIO = 200
# For a file too large all the same (the sheet limits in `ingest_limits` catch most).
OUT_OF_MEMORY = "not enough memory to read this form: it is too large to load on this computer"
# A bug in Samluat or pyxform: the author cannot fix it; the log names the exception.
INTERNAL_ERROR = "internal error while loading the form: please report it (the log has details)"


class _XlrdLog:
    """xlrd reports damaged .xls files on stdout; send that to our log instead."""

    def write(self, text: str) -> int:
        if text.strip():
            logger.debug("xlrd: %s", text.rstrip())
        return len(text)

    def flush(self) -> None:
        pass


# pyxform calls xlrd without a logfile, and xlrd's default is the real stdout, which
# would corrupt the CLI's one-line-per-error output. Only pyxform's own call is wrapped.
if not isinstance(pyxform_backends.xlrd_open, functools.partial):
    pyxform_backends.xlrd_open = functools.partial(pyxform_backends.xlrd_open, logfile=_XlrdLog())

_ROW_PREFIX = re.compile(r"^\s*\[row\s*:\s*(\d+)\]\s*")
_SHEET_MENTION = re.compile(r"On the '([^']+)' sheet", re.IGNORECASE)
_SHEET_HEADERS = re.compile(r"provided for sheet: '([^']+)'", re.IGNORECASE)
_VALUE_MENTION = re.compile(r"the '([^']+)' value")
_SHEET_PREFIX = re.compile(r"^On the '[^']+' sheet, ", re.IGNORECASE)
_SETTINGS_KEYS_USED = frozenset(
    {"type", "name", "title", "id_string", "version", "default_language", "children",
     "choices", "instance_name"}
)  # fmt: skip


def read_xlsform(path: str | Path) -> FormDef:
    """Load the XLSForm at `path` into a `FormDef`.

    Raises `FormError` (one problem) or `FormErrors` (several); locations name
    the file as `path` was given.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        reason = f": {err.strerror}" if err.strerror else ""
        raise FormError(f"cannot read the form file{reason}", Location(name)) from err
    return read_xlsform_bytes(data, name)


def read_xlsform_bytes(data: bytes, filename: str) -> FormDef:
    """Load an XLSForm held in memory; `filename` gives the format (by suffix) and names errors."""
    try:
        workbook = _read_workbook(data, filename)
        return _load(workbook, filename, hashlib.sha256(data).hexdigest())
    except (FormError, FormErrors):
        raise
    except MemoryError:  # logging the traceback could need memory too
        raise FormError(OUT_OF_MEMORY, Location(filename)) from None
    except Exception as err:  # a bug here or in pyxform: still only FormError may escape
        logger.exception("internal error while loading %s", filename)
        raise FormError(INTERNAL_ERROR, Location(filename)) from err


def read_xlsform_dict(workbook: Mapping[str, Any], filename: str = "form.md") -> FormDef:
    """Load a form given as pyxform's workbook dict (``{"survey": [row dicts], …}``).

    Useful for generated forms (benchmarks, tests). Cell values that are not
    strings are converted as a spreadsheet reader would; ``None`` is an empty cell.
    """
    try:
        sheets = {key: _clean_sheet(value) for key, value in workbook.items()}
        digest = hashlib.sha256(repr(sorted(sheets.items(), key=str)).encode()).hexdigest()
        try:
            definition = get_xlsform(sheets)
        except (TypeError, ValueError) as err:
            raise FormError(_not_a_workbook(sheets), Location(filename)) from err
        if definition.fallback_form_name is None:
            definition.fallback_form_name = Path(filename).stem
        return _load(definition, filename, digest)
    except (FormError, FormErrors):
        raise
    except MemoryError:
        raise FormError(OUT_OF_MEMORY, Location(filename)) from None
    except Exception as err:
        logger.exception("internal error while loading %s", filename)
        raise FormError(INTERNAL_ERROR, Location(filename)) from err


def _not_a_workbook(sheets: Mapping[str, Any]) -> str:
    """Why pyxform refused a workbook dict: usually keys that are no sheet it knows."""
    known = {field.name for field in dataclasses.fields(DefinitionData)}
    unknown = [repr(shorten(str(key))) for key in sheets if key not in known]
    if unknown:
        return f"not an XLSForm workbook: unknown sheet {', '.join(unknown)}"
    return "not an XLSForm workbook"


# The model's docstring and older callers know the loader by this name.
load_form = read_xlsform


# -- reading ---------------------------------------------------------------------------


def _clean_cell(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean_sheet(value: Any) -> Any:
    if isinstance(value, list | tuple):
        rows = []
        for row in value:
            if isinstance(row, Mapping):
                cleaned = {str(k): _clean_cell(v) for k, v in row.items()}
                rows.append({k: v for k, v in cleaned.items() if v not in (None, "")})
            else:
                rows.append(row)
        return rows
    return value


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")


def _without_dimensions(data: bytes) -> bytes:
    """The workbook without its sheets' `<dimension>` tags.

    openpyxl's read-only mode (pyxform's) stops at the size a sheet declares, and some
    tools write a stale one: questions past it would vanish without a word. Without
    the tag every row is read. Called after `check_zip`, so the sizes are bounded.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [(info, archive.read(info)) for info in archive.infolist()]
    except Exception:  # a damaged archive: openpyxl says so where its errors are reported
        return data
    if not any(_DIMENSION.search(body) for info, body in entries if _is_sheet(info.filename)):
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, body in entries:
            if _is_sheet(info.filename):
                body = _DIMENSION.sub(b"", body, count=1)
            archive.writestr(info, body)
    return out.getvalue()


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _not_recognised(data: bytes, suffix: str) -> str:
    """Why pyxform found no XLSForm in a file, in words that say what to do."""
    if suffix == ".xls" and data.startswith(b"PK\x03\x04"):
        return "this is an .xlsx workbook with an .xls name: rename it to .xlsx"
    if suffix in (".xlsx", ".xlsm") and data.startswith(b"\xd0\xcf\x11\xe0"):
        return f"this is an old .xls workbook with an {suffix} name: rename it to .xls"
    if suffix == ".csv":
        first = data.split(b"\n", 1)[0]
        if b";" in first and b"," not in first:
            return (
                "the columns are separated by semicolons (;): save it again as CSV UTF-8 "
                "(comma delimited)"
            )
        return "no survey sheet found: an XLSForm CSV names its sheet (survey) in the first column"
    if suffix == ".md":
        return "no survey table found: a Markdown form needs a '| survey |' line, then its rows"
    return f"no XLSForm found in this {suffix} file"


def _ragged_markdown_row(data: bytes) -> tuple[str, int, str] | None:
    """(sheet, row, message) for the first Markdown table row with more cells than its
    header (pyxform fails on it without saying where)."""
    sheet: str | None = None
    header = row = 0
    for line in data.decode("utf-8", "replace").splitlines():
        cells = line.strip().strip("|").split("|") if line.strip().startswith("|") else []
        if not cells:
            sheet = None
            continue
        if sheet is None or (cells[0].strip() and all(not c.strip() for c in cells[1:])):
            sheet, header, row = cells[0].strip(), 0, 0
            continue
        row += 1
        if row == 1:
            header = len(cells)
        elif len(cells) > header:
            return sheet, row, f"this row has {len(cells)} cells, its header {header}"
    return None


_DUPLICATE_HEADER = "Duplicate column header: "


def _duplicate_header(data: bytes, suffix: str, header: str, filename: str) -> FormError:
    """pyxform's "Duplicate column header" with the sheet and columns it did not name."""
    wanted = header.strip()
    try:
        for sheet, cells in _header_rows(data, suffix):
            columns = [n for n, cell in enumerate(cells) if str(cell or "").strip() == wanted]
            if len(columns) > 1:
                letters = [get_column_letter(n + 1) for n in columns]
                return FormError(
                    f"the column header {wanted!r} appears {len(columns)} times "
                    f"(columns {', '.join(letters)}): keep one, or rename the others",
                    Location(filename, sheet, 1, letters[1]),
                )
    except Exception:  # the workbook read once already; failing again, say what is known
        logger.debug("cannot find the sheet of a duplicate header", exc_info=True)
    return FormError(f"the column header {wanted!r} appears twice in a sheet", Location(filename))


def _header_rows(data: bytes, suffix: str) -> Iterator[tuple[str, list[Any]]]:
    """(sheet name, first row) of every sheet of an .xlsx or .xls workbook."""
    if suffix == ".xls":
        book = xlrd.open_workbook(file_contents=data, logfile=_XlrdLog())
        for sheet in book.sheets():
            yield sheet.name, sheet.row_values(0) if sheet.nrows else []
        return
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for ws in book.worksheets:
            yield ws.title, list(next(iter(ws.iter_rows(max_row=1, values_only=True)), ()))
    finally:
        book.close()


def check_zip(data: bytes, location: Location) -> None:
    """Refuse zip bombs before openpyxl inflates them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except Exception as err:  # zipfile raises several types for damaged archives
        detail = shorten(one_line(str(err)), 200) or "the zip archive is damaged"
        raise FormError(f"not a valid .xlsx file ({detail})", location) from err
    if total > MAX_UNZIPPED_BYTES or total > MAX_ZIP_RATIO * max(len(data), 1):
        raise FormError("the .xlsx file expands to an implausible size; refusing it", location)


def _read_workbook(data: bytes, filename: str) -> DefinitionData:
    location = Location(filename)
    suffix = Path(filename).suffix.lower()
    data = _checked_bytes(data, suffix, location)
    definition = Definition(
        data=io.BytesIO(data),
        file_type=SupportedFileTypes(suffix),
        file_path_stem=Path(filename).stem,
    )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about spreadsheet features it drops; they do not matter here.
            warnings.simplefilter("ignore")
            workbook = get_xlsform(definition, file_type=suffix)
    except PyXFormError as err:
        if str(err).startswith("Argument 'definition' was not recognized"):
            raise FormError(_not_recognised(data, suffix), location) from err
        if str(err).startswith(_DUPLICATE_HEADER):
            header = str(err).removeprefix(_DUPLICATE_HEADER)
            raise _duplicate_header(data, suffix, header, filename) from err
        raise _translate(err, filename) from err
    except RecursionError as err:
        raise FormError("the file is too deeply nested to read", location) from err
    except MemoryError:
        raise FormError(OUT_OF_MEMORY, location) from None
    except Exception as err:  # hostile bytes make xlrd/openpyxl/csv raise anything
        ragged = _ragged_markdown_row(data) if suffix == ".md" else None
        if ragged is not None:
            sheet, row, message = ragged
            raise FormError(message, Location(filename, sheet, row)) from err
        raise FormError(_why_unreadable(err, suffix), location) from err
    if not isinstance(workbook, DefinitionData):
        raise FormError("not an XLSForm workbook", location)
    return workbook


def _checked_bytes(data: bytes, suffix: str, location: Location) -> bytes:
    """The file's bytes as pyxform should get them, once they pass the checks that keep a
    hostile or foreign file from reaching pyxform (the type, size and encoding)."""
    if suffix not in SUPPORTED_SUFFIXES:
        raise FormError(
            f"unsupported: file type {suffix or '(none)'!r} (use .xlsx, .xls, .csv or .md)",
            location,
        )
    if suffix in (".csv", ".md"):
        # Excel's "CSV UTF-8" and Notepad start text with a BOM, which pyxform would
        # read as part of the first sheet or column name.
        data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        raise FormError("the form file is empty", location)
    if len(data) > MAX_FILE_BYTES:
        raise FormError("the form file is too large for an XLSForm", location)
    if suffix in (".xlsx", ".xlsm"):
        check_zip(data, location)
        check_xlsx_size(data, location.file)
        return _without_dimensions(data)
    if suffix == ".csv":
        _check_csv(data, _utf8_text(data, suffix, location), location)
    elif suffix == ".md":
        check_md_size(_utf8_text(data, suffix, location), location.file)
    return data


def _utf8_text(data: bytes, suffix: str, location: Location) -> str:
    """The text of a .csv or .md file; refused, naming the line, unless it is UTF-8 (pyxform
    reads nothing else, and would say so with a Python exception)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        how = 'save it as "CSV UTF-8"' if suffix == ".csv" else "save it as UTF-8 text"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FormError(f"the file is UTF-16 text, not UTF-8: {how}", location) from None
        line = data.count(b"\n", 0, err.start) + 1
        raise FormError(
            f"the file is not UTF-8 text (first non-UTF-8 byte on line {line}): {how}",
            location,
        ) from None


def _check_csv(data: bytes, text: str, location: Location) -> None:
    """Sheet sizes of a CSV form, and the sheet names in its first column."""
    foreign = check_csv_size(text, location.file)
    if foreign is None:
        return
    if not foreign.after_survey:  # a plain table, not a form
        raise FormError(_not_recognised(data, ".csv"), location)
    raise FormError(
        f"line {foreign.line}: {shorten(foreign.name)!r} in the first column is not an XLSForm "
        "sheet; the first column names the sheet (survey, choices, settings) and is otherwise "
        "empty",
        location,
    )


def _why_unreadable(err: Exception, suffix: str) -> str:
    """What a reader's exception says about the file, in one line without Python's names."""
    if any(type(cause).__module__.startswith("defusedxml") for cause in _causes(err)):
        return f"the {suffix} file's XML declares entities (as XML bombs do); refusing it"
    detail = one_line(str(err))
    return f"cannot read the file as {suffix}" + (f" ({shorten(detail, 200)})" if detail else "")


def _causes(err: BaseException) -> Iterator[BaseException]:
    """`err` and the exceptions it was raised from (openpyxl wraps the XML parser's)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def one_line(text: str) -> str:
    """A library's message as one line (openpyxl's and some of pyxform's have several)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# pyxform messages we restate in Samluat's words: pattern → (message template, survey column).
_RESTATED = (
    (re.compile(r"List name not in choices sheet: (\S+)"), "unknown choice list {0!r}", "type"),
    (re.compile(r"List name not in external choices sheet: (\S+)"),
     "unknown external choice list {0!r}", "type"),
    (re.compile(r"Question or group with no name"), "this row has a type but no name", "name"),
    (re.compile(r"Question with no type"), "this row has no type", "type"),
)  # fmt: skip


def _translate(err: PyXFormError, filename: str, survey: SheetHeaders | None = None) -> FormError:
    """A pyxform error as a `FormError`, with the sheet/row/column pyxform knew."""
    message = one_line(str(err)) or "pyxform refused the form without saying why"
    context = getattr(err, "context", None) or {}
    row: int | None = None
    sheet: str | None = context.get("sheet")
    column: str | None = context.get("column")
    if isinstance(context.get("row"), int):
        row = context["row"]
    match = _ROW_PREFIX.match(message)
    if match:
        row = row or int(match.group(1))
        message = message[match.end() :]
    if sheet is None:
        found = _SHEET_MENTION.search(message) or _SHEET_HEADERS.search(message)
        if found:
            sheet = found.group(1).lower()
        elif row is not None:
            sheet = "survey"  # pyxform's "[row : n]" errors without a sheet are survey rows
    if column is None and row is not None:
        found = _VALUE_MENTION.search(message)
        column = found.group(1) if found else None
    if err.code is not None and err.code.name == "PYREF_003" and "q" in context:
        message = f"unknown field ${{{context['q']}}}"
    elif err.code is not None and err.code.name == "PYREF_004" and "q" in context:
        message = f"ambiguous reference ${{{context['q']}}}: several fields have this name"
    message = _SHEET_PREFIX.sub("", message, count=1)
    for pattern, template, restated_column in _RESTATED:
        restated = pattern.search(message)
        if restated and row is not None:
            message = template.format(*restated.groups())
            sheet = sheet or "survey"
            column = survey.column(restated_column) if survey else restated_column
            break
    if sheet is not None and row is None and column is None and "header" in message.lower():
        row = 1
    return FormError(message, Location(filename, sheet, row if sheet else None, column))


# -- loading ---------------------------------------------------------------------------


def _sheet(workbook: DefinitionData, name: str) -> list[Any]:
    rows = getattr(workbook, name, None)
    return list(rows) if isinstance(rows, list | tuple) else []


def _load(workbook: DefinitionData, filename: str, source_hash: str) -> FormDef:
    errors = ErrorList()
    survey_rows = _sheet(workbook, "survey")
    choice_sheet = _sheet(workbook, "choices")
    settings_rows = _sheet(workbook, "settings")
    survey = survey_headers(workbook.survey_header, survey_rows)
    choices = choices_headers(workbook.choices_header, choice_sheet)
    settings = settings_headers(workbook.settings_header, settings_rows)
    index = index_survey(survey_rows, survey)
    refs = RefChecker(index.names, errors)
    lint_survey(filename, survey_rows, survey, index, refs)
    lint_choices(filename, choice_sheet, choices, refs)
    lint_settings(filename, settings_rows, settings, refs)

    pyxform_warnings: list[str] = []
    form_json: dict[str, Any] | None = None
    try:
        form_json = workbook_to_json(
            workbook_dict=workbook,
            form_name=None,
            fallback_form_name=workbook.fallback_form_name,
            warnings=pyxform_warnings,
        )
    except PyXFormError as err:
        translated = _translate(err, filename, survey)
        # pyxform reports one problem; if our lint already named that cell, ours is it.
        if not errors.has_at(translated.location):
            errors.add_error(translated)
    except RecursionError as err:
        errors.add("the form is too deeply nested", Location(filename, "survey"))
        logger.debug("recursion in pyxform: %s", err)
    except MemoryError:
        raise
    except Exception as err:  # pyxform is not hardened against every malformed workbook
        logger.debug("pyxform failed on %s", filename, exc_info=True)
        detail = shorten(one_line(str(err)), 200)
        errors.add(
            "pyxform cannot read this form" + (f" ({detail})" if detail else ""),
            Location(filename, "survey"),
        )

    formdef: FormDef | None = None
    if form_json is not None:
        ctx = BuildContext(
            file=filename,
            errors=errors,
            refs=refs,
            survey=survey,
            choices=choices,
            index=index,
            choice_rows=choice_rows(choice_sheet, choices),
            settings_header=_settings_columns(settings),
        )
        try:
            formdef = _build(
                form_json, ctx, pyxform_warnings, source_hash, _sheet(workbook, "external_choices")
            )
        except RecursionError as err:  # groups nested deeper than the builder recurses
            errors.add("the form is too deeply nested", Location(filename, "survey"))
            logger.debug("recursion building %s: %s", filename, err)
    if errors:
        found = errors.all()
        if len(found) == 1:
            raise found[0]
        raise FormErrors(found)
    assert formdef is not None  # no errors means pyxform produced its dict
    return formdef


def _settings_columns(settings: SheetHeaders) -> dict[str, str]:
    """Canonical settings name → header as written (for locations)."""
    return {tokens[0]: header for header, tokens in settings.tokens.items()}


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _build(
    form_json: Mapping[str, Any],
    ctx: BuildContext,
    pyxform_warnings: list[str],
    source_hash: str,
    external_rows: list[Any],
) -> FormDef:
    builder = JsonBuilder(ctx)
    # Languages in the order their columns appear: survey sheet first, then choices.
    for headers in (ctx.survey, ctx.choices):
        for tokens in headers.tokens.values():
            if len(tokens) == 2 and tokens[0] in ("label", "hint", "guidance_hint"):
                ctx.code(tokens[1])
    ctx.choice_lists = builder.choice_lists(form_json.get("choices"))
    root_name = str(form_json.get("name") or "data")
    children = builder.children(form_json.get("children") or (), (root_name,), (), None)

    instance_name: Expr | None = None
    if form_json.get("instance_name"):
        location = Location(
            ctx.file, "settings", 2, ctx.settings_header.get("instance_name", "instance_name")
        )
        instance_name = builder.expr(form_json["instance_name"], location)

    default_language: str | None = None
    pyxform_default = form_json.get("default_language")
    if pyxform_default and pyxform_default != DEFAULT_LANG:
        default_language = ctx.code(str(pyxform_default))

    settings = {
        str(key): _setting_text(value)
        for key, value in form_json.items()
        if key not in _SETTINGS_KEYS_USED and not isinstance(value, Mapping | list)
    }
    # One line each, like errors: pyxform lists missing translations on several lines.
    form_warnings = [one_line(warning) for warning in pyxform_warnings]
    if ctx.entity_lists:
        settings["entities"] = ", ".join(ctx.entity_lists)
        form_warnings.append(
            "entities: this form declares entity list(s) "
            f"{', '.join(ctx.entity_lists)}; Samluat loads it but does not create or update "
            "entities"
        )
    form_id = str(form_json.get("id_string") or Path(ctx.file).stem)
    return FormDef(
        form_id=form_id,
        title=str(form_json.get("title") or form_id),
        version=str(form_json.get("version") or ""),
        root_name=root_name,
        children=children,
        choice_lists=ctx.choice_lists,
        languages=tuple(
            language for language in ctx.languages.values() if language.code != DEFAULT_LANG
        ),
        default_language=default_language,
        source=Location(ctx.file),
        source_hash=source_hash,
        instance_name=instance_name,
        settings=settings,
        warnings=tuple(form_warnings),
        external_choice_lists=builder.external_choice_lists(external_rows),
    )
