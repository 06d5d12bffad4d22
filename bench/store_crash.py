"""Crash test of the local store: SIGKILL an autosaving process, reopen, verify.

A child process opens the store and autosaves answers in a loop (finalising
every few saves and starting a new submission), writing one line per
*acknowledged* save to a pipe: a line is written only after `autosave` (or
`finalise`) has returned, i.e. after the commit. The parent kills it with
SIGKILL at a random moment, reopens the database and checks:

* `PRAGMA integrity_check` and `foreign_key_check` are clean;
* every acknowledged save is there (its paradata event and, for the latest
  one, the draft's document; every acknowledged finalise as a finalised
  revision with the acknowledged content hash);
* nothing is half-written: every revision's document matches its content
  hash, answer events form a gap-free sequence that ends at the last
  acknowledged save or one past it (a commit in flight at the kill), and
  every submission's summary matches its revisions.

`python bench/store_crash.py --trials 500` runs the long form with real
`python` child processes; the test suite runs a short form in its own clean,
single-threaded process with forked children (which skip the interpreter
start-up): tests/store/test_store_crash.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.store import EventIn, EventKind, create_store, open_store  # noqa: E402
from app.store.canonical import sha256_hex  # noqa: E402
from app.store.crypto import KdfParams  # noqa: E402

USERNAME = "crash"
PASSWORD = "crash-test-password"
FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
SAVES_PER_SUBMISSION = 7


def create_database(path: Path) -> None:
    """A fresh encrypted store with one form version."""
    with create_store(username=USERNAME, password=PASSWORD, path=path, kdf=FAST_KDF) as store:
        store.add_form_version(form_id="crash", version="1", title="Crash", source=b"crash")


def child_loop(path: Path, out_fd: int, tag: str) -> None:
    """Autosave forever, reporting each acknowledged save on `out_fd`."""

    def report(*parts: object) -> None:
        os.write(out_fd, (" ".join(str(p) for p in parts) + "\n").encode())

    store = open_store(username=USERNAME, password=PASSWORD, path=path)
    report("OPEN")
    k = 0
    while True:
        instance = f"uuid:{tag}-{k}"
        store.start_submission(
            form_id="crash",
            form_version="1",
            instance_id=instance,
            document={"instance_id": instance, "data": {"n": 0}},
        )
        report("N", instance)
        for n in range(1, SAVES_PER_SUBMISSION + 1):
            document = {"instance_id": instance, "data": {"n": n, "text": f"answer {n} " * 20}}
            ack = store.autosave(
                instance_id=instance,
                document=document,
                ui_state={"page": n},
                events=[EventIn(EventKind.ANSWER_CHANGED, field="n", old_value=n - 1, new_value=n)],
            )
            report("S", instance, n, ack.content_hash)
        rev = store.finalise(instance_id=instance)
        report("F", instance, rev.rev_id, rev.content_hash)
        k += 1


@dataclass
class Acks:
    """What the children acknowledged, across all trials."""

    created: set[str] = field(default_factory=set)
    saves: dict[str, int] = field(default_factory=dict)  # instance → last acknowledged n
    finalised: dict[str, tuple[str, str]] = field(default_factory=dict)  # → (rev_id, hash)
    count: int = 0

    def feed(self, line: str) -> None:
        parts = line.split()
        if not parts or parts[0] == "OPEN":
            return
        self.count += 1
        if parts[0] == "N":
            self.created.add(parts[1])
        elif parts[0] == "S":
            self.saves[parts[1]] = int(parts[2])
        elif parts[0] == "F":
            self.finalised[parts[1]] = (parts[2], parts[3])


def verify(path: Path, acks: Acks) -> list[str]:
    """Reopen the database and list every broken promise (empty = all good)."""
    from sqlalchemy import text

    problems: list[str] = []
    with open_store(username=USERNAME, password=PASSWORD, path=path) as store:
        report = store.check(full=True)
        if not report.ok:
            problems.append(f"check failed: {report.integrity} fk={report.foreign_key_problems}")
        with store.session() as session:
            revisions = session.execute(
                text(
                    "SELECT rev_id, instance_id, status, document, content_hash, finalised_at "
                    "FROM revision"
                )
            ).all()
            events = session.execute(
                text(
                    "SELECT instance_id, new_value FROM paradata_event "
                    "WHERE kind = 'answer_changed'"
                )
            ).all()
            summaries = session.execute(
                text(
                    "SELECT s.instance_id, s.revision_count, "
                    "(SELECT count(*) FROM revision r WHERE r.instance_id = s.instance_id) "
                    "FROM submission s"
                )
            ).all()
    latest: dict[str, dict[str, Any]] = {}
    by_rev = {}
    for rev_id, instance, status, document, digest, finalised_at in revisions:
        if sha256_hex(document.encode("utf-8")) != digest:
            problems.append(f"revision {rev_id}: document does not match its hash")
        if (status == "finalised") != (finalised_at is not None):
            problems.append(f"revision {rev_id}: status {status} with finalised_at {finalised_at}")
        latest[instance] = json.loads(document)
        by_rev[rev_id] = (instance, status, digest)
    for instance, stored, actual in summaries:
        if stored != actual:
            problems.append(f"{instance}: summary says {stored} revisions, there are {actual}")
    seen: dict[str, list[int]] = {}
    for instance, value in events:
        seen.setdefault(instance, []).append(json.loads(value))
    for instance in acks.created:
        if instance not in latest:
            problems.append(f"{instance}: acknowledged submission missing")
    for instance, last in acks.saves.items():
        numbers = sorted(seen.get(instance, []))
        if numbers[:last] != list(range(1, last + 1)):
            problems.append(f"{instance}: acknowledged answer events missing: {numbers}")
        if numbers not in (list(range(1, last + 1)), list(range(1, last + 2))):
            problems.append(f"{instance}: answer events not a clean sequence: {numbers}")
        stored_n = latest.get(instance, {}).get("data", {}).get("n")
        if stored_n not in (last, last + 1):
            problems.append(f"{instance}: document at n={stored_n}, last acknowledged {last}")
    for instance, (rev_id, digest) in acks.finalised.items():
        if by_rev.get(rev_id) != (instance, "finalised", digest):
            problems.append(f"{instance}: acknowledged finalised revision {rev_id} missing")
    return problems


@dataclass
class TrialOutcome:
    acks_this_trial: int
    killed_after_s: float


def _spawn_child(path: Path, tag: str, mode: str) -> tuple[int, int]:
    """Start a child; returns (pid, read end of its acknowledgement pipe)."""
    read_fd, write_fd = os.pipe()
    if mode == "fork":
        pid = os.fork()
        if pid == 0:  # child: never returns into the caller
            os.close(read_fd)
            try:
                child_loop(path, write_fd, tag)
            finally:
                os._exit(1)
        os.close(write_fd)
        return pid, read_fd
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(path), tag, str(write_fd)],
        pass_fds=(write_fd,),
        cwd=REPO,
    )
    os.close(write_fd)
    return proc.pid, read_fd


def run_trial(
    path: Path, acks: Acks, rng: random.Random, tag: str, mode: str, max_delay: float
) -> TrialOutcome:
    """One child, killed at a random moment after it opened the store."""
    pid, read_fd = _spawn_child(path, tag, mode)
    delay = rng.uniform(0.0, max_delay)
    buffer = b""
    opened_at: float | None = None
    count_before = acks.count
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        os.set_blocking(read_fd, False)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                chunk = pipe.read(65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line == b"OPEN" and opened_at is None:
                        opened_at = time.monotonic()
                    acks.feed(line.decode())
            elif chunk == b"":
                break  # the child died on its own
            if opened_at is not None and time.monotonic() - opened_at >= delay:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.0005)
        else:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        # Lines written before the kill are still in the pipe: they were acknowledged.
        os.set_blocking(read_fd, True)
        rest = buffer + pipe.read()
        for line in rest.split(b"\n"):
            if line:
                acks.feed(line.decode())
    return TrialOutcome(
        acks_this_trial=acks.count - count_before,
        killed_after_s=(time.monotonic() - opened_at) if opened_at else 0.0,
    )


@dataclass
class CrashReport:
    trials: int
    acknowledged: int
    trials_with_saves: int
    problems: list[str]
    seconds: float


def run_crash_trials(
    workdir: Path, *, trials: int, mode: str = "fork", seed: int = 0, max_delay: float = 0.25
) -> CrashReport:
    """Run `trials` kill-and-verify rounds on one database in `workdir`."""
    start = time.monotonic()
    os.environ.setdefault("SAMLUAT_HOME", str(workdir / "home"))
    path = workdir / "crash.db"
    create_database(path)
    acks = Acks()
    rng = random.Random(seed)
    problems: list[str] = []
    with_saves = 0
    for trial in range(trials):
        outcome = run_trial(path, acks, rng, f"t{trial}", mode, max_delay)
        with_saves += outcome.acks_this_trial > 0
        found = verify(path, acks)
        problems.extend(f"trial {trial}: {p}" for p in found)
        if found:
            break
    return CrashReport(
        trials=trials,
        acknowledged=acks.count,
        trials_with_saves=with_saves,
        problems=problems,
        seconds=time.monotonic() - start,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--mode", choices=["spawn", "fork"], default="spawn")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--child", nargs=3, metavar=("DB", "TAG", "FD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        db, tag, fd = args.child
        child_loop(Path(db), int(fd), tag)
        return 1
    import tempfile

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="samluat-crash-"))
    report = run_crash_trials(
        workdir, trials=args.trials, mode=args.mode, seed=args.seed, max_delay=args.max_delay
    )
    if args.json:
        print(json.dumps(report.__dict__))
        return 0 if not report.problems else 1
    print(
        f"trials: {report.trials} ({args.mode}), acknowledged saves: {report.acknowledged}, "
        f"trials with saves: {report.trials_with_saves}, {report.seconds:.1f} s"
    )
    for problem in report.problems:
        print("PROBLEM:", problem)
    print("OK" if not report.problems else "FAILED")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
