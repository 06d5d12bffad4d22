"""The study configuration (`forms/study.toml`) as frozen, validated objects.

A study is data: its name, languages, instruments, data classifications and
framework (pillars × elements) are read from a TOML file next to the
instruments, so that another study needs a different `forms/` and no code.

Rules checked at load (each error names the file and the key, e.g.
``forms/study.toml: pillars[2].name.lo: missing text``):

- every required key is present and has the right type;
- codes are non-empty identifiers (``[a-z][a-z0-9_-]*``) and unique within their table;
- every text (``name``, ``definition``, …) has a non-empty entry for every
  declared language, and no entry for an undeclared one;
- references resolve: the default language is declared, instrument users are
  declared user roles, instrument roles are known.

Whether the instruments and choice lists agree with this file is checked by
`app.study.registry` and the tests, which read the forms themselves.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from app.core.errors import SamluatError

__all__ = [
    "ChoiceLists",
    "Classification",
    "ClusterInfo",
    "Columns",
    "Element",
    "Instrument",
    "InstrumentRole",
    "Language",
    "Pillar",
    "StudyConfig",
    "StudyConfigError",
    "Text",
    "UserRole",
    "default_study_path",
    "load_study",
]

_CODE = re.compile(r"^[a-z][a-z0-9_-]*$")
STUDY_FILE = "study.toml"
SUPPORTED_SCHEMA = 1


class StudyConfigError(SamluatError):
    """The study configuration is unusable. Names the file and the key at fault."""

    def __init__(self, file: Path | str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {message}")


class InstrumentRole(StrEnum):
    """What an instrument is for; the app picks screens and reports by role."""

    SURVEY = "survey"
    INTERVIEW = "interview"
    MAPPING = "mapping"
    DESK_REVIEW = "desk_review"
    SWOT = "swot"


@dataclass(frozen=True)
class Text:
    """A text in every language of the study, as ``(code, text)`` pairs in study order."""

    items: tuple[tuple[str, str], ...]

    def __getitem__(self, lang: str) -> str:
        for code, text in self.items:
            if code == lang:
                return text
        raise KeyError(lang)

    def get(self, lang: str | None, fallback: str | None = None) -> str:
        """Text in `lang`, else in `fallback`, else the first language's."""
        for wanted in (lang, fallback):
            for code, text in self.items:
                if code == wanted:
                    return text
        return self.items[0][1] if self.items else ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)

    def languages(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.items)


@dataclass(frozen=True)
class Language:
    code: str  # "lo"
    column: str  # how XLSForm headers name it: "Lao (lo)"
    name: Text


@dataclass(frozen=True)
class Classification:
    code: str
    personal: bool  # may hold personal data
    name: Text
    description: Text
    rank: int  # 0 = least protected


@dataclass(frozen=True)
class UserRole:
    code: str
    name: Text


@dataclass(frozen=True)
class Instrument:
    code: str
    file: Path  # absolute
    form_id: str
    role: InstrumentRole
    users: tuple[str, ...]
    name: Text


@dataclass(frozen=True)
class Pillar:
    code: str
    name: Text
    definition: Text
    matrix_heading: Text


@dataclass(frozen=True)
class Element:
    code: str
    name: Text
    definition: Text


@dataclass(frozen=True)
class ClusterInfo:
    """What the configuration adds to a cluster of the choice list: its description."""

    code: str
    description: Text


@dataclass(frozen=True)
class ChoiceLists:
    """Where the shared choice lists are and which list plays which part."""

    file: Path  # absolute
    pillar_list: str
    element_list: str
    cluster_list: str
    institution_list: str
    institution_cluster_column: str
    other_institution: str


@dataclass(frozen=True)
class Columns:
    """Names of the extra XLSForm columns that carry study metadata."""

    pillar: str
    element: str
    classification: str


