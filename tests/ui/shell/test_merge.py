"""A coordinator works through the queues merging left: keeps one version of a conflicting
interview, judges likely duplicates, sees which laptop's bundle never arrived."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.merge.dialog import MergeDialog
from tests.bundle.bundletools import fill_merge_queues
from tests.ui.shell.helpers import fresh_store, log_in, make_window, wait_for_dialog


def merge_dialog(qtbot: QtBot, window: AppWindow) -> MergeDialog:
    window.merge_action.trigger()
    dialog = wait_for_dialog(qtbot, MergeDialog)
    qtbot.waitUntil(lambda: not dialog.overview.empty, timeout=10_000)
    return dialog


def test_coordinator_resolves_a_conflict_and_judges_duplicates(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    queues = fill_merge_queues(study_db, tmp_path)
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    assert window.merge_action.isEnabled()
    dialog = merge_dialog(qtbot, window)

    assert [dialog.tabs.tabText(i) for i in range(3)] == [
        "Conflicts (1)",
        "Likely duplicates (1)",
        "Missing bundles (1)",
    ]
    assert dialog.gap_list.item(0).text() == (
        "Laptop laptop-a: bundle 2 not received (its contents arrived in a later bundle)"
    )
    # What to choose between: the two versions, and the one answer that differs.
    assert dialog.versions.rowCount() == 2
    laptops = {dialog.versions.item(r, 2).text() for r in range(2)}
    assert "laptop-a" in laptops
    assert dialog.differing.text() == "Answers that differ: Statement"  # the question's label
    translator.set_language("lo")
    assert dialog.differing.text().startswith("ຄຳຕອບທີ່ແຕກຕ່າງກັນ: ")
    assert any("\u0e80" <= c <= "\u0eff" for c in dialog.differing.text().split(": ")[1])
    translator.set_language("en")

    # No reason: refused, nothing recorded.
    row = next(r for r in range(2) if dialog.versions.item(r, 2).text() == "laptop-a")
    dialog.versions.selectRow(row)
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "Please give the reason for your decision."
    qtbot.keyClicks(dialog.reason, "the interviewer's wording is the respondent's")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.tabs.tabText(0) == "Conflicts (0)", timeout=10_000)
    assert dialog.conflict_list.item(0).text() == "No conflicts."
    assert not dialog.keep_button.isEnabled()

    # Duplicates: "the same interview" keeps the group listed, marked; "different" clears it.
    dialog.tabs.setCurrentWidget(dialog.duplicates_page)
    assert {dialog.members.item(r, 1).text() for r in range(2)} == {"laptop-b", "laptop-c"}
    group = dialog.overview.duplicates[0]
    named = group.institution.get_text("en")
    assert named and named != group.group.institution  # the registry's name, not the code
    assert dialog.duplicate_list.item(0).text().startswith(f"{group.form}: {named} / ")
    qtbot.mouseClick(dialog.same_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.duplicate_state.text() != "", timeout=10_000)
    assert dialog.duplicate_state.text() == "Confirmed: the same interview."
    assert dialog.tabs.tabText(1) == "Likely duplicates (1)"
    assert not dialog.same_button.isEnabled()

    translator.set_language("lo")
    assert dialog.tabs.tabText(0) == "ຂໍ້ມູນຂັດກັນ (0)"
    assert dialog.windowTitle() == "ຂໍ້ມູນຂັດກັນ ແລະ ຂໍ້ມູນຊ້ຳກັນ"
    translator.set_language("en")
    qtbot.keyClicks(dialog.comment, "two visits, two respondents")
    qtbot.mouseClick(dialog.different_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.tabs.tabText(1) == "Likely duplicates (0)", timeout=10_000)
    assert dialog.duplicate_list.item(0).text() == "No likely duplicates."
    dialog.reject()

    # The decision is a revision on the kept version, stored for good.
    store = fresh_store()
    heads = store.heads(instance_id=queues.conflict_instance)
    assert len(heads) == 1
    assert store.history(instance_id=queues.conflict_instance)[-1].parent_rev == (
        queues.laptop_version
    )
    assert "the interviewer's wording" in (heads[0].reason or "")
    store.close()
    queues.close()

    # An enumerator does not see the coordinator's queues.
    window.log_out()
    qtbot.waitUntil(lambda: window.screen_name == "login")
    log_in(qtbot, window, "noy")
    assert not window.merge_action.isEnabled()


def test_a_conflict_is_named_by_whom_the_interview_is_about() -> None:
    """The list named conflicts "SWOT statement · 5affb229": nothing a coordinator knows."""
    from app.engine.model import Text
    from app.fieldwork.merging import ConflictView
    from app.ui.merge.dialog import conflict_line

    conflict = ConflictView(
        instance_id="uuid:5affb229-0000",
        form="dg_survey",
        versions=(),
        differing=(),
        more_differing=0,
        form_name=Text({"en": "Questionnaire survey", "lo": "ແບບສອບຖາມ"}),
        institution_code="bol",
        institution=Text({"en": "Bank of the Lao PDR", "lo": "ທະນາຄານແຫ່ງ ສປປ ລາວ"}),
        respondent="ທ່ານ ບຸນມີ",
    )
    assert conflict_line(conflict, "en") == (
        "Questionnaire survey: Bank of the Lao PDR / ທ່ານ ບຸນມີ · 5affb229"
    )
    assert conflict_line(conflict, "lo").startswith("ແບບສອບຖາມ: ທະນາຄານແຫ່ງ ສປປ ລາວ / ")
    unknown = ConflictView("uuid:5affb229", "swot", (), (), 0, Text({"en": "SWOT statement"}))
    assert conflict_line(unknown, "en") == "SWOT statement · 5affb229"
