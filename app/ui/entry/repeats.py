"""Repeats: the bar above an instance's questions and the page that lists instances.

Adding, removing (after a confirmation) and moving instances are the
session's operations; these widgets only offer them. A repeat whose number of
instances the form sets (`repeat_count`) shows its instances without controls.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import _
from app.engine.compiled import FieldDef
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS
from app.engine.session import FormSession
from app.ui.entry.pages import shown, user_repeat

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class RepeatActions(Protocol):
    """What the repeat widgets ask of the view (`repeat_actions.RepeatController`)."""

    @property
    def session(self) -> FormSession: ...

    def add_repeat(self, container: Node, name: str, after: Node | None = None) -> None: ...
    def remove_repeat(self, instance: Node) -> None: ...
    def move_repeat(self, instance: Node, step: int) -> None: ...
    def open_instance(self, instance: Node) -> None: ...


def repeat_label(session: FormSession, container: Node, name: str) -> str:
    definition: FieldDef = container.definition
    repeat_def = next(c for c in definition.children if c.name == name)
    label = repeat_def.element.label.get_text(session.language, session.formdef.default_language)
    return " ".join(label.split()) or name


def instance_summary(session: FormSession, instance: Node) -> str:
    """The instance's first answer, so that instances can be told apart in a list."""
    for leaf in instance.iter()[1:]:
        if shown(leaf) and leaf.value and leaf.relevant:
            question = leaf.definition.question
            if question is not None and question.choice_list:
                names = leaf.value.split()
                return ", ".join(session.choice_label(leaf, n) for n in names)[:80]
            return leaf.value[:80]
    return _("(no answers yet)")


def holds_answers(instance: Node) -> bool:
    """Whether a repeat instance has an answer someone typed (a default does not count)."""
    for leaf in instance.iter()[1:]:
        question = leaf.definition.question if leaf.definition is not None else None
        if question is None or not leaf.value or question.kind in NON_INPUT_KINDS:
            continue
        if question.default is not None and leaf.value == question.default:
            continue
        return True
    return False


def confirm_count_drop(parent: QWidget, label: str, first: int, last: int) -> bool:
    """Ask before a lower count removes entries `first`…`last` that hold answers."""
    entries = (
        _("entry {first} of {name}").format(first=first, name=label)
        if first == last
        else _("entries {first} to {last} of {name}").format(first=first, last=last, name=label)
    )
    question = _("This number removes {entries}, with the answers in them. Remove them?")
    return _ask_to_remove(
        parent,
        _("Remove entries"),
        question.format(entries=entries),
        keep=_("Keep the number as it was"),
    )


def confirm_remove(parent: QWidget, label: str) -> bool:
    question = _("Remove {name} and all its answers?").format(name=label)
    return _ask_to_remove(parent, _("Remove entry"), question, keep=_("Keep"))


