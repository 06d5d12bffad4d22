"""An error line that appears in an open dialog makes room for itself.

The dialog kept its size when "Please give the reason for this change." appeared
under the reason field: the explanation above was squeezed and lost its last line,
in Lao the question itself ("why does it need to change?").
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.ui.filling.dialogs import EditReasonDialog, ReasonDialog, ReturnDialog


def _whole(label: QLabel) -> bool:
    return label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("language", ["en", "lo"])
@pytest.mark.parametrize("kind", [EditReasonDialog, ReturnDialog])
def test_the_reason_error_does_not_squeeze_the_explanation(
    qtbot: QtBot, language: str, kind: type[ReasonDialog]
) -> None:
    translator.set_language(language)
    dialog = kind()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(50)
    assert _whole(dialog.text)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # nothing typed: the error line
    qtbot.wait(50)
    assert dialog.error.isVisible() and dialog.isVisible()
    assert _whole(dialog.text), "the explanation lost lines to the error message"
    assert _whole(dialog.error)
