"""Keep the shared choice lists of every instrument identical to their one source.

The study's shared lists (clusters, institutions, provinces, the agreement
scale, pillars, elements, …) are written once, in the file named by
``[choices] file`` of the study configuration. Each instrument needs its own
copy in its `choices` sheet (an XLSForm is self-contained), so this module
rewrites that sheet: the instrument's local lists first, as they are, then a
copy of every shared list its survey sheet uses (``select_one``,
``select_multiple`` or ``rank`` of that list), in source order.

Run ``python -m app.study.choices`` after editing the source, or with
``--check`` to only report instruments whose copies differ (exit status 1).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import SamluatError
from app.study.config import StudyConfig, load_study
from app.study.mdtable import MarkdownTableError, Sheet, format_sheet, parse_sheets, read_sheets

CHOICES_SHEET = "choices"
SURVEY_SHEET = "survey"
LIST_COLUMNS = ("list_name", "list name")
SELECT_TYPES = ("select_one", "select_multiple", "rank")


class SharedChoicesError(SamluatError):
    """The shared choice lists or an instrument's choices sheet cannot be used."""


@dataclass(frozen=True)
class SharedLists:
    """The shared lists, in source order: list name → its rows (column → value)."""

    path: Path
    header: tuple[str, ...]
    lists: Mapping[str, tuple[Mapping[str, str], ...]]

    def names(self) -> tuple[str, ...]:
        return tuple(self.lists)


def _list_column(sheet: Sheet, source: Path) -> str:
    for column in LIST_COLUMNS:
        if column in sheet.header:
            return column
    raise SharedChoicesError(f"{source}:{sheet.header_line}: choices sheet has no list_name column")


def _group_rows(sheet: Sheet, source: Path) -> dict[str, list[dict[str, str]]]:
    column = _list_column(sheet, source)
    lists: dict[str, list[dict[str, str]]] = {}
    for row in sheet.rows:
        name = row.get(column)
        if not name:
            raise SharedChoicesError(f"{source}:{row.line}: choice row without a list name")
        record = {("list_name" if k == column else k): v for k, v in row.cells.items()}
        lists.setdefault(name, []).append(record)
    return lists


def read_shared(config: StudyConfig) -> SharedLists:
    """Read the study's shared choice lists."""
    path = config.choices.file
    try:
        sheets = read_sheets(path)
    except OSError as exc:
        raise SharedChoicesError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except MarkdownTableError as exc:
        raise SharedChoicesError(str(exc)) from exc
    sheet = sheets.get(CHOICES_SHEET)
    if sheet is None:
        raise SharedChoicesError(f"{path}: no '{CHOICES_SHEET}' sheet")
    lists = _group_rows(sheet, path)
    header = tuple("list_name" if c in LIST_COLUMNS else c for c in sheet.header if c)
    return SharedLists(path, header, {k: tuple(v) for k, v in lists.items()})


def used_lists(survey: Sheet) -> list[str]:
    """Choice lists named by the survey sheet's select types, in order of first use."""
    seen: list[str] = []
    for row in survey.rows:
        words = row.get("type").split()
        if len(words) >= 2 and words[0] in SELECT_TYPES and words[1] not in seen:
            seen.append(words[1])
    return seen


def synced_text(path: Path, shared: SharedLists) -> str:
    """The text `path` should have: its choices sheet rebuilt with current shared lists."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SharedChoicesError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    sheets = parse_sheets(text, source=str(path))
    survey = sheets.get(SURVEY_SHEET)
    if survey is None:
        raise SharedChoicesError(f"{path}: no '{SURVEY_SHEET}' sheet")
    wanted = [name for name in used_lists(survey) if name in shared.lists]
    existing = sheets.get(CHOICES_SHEET)
    local: dict[str, list[dict[str, str]]] = {}
    local_header: tuple[str, ...] = ()
    if existing is not None and existing.rows:
        local = {
            name: rows
            for name, rows in _group_rows(existing, path).items()
            if name not in shared.lists
        }
        local_header = tuple("list_name" if c in LIST_COLUMNS else c for c in existing.header if c)

    records: list[dict[str, str]] = []
    for name, rows in local.items():
        records.extend(_titled(rows, f"{name} (local list)"))
    source = Path(os.path.relpath(shared.path, path.parent)).as_posix()
    for name in wanted:
        records.extend(
            _titled(
                [dict(r) for r in shared.lists[name]],
                f"{name} (shared list, copied from {source}: edit it there)",
            )
        )
    if not records:
        return text
    header = _header(shared.header, local_header, records)
    block = format_sheet(
        CHOICES_SHEET,
        header,
        records,
        comments=[
            "Local lists first, then shared lists generated by `python -m app.study.choices`.",
        ],
    )

    lines = text.split("\n")
    if existing is None:
        settings = sheets.get("settings")
        at = settings.first_line - 1 if settings is not None else len(lines)
        new_lines = [*lines[:at], *block, "", *lines[at:]]
    else:
        new_lines = [*lines[: existing.first_line - 1], *block, *lines[existing.last_line :]]
    result = "\n".join(new_lines)
    return result if result.endswith("\n") else result + "\n"


def _titled(rows: list[dict[str, str]], title: str) -> list[dict[str, str]]:
    if rows:
        rows = [dict(rows[0], **{"": title}), *rows[1:]]
    return rows


def _header(
    shared: Sequence[str], local: Sequence[str], records: Sequence[Mapping[str, str]]
) -> list[str]:
    """Columns in source order, then local ones; only those some record fills (and the keys)."""
    filled = {key for record in records for key, value in record.items() if key and value}
    header: list[str] = []
    for column in [*shared, *local]:
        if column not in header and (column in ("list_name", "name") or column in filled):
            header.append(column)
    return header


def instrument_paths(config: StudyConfig) -> list[Path]:
    return [instrument.file for instrument in config.instruments]


def check(config: StudyConfig) -> list[Path]:
    """Instruments whose choices sheet differs from what `sync` would write."""
    shared = read_shared(config)
    return [
        path
        for path in instrument_paths(config)
        if synced_text(path, shared) != path.read_text(encoding="utf-8")
    ]


def sync(config: StudyConfig) -> list[Path]:
    """Rewrite the choices sheet of every instrument that differs; returns those rewritten."""
    shared = read_shared(config)
    changed: list[Path] = []
    for path in instrument_paths(config):
        new = synced_text(path, shared)
        if new != path.read_text(encoding="utf-8"):
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: copy shared lists into the instruments (or `--check` them)."""
    parser = argparse.ArgumentParser(prog="python -m app.study.choices", description=__doc__)
    parser.add_argument("--study", type=Path, default=None, help="study.toml (default: forms/)")
    parser.add_argument("--check", action="store_true", help="report differences, change nothing")
    args = parser.parse_args(argv)
    try:
        config = load_study(args.study)
        paths = check(config) if args.check else sync(config)
    except SamluatError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    verb = "out of date" if args.check else "updated"
    for path in paths:
        sys.stdout.write(f"{verb}: {path}\n")
    if not paths:
        sys.stdout.write("shared choice lists are identical in every instrument\n")
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    raise SystemExit(main())
