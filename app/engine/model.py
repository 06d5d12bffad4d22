"""Samluat's own frozen model of a form (`FormDef`).

pyxform's parsed dict is an internal format of one pinned pyxform release; the
adapter in `app.engine.ingest` turns it into these classes once, so nothing
else in Samluat depends on pyxform's shapes. Everything here is immutable and
picklable (the compiled-form cache pickles it).

Conventions:
- Multilingual text is a `Text`: a mapping of language code (``"lo"``, ``"en"``,
  or ``"default"`` for columns without a language) to text.
- Every element keeps the `Location` of its row so that any later error can
  name ``file:sheet:row:column``.
- Paths are tuples of names from the root, e.g. ``("data", "grp", "q1")``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.errors import Location
from app.engine.xpath.ast import Expr as AstExpr

DEFAULT_LANG = "default"
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
DEFAULT_CLASSIFICATION = "internal"


class Text(dict[str, str]):
    """Text in several languages: ``{lang_code: text}``. Treat as read-only."""

    def get_text(self, lang: str | None, fallback: str | None = None) -> str:
        """Text in `lang`, else `fallback` language, else the unnamed column, else any."""
        for key in (lang, fallback, DEFAULT_LANG):
            if key is not None and key in self and self[key] != "":
                return self[key]
        for value in self.values():
            if value:
                return value
        return ""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


class Kind(StrEnum):
    """What a question is, independent of pyxform's type aliases."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    RANGE = "range"
    DATE = "date"
    TIME = "time"
    DATETIME = "dateTime"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    RANK = "rank"
    NOTE = "note"
    ACKNOWLEDGE = "acknowledge"
    TRIGGER = "trigger"
    CALCULATE = "calculate"
    HIDDEN = "hidden"
    GEOPOINT = "geopoint"
    GEOTRACE = "geotrace"
    GEOSHAPE = "geoshape"
    BARCODE = "barcode"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    FILE = "file"
    METADATA = "metadata"  # start, end, today, deviceid, username, …: filled by the app


ATTACHMENT_KINDS = frozenset({Kind.IMAGE, Kind.AUDIO, Kind.VIDEO, Kind.FILE})
SELECT_KINDS = frozenset({Kind.SELECT_ONE, Kind.SELECT_MULTIPLE, Kind.RANK})
# Kinds that hold no answer the user types (display-only or computed).
NON_INPUT_KINDS = frozenset({Kind.NOTE, Kind.CALCULATE, Kind.HIDDEN, Kind.METADATA})


class DataType(StrEnum):
    """How a value is stored and serialised (the XForm bind type)."""

    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    TIME = "time"
    DATETIME = "dateTime"
    SELECT1 = "select1"  # one choice name
    SELECT = "select"  # space-separated choice names (select_multiple, rank)
    GEOPOINT = "geopoint"
    GEOTRACE = "geotrace"
    GEOSHAPE = "geoshape"
    BINARY = "binary"  # attachment file name
    BARCODE = "barcode"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Expr:
    """A parsed ODK expression with where it came from."""

    source: str
    ast: AstExpr
    location: Location


@dataclass(frozen=True)
class Choice:
    name: str
    label: Text
    media: Mapping[str, Text] = field(default_factory=dict)
    # Other columns of the choices sheet (choice_filter columns such as `cluster`).
    extra: Mapping[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True)
class ChoiceList:
    name: str
    choices: tuple[Choice, ...]
    location: Location | None = None

    def by_name(self, name: str) -> Choice | None:
        for choice in self.choices:
            if choice.name == name:
                return choice
        return None