@dataclass(frozen=True)
class DuplicateKey:
    """Which answers identify who was interviewed, to flag likely duplicates.

    For each list the first field with an answer wins; an institution answered
    with `other_choice` is replaced by the first `institution_other_fields`
    text. Empty lists: no duplicate flagging.
    """

    institution_fields: tuple[str, ...] = ()
    institution_other_fields: tuple[str, ...] = ()
    respondent_fields: tuple[str, ...] = ()
    other_choice: str = "other"


@dataclass(frozen=True)
class StudyConfig:
    """A loaded study configuration. Build it with `load_study`."""

    path: Path
    code: str
    name: Text
    description: Text
    default_language: str
    languages: tuple[Language, ...]
    choices: ChoiceLists
    columns: Columns
    classifications: tuple[Classification, ...]
    user_roles: tuple[UserRole, ...]
    instruments: tuple[Instrument, ...]
    pillars: tuple[Pillar, ...]
    elements: tuple[Element, ...]
    clusters: tuple[ClusterInfo, ...]
    duplicates: DuplicateKey = DuplicateKey()

    @property
    def forms_dir(self) -> Path:
        return self.path.parent

    def language_codes(self) -> tuple[str, ...]:
        return tuple(language.code for language in self.languages)

    def language_columns(self) -> dict[str, str]:
        """Language code → XLSForm column suffix, e.g. ``{"lo": "Lao (lo)"}``."""
        return {language.code: language.column for language in self.languages}

    def pillar(self, code: str) -> Pillar:
        return _by_code(self.pillars, code, "pillar")

    def element(self, code: str) -> Element:
        return _by_code(self.elements, code, "element")

    def instrument(self, code: str) -> Instrument:
        return _by_code(self.instruments, code, "instrument")

    def instruments_by_role(self, role: InstrumentRole | str) -> tuple[Instrument, ...]:
        return tuple(i for i in self.instruments if i.role == role)

    def classification(self, code: str) -> Classification:
        return _by_code(self.classifications, code, "classification")

    def classification_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.classifications)

    def personal_classifications(self) -> frozenset[str]:
        """Levels allowed for personal data."""
        return frozenset(c.code for c in self.classifications if c.personal)

    def cells(self) -> Iterator[tuple[Pillar, Element]]:
        """Every cell of the mapping matrix, pillar-major."""
        for pillar in self.pillars:
            for element in self.elements:
                yield pillar, element


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


_T = TypeVar("_T", bound=_Coded)


def _by_code(items: tuple[_T, ...], code: str, what: str) -> _T:
    for item in items:
        if item.code == code:
            return item
    raise KeyError(f"no {what} {code!r}")


def default_study_path() -> Path:
    """`forms/study.toml` of this checkout (the app's bundled study)."""
    return Path(__file__).resolve().parents[2] / "forms" / STUDY_FILE


