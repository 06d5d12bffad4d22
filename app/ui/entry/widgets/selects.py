"""Select one / select multiple: buttons, drop-down (`minimal`), searchable list.

Which widget a select gets: `minimal` → drop-down; `autocomplete`/`search` or
more than `LONG_LIST` choices → a list with a search field (Lao text matches
anywhere in the label); otherwise radio buttons or check boxes, numbered so
that number keys pick them.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QRadioButton,
    QWidget,
)

from app.core.i18n import _
from app.core.text import with_breaks
from app.engine.model import Kind
from app.ui.entry.widgets.base import MIN_LABEL_WIDTH, QuestionWidget
from app.ui.entry.widgets.choicekeys import ChoiceKeys

LONG_LIST = 12
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2


class ChoiceLabel(QLabel):
    """A wrapping label that clicks its button (Qt's own button text does not wrap)."""

    def __init__(self, button: QAbstractButton) -> None:
        super().__init__()
        self.button = button
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMinimumWidth(MIN_LABEL_WIDTH)  # see base.wrapped_label: Lao phrases are long
        # In two columns a row is as tall as its longest label: text at the top, level
        # with its button, not centred below it.
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.button.isEnabled():
            self.button.setFocus()
            self.button.click()


class SelectWidget(QuestionWidget):
    """Base for selects: keeps the allowed choice names and the number-key filter."""

    def build(self) -> None:
        self.names: list[str] = []
        self.keys = ChoiceKeys(self, self.pick_index, self.clear_answer, self._advance)
        self.build_editor()
        self.rebuild_choices()

    def build_editor(self) -> None:
        raise NotImplementedError

    def _advance(self, backwards: bool) -> None:
        self.ctx.advance(self, backwards)

    @property
    def multiple(self) -> bool:
        return self.question.kind is Kind.SELECT_MULTIPLE

    def selected(self) -> list[str]:
        return self.node.value.split()

    def pick_index(self, index: int) -> None:
        if not 0 <= index < len(self.names) or self.node.readonly:
            return
        self.pick(self.names[index])

    def pick(self, name: str) -> None:
        if self.multiple:
            chosen = self.selected()
            if name in chosen:
                chosen.remove(name)
            else:
                chosen.append(name)
            order = {n: i for i, n in enumerate(self.names)}
            chosen.sort(key=lambda n: order.get(n, len(order)))
            self.submit(chosen)
        else:
            self.submit(name)

    def clear_answer(self) -> None:
        if not self.node.readonly:
            self.submit(None)

    def label_of(self, name: str) -> str:
        return with_breaks(self.ctx.session.choice_label(self.node, name))


class ButtonsWidget(SelectWidget):
    """Radio buttons (select one) or check boxes (select multiple)."""

    def build_editor(self) -> None:
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(2)
        self.body.addLayout(self.grid)
        self.group = QButtonGroup(self)
        self.group.setExclusive(not self.multiple)
        self.group.idClicked.connect(self._clicked)
        self.buttons: list[QAbstractButton] = []
        self.labels: list[ChoiceLabel] = []

    def rebuild_choices(self) -> None:
        had_focus = any(b.hasFocus() for b in self.buttons)
        for button in self.buttons:
            self.group.removeButton(button)
            button.deleteLater()
        for label in self.labels:
            label.deleteLater()
        self.buttons, self.labels = [], []
        self.names = self.ctx.session.allowed_choices(self.node)
        columns = 2 if len(self.names) > 10 else 1
        per_column = (len(self.names) + columns - 1) // columns
        for index in range(len(self.names)):
            choice: QAbstractButton = QCheckBox() if self.multiple else QRadioButton()
            choice.installEventFilter(self.keys)
            label = ChoiceLabel(choice)
            self.group.addButton(choice, index)
            row, column = index % max(per_column, 1), (index // max(per_column, 1)) * 2
            self.grid.addWidget(choice, row, column, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(label, row, column + 1)
            self.buttons.append(choice)
            self.labels.append(label)
        for column in range(columns):
            self.grid.setColumnStretch(column * 2 + 1, 1)
        self.retranslate_choices()
        self.refresh_value()
        if had_focus:
            self.focus_editor()

    def retranslate_choices(self) -> None:
        for index, (name, label) in enumerate(zip(self.names, self.labels, strict=True)):
            number = f"{(index + 1) % 10}. " if index < 10 else ""
            label.setText(number + self.label_of(name))
            self.buttons[index].setAccessibleName(self.label_of(name))

    def _clicked(self, index: int) -> None:
        if self._updating:
            return
        if self.multiple:
            chosen = [n for n, b in zip(self.names, self.buttons, strict=True) if b.isChecked()]
            self.submit(chosen)
        else:
            self.submit(self.names[index])

    def show_value(self, value: str) -> None:
        chosen = set(value.split())
        self.group.setExclusive(False)  # an exclusive group cannot show "nothing chosen"
        for name, button in zip(self.names, self.buttons, strict=True):
            button.setChecked(name in chosen)
        self.group.setExclusive(not self.multiple)

    def editors(self) -> list[QWidget]:
        checked = [b for b in self.buttons if b.isChecked()]
        if not self.multiple and checked:
            return [checked[0]]
        return list(self.buttons)

    def focus_editor(self) -> None:
        editors = [e for e in self.editors() if e.isEnabled()]
        if editors:
            editors[0].setFocus(Qt.FocusReason.OtherFocusReason)


class ComboWidget(SelectWidget):
    """`minimal`: a drop-down. Number keys and typing the start of a label both pick."""

    def build_editor(self) -> None:
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(18)
        self.combo.installEventFilter(self.keys)
        self.combo.activated.connect(self._activated)
        self.body.addWidget(self.combo, 0, Qt.AlignmentFlag.AlignLeft)

    def rebuild_choices(self) -> None:
        self.names = self.ctx.session.allowed_choices(self.node)
        self._updating = True
        try:
            self.combo.clear()
            self.combo.addItem("")
            for name in self.names:
                self.combo.addItem(self.label_of(name), name)
        finally:
            self._updating = False
        self.retranslate_choices()
        self.refresh_value()

    def retranslate_choices(self) -> None:
        self.combo.setItemText(0, _("— choose —"))
        for index, name in enumerate(self.names, start=1):
            self.combo.setItemText(index, self.label_of(name))

    def _activated(self, index: int) -> None:
        if index <= 0:
            self.submit(None)
        else:
            self.submit(self.names[index - 1])

    def show_value(self, value: str) -> None:
        index = self.names.index(value) + 1 if value in self.names else 0
        self.combo.setCurrentIndex(index)

    def editors(self) -> list[QWidget]:
        return [self.combo]


class SearchEdit(QLineEdit):
    def __init__(self, owner: SearchListWidget) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Down:
            self.owner.list.setFocus()
            if not self.owner.list.currentIndex().isValid():
                self.owner.list.setCurrentIndex(self.owner.proxy.index(0, 0))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.text().strip() and self.owner.proxy.rowCount() >= 1:
                self.owner.choose_row(self.owner.proxy.index(0, 0))
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.owner.ctx.advance(self.owner, backwards)
            return
        super().keyPressEvent(event)


class ChoiceList(QListView):
    def __init__(self, owner: SearchListWidget) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.currentIndex().isValid():
                self.owner.choose_row(self.currentIndex())
            if event.key() != Qt.Key.Key_Space:
                backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.owner.ctx.advance(self.owner, backwards)
            return
        if event.key() == Qt.Key.Key_Up and self.currentIndex().row() <= 0:
            self.owner.search.setFocus()
            return
        super().keyPressEvent(event)


class SearchListWidget(SelectWidget):
    """Long lists: type to filter (matches anywhere, Lao or English), pick from the list."""

    def build_editor(self) -> None:
        self.search = SearchEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Search the label as written (displayed labels carry Lao line-break marks).
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.list = ChoiceList(self)
        self.list.setModel(self.proxy)
        self.list.setUniformItemSizes(False)
        self.list.setWordWrap(True)
        self.list.setMinimumHeight(self.list.fontMetrics().lineSpacing() * 8)
        self.list.clicked.connect(self.choose_row)
        self.current = QLabel()
        self.current.setObjectName("questionHint")
        self.current.setWordWrap(True)
        self.body.addWidget(self.search)
        self.body.addWidget(self.list)
        self.body.addWidget(self.current)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())

    def _search_text(self, name: str) -> str:
        return f"{self.ctx.session.choice_label(self.node, name)} {name}"

    def rebuild_choices(self) -> None:
        self.names = self.ctx.session.allowed_choices(self.node)
        self.model.clear()
        for name in self.names:
            item = QStandardItem(self.label_of(name))
            item.setData(name, NAME_ROLE)
            item.setData(self._search_text(name), SEARCH_ROLE)
            item.setEditable(False)
            if self.multiple:
                item.setCheckable(True)
            self.model.appendRow(item)
        self.retranslate_choices()
        self.refresh_value()

    def choose_row(self, index: QModelIndex) -> None:
        if not index.isValid() or self.node.readonly:
            return
        name = str(index.data(NAME_ROLE))
        if self.multiple or name != self.node.value:
            self.pick(name)

    def retranslate_choices(self) -> None:
        self.search.setPlaceholderText(_("Type to search the list"))
        for row, name in enumerate(self.names):
            item = self.model.item(row)
            if item is not None:
                item.setText(self.label_of(name))
                item.setData(self._search_text(name), SEARCH_ROLE)
        self._show_current()

    def _show_current(self) -> None:
        chosen = [self.label_of(n) for n in self.selected()]
        self.current.setText(
            _("Chosen: {choice}").format(choice=", ".join(chosen)) if chosen else ""
        )

    def show_value(self, value: str) -> None:
        chosen = set(value.split())
        for row, name in enumerate(self.names):
            item = self.model.item(row)
            if item is None:
                continue
            if self.multiple:
                item.setCheckState(
                    Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked
                )
            elif name in chosen:
                self.list.setCurrentIndex(self.proxy.mapFromSource(item.index()))
        self._show_current()

    def editors(self) -> list[QWidget]:
        return [self.search, self.list]


class ChoiceHeaderWidget(SelectWidget):
    """`label` appearance: ODK's header of a list-nolabel table. It shows the choice labels
    in a row and takes no answer (a check box here would put a header into the data)."""

    def build_editor(self) -> None:
        self.row = QHBoxLayout()
        self.row.setSpacing(18)
        self.body.addLayout(self.row)
        self.labels: list[QLabel] = []

    def rebuild_choices(self) -> None:
        for label in self.labels:
            label.deleteLater()
        self.names = self.ctx.session.allowed_choices(self.node)
        self.labels = []
        for _name in self.names:
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setMinimumWidth(MIN_LABEL_WIDTH)
            self.row.addWidget(label)
            self.labels.append(label)
        self.row.addStretch(1)
        self.retranslate_choices()

    def retranslate_choices(self) -> None:
        for name, label in zip(self.names, self.labels, strict=True):
            label.setText(self.label_of(name))

    def refresh_texts(self) -> None:
        super().refresh_texts()
        if not self.ctx.session.text(self.node, "label"):
            self.label.setText("")  # pyxform's generated header row: not its internal name
            self.label.hide()

    def editors(self) -> list[QWidget]:
        return []


def select_widget_class(question_kind: Kind, appearances: frozenset[str], count: int) -> type:
    if "label" in appearances:
        return ChoiceHeaderWidget
    if question_kind is Kind.SELECT_ONE and "minimal" in appearances:
        return ComboWidget
    if appearances & {"autocomplete", "search"} or count > LONG_LIST:
        return SearchListWidget
    return ButtonsWidget
