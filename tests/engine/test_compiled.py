"""Load-time checks the compiler makes: unknown functions, arity, paths, cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import FormError, FormErrors
from tests.engine.formtools import compile_md


def errors_of(tmp_path: Path, survey: str) -> list[str]:
    with pytest.raises((FormError, FormErrors)) as caught:
        compile_md(tmp_path, survey)
    error = caught.value
    return [str(e) for e in error.errors] if isinstance(error, FormErrors) else [str(error)]


def test_a_calculation_cycle_names_the_fields(tmp_path: Path) -> None:
    messages = errors_of(
        tmp_path,
        """
| survey |
| | type | name | label | calculation |
| | integer | start | Start | |
| | calculate | a | | ${b} + 1 |
| | calculate | b | | ${c} + 1 |
| | calculate | c | | ${a} + ${start} |
""",
    )
    assert len(messages) == 1
    assert "form.md:survey:" in messages[0]
    assert "circular logic" in messages[0]
    for name in ("a (value)", "b (value)", "c (value)"):
        assert name in messages[0]
    assert "start" not in messages[0]


def test_a_relevance_cycle_through_a_group_is_found(tmp_path: Path) -> None:
    messages = errors_of(
        tmp_path,
        """
| survey |
| | type | name | label | relevant | calculation |
| | begin group | g | G | ${x} = 1 | |
| | calculate | x | | | if(${y} = '', 1, 0) |
| | end group | | | | |
| | text | y | Y | ${x} = 1 | |
""",
    )
    assert "circular logic" in messages[0]
    assert "x (value)" in messages[0]


def test_a_calculation_or_relevance_reading_its_own_field_is_circular(tmp_path: Path) -> None:
    """ODK refuses these as cycles. Accepted, the calculation never settled and a question
    relevant only once answered lost its answer for good."""
    messages = errors_of(
        tmp_path,
        """
| survey |
| | type | name | label | calculation | relevant | constraint |
| | integer | n | N | | | . > 0 |
| | calculate | total | | ${total} + ${n} | | |
| | text | comment | Comment | | ${comment} != '' | |
| | begin repeat | r | R | | | |
| | calculate | pos | | position(..) | | |
| | end repeat | | | | | |
""",
    )
    assert [m.rpartition("/")[2] for m in messages] == [
        "form.md:survey:3: circular logic: the calculation of ${total} refers to ${total} itself",
        "form.md:survey:4: circular logic: the relevance of ${comment} refers to ${comment} itself",
    ]  # a constraint on `.` and position(..) in a repeat are no cycle


def test_unknown_function_and_wrong_arity_give_row_and_column(tmp_path: Path) -> None:
    messages = errors_of(
        tmp_path,
        """
| survey |
| | type | name | label | relevant | constraint |
| | integer | a | A | | |
| | integer | b | B | frobnicate(${a}) | |
| | integer | c | C | | substr(.) |
""",
    )
    assert any(
        "form.md:survey:3:relevant:" in m and "unknown function frobnicate()" in m for m in messages
    )
    assert any(
        "form.md:survey:4:constraint:" in m and "substr() takes 2 to 3 arguments, not 1" in m
        for m in messages
    )


def test_paths_to_missing_fields_are_load_errors(tmp_path: Path) -> None:
    messages = errors_of(
        tmp_path,
        """
| survey |
| | type | name | label | relevant |
| | integer | a | A | |
| | integer | b | B | /data/nothere > 1 |
""",
    )
    assert any("form.md:survey:3:relevant:" in m and "nothere" in m for m in messages)


def test_self_reference_in_constraint_is_not_a_cycle(tmp_path: Path) -> None:
    form = compile_md(
        tmp_path,
        """
| survey |
| | type | name | label | constraint | relevant |
| | integer | a | A | . > 0 and ${a} < 10 | |
| | integer | b | B | | ${a} > 1 |
""",
    )
    assert form.by_name["a"][0].constraint is not None