class _Reader:
    """Typed access to the parsed TOML that raises `StudyConfigError` with the key path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.languages: tuple[str, ...] = ()

    def fail(self, key: str, message: str) -> StudyConfigError:
        return StudyConfigError(self.path, key, message)

    def table(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = self.value(data, key, where)
        if not isinstance(value, dict):
            raise self.fail(_join(where, key), "must be a table")
        return value

    def tables(self, data: Mapping[str, Any], key: str, where: str = "") -> list[Mapping[str, Any]]:
        value = self.value(data, key, where)
        full = _join(where, key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(full, f"must be an array of tables ([[{key}]])")
        if not value:
            raise self.fail(full, "must not be empty")
        return value

    def value(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise self.fail(_join(where, key), "missing key")
        return data[key]

    def string(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = self.value(data, key, where)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_join(where, key), "must be a non-empty string")
        return value.strip()

    def boolean(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = self.value(data, key, where)
        if not isinstance(value, bool):
            raise self.fail(_join(where, key), "must be true or false")
        return value

    def code(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = self.string(data, key, where)
        if not _CODE.match(value):
            raise self.fail(
                _join(where, key),
                f"{value!r} is not a code (lowercase letter, then letters, digits, _ or -)",
            )
        return value

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = self.value(data, key, where)
        full = _join(where, key)
        if not isinstance(value, list) or not value:
            raise self.fail(full, "must be a non-empty array of strings")
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(full, "must be a non-empty array of strings")
        return tuple(v.strip() for v in value)

    def text(self, data: Mapping[str, Any], key: str, where: str) -> Text:
        value = self.value(data, key, where)
        full = _join(where, key)
        if not isinstance(value, dict):
            raise self.fail(full, "must be a table of language code = text")
        for lang in value:
            if lang not in self.languages:
                raise self.fail(f"{full}.{lang}", "language not declared in [[languages]]")
        items: list[tuple[str, str]] = []
        for lang in self.languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{full}.{lang}", "missing text")
            items.append((lang, text.strip()))
        return Text(tuple(items))

    def unique(self, codes: list[tuple[str, str]], table: str) -> None:
        """Fail on the first code seen twice; `codes` holds (key path, code) pairs."""
        seen: dict[str, str] = {}
        for key, code in codes:
            if code in seen:
                raise self.fail(key, f"duplicate code {code!r} (first at {seen[code]})")
            seen[code] = key


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def load_study(path: Path | str | None = None) -> StudyConfig:
    """Read and validate a study configuration (default: `default_study_path()`).

    Raises `StudyConfigError` naming the file and key of the first problem.
    """
    path = Path(path) if path is not None else default_study_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StudyConfigError(path, "", f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StudyConfigError(path, "", "not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(path, "", f"malformed TOML: {exc}") from exc
    return _build(path.resolve(), data)


def _build(path: Path, data: Mapping[str, Any]) -> StudyConfig:
    r = _Reader(path)
    schema = r.value(data, "schema", "")
    if schema != SUPPORTED_SCHEMA:
        raise r.fail("schema", f"unsupported schema {schema!r} (expected {SUPPORTED_SCHEMA})")

    # Languages first: every text below is checked against them.
    language_rows = r.tables(data, "languages")
    codes: list[tuple[str, str]] = []
    columns: list[tuple[str, str]] = []
    for i, row in enumerate(language_rows):
        where = f"languages[{i}]"
        codes.append((f"{where}.code", r.code(row, "code", where)))
        columns.append((f"{where}.column", r.string(row, "column", where)))
    r.unique(codes, "languages")
    r.unique(columns, "languages")
    r.languages = tuple(code for _, code in codes)
    languages = tuple(
        Language(code, column, r.text(row, "name", f"languages[{i}]"))
        for i, ((_, code), (_, column), row) in enumerate(
            zip(codes, columns, language_rows, strict=True)
        )
    )

    study = r.table(data, "study", "")
    default_language = r.code(study, "default_language", "study")
    if default_language not in r.languages:
        raise r.fail("study.default_language", f"{default_language!r} is not a declared language")

    choices_t = r.table(data, "choices", "")
    choices = ChoiceLists(
        file=(path.parent / r.string(choices_t, "file", "choices")).resolve(),
        pillar_list=r.string(choices_t, "pillar_list", "choices"),
        element_list=r.string(choices_t, "element_list", "choices"),
        cluster_list=r.string(choices_t, "cluster_list", "choices"),
        institution_list=r.string(choices_t, "institution_list", "choices"),
        institution_cluster_column=r.string(choices_t, "institution_cluster_column", "choices"),
        other_institution=r.string(choices_t, "other_institution", "choices"),
    )
    columns_t = r.table(data, "columns", "")
    column_names = Columns(
        pillar=r.string(columns_t, "pillar", "columns"),
        element=r.string(columns_t, "element", "columns"),
        classification=r.string(columns_t, "classification", "columns"),
    )

    classifications = tuple(
        Classification(
            code=r.code(row, "code", f"classifications[{i}]"),
            personal=r.boolean(row, "personal", f"classifications[{i}]"),
            name=r.text(row, "name", f"classifications[{i}]"),
            description=r.text(row, "description", f"classifications[{i}]"),
            rank=i,
        )
        for i, row in enumerate(r.tables(data, "classifications"))
    )
    r.unique(_codes("classifications", classifications), "classifications")
    if not any(c.personal for c in classifications):
        raise r.fail("classifications", "no level is marked personal = true")

    user_roles = tuple(
        UserRole(r.code(row, "code", f"user_roles[{i}]"), r.text(row, "name", f"user_roles[{i}]"))
        for i, row in enumerate(r.tables(data, "user_roles"))
    )
    r.unique(_codes("user_roles", user_roles), "user_roles")
    role_codes = {u.code for u in user_roles}

    instruments: list[Instrument] = []
    for i, row in enumerate(r.tables(data, "instruments")):
        where = f"instruments[{i}]"
        role_text = r.string(row, "role", where)
        try:
            role = InstrumentRole(role_text)
        except ValueError:
            known = ", ".join(role.value for role in InstrumentRole)
            raise r.fail(f"{where}.role", f"unknown role {role_text!r} (one of {known})") from None
        users = r.strings(row, "users", where)
        for user in users:
            if user not in role_codes:
                raise r.fail(f"{where}.users", f"{user!r} is not a declared user role")
        instruments.append(
            Instrument(
                code=r.code(row, "code", where),
                file=(path.parent / r.string(row, "file", where)).resolve(),
                form_id=r.string(row, "form_id", where),
                role=role,
                users=users,
                name=r.text(row, "name", where),
            )
        )
    r.unique(_codes("instruments", instruments), "instruments")
    r.unique(
        [(f"instruments[{i}].file", str(x.file)) for i, x in enumerate(instruments)], "instruments"
    )
    r.unique(
        [(f"instruments[{i}].form_id", x.form_id) for i, x in enumerate(instruments)],
        "instruments",
    )

    pillars = tuple(
        Pillar(
            code=r.code(row, "code", f"pillars[{i}]"),
            name=r.text(row, "name", f"pillars[{i}]"),
            definition=r.text(row, "definition", f"pillars[{i}]"),
            matrix_heading=r.text(row, "matrix_heading", f"pillars[{i}]"),
        )
        for i, row in enumerate(r.tables(data, "pillars"))
    )
    r.unique(_codes("pillars", pillars), "pillars")
    elements = tuple(
        Element(
            code=r.code(row, "code", f"elements[{i}]"),
            name=r.text(row, "name", f"elements[{i}]"),
            definition=r.text(row, "definition", f"elements[{i}]"),
        )
        for i, row in enumerate(r.tables(data, "elements"))
    )
    r.unique(_codes("elements", elements), "elements")
    clusters = tuple(
        ClusterInfo(
            code=r.code(row, "code", f"clusters[{i}]"),
            description=r.text(row, "description", f"clusters[{i}]"),
        )
        for i, row in enumerate(r.tables(data, "clusters"))
    )
    r.unique(_codes("clusters", clusters), "clusters")

    return StudyConfig(
        path=path,
        code=r.code(study, "code", "study"),
        name=r.text(study, "name", "study"),
        description=r.text(study, "description", "study"),
        default_language=default_language,
        languages=languages,
        choices=choices,
        columns=column_names,
        classifications=classifications,
        user_roles=user_roles,
        instruments=tuple(instruments),
        pillars=pillars,
        elements=elements,
        clusters=clusters,
        duplicates=_duplicate_key(r, data),
    )


def _duplicate_key(r: _Reader, data: Mapping[str, Any]) -> DuplicateKey:
    """The optional [duplicates] table."""
    if "duplicates" not in data:
        return DuplicateKey()
    table = r.table(data, "duplicates", "")
    return DuplicateKey(
        institution_fields=r.strings(table, "institution_fields", "duplicates"),
        institution_other_fields=(
            r.strings(table, "institution_other_fields", "duplicates")
            if "institution_other_fields" in table
            else ()
        ),
        respondent_fields=r.strings(table, "respondent_fields", "duplicates"),
        other_choice=(
            r.string(table, "other_choice", "duplicates") if "other_choice" in table else "other"
        ),
    )


def _codes(table: str, items: tuple[_Coded, ...] | list[Instrument]) -> list[tuple[str, str]]:
    return [(f"{table}[{i}].code", item.code) for i, item in enumerate(items)]
