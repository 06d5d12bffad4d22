"""Screenshots of the app's main screens in Lao and English: `python docs/screenshots.py`.

Runs the real app under Xvfb (`xvfb-run -a -s "-screen 0 1366x768x24"`) in a
throw-away SAMLUAT_HOME, drives it like a user (first run, login, home,
a questionnaire page with the perception grid, the interview workspace,
settings, the finalise check, the coordinator's queues and keys, a review,
refused files and the file chooser)
and saves PNGs of the whole screen into docs/screenshots/. It runs once per
language at 100 % and once more in Lao at 150 % zoom (QT_SCALE_FACTOR=1.5).
Look at every picture after a change.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SCREEN = "1366x768x24"
PASSWORD = "correct horse battery"
RUNS = (("en", "1"), ("lo", "1"), ("lo", "1.5"))
DialogT = TypeVar("DialogT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--scale", default="1")
    args = parser.parse_args()
    if args.worker:
        return shoot(args.lang, args.scale)
    OUT.mkdir(parents=True, exist_ok=True)
    failures = 0
    for lang, scale in RUNS:
        home = tempfile.mkdtemp(prefix="samluat-shots-")
        env = {
            **os.environ,
            "SAMLUAT_HOME": home,
            "QT_QPA_PLATFORM": "xcb",
            "QT_SCALE_FACTOR": scale,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, __file__, "--worker", "--lang", lang, "--scale", scale]
        if not os.environ.get("DISPLAY"):
            command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", *command]
        print(f"screenshots: {lang} at {float(scale):.0%}", flush=True)
        result = subprocess.run(command, env=env, cwd=ROOT, check=False)
        failures += result.returncode != 0
        shutil.rmtree(home, ignore_errors=True)
    return 1 if failures else 0


# -- the worker: one language, one zoom ------------------------------------------------------


def shoot(lang: str, scale: str) -> int:
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from app.core import paths
    from app.core.i18n import translator
    from app.engine.synthetic import fill_session
    from app.fieldwork.filling import Filling
    from app.fieldwork.library import FormLibrary
    from app.store import Role
    from app.store.crypto import KdfParams
    from app.ui.context import AppContext
    from app.ui.fonts import install_fonts, ui_font
    from app.ui.main import build_window
    from app.ui.qt_texts import install_qt_texts
    from app.ui.settings.store import SettingsStore

    suffix = lang if scale in ("1", "1.0") else f"{lang}_{round(float(scale) * 100)}"
    app = QApplication([sys.argv[0]])
    app.setApplicationName("Samluat")
    install_qt_texts(app)  # as app.ui.main does
    lao = install_fonts()
    settings = SettingsStore()
    settings.update(ui_language=lang, form_language=lang)
    translator.set_language(lang)
    app.setFont(ui_font(lao, settings.settings.font_size))
    window = build_window(forms_dir=paths.default_forms_dir(), lang=lang, lao_family=lao)
    window.ctx.kdf = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
    assert isinstance(window.ctx, AppContext)
    # Without a window manager nothing maximises: fill the screen as a maximised
    # window would on a 1366×768 laptop.
    window.setGeometry(window.screen().availableGeometry())
    window.show()

    def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError(getattr(condition, "__name__", "condition"))
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def snap(name: str) -> None:
        settle()
        screen = QGuiApplication.primaryScreen()
        path = OUT / f"{name}_{suffix}.png"
        screen.grabWindow(0).save(str(path))
        print(f"  {path.relative_to(ROOT)}", flush=True)

    def centre(dialog: QWidget, *, upper: bool = False) -> None:
        """In the middle of the screen (or its upper third), as a window manager places it."""
        room = dialog.screen().availableGeometry()
        down = (room.height() - dialog.height()) // (3 if upper else 2)
        dialog.move((room.width() - dialog.width()) // 2, down)

    def top_dialog() -> QDialog | None:
        for widget in app.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                return widget
        return None

    def dialog_of(kind: type[DialogT]) -> DialogT:
        """The dialog of `kind`, once it is on screen."""
        wait(lambda: isinstance(top_dialog(), kind))
        found = top_dialog()
        assert isinstance(found, kind)
        return found

    # First run: create the database and the coordinator account.
    wait(lambda: window.screen_name == "first_run")
    first = window.first_run
    first.display_name.setText("ສົມພອນ ແກ້ວມະນີ" if lang == "lo" else "Somphone Keomany")
    first.username.setText("somphone")
    first.password.setText(PASSWORD)
    first.repeat.setText(PASSWORD)
    snap("01_first_run")
    first.submit()
    wait(lambda: window.home.data is not None)

    # Some fieldwork to show: finalised and draft questionnaires, interviews, cases.
    store = window.ctx.store
    assert store is not None
    store.add_user(
        username="noy", password=PASSWORD, role=Role.ENUMERATOR, display_name="ນ້ອຍ ພົມມະສັກ"
    )
    library = FormLibrary(store)
    forms = {f.formdef.form_id: f for f in library.latest()}
    places = (
        ("vt", "core_regulatory", "mtc", True),
        ("vt", "cross_sectoral", "mtc_dgc", False),
        ("lp", "sectoral", "moh", True),
        ("sv", "civil_society", "lwu", False),
        ("vt", "private_sector", "bcel", True),
    )
    for n, (province, cluster, institution, final) in enumerate(places):
        filling = Filling.start(store=store, form=forms["dg_survey"], language=lang)
        fill_session(filling.session, random.Random(n))
        for ref, value in (("province", province), ("cluster", cluster)):
            filling.session.set_value(ref, value)
        filling.session.set_value("institution", institution)  # after its cluster
        if final and not filling.problems():
            filling.finalise()
        else:
            filling.save()
    interview = Filling.start(store=store, form=forms["dg_interview"], language=lang)
    interview.session.set_value("consent", "yes")
    interview.session.set_value("province", "vt")
    interview.save()
    store.create_assignment(
        form_id="dg_interview",
        institution="bol",
        cluster="core_regulatory",
        province="vt",
        respondent="ທ່ານ ບຸນມີ ສີສຸວັນ",
    )
    # Log out and in again: the login screen, then home with those cases.
    window.log_out()
    wait(lambda: window.screen_name == "login")
    window.login.password.setText(PASSWORD)
    snap("02_login")
    window.login.submit()
    wait(lambda: window.screen_name == "home" and window.home.data is not None)
    window.home.table.selectRow(0)
    snap("03_home")

    # A questionnaire page with the perception grid.
    version = forms["dg_survey"].formdef.version
    window.start_form("dg_survey", version)
    wait(lambda: window.filling_screen is not None)
    screen = window.filling_screen
    assert screen is not None
    view = screen.view
    session = view.session
    session.set_value("consent", "yes")
    grid_page = None
    for index in range(len(view.pages)):
        view.show_page(index, focus=None)
        if view.grids:
            grid_page = index
            break
    if grid_page is not None:
        rows = view.grids[0].rows
        for offset, row in enumerate(rows[:3]):
            view.answer(row.node, view.grids[0].names[[3, 1, 4][offset]])
        view.focus_page(grid_page)
        rows[min(3, len(rows) - 1)].focus_editor()
    snap("04_questionnaire_grid")

    # The finalise check with the questions still to answer.
    view.request_finalise()
    wait(lambda: top_dialog() is not None)
    snap("06_finalise_check")
    dialog = top_dialog()
    if dialog is not None:
        dialog.reject()
    screen.close_form()
    wait(lambda: window.screen_name == "home")

    # The interview workspace.
    window.start_form("dg_interview", forms["dg_interview"].formdef.version)
    wait(lambda: window.filling_screen is not None)
    workspace = window.filling_screen
    assert workspace is not None
    settle(0.5)
    snap("05_interview")
    workspace.close_form()
    wait(lambda: window.screen_name == "home")

    # Settings.
    window.open_settings()
    wait(lambda: top_dialog() is not None)
    dialog = top_dialog()
    assert isinstance(dialog, QWidget)
    dialog.move(200, 80)
    snap("07_settings")
    dialog.reject()
    settle(0.1)

    # Before any key: creating the coordinator key, with an escrow key asked for.
    from app.ui.keys.dialog import KeysDialog

    window.open_keys()
    creating = dialog_of(KeysDialog)
    wait(lambda: creating.overview is not None)
    creating.escrow_check.setChecked(True)
    creating.passphrase.setText("a long coordinator passphrase")
    centre(creating)
    snap("16_create_coordinator_key")
    creating.reject()
    settle(0.1)

    # The coordinator's queues after merging laptops' bundles (made by real bundles).
    from app.ui.merge.dialog import MergeDialog
    from tests.bundle.bundletools import fill_merge_queues

    current = window.ctx.store
    assert current is not None
    queues = fill_merge_queues(current, Path(tempfile.mkdtemp(prefix="samluat-shots-merge-")))
    window.open_merge()
    merge = dialog_of(MergeDialog)
    wait(lambda: not merge.overview.empty)
    centre(merge)
    snap("09_merge_conflicts")
    merge.tabs.setCurrentWidget(merge.duplicates_page)
    snap("10_merge_duplicates")
    merge.reject()
    queues.close()
    settle(0.1)

    # Sync now on a coordinator's laptop: the key's passphrase, asked once per session.
    from app.ui.keys.unlock import CoordinatorKeyDialog

    key = CoordinatorKeyDialog(window)
    key.open()
    settle(0.2)
    centre(key, upper=True)
    key.passphrase.setText("not the passphrase")
    key.unlock()
    wait(lambda: key.error.isVisible())
    snap("11_unlock_coordinator_key")
    key.reject()
    settle(0.1)

    # Keys and laptops: this laptop's fingerprint, the laptops registered here.
    window.open_keys()
    keys = dialog_of(KeysDialog)
    wait(lambda: keys.overview is not None)
    centre(keys)
    snap("12_keys_and_laptops")
    keys.reject()
    settle(0.1)

    # Review: a laptop's finalised desk review returned with a comment, from its history;
    # then the cases list shows it returned (the laptop lists it under "Returned for
    # correction" once the next sync brings the comment).
    from app.ui.filling.dialogs import HistoryDialog, ReturnDialog

    window.show_history(queues.duplicate_instances[0])
    history = dialog_of(HistoryDialog)
    wait(lambda: history.story is not None)
    history.return_button.click()
    wait(lambda: any(isinstance(w, ReturnDialog) and w.isVisible() for w in app.topLevelWidgets()))
    returning = next(
        w for w in app.topLevelWidgets() if isinstance(w, ReturnDialog) and w.isVisible()
    )
    returning.reason.setText(
        "ກະລຸນາເພີ່ມເລກໜ້າຂອງເອກະສານ (ພາກ ຂ)"
        if lang == "lo"
        else "Please add the document's page numbers (section B)"
    )
    returning.reason.returnPressed.emit()
    wait(lambda: len(history.rows()) >= 2)
    centre(history, upper=True)
    snap("13_review_history")
    history.reject()
    home = window.home
    wait(lambda: home.task is None)
    status = home.filter_boxes["status"]
    status.setCurrentIndex(status.findData("returned"))
    wait(lambda: home.case_filter.rowCount() >= 1)
    home.table.selectRow(0)
    snap("14_returned_for_correction")
    status.setCurrentIndex(0)

    # Assigning cases from a spreadsheet: a sheet with rows to correct.
    from app.ui.assign.dialog import AssignDialog

    sheet = Path(tempfile.mkdtemp(prefix="samluat-shots-assign-")) / "cases.csv"
    sheet.write_text(
        "form,institution,respondent,interviewer,province\n"
        "dg_survey,mtc,Director of IT,noy,vt\n"
        "dg_interview,Bank of the Lao PDR,ທ່ານ ບຸນມີ,noy,Vientiane Capital\n"
        "dg_survey,MTCC,,noy,vt\n"
        "dg_survey,moh,,bounmy,Luang Prabang\n",
        encoding="utf-8",
    )
    window.open_assign()
    assign = dialog_of(AssignDialog)
    assign.import_file(sheet)
    wait(lambda: assign.problems.isVisible())
    centre(assign, upper=True)
    snap("15_assign_cases")
    assign.reject()
    settle(0.1)

    # Files chosen by hand and refused: each named with why, in the UI's language.
    from app.bundle import format as bundle_format

    received = Path(tempfile.mkdtemp(prefix="samluat-shots-received-"))
    photo = received / "IMG_2041.samluat"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(4000))  # a photo renamed by a chat app
    cut = received / "samluat-field-2c41fca8-to-coordinator-000003.samluat"
    cut.write_bytes(bundle_format.MAGIC + bytes(12))  # the copy stopped early
    assert window.sync.import_files([photo, cut])
    wait(lambda: "IMG_2041" in window.home.sync_status.text())
    window.home.table.clearSelection()
    snap("17_import_refused")

    # Import bundle files…: Qt's own file chooser, in the UI's language.
    from PySide6.QtCore import QTimer

    def shoot_chooser() -> None:
        chooser = app.activeModalWidget()
        if chooser is None:
            QTimer.singleShot(100, shoot_chooser)
            return
        chooser.resize(900, 520)
        centre(chooser, upper=True)
        snap("18_import_file_chooser")
        chooser.close()

    QTimer.singleShot(300, shoot_chooser)
    window.choose_bundle_files()  # returns when the chooser closes
    settle(0.1)

    # Remove delivered bundles…: the question, with each file and why it may go.
    from PySide6.QtWidgets import QMessageBox

    from app.bundle.tidy import Delivered, DeliveredFile
    from app.fieldwork.tidying import DeliveredList

    stick = Path(tempfile.mkdtemp(prefix="samluat-shots-stick-"))
    # As the coordinator sees it: the laptops' bundles it imported, its own older reply.
    delivered = []
    for kind, to, number, why, size in (
        ("field", "coordinator", 1, Delivered.IMPORTED, 48_211_904),
        ("field", "coordinator", 2, Delivered.IMPORTED, 183_552),
        ("coordinator", "2c41fca8", 1, Delivered.REPLACED, 24_310),
    ):
        source = "2c41fca8" if kind == "field" else "9b1c2d3e"
        path = stick / f"samluat-{kind}-{source}-to-{to}-{number:06d}.samluat"
        path.write_bytes(b"")
        delivered.append(DeliveredFile(path, size, why, "laptop-07", number, ""))
    window.confirm_removing_delivered(DeliveredList(stick, delivered))
    wait(lambda: isinstance(app.activeModalWidget(), QMessageBox))
    question = app.activeModalWidget()
    assert isinstance(question, QMessageBox)
    for button in question.buttons():  # "Show Details…": the list of files
        if question.buttonRole(button) == QMessageBox.ButtonRole.ActionRole:
            button.click()
    settle(0.2)
    centre(question, upper=True)
    snap("19_remove_delivered")
    question.reject()
    settle(0.1)

    # Refused bundle files…: what import refused (above), when and why.
    from app.ui.refused import RefusedFilesDialog

    window.show_refused_files()
    refused = dialog_of(RefusedFilesDialog)
    centre(refused, upper=True)
    snap("20_refused_files")
    refused.reject()
    settle(0.1)

    # A sync pass as the status bar shows it: the words a pass reports, held on screen.
    from app.core.i18n import _
    from app.ui.workers import Job, run_task

    release = threading.Event()

    def receiving(job: Job) -> None:
        name = "samluat-coordinator-3f2a91c0-to-9b1c2d3e-000004.samluat"
        job.progress(0.4, _("Receiving {file}…").format(file=name))
        release.wait(20)

    window.busy.track(run_task(receiving, name="sync-shot"), _("Syncing…"))
    settle(0.6)
    snap("08_sync_progress")
    release.set()
    wait(lambda: not window.busy.busy)
    window.close()
    wait(lambda: not window.isVisible())
    del Qt
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
