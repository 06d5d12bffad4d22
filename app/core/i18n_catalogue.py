"""Keep the gettext catalogues in step with the code (used by `build/i18n.py` and tests).

Strings are found with Babel's extractor (`_()` and `N_()` calls in `app/`);
new ones are added to every catalogue, translations already made are kept.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from app.core import paths
from app.core.i18n import LANGUAGES, catalogue_path

KEYWORDS = {"_": None, "N_": None}
SOURCE_LANGUAGE = "en"


def extract_messages(source_dir: Path | None = None) -> dict[str, list[str]]:
    """msgid → ["file:line", …] for every UI string in the code."""
    source = source_dir or paths.project_root() / "app"
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(source), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, str):
            found.setdefault(message, []).append(f"app/{filename}:{lineno}")
    return found


def read_catalogue(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def update_catalogues() -> dict[str, list[str]]:
    """Add missing msgids to every catalogue; return, per language, the untranslated ones."""
    messages = extract_messages()
    untranslated: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        path = catalogue_path(lang)
        catalog = read_catalogue(lang) if path.exists() else Catalog(locale=lang, project="Samluat")
        for msgid, locations in sorted(messages.items()):
            where = [(f, int(n)) for f, n in (loc.rsplit(":", 1) for loc in locations)]
            existing = catalog.get(msgid)
            if existing is None:
                existing = catalog.add(msgid, "", locations=where)
            else:
                existing.locations = where
            if lang == SOURCE_LANGUAGE:
                existing.string = msgid  # the code's strings are the English text
        for message in list(catalog):
            if isinstance(message.id, str) and message.id and message.id not in messages:
                del catalog[message.id]  # strings no longer in the code
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)
        untranslated[lang] = [str(m.id) for m in catalog if m.id and not m.string]
    return untranslated
