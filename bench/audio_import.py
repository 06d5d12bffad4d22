"""Importing a bundle with much audio: how long, how long other saves wait, how big the WAL gets.

    .venv/bin/python bench/audio_import.py              # 4 recordings of 50 MB
    .venv/bin/python bench/audio_import.py --mb 20      # smaller
    .venv/bin/python bench/audio_import.py --files 300 --mb 0.2   # photos

A field laptop records one interview with `--files` recordings of `--mb` MB
each (random bytes: audio does not compress), writes its bundle, and a
coordinator's store (SQLCipher-encrypted, as the app makes it) imports it.
Meanwhile another connection to the same database — the coordinator's app —
saves a small note every 50 ms. Figures, all from this run:

* the import's time against storing the same recordings in the coordinator's
  store directly (`add_attachment`, the app's own way of keeping audio);
* the longest and the median time one of those saves waited;
* the largest size of the write-ahead log during the import, against the audio.

Prints readable lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.bundle.export import export_field_bundle  # noqa: E402
from app.bundle.importer import ImportStatus, import_bundle  # noqa: E402
from app.store.store import create_store, open_store  # noqa: E402
from tests.bundle.bundletools import (  # noqa: E402
    FAST_KDF,
    PASSWORD,
    make_coordinator,
    make_field,
    synthetic_documents,
)

SAVE_EVERY = 0.05


def _recordings(count: int, size: int) -> list[bytes]:
    return [os.urandom(size) for _ in range(count)]


def _baseline(folder: Path, recordings: list[bytes]) -> float:
    """Store the recordings in a fresh encrypted store, the app's own way."""
    store = create_store(
        username="base", password=PASSWORD, path=folder / "baseline.db", kdf=FAST_KDF
    )
    start = time.perf_counter()
    for data in recordings:
        store.add_attachment(stream=io.BytesIO(data), media_type="audio/ogg")
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


class Saver(threading.Thread):
    """The coordinator's app: a small save every `SAVE_EVERY` seconds, each one timed."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.store = open_store(username="coord", password=PASSWORD, path=path)
        self.waits: list[float] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                start = time.perf_counter()
                self.store.add_attachment(
                    stream=io.BytesIO(os.urandom(64)), media_type="text/plain"
                )
                self.waits.append(time.perf_counter() - start)
                self.stop.wait(SAVE_EVERY)
        except BaseException as error:  # reported by main()
            self.error = error
        finally:
            self.store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--mb", type=float, default=50, help="size of each recording")
    args = parser.parse_args()
    recordings = _recordings(args.files, int(args.mb * 1_000_000))
    audio = sum(len(r) for r in recordings)
    with tempfile.TemporaryDirectory(prefix="samluat-bench-audio-") as tmp:
        root = Path(tmp)
        os.environ["SAMLUAT_HOME"] = str(root / "home")
        baseline = _baseline(root, recordings)
        coordinator = make_coordinator(root, encrypted=True)
        field = make_field(root, coordinator, "laptop-audio")
        documents = synthetic_documents(count=max(40, len(recordings)))
        for document, data in zip(documents, recordings, strict=False):
            field.interview(dict(document), attachment=data)
        written = export_field_bundle(field.target, folder=root / "out")
        assert written is not None
        field.close()
        wal = Path(f"{coordinator.store.path}-wal")
        peak_wal = [0]

        def progress(_fraction: float, _message: str) -> None:
            if wal.exists():
                peak_wal[0] = max(peak_wal[0], wal.stat().st_size)

        saver = Saver(coordinator.store.path)
        saver.start()
        time.sleep(0.2)
        start = time.perf_counter()
        result = import_bundle(
            coordinator.target, written.path, identities=[coordinator.identity], progress=progress
        )
        elapsed = time.perf_counter() - start
        saver.stop.set()
        saver.join()
        coordinator.close()
        if saver.error is not None:
            raise SystemExit(f"a save failed during the import: {saver.error}")
        if result.status is not ImportStatus.APPLIED:
            raise SystemExit(result.message)
    figures: dict[str, Any] = {
        "bench": "audio_import",
        "audio_mb": round(audio / 1e6, 1),
        "bundle_mb": round(written.size / 1e6, 1),
        "import_s": round(elapsed, 2),
        "store_directly_s": round(baseline, 2),
        "ratio_import_vs_store_directly": round(elapsed / baseline, 2),
        "saves_during_import": len(saver.waits),
        "longest_save_wait_ms": round(max(saver.waits) * 1000, 1),
        "median_save_wait_ms": round(statistics.median(saver.waits) * 1000, 1),
        "peak_wal_mb": round(peak_wal[0] / 1e6, 1),
    }
    print(
        f"{args.files} recordings, {figures['audio_mb']} MB of audio; bundle "
        f"{figures['bundle_mb']} MB"
    )
    print(
        f"import {figures['import_s']} s; storing the same audio directly "
        f"{figures['store_directly_s']} s: ratio {figures['ratio_import_vs_store_directly']}"
    )
    print(
        f"{figures['saves_during_import']} saves by the app meanwhile: longest wait "
        f"{figures['longest_save_wait_ms']} ms, median {figures['median_save_wait_ms']} ms"
    )
    print(f"write-ahead log at most {figures['peak_wal_mb']} MB during the import")
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
