"""Every UI string is in both catalogues, translated; switching language is immediate."""

from __future__ import annotations

from app.core.i18n import Translator, load_catalogue
from app.core.i18n_catalogue import extract_messages


def test_every_ui_string_has_a_lao_and_english_translation() -> None:
    messages = extract_messages()
    assert len(messages) >= 10  # the extractor really finds the UI strings
    lao = load_catalogue("lo")
    english = load_catalogue("en")
    missing_lao = sorted(m for m in messages if not lao.get(m))
    missing_english = sorted(m for m in messages if not english.get(m))
    assert missing_lao == [], f"untranslated into Lao: {missing_lao} (run build/i18n.py)"
    assert missing_english == [], f"missing from en.po: {missing_english}"


def test_lao_translations_are_written_in_lao_script() -> None:
    lao = load_catalogue("lo")
    for msgid, text in lao.items():
        if any(c.isalpha() for c in msgid):
            assert any("\u0e80" <= c <= "\u0eff" for c in text), (
                f"{msgid!r} → {text!r} has no Lao letters"
            )


def test_placeholders_survive_translation() -> None:
    lao = load_catalogue("lo")
    for msgid, text in lao.items():
        for placeholder in ("{folder}", "{count}", "{name}"):
            assert (placeholder in msgid) == (placeholder in text), msgid


def test_switching_language_notifies_and_translates() -> None:
    translator = Translator()
    seen: list[str] = []
    translator.on_change(seen.append)
    assert translator.gettext("Questions") == "Questions"
    translator.set_language("lo")
    assert translator.gettext("Questions") == "ຄຳຖາມ"
    assert translator.gettext("a string nobody translated") == "a string nobody translated"
    assert seen == ["lo"]
