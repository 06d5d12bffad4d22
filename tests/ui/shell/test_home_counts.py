"""The home screen's "not yet exported" count goes by forms, as the cases list does:
a form edited after it was finalised has two finalised versions, and is one case."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.fieldwork.filling import Filling
from app.fieldwork.library import FormLibrary
from app.store import LocalStore
from app.store.tables_bundle import ItemKind, OutgoingBundle, OutgoingItem, OutgoingStatus
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from tests.ui.shell.helpers import log_in, make_submission, make_window


@pytest.fixture
def edited(study_db: LocalStore) -> LocalStore:
    """keo: a survey finalised, then edited once with a reason and finalised again."""
    store = study_db
    filling = make_submission(
        store, "dg_survey", answers={"consent": "yes", "province": "vt"}, finalise=True
    )
    again = Filling.edit(
        store=store,
        library=FormLibrary(store),
        instance_id=filling.instance_id,
        reason="the province was wrong",
    )
    again.session.set_value("province", "lp")
    again.finalise()
    assert len(store.history(instance_id=filling.instance_id)) == 2
    store.close()
    return store


@pytest.fixture
def home(qtbot: QtBot, ctx: AppContext, edited: LocalStore) -> AppWindow:
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    return window


def record_export(store: LocalStore, bundle: str, rev_ids: list[str]) -> None:
    """What writing a field bundle records: the versions it carried."""
    with store.session(write=True) as session:
        session.add(
            OutgoingBundle(
                id=bundle,
                target="coordinator",
                sequence=int(bundle[1:]),
                covers_since=0,
                kind="field",
                status=OutgoingStatus.WRITTEN.value,
            )
        )
        session.flush()
        for rev_id in rev_ids:
            session.add(
                OutgoingItem(bundle_id=bundle, kind=ItemKind.REVISION.value, item_key=rev_id)
            )


def test_an_edited_form_counts_once(qtbot: QtBot, home: AppWindow) -> None:
    screen = home.home
    assert screen.data is not None and len(screen.data.cases) == 1
    assert screen.count_label.text() == "1 case(s)"
    assert screen.unexported_label.text() == "Not yet exported: 1 finalised form(s)."
    assert "counts once" in screen.unexported_label.toolTip()
    translator.set_language("lo")
    assert "1" in screen.unexported_label.text()
    assert "ສະບັບ" not in screen.unexported_label.text()  # Lao for "version"


def test_a_form_is_exported_once_its_latest_version_is(qtbot: QtBot, home: AppWindow) -> None:
    screen = home.home
    store = home.ctx.store
    assert store is not None
    first, second = store.history(instance_id=screen.data.cases[0].instance_id)
    record_export(store, "b1", [first.rev_id])  # the first export, before the edit
    screen.refresh()
    qtbot.waitUntil(lambda: screen.task is None)
    assert screen.unexported_label.text() == "Not yet exported: 1 finalised form(s)."
    record_export(store, "b2", [second.rev_id])
    screen.refresh()
    qtbot.waitUntil(
        lambda: screen.unexported_label.text() == "Everything finalised has been exported."
    )
