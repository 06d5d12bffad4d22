"""The study configuration: the real one loads, bad ones fail naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.study.config import (
    InstrumentRole,
    StudyConfig,
    StudyConfigError,
    Text,
    default_study_path,
    load_study,
)
from app.study.mdtable import read_sheets

LAO = re.compile(r"[\u0e80-\u0eff]")


@pytest.fixture(scope="module")
def config() -> StudyConfig:
    return load_study()


def test_default_path_is_forms_study_toml() -> None:
    path = default_study_path()
    assert path.name == "study.toml"
    assert path.parent.name == "forms"
    assert path.is_file()


def test_study_loads_with_both_languages(config: StudyConfig) -> None:
    assert config.code == "lao-dg-baseline"
    assert config.language_codes() == ("lo", "en")
    assert config.language_columns() == {"lo": "Lao (lo)", "en": "English (en)"}
    assert config.default_language == "en"
    assert LAO.search(config.name["lo"])
    assert "data governance" in config.name["en"]


def test_four_pillars(config: StudyConfig) -> None:
    assert [p.code for p in config.pillars] == ["policy", "institutions", "people", "processes"]
    assert [p.name["en"] for p in config.pillars] == [
        "Policy",
        "Institutions",
        "People",
        "Processes",
    ]
    for pillar in config.pillars:
        for text in (pillar.name, pillar.definition, pillar.matrix_heading):
            assert text.languages() == ("lo", "en")
            assert LAO.search(text["lo"]), pillar.code
            assert not LAO.search(text["en"]), pillar.code
    # English definitions are the seed's own words.
    assert (
        config.pillar("policy")
        .definition["en"]
        .startswith("It refers to a means of legitimizing data governance")
    )


def test_six_elements(config: StudyConfig) -> None:
    assert [e.code for e in config.elements] == ["std", "share", "sec", "priv", "infra", "digid"]
    names = [e.name["en"] for e in config.elements]
    assert names == [
        "Data standards and classification",
        "Data sharing, interoperability and open government data",
        "Data security",
        "Data privacy and ethics",
        "National data infrastructure",
        "Link with digital identity",
    ]
    for element in config.elements:
        assert LAO.search(element.name["lo"]) and LAO.search(element.definition["lo"])
        assert len(element.definition["en"]) > 80
    # The standards element joins the seed's two definitions.
    std = config.element("std").definition["en"]
    assert "Data standardization" in std and "Data classification" in std


def test_matrix_has_24_cells(config: StudyConfig) -> None:
    cells = [(p.code, e.code) for p, e in config.cells()]
    assert len(cells) == len(set(cells)) == 24
    assert cells[0] == ("policy", "std") and cells[-1] == ("processes", "digid")


def test_instruments_exist_and_match_their_settings(config: StudyConfig) -> None:
    roles = {i.role for i in config.instruments}
    assert roles == set(InstrumentRole)
    for instrument in config.instruments:
        assert instrument.file.is_file(), instrument.file
        assert instrument.file.parent == config.forms_dir
        assert instrument.users
        settings = read_sheets(instrument.file)["settings"].rows[0]
        assert settings.get("form_id") == instrument.form_id
    assert config.instrument("survey").users == ("enumerator",)
    assert [i.code for i in config.instruments_by_role("interview")] == ["interview"]


def test_classifications(config: StudyConfig) -> None:
    assert config.classification_codes() == ("public", "internal", "confidential", "restricted")
    assert config.personal_classifications() == {"confidential", "restricted"}
    assert config.classification("restricted").rank == 3


def test_choice_and_column_settings(config: StudyConfig) -> None:
    assert config.choices.file.is_file()
    assert config.choices.institution_cluster_column == "cluster"
    assert (config.columns.pillar, config.columns.element) == ("pillar", "element")
    assert [c.code for c in config.clusters] == [
        "core_regulatory",
        "cross_sectoral",
        "sectoral",
        "civil_society",
        "private_sector",
    ]


def test_lookups_fail_on_unknown_codes(config: StudyConfig) -> None:
    with pytest.raises(KeyError):
        config.pillar("finance")
    with pytest.raises(KeyError):
        config.element("std ")


def test_text_access() -> None:
    text = Text((("lo", "ນະໂຍບາຍ"), ("en", "Policy")))
    assert text["en"] == "Policy"
    assert text.get("fr", "lo") == "ນະໂຍບາຍ"
    assert text.get(None) == "ນະໂຍບາຍ"
    assert text.as_dict() == {"lo": "ນະໂຍບາຍ", "en": "Policy"}
    with pytest.raises(KeyError):
        text["fr"]


# -- bad configurations --------------------------------------------------------------


def _write_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """The real study.toml with `old` replaced by `new` (must occur), in tmp_path."""
    text = default_study_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "study.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def _error(path: Path) -> StudyConfigError:
    with pytest.raises(StudyConfigError) as info:
        load_study(path)
    error = info.value
    assert str(path) in str(error)
    return error


def test_missing_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'code = "institutions"\n', "")
    error = _error(path)
    assert error.key == "pillars[1].code"
    assert "missing key" in str(error)
    assert str(error).startswith(f"{path}: pillars[1].code: ")


def test_missing_top_level_table(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "[columns]", "[columnz]")
    assert _error(path).key == "columns"


def test_duplicate_pillar_code(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'code = "people"', 'code = "policy"')
    error = _error(path)
    assert error.key == "pillars[2].code"
    assert "duplicate code 'policy'" in str(error)
    assert "pillars[0].code" in str(error)


def test_duplicate_element_code(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'code = "digid"', 'code = "sec"')
    error = _error(path)
    assert error.key == "elements[5].code"
    assert "duplicate" in str(error)


def test_missing_lao_name(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'name.lo = "ຂະບວນການ"\n', "")
    error = _error(path)
    assert error.key == "pillars[3].name.lo"
    assert "missing text" in str(error)


def test_empty_lao_definition(tmp_path: Path) -> None:
    text = default_study_path().read_text(encoding="utf-8")
    start = text.index('definition.lo = "ການກຳນົດມາດຕະຖານຂໍ້ມູນ')
    end = text.index("\n", start)
    path = tmp_path / "study.toml"
    path.write_text(text[:start] + 'definition.lo = "  "' + text[end:], encoding="utf-8")
    assert _error(path).key == "elements[0].definition.lo"


def test_undeclared_language(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path, 'name.en = "Data security"', 'name.en = "Data security"\nname.fr = "Sécurité"'
    )
    error = _error(path)
    assert error.key == "elements[2].name.fr"
    assert "not declared" in str(error)


def test_malformed_toml(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "[[pillars]]", "[[pillars]")
    error = _error(path)
    assert "malformed TOML" in str(error)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_bytes(b'schema = 1\nname = "\xff"\n')
    assert "not UTF-8" in str(_error(path))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert "cannot read" in str(_error(path))


def test_unknown_instrument_role(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'role = "desk_review"', 'role = "library"')
    error = _error(path)
    assert error.key == "instruments[3].role"
    assert "unknown role 'library'" in str(error)


def test_undeclared_user_role(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'users = ["enumerator"]', 'users = ["driver"]')
    assert _error(path).key == "instruments[0].users"


def test_default_language_must_be_declared(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'default_language = "en"', 'default_language = "fr"')
    assert _error(path).key == "study.default_language"


def test_bad_code(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'code = "infra"', 'code = "Infra Structure"')
    error = _error(path)
    assert error.key == "elements[4].code"
    assert "is not a code" in str(error)


def test_duplicate_form_id(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'form_id = "dg_swot"', 'form_id = "dg_survey"')
    error = _error(path)
    assert error.key == "instruments[4].form_id"


def test_wrong_schema(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "schema = 1", "schema = 2")
    assert _error(path).key == "schema"


def test_missing_table_array(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    text = default_study_path().read_text(encoding="utf-8")
    path.write_text(text.replace("[[user_roles]]", "[[unused]]"), encoding="utf-8")
    assert _error(path).key == "user_roles"


def test_duplicate_key_fields_come_from_the_study_file() -> None:
    from app.bundle.merge import BusinessKeyRule, default_key_rule, document_key
    from app.study.config import load_study

    study = load_study(default_study_path())
    assert "institution" in study.duplicates.institution_fields
    rule = BusinessKeyRule.of_study(study)
    assert default_key_rule() == rule
    document = {
        "data": {
            "g": {
                "institution": "other",
                "institution_other": " Lao  Post ",
                "respondent_name": "Keo",
            }
        }
    }
    assert document_key(document, rule) == ("lao post", "keo")
    # Without a [duplicates] table nothing identifies a respondent: no flagging.
    assert document_key(document, BusinessKeyRule.of_study(None)) == ("", "")
