"""The coordinator's queues after merging bundles: conflicts, likely duplicates, missing bundles.

A conflict shows its competing versions (who, which laptop, when) and the
questions whose answers differ; the coordinator keeps one, with a reason,
and the decision becomes a revision that travels back to the laptops. A
group of likely duplicates is judged the same interview or different ones
(nothing is merged or deleted either way). Missing bundles are listed per
laptop, so that someone can go and fetch them. Loading and every decision
run on a worker (`app.fieldwork.merging`).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.bundle.merge import Gap
from app.core.i18n import N_, _, translator
from app.fieldwork.merging import (
    ConflictView,
    DuplicateView,
    MergeOverview,
    judge_duplicates,
    keep_version,
    merge_overview,
)
from app.store import LocalStore, Role
from app.study.config import StudyConfig
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import add_dialog_footer, size_for_screen, wrapping_label
from app.ui.workers import Job, Task, run_task

log = logging.getLogger(__name__)

VERSION_COLUMNS = (N_("Version"), N_("By"), N_("Laptop"), N_("Finalised"), N_("Reason"))
MEMBER_COLUMNS = (N_("Interview"), N_("Laptop"))


def may_merge(store: LocalStore) -> bool:
    return store.user.role is Role.COORDINATOR


def gap_text(gap: Gap) -> str:
    """One missing range of a laptop's bundles, for people."""
    single = gap.first == gap.last
    if gap.covered:
        text = (
            _("Laptop {name}: bundle {first} not received (its contents arrived in a later bundle)")
            if single
            else _(
                "Laptop {name}: bundles {first}–{last} not received (their contents arrived "
                "in a later bundle)"
            )
        )
    else:
        text = (
            _("Laptop {name}: bundle {first} is missing")
            if single
            else _("Laptop {name}: bundles {first}–{last} are missing")
        )
    return text.format(name=gap.device_name, first=gap.first, last=gap.last)


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _short(instance_id: str) -> str:
    return instance_id.removeprefix("uuid:")[:8]


def conflict_line(conflict: ConflictView, language: str) -> str:
    """ "Form: institution / respondent · id": the id alone told a coordinator nothing."""
    about = conflict.about_text(language)
    form = conflict.form_text(language)
    return (
        f"{form}: {about} · {_short(conflict.instance_id)}"
        if about
        else (f"{form} · {_short(conflict.instance_id)}")
    )


