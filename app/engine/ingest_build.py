"""Json side of XLSForm ingest: pyxform's survey dict → Samluat's frozen model.

`workbook_to_json` has already de-aliased types and headers, grouped
translations, added the ``meta`` group, expanded ``or_other`` into an extra
``other`` choice plus a ``<name>_other`` text question, and turned a computed
``repeat_count`` into a ``<name>_count`` calculation. We keep all of that — it
is the instance ODK Collect would submit — and add what pyxform leaves to its
XForm writer: loops expanded into one group per choice, type checks, labels,
parsed expressions, choice-list checks, and the study columns (tags,
classification, anything else the author added).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as parse_parameters
from pyxform.xls2json import RE_SELECT

from app.core.errors import Location
from app.engine import ingest_types as types
from app.engine.ingest_sheet import (
    CLASSIFICATION_COLUMN,
    TAG_COLUMNS,
    ErrorList,
    RefChecker,
    SheetHeaders,
    SurveyIndex,
    clean_type,
    language_code,
)
from app.engine.model import (
    CLASSIFICATIONS,
    DEFAULT_CLASSIFICATION,
    DEFAULT_LANG,
    SELECT_KINDS,
    Choice,
    ChoiceList,
    Element,
    Expr,
    Group,
    Kind,
    Language,
    Question,
    Repeat,
    Text,
)

logger = logging.getLogger(__name__)

# Element keys this module interprets; any other key is an author's extra column.
_HANDLED_KEYS = frozenset(
    {
        "name", "type", "label", "hint", "guidance_hint", "media", "bind", "control",
        "parameters", "default", "_dynamic_default", "actions", "trigger", "choice_filter",
        "itemset", "list_name", "choices", "children", "columns", "query", "__row",
        "__row_number", "tags", "flat",
    }
)  # fmt: skip
_HANDLED_BIND = frozenset(
    {
        "relevant", "required", "constraint", "calculate", "readonly", "type",
        "jr:constraintMsg", "jr:requiredMsg", "jr:preload", "jr:preloadParams",
    }
)  # fmt: skip
# Type-dictionary bind keys that `classify` already turned into kind/data type/preload.
_TYPE_BIND_KEYS = frozenset({"type", "jr:preload", "jr:preloadParams"})
_HANDLED_KEYS_BUT_TAGS = _HANDLED_KEYS - {"tags"}
_HANDLED_CONTROL = frozenset({"appearance", "jr:count", "bodyless"})
_CHOICE_KEYS = frozenset({"name", "label", "media", "__row", "_choice_itext_ref"})
_GENERATED_ROW = re.compile(
    r"^(?:generated_note_name_|generated_table_list_label_|reserved_name_for_field_list_labels_)"
    r"(\d+)$"
)
# Where an expression was written; computed only when there is an expression to place.
LocationSource = Location | Callable[[], Location]
_SEED = re.compile(r"(?:^|[\s,;])seed\s*=\s*([^\s,;]+)", re.IGNORECASE)


@dataclass
class BuildContext:
    """Everything the json walk needs from the raw sheets."""

    file: str
    errors: ErrorList
    refs: RefChecker
    survey: SheetHeaders
    choices: SheetHeaders
    index: SurveyIndex
    choice_rows: dict[str, list[tuple[int, str]]]
    settings_header: dict[str, str] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)
    choice_lists: dict[str, ChoiceList] = field(default_factory=dict)
    entity_lists: list[str] = field(default_factory=list)

    # -- locations -------------------------------------------------------------------
    def location(self, row: int | None, column: str | None = None) -> Location:
        """Where an element of the survey sheet is (file-level when row is None)."""
        if row is None:
            return Location(self.file, "survey")
        return Location(self.file, "survey", row, column)

    def column(self, *tokens: str) -> str:
        """The survey header as written for pyxform's column tokens."""
        return self.survey.column(*tokens)

    # -- text ------------------------------------------------------------------------
    def code(self, pyxform_language: str) -> str:
        """Language code for a pyxform language key, registering the language."""
        if pyxform_language == DEFAULT_LANG:
            return DEFAULT_LANG
        known = self.languages.get(pyxform_language)
        if known is None:
            code = language_code(pyxform_language)
            if any(lang.code == code for lang in self.languages.values()):
                code = pyxform_language  # two headers share a code: keep them apart
            known = Language(code, pyxform_language)
            self.languages[pyxform_language] = known
        return known.code

    def text(self, value: Any) -> Text:
        """pyxform's ``str | {language: str}`` as a `Text` keyed by language code."""
        if value is None:
            return Text()
        if isinstance(value, dict):
            return Text({self.code(str(k)): str(v) for k, v in value.items() if v is not None})
        return Text({DEFAULT_LANG: str(value)})

    def media(self, value: Any) -> dict[str, Text]:
        """pyxform's media dict as ``{media type: Text}``."""
        if not isinstance(value, dict):
            return {}
        return {str(kind): self.text(v) for kind, v in value.items() if v is not None}


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}::{key}", inner, out)
    elif isinstance(value, list | tuple):
        out[prefix] = ", ".join(
            str(v.get("name", v)) if isinstance(v, Mapping) else str(v) for v in value
        )
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    elif value is not None:
        out[prefix] = str(value)


