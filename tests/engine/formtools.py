"""Small helpers to write XLSForms as markdown tables inside tests."""

from __future__ import annotations

from pathlib import Path

from app.engine.compiled import CompiledForm
from app.engine.loader import load_form


def md_table(sheet: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [f"| {sheet} |", "| | " + " | ".join(header) + " |"]
    for row in rows:
        cells = [cell.replace("|", "\\|") for cell in row]
        lines.append("| | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_form(
    folder: Path,
    survey: str,
    choices: str = "",
    settings: str = "",
    name: str = "form.md",
) -> Path:
    """Write an .md XLSForm from already formatted sheet tables."""
    text = "\n".join(part.strip("\n") for part in (survey, choices, settings) if part) + "\n"
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def compile_md(folder: Path, survey: str, choices: str = "", settings: str = "") -> CompiledForm:
    return load_form(write_form(folder, survey, choices, settings), use_cache=False)
