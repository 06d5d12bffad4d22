"""Deterministic synthetic responses, driven by the engine itself.

Used for demos, benchmarks and end-to-end tests: `fill_session` walks the form
in order like an enumerator would, answering each relevant question with a
plausible value for its type, keeping a value only when the form's own
constraint accepts it, and adding a few instances of each user-driven repeat.
The same form, seed and count always give the same responses.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from app.core.errors import AnswerError
from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.instance import Node
from app.engine.model import ATTACHMENT_KINDS, NON_INPUT_KINDS, Kind, Question
from app.engine.session import FormSession

# Lao and English snippets for free text (no real names or contacts).
_TEXTS = (
    "ບໍ່ມີນະໂຍບາຍຂໍ້ມູນທີ່ເປັນລາຍລັກອັກສອນ",
    "ມີການແລກປ່ຽນຂໍ້ມູນກັບກະຊວງອື່ນເປັນບາງຄັ້ງ",
    "ຕ້ອງການການຝຶກອົບຮົມດ້ານຄວາມປອດໄພຂໍ້ມູນ",
    "Data are kept in spreadsheets on staff computers",
    "A shared server is planned for next year",
    "Needs training on data classification",
)
_PHONES = ("020 5555 0101", "+856 20 5555 0202", "021 555 0303")
_EMAILS = ("officer@example.la", "data.unit@example.gov.la")
_MAX_TRIES = 16
BASE_TIME = datetime(2026, 5, 11, 8, 0, tzinfo=timezone(timedelta(hours=7)))


def _number_candidates(rng: random.Random, integer: bool) -> list[Any]:
    pools = [
        (1, 5),
        (0, 20),
        (1990, 2026),
        (0, 100),
        (100, 2000),
    ]
    values: list[Any] = []
    for low, high in pools:
        values.append(rng.randint(low, high) if integer else round(rng.uniform(low, high), 1))
    values += [rng.randint(0, 10) for _ in range(3)]
    return [*values, 1, 0]  # last resorts for "no more than another answer" constraints


def _text_candidates(rng: random.Random, question: Question) -> list[Any]:
    name = question.name.lower()
    phones = list(_PHONES)
    emails = list(_EMAILS)
    texts = list(_TEXTS)
    rng.shuffle(texts)
    if "phone" in name or "tel" in name:
        return phones + texts
    if "mail" in name:
        return emails + texts
    return texts + phones + emails + [str(rng.randint(10, 99))]


def _candidates(
    session: FormSession, node: Node, question: Question, rng: random.Random
) -> list[Any]:
    kind = question.kind
    if kind in (Kind.INTEGER,):
        return _number_candidates(rng, integer=True)
    if kind in (Kind.DECIMAL,):
        return _number_candidates(rng, integer=False)
    if kind is Kind.RANGE:
        start = float(question.parameters.get("start", 1))
        end = float(question.parameters.get("end", 10))
        step = float(question.parameters.get("step", 1)) or 1.0
        steps = int((end - start) / step)
        return [start + step * rng.randint(0, max(steps, 0)) for _ in range(3)]
    if kind in (Kind.TEXT, Kind.BARCODE):
        return _text_candidates(rng, question)
    if kind is Kind.DATE:
        return [(BASE_TIME - timedelta(days=rng.randint(0, 900))).date() for _ in range(4)]
    if kind is Kind.DATETIME:
        return [BASE_TIME - timedelta(minutes=rng.randint(0, 10000))]
    if kind is Kind.TIME:
        return [(BASE_TIME + timedelta(minutes=rng.randint(0, 600))).timetz()]
    if kind in (Kind.SELECT_ONE, Kind.SELECT_MULTIPLE, Kind.RANK):
        allowed = session.allowed_choices(node)
        if not allowed:
            return []
        # "other" and "don't know"-style codes appear, but rarely.
        common = [c for c in allowed if c != "other"] or allowed
        if kind is Kind.SELECT_ONE:
            picks = [rng.choice(common) for _ in range(3)]
            if len(allowed) <= 3 and rng.random() < 0.85:
                # Short lists are mostly yes/no gates (consent first): keep most
                # synthetic interviews going past them.
                picks.insert(0, allowed[0])
            if rng.random() < 0.05:
                picks.insert(0, rng.choice(allowed))
            return picks
        if kind is Kind.RANK:
            shuffled = list(allowed)
            rng.shuffle(shuffled)
            return [shuffled]
        return [rng.sample(common, k=rng.randint(1, min(3, len(common)))) for _ in range(3)]
    if kind is Kind.GEOPOINT:
        return [(round(rng.uniform(14.0, 22.0), 5), round(rng.uniform(100.2, 107.6), 5))]
    if kind in (Kind.ACKNOWLEDGE, Kind.TRIGGER):
        return [True]
    return []


def _answerable(node: Node) -> Question | None:
    definition = node.definition
    if not isinstance(definition, FieldDef) or definition.role != FIELD:
        return None
    question = definition.question
    if question is None or question.calculate is not None:
        return None
    if question.kind in NON_INPUT_KINDS or question.kind in ATTACHMENT_KINDS:
        return None
    return question


def _answer(session: FormSession, node: Node, rng: random.Random, optional_rate: float) -> None:
    question = _answerable(node)
    if question is None or node.readonly or not node.relevant or node.value != "":
        return
    if not node.required and rng.random() > optional_rate:
        return
    for candidate in _candidates(session, node, question, rng)[:_MAX_TRIES]:
        try:
            session.set_value(node, candidate)
        except AnswerError:
            continue
        if node.constraint_ok:
            return
    if node.value != "" and not node.constraint_ok:
        session.set_value(node, None)


def _fill_container(session: FormSession, container: Node, rng: random.Random, rate: float) -> None:
    definition: FieldDef = container.definition
    for child_def in definition.children:
        if child_def.role == REPEAT:
            if child_def.repeat_count is None:
                wanted = rng.randint(1, 3)
                while len(session.repeat_instances(container, child_def.name)) < wanted:
                    session.add_repeat(container, child_def.name)
            for instance in session.repeat_instances(container, child_def.name):
                if instance.relevant:
                    _fill_container(session, instance, rng, rate)
            continue
        node = container.child(child_def.name)
        if node is None or not node.relevant:
            continue
        if child_def.role == GROUP:
            _fill_container(session, node, rng, rate)
        else:
            _answer(session, node, rng, rate)


def fill_session(session: FormSession, rng: random.Random, optional_rate: float = 0.85) -> None:
    """Answer the form in order; a second pass fixes anything later answers made
    required or invalid (relevance can depend on answers further down)."""
    _fill_container(session, session.root, rng, optional_rate)
    for _ in range(3):
        problems = session.problems()
        if not problems:
            return
        for problem in problems:
            if problem.kind == "constraint":
                session.set_value(problem.node, None)
            _answer(session, problem.node, rng, 1.0)


def _clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def generate(
    form: CompiledForm,
    *,
    count: int,
    seed: int,
    language: str | None = None,
    properties: dict[str, str] | None = None,
) -> Iterator[FormSession]:
    """`count` filled sessions of `form`, reproducible from `seed`."""
    rng = random.Random(seed)
    for index in range(count):
        started = BASE_TIME + timedelta(minutes=37 * index + rng.randint(0, 30))
        instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        session = FormSession(
            form,
            language=language,
            now=_clock(started),
            properties={"deviceid": "demo:0001", "username": "demo", **(properties or {})},
            seed=rng.getrandbits(32),
            instance_id=instance_id,
        )
        fill_session(session, rng)
        session.stamp_end()
        yield session
