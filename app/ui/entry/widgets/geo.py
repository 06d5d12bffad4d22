"""Geopoints typed as coordinates (a laptop has no GPS); traces and shapes as point lists."""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from app.core.i18n import _
from app.engine.model import Kind
from app.ui.entry.widgets.base import QuestionWidget
from app.ui.entry.widgets.text import LineEdit

FIELDS = ("latitude", "longitude", "altitude", "accuracy")


class GeoPointWidget(QuestionWidget):
    """Latitude and longitude (altitude and accuracy optional), answered when both are there."""

    def build(self) -> None:
        grid = QGridLayout()
        self.edits: list[QLineEdit] = []
        self.captions: list[QLabel] = []
        limits = ((-90, 90), (-180, 180), (-100000, 100000), (0, 100000))
        for index, (low, high) in enumerate(limits):
            caption = QLabel()
            edit = LineEdit(self)
            validator = QDoubleValidator(low, high, 8, edit)
            validator.setNotation(QDoubleValidator.Notation.StandardNotation)
            validator.setLocale(QLocale.c())  # a dot, whatever the system's language
            edit.setValidator(validator)
            edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("0") * 16)
            edit.textEdited.connect(self._typed)
            grid.addWidget(caption, 0, index)
            grid.addWidget(edit, 1, index)
            self.edits.append(edit)
            self.captions.append(caption)
        grid.setColumnStretch(4, 1)
        self.body.addLayout(grid)
        self._incomplete = False

    def _typed(self, *_args: object) -> None:
        parts = [e.text().strip() for e in self.edits]
        if not any(parts):
            self._incomplete = False
            self.submit(None)
        elif parts[0] and parts[1] and all(_is_number(p) for p in parts if p):
            self._incomplete = False
            point = [p for p in parts[:2]] + [p or "0" for p in parts[2:]]
            self.submit(" ".join(point))
        else:
            self._incomplete = True
        self.refresh_message()

    def pending_message(self) -> str | None:
        return _("Type both latitude and longitude.") if self._incomplete else None

    def show_value(self, value: str) -> None:
        parts = value.split()
        current = [e.text().strip() for e in self.edits]
        if (
            parts
            and all(
                _is_number(c) and float(c) == float(p)
                for c, p in zip(current, parts, strict=False)
                if c
            )
            and current[0]
            and current[1]
        ):
            return
        for index, edit in enumerate(self.edits):
            text = parts[index] if index < len(parts) else ""
            edit.setText("" if index >= 2 and text in ("0", "") else text)

    def retranslate_choices(self) -> None:
        names = (
            _("Latitude"),
            _("Longitude"),
            _("Altitude (m, optional)"),
            _("Accuracy (m, optional)"),
        )
        for caption, name in zip(self.captions, names, strict=True):
            caption.setText(name)
        self.edits[0].setPlaceholderText("17.9757")
        self.edits[1].setPlaceholderText("102.6331")

    def editors(self) -> list[QWidget]:
        return list(self.edits)

    def set_editable(self, editable: bool) -> None:
        for edit in self.edits:
            edit.setReadOnly(not editable)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class GeoListWidget(QuestionWidget):
    """geotrace / geoshape: one point per line, "latitude longitude"."""

    def build(self) -> None:
        from app.ui.entry.widgets.text import NoteEdit  # a note area with Ctrl+Enter

        self.edit = NoteEdit(self)  # type: ignore[arg-type]
        self.edit.setTabChangesFocus(True)
        self.edit.setMaximumHeight(self.edit.fontMetrics().lineSpacing() * 8)
        self.edit.textChanged.connect(self._typed)
        self.body.addWidget(self.edit)
        self._incomplete = False

    def commit(self) -> None:
        self._typed()

    def _typed(self) -> None:
        if self._updating:
            return
        lines = [line.strip() for line in self.edit.toPlainText().splitlines() if line.strip()]
        self._incomplete = bool(lines) and not all(
            2 <= len(line.split()) <= 4 and all(_is_number(c) for c in line.split())
            for line in lines
        )
        if not lines:
            self.submit(None)
        elif not self._incomplete:
            self.submit(";".join(lines))
        self.refresh_message()

    def pending_message(self) -> str | None:
        if getattr(self, "_incomplete", False):
            return _("Each line needs a latitude and a longitude.")
        return None

    def show_value(self, value: str) -> None:
        text = "\n".join(p.strip() for p in value.split(";") if p.strip())
        current = ";".join(
            line.strip() for line in self.edit.toPlainText().splitlines() if line.strip()
        )
        if current != value and not (self.edit.hasFocus() and not value):
            self.edit.setPlainText(text)

    def retranslate_choices(self) -> None:
        kind = self.question.kind
        self.edit.setPlaceholderText(
            _("One point per line: latitude longitude")
            + ("\n" + _("At least 3 points") if kind is Kind.GEOSHAPE else "")
        )

    def editors(self) -> list[QWidget]:
        return [self.edit]
