"""What the login window says for a data folder it cannot write, in English and Lao."""

from __future__ import annotations

from app.core.i18n import translator
from app.store import errors
from app.ui.messages import user_message


def test_a_read_only_database_is_not_called_damaged() -> None:
    error = errors.DatabaseReadOnlyError("The database /x/samluat.db cannot be opened: …")
    english = user_message(error)
    assert "read-only" in english and "Nothing is damaged" in english
    assert "restore" not in english
    translator.set_language("lo")
    try:
        lao = user_message(error)
    finally:
        translator.set_language("en")
    assert "ບໍ່ມີຫຍັງເສຍຫາຍ" in lao and "ຂຽນໃສ່ບໍ່ໄດ້" in lao
