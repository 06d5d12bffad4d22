"""FormSession behaviour on real XLSForms (markdown), as a person filling the form sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.errors import AnswerError
from app.engine.serialize import to_document, to_openrosa_xml
from app.engine.session import FormSession
from tests.engine.formtools import compile_md

FIXED_NOW = datetime(2026, 5, 11, 9, 30, tzinfo=UTC)

HOUSEHOLD = """
| survey |
| | type | name | label::English (en) | label::Lao (lo) | relevant | calculation | constraint | constraint_message::English (en) | constraint_message::Lao (lo) | required | repeat_count | appearance | default |
| | integer | age | Age | ອາຍຸ | | | . >= 0 and . < 120 | Age must be 0 to 119 | ອາຍຸຕ້ອງແມ່ນ 0 ຫາ 119 | yes | | | |
| | calculate | adult | | | | if(${age} >= 18, 'yes', 'no') | | | | | | | |
| | begin group | work | Work | ວຽກ | ${adult} = 'yes' | | | | | | | field-list | |
| | text | employer | Employer | ນາຍຈ້າງ | | | | | | yes | | | |
| | integer | hours | Hours | ຊົ່ວໂມງ | | | . <= 80 | Too many hours | ຊົ່ວໂມງຫຼາຍເກີນໄປ | | | | |
| | end group | | | | | | | | | | | | |
| | begin repeat | member | Member | ສະມາຊິກ | | | | | | | | | |
| | text | mname | Name | ຊື່ | | | | | | | | | |
| | integer | mage | Age | ອາຍຸ | | | | | | | | | |
| | calculate | older | | | | ${mage} > ${age} | | | | | | | |
| | calculate | idx | | | | position(..) | | | | | | | |
| | end repeat | | | | | | | | | | | | |
| | calculate | n_members | | | | count(${member}) | | | | | | | |
| | calculate | total_age | | | | sum(${mage}) | | | | | | | |
| | text | note_name | Hello ${mname} | ສະບາຍດີ | | | | | | | | | |
| | integer | kids | Children | ເດັກນ້ອຍ | | | | | | | | | 0 |
| | begin repeat | child | Child | ເດັກ | | | | | | | ${kids} | | |
| | text | cname | Child name | ຊື່ເດັກ | | | | | | | | | |
| | end repeat | | | | | | | | | | | | |
| settings |
| | form_id | version | default_language | instance_name |
| | household | 3 | English (en) | concat('HH-', ${age}) |
"""


@pytest.fixture
def household(tmp_path: Path) -> FormSession:
    form = compile_md(
        tmp_path,
        HOUSEHOLD.replace(
            "| | text | note_name | Hello ${mname} | ສະບາຍດີ | | | | | | | | | |\n", ""
        ),
    )
    return FormSession(form, now=lambda: FIXED_NOW)


def test_relevance_hides_a_group_and_its_values_leave_the_document(household: FormSession) -> None:
    household.set_value("age", 30)
    household.set_value("employer", "Ministry")
    assert household.node("work").relevant
    assert to_document(household)["data"]["work"] == {"employer": "Ministry", "hours": None}
    changes = household.set_value("age", 12)
    assert household.node("employer") in changes.relevance
    assert not household.node("employer").relevant
    assert "work" not in to_document(household)["data"]
    # The answer is kept in the draft, and comes back when the group is relevant again.
    household.set_value("age", 40)
    assert to_document(household)["data"]["work"]["employer"] == "Ministry"


def test_required_and_constraint_messages_follow_the_form_language(household: FormSession) -> None:
    problems = household.problems()
    assert [(p.ref, p.kind) for p in problems] == [("age", "required")]
    household.set_value("age", -5)
    assert [(p.ref, p.kind, p.message) for p in household.problems()] == [
        ("age", "constraint", "Age must be 0 to 119")
    ]
    household.set_language("lo")
    assert household.problems()[0].message == "ອາຍຸຕ້ອງແມ່ນ 0 ຫາ 119"
    household.set_value("age", 30)
    # Employer is required once the work group is relevant.
    assert [(p.ref, p.kind) for p in household.problems()] == [("work/employer", "required")]
    household.set_value("employer", "BCEL")
    assert household.problems() == []


def test_calculations_inside_a_repeat_read_their_own_instance(household: FormSession) -> None:
    household.set_value("age", 40)
    household.set_value("member[1]/mage", 50)
    second = household.add_repeat(household.root, "member")
    household.set_value("member[2]/mage", 20)
    assert household.value("member[1]/older") == "true"
    assert household.value("member[2]/older") == "false"
    assert household.value("n_members") == "2"
    assert household.value("total_age") == "70"
    changes = household.set_value("member[2]/mage", 45)
    # Only instance 2's calculation was recomputed and changed.
    assert household.node("member[2]/older") in changes.values
    assert household.node("member[1]/older") not in changes.values
    assert household.value("member[2]/older") == "true"
    assert household.value("total_age") == "95"
    household.remove_repeat(household.node("member[1]"))
    assert second.position() == 1
    assert household.value("member[1]/idx") == "1"
    assert household.value("n_members") == "1"
    assert household.value("total_age") == "45"


def test_outer_answer_recomputes_every_instance(household: FormSession) -> None:
    household.set_value("age", 40)
    household.set_value("member[1]/mage", 30)
    household.add_repeat(household.root, "member")
    household.set_value("member[2]/mage", 35)
    household.set_value("age", 32)
    assert [household.value(f"member[{i}]/older") for i in (1, 2)] == ["false", "true"]


def test_repeat_count_drives_the_number_of_instances(household: FormSession) -> None:
    assert household.value("kids") == "0"
    assert household.repeat_instances(household.root, "child") == []
    household.set_value("kids", 3)
    assert len(household.repeat_instances(household.root, "child")) == 3
    household.set_value("child[3]/cname", "Noy")
    household.set_value("kids", 2)
    assert len(household.repeat_instances(household.root, "child")) == 2
    with pytest.raises(AnswerError, match="repeat_count"):
        household.add_repeat(household.root, "child")


def test_a_count_retyped_keeps_the_answers_of_the_instances_it_passed_over(
    household: FormSession,
) -> None:
    """Clearing a count to retype it removed every instance and their answers; while
    answering, the instances a lower count takes away are set aside and come back."""
    assert household.sets_a_repeat_count(household.node("kids"))
    assert not household.sets_a_repeat_count(household.node("age"))
    household.set_value("kids", 3)
    for position, name in enumerate(["Noy", "Keo", "Bounmy"], 1):
        household.set_value(f"child[{position}]/cname", name)
    changes = household.set_value("kids", None)
    assert household.repeat_instances(household.root, "child") == []
    dropped = changes.dropped[household.root]
    assert [i.by_name["cname"][0].value for i in dropped] == ["Bounmy", "Keo", "Noy"]
    assert household.snapshot().get("child", []) == []  # saved as shown
    household.set_value("kids", 4)
    names = [household.value(f"child[{position}]/cname") for position in (1, 2, 3, 4)]
    assert names == ["Noy", "Keo", "Bounmy", ""]
    household.set_value("kids", 2)
    assert [c["cname"] for c in household.snapshot()["child"]] == ["Noy", "Keo"]
    # A session restored from what was saved has nothing aside: the saved two stay two.
    again = FormSession.restore(household.form, household.snapshot())
    again.set_value("kids", 3)
    assert [again.value(f"child[{position}]/cname") for position in (1, 2, 3)] == [
        "Noy",
        "Keo",
        "",
    ]


def test_move_repeat_changes_positions(household: FormSession) -> None:
    household.set_value("member[1]/mname", "A")
    household.add_repeat(household.root, "member")
    household.set_value("member[2]/mname", "B")
    household.move_repeat(household.node("member[2]"), 0)
    assert [household.value(f"member[{i}]/mname") for i in (1, 2)] == ["B", "A"]
    assert household.value("member[1]/idx") == "1"
    assert household.node("member[1]/mname").value == "B"


def test_wrong_answers_are_refused_with_the_field_named(household: FormSession) -> None:
    with pytest.raises(AnswerError, match="age: 'abc' is not a number"):
        household.set_value("age", "abc")
    with pytest.raises(AnswerError, match="whole number"):
        household.set_value("age", 3.5)
    with pytest.raises(AnswerError, match="calculated"):
        household.set_value("adult", "yes")
    with pytest.raises(AnswerError, match="no such field"):
        household.set_value("nonexistent", 1)
    assert household.value("age") == ""


def test_document_and_openrosa_xml(household: FormSession) -> None:
    household.set_value("age", 16)
    household.set_value("member[1]/mname", "Keo & Noy")
    household.set_value("member[1]/mage", 12)
    document = to_document(household)
    assert document["form_id"] == "household"
    assert document["form_version"] == "3"
    assert document["instance_name"] == "HH-16"
    assert document["data"]["member"] == [
        {"mname": "Keo & Noy", "mage": 12, "older": "false", "idx": "1"}
    ]
    xml = to_openrosa_xml(household)
    instance_id = household.instance_id
    assert instance_id.startswith("uuid:")
    assert xml == (
        "<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\" "
        'xmlns:orx="http://openrosa.org/xforms" id="household" version="3">'
        "<age>16</age><adult>no</adult>"
        "<member><mname>Keo &amp; Noy</mname><mage>12</mage><older>false</older><idx>1</idx></member>"
        "<n_members>1</n_members><total_age>12</total_age><kids>0</kids>"
        f"<meta><instanceID>{instance_id}</instanceID><instanceName>HH-16</instanceName></meta></data>"
    )


def test_snapshot_restores_the_exact_state(household: FormSession) -> None:
    household.set_value("age", 30)
    household.set_value("employer", "LaoCERT")
    household.add_repeat(household.root, "member")
    household.set_value("member[2]/mname", "Souk")
    household.set_value("kids", 2)
    household.set_value("child[2]/cname", "Ning")
    household.set_value("age", 10)  # hides employer, which must survive in the draft
    snapshot = household.snapshot()
    restored = FormSession.restore(household.form, snapshot, now=lambda: FIXED_NOW)
    assert restored.snapshot() == snapshot
    assert to_document(restored) == to_document(household)
    restored.set_value("age", 30)
    assert restored.value("employer") == "LaoCERT"


def test_pages_follow_field_lists_and_relevance(household: FormSession) -> None:
    def page_refs() -> list[list[str]]:
        return [[household.ref(n) for n in page.nodes] for page in household.pages()]

    assert ["work/employer"] not in page_refs()
    assert page_refs()[0] == ["age"]
    household.set_value("age", 30)
    refs = page_refs()
    assert ["work/employer", "work/hours"] in refs  # a field-list group is one page
    assert ["member[1]/mname"] in refs and ["member[1]/mage"] in refs
    assert all("adult" not in r for page in refs for r in page)  # calculations have no page


RANDOMIZED = """
| survey |
| | type | name | label | parameters |
| | integer | s | Seed | |
| | select_one fruit | pick | Pick | randomize=true, seed=${s} |
| | select_one fruit | free | Free | randomize=true |
| choices |
| | list_name | name | label |
| | fruit | a | A |
| | fruit | b | B |
| | fruit | c | C |
| | fruit | d | D |
| | fruit | e | E |
"""


def test_randomized_choices_follow_the_seed_and_stay_put(tmp_path: Path) -> None:
    session = FormSession(compile_md(tmp_path, RANDOMIZED))
    session.set_value("s", 42)
    seeded = session.allowed_choices(session.node("pick"))
    assert sorted(seeded) == ["a", "b", "c", "d", "e"]
    again = FormSession(session.form)
    again.set_value("s", 42)
    assert again.allowed_choices(again.node("pick")) == seeded  # same seed, same order
    session.set_value("s", 7)
    assert session.allowed_choices(session.node("pick")) != seeded
    free = session.allowed_choices(session.node("free"))
    assert session.allowed_choices(session.node("free")) == free  # stable within a session


EXTERNAL = """
| survey |
| | type | name | label | choice_filter |
| | select_one province | province | Province | |
| | select_one_external district | district | District | province=${province} |
| choices |
| | list_name | name | label |
| | province | vte | Vientiane Capital |
| | province | lpb | Luang Prabang |
| external_choices |
| | list_name | name | label::English (en) | label::Lao (lo) | province |
| | district | chanthabuly | Chanthabuly | ຈັນທະບູລີ | vte |
| | district | sikhottabong | Sikhottabong | ສີໂຄດຕະບອງ | vte |
| | district | nambak | Nambak | ນ້ຳບາກ | lpb |
"""


def test_external_choices_are_filtered_labelled_and_checked(tmp_path: Path) -> None:
    session = FormSession(compile_md(tmp_path, EXTERNAL), language="lo")
    district = session.node("district")
    assert session.allowed_choices(district) == []
    session.set_value("province", "vte")
    assert session.allowed_choices(district) == ["chanthabuly", "sikhottabong"]
    session.set_value(district, "sikhottabong")
    assert session.choice_label(district, "sikhottabong") == "ສີໂຄດຕະບອງ"
    with pytest.raises(AnswerError, match="'xaythany' is not one of the choices"):
        session.set_value(district, "xaythany")
