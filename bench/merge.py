"""Merge benchmark: 200 bundles from 20 laptops, 50,000 interviews, into SQLite and PostgreSQL.

    .venv/bin/python bench/merge.py            # the full run (a few minutes)
    .venv/bin/python bench/merge.py --small    # 40 bundles, 2,000 interviews

Interviews are the study's instruments (forms/) filled by the synthetic
response generator; `--unique` of them are generated (cached in a temporary
folder between runs) and the rest are copies under new instance ids, which
the importer treats exactly like new interviews (every one is decrypted,
hash-checked and validated against its form). Bundles are real: signed by
20 registered laptop keys, encrypted to the coordinator's key.

Figures, all measured in this run:

* first import into a fresh SQLite store (every file in one `import_many` call,
  as `samluat bundle import FILE...` does), against every row the importer
  stores (users, form versions, submissions, revisions with their documents,
  paradata, business keys, applied-bundle records) inserted with raw
  `executemany` in one transaction, through the same SQLite library with the
  store's PRAGMAs (target ratio ≤ 3); the fastest of three baseline runs
  counts, so that a pause of the shared machine cannot flatter the ratio.
  Documents are checked with the form engine in `--workers` processes
  (default: as `import_many`, one per core);
  the CPU time of that checking is reported apart, with the time the importer
  spent checking or waiting for verdicts, and the ratio without that time;
* importing the whole merged set again (target ≤ 10 % of the first import);
* peak memory of the importing process (and of each validation worker), and
  its resident size after each quarter of the bundles (must not grow with them);
* the same first import into a throw-away PostgreSQL server.

Prints readable lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from app.bundle import format as fmt  # noqa: E402
from app.bundle.applier import ApplyStats  # noqa: E402
from app.bundle.canon import b64e, time_text  # noqa: E402
from app.bundle.keys import AgeIdentity, LocalKeys, fingerprint, public_bytes  # noqa: E402
from app.bundle.merge import business_key  # noqa: E402
from app.bundle.writer import JsonPart, write_bundle  # noqa: E402
from app.store.canonical import canonical_text, sha256_hex  # noqa: E402

T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


# -- documents -------------------------------------------------------------------------------


def _generate(args: tuple[str, int, int]) -> list[dict[str, Any]]:
    from app.engine.loader import load_form
    from app.engine.serialize import to_document
    from app.engine.synthetic import generate

    path, count, seed = args
    form = load_form(path)
    return [to_document(s) for s in generate(form, count=count, seed=seed)]


def documents(unique: int, cache: Path) -> dict[str, list[dict[str, Any]]]:
    """`unique` generated documents, spread over the study's instruments (cached)."""
    from app.study.forms import instrument_files

    files = instrument_files(REPO / "forms")
    per = max(unique // len(files), 1)
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[dict[str, Any]]] = {}
    jobs = []
    for index, path in enumerate(files):
        cached = cache / f"{path.stem}-{per}-{index}.jsonl"
        if cached.is_file():
            out[str(path)] = [json.loads(line) for line in cached.read_text().splitlines()]
        else:
            jobs.append((str(path), per, 1000 + index))
    if jobs:
        with multiprocessing.get_context("spawn").Pool(min(2, len(jobs))) as pool:
            for job, docs in zip(jobs, pool.map(_generate, jobs), strict=True):
                out[job[0]] = docs
                index = [str(p) for p in files].index(job[0])
                cached = cache / f"{Path(job[0]).stem}-{per}-{index}.jsonl"
                cached.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    return out


def clone(document: dict[str, Any], instance_id: str) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["instance_id"] = instance_id
    meta = out["data"].get("meta")
    if isinstance(meta, dict) and "instanceID" in meta:
        meta["instanceID"] = instance_id
    return out


# -- bundles ---------------------------------------------------------------------------------


