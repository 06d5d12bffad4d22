"""Table columns that fit the width they are given, and that the user can hide.

A table whose columns are as wide as their texts scrolls sideways on a
narrow screen (1366×768 at 150 % zoom leaves the cases table about 550
pixels): the last columns are out of sight and nothing says they exist.
Instead the widest columns give way first, down to a floor, and their texts
are elided (the models show the whole text in a tooltip); only when even the
floors do not fit does the table scroll. The header's context menu hides and
shows columns, so a coordinator can keep the ones that matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView

from app.core.i18n import _


def fit_widths(natural: Sequence[int], available: int, floor: int) -> list[int]:
    """Widths for columns wanting `natural` widths in `available` pixels.

    When they all fit, each gets its natural width. Otherwise the widest are
    cut to one common width, the largest that makes the sum fit, but never
    below `floor` (a column narrower than that by nature keeps its width);
    the sum may then exceed `available` and the table scrolls.
    """
    if sum(natural) <= available:
        return list(natural)
    # Cut every column wider than `cap` to `cap`: find the largest cap that fits.
    rest = available
    cap = floor
    remaining = sorted(natural)
    for index, width in enumerate(remaining):
        share = rest // (len(remaining) - index)
        if width > share:
            cap = max(share, floor)
            break
        rest -= width
    return [min(width, cap) for width in natural]


class FittedColumns(QObject):
    """Keeps a table's visible columns within its viewport, one column taking the slack.

    `natural(column)` gives the width a column wants (its texts within a cap); the
    `whole` columns (short and read at a glance: a status, a date) are never cut;
    `on_hidden_changed` receives the keys of the hidden columns when the user
    hides or shows one from the header's menu.
    """

    def __init__(
        self,
        table: QTableView,
        keys: Sequence[str],
        *,
        stretch: str,
        whole: Sequence[str] = (),
        floor: int,
        titles: Callable[[], Sequence[str]],
        natural: Callable[[int], int],
        on_hidden_changed: Callable[[list[str]], None] = lambda _keys: None,
    ) -> None:
        super().__init__(table)
        self.table = table
        self.keys = list(keys)
        self._stretch = self.keys.index(stretch)
        self._whole = {self.keys.index(key) for key in whole}
        self._floor = floor
        self._titles = titles
        self._natural = natural
        self._on_hidden_changed = on_hidden_changed
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(floor)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        table.viewport().installEventFilter(self)

    def hidden(self) -> list[str]:
        header = self.table.horizontalHeader()
        return [key for column, key in enumerate(self.keys) if header.isSectionHidden(column)]

    def set_hidden(self, keys: Sequence[str]) -> None:
        """Hide the columns named in `keys` (unknown names are ignored), show the others;
        at least one column stays."""
        header = self.table.horizontalHeader()
        wanted = {key for key in keys if key in self.keys}
        if len(wanted) >= len(self.keys):
            wanted.discard(self.keys[0])
        for column, key in enumerate(self.keys):
            header.setSectionHidden(column, key in wanted)
        self.fit()

    def fit(self) -> None:
        """Give the visible columns their widths for the viewport's present width."""
        header = self.table.horizontalHeader()
        shown = [c for c in range(len(self.keys)) if not header.isSectionHidden(c)]
        if not shown:
            return
        wanted = {column: max(self._natural(column), self._floor) for column in shown}
        available = self.table.viewport().width()
        cut = [column for column in shown if column not in self._whole]
        room = available - sum(wanted[column] for column in shown if column in self._whole)
        if room < self._floor * len(cut):  # too narrow to keep them whole: all give way
            cut, room = shown, available
        widths = dict(wanted)
        widths.update(
            zip(cut, fit_widths([wanted[c] for c in cut], room, self._floor), strict=True)
        )
        slack = available - sum(widths.values())
        if slack > 0:  # room to spare: the stretching column (or the last one) takes it
            widths[self._stretch if self._stretch in shown else shown[-1]] += slack
        for column, width in widths.items():
            header.resizeSection(column, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and shiboken6.isValid(self.table):
            self.fit()  # (the viewport still resizes while its table is being destroyed)
        return False

    def _menu(self, position: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(header)
        menu.setToolTipsVisible(True)
        titles = self._titles()
        shown = len(self.keys) - len(self.hidden())
        for column, key in enumerate(self.keys):
            action = menu.addAction(titles[column])
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(header.isSectionHidden(column) or shown > 1)  # keep one
            action.toggled.connect(lambda on, k=key: self._toggle(k, on))
        menu.addSeparator()
        menu.addAction(_("Show all columns"), lambda: self._changed([]))
        menu.popup(header.mapToGlobal(position))

    def _toggle(self, key: str, shown: bool) -> None:
        hidden = [k for k in self.hidden() if k != key] + ([] if shown else [key])
        self._changed(hidden)

    def _changed(self, hidden: list[str]) -> None:
        self.set_hidden(hidden)
        self._on_hidden_changed(self.hidden())
