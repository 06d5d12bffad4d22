"""The home screen lists cases from the store, filters and searches them (Lao too)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore, open_store
from app.store.tables_bundle import ItemKind, OutgoingBundle, OutgoingItem, OutgoingStatus
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.home.models import ROW_ROLE, CaseTableModel
from app.ui.home.screen import COLUMN_FLOOR, HomeScreen
from tests.ui.shell.helpers import (
    PASSWORD,
    close_window,
    log_in,
    make_submission,
    make_window,
    start_new_form,
    type_text,
)


@pytest.fixture
def seeded(study_db: LocalStore) -> LocalStore:
    """keo: a finalised survey (Vientiane Capital, Bank of the Lao PDR) and a draft
    (Luang Prabang); noy: an interview draft (Xayabury); a case assigned to noy."""
    keo = study_db
    make_submission(
        keo,
        "dg_survey",
        answers={
            "consent": "yes",
            "province": "vt",
            "cluster": "core_regulatory",
            "institution": "bol",
        },
        finalise=True,
    )
    make_submission(
        keo, "dg_survey", answers={"consent": "yes", "province": "lp", "cluster": "sectoral"}
    )
    noy_id = next(u.id for u in keo.list_users() if u.username == "noy")
    keo.create_assignment(
        form_id="dg_interview",
        institution="mtc",
        cluster="core_regulatory",
        province="ph",
        respondent="ທ່ານ ບຸນມີ ສີສຸວັນ",
        assigned_to=noy_id,
    )
    keo.close()
    noy = open_store(username="noy", password=PASSWORD)
    try:
        make_submission(noy, "dg_interview", answers={"consent": "yes", "province": "xa"})
    finally:
        noy.close()
    return keo


def visible_rows(home: HomeScreen) -> list:
    proxy = home.case_filter
    return [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]


def column(home: HomeScreen, name: str) -> list[str]:
    proxy = home.case_filter
    col = [key for key, _ in home.case_model.COLUMNS].index(name)
    return sorted(proxy.index(r, col).data() for r in range(proxy.rowCount()))


def choose(home: HomeScreen, key: str, code: str | None) -> None:
    box = home.filter_boxes[key]
    box.setCurrentIndex(box.findData(code) if code else 0)


@pytest.fixture
def home(qtbot: QtBot, ctx: AppContext, seeded: LocalStore) -> AppWindow:
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    return window


def test_home_lists_cases_drafts_recent_and_the_unexported_count(home: AppWindow) -> None:
    screen = home.home
    assert len(visible_rows(screen)) == 4
    assert column(screen, "province") == [
        "Luang Prabang",
        "Phongsaly",
        "Vientiane Capital",
        "Xayabury",
    ]
    assert column(screen, "status") == ["Draft", "Draft", "Finalised", "Not started"]
    assert "Bank of the Lao PDR" in column(screen, "institution")
    assert "ທ່ານ ບຸນມີ ສີສຸວັນ" in column(screen, "respondent")
    assert column(screen, "interviewer").count("Noy Phommasack") == 2
    # Drafts to resume are the logged-in user's own; noy's is not among them.
    assert screen.drafts_model.rowCount() == 1
    assert "Luang Prabang" in screen.drafts_model.index(0).data()
    assert screen.recent_model.rowCount() == 1
    assert screen.unexported_label.text() == "Not yet exported: 1 finalised form(s)."
    assert screen.count_label.text() == "4 case(s)"


def test_filters_by_status_institution_cluster_province_interviewer(home: AppWindow) -> None:
    screen = home.home
    choose(screen, "status", "finalised")
    assert column(screen, "institution") == ["Bank of the Lao PDR"]
    choose(screen, "status", None)
    choose(screen, "cluster", "core_regulatory")
    assert column(screen, "province") == ["Phongsaly", "Vientiane Capital"]
    choose(screen, "institution", "mtc")
    assert column(screen, "respondent") == ["ທ່ານ ບຸນມີ ສີສຸວັນ"]
    choose(screen, "institution", None)
    choose(screen, "cluster", None)
    choose(screen, "province", "lp")
    assert column(screen, "status") == ["Draft"]
    choose(screen, "province", None)
    noy = screen.filter_boxes["interviewer"].findText("Noy Phommasack")
    screen.filter_boxes["interviewer"].setCurrentIndex(noy)
    assert column(screen, "province") == ["Phongsaly", "Xayabury"]
    assert screen.count_label.text() == "2 of 4 case(s)"


def test_search_finds_lao_text_from_the_english_ui(qtbot: QtBot, home: AppWindow) -> None:
    screen = home.home
    type_text(qtbot, screen.search, "ວຽງຈັນ")  # "Vientiane" in Lao
    assert column(screen, "province") == ["Vientiane Capital"]
    screen.search.clear()
    type_text(qtbot, screen.search, "ບຸນມີ")
    assert column(screen, "province") == ["Phongsaly"]
    screen.search.clear()
    qtbot.keyClicks(screen.search, "bank lao")  # every word, any order, any case
    assert column(screen, "province") == ["Vientiane Capital"]
    screen.search.clear()
    assert len(visible_rows(screen)) == 4


def test_switching_language_rerenders_the_home_screen_and_keeps_filters(home: AppWindow) -> None:
    screen = home.home
    choose(screen, "province", "vt")
    screen.search.setText("bol")
    translator.set_language("lo")
    assert screen.study_title.text() == "ການສຶກສາສະພາບພື້ນຖານການຄຸ້ມຄອງຂໍ້ມູນແຫ່ງຊາດ ຂອງ ສປປ ລາວ"
    assert screen.case_model.headerData(4, Qt.Orientation.Horizontal) == "ແຂວງ"
    assert column(screen, "province") == ["ນະຄອນຫຼວງວຽງຈັນ"]
    assert column(screen, "institution") == ["ທະນາຄານແຫ່ງ ສປປ ລາວ"]
    assert screen.filter_boxes["province"].currentData() == "vt"
    assert screen.search.text() == "bol"
    assert screen.forms_list.topLevelItem(0).text(0) == "ແບບສອບຖາມ"
    assert screen.forms_list.headerItem().text(1) == "ຄຳຖາມ"
    translator.set_language("en")
    assert column(screen, "province") == ["Vientiane Capital"]


def test_activating_a_draft_opens_it(qtbot: QtBot, home: AppWindow) -> None:
    screen = home.home
    screen.drafts_view.setCurrentIndex(screen.drafts_model.index(0))
    screen.drafts_view.setFocus()
    qtbot.keyClick(screen.drafts_view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: home.screen_name == "filling", timeout=10_000)
    assert home.filling_screen is not None
    assert home.filling_screen.filling.session.value("province") == "lp"


def test_the_unexported_count_drops_once_a_bundle_carries_the_revision(
    qtbot: QtBot, home: AppWindow
) -> None:
    screen = home.home
    assert screen.unexported_label.text() == "Not yet exported: 1 finalised form(s)."
    store = home.ctx.store
    finalised = next(c for c in screen.data.cases if c.status == "finalised")
    head = store.history(instance_id=finalised.instance_id)[-1]
    with store.session(write=True) as session:  # what writing a field bundle records
        session.add(
            OutgoingBundle(
                id="b1",
                target="coordinator",
                sequence=1,
                covers_since=0,
                kind="field",
                status=OutgoingStatus.WRITTEN.value,
            )
        )
        session.flush()
        session.add(
            OutgoingItem(bundle_id="b1", kind=ItemKind.REVISION.value, item_key=head.rev_id)
        )
    screen.refresh()
    qtbot.waitUntil(lambda: screen.task is None and "exported" in screen.unexported_label.text())
    qtbot.waitUntil(
        lambda: screen.unexported_label.text() == "Everything finalised has been exported."
    )


def test_a_load_still_running_at_logout_never_shows_up_for_the_next_user(
    qtbot: QtBot, ctx: AppContext, seeded: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import app.ui.home.screen as home_screen

    real = home_screen.load_home

    def slow(**kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.4)
        return real(**kwargs)

    monkeypatch.setattr(home_screen, "load_home", slow)
    shown: list[BaseException] = []
    monkeypatch.setattr("app.ui.messages.show_error", lambda parent, error: shown.append(error))
    window = make_window(qtbot, ctx)
    login = window.login
    login.username.setText("keo")
    login.password.setText(PASSWORD)
    login.submit()
    qtbot.waitUntil(lambda: window.ctx.store is not None, timeout=10_000)
    window.log_out()  # keo's home is still loading
    qtbot.waitUntil(lambda: window.screen_name == "login")
    assert window.home.user_label.text() == ""
    log_in(qtbot, window, "noy")
    assert window.home.user_label.text() == "Noy Phommasack · Enumerator"
    assert window.home.drafts_model.rowCount() == 1  # noy's interview, not keo's survey
    assert window.home.drafts_model.rows[0].form_id == "dg_interview"
    qtbot.wait(500)  # keo's load has ended by now, against a closed store
    assert shown == [] and window.home.drafts_model.rows[0].form_id == "dg_interview"


def test_the_cases_table_needs_no_sideways_scrolling_at_150_percent_in_lao(
    qtbot: QtBot, ctx: AppContext, seeded: LocalStore, lao_font: None
) -> None:
    """At 1366×768 and 150 % zoom the last columns (interviewer, last saved) were out of
    sight behind a sideways scroll bar; the widest columns give way instead."""
    translator.set_language("lo")
    window = make_window(qtbot, ctx)
    window.resize(910, 512)
    log_in(qtbot, window)
    table = window.home.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 4)
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: not table.horizontalScrollBar().isVisible())
    width = table.viewport().width()
    assert width < 600  # the narrow case the test is about
    for section in range(header.count()):
        assert not header.isSectionHidden(section)
        assert header.sectionSize(section) >= COLUMN_FLOOR
        right = header.sectionViewportPosition(section) + header.sectionSize(section)
        assert right <= width, (section, right, width)
    column_of = [key for key, _ in CaseTableModel.COLUMNS].index
    for whole in ("status", "updated"):  # read at a glance: never cut
        assert header.sectionSize(column_of(whole)) >= table.sizeHintForColumn(column_of(whole))
    # A cut text is shown whole in its tooltip.
    respondent = table.model().index(0, column_of("form"))
    assert respondent.data(Qt.ItemDataRole.ToolTipRole) == respondent.data()


def test_a_hidden_column_stays_hidden_at_the_next_login(
    qtbot: QtBot, ctx: AppContext, seeded: LocalStore
) -> None:
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    table = window.home.table
    header = table.horizontalHeader()
    province = [key for key, _ in CaseTableModel.COLUMNS].index("province")
    header.customContextMenuRequested.emit(header.rect().center())
    menu = header.findChild(QMenu)
    assert menu is not None
    titles = [action.text() for action in menu.actions() if action.isCheckable()]
    assert titles == [header.model().headerData(s, Qt.Orientation.Horizontal) for s in range(8)]
    next(a for a in menu.actions() if a.text() == "Province").trigger()
    menu.close()
    assert header.isSectionHidden(province)
    assert ctx.settings.settings.hidden_columns == {"cases": ["province"]}
    shown = [s for s in range(header.count()) if not header.isSectionHidden(s)]
    assert sum(header.sectionSize(s) for s in shown) == table.viewport().width()
    close_window(qtbot, window)

    again = make_window(qtbot, ctx)
    log_in(qtbot, again)
    header = again.home.table.horizontalHeader()
    assert header.isSectionHidden(province)
    assert not any(header.isSectionHidden(s) for s in range(header.count()) if s != province)


def test_tab_leaves_the_cases_table_for_its_buttons(qtbot: QtBot, home: AppWindow) -> None:
    """Tab moved from cell to cell: Open, Edit and History were out of the keyboard's reach."""
    table = home.home.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 4)
    home.activateWindow()
    table.setFocus()
    table.selectRow(0)
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert not table.hasFocus()
    assert home.focusWidget() is home.home.open_button


def test_a_form_opened_and_closed_without_an_answer_leaves_no_draft(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    """Opening a form to look at it left a draft (its default date counted as an answer)
    that could neither be told apart from the others nor removed."""
    home = logged_in.home
    qtbot.waitUntil(lambda: home.data is not None)
    start_new_form(qtbot, logged_in, "dg_survey")
    logged_in.filling_screen.close_form()
    qtbot.waitUntil(lambda: logged_in.screen_name == "home", timeout=5000)
    qtbot.waitUntil(lambda: home.task is None and home.data is not None)
    assert home.drafts_model.rowCount() == 0
    assert home.case_model.rowCount() == 0

    view = start_new_form(qtbot, logged_in, "dg_survey")
    view.answer("consent", "yes")
    logged_in.filling_screen.close_form()
    qtbot.waitUntil(lambda: logged_in.screen_name == "home", timeout=5000)
    qtbot.waitUntil(lambda: home.drafts_model.rowCount() == 1)
