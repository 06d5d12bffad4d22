"""Store benchmarks: autosave latency, cases-page listing, encryption overhead.

Every figure is reported next to a baseline measured in the same run:

* autosave p50/p95 through `LocalStore.autosave` (encrypted, the default)
  against raw `sqlite3` doing the same UPDATE + paradata INSERT with the
  same PRAGMAs (WAL, synchronous=FULL) — the cost of our layers;
* the same autosave workload with and without SQLCipher — the cost of
  encryption;
* listing one page of the cases list with 100,000 submissions in the
  database (target ≤ 100 ms), against a bare `SELECT ... LIMIT 50`.

Run: `python bench/store.py [--saves 300] [--submissions 100000]`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.store import EventIn, EventKind, SubmissionState, create_store  # noqa: E402
from app.store.canonical import canonical_text, sha256_hex  # noqa: E402
from app.store.crypto import KdfParams  # noqa: E402
from app.store.store import LocalStore  # noqa: E402

FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
WARMUP = 30


def _document(n: int) -> dict[str, object]:
    # A realistic mid-interview document: ~60 answers, some free text.
    data: dict[str, object] = {f"q{i}": f"answer number {i}" for i in range(60)}
    data["current"] = n
    return {"form_id": "bench", "form_version": "1", "instance_id": "uuid:bench", "data": data}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def _new_store(folder: Path, encrypted: bool) -> LocalStore:
    store = create_store(
        username="bench",
        password="bench-password",
        kdf=FAST_KDF,
        path=folder / ("enc.db" if encrypted else "plain.db"),
        encrypted=encrypted,
    )
    store.add_form_version(form_id="bench", version="1", title="Bench", source=b"bench")
    return store


class StoreSaver:
    """Autosaves through `LocalStore` (the code path the UI uses)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.n = 0
        store.start_submission(
            form_id="bench", form_version="1", instance_id="uuid:bench", document=_document(0)
        )

    def save(self) -> float:
        self.n += 1
        n = self.n
        start = time.perf_counter()
        self.store.autosave(
            instance_id="uuid:bench",
            document=_document(n),
            ui_state={"page": n},
            events=[
                EventIn(EventKind.ANSWER_CHANGED, field="current", old_value=n - 1, new_value=n)
            ],
        )
        return time.perf_counter() - start


class RawSaver:
    """The same writes through the stdlib driver: no ORM, no encryption, same PRAGMAs."""

    def __init__(self, folder: Path) -> None:
        conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=5000",
            "secure_delete=ON",
            "temp_store=MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(
            "CREATE TABLE revision (rev_id TEXT PRIMARY KEY, instance_id TEXT, "
            "status TEXT, document TEXT, content_hash TEXT, ui_state TEXT, "
            "saved_at TEXT)"
        )
        conn.execute("CREATE INDEX ix_rev ON revision (instance_id, status)")
        conn.execute("CREATE TABLE submission (instance_id TEXT PRIMARY KEY, last_saved_at TEXT)")
        conn.execute(
            "CREATE TABLE paradata_event (id INTEGER PRIMARY KEY, uid TEXT UNIQUE, "
            "at TEXT, kind TEXT, instance_id TEXT, field TEXT, old_value TEXT, "
            "new_value TEXT)"
        )
        conn.execute("CREATE INDEX ix_ev ON paradata_event (instance_id, at)")
        conn.execute("INSERT INTO submission VALUES ('uuid:bench', '')")
        conn.execute("INSERT INTO revision VALUES ('r', 'uuid:bench', 'draft', '{}', '', NULL, '')")
        self.conn = conn
        self.n = 0

    def save(self) -> float:
        self.n += 1
        n, conn = self.n, self.conn
        start = time.perf_counter()
        text = canonical_text(_document(n))
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE revision SET document=?, content_hash=?, ui_state=?, saved_at=? "
            "WHERE instance_id=? AND status='draft'",
            (text, sha256_hex(text.encode()), json.dumps({"page": n}), now, "uuid:bench"),
        )
        conn.execute(
            "UPDATE submission SET last_saved_at=? WHERE instance_id=?", (now, "uuid:bench")
        )
        conn.execute(
            "INSERT INTO paradata_event (uid, at, kind, instance_id, field, old_value, "
            "new_value) VALUES (?, ?, 'answer_changed', ?, 'current', ?, ?)",
            (uuid.uuid4().hex, now, "uuid:bench", str(n - 1), str(n)),
        )
        conn.execute("COMMIT")
        return time.perf_counter() - start


