"""A first window: the forms in the study folder with their titles and question counts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import FormError, FormErrors
from app.core.i18n import LANGUAGES, _, translator
from app.engine.loader import load_form
from app.study.forms import instrument_files


class FormsWindow(QMainWindow):
    def __init__(self, forms_dir: Path) -> None:
        super().__init__()
        self.forms_dir = forms_dir
        central = QWidget()
        layout = QVBoxLayout(central)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.language_box = QComboBox()
        for code, name in LANGUAGES.items():
            self.language_box.addItem(name, code)
        self.language_box.setCurrentIndex(list(LANGUAGES).index(translator.language))
        self.language_box.currentIndexChanged.connect(self._language_chosen)
        top.addWidget(self.heading, 1)
        top.addWidget(self.language_box)
        layout.addLayout(top)
        self.table = QTableWidget(0, 3)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        self.setCentralWidget(central)
        self.rows = self._load_rows()
        self.retranslate()

    def _load_rows(self) -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        for path in instrument_files(self.forms_dir):
            try:
                form = load_form(path)
            except (FormError, FormErrors) as error:
                rows.append((path.name, str(error).splitlines()[0], ""))
                continue
            rows.append((path.name, form.formdef.title, str(form.formdef.count_questions())))
        return rows

    def _language_chosen(self, index: int) -> None:
        translator.set_language(self.language_box.itemData(index))
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Samluat — forms"))
        self.heading.setText(_("Forms in {folder}").format(folder=self.forms_dir))
        self.table.setHorizontalHeaderLabels([_("File"), _("Title"), _("Questions")])
        self.table.setRowCount(len(self.rows))
        for row, values in enumerate(self.rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
