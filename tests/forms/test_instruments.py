"""The study's instruments in forms/: they load, are bilingual, cover the framework.

Raw rows are read with `app.study.mdtable` (the same rules as pyxform's
markdown reader) so that the extra columns are checked exactly as written;
loading goes through pyxform itself and through Samluat's own ingest.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from app.engine.xpath.parser import parse
from app.study.choices import check, read_shared, sync, synced_text
from app.study.config import Instrument, StudyConfig, load_study
from app.study.mdtable import Row, Sheet, read_sheets
from app.study.registry import load_registry

CONFIG: StudyConfig = load_study()
INSTRUMENTS: list[Instrument] = list(CONFIG.instruments)
IDS = [i.code for i in INSTRUMENTS]
LANG_COLUMNS = [f"{CONFIG.language_columns()[code]}" for code in CONFIG.language_codes()]
LO_COL, EN_COL = CONFIG.language_columns()["lo"], CONFIG.language_columns()["en"]
TEXT_COLUMNS = ("label", "hint", "guidance_hint", "constraint_message", "required_message")
EXPRESSION_COLUMNS = (
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "repeat_count",
    "required",
    "read_only",
    "default",
)
METADATA = {"start", "end", "today", "deviceid", "username"}
UNLABELLED = METADATA | {"calculate", "end_group", "end_repeat"}
CONTAINERS = {"begin_group", "end_group", "begin_repeat", "end_repeat"}
# Fields named like personal identifiers must be restricted.
PERSONAL_NAME = re.compile(r"(^|_)(name|names|phone|email)$")
# Fields that hold personal data or views attributable to a person: confidential or restricted.
PERSONAL_FIELDS = {
    "survey": {
        "username", "interviewer_name", "respondent_position", "roles_describe",
        "pol_comment", "ins_comment", "ppl_comment", "prc_comment",
        "swot_s_other", "swot_w_other", "swot_o_other", "swot_t_other",
        "final_comment", "respondent_name", "respondent_phone", "respondent_email",
    },
    "interview": {
        "username", "interviewer_name", "interviewee_position", "interviewee_names",
        "mandate", "data_partners", "swot_strengths", "swot_weaknesses",
        "swot_opportunities", "swot_threats", "priorities", "openness",
        "observations", "key_points", "follow_up_notes",
    },
    "mapping": {
        "username", "power_rationale", "contact_name", "contact_position",
        "contact_phone", "contact_email", "notes",
    },
    "desk_review": {"username", "reviewer_notes"},
    "swot": {"username", "statement"},
}  # fmt: skip

# Every institution the seed names, as the seed spells it, by cluster, with its code.
SEED_INSTITUTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "core_regulatory": {
        "Ministry of Technology and Communication": ("mtc",),
        "Bank of Lao PDR": ("bol",),
        "Ministry of Planning and Investment": ("mpi",),
    },
    "cross_sectoral": {
        "Lao Internet Center, MTC": ("mtc_lic",),
        "Digital Government Center, MTC": ("mtc_dgc",),
        "LaoCERT": ("laocert",),
        "Immigration Department, MOPS": ("mops_imm",),
        "Ministry of Resources and Environment": ("monre",),
        "Ministry of Home Affairs": ("moha",),
        "Ministry of Public Security": ("mops",),
    },
    "sectoral": {
        "Ministry of Finance": ("mof",),
        "Ministry of Health": ("moh",),
        "Ministry of Public Work and Transportation": ("mpwt",),
        "Ministry of Agriculture": ("maf",),
        "Ministry of Educations": ("moes",),
        "Ministry of Labour and Welfare": ("molsw",),
    },
    "civil_society": {
        "Lao National Chamber of Commerce and Industry": ("lncci",),
        "Lao Women Union": ("lwu",),
        "Young Entrepreneurs of Laos": ("yeal",),
        "Disability Center": ("disability_center",),
    },
    "private_sector": {
        # One line in the seed, two companies (see GLOSSARY.md).
        "Loca Food Panda": ("loca", "foodpanda"),
        "BCEL": ("bcel",),
        "Lao Telecom": ("ltc",),
        "Unitel": ("unitel",),
        "ETL": ("etl",),
        "Best Telecom": ("best_telecom",),
        "Lapnet": ("lapnet",),
        "Lao Credit Information Company": ("lcic",),
    },
}


def sheets(instrument: Instrument) -> dict[str, Sheet]:
    return read_sheets(instrument.file)


def survey_rows(instrument: Instrument) -> list[Row]:
    return list(sheets(instrument)["survey"].rows)


def row_type(row: Row) -> str:
    return row.get("type").split()[0] if row.get("type") else ""


def fields(instrument: Instrument) -> Iterator[Row]:
    """Rows that make a node in the instance (everything but group/repeat markers)."""
    return (r for r in survey_rows(instrument) if row_type(r) not in CONTAINERS)


def where(instrument: Instrument, row: Row) -> str:
    return f"{instrument.file.name}:{row.line} ({row.get('name')})"


def is_lao(text: str) -> bool:
    """Lao script, allowing digits, punctuation and Latin proper nouns (BCEL, LaoCERT, API)."""
    letters = [ch for ch in text if unicodedata.category(ch)[0] in "LM"]
    foreign = [ch for ch in letters if not ("\u0e80" <= ch <= "\u0eff" or ch.isascii())]
    # Outside brackets (where "(BCEL)", "(Chief Data Officer)" go) the text is mostly Lao.
    bare = re.sub(r"\([^)]*\)", "", text)
    lao = sum("\u0e80" <= ch <= "\u0eff" for ch in bare if unicodedata.category(ch)[0] in "LM")
    latin = sum(ch.isascii() and ch.isalpha() for ch in bare)
    return lao > 0 and not foreign and lao >= 2 * latin


def has_lao(text: str) -> bool:
    return any("\u0e80" <= ch <= "\u0eff" for ch in text)


def test_is_lao_helper() -> None:
    assert is_lao("ທະນາຄານການຄ້າຕ່າງປະເທດລາວ ມະຫາຊົນ (BCEL)")
    assert is_lao("ປີລະ 1 ຫາ 2 ຄັ້ງ")
    assert not is_lao("Ministry of Finance")
    assert not is_lao("กระทรวงการคลัง")  # Thai, a common mix-up
    assert not is_lao("")


# -- loading ------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_pyxform_converts_without_warnings(instrument: Instrument) -> None:
    warnings: list[str] = []
    result = convert(xlsform=str(instrument.file), validate=False, warnings=warnings)
    assert warnings == []
    assert f'id="{instrument.form_id}"' in result.xform


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_engine_ingest_loads(instrument: Instrument) -> None:
    from app.engine.ingest import read_xlsform

    form = read_xlsform(instrument.file)
    assert form.form_id == instrument.form_id
    assert form.warnings == ()
    assert form.language_codes() == CONFIG.language_codes()
    assert form.default_language == CONFIG.default_language
    assert form.count_questions() > 5
    # Extra columns survive ingest: the classification of every question is the one written.
    written = {r.get("name"): r.get("classification") for r in fields(instrument)}
    for question in form.questions():
        if question.name in written:
            assert question.classification == written[question.name], question.name


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_engine_compiles(instrument: Instrument) -> None:
    """Function names, arity, references and dependency cycles (checked at compile)."""
    from app.engine.loader import load_form

    compiled = load_form(instrument.file, use_cache=False)
    assert compiled is not None


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_settings(instrument: Instrument) -> None:
    settings = sheets(instrument)["settings"].rows
    assert len(settings) == 1
    row = settings[0]
    assert row.get("form_id") == instrument.form_id
    assert row.get("version").isdigit()
    assert row.get("form_title")
    assert row.get("default_language") == CONFIG.language_columns()[CONFIG.default_language]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_expressions_parse_and_reference_existing_fields(instrument: Instrument) -> None:
    names = {r.get("name") for r in survey_rows(instrument) if r.get("name")}
    expressions: list[tuple[str, str]] = []
    for row in survey_rows(instrument):
        for column in EXPRESSION_COLUMNS:
            value = row.get(column)
            if not value or (column in ("required", "read_only") and value in ("yes", "no")):
                continue
            if column == "default" and "(" not in value:
                continue  # a constant
            expressions.append((where(instrument, row), value))
    instance_name = sheets(instrument)["settings"].rows[0].get("instance_name")
    if instance_name:
        expressions.append(("settings:instance_name", instance_name))
    assert expressions
    for place, source in expressions:
        parse(source)
        for ref in re.findall(r"\$\{([^}]+)\}", source):
            assert ref in names, f"{place}: unknown ${{{ref}}}"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_metadata_rows(instrument: Instrument) -> None:
    types = {row_type(r) for r in survey_rows(instrument)}
    assert types >= METADATA


# -- language -----------------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_only_lao_and_english_text_columns(instrument: Instrument) -> None:
    for sheet_name in ("survey", "choices"):
        for column in sheets(instrument)[sheet_name].header:
            base, _, language = column.partition("::")
            if base in TEXT_COLUMNS or base in ("media", "image", "audio"):
                assert language in LANG_COLUMNS, f"{sheet_name}: column {column!r}"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_every_survey_text_in_lao_and_english(instrument: Instrument) -> None:
    for row in survey_rows(instrument):
        place = where(instrument, row)
        if row_type(row) not in UNLABELLED:
            assert row.get(f"label::{LO_COL}") and row.get(f"label::{EN_COL}"), place
        for base in TEXT_COLUMNS:
            lo, en = row.get(f"{base}::{LO_COL}"), row.get(f"{base}::{EN_COL}")
            assert bool(lo) == bool(en), f"{place}: {base} in one language only"
            if lo:
                assert is_lao(lo), f"{place}: {base}::{LO_COL} is not Lao: {lo!r}"
                assert not has_lao(en), f"{place}: {base}::{EN_COL} contains Lao"
        if row.get("required") == "yes":
            assert row.get(f"required_message::{LO_COL}"), f"{place}: no required_message"
        if row.get("constraint"):
            assert row.get(f"constraint_message::{LO_COL}"), f"{place}: no constraint_message"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_every_choice_in_lao_and_english(instrument: Instrument) -> None:
    rows = sheets(instrument)["choices"].rows
    assert rows
    for row in rows:
        place = f"{instrument.file.name}:{row.line}"
        lo, en = row.get(f"label::{LO_COL}"), row.get(f"label::{EN_COL}")
        assert lo and en, place
        assert is_lao(lo), f"{place}: not Lao: {lo!r}"
        assert not has_lao(en), place


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_engine_sees_both_languages_everywhere(instrument: Instrument) -> None:
    from app.engine.ingest import read_xlsform

    form = read_xlsform(instrument.file)
    for element in form.walk():
        for text in (element.label, element.hint, element.guidance_hint):
            if text:
                assert set(text) == {"lo", "en"}, element.dotted
    for choice_list in form.choice_lists.values():
        for choice in choice_list.choices:
            assert set(choice.label) == {"lo", "en"}, (choice_list.name, choice.name)


def test_glossary_terms_are_used_consistently() -> None:
    """Key terms of GLOSSARY.md appear in the forms, and their rejected variants do not."""
    glossary = (CONFIG.forms_dir / "GLOSSARY.md").read_text(encoding="utf-8")
    forms = "\n".join(i.file.read_text(encoding="utf-8") for i in INSTRUMENTS)
    shared = CONFIG.choices.file.read_text(encoding="utf-8")
    for term in ("ການຄຸ້ມຄອງຂໍ້ມູນ", "ເສົາຫຼັກ", "ອົງປະກອບ", "ພາກສ່ວນກ່ຽວຂ້ອງ", "ຍິນຍອມ", "ສິ່ງທ້າທາຍ"):
        assert term in glossary, term
        assert term in forms + shared, term
    for rejected in ("ໄພຄຸກຄາມ", "ສັງຄົມພົນລະເຮືອນ"):
        assert rejected not in forms + shared, rejected
    for pillar in CONFIG.pillars:
        assert pillar.name["lo"] in glossary
    for element in CONFIG.elements:
        assert element.name["lo"] in glossary


# -- classification -----------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_every_field_has_a_deliberate_classification(instrument: Instrument) -> None:
    valid = set(CONFIG.classification_codes())
    for row in fields(instrument):
        value = row.get(CONFIG.columns.classification)
        assert value in valid, f"{where(instrument, row)}: classification {value!r}"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_personal_data_is_protected(instrument: Instrument) -> None:
    personal = CONFIG.personal_classifications()
    by_name = {r.get("name"): r for r in fields(instrument)}
    expected = set(PERSONAL_FIELDS[instrument.code])
    if instrument.role == "interview":
        # Every open answer of the interview guide may name or identify people.
        expected |= {
            name
            for name, row in by_name.items()
            if row_type(row) == "text"
            and row.get("pillar")
            and row.get("appearance") == "multiline"
        }
    assert expected <= set(by_name), expected - set(by_name)
    for name in expected:
        assert by_name[name].get("classification") in personal, where(instrument, by_name[name])
    for name, row in by_name.items():
        kind = row_type(row)
        if kind in ("audio", "video", "image"):
            assert row.get("classification") == "restricted", where(instrument, row)
        if kind == "text" and PERSONAL_NAME.search(name) and not name.endswith("_other"):
            assert row.get("classification") == "restricted", where(instrument, row)
    # and nothing that is not personal is marked so by accident
    for name, row in by_name.items():
        if row.get("classification") in personal:
            assert name in expected or row_type(row) == "audio", where(instrument, row)


# -- framework ----------------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_framework_tags_are_valid_codes(instrument: Instrument) -> None:
    pillars = {p.code for p in CONFIG.pillars}
    elements = {e.code for e in CONFIG.elements}
    for row in survey_rows(instrument):
        if row.get(CONFIG.columns.pillar):
            assert row.get(CONFIG.columns.pillar) in pillars, where(instrument, row)
        if row.get(CONFIG.columns.element):
            assert row.get(CONFIG.columns.element) in elements, where(instrument, row)


def _instrument(role: str) -> Instrument:
    (instrument,) = CONFIG.instruments_by_role(role)
    return instrument


def _perception(instrument: Instrument) -> list[Row]:
    return [r for r in survey_rows(instrument) if r.get("type") == "select_one agreement"]


def test_every_cell_has_a_perception_statement() -> None:
    survey = _instrument("survey")
    statements = _perception(survey)
    cells: dict[tuple[str, str], int] = {}
    for row in statements:
        cell = (row.get("pillar"), row.get("element"))
        cells[cell] = cells.get(cell, 0) + 1
    for pillar, element in CONFIG.cells():
        assert cells.get((pillar.code, element.code), 0) >= 1, (pillar.code, element.code)
    assert len(cells) == 24
    assert len(statements) == sum(cells.values())


def test_perception_statements_are_likert_in_one_group_per_pillar() -> None:
    survey = _instrument("survey")
    stack: list[Row] = []
    seen_groups: dict[str, str] = {}
    comments: set[str] = set()
    for row in survey_rows(survey):
        kind = row_type(row)
        if kind in ("begin_group", "begin_repeat"):
            stack.append(row)
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
        elif row.get("type") == "select_one agreement":
            assert row.get("appearance") == "likert", where(survey, row)
            assert row.get("required") == "yes", where(survey, row)
            group = stack[-1]
            assert group.get("appearance") in ("field-list", "table-list"), where(survey, row)
            assert seen_groups.setdefault(row.get("pillar"), group.get("name")) == group.get(
                "name"
            ), where(survey, row)
        elif kind == "text" and row.get("pillar") and row.get("appearance") == "multiline":
            comments.add(row.get("pillar"))
    assert set(seen_groups) == {p.code for p in CONFIG.pillars}
    assert len(set(seen_groups.values())) == 4
    assert comments == {p.code for p in CONFIG.pillars}, "an open comment per pillar"


def test_interview_guide_covers_every_cell_with_open_questions() -> None:
    guide = _instrument("interview")
    cells = {
        (r.get("pillar"), r.get("element"))
        for r in survey_rows(guide)
        if row_type(r) == "text" and r.get("appearance") == "multiline" and r.get("element")
    }
    for pillar, element in CONFIG.cells():
        assert (pillar.code, element.code) in cells
    for row in survey_rows(guide):
        if row.get("pillar") and row_type(row) == "text":
            assert row.get(f"hint::{LO_COL}", "").startswith("ຄຳຖາມຊອກຄົ້ນ"), where(guide, row)


def test_interview_guide_cluster_specific_questions_and_audio() -> None:
    guide = _instrument("interview")
    rows = survey_rows(guide)
    cluster_codes = {c.code for c in load_registry(CONFIG).clusters}
    specific = [r for r in rows if "${cluster}" in r.get("relevant")]
    assert len(specific) >= 4
    for row in specific:
        for code in re.findall(r"'([a-z_]+)'", row.get("relevant")):
            assert code in cluster_codes, where(guide, row)
    by_name = {r.get("name"): r for r in rows}
    assert by_name["consent_audio"].get("relevant") == "${consent} = 'yes'"
    audio = [r for r in rows if row_type(r) == "audio"]
    assert len(audio) >= 6, "one optional recording per section"
    for row in audio:
        assert row.get("relevant") == "${consent_audio} = 'yes'", where(guide, row)
        assert row.get("required") != "yes"


@pytest.mark.parametrize("role", ["survey", "interview"])
def test_refused_consent_stops_the_form(role: str) -> None:
    instrument = _instrument(role)
    rows = survey_rows(instrument)
    main = next(r for r in rows if r.get("name") == "main")
    assert main.get("relevant") == "${consent} = 'yes'"
    names = [r.get("name") for r in rows]
    # everything after the consent group is inside `main`
    assert names.index("main") == names.index("consent_refused") + 2
    assert rows[-1].get("type") == "end_group"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_institution_questions_filter_on_their_cluster(instrument: Instrument) -> None:
    rows = survey_rows(instrument)
    for row in rows:
        if row.get("type") == "select_one institution" and row.get("choice_filter"):
            assert re.fullmatch(
                r"cluster = \$\{\w+\} or name = 'other'", row.get("choice_filter")
            ), where(instrument, row)


def test_stakeholder_mapping_scores_and_relationships() -> None:
    mapping = _instrument("mapping")
    by_name = {r.get("name"): r for r in survey_rows(mapping)}
    for name in ("influence", "interest"):
        assert by_name[name].get("type") == "integer"
        assert by_name[name].get("constraint") == ". >= 1 and . <= 5"
    assert by_name["relation"].get("type") == "begin_repeat"
    assert {"rel_institution", "rel_data", "rel_method", "rel_frequency"} <= set(by_name)


def test_desk_review_and_swot_statement_cover_the_framework() -> None:
    desk = {r.get("name"): r for r in survey_rows(_instrument("desk_review"))}
    assert desk["doc_pillars"].get("type") == "select_multiple pillar"
    assert desk["doc_elements"].get("type") == "select_multiple element"
    assert desk["doc_file"].get("type") == "file"
    assert desk["doc_year"].get("constraint")
    swot = {r.get("name"): r for r in survey_rows(_instrument("swot"))}
    assert swot["swot_category"].get("type") == "select_one swot"
    assert swot["pillar"].get("type") == "select_one pillar"
    assert swot["element"].get("type") == "select_one element"
    assert swot["evidence_source"].get("type") == "select_one evidence_source"


# -- shared choice lists and the registry --------------------------------------------


def test_every_seed_institution_is_in_the_registry_under_its_cluster() -> None:
    registry = load_registry(CONFIG)
    listed: set[str] = set()
    for cluster, names in SEED_INSTITUTIONS.items():
        for seed_name, codes in names.items():
            for code in codes:
                institution = registry.institution(code)
                assert institution.cluster == cluster, (seed_name, code)
                assert is_lao(institution.name["lo"]), code
                listed.add(code)
    assert {i.code for i in registry.named()} == listed, "no institution beyond the seed's"
    assert registry.institution("other").cluster is None
    counts = {code: len(items) for code, items in registry.by_cluster().items()}
    assert counts == {
        "core_regulatory": 3,
        "cross_sectoral": 7,
        "sectoral": 6,
        "civil_society": 4,
        "private_sector": 9,
    }
    for cluster in registry.clusters:
        assert cluster.description is not None


def test_shared_lists_match_the_study_configuration() -> None:
    shared = read_shared(CONFIG)
    pillar = shared.lists[CONFIG.choices.pillar_list]
    assert [r["name"] for r in pillar] == [p.code for p in CONFIG.pillars]
    for row, p in zip(pillar, CONFIG.pillars, strict=True):
        assert row[f"label::{LO_COL}"] == p.name["lo"] and row[f"label::{EN_COL}"] == p.name["en"]
    element = shared.lists[CONFIG.choices.element_list]
    assert [r["name"] for r in element] == [e.code for e in CONFIG.elements]
    for row, e in zip(element, CONFIG.elements, strict=True):
        assert row[f"label::{LO_COL}"] == e.name["lo"] and row[f"label::{EN_COL}"] == e.name["en"]
    assert [r["name"] for r in shared.lists["agreement"]] == ["1", "2", "3", "4", "5", "98", "99"]
    provinces = shared.lists["province"]
    assert len(provinces) == 18 == len({r["name"] for r in provinces})
    assert provinces[0][f"label::{EN_COL}"] == "Vientiane Capital"
    assert sum(r[f"label::{LO_COL}"].startswith("ແຂວງ") for r in provinces) == 17
    clusters = [r["name"] for r in shared.lists[CONFIG.choices.cluster_list]]
    assert clusters == [c.code for c in CONFIG.clusters]
    items = shared.lists["swot_item"]
    per_category = {code: sum(r["swot"] == code for r in items) for code in "swot"}
    assert per_category == {"s": 7, "w": 8, "o": 6, "t": 7}  # the seed's items plus "other"


def _lists(instrument: Instrument) -> dict[str, list[dict[str, str]]]:
    lists: dict[str, list[dict[str, str]]] = {}
    for row in sheets(instrument)["choices"].rows:
        record = {k: v for k, v in row.cells.items()}
        lists.setdefault(record["list_name"], []).append(record)
    return lists


def test_shared_lists_are_identical_in_every_instrument() -> None:
    shared = read_shared(CONFIG)
    uses: dict[str, int] = {}
    for instrument in INSTRUMENTS:
        for name, rows in _lists(instrument).items():
            if name in shared.lists:
                uses[name] = uses.get(name, 0) + 1
                assert rows == [dict(r) for r in shared.lists[name]], (instrument.code, name)
    assert uses["institution"] == 4 and uses["cluster"] == 3  # the SWOT form uses neither
    assert check(CONFIG) == []


def test_choice_sync_detects_and_repairs_drift(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(CONFIG.forms_dir, forms)
    config = load_study(forms / "study.toml")
    target = config.instrument("desk_review").file
    original = target.read_text(encoding="utf-8")
    target.write_text(original.replace("| Ministry of Health |", "| Ministry of Heath |"), "utf-8")
    assert check(config) == [target]
    assert sync(config) == [target]
    assert target.read_text(encoding="utf-8") == original
    assert sync(config) == []
    assert synced_text(target, read_shared(config)) == original


# -- scripted fills through `samluat form fill` ---------------------------------------

ANSWERS = Path(__file__).parent / "answers"


def _fill(
    instrument: Instrument,
    answers: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, Any]:
    from app.cli.main import main

    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    code = main(["form", "fill", "--lang", "lo", "--answers", str(path), str(instrument.file)])
    out = capsys.readouterr().out
    assert code == 0, out
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_scripted_fill_reaches_a_complete_valid_instance(
    instrument: Instrument, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = json.loads((ANSWERS / f"{instrument.code}.json").read_text(encoding="utf-8"))
    report = _fill(instrument, answers, tmp_path, capsys)
    assert report["form_id"] == instrument.form_id
    assert report["errors"] == []
    assert report["valid"] is True


def _edit(answers: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `answers` with the value at 'group/…/name' (or 'repeat[1]/name') replaced."""
    result = json.loads(json.dumps(answers))
    node: Any = result
    parts = path.split("/")
    for part in parts[:-1]:
        match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        node = node[match.group(1)][int(match.group(2)) - 1] if match else node[part]
    if value is None:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return result