def bench_autosave(savers: dict[str, Any], saves: int, block: int = 25) -> dict[str, list[float]]:
    """Interleave blocks of saves so that disk noise hits every variant alike."""
    samples: dict[str, list[float]] = {name: [] for name in savers}
    for _ in range(WARMUP):
        for saver in savers.values():
            saver.save()
    done = 0
    while done < saves:
        for name, saver in savers.items():
            samples[name].extend(saver.save() for _ in range(block))
        done += block
    return samples


def fill_submissions(store: LocalStore, count: int) -> None:
    """Bulk-insert `count` submissions with one revision each (fast path for the bench)."""
    from sqlalchemy import text

    now = "2026-01-01 00:00:00.000000"
    states = [s.value for s in SubmissionState]
    with store.session(write=True) as session:
        session.execute(
            text(
                "INSERT INTO submission (instance_id, form_id, form_version, created_at, "
                "created_by, device_id, state, head_rev_id, last_saved_at, revision_count) "
                "VALUES (:i, 'bench', '1', :t, :u, :d, :s, NULL, :saved, 1)"
            ),
            [
                {
                    "i": f"uuid:fill-{n:06d}",
                    "t": now,
                    "u": store.user.id,
                    "d": store.device_id,
                    "s": states[n % 4],
                    "saved": f"2026-01-01 00:{(n // 60) % 60:02d}:{n % 60:02d}.{n:06d}",
                }
                for n in range(count)
            ],
        )
        session.execute(
            text(
                "INSERT INTO revision (rev_id, instance_id, parent_rev, status, author_id, "
                "device_id, created_at, saved_at, content_hash, document) "
                "VALUES (:r, :i, NULL, 'draft', :u, :d, :t, :t, 'x', '{}')"
            ),
            [
                {
                    "r": f"rev-{n}",
                    "i": f"uuid:fill-{n:06d}",
                    "u": store.user.id,
                    "d": store.device_id,
                    "t": now,
                }
                for n in range(count)
            ],
        )


def bench_listing(store: LocalStore, rounds: int = 20) -> dict[str, float]:
    from sqlalchemy import text

    def timed(func: object) -> float:
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            func()  # type: ignore[operator]
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    def bare() -> None:
        with store.session() as session:
            session.execute(
                text("SELECT instance_id FROM submission ORDER BY last_saved_at DESC LIMIT 50")
            ).all()

    return {
        "page": timed(lambda: store.list_submissions(limit=50)),
        "page_filtered": timed(
            lambda: store.list_submissions(state=SubmissionState.DRAFT, limit=50)
        ),
        "page_deep": timed(lambda: store.list_submissions(limit=50, offset=50_000)),
        "bare_select": timed(bare),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="store benchmarks")
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="samluat-bench-") as tmp:
        folder = Path(tmp)
        import os

        os.environ["SAMLUAT_HOME"] = str(folder / "home")
        plain = _new_store(folder, encrypted=False)
        enc = _new_store(folder, encrypted=True)
        try:
            samples = bench_autosave(
                {"raw": RawSaver(folder), "plain": StoreSaver(plain), "enc": StoreSaver(enc)},
                args.saves,
            )
            fill_submissions(enc, args.submissions)
            listing = bench_listing(enc)
        finally:
            plain.close()
            enc.close()
    raw, plain_samples, enc_samples = samples["raw"], samples["plain"], samples["enc"]
    raw50, raw95 = _percentiles(raw)
    p50, p95 = _percentiles(enc_samples)
    q50, q95 = _percentiles(plain_samples)
    ms = 1000.0
    print(f"autosave, {args.saves} saves, synchronous=FULL")
    print(f"  raw sqlite3 baseline    p50 {raw50 * ms:6.2f} ms  p95 {raw95 * ms:6.2f} ms")
    print(
        f"  store, plaintext        p50 {q50 * ms:6.2f} ms  p95 {q95 * ms:6.2f} ms  "
        f"(x{q50 / raw50:.2f} / x{q95 / raw95:.2f} of raw)"
    )
    print(
        f"  store, SQLCipher        p50 {p50 * ms:6.2f} ms  p95 {p95 * ms:6.2f} ms  "
        f"(x{p50 / raw50:.2f} / x{p95 / raw95:.2f} of raw)"
    )
    print(f"  encryption overhead     x{p50 / q50:.2f} (p50), x{p95 / q95:.2f} (p95)")
    print(f"cases page with {args.submissions} submissions (median of 20, encrypted)")
    for name, value in listing.items():
        print(f"  {name:<20} {value * ms:7.2f} ms  (x{value / listing['bare_select']:.1f} of bare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