def _ask_to_remove(parent: QWidget, title: str, question: str, *, keep: str) -> bool:
    """Remove or keep, Keep the default: Enter must never delete by accident."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(question)
    remove = box.addButton(_("Remove"), QMessageBox.ButtonRole.DestructiveRole)
    kept = box.addButton(keep, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(kept)
    box.setEscapeButton(kept)
    box.exec()
    return box.clickedButton() is remove


class RepeatBar(QFrame):
    """Shown above the questions of a repeat instance: where you are and what you can do."""

    def __init__(self, actions: RepeatActions, instance: Node, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("repeatBar")
        self.ops = actions
        self.instance = instance
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        self.title = QLabel()
        self.title.setWordWrap(True)
        layout.addWidget(self.title, 1)
        self.controls = user_repeat(instance.definition)
        self.add = QPushButton()
        self.remove = QPushButton()
        self.up = QPushButton()
        self.down = QPushButton()
        for button in (self.add, self.up, self.down, self.remove):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            layout.addWidget(button)
            button.setVisible(self.controls)
        assert instance.parent is not None
        container = instance.parent
        self.add.clicked.connect(
            lambda: actions.add_repeat(container, instance.name, after=self.instance)
        )
        self.remove.clicked.connect(lambda: actions.remove_repeat(self.instance))
        self.up.clicked.connect(lambda: actions.move_repeat(self.instance, -1))
        self.down.clicked.connect(lambda: actions.move_repeat(self.instance, 1))
        self.retranslate()

    def retranslate(self) -> None:
        session = self.ops.session
        container = self.instance.parent
        assert container is not None
        siblings = container.by_name.get(self.instance.name, [])
        self.title.setText(
            _("{name}: entry {number} of {count}").format(
                name=repeat_label(session, container, self.instance.name),
                number=self.instance.position(),
                count=len(siblings),
            )
        )
        self.add.setText(_("Add entry"))
        self.remove.setText(_("Remove…"))
        self.up.setText(_("Move earlier"))
        self.down.setText(_("Move later"))
        self.up.setEnabled(self.instance.position() > 1)
        self.down.setEnabled(self.instance.position() < len(siblings))


class InstanceList(QListWidget):
    def __init__(self, owner: RepeatPage) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            instance = self.owner.current_instance()
            if instance is not None:
                self.owner.ops.open_instance(instance)
            return
        if event.key() == Qt.Key.Key_Delete:
            instance = self.owner.current_instance()
            if instance is not None and self.owner.controls:
                self.owner.ops.remove_repeat(instance)
            return
        super().keyPressEvent(event)


class RepeatPage(QFrame):
    """The page after a repeat's instances: the list of instances and the controls."""

    def __init__(
        self, actions: RepeatActions, container: Node, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("repeatPage")
        self.ops = actions
        self.container = container
        self.name = name
        definition: FieldDef = container.definition
        repeat_def = next(c for c in definition.children if c.name == name)
        self.controls = user_repeat(repeat_def)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("questionLabel")
        self.title.setWordWrap(True)
        self.explain = QLabel()
        self.explain.setObjectName("questionHint")
        self.explain.setWordWrap(True)
        self.list = InstanceList(self)
        self.list.itemActivated.connect(self._activated)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add = QPushButton()
        self.remove = QPushButton()
        self.up = QPushButton()
        self.down = QPushButton()
        for button in (self.add, self.up, self.down, self.remove):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        for button in (self.add, self.up, self.down, self.remove):
            button.setVisible(self.controls)
        self.add.clicked.connect(self._add)
        self.remove.clicked.connect(self._remove)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        self.refresh()

    def instances(self) -> list[Node]:
        return list(self.container.by_name.get(self.name, []))

    def current_instance(self) -> Node | None:
        item = self.list.currentItem()
        node: Node | None = item.data(NODE_ROLE) if item is not None else None
        return node

    def _activated(self, item: QListWidgetItem) -> None:
        self.ops.open_instance(item.data(NODE_ROLE))

    def _add(self) -> None:
        instances = self.instances()
        self.ops.add_repeat(self.container, self.name, after=instances[-1] if instances else None)

    def _remove(self) -> None:
        instance = self.current_instance()
        if instance is not None:
            self.ops.remove_repeat(instance)

    def _move(self, step: int) -> None:
        instance = self.current_instance()
        if instance is not None:
            self.ops.move_repeat(instance, step)

    def select(self, instance: Node | None) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(NODE_ROLE) is instance:
                self.list.setCurrentRow(row)
                return

    def refresh(self) -> None:
        session = self.ops.session
        current = self.current_instance()
        label = repeat_label(session, self.container, self.name)
        self.title.setText(label)
        instances = self.instances()
        self.explain.setText(
            (
                _("{count} entries. Enter opens the chosen entry.").format(count=len(instances))
                if instances
                else _("No entries yet.")
            )
            + (" " + _("Ctrl+Shift+N adds an entry.") if self.controls else "")
        )
        self.list.clear()
        for instance in instances:
            item = QListWidgetItem(f"{instance.position()}. {instance_summary(session, instance)}")
            item.setData(NODE_ROLE, instance)
            self.list.addItem(item)
        self.select(current if current in instances else (instances[0] if instances else None))
        self.add.setText(_("Add entry"))
        self.remove.setText(_("Remove…"))
        self.up.setText(_("Move earlier"))
        self.down.setText(_("Move later"))
        for button in (self.remove, self.up, self.down):
            button.setEnabled(bool(instances))

    def focus_first(self) -> None:
        if self.list.count():
            self.list.setFocus()
        else:
            self.add.setFocus()
