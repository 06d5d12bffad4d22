"""The finalise check: every problem with a link to its question."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import _
from app.engine.session import FormSession, Problem
from app.ui.entry.qt_models import NODE_ROLE, ProblemListModel
from app.ui.widgets import size_for_screen


class SummaryDialog(QDialog):
    """Lists the problems; Enter or a double-click on one goes to that question.

    With no problems left it offers to finalise (`sig_finalise_confirmed`).
    """

    sig_problem_chosen = Signal(object)  # Node
    sig_finalise_confirmed = Signal()

    def __init__(self, session: FormSession, problems: list[Problem], parent: QWidget | None):
        super().__init__(parent)
        self.setObjectName("summaryDialog")
        self.session = session
        self.model = ProblemListModel(session, self)
        self.model.set_problems(problems)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setObjectName("questionLabel")
        layout.addWidget(self.heading)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.activated.connect(self._chosen)
        self.list.doubleClicked.connect(self._chosen)
        layout.addWidget(self.list, 1)
        self.buttons = QDialogButtonBox()
        self.go_button = QPushButton()
        self.finalise_button = QPushButton()
        self.close_button = QPushButton()
        self.buttons.addButton(self.go_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.finalise_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.go_button.clicked.connect(lambda: self._chosen(self.list.currentIndex()))
        self.finalise_button.clicked.connect(self._finalise)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        for button in (self.go_button, self.finalise_button, self.close_button):
            button.setAutoDefault(False)  # Enter in the list goes to the problem, nothing else
        size_for_screen(self, 720, 460)
        self.retranslate()
        if problems:
            self.list.setCurrentIndex(self.model.index(0, 0))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.problems:
            self.list.setFocus()
        else:
            self.finalise_button.setFocus()

    @property
    def problems(self) -> list[Problem]:
        return self.model.problems

    def retranslate(self) -> None:
        count = len(self.problems)
        self.setWindowTitle(_("Check before finalising"))
        if count:
            self.heading.setText(
                _("{count} question(s) need attention. Enter goes to the chosen one.").format(
                    count=count
                )
            )
        else:
            self.heading.setText(_("Every required question is answered. Finalise now?"))
        self.go_button.setText(_("Go to question"))
        self.finalise_button.setText(_("Finalise"))
        self.close_button.setText(_("Close"))
        self.go_button.setVisible(bool(count))
        self.list.setVisible(bool(count))
        self.finalise_button.setVisible(not count)

    def _chosen(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        node = index.data(NODE_ROLE)
        self.accept()
        self.sig_problem_chosen.emit(node)

    def _finalise(self) -> None:
        self.accept()
        self.sig_finalise_confirmed.emit()

    def choose_row(self, row: int) -> None:
        """Go to the problem in `row` (tests and keyboard)."""
        self._chosen(self.model.index(row, 0))


__all__ = ["Qt", "SummaryDialog"]
