"""The answers a coordinator must choose between in a conflict: those that differ."""

from __future__ import annotations

from app.fieldwork.merging import differing_answers


def test_differing_answers_in_form_order_with_repeats_and_without_metadata() -> None:
    first = {
        "data": {
            "meta": {"instanceID": "uuid:1", "deprecatedID": None},
            "org": {"name": "MoF", "staff": 12},
            "systems": [{"name": "FMIS", "owner": "MoF"}, {"name": "HRIS", "owner": "MoHA"}],
            "note": "same",
        }
    }
    second = {
        "data": {
            "meta": {"instanceID": "uuid:1", "deprecatedID": "uuid:0"},
            "org": {"name": "MoF", "staff": 14},
            "systems": [{"name": "FMIS", "owner": "MoF"}],
            "note": "same",
        }
    }
    assert differing_answers([first, second]) == [
        "org/staff",
        "systems[2]/name",
        "systems[2]/owner",
    ]
    assert differing_answers([first, first]) == []


def test_a_difference_is_named_by_its_question_label_in_the_ui_language() -> None:
    from app.engine.model import Text
    from app.fieldwork.merging import Difference

    owner = Difference("systems[2]/owner", Text({"en": "Owner", "lo": "ເຈົ້າຂອງ"}))
    assert owner.text("lo") == "ເຈົ້າຂອງ (2)"
    assert owner.text("en") == "Owner (2)"
    assert Difference("org/staff", Text()).text("lo") == "org/staff"  # no label: the path