@dataclass
class _Study:
    tags: dict[str, str] = field(default_factory=dict)
    classification: str = DEFAULT_CLASSIFICATION
    extra: dict[str, str] = field(default_factory=dict)


def _study_columns(d: Mapping[str, Any], parameters: Mapping[str, str]) -> _Study:
    """Tags, classification and every column the model has no field for."""
    study = _Study()
    # Most rows have no such column: let set difference (in C) find the few that do.
    for key in d.keys() - _HANDLED_KEYS_BUT_TAGS:
        value = d[key]
        lower = str(key).strip().lower()
        if lower in TAG_COLUMNS and value is not None:
            study.tags[lower] = str(value).strip()
        elif lower == CLASSIFICATION_COLUMN and value is not None:
            normalised = str(value).strip().lower()
            # A bad value was reported by the lint pass; keep the safe default here.
            if normalised in CLASSIFICATIONS:
                study.classification = normalised
        elif key == "tags" and isinstance(value, Mapping):
            for tag, tag_value in value.items():
                if tag_value is not None:
                    study.tags[str(tag).strip().lower()] = str(tag_value).strip()
        elif key == "tags":
            _flatten("osm_tags", value, study.extra)
        elif key not in _HANDLED_KEYS:
            _flatten(str(key), value, study.extra)
    bind = d.get("bind")
    if isinstance(bind, dict):
        for key in bind.keys() - _HANDLED_BIND:
            if key == "entities:saveto":
                study.extra["save_to"] = str(bind[key])
            else:
                _flatten(f"bind::{key}", bind[key], study.extra)
    control = d.get("control")
    if isinstance(control, dict):
        for key in control.keys() - _HANDLED_CONTROL - parameters.keys():
            _flatten(f"control::{key}", control[key], study.extra)
    return study


def _substitute(value: Any, name: str, label: Any, language: str | None = None) -> Any:
    """pyxform's loop templating (``%(name)s``, ``%(label)s``) without %-formatting's traps."""
    if isinstance(value, str):
        if "%(" not in value:
            return value
        if isinstance(label, Mapping):
            chosen = label.get(language) if language is not None else None
            if chosen is None:
                chosen = label.get(DEFAULT_LANG, next(iter(label.values()), ""))
            label = chosen
        return value.replace("%(name)s", name).replace("%(label)s", str(label or ""))
    if isinstance(value, Mapping):
        return {k: _substitute(v, name, label, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, name, label, language) for v in value]
    return value


_T = TypeVar("_T")
_PLAIN_FIELDS: dict[type, frozenset[str] | None] = {}


def _construct(cls: type[_T], values: dict[str, Any]) -> _T:
    """``cls(**values)`` for a frozen model dataclass, without its per-field setattr cost.

    A frozen dataclass's generated ``__init__`` sets each field through
    ``object.__setattr__``; for `Question` (30-odd fields) that is most of the
    cost of building a large form. When `values` names exactly the class's
    fields and the class is a plain dataclass (no slots, no ``__post_init__``),
    filling ``__dict__`` is equivalent. Anything else takes the normal path.
    """
    names = _PLAIN_FIELDS.get(cls, frozenset())
    if names == frozenset():
        plain = not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")
        names = frozenset(f.name for f in dataclasses.fields(cls)) if plain else None  # type: ignore[arg-type]
        _PLAIN_FIELDS[cls] = names
    if names is not None and values.keys() == names:
        made = object.__new__(cls)
        made.__dict__.update(values)
        return made
    return cls(**values)


