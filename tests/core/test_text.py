"""Lao line-break opportunities."""

from __future__ import annotations

from app.core.text import ZWSP, with_breaks, without_breaks

STATEMENT = "ອົງການຂອງຂ້າພະເຈົ້າແຈ້ງໃຫ້ປະຊາຊົນຮູ້ກ່ຽວກັບການນຳໃຊ້ຂໍ້ມູນສ່ວນບຸກຄົນ"


def test_lao_words_get_break_opportunities_and_nothing_else_changes() -> None:
    shown = with_breaks(STATEMENT)
    assert without_breaks(shown) == STATEMENT
    words = shown.split(ZWSP)
    assert len(words) >= 8
    # Breaks fall between words, never inside a syllable cluster (no word starts with a mark).
    assert all(not ("\u0eb1" <= w[0] <= "\u0ebc" or "\u0ec8" <= w[0] <= "\u0ecd") for w in words)
    assert "ຂ້າພະເຈົ້າ" in words and "ປະຊາຊົນ" in words


def test_text_without_lao_is_left_alone() -> None:
    assert with_breaks("Data security policy") == "Data security policy"
    assert with_breaks("BCEL ທະນາຄານ").startswith("BCEL ")
