"""Qt item models over engine objects (as napari's `_qt/containers` adapt its lists).

`IndexModel` shows the session's tree: groups, repeat instances and the
questions a person sees, each with a status mark. `ProblemListModel` lists
what blocks finalising. Both read the session and never change it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from app.core.i18n import _
from app.core.text import with_breaks
from app.engine.compiled import FIELD, REPEAT, FieldDef
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS, Group, Kind
from app.engine.session import FormSession, Problem
from app.ui.entry.pages import shown

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root, as a default argument
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2


class Status(StrEnum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    REQUIRED = "required"  # unanswered and required
    INVALID = "invalid"
    NOT_RELEVANT = "not_relevant"
    INFO = "info"  # notes


COLOURS = {
    Status.ANSWERED: "#2e7d32",
    Status.UNANSWERED: "#9e9e9e",
    Status.REQUIRED: "#ef6c00",
    Status.INVALID: "#c62828",
    Status.NOT_RELEVANT: "#e0e0e0",
    Status.INFO: "#90caf9",
}


def status_text(status: Status) -> str:
    return {
        Status.ANSWERED: _("Answered"),
        Status.UNANSWERED: _("Not answered"),
        Status.REQUIRED: _("Required, not answered"),
        Status.INVALID: _("Needs correcting"),
        Status.NOT_RELEVANT: _("Does not apply"),
        Status.INFO: _("Note"),
    }[status]


def field_status(session: FormSession, node: Node) -> Status:
    if not node.relevant:
        return Status.NOT_RELEVANT
    question = node.definition.question
    if question is not None and question.kind in NON_INPUT_KINDS:
        return Status.INFO
    if node in session.errors or (not node.constraint_ok and node.value != ""):
        return Status.INVALID
    if node.value != "":
        return Status.ANSWERED
    return Status.REQUIRED if node.required else Status.UNANSWERED


def _icon(colour: str, hollow: bool) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(colour))
    painter.setBrush(Qt.BrushStyle.NoBrush if hollow else QBrush(QColor(colour)))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


def is_container(node: Node) -> bool:
    definition = node.definition
    return isinstance(definition, FieldDef) and definition.role != FIELD


class IndexModel(QAbstractItemModel):
    """Groups, repeat instances and visible questions, with status marks."""

    def __init__(self, session: FormSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bookmarks: set[str] = set()  # refs of bookmarked questions
        self._children: dict[int, list[Node]] = {}
        self._rows: dict[int, int] = {}
        self._icons: dict[Status, QIcon] = {}

    # -- tree ------------------------------------------------------------------------------
    def children_of(self, node: Node) -> list[Node]:
        key = id(node)
        cached = self._children.get(key)
        if cached is not None:
            return cached
        result: list[Node] = []
        for child in node.children:
            definition = child.definition
            if not isinstance(definition, FieldDef):
                continue
            if definition.role == FIELD:
                if shown(child) and not self._untitled_header(child):
                    result.append(child)
            elif isinstance(definition.element, Group) and not definition.element.bodyless:
                result.append(child)
        self._children[key] = result
        for row, child in enumerate(result):
            self._rows[id(child)] = row
        return result

    def _untitled_header(self, node: Node) -> bool:
        """The header row of a table (`label` appearance) without a label of its own, as
        pyxform makes for a `table-list`: nothing to list but its internal name."""
        question = node.definition.question
        return (
            question is not None
            and "label" in question.appearances()
            and not self.session.text(node, "label").strip()
        )

    def rebuild(self) -> None:
        """Repeat instances came or went: start again."""
        self.beginResetModel()
        self._children.clear()
        self._rows.clear()
        self.endResetModel()

    def node_of(self, index: AnyIndex) -> Node:
        if not index.isValid():
            return self.session.root
        node: Node = index.internalPointer()
        return node

    def index_of(self, node: Node) -> QModelIndex:
        if node is self.session.root or node.parent is None:
            return QModelIndex()
        self.children_of(node.parent)
        row = self._rows.get(id(node))
        if row is None:
            return QModelIndex()
        return self.createIndex(row, 0, node)

    def index(self, row: int, column: int, parent: AnyIndex = _ROOT) -> QModelIndex:
        children = self.children_of(self.node_of(parent))
        if column != 0 or not 0 <= row < len(children):
            return QModelIndex()
        return self.createIndex(row, 0, children[row])

    def parent(self, index: AnyIndex = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = self.node_of(index)
        if node.parent is None or node.parent is self.session.root:
            return QModelIndex()
        return self.index_of(node.parent)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        if parent.column() > 0:
            return 0
        node = self.node_of(parent)
        if not is_container(node) and node is not self.session.root:
            return 0
        return len(self.children_of(node))

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 1

    # -- data ------------------------------------------------------------------------------
    def status(self, node: Node) -> Status:
        if not is_container(node):
            return field_status(self.session, node)
        if not node.relevant:
            return Status.NOT_RELEVANT
        worst = Status.ANSWERED
        any_input = False
        for leaf in node.iter()[1:]:
            if is_container(leaf) or not shown(leaf):
                continue
            status = field_status(self.session, leaf)
            if status is Status.INVALID:
                return Status.INVALID
            if status in (Status.REQUIRED, Status.UNANSWERED):
                any_input = True
                if status is Status.REQUIRED or worst is Status.ANSWERED:
                    worst = status
            elif status is Status.ANSWERED:
                any_input = True
        return worst if any_input else Status.INFO

    def label(self, node: Node) -> str:
        text = " ".join(self.session.text(node, "label").split()) or node.name
        definition = node.definition
        if isinstance(definition, FieldDef) and definition.role == REPEAT:
            text = f"{text} {node.position()}"
        if len(text) > 90:
            text = text[:88] + "…"
        if self.session.ref(node) in self.bookmarks:
            text = "★ " + text
        return text

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node_of(index)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label(node)
        if role == NODE_ROLE:
            return node
        if role == STATUS_ROLE:
            return self.status(node).value
        if role == Qt.ItemDataRole.DecorationRole:
            status = self.status(node)
            icon = self._icons.get(status)
            if icon is None:
                icon = _icon(COLOURS[status], hollow=status is Status.UNANSWERED)
                self._icons[status] = icon
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self.label(node)}\n{status_text(self.status(node))}"
        if role == Qt.ItemDataRole.ForegroundRole and not node.relevant:
            return QBrush(QColor("#9e9e9e"))
        return None

    def nodes_changed(self, nodes: set[Node]) -> None:
        """Marks or labels of these nodes (and so of their groups) may have changed."""
        touched: set[int] = set()
        for node in nodes:
            current: Node | None = node
            while current is not None and current is not self.session.root:
                if id(current) in touched:
                    break
                touched.add(id(current))
                index = self.index_of(current)
                if index.isValid():
                    self.dataChanged.emit(index, index)
                current = current.parent

    def everything_changed(self) -> None:
        """Language switch: every label changed, the tree did not."""
        self.layoutAboutToBeChanged.emit()
        self.layoutChanged.emit()


class ProblemListModel(QAbstractListModel):
    """Problems that block finalising: the question's label, then the message."""

    def __init__(self, session: FormSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.problems: list[Problem] = []

    def set_problems(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self.problems = list(problems)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.problems)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.problems):
            return None
        problem = self.problems[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            label = " ".join(self.session.text(problem.node, "label").split()) or problem.ref
            if len(label) > 100:
                label = label[:98] + "…"
            return with_breaks(f"{label}\n    {problem.message}")  # Lao wraps between words
        if role == Qt.ItemDataRole.ToolTipRole:
            return problem.ref
        if role == NODE_ROLE:
            return problem.node
        if role == Qt.ItemDataRole.ForegroundRole and problem.kind != "required":
            return QBrush(QColor(COLOURS[Status.INVALID]))
        return None


__all__ = ["NODE_ROLE", "IndexModel", "Kind", "ProblemListModel", "Status", "field_status"]
