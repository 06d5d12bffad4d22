"""Which form files make up a study folder."""

from __future__ import annotations

from pathlib import Path

from app.engine.loader import form_files
from app.study.config import STUDY_FILE, load_study


def instrument_files(folder: str | Path) -> list[Path]:
    """The instruments `study.toml` lists, in its order; without a study file, every
    form file in the folder (a plain folder of XLSForms works too)."""
    folder = Path(folder)
    study_file = folder / STUDY_FILE
    if study_file.is_file():
        return [instrument.file for instrument in load_study(study_file).instruments]
    return form_files(folder)
