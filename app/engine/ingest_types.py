"""Question types: from pyxform's type names to Samluat's `Kind` and `DataType`.

pyxform resolves the many spellings of a type (``gps``, ``location``,
``q geopoint`` …) through its `QUESTION_TYPE_DICT`, which says for each one the
body control (``input``, ``select1``, ``upload`` …), the upload media type, the
bind type and any ``jr:preload``. We classify from those properties rather
than from a list of names, so every alias pyxform knows maps the same way as
its canonical type. The few types that need a decision of our own (notes,
acknowledge, background capture, external data) are handled by name first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from pyxform import aliases
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_OSM, RE_SELECT

from app.engine.model import DataType, Kind

# pyxform's json names for selects (after its own de-aliasing in workbook_to_json).
SELECT_ONE = "select one"
SELECT_MULTIPLE = "select all that apply"
RANK = "rank"
SELECT_ONE_EXTERNAL = "select one external"
SELECT_TYPES = frozenset({SELECT_ONE, SELECT_MULTIPLE, RANK, SELECT_ONE_EXTERNAL})

# The error for a select type written without the name of its choice list.
NEEDS_CHOICE_LIST = "a select question needs a choice list"

# File extensions that make `select_one_from_file <file>` read choices from a form attachment.
EXTERNAL_CHOICE_FILE_EXTENSIONS = (".csv", ".xml", ".geojson")

BIND_TYPES: MappingProxyType[str, DataType] = MappingProxyType(
    {
        "string": DataType.STRING,
        "int": DataType.INT,
        "integer": DataType.INT,
        "decimal": DataType.DECIMAL,
        "date": DataType.DATE,
        "time": DataType.TIME,
        "dateTime": DataType.DATETIME,
        "geopoint": DataType.GEOPOINT,
        "geotrace": DataType.GEOTRACE,
        "geoshape": DataType.GEOSHAPE,
        "binary": DataType.BINARY,
        "barcode": DataType.BARCODE,
        "odk:rank": DataType.SELECT,
    }
)

_INPUT_KINDS: MappingProxyType[DataType, Kind] = MappingProxyType(
    {
        DataType.STRING: Kind.TEXT,
        DataType.INT: Kind.INTEGER,
        DataType.DECIMAL: Kind.DECIMAL,
        DataType.DATE: Kind.DATE,
        DataType.TIME: Kind.TIME,
        DataType.DATETIME: Kind.DATETIME,
        DataType.GEOPOINT: Kind.GEOPOINT,
        DataType.GEOTRACE: Kind.GEOTRACE,
        DataType.GEOSHAPE: Kind.GEOSHAPE,
        DataType.BARCODE: Kind.BARCODE,
    }
)

_UPLOAD_KINDS: tuple[tuple[str, Kind], ...] = (
    ("image/", Kind.IMAGE),
    ("audio/", Kind.AUDIO),
    ("video/", Kind.VIDEO),
    ("application/", Kind.FILE),
    # OpenMapKit: the app stores an .osm file; we treat it as a plain file attachment.
    ("osm/", Kind.FILE),
)

# Types pyxform knows but Samluat cannot honour; the value completes "unsupported: …".
UNSUPPORTED_TYPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "include": "include (sections taken from other files)",
        "csv-external": "csv-external (data read from an attached CSV file)",
        "xml-external": "xml-external (data read from an attached XML file)",
    }
)


@dataclass(frozen=True)
class TypeInfo:
    """How a pyxform question type becomes a Samluat question."""

    kind: Kind
    data_type: DataType
    # (jr:preload, jr:preloadParams) for values the app fills in itself.
    preload: tuple[str, str] | None = None
    # pyxform renders a body control, so the question must have a label, hint or media.
    has_control: bool = True


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters for an error message (cells can be huge)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UnsupportedType(Exception):
    """Raised by `classify` with the text that follows ``unsupported:``."""


def lacks_choice_list(row_type: str) -> bool:
    """Whether a type is a select command alone (``select_one``, ``rank`` …): pyxform lets it
    through as a type of its own, which it is not; its list name is missing."""
    return row_type in aliases.select


def _select_info(json_type: str) -> TypeInfo:
    if json_type == SELECT_MULTIPLE:
        return TypeInfo(Kind.SELECT_MULTIPLE, DataType.SELECT)
    if json_type == RANK:
        return TypeInfo(Kind.RANK, DataType.SELECT)
    return TypeInfo(Kind.SELECT_ONE, DataType.SELECT1)


@lru_cache(maxsize=512)
def classify(json_type: str, bind_type: str | None = None) -> TypeInfo:
    """Kind and data type for a question type as it appears in pyxform's json.

    `bind_type` is the element's own bind type when pyxform set one (a range
    with decimal bounds becomes ``decimal``). Raises `UnsupportedType`.
    """
    if json_type in SELECT_TYPES:
        return _select_info(json_type)
    if lacks_choice_list(json_type):  # the builder reports the missing list
        return _select_info(aliases.select[json_type])
    if json_type in UNSUPPORTED_TYPES:
        raise UnsupportedType(UNSUPPORTED_TYPES[json_type])
    spec: Any = QUESTION_TYPE_DICT.get(json_type)
    if spec is None:
        raise UnsupportedType(f"unknown question type {shorten(json_type)!r}")
    control: dict[str, str] = dict(spec.get("control") or {})
    bind: dict[str, str] = dict(spec.get("bind") or {})
    data_type = BIND_TYPES.get(bind_type or bind.get("type", "string"), DataType.STRING)
    tag = control.get("tag")

    # Values filled in by the app rather than asked: metadata and background capture.
    if "jr:preload" in bind:
        preload = (bind["jr:preload"], bind.get("jr:preloadParams", ""))
        return TypeInfo(Kind.METADATA, data_type, preload, has_control=False)
    if json_type == "audit":
        return TypeInfo(Kind.METADATA, DataType.BINARY, ("audit", ""), has_control=False)
    if json_type in ("start-geopoint", "background-geopoint", "background-audio"):
        return TypeInfo(Kind.METADATA, data_type, (json_type, ""), has_control=False)

    if tag is None:
        kind = Kind.HIDDEN if json_type == "hidden" else Kind.CALCULATE
        return TypeInfo(kind, data_type, has_control=False)
    if tag == "upload":
        mediatype = control.get("mediatype", "")
        for prefix, kind in _UPLOAD_KINDS:
            if mediatype.startswith(prefix):
                return TypeInfo(kind, DataType.BINARY)
        return TypeInfo(Kind.FILE, DataType.BINARY)
    if tag == "trigger":
        if "type" not in bind:
            return TypeInfo(Kind.TRIGGER, DataType.STRING)
        return TypeInfo(Kind.ACKNOWLEDGE, DataType.STRING)
    if tag == "range":
        return TypeInfo(Kind.RANGE, data_type)
    if tag in ("select1", "select", "odk:rank"):
        return _select_info({"select": SELECT_MULTIPLE, "odk:rank": RANK}.get(tag, SELECT_ONE))
    if tag == "input":
        # A read-only input is pyxform's note (display text, no answer).
        if bind.get("readonly") == "true()":
            return TypeInfo(Kind.NOTE, DataType.STRING)
        return TypeInfo(_INPUT_KINDS.get(data_type, Kind.TEXT), data_type)
    raise UnsupportedType(f"question type {shorten(json_type)!r} (control {tag!r})")


def type_defaults(json_type: str) -> Mapping[str, Any]:
    """The bind/hint/parameter defaults pyxform attaches to a type (e.g. ``percentage``)."""
    return _TYPE_DEFAULTS.get(json_type, _NO_DEFAULTS)


_NO_DEFAULTS: Mapping[str, Any] = MappingProxyType({})
_TYPE_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        name: MappingProxyType({k: v for k, v in spec.items() if k != "control"})
        for name, spec in QUESTION_TYPE_DICT.items()
    }
)


def raw_type_problem(row_type: str) -> str | None:
    """What follows ``unsupported:`` for a survey row's type as written, or None if fine.

    Mirrors how `workbook_to_json` reads a type (controls, selects, osm,
    settings rows, aliases) so that the lint pass can report unknown types even
    when pyxform stops on another row first.
    """
    select = RE_SELECT.search(row_type)
    if select and "${" in select.group("list_name"):
        return f"choices from the answers of another question ({select.group('list_name')})"
    if (
        select
        or RE_BEGIN_CONTROL.search(row_type)
        or RE_END_CONTROL.search(row_type)
        or RE_OSM.search(row_type)
        or row_type in aliases.settings_header
        or lacks_choice_list(row_type)  # reported as NEEDS_CHOICE_LIST
    ):
        return None
    json_type = aliases._type_alias_map.get(row_type, row_type)
    if json_type in UNSUPPORTED_TYPES:
        return UNSUPPORTED_TYPES[json_type]
    if json_type not in QUESTION_TYPE_DICT:
        return f"unknown question type {shorten(json_type)!r}"
    return None
