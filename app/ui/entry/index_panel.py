"""The index: every group, repeat instance and question with its mark; Enter jumps."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import _
from app.engine.instance import Node
from app.engine.session import FormSession
from app.ui.entry.qt_models import COLOURS, NODE_ROLE, IndexModel, Status, status_text

MIDDLE_CUT_BEYOND = 1.5  # a label this many times wider than its row is cut in the middle


class _CutLabels(QStyledItemDelegate):
    """A long statement is cut in the middle, so that a series of them sharing their
    opening can be told apart by their ends; a label only a little too wide is cut at
    its end as usual ("ແຂວງທີ່ສຳພ…" reads better than "ແຂວ…ພາດ")."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        room = max(option.rect.width() - option.decorationSize.width() - 8, 1)
        long = option.fontMetrics.horizontalAdvance(option.text) > room * MIDDLE_CUT_BEYOND
        option.textElideMode = Qt.TextElideMode.ElideMiddle if long else Qt.TextElideMode.ElideRight


class IndexTree(QTreeView):
    sig_escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.sig_escape_pressed.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class IndexPanel(QWidget):
    """A tree over `IndexModel`. Emits `sig_node_chosen` on Enter or double-click."""

    sig_node_chosen = Signal(object)
    sig_closed = Signal()

    def __init__(self, session: FormSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = IndexModel(session, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        layout.addWidget(self.title)
        self.tree = IndexTree()
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setItemDelegate(_CutLabels(self.tree))
        self.tree.activated.connect(self._activated)
        self.tree.doubleClicked.connect(self._activated)
        self.tree.sig_escape_pressed.connect(self.sig_closed.emit)
        layout.addWidget(self.tree, 1)
        self.legend = QLabel()
        self.legend.setObjectName("questionHint")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend)
        layout.addLayout(legend_row)
        self.model.modelReset.connect(self.expand_groups)
        # After the first page is on screen: on a large form expanding costs tens of
        # milliseconds that need not add to the opening stall.
        QTimer.singleShot(0, self.expand_groups)
        self.retranslate()

    def _activated(self, index: QModelIndex) -> None:
        node = index.data(NODE_ROLE)
        if node is not None:
            self.sig_node_chosen.emit(node)

    def expand_groups(self) -> None:
        """Groups open, so that questions show; very large forms open the top level only."""
        if not shiboken6.isValid(self.tree):
            return  # the view was closed before the deferred call ran
        if sum(1 for _ in self.session.root.iter()) > 600:
            self.tree.expandToDepth(0)
        else:
            self.tree.expandAll()

    def show_node(self, node: Node) -> None:
        index = self.model.index_of(node)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def focus_tree(self) -> None:
        self.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.tree.currentIndex().isValid():
            self.tree.setCurrentIndex(self.model.index(0, 0))

    def retranslate(self) -> None:
        self.title.setText(_("Index (Ctrl+I)"))
        parts = []
        for status in Status:  # every mark the index uses, drawn as it draws them
            mark = "○" if status is Status.UNANSWERED else "●"
            dot = f'<span style="color:{COLOURS[status]}">{mark}</span>'
            # Lines break between items only: "Required," on one line and "unanswered"
            # on the next read as two statuses.
            words = _escape(status_text(status)).split()
            parts.append(f"{dot}&nbsp;{'&nbsp;'.join(words)}")
        self.legend.setText(" &nbsp; ".join(parts))
        self.model.everything_changed()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
