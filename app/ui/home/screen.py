"""The home screen: study, forms, cases with filters, drafts, recent, not yet exported."""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import N_, _, translator
from app.ui.columns import FittedColumns
from app.ui.context import AppContext
from app.ui.home.cases import CaseRow, FormEntry, HomeData, load_home, pick
from app.ui.home.models import (
    ROW_ROLE,
    STATUS_NAMES,
    CaseFilter,
    CaseListModel,
    CaseTableModel,
    returned_note,
    status_text,
)
from app.ui.language import on_language_changed
from app.ui.messages import show_problem
from app.ui.widgets import Heading, wrapping_label
from app.ui.workers import BusyIndicator, Job, Task, run_task

log = logging.getLogger(__name__)

ROLE_NAMES = {
    "enumerator": N_("Enumerator"),
    "interviewer": N_("Interviewer"),
    "supervisor": N_("Supervisor"),
    "coordinator": N_("Coordinator"),
}
COLUMN_CAP = 220  # pixels; a longer text is elided and shown whole in its tooltip
COLUMN_FLOOR = 60  # pixels; on a narrow screen, columns give way down to this
CASES_TABLE = "cases"  # the table's name in the settings (hidden columns)
FILTERS = (
    ("status", N_("Status")),
    ("institution", N_("Institution")),
    ("cluster", N_("Cluster")),
    ("province", N_("Province")),
    ("interviewer", N_("Interviewer")),
)