def build(
    work: Path,
    docs: dict[str, list[dict[str, Any]]],
    devices: int,
    per_device: int,
    per_bundle: int,
) -> tuple[list[Path], list[dict[str, Any]], AgeIdentity, dict[str, list[tuple[Any, ...]]]]:
    """Write the bundles; returns (files, device cards, coordinator identity, raw rows)."""
    coordinator = AgeIdentity.generate()
    forms = []
    for path in docs:
        source = Path(path).read_bytes()
        from app.engine.loader import load_form

        formdef = load_form(path).formdef
        forms.append(
            {
                "form_id": formdef.form_id,
                "version": formdef.version,
                "title": formdef.title,
                "source_name": Path(path).name,
                "source": b64e(source),
                "content_hash": sha256_hex(source),
                "study_id": None,
                "created_at": time_text(T0),
            }
        )
    pool = [d for path in docs for d in docs[path]]
    rng = random.Random(5)
    files: list[Path] = []
    cards = []
    # Every row the importer stores, as the baseline inserts them (see `raw_baseline`).
    raw: dict[str, list[tuple[Any, ...]]] = {
        "device": [],
        "user": [],
        "device_user": [],
        "form_version": [],
        "submission": [],
        "revision": [],
        "event": [],
        "submission_key": [],
        "imported_bundle": [],
    }
    for form in forms:
        raw["form_version"].append(
            (
                form["form_id"],
                form["version"],
                form["title"],
                form["content_hash"],
                form["source_name"],
                Path(next(p for p in docs if Path(p).name == form["source_name"])).read_bytes(),
                None,
                None,
                T0,
                None,
            )
        )
    out = work / "bundles"
    for d in range(devices):
        signing = Ed25519PrivateKey.generate()
        device_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        keys = LocalKeys(device_id, f"laptop-{d + 1:02d}", signing, AgeIdentity.generate())
        cards.append(
            {
                "format": "samluat-device-card/1",
                "device_id": device_id,
                "name": keys.name,
                "role": "field",
                "signing_key": b64e(public_bytes(signing)),
                "age_recipient": keys.receiving.recipient,
                "fingerprint": fingerprint(public_bytes(signing)),
            }
        )
        raw["device"].append((device_id, keys.name, 0, public_bytes(signing), T0, "field"))
        raw["user"].append(
            (user_id, f"enum{d + 1}@{device_id[:8]}", f"Enumerator {d + 1}", "enumerator", 0, T0)
        )
        raw["device_user"].append((device_id, user_id))
        device = {
            "id": device_id,
            "name": keys.name,
            "role": "field",
            "signing_key": None,
            "age_recipient": None,
            "registered_at": time_text(T0),
            "revoked_at": None,
        }
        user = {
            "id": user_id,
            "username": f"enum{d + 1}",
            "display_name": f"Enumerator {d + 1}",
            "role": "enumerator",
            "device_id": device_id,
        }
        for b in range(per_device // per_bundle):
            submissions, revisions, events = [], [], []
            for k in range(per_bundle):
                n = (d * per_device) + b * per_bundle + k
                instance = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                document = clone(pool[n % len(pool)], instance)
                at = T0 + timedelta(seconds=n)
                rev_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                text = canonical_text(document)
                submissions.append(
                    {
                        "instance_id": instance,
                        "form_id": document["form_id"],
                        "form_version": document["form_version"],
                        "assignment_id": None,
                        "created_at": time_text(at),
                        "created_by": user_id,
                        "device_id": device_id,
                    }
                )
                revisions.append(
                    {
                        "rev_id": rev_id,
                        "instance_id": instance,
                        "parent_rev": None,
                        "merged_parents": [],
                        "author_id": user_id,
                        "device_id": device_id,
                        "created_at": time_text(at),
                        "saved_at": time_text(at),
                        "finalised_at": time_text(at),
                        "reason": None,
                        "content_hash": sha256_hex(text.encode()),
                        "document": document,
                    }
                )
                for kind in ("form_opened", "form_finalised"):
                    events.append(
                        {
                            "uid": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                            "at": time_text(at),
                            "kind": kind,
                            "user_id": user_id,
                            "device_id": device_id,
                            "instance_id": instance,
                            "rev_id": rev_id,
                            "field": None,
                            "old_value": None,
                            "new_value": None,
                            "reason": None,
                            "detail": None,
                        }
                    )
                raw["submission"].append(
                    (
                        instance,
                        document["form_id"],
                        document["form_version"],
                        None,
                        at,
                        user_id,
                        device_id,
                        "finalised",
                        rev_id,
                        at,
                        1,
                    )
                )
                raw["revision"].append(
                    (
                        rev_id,
                        instance,
                        None,
                        "finalised",
                        user_id,
                        device_id,
                        at,
                        at,
                        at,
                        None,
                        sha256_hex(text.encode()),
                        text,
                        None,
                    )
                )
                for e in events[-2:]:
                    raw["event"].append(
                        (e["uid"], at, e["kind"], user_id, device_id, instance, rev_id)
                    )
                institution, respondent = business_key(document)
                if institution and respondent:
                    raw["submission_key"].append(
                        (
                            instance,
                            document["form_id"],
                            sha256_hex(
                                canonical_text(
                                    [document["form_id"], institution, respondent]
                                ).encode()
                            ),
                            institution,
                            respondent,
                            device_id,
                        )
                    )
            sequence = b + 1
            bundle_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            summary = canonical_text(
                ApplyStats(
                    submissions_new=per_bundle,
                    revisions_new=per_bundle,
                    events_new=2 * per_bundle,
                    form_versions_new=len(forms) if d == 0 and b == 0 else 0,
                ).as_dict()
            )
            parts = [
                JsonPart(
                    "bundle",
                    [
                        {
                            "bundle_id": bundle_id,
                            "kind": "field",
                            "source_device_id": device_id,
                            "target": "coordinator",
                            "sequence": sequence,
                        }
                    ],
                ),
                JsonPart("devices", [device]),
                JsonPart("users", [user]),
                JsonPart("form_versions", forms),
                JsonPart("submissions", submissions),
                JsonPart("revisions", revisions),
                JsonPart("events", events),
            ]
            counts = {
                "devices": 1,
                "users": 1,
                "form_versions": len(forms),
                "submissions": len(submissions),
                "revisions": len(revisions),
                "events": len(events),
            }
            header = fmt.Header(
                bundle_id=bundle_id,
                kind="field",
                created_at=time_text(T0) or "",
                source_device_id=device_id,
                source_name=keys.name,
                signing_key=keys.public,
                target="coordinator",
                sequence=sequence,
                covers_since=sequence,
                recipients=(coordinator.fingerprint,),
                counts={k: counts.get(k, 0) for k in fmt.COUNT_KEYS},
                app_version="bench",
            )
            written = write_bundle(
                folder=out,
                file_name=f"bench-{d + 1:02d}-{sequence:03d}.samluat",
                header=header,
                parts=parts,
                keys=keys,
                recipients=[coordinator.recipient],
            )
            files.append(written.path)
            raw["imported_bundle"].append(
                (
                    bundle_id,
                    sha256_hex(written.path.read_bytes()),
                    device_id,
                    T0,
                    None,
                    "applied",
                    None,
                    summary,
                    sequence,
                    "coordinator",
                    "field",
                    sequence,
                    T0,
                )
            )
    return files, cards, coordinator, raw


# -- measurements ------------------------------------------------------------------------------


def _stored_time(value: datetime) -> str:
    # How SQLAlchemy's SQLite DateTime stores a timestamp (naive UTC, microseconds always).
    v = value.astimezone(UTC).replace(tzinfo=None)
    return f"{v:%Y-%m-%d %H:%M:%S}.{v.microsecond:06d}"


RAW_INSERTS = {
    "user": "INSERT INTO app_user (id, username, display_name, role, active, created_at) "
    "VALUES (?,?,?,?,?,?)",
    "device_user": "INSERT INTO device_user (device_id, user_id) VALUES (?,?)",
    "form_version": "INSERT INTO form_version (form_id, version, title, content_hash, "
    "source_name, source, compiled, study_id, created_at, created_by) "
    "VALUES (?,?,?,?,?,?,?,?,?,?)",
    "submission": "INSERT INTO submission (instance_id, form_id, form_version, assignment_id, "
    "created_at, created_by, device_id, state, head_rev_id, last_saved_at, revision_count) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "revision": "INSERT INTO revision (rev_id, instance_id, parent_rev, status, author_id, "
    "device_id, created_at, saved_at, finalised_at, reason, content_hash, document, ui_state) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "event": "INSERT INTO paradata_event (uid, at, kind, user_id, device_id, instance_id, "
    "rev_id) VALUES (?,?,?,?,?,?,?)",
    "submission_key": "INSERT INTO submission_key (instance_id, form_id, key_hash, "
    "institution, respondent, device_id) VALUES (?,?,?,?,?,?)",
    "imported_bundle": "INSERT INTO imported_bundle (id, sha256, source_device_id, "
    "imported_at, imported_by, status, reason, summary, sequence, target, kind, covers_since, "
    "bundle_created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
}


BASELINE_RUNS = 3


def raw_baseline(work: Path, raw: dict[str, list[tuple[Any, ...]]]) -> float:
    """The fastest of `BASELINE_RUNS` runs of `raw_insert`, each into a fresh file.

    The baseline is a few seconds against a minute of importing: a pause of the
    shared machine during it would flatter the ratio, so the best run counts.
    """
    times = []
    for run in range(BASELINE_RUNS):
        folder = work / f"raw-{run}"
        folder.mkdir()
        times.append(raw_insert(folder, raw))
    return min(times)


def raw_insert(work: Path, raw: dict[str, list[tuple[Any, ...]]]) -> float:
    """Every row the importer stores, with raw executemany in one transaction.

    Same rows (users and their laptops, form versions, submissions in their
    final state, revisions with their documents, paradata, business keys,
    the applied-bundle records), same schema, same SQLite library
    (`sqlcipher3`, as the store) and the store's own PRAGMAs
    (`apply_pragmas`: WAL, synchronous=FULL, foreign_keys=ON, secure_delete…).
    The devices are registered before the clock starts, as in the import run.
    """
    from app.store.db import apply_pragmas, connect_raw
    from app.store.migrate import upgrade_database

    path = work / "raw.db"
    upgrade_database(path, None)
    conn = connect_raw(path, None)
    apply_pragmas(conn)

    def stored(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(_stored_time(v) if isinstance(v, datetime) else v for v in r) for r in rows]

    tables = {name: stored(rows) for name, rows in raw.items()}
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO device (id, name, is_local, public_key, registered_at, role) "
        "VALUES (?,?,?,?,?,?)",
        tables.pop("device"),
    )
    conn.execute("COMMIT")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for name, sql in RAW_INSERTS.items():
        conn.executemany(sql, tables[name])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _rss_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def import_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in a fresh process: create the coordinator store, register, import everything twice."""
    import resource

    os.environ["SAMLUAT_HOME"] = spec["home"]
    from app.bundle.importer import ImportStatus, import_bundle, import_many
    from app.bundle.keys import register_device
    from app.bundle.target import BundleTarget
    from app.bundle.validate import FormCache

    identity = AgeIdentity.from_secret(spec["identity"])
    files = [Path(p) for p in spec["files"]]
    if spec["engine"] == "sqlite":
        from app.store.crypto import KdfParams
        from app.store.store import create_store

        store = create_store(
            username="coord",
            password="bench-password-1",
            path=Path(spec["db"]),
            encrypted=False,
            kdf=KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1),
        )
        target = BundleTarget.from_store(store)
    else:
        target = BundleTarget.open_url(spec["db"])
    for card in spec["cards"]:
        register_device(target, card)
    forms = FormCache(workers=spec["workers"])
    rss: list[float] = []
    quarter = max(len(files) // 4, 1)
    seen = [0]

    def sample(_fraction: float, _name: str) -> None:
        # Called before each file: the resident size after every quarter of them.
        if seen[0] and seen[0] % quarter == 0:
            rss.append(round(_rss_mb()[0], 1))
        seen[0] += 1

    # As `samluat bundle import FILE...` does: every file in one call, so that
    # workers check the next files' documents while this process applies one.
    start, cpu = time.perf_counter(), time.process_time()
    results = import_many(target, files, identities=[identity], forms=forms, progress=sample)
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss.append(round(_rss_mb()[0], 1))
    for path, result in zip(files, results, strict=True):
        if result.status is not ImportStatus.APPLIED:
            raise SystemExit(f"{path.name}: {result}")
    stats = dataclasses.replace(forms.stats)
    start = time.perf_counter()
    for path in files:
        result = import_bundle(target, path, identities=[identity], forms=forms)
        if result.status is not ImportStatus.ALREADY:
            raise SystemExit(f"re-import {path.name}: {result}")
    again = time.perf_counter() - start
    forms.close()
    with target.session() as session:
        from sqlalchemy import func, select

        from app.store.tables import Revision

        revisions = session.execute(select(func.count()).select_from(Revision)).scalar_one()
    _rss, peak = _rss_mb()
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "first": first,
        "first_cpu": first_cpu,
        "validation_cpu": stats.in_process_s + stats.workers_cpu_s,
        "validation_in_process": stats.in_process_s,
        "validation_waited": stats.waited_s,
        "validation_workers_wall": stats.workers_s,
        "again": again,
        "rss_quarters_mb": rss,
        "peak_mb": round(peak, 1),
        "worker_peak_mb": round(worker_peak, 1) if spec["workers"] else 0.0,
        "revisions": int(revisions),
    }


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    # Not a multiprocessing.Pool: its daemonic workers may not start validation workers.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(import_child, spec).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="40 bundles, 2,000 interviews")
    parser.add_argument("--devices", type=int, default=None)
    parser.add_argument("--bundles-per-device", type=int, default=None)
    parser.add_argument("--per-bundle", type=int, default=None)
    parser.add_argument("--unique", type=int, default=None, help="documents actually generated")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "samluat-bench-merge-v1"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="validation worker processes (default: as `import_many`, one per core)",
    )
    args = parser.parse_args()
    from app.bundle.validate import default_workers

    workers = default_workers() if args.workers is None else args.workers
    devices = args.devices or (4 if args.small else 20)
    bundles_per_device = args.bundles_per_device or 10
    per_bundle = args.per_bundle or (50 if args.small else 250)
    unique = args.unique or (500 if args.small else 5_000)
    total = devices * bundles_per_device * per_bundle

    with tempfile.TemporaryDirectory(prefix="samluat-bench-merge-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        docs = documents(unique, args.cache)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        files, cards, identity, raw = build(
            work, docs, devices, bundles_per_device * per_bundle, per_bundle
        )
        written = time.perf_counter() - started
        size = sum(f.stat().st_size for f in files)
        print(
            f"{len(files)} bundles from {devices} laptops, {total} interviews, {size / 1e6:.1f} MB "
            f"(documents {generated:.1f} s, bundles written {written:.1f} s)"
        )
        baseline = raw_baseline(work, raw)
        print(
            f"raw sqlite3 executemany of the same rows: {baseline:.2f} s "
            f"(fastest of {BASELINE_RUNS} runs)"
        )
        spec = {
            "home": str(work / "home"),
            "identity": identity.secret,
            "files": [str(f) for f in files],
            "cards": cards,
            "engine": "sqlite",
            "db": str(work / "central.db"),
            "workers": workers,
        }
        sqlite_run = run_child(spec)
        assert sqlite_run["revisions"] == total
        # The importer's own time: the first import less the time its process spent
        # checking documents itself or waiting for the workers' verdicts.
        blocked = sqlite_run["validation_in_process"] + sqlite_run["validation_waited"]
        merge_only = sqlite_run["first"] - blocked
        result: dict[str, Any] = {
            "bench": "merge",
            "bundles": len(files),
            "devices": devices,
            "submissions": total,
            "bundle_mb": round(size / 1e6, 1),
            "validation_workers": workers,
            "raw_executemany_s": round(baseline, 3),
            "sqlite_import_s": round(sqlite_run["first"], 2),
            "sqlite_import_cpu_main_s": round(sqlite_run["first_cpu"], 2),
            "sqlite_validation_cpu_s": round(sqlite_run["validation_cpu"], 2),
            "sqlite_validation_blocked_s": round(blocked, 2),
            "ratio_import_vs_raw": round(sqlite_run["first"] / baseline, 2),
            "ratio_import_without_validation_vs_raw": round(merge_only / baseline, 2),
            "reimport_s": round(sqlite_run["again"], 3),
            "ratio_reimport_vs_first": round(sqlite_run["again"] / sqlite_run["first"], 4),
            "peak_rss_mb": sqlite_run["peak_mb"],
            "worker_peak_rss_mb": sqlite_run["worker_peak_mb"],
            "rss_after_each_quarter_mb": sqlite_run["rss_quarters_mb"],
            "throughput_submissions_per_s": round(total / sqlite_run["first"], 1),
        }
        print(
            f"SQLite first import: {sqlite_run['first']:.1f} s "
            f"({result['throughput_submissions_per_s']} interviews/s, {workers} validation "
            f"worker(s)); form validation {sqlite_run['validation_cpu']:.1f} s of CPU, of which "
            f"the importer waited for or did {blocked:.1f} s"
        )
        print(
            f"  ratio to raw executemany: {result['ratio_import_vs_raw']} "
            f"(without validation: {result['ratio_import_without_validation_vs_raw']}; target ≤ 3)"
        )
        print(
            f"re-import of the merged set: {sqlite_run['again']:.2f} s = "
            f"{result['ratio_reimport_vs_first'] * 100:.2f} % of the first import (target ≤ 10 %)"
        )
        workers_mb = (
            f", each validation worker {sqlite_run['worker_peak_mb']} MB"
            if sqlite_run["worker_peak_mb"]
            else ""
        )
        print(
            f"peak memory {sqlite_run['peak_mb']} MB{workers_mb} (target ≤ 500); resident "
            f"after each quarter of the bundles: {sqlite_run['rss_quarters_mb']} MB"
        )
        if not args.no_postgres:
            try:
                from tests.pgserver import postgres_server

                with postgres_server() as url:
                    pg_run = run_child({**spec, "engine": "postgresql", "db": url})
                result["postgres_import_s"] = round(pg_run["first"], 2)
                result["postgres_validation_cpu_s"] = round(pg_run["validation_cpu"], 2)
                result["postgres_reimport_s"] = round(pg_run["again"], 3)
                result["ratio_postgres_vs_sqlite"] = round(pg_run["first"] / sqlite_run["first"], 2)
                print(
                    f"PostgreSQL first import: {pg_run['first']:.1f} s "
                    f"({result['ratio_postgres_vs_sqlite']} × SQLite), "
                    f"re-import {pg_run['again']:.2f} s"
                )
            except Exception as error:  # a benchmark reports, it does not fail
                result["postgres_error"] = str(error)[:200]
                print(f"PostgreSQL: not measured ({error})")
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