@dataclass(frozen=True)
class Element:
    """Anything in the survey tree: a question, a group or a repeat."""

    name: str
    path: tuple[str, ...]
    location: Location
    label: Text = field(default_factory=Text)
    hint: Text = field(default_factory=Text)
    guidance_hint: Text = field(default_factory=Text)
    media: Mapping[str, Text] = field(default_factory=dict)  # image/audio/video → Text
    appearance: str = ""
    relevant: Expr | None = None
    # Study metadata carried by extra columns: framework tags (`pillar`, `element`, …).
    tags: Mapping[str, str] = field(default_factory=dict)
    classification: str = DEFAULT_CLASSIFICATION
    # Any other column the row had, verbatim (after pyxform's own handling).
    extra: Mapping[str, str] = field(default_factory=dict)
    # ${names} shown in label/hint/guidance_hint/constraint and required messages.
    label_refs: frozenset[str] = frozenset()

    @property
    def dotted(self) -> str:
        """Path below the root, e.g. ``grp/q1`` (how errors and exports name a field)."""
        return "/".join(self.path[1:])

    def appearances(self) -> frozenset[str]:
        return frozenset(self.appearance.split())


@dataclass(frozen=True)
class Question(Element):
    kind: Kind = Kind.TEXT
    data_type: DataType = DataType.STRING
    hint_only: bool = False
    required: Expr | None = None
    required_message: Text = field(default_factory=Text)
    constraint: Expr | None = None
    constraint_message: Text = field(default_factory=Text)
    calculate: Expr | None = None
    readonly: Expr | None = None
    # A constant default (already in storage form) or, for ODK dynamic defaults, an expression.
    default: str | None = None
    default_expr: Expr | None = None
    trigger: tuple[str, ...] = ()  # names whose change re-runs `calculate` (ODK `trigger`)
    choice_list: str | None = None
    choice_filter: Expr | None = None
    or_other: bool = False
    randomize: bool = False
    seed: Expr | None = None
    external_choices: bool = False  # select_one_external / from_file: choices not in the form
    parameters: Mapping[str, str] = field(default_factory=dict)
    preload: tuple[str, str] | None = (
        None  # (jr:preload, jr:preloadParams), e.g. ("timestamp", "start")
    )


@dataclass(frozen=True)
class Group(Element):
    children: tuple[Element, ...] = ()
    # pyxform's bodyless groups (meta) have no screen of their own.
    bodyless: bool = False

    @property
    def field_list(self) -> bool:
        return bool(self.appearances() & {"field-list", "table-list"})


@dataclass(frozen=True)
class Repeat(Group):
    repeat_count: Expr | None = None


@dataclass(frozen=True)
class Language:
    code: str  # "lo", "en", or the column's own name when it has no "(code)"
    name: str  # as written in the column header, e.g. "Lao (lo)"


@dataclass(frozen=True)
class FormDef:
    """A loaded form. Build it with `app.engine.ingest.load_form`."""

    form_id: str
    title: str
    version: str
    root_name: str
    children: tuple[Element, ...]
    choice_lists: Mapping[str, ChoiceList]
    languages: tuple[Language, ...]
    default_language: str | None
    source: Location
    source_hash: str
    instance_name: Expr | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Lists of the `external_choices` sheet, for select_one_external (ODK's itemsets.csv).
    external_choice_lists: Mapping[str, ChoiceList] = field(default_factory=dict)

    def choices_for(self, question: Question) -> ChoiceList | None:
        """The choice list a select question offers (external lists for external selects)."""
        if question.choice_list is None:
            return None
        if question.external_choices:
            return self.external_choice_lists.get(question.choice_list)
        return self.choice_lists.get(question.choice_list)

    def walk(self) -> Iterator[Element]:
        """Every element, depth first, in form order."""
        stack: list[Element] = list(reversed(self.children))
        while stack:
            element = stack.pop()
            yield element
            if isinstance(element, Group):
                stack.extend(reversed(element.children))

    def questions(self) -> Iterator[Question]:
        for element in self.walk():
            if isinstance(element, Question):
                yield element

    def count_questions(self) -> int:
        """Questions a person answers or reads (not calculations, metadata or hidden fields)."""
        return sum(1 for q in self.questions() if q.kind not in NON_INPUT_KINDS)

    def language_codes(self) -> tuple[str, ...]:
        return tuple(language.code for language in self.languages)