class MergeDialog(QDialog):
    sig_decided = Signal()  # a conflict resolved or a duplicate group judged

    def __init__(
        self, store: LocalStore, study: StudyConfig | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.study = study
        self.overview = MergeOverview((), (), ())
        self.task: Task | None = None
        size_for_screen(self, 900, 620)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_conflicts()
        self._build_duplicates()
        self._build_gaps()
        self.error, self.busy, self.buttons = add_dialog_footer(self, layout)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.reload()

    # -- building ---------------------------------------------------------------------------

    def _build_conflicts(self) -> None:
        page = QWidget()
        row = QHBoxLayout(page)
        self.conflict_list = QListWidget()
        self.conflict_list.currentRowChanged.connect(self._show_conflict)
        row.addWidget(self.conflict_list, 1)
        side = QVBoxLayout()
        self.conflict_help = wrapping_label()
        self.differing = wrapping_label()
        self.differing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.versions = _table(len(VERSION_COLUMNS))
        self.reason_label = QLabel()
        self.reason = QLineEdit()
        self.reason_label.setBuddy(self.reason)
        self.keep_button = QPushButton()
        self.keep_button.clicked.connect(self.keep_selected)
        self.reason.returnPressed.connect(self.keep_selected)
        for widget in (self.conflict_help, self.differing, self.versions, self.reason_label):
            side.addWidget(widget)
        side.addWidget(self.reason)
        side.addWidget(self.keep_button)
        row.addLayout(side, 2)
        self.conflicts_page = page
        self.tabs.addTab(page, "")

    def _build_duplicates(self) -> None:
        page = QWidget()
        row = QHBoxLayout(page)
        self.duplicate_list = QListWidget()
        self.duplicate_list.currentRowChanged.connect(self._show_duplicate)
        row.addWidget(self.duplicate_list, 1)
        side = QVBoxLayout()
        self.duplicate_help = wrapping_label()
        self.duplicate_state = wrapping_label()
        self.members = _table(len(MEMBER_COLUMNS))
        self.comment_label = QLabel()
        self.comment = QLineEdit()
        self.comment_label.setBuddy(self.comment)
        buttons = QHBoxLayout()
        self.same_button = QPushButton()
        self.same_button.clicked.connect(lambda: self.judge(same=True))
        self.different_button = QPushButton()
        self.different_button.clicked.connect(lambda: self.judge(same=False))
        buttons.addWidget(self.same_button)
        buttons.addWidget(self.different_button)
        for widget in (self.duplicate_help, self.duplicate_state, self.members, self.comment_label):
            side.addWidget(widget)
        side.addWidget(self.comment)
        side.addLayout(buttons)
        row.addLayout(side, 2)
        self.duplicates_page = page
        self.tabs.addTab(page, "")

    def _build_gaps(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        self.gaps_help = wrapping_label()
        self.gap_list = QListWidget()
        column.addWidget(self.gaps_help)
        column.addWidget(self.gap_list, 1)
        self.gaps_page = page
        self.tabs.addTab(page, "")

    # -- texts ------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Conflicts and duplicates"))
        self.conflict_help.setText(
            _(
                "These interviews were changed on two laptops (or here and on a laptop) and "
                "each change was finalised. Choose the version to keep and say why; the other "
                "versions stay in the interview's history."
            )
        )
        self.reason_label.setText(_("Reason for your decision"))
        self.keep_button.setText(_("Keep the selected version"))
        self.versions.setHorizontalHeaderLabels([_(c) for c in VERSION_COLUMNS])
        self.duplicate_help.setText(
            _(
                "These interviews have the same form, institution and respondent but come from "
                "different laptops. Say whether they are the same interview; nothing is merged "
                "or deleted."
            )
        )
        self.comment_label.setText(_("Comment (optional)"))
        self.same_button.setText(_("The same interview"))
        self.different_button.setText(_("Different interviews"))
        self.members.setHorizontalHeaderLabels([_(c) for c in MEMBER_COLUMNS])
        self.gaps_help.setText(
            _(
                "Bundles that laptops wrote but that were not imported here. Ask for them again "
                "(they may still be on a USB stick or in the sync folder)."
            )
        )
        translate_buttons(self.buttons)
        self._fill()

    def _fill(self) -> None:
        overview = self.overview
        self.tabs.setTabText(0, _("Conflicts ({count})").format(count=len(overview.conflicts)))
        self.tabs.setTabText(
            1, _("Likely duplicates ({count})").format(count=len(overview.duplicates))
        )
        self.tabs.setTabText(2, _("Missing bundles ({count})").format(count=len(overview.gaps)))
        self._fill_list(
            self.conflict_list,
            [conflict_line(c, translator.language) for c in overview.conflicts],
            _("No conflicts."),
        )
        self._fill_list(
            self.duplicate_list,
            [
                f"{d.form_text(translator.language)}: {d.institution_text(translator.language)} / "
                f"{d.group.respondent}"
                for d in overview.duplicates
            ],
            _("No likely duplicates."),
        )
        self._fill_list(
            self.gap_list, [gap_text(g) for g in overview.gaps], _("No bundles are missing.")
        )
        self._show_conflict(self.conflict_list.currentRow())
        self._show_duplicate(self.duplicate_list.currentRow())

    @staticmethod
    def _fill_list(widget: QListWidget, lines: list[str], empty: str) -> None:
        row = max(widget.currentRow(), 0)
        widget.blockSignals(True)
        widget.clear()
        widget.addItems(lines or [empty])
        for index, line in enumerate(lines):
            widget.item(index).setToolTip(line)  # long names are cut at the list's edge
        widget.setEnabled(bool(lines))
        widget.setCurrentRow(min(row, len(lines) - 1) if lines else -1)
        widget.blockSignals(False)

    def _show_conflict(self, row: int) -> None:
        conflict = self.current_conflict()
        versions = conflict.versions if conflict else ()
        self.versions.setRowCount(len(versions))
        for index, version in enumerate(versions):
            label = version.rev_id[:8]
            if version.provisional_winner:
                label += " " + _("(for now)")
            when = version.finalised_at.strftime("%Y-%m-%d %H:%M") if version.finalised_at else ""
            values = (label, version.author, version.device, when, version.reason or "")
            for column, value in enumerate(values):
                self.versions.setItem(index, column, QTableWidgetItem(value))
        if versions:
            self.versions.selectRow(0)
        if conflict is None:
            self.differing.setText("")
        else:
            names = ", ".join(d.text(translator.language) for d in conflict.differing)
            if conflict.more_differing:
                names += " " + _("and {count} more").format(count=conflict.more_differing)
            self.differing.setText(_("Answers that differ: {names}").format(names=names or "—"))
        for widget in (self.versions, self.reason, self.keep_button):
            widget.setEnabled(conflict is not None)

    def _show_duplicate(self, row: int) -> None:
        duplicate = self.current_duplicate()
        members = duplicate.members if duplicate else ()
        self.members.setRowCount(len(members))
        for index, (instance_id, laptop) in enumerate(members):
            self.members.setItem(index, 0, QTableWidgetItem(_short(instance_id)))
            self.members.setItem(index, 1, QTableWidgetItem(laptop))
        confirmed = duplicate is not None and duplicate.group.confirmed
        self.duplicate_state.setText(_("Confirmed: the same interview.") if confirmed else "")
        for widget in (self.comment, self.same_button, self.different_button):
            widget.setEnabled(duplicate is not None)
        self.same_button.setEnabled(duplicate is not None and not confirmed)

    def current_conflict(self) -> ConflictView | None:
        row = self.conflict_list.currentRow()
        conflicts = self.overview.conflicts
        return conflicts[row] if 0 <= row < len(conflicts) else None

    def current_duplicate(self) -> DuplicateView | None:
        row = self.duplicate_list.currentRow()
        duplicates = self.overview.duplicates
        return duplicates[row] if 0 <= row < len(duplicates) else None

    # -- work -------------------------------------------------------------------------------

    def reload(self) -> None:
        store, study = self.store, self.study
        task = run_task(
            lambda _job: merge_overview(store, study),
            name="merge-overview",
            on_success=self._loaded,
            on_failure=self._failed,
        )
        self.busy.track(task, _("Loading…"))

    def _loaded(self, overview: MergeOverview) -> None:
        self.overview = overview
        self._fill()

    def keep_selected(self) -> None:
        conflict = self.current_conflict()
        if conflict is None or self.task is not None:
            return
        rows = self.versions.selectionModel().selectedRows()
        if not rows:
            self.error.show_message(_("Please select the version to keep."))
            return
        reason = self.reason.text().strip()
        if not reason:
            self.error.show_message(_("Please give the reason for your decision."))
            self.reason.setFocus()
            return
        version = conflict.versions[rows[0].row()]
        store = self.store

        def work(_job: Job) -> str:
            return keep_version(
                store, instance_id=conflict.instance_id, rev_id=version.rev_id, reason=reason
            )

        self._start(work, _("Recording your decision…"))

    def judge(self, *, same: bool) -> None:
        duplicate = self.current_duplicate()
        if duplicate is None or self.task is not None:
            return
        store, comment = self.store, self.comment.text().strip()

        def work(_job: Job) -> None:
            judge_duplicates(store, group=duplicate.group, same=same, comment=comment)

        self._start(work, _("Recording your decision…"))

    def _start(self, work: Any, message: str) -> None:
        self.error.show_message("")
        self.task = run_task(
            work, name="merge-decision", on_success=self._decided, on_failure=self._failed
        )
        self.busy.track(self.task, message)

    def _decided(self, _result: object) -> None:
        self.task = None
        self.reason.clear()
        self.comment.clear()
        self.sig_decided.emit()
        self.reload()

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.error.show_message(user_message(error))
