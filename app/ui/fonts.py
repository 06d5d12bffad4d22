"""Make sure Lao text has a font: the bundled Noto Sans Lao, else a system one."""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase

from app.core import paths

log = logging.getLogger(__name__)

LAO_SAMPLE = "ສຳຫຼວດ"
PREFERRED_LAO_FAMILIES = ("Noto Sans Lao", "Noto Sans Lao UI", "Leelawadee UI", "Phetsarath OT")


def install_fonts() -> str | None:
    """Register bundled fonts and return the Lao-capable family to use (None if none)."""
    for font_file in sorted((paths.resources_dir() / "fonts").glob("*.ttf")):
        if QFontDatabase.addApplicationFont(str(font_file)) < 0:
            log.warning("could not load font %s", font_file)
    families = set(QFontDatabase.families())
    for family in PREFERRED_LAO_FAMILIES:
        if family in families:
            return family
    for family in sorted(families):
        if QFontDatabase.WritingSystem.Lao in QFontDatabase.writingSystems(family):
            return family
    log.error("no font with Lao glyphs found")
    return None


def ui_font(lao_family: str | None, point_size: float = 10.0) -> QFont:
    """The application font: a Latin UI face with the Lao family as fallback."""
    font = QFont()
    font.setPointSizeF(point_size)
    if lao_family:
        font.setFamilies(["Noto Sans", "DejaVu Sans", lao_family])
    return font