class _ActivatingList(QListView):
    """A list whose Enter key activates the current row (as a double click does)."""

    sig_row_activated = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        self.activated.connect(self._activated)

    def _activated(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.sig_row_activated.emit(row)

    def minimumSizeHint(self) -> QSize:
        # Two lines: on a short screen these lists give way to the forms to start.
        hint = super().minimumSizeHint()
        return QSize(hint.width(), 2 * self.fontMetrics().lineSpacing() + 2 * self.frameWidth())


class _FormsList(QTreeWidget):
    """The forms to start: as tall as its rows (a study has a handful of forms, none of
    them should need scrolling to), shrinking to two rows only when the window is short."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self._height(self.topLevelItemCount()))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), self._height(min(2, self.topLevelItemCount())))

    def _height(self, rows: int) -> int:
        first = self.topLevelItem(0)
        row = self.visualItemRect(first).height() if first is not None else 0
        row = row or self.fontMetrics().height() + 8
        return self.header().sizeHint().height() + rows * row + 2 * self.frameWidth()


class _CaseTable(QTableView):
    sig_row_activated = Signal(object)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.sig_row_activated.emit(self.currentIndex().data(ROW_ROLE))
            return
        super().keyPressEvent(event)


class _SearchBox(QLineEdit):
    """The search field; Down goes to the first case found (keyboard-only work)."""

    sig_down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.sig_down_pressed.emit()
            return
        super().keyPressEvent(event)


class HomeScreen(QWidget):
    sig_new_form_requested = Signal(str, str, object)  # form_id, version, assignment_id
    sig_open_requested = Signal(str)  # instance_id of a draft to resume
    sig_edit_requested = Signal(str)  # instance_id of a finalised submission
    sig_history_requested = Signal(str)
    sig_loaded = Signal()
    sig_sync_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.data: HomeData | None = None
        self.task: Task | None = None
        self._reload_wanted = False
        self._generation = 0  # bumped at logout: late results for the old user are dropped
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.study_title = Heading(scale=1.35)
        self.user_label = QLabel()
        self.user_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.study_title, 1)
        top.addWidget(self.user_label)
        root.addLayout(top)
        self.unexported_label = wrapping_label()
        self.unexported_label.setObjectName("unexported")
        self.unexported_label.setStyleSheet("font-weight: bold;")
        sync_row = QHBoxLayout()
        sync_row.addWidget(self.unexported_label, 1)
        self.sync_status = wrapping_label()
        self.sync_button = QPushButton()
        self.sync_button.clicked.connect(self.sig_sync_requested)
        sync_row.addWidget(self.sync_status, 1)
        sync_row.addWidget(self.sync_button)
        root.addLayout(sync_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        root.addWidget(splitter, 1)
        splitter.addWidget(self._left_column())
        splitter.addWidget(self._case_column())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 900])
        self.busy = BusyIndicator()
        root.addWidget(self.busy)
        self.retranslate()
        on_language_changed(self, self.retranslate)

    # -- layout ------------------------------------------------------------------
    def _left_column(self) -> QWidget:
        column = QWidget()
        column.setMinimumWidth(220)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 6, 0)
        self.forms_heading = Heading(scale=1.1)
        self.forms_list = _FormsList()
        self.forms_list.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.forms_list.setColumnCount(2)
        self.forms_list.setRootIsDecorated(False)
        self.forms_list.setWordWrap(True)
        self.forms_list.setUniformRowHeights(True)
        forms_header = self.forms_list.header()
        forms_header.setStretchLastSection(False)
        forms_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        forms_header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.forms_list.itemActivated.connect(self._form_activated)
        self.new_button = QPushButton()
        self.new_button.clicked.connect(self._new_clicked)
        self.returned_heading = Heading(scale=1.1)
        self.returned_model = CaseListModel()
        self.returned_view = _ActivatingList()
        self.returned_view.setModel(self.returned_model)
        self.returned_view.sig_row_activated.connect(self._correct_row)
        self._show_returned(False)  # shown when the coordinator has sent something back
        self.drafts_heading = Heading(scale=1.1)
        self.drafts_model = CaseListModel()
        self.drafts_view = _ActivatingList()
        self.drafts_view.setModel(self.drafts_model)
        self.drafts_view.sig_row_activated.connect(self._open_row)
        self.recent_heading = Heading(scale=1.1)
        self.recent_model = CaseListModel()
        self.recent_view = _ActivatingList()
        self.recent_view.setModel(self.recent_model)
        self.recent_view.sig_row_activated.connect(self._history_row)
        for widget, stretch in (
            (self.forms_heading, 0),
            (self.forms_list, 0),
            (self.new_button, 0),
            (self.returned_heading, 0),
            (self.returned_view, 1),
            (self.drafts_heading, 0),
            (self.drafts_view, 2),
            (self.recent_heading, 0),
            (self.recent_view, 2),
        ):
            layout.addWidget(widget, stretch)
        return column

    def _show_returned(self, shown: bool) -> None:
        self.returned_heading.setVisible(shown)
        self.returned_view.setVisible(shown)

    def _case_column(self) -> QWidget:
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(6, 0, 0, 0)
        self.cases_heading = Heading(scale=1.1)
        layout.addWidget(self.cases_heading)
        grid = QGridLayout()
        self.search = _SearchBox()
        self.search.setClearButtonEnabled(True)
        self.search.sig_down_pressed.connect(self._focus_cases)
        self.search.textChanged.connect(self._search_changed)
        self.search_label = QLabel()
        self.search_label.setBuddy(self.search)
        grid.addWidget(self.search_label, 0, 0)
        grid.addWidget(self.search, 0, 1, 1, 5)
        self.filter_boxes: dict[str, QComboBox] = {}
        self.filter_labels: dict[str, QLabel] = {}
        for n, (key, _name) in enumerate(FILTERS):
            label = QLabel()
            box = QComboBox()
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(8)
            label.setBuddy(box)
            box.currentIndexChanged.connect(lambda _i, k=key: self._filter_changed(k))
            self.filter_boxes[key] = box
            self.filter_labels[key] = label
            row, col = 1 + n // 3, (n % 3) * 2
            grid.addWidget(label, row, col)
            grid.addWidget(box, row, col + 1)
        for col in (1, 3, 5):
            grid.setColumnStretch(col, 1)
        layout.addLayout(grid)
        self.case_model = CaseTableModel()
        self.case_filter = CaseFilter()
        self.case_filter.setSourceModel(self.case_model)
        self.table = _CaseTable()
        self.table.setModel(self.case_filter)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(len(CaseTableModel.COLUMNS) - 1, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.columns = FittedColumns(
            self.table,
            [key for key, _name in CaseTableModel.COLUMNS],
            stretch="institution",
            whole=("status", "updated"),
            floor=COLUMN_FLOOR,
            titles=lambda: [_(name) for _key, name in CaseTableModel.COLUMNS],
            natural=self._natural_width,
            on_hidden_changed=self._remember_hidden_columns,
        )
        self.columns.set_hidden(self.ctx.settings.settings.hidden_columns.get(CASES_TABLE, []))
        self.table.doubleClicked.connect(lambda index: self._case_activated(index.data(ROW_ROLE)))
        self.table.sig_row_activated.connect(self._case_activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        self.open_button = QPushButton()
        self.edit_button = QPushButton()
        self.history_button = QPushButton()
        self.open_button.clicked.connect(lambda: self._case_activated(self.selected_case()))
        self.edit_button.clicked.connect(self._edit_clicked)
        self.history_button.clicked.connect(self._history_clicked)
        for button in (self.open_button, self.edit_button, self.history_button):
            buttons.addWidget(button)
        # Keys for the selected case (Enter opens it, in the table and the lists).
        QShortcut(QKeySequence("F2"), self, self._edit_clicked)
        QShortcut(QKeySequence("Ctrl+H"), self, self._history_clicked)
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_search)
        QShortcut(QKeySequence("Ctrl+N"), self, self.forms_list.setFocus)
        layout.addLayout(buttons)
        return column

    # -- language ----------------------------------------------------------------
    def retranslate(self) -> None:
        language = translator.language
        data = self.data
        self.study_title.setText(
            pick(data.study_names, language, _("Samluat")) if data else _("Samluat")
        )
        store = self.ctx.store
        if store is not None:
            user = store.user
            role = _(ROLE_NAMES.get(user.role.value, user.role.value))
            self.user_label.setText(f"{user.display_name or user.username} · {role}")
        else:
            self.user_label.setText("")
        self._show_unexported()
        self.sync_button.setText(_("Sync now"))
        self.sync_button.setToolTip(
            _("Exchange bundles with the coordinator through the sync folder (Ctrl+Shift+S)")
        )
        self.forms_heading.setText(_("Start a new form"))
        self.new_button.setText(_("Start"))
        self.returned_heading.setText(_("Returned for correction"))
        self.returned_view.setToolTip(
            _("Forms the coordinator sent back, with what to correct: Enter edits the chosen one")
        )
        self.drafts_heading.setText(_("Drafts to resume"))
        self.recent_heading.setText(_("Recently finalised"))
        self.cases_heading.setText(_("Cases"))
        self.search_label.setText(_("Search"))
        self.search.setPlaceholderText(_("Name, institution, province… in Lao or English"))
        for key, name in FILTERS:
            self.filter_labels[key].setText(_(name))
        self.open_button.setText(_("Open"))
        self.edit_button.setText(_("Edit…"))
        self.history_button.setText(_("History"))
        self.open_button.setToolTip(_("Open the chosen case (Enter)"))
        self.edit_button.setToolTip(_("Edit a finalised form (F2)"))
        self.history_button.setToolTip(_("Versions of the chosen form (Ctrl+H)"))
        self.search.setToolTip(_("Search the cases (Ctrl+F)"))
        self.forms_list.setToolTip(_("Choose a form and press Enter to start it (Ctrl+N)"))
        self._fill_forms()
        self._fill_filters()
        self.case_model.retranslate()
        self.drafts_model.retranslate()
        self.returned_model.retranslate()
        self.recent_model.retranslate()
        self.columns.fit()
        self._show_count()

    def _natural_width(self, column: int) -> int:
        """A column as wide as its texts and title, within a cap."""
        header = self.table.horizontalHeader()
        wanted = max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))
        return min(wanted, COLUMN_CAP)

    def _remember_hidden_columns(self, keys: list[str]) -> None:
        hidden = self.ctx.settings.settings.hidden_columns
        self.ctx.settings.update(hidden_columns={**hidden, CASES_TABLE: keys})

    def show_sync_status(self, text: str, ok: bool) -> None:
        self.sync_status.setText(text)
        self.sync_status.setStyleSheet("" if ok else "color: #b00020;")
        if ok:
            self.refresh()  # received bundles may bring forms, cases and review decisions

    def _show_unexported(self) -> None:
        if self.data is None:
            self.unexported_label.setText("")
            return
        count = self.data.unexported
        self.unexported_label.setText(
            _("Not yet exported: {count} finalised form(s).").format(count=count)
            if count
            else _("Everything finalised has been exported.")
        )
        self.unexported_label.setToolTip(
            _(
                "Counts the forms finalised on this computer that are not in an export "
                "bundle yet. A form edited after it was finalised counts once."
            )
        )

    def _fill_forms(self) -> None:
        forms = self.forms_list
        forms.setHeaderLabels([_("Form"), _("Questions")])
        chosen = forms.currentItem()
        current = forms.indexOfTopLevelItem(chosen) if chosen is not None else 0
        forms.clear()
        if self.data is None:
            return
        language = translator.language
        for entry in self.data.forms:
            name = pick(entry.names, language, entry.form_id)
            item = QTreeWidgetItem([name, str(entry.question_count)])
            item.setToolTip(0, name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, ROW_ROLE, entry)
            forms.addTopLevelItem(item)
        again = forms.topLevelItem(max(0, min(current, forms.topLevelItemCount() - 1)))
        if again is not None:
            forms.setCurrentItem(again)
        forms.updateGeometry()  # its height follows its rows

    def form_entries(self) -> list[FormEntry]:
        forms = self.forms_list
        items = (forms.topLevelItem(i) for i in range(forms.topLevelItemCount()))
        return [item.data(0, ROW_ROLE) for item in items if item is not None]

    def _fill_filters(self) -> None:
        rows = self.data.cases if self.data else []
        language = translator.language
        options: dict[str, dict[str, str]] = {key: {} for key, _name in FILTERS}
        for row in rows:
            options["status"][row.shown_status] = status_text(row.shown_status)
            for key in ("institution", "cluster", "province"):
                coded = getattr(row, key)
                if coded.code:
                    options[key][coded.code] = coded.text(language)
            if row.interviewer_id:
                options["interviewer"][row.interviewer_id] = row.interviewer or row.interviewer_id
        order = list(STATUS_NAMES)
        for key, box in self.filter_boxes.items():
            chosen = box.currentData()
            box.blockSignals(True)
            box.clear()
            box.addItem(_("All"), None)
            values = options[key]
            codes = (
                sorted(values, key=lambda c: order.index(c) if c in order else len(order))
                if key == "status"
                else sorted(values, key=lambda c: values[c].casefold())
            )
            for code in codes:
                box.addItem(values[code], code)
            index = box.findData(chosen) if chosen is not None else 0
            box.setCurrentIndex(max(0, index))
            box.blockSignals(False)
            self.case_filter.set_criterion(key, box.currentData())

    def _show_count(self) -> None:
        total = self.case_model.rowCount()
        shown = self.case_filter.rowCount()
        self.count_label.setText(
            _("{count} case(s)").format(count=total)
            if shown == total
            else _("{shown} of {count} case(s)").format(shown=shown, count=total)
        )
        self._update_actions()

    # -- data --------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload everything from the store (on a worker)."""
        store, library, study = self.ctx.store, self.ctx.library, self.ctx.study
        if store is None or library is None:
            return
        if self.task is not None:
            self._reload_wanted = True
            return

        def work(_job: Job) -> HomeData:
            return load_home(store=store, library=library, study=study)

        generation = self._generation
        self.task = run_task(
            work,
            name="home",
            on_success=lambda data: self._loaded(data, generation),
            on_failure=lambda error: self._failed(error, generation),
        )
        self.busy.track(self.task, _("Loading…"))

    def _loaded(self, data: HomeData, generation: int) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return  # loaded for a user who has logged out since (or the app is closing)
        self.task = None
        self.data = data
        self.case_model.set_rows(data.cases)
        self.drafts_model.set_rows(data.drafts)
        self.returned_model.set_rows(data.returned)
        self._show_returned(bool(data.returned))
        self.recent_model.set_rows(data.recent)
        self.retranslate()
        if self._reload_wanted:
            self._reload_wanted = False
            self.refresh()
        self.sig_loaded.emit()

    def _failed(self, error: BaseException, generation: int) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self.task = None
        show_problem(self, error)

    def clear(self) -> None:
        """Forget the logged-out user's data (and any load still running for them)."""
        self._generation += 1
        self.task = None
        self._reload_wanted = False
        self.data = None
        self.case_model.set_rows([])
        self.drafts_model.set_rows([])
        self.recent_model.set_rows([])
        self.returned_model.set_rows([])
        self._show_returned(False)
        self.retranslate()

    # -- actions -----------------------------------------------------------------
    def focus_default(self) -> None:
        """Where the keyboard starts on this screen: the list of forms to start."""
        self.forms_list.setFocus()

    def _focus_cases(self) -> None:
        self.table.setFocus()
        if self.case_filter.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_changed(self, text: str) -> None:
        self.case_filter.set_text(text)
        self._show_count()

    def _filter_changed(self, key: str) -> None:
        self.case_filter.set_criterion(key, self.filter_boxes[key].currentData())
        self._show_count()

    def selected_case(self) -> CaseRow | None:
        index = self.table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _update_actions(self) -> None:
        row = self.selected_case()
        self.open_button.setEnabled(row is not None and row.status != "finalised")
        self.edit_button.setEnabled(row is not None and row.status == "finalised")
        self.history_button.setEnabled(row is not None and row.instance_id is not None)

    def _form_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        entry: FormEntry = item.data(0, ROW_ROLE)
        self.sig_new_form_requested.emit(entry.form_id, entry.version, None)

    def _new_clicked(self) -> None:
        item = self.forms_list.currentItem()
        if item is not None:
            self._form_activated(item)

    def _open_row(self, row: CaseRow) -> None:
        if row.instance_id:
            self.sig_open_requested.emit(row.instance_id)

    def _correct_row(self, row: CaseRow) -> None:
        if row.instance_id:
            self.sig_edit_requested.emit(row.instance_id)

    def returned_note(self, instance_id: str) -> str:
        """The reviewer's comment on a form returned for correction ("" if it is not)."""
        rows = self.data.returned if self.data else []
        row = next((r for r in rows if r.instance_id == instance_id), None)
        return returned_note(row.review_comment, row.reviewer) if row else ""

    def _history_row(self, row: CaseRow) -> None:
        if row.instance_id:
            self.sig_history_requested.emit(row.instance_id)

    def _case_activated(self, row: CaseRow | None) -> None:
        if row is None:
            return
        if row.instance_id is None:
            if self.data is None:
                return
            version = next((f.version for f in self.data.forms if f.form_id == row.form_id), "")
            if version:
                self.sig_new_form_requested.emit(row.form_id, version, row.assignment_id)
        elif row.status == "finalised":
            self.sig_history_requested.emit(row.instance_id)
        else:
            self.sig_open_requested.emit(row.instance_id)

    def _edit_clicked(self) -> None:
        row = self.selected_case()
        if row is not None and row.instance_id:
            self.sig_edit_requested.emit(row.instance_id)

    def _history_clicked(self) -> None:
        row = self.selected_case()
        if row is not None and row.instance_id:
            self.sig_history_requested.emit(row.instance_id)
