"""Attachments: content-addressed, streamed in chunks, deduplicated, linked to revisions."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import text

from app.store import attachments, errors
from app.store.store import LocalStore
from tests.store.storetools import doc


class Source(io.RawIOBase):
    """A large pseudo-random stream generated on the fly (never whole in memory)."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.counter = 0
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.remaining if n < 0 else min(n, self.remaining)
        out = bytearray()
        while len(out) < n:
            out += hashlib.sha256(self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        data = bytes(out[:n])
        self.remaining -= n
        self.sha.update(data)
        return data


def test_large_attachment_streams_in_and_out(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments, "CHUNKS_PER_TRANSACTION", 4)
    size = 12 * 1024 * 1024 + 123  # 12 MiB: 49 chunks, 13 transactions
    source = Source(size)
    tracemalloc.start()
    info = store.add_attachment(stream=source, media_type="audio/ogg")
    _, peak_in = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.sha256 == source.sha.hexdigest() and info.size == size
    assert peak_in < 4 * 1024 * 1024  # never the whole file in memory

    digest = hashlib.sha256()
    total = 0
    tracemalloc.start()
    for chunk in store.read_attachment(sha256=info.sha256):
        digest.update(chunk)
        total += len(chunk)
    _, peak_out = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (digest.hexdigest(), total) == (info.sha256, size)
    assert peak_out < 4 * 1024 * 1024


def test_same_bytes_stored_once(store: LocalStore) -> None:
    one = store.add_attachment(stream=io.BytesIO(b"photo" * 1000), media_type="image/jpeg")
    two = store.add_attachment(stream=io.BytesIO(b"photo" * 1000), media_type="image/jpeg")
    assert one == two
    report = store.check()
    assert report.counts["attachment"] == 1 and report.counts["attachment_blob"] == 1


def test_attachment_links_follow_revisions(store: LocalStore) -> None:
    audio = store.add_attachment(stream=io.BytesIO(b"interview audio"), media_type="audio/ogg")
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:a1"), instance_id="uuid:a1"
    )
    store.autosave(
        instance_id="uuid:a1",
        document=doc("uuid:a1", rec="r.ogg"),
        attachments={"recording": audio.sha256},
    )
    final = store.finalise(instance_id="uuid:a1")
    edit = store.start_edit(instance_id="uuid:a1", reason="add note")
    from app.store import repo_submissions

    with store.session() as session:
        assert repo_submissions.revision_attachments(session=session, rev_id=final.rev_id) == {
            "recording": audio.sha256
        }
        assert repo_submissions.revision_attachments(session=session, rev_id=edit.rev_id) == {
            "recording": audio.sha256
        }
    with pytest.raises(errors.ImmutableError), store.session(write=True) as session:
        session.execute(
            text("DELETE FROM revision_attachment WHERE rev_id = :r"), {"r": final.rev_id}
        )


def test_unknown_attachment_sha_is_refused(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:a2"), instance_id="uuid:a2"
    )
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.autosave(instance_id="uuid:a2", document=doc("uuid:a2"), attachments={"x": "0" * 64})
    with pytest.raises(errors.NotFoundError):
        list(store.read_attachment(sha256="0" * 64))


def test_interrupted_write_leaves_nothing_after_restart(store: LocalStore) -> None:
    class Failing(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 3:
                raise OSError("USB stick removed")
            return b"a" * attachments.CHUNK_SIZE

    with pytest.raises(OSError):
        store.add_attachment(stream=Failing())
    report = store.check()
    assert report.counts["attachment_chunk"] == 0 and report.counts["attachment_blob"] == 0
    # A crash (no cleanup) leaves an incomplete blob: removed at the next start.
    with store.session(write=True) as session:
        session.execute(
            text(
                "INSERT INTO attachment_blob (id, complete, created_at) "
                "VALUES (99, 0, '2026-01-01 00:00:00.000000')"
            )
        )
        session.execute(
            text("INSERT INTO attachment_chunk (blob_id, seq, data) VALUES (99, 0, x'00')")
        )
    assert attachments.discard_incomplete_blobs(db=store.db) == 1
    assert store.check().counts["attachment_chunk"] == 0


def test_corrupted_chunk_is_detected(plain_store: LocalStore, tmp_path: Path) -> None:
    info = plain_store.add_attachment(stream=io.BytesIO(b"abc" * 100000))
    with plain_store.session(write=True) as session:
        session.execute(text("UPDATE attachment_chunk SET data = x'00' WHERE seq = 0"))
    with pytest.raises(errors.DatabaseCorruptError):
        list(plain_store.read_attachment(sha256=info.sha256))
