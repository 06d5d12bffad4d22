"""A checker that reuses one instance tree gives, snapshot after snapshot, exactly
the verdicts of a fresh session (`FormSession.check_snapshot`)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from app.engine.checker import SnapshotChecker
from app.engine.loader import load_form
from app.engine.session import FormSession
from app.engine.synthetic import generate
from app.study.forms import instrument_files

FORMS = Path(__file__).resolve().parents[2] / "forms"


def leaves(data: dict[str, Any], out: list[tuple[dict[str, Any], str]]) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            leaves(value, out)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    leaves(item, out)
        else:
            out.append((data, key))


def variants(snapshot: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The snapshot, with answers blanked, swapped or left out, with repeats cut or doubled."""
    out = [snapshot]
    for _ in range(3):
        changed = copy.deepcopy(snapshot)
        found: list[tuple[dict[str, Any], str]] = []
        leaves(changed, found)
        values = [parent[key] for parent, key in found]
        for parent, key in rng.sample(found, min(len(found), rng.randint(1, 8))):
            choice = rng.choice(["", rng.choice(values), "999", "x", None])
            if choice is None:
                del parent[key]  # a snapshot without the field: empty
            else:
                parent[key] = choice
        stack = [changed]
        while stack:  # repeats: fewer or more instances
            node = stack.pop()
            for key, value in node.items():
                if isinstance(value, list) and value and rng.random() < 0.5:
                    node[key] = value[: rng.randint(0, len(value))] or value + value
                if isinstance(value, dict):
                    stack.append(value)
        out.append(changed)
    return out


@pytest.mark.parametrize("path", instrument_files(FORMS), ids=lambda p: p.stem)
def test_reused_tree_gives_the_verdicts_of_a_fresh_session(path: Path) -> None:
    form = load_form(path)
    rng = random.Random(11)
    snapshots = [
        variant
        for session in generate(form, count=12, seed=3)
        for variant in variants(session.snapshot(), rng)
    ]
    rng.shuffle(snapshots)
    checker = SnapshotChecker(form)
    refused = 0
    for snapshot in snapshots:
        fresh = FormSession.check_snapshot(form, snapshot, instance_id="uuid:x")
        reused = checker.problems(snapshot, instance_id="uuid:x")
        assert [(p.ref, p.kind, p.message) for p in reused] == [
            (p.ref, p.kind, p.message) for p in fresh
        ]
        refused += bool(fresh)
    # Both kinds of verdict were compared, many times.
    assert 5 <= refused <= len(snapshots) - 12


def test_expression_failures_are_reported_and_forgotten_with_the_snapshot(tmp_path: Path) -> None:
    from tests.engine.formtools import compile_md

    form = compile_md(
        tmp_path,
        """
| survey |
| | type | name | label | constraint |
| | text | a | A | regex(., ${p}) |
| | text | p | P | |
| | integer | n | N | . > 1 |
""",
    )
    checker = SnapshotChecker(form)
    snapshots = [
        {"a": "x", "p": "(", "n": "0"},  # an invalid pattern: an error, then the constraint
        {"a": "x", "p": "x", "n": "5"},  # fine: the earlier error is not carried over
        {"a": "x", "p": "[", "n": "0"},
        {"a": "", "p": "(", "n": "7"},  # no answer: the failing constraint is not evaluated
    ]
    seen = []
    for snapshot in snapshots:
        fresh = FormSession.check_snapshot(form, snapshot)
        reused = checker.problems(snapshot)
        assert [(p.ref, p.kind, p.message) for p in reused] == [
            (p.ref, p.kind, p.message) for p in fresh
        ]
        seen.append([p.kind for p in reused])
    assert seen == [
        ["error", "constraint", "constraint"],
        [],
        ["error", "constraint", "constraint"],
        [],
    ]
