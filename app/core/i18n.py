"""UI text in Lao and English from gettext catalogues, switched at run time.

The catalogues are `resources/i18n/<lang>.po` (Babel reads them directly, so
there is no compiled `.mo` to keep in step). Source strings are English;
`en.po` exists so that tests can check every string is in both catalogues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from babel.messages.pofile import read_po

from app.core import paths

log = logging.getLogger(__name__)

LANGUAGES: dict[str, str] = {"en": "English", "lo": "ພາສາລາວ"}
DEFAULT_LANGUAGE = "en"


def catalogue_path(lang: str) -> Path:
    return paths.resources_dir() / "i18n" / f"{lang}.po"


def load_catalogue(lang: str) -> dict[str, str]:
    """msgid → translated text for one language (untranslated entries are left out)."""
    path = catalogue_path(lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.string, str) and message.string
    }


class Translator:
    """Holds the current UI language; `gettext` falls back to the English source text."""

    def __init__(self) -> None:
        self._language = DEFAULT_LANGUAGE
        self._catalogues: dict[str, dict[str, str]] = {}
        self._listeners: list[Callable[[str], None]] = []

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown UI language {lang!r}; known: {', '.join(LANGUAGES)}")
        self._language = lang
        for listener in list(self._listeners):
            listener(lang)

    def on_change(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def gettext(self, message: str) -> str:
        catalogue = self._catalogues.get(self._language)
        if catalogue is None:
            try:
                catalogue = load_catalogue(self._language)
            except OSError:
                log.exception("cannot read the %s catalogue", self._language)
                catalogue = {}
            self._catalogues[self._language] = catalogue
        return catalogue.get(message, message)


translator = Translator()


def _(message: str) -> str:
    """Translate a UI string into the current language."""
    return translator.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message