def _place(location: LocationSource) -> Callable[[], Location]:
    if isinstance(location, Location):
        fixed = location
        return lambda: fixed
    return location


class JsonBuilder:
    """Turns pyxform's json tree into `Element`s, reporting into `ctx.errors`."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx

    # -- expressions -----------------------------------------------------------------
    def expr(self, source: Any, location: LocationSource) -> Expr | None:
        """A parsed, reference-checked `Expr`, or None (empty, or reported as an error)."""
        if source is None or str(source).strip() == "":
            return None
        text = str(source)
        place = _place(location)
        tree = self.ctx.refs.expression(text, place)
        return None if tree is None else Expr(text, tree, place())

    def expr_at(
        self, source: Any, at: Callable[..., Callable[[], Location]], *tokens: str
    ) -> Expr | None:
        """`expr` located in the survey column `tokens` (the location made only if needed)."""
        if source is None:
            return None
        return self.expr(source, at(*tokens))

    def flag(
        self, value: Any, at: Callable[..., Callable[[], Location]], *tokens: str
    ) -> Expr | None:
        """``required``/``readonly``: yes/no constants or an expression."""
        if value is None:
            return None
        text = str(value).strip()
        if text in aliases.yes_no:
            return self.expr("true()", at(*tokens)) if aliases.yes_no[text] else None
        return self.expr(text, at(*tokens))

    # -- tree ------------------------------------------------------------------------
    def children(
        self,
        items: Sequence[Any],
        path: tuple[str, ...],
        raw_path: tuple[str, ...],
        parent_row: int | None,
    ) -> tuple[Element, ...]:
        """Elements for pyxform's child dicts; `raw_path` locates them in the sheet."""
        out: list[Element] = []
        previous_row = parent_row
        siblings = {str(c.get("name")): c for c in items if isinstance(c, Mapping)}
        for child in items:
            if not isinstance(child, Mapping):
                continue
            row = self.row_for(child, raw_path, siblings, previous_row, parent_row)
            name = str(child.get("name", ""))
            if self.ctx.index.row_of((*raw_path, name)) is None and not self.ctx.refs.names[name]:
                # Made up by pyxform (e.g. `<repeat>_count`): referenced by its own json.
                self.ctx.refs.names[name] = 1
            if child.get("flat") is True and child.get("type") in ("group", "repeat"):
                # The obsolete `flat` setting (ODK Tables): pyxform drops the group from the
                # instance, its relevance already folded into each child's.
                out.extend(self.children(child.get("children") or (), path, (*raw_path, name), row))
            else:
                element = self.element(child, path, raw_path, row)
                if element is not None:
                    out.append(element)
            previous_row = row
        return tuple(out)

    def row_for(
        self,
        d: Mapping[str, Any],
        raw_path: tuple[str, ...],
        siblings: Mapping[str, Any],
        previous_row: int | None,
        parent_row: int | None,
    ) -> int | None:
        """The survey row of an element; generated elements borrow the row that made them."""
        name = str(d.get("name", ""))
        row = self.ctx.index.row_of((*raw_path, name))
        if row is not None:
            return row
        generated = _GENERATED_ROW.match(name)
        if generated:
            return int(generated.group(1))
        if d.get("type") == "audit":
            return self.ctx.index.audit_row
        if name.endswith("_count") and siblings.get(name[: -len("_count")]) is not None:
            return self.ctx.index.row_of((*raw_path, name[: -len("_count")]))
        if name.endswith("_other"):
            return previous_row  # or_other's "specify other" question follows its select
        return parent_row

    def element(
        self,
        d: Mapping[str, Any],
        parent_path: tuple[str, ...],
        raw_parent: tuple[str, ...],
        row: int | None,
    ) -> Element | None:
        """One element of any kind (None for things the model has no place for)."""
        json_type = str(d.get("type", ""))
        name = str(d.get("name", ""))
        path = (*parent_path, name)
        raw_path = (*raw_parent, name)
        if json_type == "entity":
            return self.entity(d, path)
        if json_type in ("group", "repeat"):
            return self.group(d, path, raw_path, row)
        if json_type == "loop":
            return self.loop(d, path, raw_path, row)
        return self.question(d, path, raw_path, row)

    def common(
        self,
        d: Mapping[str, Any],
        path: tuple[str, ...],
        row: int | None,
        fixed: Location | None = None,
    ) -> dict[str, Any]:
        """Fields every element has (`fixed`: the location of an element pyxform made up)."""
        bind = d.get("bind") or {}
        control = d.get("control") or {}
        parameters = d.get("parameters")
        study = _study_columns(d, parameters if isinstance(parameters, dict) else {})
        return {
            "name": str(d.get("name", "")),
            "path": path,
            "location": fixed or self.ctx.location(row),
            "label": self.ctx.text(d.get("label")),
            "hint": self.ctx.text(d.get("hint")),
            "guidance_hint": self.ctx.text(d.get("guidance_hint")),
            "media": self.ctx.media(d.get("media")),
            "appearance": str(control.get("appearance") or ""),
            "relevant": self.expr(
                bind.get("relevant"),
                lambda: fixed or self.ctx.location(row, self.ctx.column("bind", "relevant")),
            ),
            "tags": study.tags,
            "classification": study.classification,
            "extra": study.extra,
            "label_refs": self.text_refs(d),
        }

    def text_refs(self, d: Mapping[str, Any]) -> frozenset[str]:
        """``${names}`` shown in the element's texts (label, hints, messages, any language).

        The lint pass has already reported bad references in these cells.
        """
        bind = d.get("bind") or {}
        used: set[str] = set()
        for value in (
            d.get("label"),
            d.get("hint"),
            d.get("guidance_hint"),
            bind.get("jr:constraintMsg"),
            bind.get("jr:requiredMsg"),
        ):
            if value is None:
                continue
            texts = value.values() if isinstance(value, dict) else (value,)
            for text in texts:
                if isinstance(text, str) and "${" in text:
                    used |= self.ctx.refs.used_names(text)
        return frozenset(used)

    def group(
        self,
        d: Mapping[str, Any],
        path: tuple[str, ...],
        raw_path: tuple[str, ...],
        row: int | None,
    ) -> Group:
        """A group or repeat with its children."""
        fields = self.common(d, path, row)
        control = d.get("control") or {}
        children = self.children(d.get("children") or (), path, raw_path, row)
        bodyless = bool(control.get("bodyless", False))
        if d.get("type") == "repeat":
            count = self.expr(
                control.get("jr:count"),
                lambda: self.ctx.location(row, self.ctx.column("control", "jr:count")),
            )
            return Repeat(**fields, children=children, bodyless=bodyless, repeat_count=count)
        return Group(**fields, children=children, bodyless=bodyless)

    def loop(
        self,
        d: Mapping[str, Any],
        path: tuple[str, ...],
        raw_path: tuple[str, ...],
        row: int | None,
    ) -> Group:
        """``begin loop over <list>``: one group per choice, templated like pyxform's builder."""
        fields = self.common(d, path, row)
        templates = [c for c in d.get("children") or () if isinstance(c, Mapping)]
        columns: list[Element] = []
        for column in d.get("columns") or ():
            if not isinstance(column, Mapping) or column.get("name") == "none":
                continue
            column_name = str(column.get("name", ""))
            label = column.get("label")
            filled = [_substitute(t, column_name, label) for t in templates]
            column_path = (*path, column_name)
            column_fields = self.common(column, column_path, row)
            column_fields["extra"] = {}
            children = self.children(filled, column_path, raw_path, row)
            columns.append(Group(**column_fields, children=children))
        return Group(**fields, children=tuple(columns))

    def entity(self, d: Mapping[str, Any], path: tuple[str, ...]) -> Group:
        """meta/entity as pyxform declares it, so the instance matches what Collect submits.

        Samluat does not create or update entities: the declaration's attributes
        (dataset, create, update, id, baseVersion …) are kept in `extra` as
        ``attribute::<name>`` (a computed one as ``attribute::<name>::default``),
        and the entity label is an empty hidden node with its expression in `extra`.
        """
        raw_row = d.get("__row_number")
        row = raw_row if isinstance(raw_row, int) else None
        location = Location(self.ctx.file, "entities", row)
        extra: dict[str, str] = {}
        children: list[Element] = []
        for child in d.get("children") or ():
            if not isinstance(child, dict):
                continue
            name = str(child.get("name", ""))
            if child.get("type") == "attribute":
                if name == "dataset":
                    self.ctx.entity_lists.append(str(child.get("value", "")))
                extra[f"attribute::{name}"] = str(child.get("value", ""))
                for action in child.get("actions") or ():
                    if isinstance(action, dict) and "value" in action:
                        extra[f"attribute::{name}::default"] = str(action["value"])
            elif child.get("type") == "label":
                # Kept as an empty hidden node: the label expression only matters to an
                # entity server, and pyxform's own examples use bare words there.
                label_location = Location(self.ctx.file, "entities", row, "label")
                bind = child.get("bind") or {}
                children.append(
                    Question(
                        name=name,
                        path=(*path, name),
                        location=label_location,
                        kind=Kind.HIDDEN,
                        readonly=self.expr("true()", label_location),
                        extra={"entity_label": str(bind.get("calculate", ""))},
                    )
                )
        return Group(
            name=str(d.get("name", "entity")),
            path=path,
            location=location,
            extra=extra,
            children=tuple(children),
            bodyless=True,
        )

    # -- questions -------------------------------------------------------------------
    def meta_location(self, path: tuple[str, ...], row: int | None) -> Location | None:
        """instanceID/instanceName come from the settings sheet, not from a survey row."""
        column = {"instanceID": "instance_id", "instanceName": "instance_name"}.get(path[-1])
        if row is not None or column is None or len(path) < 2 or path[-2] != "meta":
            return None
        header = self.ctx.settings_header.get(column)
        if header is None:
            return Location(self.ctx.file, "survey")
        return Location(self.ctx.file, "settings", 2, header)

    def question(
        self,
        d: Mapping[str, Any],
        path: tuple[str, ...],
        raw_path: tuple[str, ...],
        row: int | None,
    ) -> Question | None:
        """A question with its type, binds, choices and parameters (None if unsupported)."""
        json_type = str(d.get("type", ""))
        bind: dict[str, Any] = d.get("bind") or {}
        fixed = self.meta_location(path, row)
        try:
            info = types.classify(json_type, bind.get("type"))
        except types.UnsupportedType as unsupported:
            type_location = fixed or self.ctx.location(row, self.ctx.column("type"))
            self.ctx.errors.add(f"unsupported: {unsupported}", type_location)
            return None
        defaults = types.type_defaults(json_type)
        missing = {
            k: v
            for k, v in (defaults.get("bind") or {}).items()
            if k not in bind and k not in _TYPE_BIND_KEYS
        }
        if missing or ("hint" in defaults and "hint" not in d):
            # pyxform's type dictionary supplies binds/hints (note: read-only; percentage:
            # a constraint) that the row did not set.
            bind = {**bind, **missing}
            d = {**d, "bind": bind}
            if "hint" not in d and "hint" in defaults:
                d["hint"] = defaults["hint"]
        fields = self.common(d, path, row, fixed)
        parameters = self.parameters(d, defaults, row)
        kind, data_type, preload = info.kind, info.data_type, info.preload
        if "jr:preload" in bind and preload is None:
            # meta/instanceID and friends: pyxform puts the preload on the bind itself.
            kind = Kind.METADATA
            preload = (str(bind["jr:preload"]), str(bind.get("jr:preloadParams", "")))

        def at(*tokens: str) -> Callable[[], Location]:
            return lambda: fixed or self.ctx.location(row, self.ctx.column(*tokens))

        calculate = bind.get("calculate")
        if calculate is not None:
            calculate_location = at("bind", "calculate")
            if self.ctx.index.row_of(raw_path) is None and path[-1].endswith("_count"):
                # A generated repeat count carries the author's repeat_count expression.
                calculate_location = at("control", "jr:count")
            calculate = self.expr(calculate, calculate_location)
        select = self.select(d, row, kind)
        default, default_expr = self.default(d, at) if "default" in d else (None, None)
        label: Text = fields["label"]
        trigger = d.get("trigger")
        fields.update(
            kind=kind,
            data_type=data_type,
            hint_only=not label and not fields["media"] and bool(fields["hint"]),
            required=self.flag(bind.get("required"), at, "bind", "required"),
            required_message=self.ctx.text(bind.get("jr:requiredMsg")),
            constraint=self.expr_at(bind.get("constraint"), at, "bind", "constraint"),
            constraint_message=self.ctx.text(bind.get("jr:constraintMsg")),
            calculate=calculate,
            readonly=self.flag(bind.get("readonly"), at, "bind", "readonly"),
            default=default,
            default_expr=default_expr,
            trigger=tuple(str(t) for t in trigger) if trigger else (),
            choice_list=select.choice_list,
            choice_filter=self.expr_at(d.get("choice_filter"), at, "choice_filter"),
            or_other=select.or_other,
            randomize=parameters.get("randomize") == "true",
            seed=self.seed(row, parameters, at("parameters")) if "seed" in parameters else None,
            external_choices=select.external,
            parameters=parameters,
            preload=preload,
        )
        question = _construct(Question, fields)
        self.check_label(question, info.has_control, bind, d, row)
        return question

    def parameters(
        self, d: Mapping[str, Any], defaults: Mapping[str, Any], row: int | None
    ) -> dict[str, str]:
        """The ``parameters`` column as a dict, with the type's defaults (range bounds)."""
        raw = d.get("parameters")
        found: dict[str, str] = {}
        if isinstance(raw, Mapping):
            found = {str(k): str(v) for k, v in raw.items()}
        elif isinstance(raw, str) and raw.strip():
            try:
                found = {str(k): str(v) for k, v in parse_parameters(raw, row or 0).items()}
            except PyXFormError:
                self.ctx.errors.add(
                    f"invalid parameters {raw!r}",
                    self.ctx.location(row, self.ctx.column("parameters")),
                )
        for key, value in (defaults.get("parameters") or {}).items():
            found.setdefault(str(key), str(value))
        if d.get("type") == "range" and isinstance(d.get("itemset"), str):
            found.setdefault("tick_labelset", str(d["itemset"]))
        return found

    @dataclass
    class _Select:
        choice_list: str | None = None
        or_other: bool = False
        external: bool = False

    def select(self, d: Mapping[str, Any], row: int | None, kind: Kind) -> JsonBuilder._Select:
        """Choice list, or_other and external-choices facts of a question."""
        result = JsonBuilder._Select()
        itemset = d.get("itemset")
        if kind not in SELECT_KINDS:
            # A range's tick labels (pyxform's itemset) are in parameters["tick_labelset"]:
            # a choice_list would make the range's answers look like a select's.
            return result
        type_location = self.ctx.location(row, self.ctx.column("type"))
        raw_row = self.ctx.index.raw_rows.get(row) if row is not None else None
        if raw_row is not None:
            parsed = RE_SELECT.search(clean_type(raw_row.get(self.ctx.column("type"))))
            result.or_other = bool(parsed and parsed.group("specify_other"))
        if not isinstance(itemset, str) or not itemset:
            self.ctx.errors.add(types.NEEDS_CHOICE_LIST, type_location)
            return result
        result.choice_list = itemset
        if "${" in itemset:
            self.ctx.errors.add(
                f"unsupported: choices from the answers of another question ({itemset})",
                type_location,
            )
            return result
        external = d.get("type") == types.SELECT_ONE_EXTERNAL or itemset.lower().endswith(
            types.EXTERNAL_CHOICE_FILE_EXTENSIONS
        )
        result.external = external
        if not external and itemset not in self.ctx.choice_lists:
            self.ctx.errors.add(f"unknown choice list {itemset!r}", type_location)
        return result

    def default(
        self, d: Mapping[str, Any], at: Callable[..., LocationSource]
    ) -> tuple[str | None, Expr | None]:
        """A constant default (storage text) or a dynamic default expression."""
        value = d.get("default")
        if value is None or str(value) == "":
            return None, None
        if d.get("_dynamic_default"):
            return None, self.expr(value, at("default"))
        return str(value), None

    def seed(
        self, row: int | None, parameters: Mapping[str, str], location: LocationSource
    ) -> Expr | None:
        """The randomize seed expression, as written in the parameters column."""
        if "seed" not in parameters:
            return None
        # pyxform lower-cases parameter values; take the seed as written (field names keep case).
        source = parameters["seed"]
        raw_row = self.ctx.index.raw_rows.get(row) if row is not None else None
        raw = raw_row.get(self.ctx.column("parameters")) if raw_row is not None else None
        if isinstance(raw, str):
            match = _SEED.search(raw)
            if match:
                source = match.group(1)
        return self.expr(source, location)

    def check_label(
        self,
        question: Question,
        has_control: bool,
        bind: Mapping[str, Any],
        d: Mapping[str, Any],
        row: int | None,
    ) -> None:
        """pyxform's XForm writer rejects a visible question with nothing to show."""
        if not has_control or question.name.startswith("reserved_name_for_field_list_labels_"):
            return
        if (bind.get("calculate") or d.get("trigger")) and not (question.label or question.hint):
            return  # pyxform renders such a question as a hidden calculation
        if question.label or question.media or question.hint:
            return
        self.ctx.errors.add(
            f"the question {question.name!r} has no label or hint",
            self.ctx.location(row, self.ctx.column("label")),
        )

    # -- choices ---------------------------------------------------------------------
    def external_choice_lists(self, rows: list[Any]) -> dict[str, ChoiceList]:
        """The `external_choices` sheet (ODK's itemsets.csv), kept apart from `choices`."""
        grouped: dict[str, list[Choice]] = {}
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                continue
            # Headers are case-insensitive (as pyxform reads them); other columns keep
            # their case because choice_filter expressions name them.
            cells = {str(k).strip(): v for k, v in row.items() if v not in (None, "")}
            known = {key.lower(): key for key in cells}
            list_key = known.get("list_name") or known.get("list name")
            list_name = str(cells.pop(list_key, "")).strip() if list_key else ""
            name = str(cells.pop(known["name"], "")).strip() if "name" in known else ""
            if not list_name or not name:
                continue
            label: dict[str, str] = {}
            extra: dict[str, str] = {}
            for key, value in cells.items():
                lowered = key.lower()
                if lowered == "label":
                    label[DEFAULT_LANG] = str(value)
                elif lowered.startswith("label::"):
                    label[self.ctx.code(key.split("::", 1)[1].strip())] = str(value)
                else:
                    extra[key] = str(value)
            grouped.setdefault(list_name, []).append(
                Choice(
                    name=name,
                    label=Text(label),
                    extra=extra,
                    location=Location(self.ctx.file, "external_choices", index + 2),
                )
            )
        return {
            list_name: ChoiceList(list_name, tuple(items), items[0].location)
            for list_name, items in grouped.items()
        }

    def choice_lists(self, lists: Any) -> dict[str, ChoiceList]:
        """All choice lists, each choice located on its row of the choices sheet."""
        if not isinstance(lists, Mapping):
            return {}
        out: dict[str, ChoiceList] = {}
        for list_name, items in lists.items():
            rows = self.ctx.choice_rows.get(str(list_name), [])
            first = rows[0][0] if rows else None
            choices: list[Choice] = []
            for position, item in enumerate(items if isinstance(items, list) else ()):
                if not isinstance(item, Mapping):
                    continue
                name = str(item.get("name", ""))
                row = (
                    rows[position][0]
                    if position < len(rows) and rows[position][1] == name
                    else first
                )
                extra: dict[str, str] = {}
                for key, value in item.items():
                    if key not in _CHOICE_KEYS:
                        _flatten(str(key), value, extra)
                choices.append(
                    Choice(
                        name=name,
                        label=self.ctx.text(item.get("label")),
                        media=self.ctx.media(item.get("media")),
                        extra=extra,
                        location=Location(self.ctx.file, "choices", row),
                    )
                )
            out[str(list_name)] = ChoiceList(
                str(list_name), tuple(choices), Location(self.ctx.file, "choices", first)
            )
        return out
