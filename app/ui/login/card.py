"""A centred, width-limited column that scrolls when the window is small (150 % zoom)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from app.ui.language import LanguageBox
from app.ui.settings.store import SettingsStore
from app.ui.widgets import Heading, wrapping_label

CARD_WIDTH = 560


class CardPage(QScrollArea):
    """Title, intro text, then the caller's content, with the language switch on top."""

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        outer = QVBoxLayout(inner)
        top = QHBoxLayout()
        top.addStretch(1)
        self.language_box = LanguageBox(settings)
        top.addWidget(self.language_box)
        outer.addLayout(top)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = QFrame()
        self.card.setObjectName("card")
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        self.card.setMaximumWidth(CARD_WIDTH)
        self.body = QVBoxLayout(self.card)
        self.body.setContentsMargins(24, 20, 24, 20)
        self.body.setSpacing(10)
        self.title = Heading(scale=1.5)
        self.intro = wrapping_label()
        self.body.addWidget(self.title)
        self.body.addWidget(self.intro)
        row.addWidget(self.card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setWidget(inner)
