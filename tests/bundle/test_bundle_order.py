"""Order independence: any permutation of a set of bundles, with repeats, gives the same
database (content hash, conflict queue, summaries), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle, import_many
from app.bundle.keys import AgeIdentity, register_device
from app.bundle.merge import conflict_queue, likely_duplicates
from app.bundle.target import BundleTarget
from app.store.check import content_hash
from app.store.tables import Submission
from tests.bundle.bundletools import make_coordinator, make_field, synthetic_documents, with_text
from tests.pgserver import reset_schema


@dataclass
class Scenario:
    root: Path
    bundles: list[Path]
    cards: list[dict[str, object]]
    identity: AgeIdentity


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("order")
    os.environ["SAMLUAT_HOME"] = str(root / "home")
    coordinator = make_coordinator(root)
    a = make_field(root, coordinator, "laptop-a")
    b = make_field(root, coordinator, "laptop-b")
    docs = synthetic_documents()
    out = root / "bundles"
    bundles: list[Path] = []

    def export(laptop: object) -> None:
        written = export_field_bundle(laptop.target, folder=out)  # type: ignore[attr-defined]
        assert written is not None
        bundles.append(written.path)

    # Laptop A: three interviews (one with audio), acknowledged; an edit; a new one.
    a1 = a.interview(dict(docs[0]), attachment=b"OggS" + bytes(300_000))
    a.interview(dict(docs[1]))
    a.interview(dict(docs[2]))
    export(a)
    assert import_bundle(coordinator.target, bundles[-1], identities=[coordinator.identity]).ok
    back = export_coordinator_bundle(coordinator.target, device_id=a.device_id, folder=root / "b")
    assert back is not None and import_bundle(a.target, back.path).ok
    a.edit(a1, with_text(docs[0], "edited on A"))
    export(a)  # needs A1's audio (acknowledged, not re-sent)
    a.interview(dict(docs[3]))
    export(a)
    # Laptop B: a submission edited twice from the same version (a conflict), a duplicate.
    b1 = b.interview(dict(docs[4]))
    b.interview(dict(docs[5]))
    export(b)
    first = b.store.heads(instance_id=b1)[0].rev_id
    b.edit(b1, with_text(docs[4], "one way"))
    draft = b.store.start_edit(instance_id=b1, reason="other way", parent_rev=first)
    b.store.autosave(instance_id=b1, document=with_text(docs[4], "the other way"))
    b.store.finalise(instance_id=b1)
    assert draft.parent_rev == first
    export(b)
    cards = [_card(laptop) for laptop in (a, b)]
    identity = coordinator.identity
    for item in (a, b, coordinator):
        item.close()
    yield Scenario(root, bundles, cards, identity)


def _card(laptop: object) -> dict[str, object]:
    from app.bundle.keys import device_keys

    return device_keys(laptop.target).card()  # type: ignore[attr-defined]


def _fresh(
    engine: str, root: Path, pg: str | None, cards: list[dict[str, object]]
) -> tuple[BundleTarget, object]:
    if engine == "sqlite":
        c = make_coordinator(root, name=f"fresh-{len(list(root.glob('fresh-*.db')))}")
        target, owner = c.target, c
    else:
        assert pg is not None
        reset_schema(pg)
        target = BundleTarget.open_url(pg)
        owner = target
    for card in cards:
        register_device(target, card)
    return target, owner


def _state(target: BundleTarget) -> tuple[object, ...]:
    with target.session() as session:
        connection = session.connection()
        digest = content_hash(connection)
        summaries = sorted(
            tuple(r)
            for r in connection.execute(
                select(
                    Submission.instance_id,  # type: ignore[call-overload]
                    Submission.state,
                    Submission.head_rev_id,
                    Submission.revision_count,
                )
            )
        )
    queue = [(c.instance_id, c.provisional_winner, len(c.heads)) for c in conflict_queue(target)]
    duplicates = [g.key_hash for g in likely_duplicates(target)]
    return digest, summaries, queue, duplicates


@pytest.fixture(scope="module")
def expected(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, ...]:
    target, owner = _fresh("sqlite", tmp_path_factory.mktemp("expected"), None, scenario.cards)
    results = import_many(target, scenario.bundles, identities=[scenario.identity])
    assert all(r.status is ImportStatus.APPLIED for r in results), [str(r) for r in results]
    state = _state(target)
    assert state[2] and len(state[2]) == 1  # laptop B's fork is a conflict
    owner.close()  # type: ignore[attr-defined]
    return state


def _orders() -> st.SearchStrategy[list[int]]:
    return st.permutations(range(5)).flatmap(
        lambda order: st.lists(st.integers(0, 4), max_size=4).flatmap(
            lambda extra: st.permutations([*order, *extra])
        )
    )


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_any_order_with_repeats_gives_the_same_database(
    engine: str,
    scenario: Scenario,
    expected: tuple[object, ...],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pg = request.getfixturevalue("pg_url") if engine == "postgresql" else None
    root = tmp_path_factory.mktemp(f"perm-{engine}")

    @settings(
        max_examples=8 if engine == "sqlite" else 5,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(order=_orders())
    def check(order: list[int]) -> None:
        target, owner = _fresh(engine, root, pg, scenario.cards)
        try:
            files = [scenario.bundles[i] for i in order]
            results = import_many(target, files, identities=[scenario.identity])
            statuses = {r.status for r in results}
            assert statuses <= {ImportStatus.APPLIED, ImportStatus.ALREADY}, [
                str(r) for r in results
            ]
            assert _state(target) == expected
        finally:
            if hasattr(owner, "close"):
                owner.close()

    check()
