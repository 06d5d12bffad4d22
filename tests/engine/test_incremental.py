"""The incremental recompute must always agree with evaluating the whole form again.

Hypothesis drives random sequences of answers and repeat operations; after
each step, a session rebuilt from the snapshot (which re-evaluates every
vertex from scratch) must show the same values, relevance, required,
read-only, validity and filtered choices on every node.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.checker import SnapshotChecker
from app.engine.compiled import CompiledForm
from app.engine.loader import load_form
from app.engine.session import FormSession
from tests.engine.formtools import write_form

FORM = """
| survey |
| | type | name | label | relevant | calculation | constraint | required | readonly | choice_filter | repeat_count |
| | integer | n | N | | | . < 50 | | | | |
| | select_one region | region | Region | | | | yes | | | |
| | select_one district | district | District | ${region} != '' | | | | | region = ${region} | |
| | calculate | twice | | | ${n} * 2 | | | | | |
| | begin group | g | G | ${twice} > 10 | | | | | | |
| | integer | gx | GX | | | . != ${n} | ${n} > 20 | | | |
| | calculate | gsum | | | ${gx} + ${twice} | | | | | |
| | end group | | | | | | | | | |
| | begin repeat | r | R | | | | | | | |
| | integer | a | A | | | . > ${n} | | | | |
| | calculate | b | | | ${a} + ${gx} | | | | | |
| | integer | c | C | ${b} > 5 | | | | ${n} = 7 | | |
| | calculate | pos | | | position(..) | | | | | |
| | end repeat | | | | | | | | | |
| | calculate | total | | | sum(${b}) | | | | | |
| | calculate | cnt | | | count(${r}) | | | | | |
| | begin repeat | k | K | | | | | | | ${n} mod 4 |
| | integer | ka | KA | ${cnt} > 1 | | | | | | |
| | calculate | kb | | | concat(${ka}, '-', ${total}, '-', position(..)) | | | | | |
| | end repeat | | | | | | | | | |
| choices |
| | list_name | name | label | region |
| | region | n | North | |
| | region | s | South | |
| | district | n1 | N1 | n |
| | district | n2 | N2 | n |
| | district | s1 | S1 | s |
"""


def state(session: FormSession) -> list[tuple[object, ...]]:
    return [
        (session.ref(n), n.value, n.relevant, n.required, n.readonly, n.constraint_ok, n.choices)
        for n in session.root.iter()
    ]


_form_cache: dict[str, CompiledForm] = {}


def compiled(tmp_path_factory_dir: Path) -> CompiledForm:
    if "form" not in _form_cache:
        _form_cache["form"] = load_form(write_form(tmp_path_factory_dir, FORM), use_cache=False)
    return _form_cache["form"]


_checkers: dict[int, SnapshotChecker] = {}


def checker(form: CompiledForm) -> SnapshotChecker:
    if id(form) not in _checkers:
        _checkers[id(form)] = SnapshotChecker(form)
    return _checkers[id(form)]


operation = st.one_of(
    st.tuples(st.just("n"), st.integers(-3, 60)),
    st.tuples(st.just("region"), st.sampled_from(["n", "s", None])),
    st.tuples(st.just("district"), st.sampled_from(["n1", "n2", "s1", None])),
    st.tuples(st.just("gx"), st.integers(0, 30)),
    st.tuples(st.just("a"), st.integers(0, 3), st.integers(-5, 70)),
    st.tuples(st.just("c"), st.integers(0, 3), st.integers(0, 9)),
    st.tuples(st.just("ka"), st.integers(0, 3), st.integers(0, 9)),
    st.tuples(st.just("add"), st.integers(0, 3)),
    st.tuples(st.just("remove"), st.integers(0, 3)),
    st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 3)),
)


def apply(session: FormSession, op: tuple[object, ...]) -> None:
    kind = op[0]
    instances = session.repeat_instances(session.root, "r")
    if kind in ("n", "region", "district", "gx"):
        node = session.node(str(kind))
        if not node.readonly:
            session.set_value(node, op[1])
    elif kind in ("a", "c"):
        if instances:
            node = instances[int(op[1]) % len(instances)].child(str(kind))
            assert node is not None
            if not node.readonly:
                session.set_value(node, op[2])
    elif kind == "ka":
        k_instances = session.repeat_instances(session.root, "k")
        if k_instances:
            node = k_instances[int(op[1]) % len(k_instances)].child("ka")
            assert node is not None
            session.set_value(node, op[2])
    elif kind == "add":
        after = instances[int(op[1]) % len(instances)] if instances else None
        session.add_repeat(session.root, "r", after=after)
    elif kind == "remove" and instances:
        session.remove_repeat(instances[int(op[1]) % len(instances)])
    elif kind == "move" and instances:
        session.move_repeat(instances[int(op[1]) % len(instances)], int(op[2]) % len(instances))


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_incremental_equals_full_evaluation(tmp_path: Path, ops: list[tuple[object, ...]]) -> None:
    form = compiled(tmp_path)
    session = FormSession(form)
    for op in ops:
        apply(session, op)
        rebuilt = FormSession.restore(form, session.snapshot())
        assert state(rebuilt) == state(session), op
        # The bulk check (which skips choice filters, read-only and labels) finds the
        # same problems as the full session.
        checked = FormSession.check_snapshot(form, session.snapshot())
        assert [(p.ref, p.kind) for p in checked] == [(p.ref, p.kind) for p in session.problems()]
        # So does a checker that reuses one tree for every snapshot (of every example).
        reused = checker(form).problems(session.snapshot())
        assert [(p.ref, p.kind, p.message) for p in reused] == [
            (p.ref, p.kind, p.message) for p in checked
        ]