BAD_FILLS = [
    ("survey", "main/organization/staff_data", 400, "main/organization/staff_data", "constraint"),
    (
        "survey",
        "main/organization/data_roles",
        "dba none",
        "main/organization/data_roles",
        "constraint",
    ),
    (
        "survey",
        "main/capacity/training_needed",
        "governance standards privacy security",
        "main/capacity/training_needed",
        "constraint",
    ),
    ("survey", "main/closing/respondent_name", None, "main/closing/respondent_name", "required"),
    (
        "survey",
        "main/perception/perc_people/ppl_sec_1",
        None,
        "main/perception/perc_people/ppl_sec_1",
        "required",
    ),
    ("interview", "main/closing/observations", None, "main/closing/observations", "required"),
    (
        "mapping",
        "relations/relation[1]/rel_institution",
        "bcel",
        "relations/relation[1]/rel_institution",
        "constraint",
    ),
    ("mapping", "power/influence", 6, "power/influence", "constraint"),
    ("mapping", "contact/contact_email", "not-an-address", "contact/contact_email", "constraint"),
    ("desk_review", "document/doc_year", 2999, "document/doc_year", "constraint"),
    ("swot", "statement_grp/statement", None, "statement_grp/statement", "required"),
]


@pytest.mark.parametrize(
    ("code", "path", "value", "field", "kind"),
    BAD_FILLS,
    ids=[f"{c}:{p.rsplit('/', 1)[-1]}" for c, p, *_ in BAD_FILLS],
)
def test_scripted_fill_reports_bad_answers_in_both_languages(
    code: str,
    path: str,
    value: Any,
    field: str,
    kind: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    instrument = CONFIG.instrument(code)
    answers = json.loads((ANSWERS / f"{code}.json").read_text(encoding="utf-8"))
    report = _fill(instrument, _edit(answers, path, value), tmp_path, capsys)
    assert report["valid"] is False
    problems = [(e["field"], e["kind"]) for e in report["errors"]]
    assert problems == [(field, kind)]
    assert is_lao(report["errors"][0]["message"])
