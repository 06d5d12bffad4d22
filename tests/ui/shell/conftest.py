"""Fixtures for the app shell: a context on the study's forms, a fast KDF, a logged-in window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core import paths
from app.core.i18n import translator
from app.fieldwork.library import register_study_forms
from app.store import LocalStore, Role, create_store
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.fonts import install_fonts, ui_font
from app.ui.workers import running_tasks
from tests.ui.shell.helpers import FAST_KDF, PASSWORD, USER, log_in, make_context, make_window


@pytest.fixture(autouse=True)
def english_and_idle(qtbot: QtBot) -> Iterator[None]:
    """Every test starts in English and leaves no background work behind."""
    translator.set_language("en")
    yield
    for task in running_tasks():
        task.wait(10)
    qtbot.wait(20)  # let the finished tasks' signals arrive
    translator.set_language("en")


@pytest.fixture
def lao_font(qtbot: QtBot) -> Iterator[None]:
    """The app's own font (with Lao) at 10 points, as the app sets it."""
    before = QApplication.font()
    QApplication.setFont(ui_font(install_fonts(), 10.0))
    yield
    QApplication.setFont(before)


@pytest.fixture
def ctx() -> AppContext:
    return make_context()


@pytest.fixture
def study_db() -> Iterator[LocalStore]:
    """A database at the default place with the study's forms, a coordinator `keo`
    and an enumerator `noy`."""
    store = create_store(username=USER, password=PASSWORD, kdf=FAST_KDF, display_name="ແກ້ວ")
    register_study_forms(store, paths.default_forms_dir())
    store.add_user(
        username="noy", password=PASSWORD, role=Role.ENUMERATOR, display_name="Noy Phommasack"
    )
    yield store
    store.close()


@pytest.fixture
def logged_in(qtbot: QtBot, ctx: AppContext, study_db: LocalStore) -> AppWindow:
    """The app window after `keo` logged in through the login screen."""
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    return window
