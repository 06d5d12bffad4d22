"""Generate large synthetic XLSForms for benchmarks (not a test fixture of record)."""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Lao (lo)",
    "relevant",
    "calculation",
    "constraint",
    "constraint_message::English (en)",
    "repeat_count",
    "appearance",
]


def big_form_rows(
    questions: int = 1000,
    relevances: int = 300,
    calculations: int = 100,
    constraints: int = 50,
    repeat_instances: int = 20,
    repeat_questions: int = 25,
    seed: int = 7,
) -> list[dict[str, str]]:
    """Survey rows: groups of 50 questions, one repeat with `repeat_instances` instances."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    plain = questions - calculations - repeat_questions
    numeric: list[str] = []
    selects: list[str] = []
    relevance_left = relevances
    constraint_left = constraints
    made = 0
    group_index = 0
    while made < plain:
        group_index += 1
        rows.append(
            {
                "type": "begin group",
                "name": f"g{group_index}",
                "label::English (en)": f"Group {group_index}",
                "label::Lao (lo)": f"ໝວດ {group_index}",
            }
        )
        for _ in range(min(50, plain - made)):
            made += 1
            name = f"q{made}"
            kind = rng.choice(["integer", "integer", "select_one yn", "text", "decimal"])
            row = {
                "type": kind,
                "name": name,
                "label::English (en)": f"Question {made}",
                "label::Lao (lo)": f"ຄຳຖາມ {made}",
            }
            if relevance_left and (numeric or selects) and rng.random() < relevances / plain * 1.3:
                if selects and rng.random() < 0.5:
                    row["relevant"] = f"selected(${{{rng.choice(selects)}}}, 'yes')"
                elif numeric:
                    row["relevant"] = f"${{{rng.choice(numeric)}}} > {rng.randint(0, 50)}"
                else:
                    row["relevant"] = f"${{{rng.choice(selects)}}} = 'yes'"
                relevance_left -= 1
            if kind == "integer" and constraint_left:
                row["constraint"] = ". >= 0 and . <= 1000"
                row["constraint_message::English (en)"] = "0 to 1000"
                constraint_left -= 1
            if kind in ("integer", "decimal"):
                numeric.append(name)
            elif kind.startswith("select_one"):
                selects.append(name)
            rows.append(row)
        rows.append({"type": "end group"})
    # Remaining relevance expressions go on groups-of-one notes at the end if any are left.
    for index in range(calculations):
        a, b = rng.sample(numeric, 2)
        rows.append(
            {
                "type": "calculate",
                "name": f"calc{index + 1}",
                "calculation": f"coalesce(${{{a}}}, 0) + coalesce(${{{b}}}, 0)",
            }
        )
    rows.append(
        {
            "type": "begin repeat",
            "name": "members",
            "label::English (en)": "Members",
            "label::Lao (lo)": "ສະມາຊິກ",
            "repeat_count": str(repeat_instances),
        }
    )
    for index in range(repeat_questions):
        name = f"m{index + 1}"
        row = {
            "type": "integer",
            "name": name,
            "label::English (en)": f"Member question {index + 1}",
            "label::Lao (lo)": f"ຄຳຖາມສະມາຊິກ {index + 1}",
        }
        if index and relevance_left:
            row["relevant"] = f"${{m{index}}} > 2"
            relevance_left -= 1
        rows.append(row)
    rows.append({"type": "end repeat"})
    rows.append({"type": "calculate", "name": "member_total", "calculation": "sum(${m1})"})
    # Any relevance still owed goes on notes that read an early question.
    for index in range(relevance_left):
        rows.append(
            {
                "type": "note",
                "name": f"n{index + 1}",
                "label::English (en)": "Note",
                "label::Lao (lo)": "ໝາຍເຫດ",
                "relevant": f"${{{numeric[index % len(numeric)]}}} > 10",
            }
        )
    return rows


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for row in rows:
        survey.append([row.get(column, "") for column in SURVEY_HEADER])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Lao (lo)"])
    choices.append(["yn", "yes", "Yes", "ແມ່ນ"])
    choices.append(["yn", "no", "No", "ບໍ່ແມ່ນ"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "form_title", "version", "default_language"])
    settings.append(["bench_big", "Benchmark form", "1", "English (en)"])
    book.save(path)
    return path
