"""Qt models over the home screen's rows (`app.ui.home.cases`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from app.core.i18n import N_, _, translator
from app.core.times import when_text
from app.store.tables import ReviewOutcome
from app.ui.home.cases import CaseRow, pick

Index = QModelIndex | QPersistentModelIndex

STATUS_NAMES: dict[str, str] = {
    "draft": N_("Draft"),
    "editing": N_("Being edited"),
    "finalised": N_("Finalised"),
    "returned": N_("Returned for correction"),
    "approved": N_("Approved"),
    "conflict": N_("Conflict"),
    "pending": N_("Not started"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "refused": N_("Refused"),
    "cancelled": N_("Cancelled"),
}

REJECTED = ReviewOutcome.REJECTED.value
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def status_text(status: str) -> str:
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def returned_note(comment: str, reviewer: str) -> str:
    """The line an interviewer sees on a form returned to them."""
    return _("Returned by {name}: {comment}").format(name=reviewer, comment=comment)


class CaseTableModel(QAbstractTableModel):
    """Cases, one per row; texts in the current UI language."""

    COLUMNS = (
        ("form", N_("Form")),
        ("status", N_("Status")),
        ("institution", N_("Institution")),
        ("cluster", N_("Cluster")),
        ("province", N_("Province")),
        ("respondent", N_("Respondent")),
        ("interviewer", N_("Interviewer")),
        ("updated", N_("Last saved")),
    )

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CaseRow] = []

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1)
            )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return _(self.COLUMNS[section][1])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        key = self.COLUMNS[index.column()][0]
        if role == SORT_ROLE and key == "updated":
            return row.updated_at.isoformat() if row.updated_at else ""
        if role == Qt.ItemDataRole.ToolTipRole and key == "status" and row.review_comment:
            return f"{status_text(row.shown_status)}: {row.review_comment}"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE):
            return self._text(row, key)
        return None

    def _text(self, row: CaseRow, key: str) -> str:
        language = translator.language
        if key == "form":
            return pick(row.form_names, language, row.form_id)
        if key == "status":
            return status_text(row.shown_status)
        if key in ("institution", "cluster", "province"):
            coded = getattr(row, key)
            text: str = coded.text(language)
            return text
        if key == "respondent":
            return row.respondent
        if key == "interviewer":
            return row.interviewer
        return when_text(row.updated_at)


class CaseFilter(QSortFilterProxyModel):
    """Filters by status, institution, cluster, province, interviewer and free text.

    Free text matches any language's names (so Lao is searchable from the
    English UI), the respondent, the interviewer and the instance id.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.criteria: dict[str, str | None] = {
            "status": None,
            "institution": None,
            "cluster": None,
            "province": None,
            "interviewer": None,
        }
        self.text = ""

    def set_criterion(self, key: str, value: str | None) -> None:
        if key not in self.criteria:
            raise KeyError(key)
        self._refilter(lambda: self.criteria.__setitem__(key, value or None))

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "text", text.strip().casefold()))

    def _refilter(self, change: Callable[[], None]) -> None:
        # Qt 6.9 replaced invalidateRowsFilter() with begin/endFilterChange().
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, CaseTableModel):
            return True
        row = model.rows[source_row]
        wanted = self.criteria
        if wanted["status"] and row.shown_status != wanted["status"]:
            return False
        for key in ("institution", "cluster", "province"):
            if wanted[key] and getattr(row, key).code != wanted[key]:
                return False
        if wanted["interviewer"] and row.interviewer_id != wanted["interviewer"]:
            return False
        return not self.text or all(word in row.search_text for word in self.text.split())


class CaseListModel(QAbstractListModel):
    """A short list of cases (drafts to resume, recently finalised) as one line each."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CaseRow] = []

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def retranslate(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            language = translator.language
            parts = [pick(row.form_names, language, row.form_id)]
            where = row.institution.text(language) or row.province.text(language)
            if where:
                parts.append(where)
            if row.status == "editing":
                parts.append(status_text(row.status))
            if row.review == REJECTED:  # what to correct, also while the correction is a draft
                parts.append(row.review_comment)
            parts.append(when_text(row.updated_at))
            return " · ".join(p for p in parts if p)
        return None
