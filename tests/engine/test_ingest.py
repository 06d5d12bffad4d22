"""XLSForm ingest: what a form becomes in Samluat's model."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from app.engine.ingest import read_xlsform, read_xlsform_bytes, read_xlsform_dict
from app.engine.model import (
    DEFAULT_LANG,
    DataType,
    Element,
    FormDef,
    Group,
    Kind,
    Language,
    Question,
    Repeat,
)
from app.engine.xpath import ast

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "xlsform"


def sheet(name: str, header: list[str], *rows: list[str]) -> str:
    lines = [f"| {name} |", "| | " + " | ".join(header) + " |"]
    lines += ["| | " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def load_md(tmp_path: Path, *sheets: str, name: str = "form.md") -> FormDef:
    path = tmp_path / name
    path.write_text("".join(sheets), encoding="utf-8")
    return read_xlsform(path)


def by_name(form: FormDef, dotted: str) -> Element:
    for element in form.walk():
        if element.dotted == dotted:
            return element
    raise AssertionError(f"{dotted} not in {[e.dotted for e in form.walk()]}")


def question(form: FormDef, dotted: str) -> Question:
    element = by_name(form, dotted)
    assert isinstance(element, Question)
    return element


# -- question types ------------------------------------------------------------------

YN = sheet("choices", ["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"])

# (type as written, name, kind, data type, preload)
TYPES: list[tuple[str, str, Kind, DataType, tuple[str, str] | None]] = [
    ("text", "t_text", Kind.TEXT, DataType.STRING, None),
    ("string", "t_string", Kind.TEXT, DataType.STRING, None),
    ("integer", "t_integer", Kind.INTEGER, DataType.INT, None),
    ("int", "t_int", Kind.INTEGER, DataType.INT, None),
    ("decimal", "t_decimal", Kind.DECIMAL, DataType.DECIMAL, None),
    ("range", "t_range", Kind.RANGE, DataType.INT, None),
    ("date", "t_date", Kind.DATE, DataType.DATE, None),
    ("time", "t_time", Kind.TIME, DataType.TIME, None),
    ("dateTime", "t_dateTime", Kind.DATETIME, DataType.DATETIME, None),
    ("datetime", "t_datetime", Kind.DATETIME, DataType.DATETIME, None),
    ("select_one yn", "t_select_one", Kind.SELECT_ONE, DataType.SELECT1, None),
    ("select one yn", "t_select_one_sp", Kind.SELECT_ONE, DataType.SELECT1, None),
    ("select_multiple yn", "t_select_multiple", Kind.SELECT_MULTIPLE, DataType.SELECT, None),
    ("select all that apply yn", "t_all", Kind.SELECT_MULTIPLE, DataType.SELECT, None),
    ("rank yn", "t_rank", Kind.RANK, DataType.SELECT, None),
    ("note", "t_note", Kind.NOTE, DataType.STRING, None),
    ("acknowledge", "t_ack", Kind.ACKNOWLEDGE, DataType.STRING, None),
    ("trigger", "t_trigger", Kind.TRIGGER, DataType.STRING, None),
    ("hidden", "t_hidden", Kind.HIDDEN, DataType.STRING, None),
    ("geopoint", "t_geopoint", Kind.GEOPOINT, DataType.GEOPOINT, None),
    ("gps", "t_gps", Kind.GEOPOINT, DataType.GEOPOINT, None),
    ("geotrace", "t_geotrace", Kind.GEOTRACE, DataType.GEOTRACE, None),
    ("geoshape", "t_geoshape", Kind.GEOSHAPE, DataType.GEOSHAPE, None),
    ("barcode", "t_barcode", Kind.BARCODE, DataType.BARCODE, None),
    ("image", "t_image", Kind.IMAGE, DataType.BINARY, None),
    ("photo", "t_photo", Kind.IMAGE, DataType.BINARY, None),
    ("audio", "t_audio", Kind.AUDIO, DataType.BINARY, None),
    ("video", "t_video", Kind.VIDEO, DataType.BINARY, None),
    ("file", "t_file", Kind.FILE, DataType.BINARY, None),
    ("osm yn", "t_osm", Kind.FILE, DataType.BINARY, None),
    ("start", "t_start", Kind.METADATA, DataType.DATETIME, ("timestamp", "start")),
    ("end", "t_end", Kind.METADATA, DataType.DATETIME, ("timestamp", "end")),
    ("today", "t_today", Kind.METADATA, DataType.DATE, ("date", "today")),
    ("deviceid", "t_deviceid", Kind.METADATA, DataType.STRING, ("property", "deviceid")),
    ("username", "t_username", Kind.METADATA, DataType.STRING, ("property", "username")),
    ("phonenumber", "t_phone", Kind.METADATA, DataType.STRING, ("property", "phonenumber")),
    ("simserial", "t_sim", Kind.METADATA, DataType.STRING, ("property", "simserial")),
    ("subscriberid", "t_sub", Kind.METADATA, DataType.STRING, ("property", "subscriberid")),
    ("email", "t_email", Kind.METADATA, DataType.STRING, ("property", "email")),
    ("start-geopoint", "t_sgeo", Kind.METADATA, DataType.GEOPOINT, ("start-geopoint", "")),
    ("background-audio", "t_bgaudio", Kind.METADATA, DataType.BINARY, ("background-audio", "")),
]


@pytest.fixture(scope="module")
def all_types(tmp_path_factory: pytest.TempPathFactory) -> FormDef:
    rows = [[t, name, f"Label {name}", ""] for t, name, *_ in TYPES]
    rows.append(["calculate", "t_calculate", "", "1 + 1"])
    rows.append(["audit", "", "", ""])
    text = sheet("survey", ["type", "name", "label", "calculation"], *rows) + sheet(
        "choices", ["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]
    )
    folder = tmp_path_factory.mktemp("types")
    (folder / "types.md").write_text(text, encoding="utf-8")
    return read_xlsform(folder / "types.md")


@pytest.mark.parametrize(("written", "name", "kind", "data_type", "preload"), TYPES)
def test_each_type_has_its_kind_and_data_type(
    all_types: FormDef,
    written: str,
    name: str,
    kind: Kind,
    data_type: DataType,
    preload: tuple[str, str] | None,
) -> None:
    q = question(all_types, name)
    assert (q.kind, q.data_type, q.preload) == (kind, data_type, preload), written


def test_calculate_and_audit(all_types: FormDef) -> None:
    calc = question(all_types, "t_calculate")
    assert calc.kind is Kind.CALCULATE
    assert calc.calculate is not None and calc.calculate.source == "1 + 1"
    audit = question(all_types, "meta/audit")
    assert (audit.kind, audit.data_type, audit.preload) == (
        Kind.METADATA,
        DataType.BINARY,
        ("audit", ""),
    )


def test_select_knows_its_list_and_locations(all_types: FormDef) -> None:
    q = question(all_types, "t_select_one")
    assert q.choice_list == "yn"
    assert [c.name for c in all_types.choice_lists["yn"].choices] == ["yes", "no"]
    assert str(q.location).endswith("types.md:survey:12")
    assert str(all_types.choice_lists["yn"].choices[1].location).endswith("types.md:choices:3")


def test_external_selects(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "choice_filter"],
            ["select_one yn", "a", "A", ""],
            ["select_one_external city", "b", "B", "state=${a}"],
            ["select_one_from_file cities.csv", "c", "C", ""],
        ),
        YN,
        sheet(
            "external_choices", ["list_name", "name", "label", "state"], ["city", "v", "V", "yes"]
        ),
    )
    b, c = question(form, "b"), question(form, "c")
    assert (b.kind, b.external_choices, b.choice_list) == (Kind.SELECT_ONE, True, "city")
    assert b.choice_filter is not None and b.choice_filter.source == "state=${a}"
    assert (c.kind, c.external_choices, c.choice_list) == (Kind.SELECT_ONE, True, "cities.csv")
    assert question(form, "a").external_choices is False


def test_range_parameters_and_decimal_step(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "parameters"],
            ["range", "r1", "R1", ""],
            ["range", "r2", "R2", "start=0 end=1 step=0.1"],
        ),
    )
    r1, r2 = question(form, "r1"), question(form, "r2")
    assert dict(r1.parameters) == {"start": "1", "end": "10", "step": "1"}
    assert r1.data_type is DataType.INT
    assert r2.parameters["step"] == "0.1" and r2.data_type is DataType.DECIMAL


def test_type_defaults_apply(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet("survey", ["type", "name", "label"], ["percentage", "p", "P"], ["note", "n", "N"]),
    )
    p = question(form, "p")
    assert p.kind is Kind.INTEGER
    assert p.constraint is not None and p.constraint.source == "0 <= . and . <= 100"
    n = question(form, "n")
    assert n.readonly is not None and n.readonly.source == "true()"


# -- structure -----------------------------------------------------------------------


def test_groups_repeats_and_field_list(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "appearance", "repeat_count"],
            ["integer", "n", "How many?", "", ""],
            ["begin group", "g", "G", "field-list", ""],
            ["text", "a", "A", "", ""],
            ["end group", "", "", "", ""],
            ["begin repeat", "fixed", "Fixed", "", "2"],
            ["begin group", "inner", "Inner", "", ""],
            ["text", "b", "B", "", ""],
            ["end group", "", "", "", ""],
            ["end repeat", "", "", "", ""],
            ["begin repeat", "counted", "Counted", "", "${n}"],
            ["text", "c", "C", "", ""],
            ["end repeat", "", "", "", ""],
            ["begin repeat", "free", "Free", "", ""],
            ["text", "d", "D", "", ""],
            ["end repeat", "", "", "", ""],
        ),
    )
    group = by_name(form, "g")
    assert isinstance(group, Group) and not isinstance(group, Repeat)
    assert group.field_list and [c.name for c in group.children] == ["a"]
    fixed = by_name(form, "fixed")
    assert isinstance(fixed, Repeat)
    # pyxform turns a computed count into a calculation node, as in the submitted XML.
    assert fixed.repeat_count is not None and fixed.repeat_count.source == "${fixed_count}"
    count = question(form, "fixed_count")
    assert count.calculate is not None and count.calculate.source == "2"
    assert str(count.calculate.location).endswith("form.md:survey:6:repeat_count")
    assert question(form, "fixed/inner/b").path == ("data", "fixed", "inner", "b")
    counted = by_name(form, "counted")
    assert isinstance(counted, Repeat) and counted.repeat_count is not None
    assert counted.repeat_count.source == "${n}"
    free = by_name(form, "free")
    assert isinstance(free, Repeat) and free.repeat_count is None
    assert str(by_name(form, "counted/c").location).endswith("form.md:survey:12")
    meta = by_name(form, "meta")
    assert isinstance(meta, Group) and meta.bodyless
    instance_id = question(form, "meta/instanceID")
    assert (instance_id.kind, instance_id.preload) == (Kind.METADATA, ("uid", ""))


def test_loops_are_expanded_one_group_per_choice(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label::English (en)", "label::Lao (lo)", "relevant"],
            ["begin loop over crops", "loop", "Crops", "ພືດ", ""],
            ["integer", "area", "Area of %(label)s", "ເນື້ອທີ່ %(label)s", ""],
            ["note", "tell", "About %(name)s", "%(name)s", "${area} > 0"],
            ["end loop", "", "", "", ""],
        ),
        sheet(
            "choices",
            ["list_name", "name", "label::English (en)", "label::Lao (lo)"],
            ["crops", "rice", "Rice", "ເຂົ້າ"],
            ["crops", "maize", "Maize", "ສາລີ"],
        ),
    )
    loop = by_name(form, "loop")
    assert isinstance(loop, Group)
    assert [c.name for c in loop.children] == ["rice", "maize"]
    rice = by_name(form, "loop/rice")
    assert rice.label == {"en": "Rice", "lo": "ເຂົ້າ"}
    area = question(form, "loop/maize/area")
    assert area.label == {"en": "Area of Maize", "lo": "ເນື້ອທີ່ ສາລີ"}
    assert str(area.location).endswith("form.md:survey:3")
    assert question(form, "loop/rice/tell").label["en"] == "About rice"


def test_corpus_loop_matches_pyxform_names() -> None:
    form = read_xlsform(CORPUS / "simple_loop.xls")
    assert [q.dotted for q in form.questions()] == [
        "my_table/col1/count",
        "my_table/col2/count",
        "meta/instanceID",
    ]


# -- text and languages --------------------------------------------------------------


def test_multilingual_text_keyed_by_language_code(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            [
                "type",
                "name",
                "label::Lao (lo)",
                "label::English (en)",
                "hint::Lao (lo)",
                "hint::English (en)",
                "guidance_hint::English (en)",
                "constraint",
                "constraint_message::Lao (lo)",
                "constraint_message::English (en)",
                "required",
                "required_message::English (en)",
                "image::English (en)",
            ],
            [
                "integer",
                "age",
                "ອາຍຸ",
                "Age",
                "ປີ",
                "Years",
                "Ask politely",
                ". < 120",
                "ບໍ່ຖືກ",
                "Too old",
                "yes",
                "Please answer",
                "age.png",
            ],
            ["note", "plain", "", "Only English", "", "", "", "", "", "", "", "", ""],
        ),
        sheet(
            "settings",
            ["form_title", "default_language"],
            ["Languages", "English (en)"],
        ),
    )
    assert form.languages == (Language("lo", "Lao (lo)"), Language("en", "English (en)"))
    assert form.language_codes() == ("lo", "en")
    assert form.default_language == "en"
    age = question(form, "age")
    assert age.label == {"lo": "ອາຍຸ", "en": "Age"}
    assert age.hint == {"lo": "ປີ", "en": "Years"}
    assert age.guidance_hint == {"en": "Ask politely"}
    assert age.constraint_message == {"lo": "ບໍ່ຖືກ", "en": "Too old"}
    assert age.required_message == {"en": "Please answer"}
    assert age.required is not None and age.required.source == "true()"
    assert age.media == {"image": {"en": "age.png"}}
    assert question(form, "plain").label.get_text("lo", fallback="en") == "Only English"


def test_unlanguaged_columns_use_the_default_key(tmp_path: Path) -> None:
    form = load_md(
        tmp_path, sheet("survey", ["type", "name", "label", "hint"], ["text", "a", "A", "H"])
    )
    a = question(form, "a")
    assert a.label == {DEFAULT_LANG: "A"} and a.hint == {DEFAULT_LANG: "H"}
    assert form.languages == () and form.default_language is None


def test_label_refs_are_recorded(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label::English (en)", "hint::English (en)", "constraint_message"],
            ["text", "first", "First name", "", ""],
            ["integer", "age", "Age of ${first}", "Ask ${first} kindly", "${age} is odd"],
            ["begin group", "g", "Group about ${first}", "", ""],
            ["end group", "", "", "", ""],
        ),
    )
    assert question(form, "age").label_refs == frozenset({"first", "age"})
    assert by_name(form, "g").label_refs == frozenset({"first"})
    assert question(form, "first").label_refs == frozenset()


# -- settings ------------------------------------------------------------------------


def test_settings(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet("survey", ["type", "name", "label"], ["text", "who", "Who?"]),
        sheet(
            "settings",
            ["form_title", "form_id", "version", "instance_name", "name", "submission_url"],
            [
                "Baseline",
                "baseline_2024",
                "7",
                "concat('R-', ${who})",
                "record",
                "https://x.example",
            ],
        ),
    )
    assert (form.form_id, form.title, form.version, form.root_name) == (
        "baseline_2024",
        "Baseline",
        "7",
        "record",
    )
    assert form.instance_name is not None
    assert form.instance_name.source == "concat('R-', ${who})"
    assert str(form.instance_name.location).endswith("form.md:settings:2:instance_name")
    assert form.settings["submission_url"] == "https://x.example"
    assert question(form, "who").path == ("record", "who")
    assert question(form, "meta/instanceName").calculate is not None


def test_defaults_from_the_file_name(tmp_path: Path) -> None:
    form = load_md(
        tmp_path, sheet("survey", ["type", "name", "label"], ["text", "a", "A"]), name="my_form.md"
    )
    assert (form.form_id, form.title, form.version, form.root_name) == (
        "my_form",
        "my_form",
        "",
        "data",
    )
    data = (tmp_path / "my_form.md").read_bytes()
    assert form.source_hash == hashlib.sha256(data).hexdigest()
    assert str(form.source) == str(tmp_path / "my_form.md")


# -- binds ---------------------------------------------------------------------------


def test_binds(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            [
                "type",
                "name",
                "label",
                "relevant",
                "required",
                "readonly",
                "default",
                "calculation",
                "trigger",
                "appearance",
            ],
            ["integer", "a", "A", "", "no", "", "3", "", "", "thousands-sep"],
            ["integer", "b", "B", "${a} > 1", "${a} = 2", "true", "${a} + 1", "", "", ""],
            ["date", "d", "D", "", "", "", "today()", "", "", ""],
            ["date", "d2", "D2", "", "", "", "2024-01-31", "", "", ""],
            ["text", "t", "T", "", "", "", "", "concat(${a}, 'x')", "${a}", ""],
        ),
    )
    a, b = question(form, "a"), question(form, "b")
    assert a.required is None and a.default == "3" and a.default_expr is None
    assert a.appearance == "thousands-sep" and a.appearances() == {"thousands-sep"}
    assert b.relevant is not None and b.relevant.source == "${a} > 1"
    assert isinstance(b.relevant.ast, ast.Binary)
    assert str(b.relevant.location).endswith("form.md:survey:3:relevant")
    assert b.required is not None and b.required.source == "${a} = 2"
    assert b.readonly is not None and b.readonly.source == "true()"
    assert b.default is None and b.default_expr is not None
    assert b.default_expr.source == "${a} + 1"
    d, d2 = question(form, "d"), question(form, "d2")
    assert d.default_expr is not None and d.default_expr.source == "today()"
    assert d2.default == "2024-01-31" and d2.default_expr is None
    t = question(form, "t")
    assert t.trigger == ("a",)
    assert t.calculate is not None and str(t.calculate.location).endswith(":calculation")


def test_or_other(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet("survey", ["type", "name", "label"], ["select_one yn or_other", "q", "Q"]),
        YN,
    )
    q = question(form, "q")
    assert q.or_other is True
    assert [c.name for c in form.choice_lists["yn"].choices] == ["yes", "no", "other"]
    other = question(form, "q_other")
    assert other.kind is Kind.TEXT
    assert other.relevant is not None and other.relevant.source == "selected(../q, 'other')"
    assert str(other.location).endswith("form.md:survey:2")


def test_choice_filter_randomize_and_seed(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "choice_filter", "parameters"],
            ["select_one zone", "zone", "Zone", "", ""],
            ["integer", "mySeed", "Seed", "", ""],
            [
                "select_one place",
                "place",
                "Place",
                "cluster = ${zone}",
                "randomize=true seed=${mySeed}",
            ],
        ),
        sheet(
            "choices",
            ["list_name", "name", "label", "cluster"],
            ["zone", "n", "North", ""],
            ["zone", "s", "South", ""],
            ["place", "p1", "P1", "n"],
            ["place", "p2", "P2", "s"],
        ),
    )
    place = question(form, "place")
    assert place.choice_filter is not None
    refs = [n.name for n in ast.walk(place.choice_filter.ast) if isinstance(n, ast.Ref)]
    assert refs == ["zone"]
    assert place.randomize is True
    assert place.seed is not None and place.seed.source == "${mySeed}"
    assert place.parameters["randomize"] == "true"
    assert [dict(c.extra) for c in form.choice_lists["place"].choices] == [
        {"cluster": "n"},
        {"cluster": "s"},
    ]
    assert question(form, "zone").randomize is False


# -- study columns -------------------------------------------------------------------


def test_tags_classification_and_extra_columns(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            [
                "type",
                "name",
                "label",
                "pillar",
                "element",
                "tags::swot",
                "classification",
                "source_doc",
            ],
            ["integer", "a", "A", "Legal", "Policy", "strength", "Confidential", "Q12 of 2023"],
            ["begin group", "g", "G", "People", "", "", "public", ""],
            ["text", "b", "B", "", "", "", "", ""],
            ["end group", "", "", "", "", "", "", ""],
        ),
    )
    a = question(form, "a")
    assert dict(a.tags) == {"pillar": "Legal", "element": "Policy", "swot": "strength"}
    assert a.classification == "confidential"
    assert dict(a.extra) == {"source_doc": "Q12 of 2023"}
    g = by_name(form, "g")
    assert dict(g.tags) == {"pillar": "People"} and g.classification == "public"
    b = question(form, "g/b")
    assert b.classification == "internal" and dict(b.tags) == {} and dict(b.extra) == {}


def test_known_but_unmodelled_columns_land_in_extra() -> None:
    form = read_xlsform(CORPUS / "attribute_columns_test.xlsx")
    skip = question(form, "skip_to_end")
    assert skip.extra["bind::saveIncomplete"] == "true()"
    assert skip.extra["instance::testAttribute"] == "test"
    assert skip.extra["control::bodyAttribute"] == "42"


# -- names ---------------------------------------------------------------------------


def test_lao_and_punctuated_field_names(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "relevant"],
            ["integer", "ອາຍຸ", "ອາຍຸ", ""],
            ["text", "ຊື່-ຜູ້.ຕອບ", "ຊື່ ${ອາຍຸ}", "${ອາຍຸ} >= 18"],
        ),
    )
    name = question(form, "ຊື່-ຜູ້.ຕອບ")
    assert name.relevant is not None
    refs = [n.name for n in ast.walk(name.relevant.ast) if isinstance(n, ast.Ref)]
    assert refs == ["ອາຍຸ"] and name.label_refs == {"ອາຍຸ"}


# -- the same form in every format ---------------------------------------------------


def summary(form: FormDef) -> list[Any]:
    """Everything but the file name and hash, comparable across formats."""

    def expr(e: Any) -> Any:
        return None if e is None else (e.source, e.location.sheet, e.location.row)

    out: list[Any] = [form.form_id, form.title, form.version, form.root_name, form.languages]
    out.append(form.default_language)
    for element in form.walk():
        item = [
            type(element).__name__,
            element.path,
            element.location.row,
            dict(element.label),
            dict(element.hint),
            element.appearance,
            expr(element.relevant),
            dict(element.extra),
        ]
        if isinstance(element, Question):
            item += [element.kind, element.data_type, element.choice_list, element.or_other]
            item += [expr(element.constraint), expr(element.calculate), expr(element.required)]
        out.append(item)
    for name, choices in sorted(form.choice_lists.items()):
        out.append((name, [(c.name, dict(c.label), c.location) for c in choices.choices]))
    return [repr(x).replace(form.source.file, "<file>") for x in out]


@pytest.mark.parametrize(
    "stem",
    [
        "group",
        "loop",
        "specify_other",
        "text_and_integer",
        "yes_or_no_question",
        "case_insensitivity",
    ],
)
def test_all_formats_give_the_same_formdef(stem: str) -> None:
    files = sorted(CORPUS.glob(f"{stem}.*"))
    assert {f.suffix for f in files} >= {".md", ".csv", ".xls"}
    summaries = {f.suffix: summary(read_xlsform(f)) for f in files}
    reference = summaries[".md"]
    for suffix, found in summaries.items():
        assert found == reference, suffix


def test_bytes_and_dict_entry_points(tmp_path: Path) -> None:
    text = sheet("survey", ["type", "name", "label"], ["integer", "a", "A"])
    from_bytes = read_xlsform_bytes(text.encode(), "in-memory.md")
    assert from_bytes.form_id == "in-memory" and str(from_bytes.source) == "in-memory.md"
    from_dict = read_xlsform_dict(
        {"survey": [{"type": "integer", "name": "a", "label": "A"}]}, "generated.md"
    )
    assert from_dict.form_id == "generated"
    assert [q.dotted for q in from_dict.questions()] == [q.dotted for q in from_bytes.questions()]


def test_pyxform_warnings_are_kept(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label"],
            ["begin repeat", "r", ""],
            ["text", "a", "A"],
            ["end repeat", "", ""],
        ),
    )
    assert any("Repeat has no label" in w for w in form.warnings)


def test_entities_load_with_a_warning(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet("survey", ["type", "name", "label", "save_to"], ["text", "a", "A", "size"]),
        sheet("entities", ["list_name", "label"], ["trees", "${a}"]),
    )
    assert form.settings["entities"] == "trees"
    assert any("entities" in w for w in form.warnings)
    assert question(form, "a").extra["save_to"] == "size"
    entity = by_name(form, "meta/entity")
    assert isinstance(entity, Group) and entity.bodyless
    assert entity.extra["attribute::dataset"] == "trees"
    assert entity.extra["attribute::id::default"] == "uuid()"
    label = question(form, "meta/entity/label")
    assert (label.kind, label.calculate) == (Kind.HIDDEN, None)
    assert label.extra["entity_label"] == "${a}"
    assert str(label.location).endswith("form.md:entities:2:label")


def test_range_tick_labels_stay_in_parameters(tmp_path: Path) -> None:
    form = load_md(
        tmp_path,
        sheet(
            "survey",
            ["type", "name", "label", "parameters"],
            ["range", "r", "R", "start=1 end=3 step=1 tick_labelset=ticks"],
        ),
        sheet(
            "choices", ["list_name", "name", "label"], ["ticks", "1", "Low"], ["ticks", "3", "High"]
        ),
    )
    r = question(form, "r")
    assert r.choice_list is None and r.parameters["tick_labelset"] == "ticks"
    assert [c.label["default"] for c in form.choice_lists["ticks"].choices] == ["Low", "High"]
