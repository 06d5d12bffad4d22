"""Hostile input: a corpus of bad bundles generated here, each refused with a specific
message, quarantined with its reason, and the database left exactly as it was."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest

from app.bundle import format as fmt
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.keys import (
    COORDINATOR_CARD_FORMAT,
    LocalKeys,
    device_keys,
    load_local_keys,
    read_card,
    register_device,
    revoke_device,
    sign,
)
from app.store.check import content_hash, table_counts
from tests.bundle.bundletools import (
    Coordinator,
    Field,
    make_coordinator,
    make_field,
    synthetic_documents,
)

AUDIO = bytes(range(256)) * 600


@dataclasses.dataclass
class World:
    root: Path
    coordinator: Coordinator
    field: Field
    other: Field  # a second registered laptop
    keys: LocalKeys
    other_keys: LocalKeys
    base: Path  # a valid bundle, never imported
    parts: list[tuple[fmt.PartHeader, Any]]  # its decrypted parts
    n: int = 0

    def path(self, name: str) -> Path:
        self.n += 1
        folder = self.root / "bad"
        folder.mkdir(exist_ok=True)
        return folder / f"{self.n:03d}-{name}.samluat"


class _Collect:
    def __init__(self) -> None:
        self.parts: list[tuple[fmt.PartHeader, Any]] = []
        self._bytes = bytearray()

    def json_part(self, header: fmt.PartHeader, records: list[dict[str, Any]]) -> None:
        self.parts.append((header, records))

    def attachment_start(self, header: fmt.PartHeader) -> None:
        self._bytes = bytearray()

    def attachment_chunk(self, data: bytes) -> None:
        self._bytes += data

    def attachment_end(self, header: fmt.PartHeader) -> None:
        self.parts.append((header, bytes(self._bytes)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("hostile")
    import os

    os.environ["SAMLUAT_HOME"] = str(root / "home")
    coordinator = make_coordinator(root)
    field = make_field(root, coordinator, "laptop-a")
    other = make_field(root, coordinator, "laptop-b")
    docs = synthetic_documents()
    for index, document in enumerate(docs[:4]):
        field.interview(dict(document), attachment=AUDIO if index == 0 else None)
    imported = export_field_bundle(field.target, folder=root / "good")
    assert imported is not None
    assert import_bundle(coordinator.target, imported.path, identities=[coordinator.identity]).ok
    field.interview(dict(docs[4]))
    field.a_week_goes_by()  # no acknowledgement: the base bundle carries the recording again
    base = export_field_bundle(field.target, folder=root / "good")
    assert base is not None
    collect = _Collect()
    envelope = fmt.read_envelope(base.path)
    parser = fmt.PayloadParser(collect, payload_length=envelope.payload_length)
    with open(base.path, "rb") as handle:
        reader = fmt.PayloadReader(handle, envelope.payload_offset, envelope.payload_length)
        pyrage.decrypt_io(reader, parser, [coordinator.identity.pyrage_identity()])
    with field.target.session() as session:
        keys = load_local_keys(session, field.device_id)
    with other.target.session() as session:
        other_keys = load_local_keys(session, other.device_id)
    yield World(root, coordinator, field, other, keys, other_keys, base.path, collect.parts)
    field.close()
    other.close()
    coordinator.close()


# -- crafting ---------------------------------------------------------------------------------


def part_bytes(
    n: int,
    kind: str,
    body: Any,
    *,
    encoding: str = "jsonl",
    sha: str | None = None,
    count: int | None = None,
    size: int | None = None,
    raw_size: int | None = None,
    raw: bytes | None = None,
) -> bytes:
    if kind == "attachment":
        data = body
        header = {
            "n": n,
            "type": kind,
            "size": len(data) if size is None else size,
            "sha256": sha or hashlib.sha256(data).hexdigest(),
            "encoding": "raw",
            "count": 1,
            "raw_size": len(data) if size is None else size,
            "media_type": "audio/ogg",
        }
    else:
        decoded = raw if raw is not None else b"".join(fmt.canonical_json(r) + b"\n" for r in body)
        data = zlib.compress(decoded) if encoding == "jsonl+zlib" else decoded
        header = {
            "n": n,
            "type": kind,
            "size": len(data) if size is None else size,
            "sha256": sha or hashlib.sha256(decoded).hexdigest(),
            "encoding": encoding,
            "count": (len(body) if raw is None else decoded.count(b"\n"))
            if count is None
            else count,
            "raw_size": len(decoded) if raw_size is None else raw_size,
        }
    encoded = fmt.canonical_json(header)
    return struct.pack(">I", len(encoded)) + encoded + data


def plaintext(parts: list[tuple[str, Any]], *, end: bool = True, manifest: Any = None) -> bytes:
    out = [fmt.PAYLOAD_MAGIC]
    listed = []
    for n, (kind, body) in enumerate(parts):
        chunk = part_bytes(n, kind, body)
        out.append(chunk)
        length = struct.unpack(">I", chunk[:4])[0]
        header = json.loads(chunk[4 : 4 + length])
        listed.append([n, kind, header["size"], header["sha256"]])
    if end:
        counts = _counts(parts)
        records = [{"parts": listed if manifest is None else manifest, "counts": counts}]
        out.append(part_bytes(len(parts), "end", records))
    return b"".join(out)


def _counts(parts: list[tuple[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, body in parts:
        if kind == "bundle":
            continue
        if kind == "attachment":
            counts["attachments"] = counts.get("attachments", 0) + 1
            counts["attachment_bytes"] = counts.get("attachment_bytes", 0) + len(body)
        else:
            counts[kind] = counts.get(kind, 0) + len(body)
    return counts


def base_parts(world: World) -> list[tuple[str, Any]]:
    return [
        (h.type, json.loads(json.dumps(b)) if h.type != "attachment" else b) for h, b in world.parts
    ]


def seal(
    world: World,
    name: str,
    payload: bytes,
    *,
    keys: LocalKeys | None = None,
    header: fmt.Header | None = None,
    counts: dict[str, int] | None = None,
    recipient: str | None = None,
    header_bytes: bytes | None = None,
) -> Path:
    """Encrypt `payload` and sign it like a real laptop would."""
    keys = keys or world.keys
    base = fmt.read_envelope(world.base).header
    header = header or dataclasses.replace(
        base,
        source_device_id=keys.device_id,
        source_name=keys.name,
        signing_key=keys.public,
        counts={k: (counts or {}).get(k, 0) for k in fmt.COUNT_KEYS},
    )
    encoded = header_bytes if header_bytes is not None else header.encode()
    prefix = fmt.PREFIX.pack(fmt.MAGIC, 1, len(encoded)) + encoded
    ciphertext = pyrage.encrypt(
        payload,
        [pyrage.x25519.Recipient.from_str(recipient or world.coordinator.identity.recipient)],
    )
    sha = hashlib.sha256(ciphertext).digest()
    message = fmt.signature_message(hashlib.sha256(prefix).digest(), len(ciphertext), sha)
    trailer = fmt.TRAILER.pack(fmt.TRAILER_MAGIC, len(ciphertext), sha, sign(keys.signing, message))
    path = world.path(name)
    path.write_bytes(prefix + ciphertext + trailer)
    return path


def reseal(world: World, name: str, parts: list[tuple[str, Any]], **kwargs: Any) -> Path:
    return seal(world, name, plaintext(parts), counts=_counts(parts), **kwargs)


def edit_records(
    parts: list[tuple[str, Any]], kind: str, change: Callable[[dict[str, Any]], None]
) -> None:
    # The record this bundle brings new (the others are already imported).
    new = synthetic_documents()[4]["instance_id"]
    for part_kind, records in parts:
        if part_kind == kind:
            for record in records:
                if record.get("instance_id") == new:
                    change(record)
                    return
    raise AssertionError(kind)


# -- the corpus -------------------------------------------------------------------------------


def flipped(world: World, name: str, offset: int) -> Path:
    data = bytearray(world.base.read_bytes())
    data[offset] ^= 0x10
    path = world.path(name)
    path.write_bytes(bytes(data))
    return path


def corpus(world: World) -> Iterator[tuple[str, Path, tuple[str, ...]]]:
    """(case, file, accepted message fragments)."""
    data = world.base.read_bytes()
    envelope = fmt.read_envelope(world.base)
    rng = random.Random(20261201)
    for _ in range(8):
        cut = rng.randrange(1, len(data) - 1)
        path = world.path(f"truncated-{cut}")
        path.write_bytes(data[:cut])
        yield f"truncated at {cut}", path, ("truncated", "too short", "damaged")
    for i, offset in enumerate(rng.sample(range(fmt.PREFIX.size, envelope.payload_offset), 3)):
        yield (
            f"header bit {offset}",
            flipped(world, f"header-bit-{i}", offset),
            ("does not verify", "bundle header", "not the registered key", "unknown device"),
        )
    start = envelope.payload_offset + 40
    for i, offset in enumerate(rng.sample(range(start, start + envelope.payload_length - 60), 3)):
        yield (
            f"ciphertext bit {offset}",
            flipped(world, f"cipher-bit-{i}", offset),
            ("does not verify",),
        )
    for i, offset in enumerate(rng.sample(range(len(data) - 64, len(data)), 2)):
        yield (
            f"signature bit {offset}",
            flipped(world, f"sig-bit-{i}", offset),
            ("does not verify",),
        )
    # Header fields swapped between two bundles: another bundle's header, this payload.
    good = sorted((world.root / "good").glob("*.samluat"))[0]
    other = fmt.read_envelope(good)
    with open(good, "rb") as handle:
        prefix = handle.read(other.payload_offset)
    path = world.path("swapped-header")
    path.write_bytes(prefix + data[envelope.payload_offset :])
    yield "header of another bundle", path, ("does not verify", "truncated or damaged")
    # A registered laptop re-signs someone else's ciphertext under its own header.
    header = dataclasses.replace(
        envelope.header,
        source_device_id=world.other_keys.device_id,
        source_name=world.other_keys.name,
        signing_key=world.other_keys.public,
    )
    parts = base_parts(world)
    yield (
        "payload re-signed by another laptop",
        seal(world, "resigned", plaintext(parts), keys=world.other_keys, header=header),
        ("belong to another bundle",),
    )
    # Unknown, revoked, wrong coordinator.
    stranger = make_field(world.root, world.coordinator, "stranger", register=False)
    stranger.interview(dict(synthetic_documents()[9]))
    written = export_field_bundle(stranger.target, folder=world.root / "bad")
    assert written is not None
    yield "unknown device", written.path, ("signed by an unknown device",)
    revoked = make_field(world.root, world.coordinator, "revoked")
    revoked.interview(dict(synthetic_documents()[10]))
    written = export_field_bundle(revoked.target, folder=world.root / "bad")
    assert written is not None
    revoke_device(world.coordinator.target, revoked.device_id)
    yield "revoked device", written.path, ("was revoked",)
    elsewhere = make_coordinator(world.root, name="other-coordinator")
    from app.bundle.keys import trust_coordinator

    lost = make_field(world.root, world.coordinator, "wrong-recipient")
    trust_coordinator(lost.target, read_card(elsewhere.card, COORDINATOR_CARD_FORMAT))
    lost.interview(dict(synthetic_documents()[11]))
    written = export_field_bundle(lost.target, folder=world.root / "bad")
    assert written is not None
    yield "encrypted to another coordinator", written.path, ("encrypted to another coordinator",)
    # Same payload under a valid header but encrypted to the other coordinator, recipients lying.
    yield (
        "recipient list lies",
        reseal(world, "lying-recipient", parts, recipient=elsewhere.identity.recipient),
        ("cannot be decrypted",),
    )
    for extra in (stranger, revoked, lost, elsewhere):
        extra.close()
    # Replays: the same file under a new name; another file with a used sequence number.
    first = sorted((world.root / "good").glob("*.samluat"))[0]
    path = world.path("replayed-copy")
    path.write_bytes(first.read_bytes())
    yield "replay under a new name", path, ("already imported",)
    header = dataclasses.replace(envelope.header, sequence=1, covers_since=1)
    yield (
        "used sequence number",
        seal(
            world,
            "replayed-sequence",
            plaintext(_with_sequence(parts, 1)),
            header=header,
            counts=_counts(parts),
        ),
        ("replay or a forgery",),
    )
    # Parts and records.
    bad = base_parts(world)
    bad_bytes = plaintext(bad)
    tampered = bad_bytes.replace(b'"type":"revisions"', b'"type":"revisions"', 1)
    assert tampered == bad_bytes
    yield (
        "part hash mismatch",
        seal(world, "part-hash", _part_hash_broken(bad), counts=_counts(bad)),
        ("SHA-256 does not match",),
    )
    rec = base_parts(world)
    edit_records(rec, "revisions", lambda r: r.__setitem__("content_hash", "0" * 64))
    yield (
        "record hash mismatch",
        reseal(world, "record-hash", rec),
        ("does not match its content hash",),
    )
    unknown = base_parts(world)
    unknown = [(k, b) for k, b in unknown if k != "form_versions"]
    edit_records(unknown, "submissions", lambda r: r.__setitem__("form_version", "1999"))
    yield "unknown form version", reseal(world, "unknown-form", unknown), ("is unknown here",)
    broken = base_parts(world)
    edit_records(broken, "revisions", _break_choice)
    yield (
        "value not among the choices",
        reseal(world, "bad-choice", broken),
        ("not one of the choices",),
    )
    missing = base_parts(world)
    edit_records(missing, "revisions", _drop_required)
    yield "required answer missing", reseal(world, "required", missing), ("required",)
    extra_field = base_parts(world)
    edit_records(extra_field, "revisions", _add_field)
    yield "field not in the form", reseal(world, "extra-field", extra_field), ("no such field",)
    orphan = base_parts(world)
    edit_records(orphan, "revisions", lambda r: r.__setitem__("parent_rev", "no-such-revision"))
    yield "missing parent", reseal(world, "orphan", orphan), ("parent revision",)
    # Links inside revision records are a coordinator bundle's; a laptop's must not slip
    # them past the recordings check.
    links = base_parts(world)
    edit_records(links, "revisions", lambda r: r.__setitem__("attachments", {"a.ogg": "0" * 64}))
    yield "links in a field bundle's revision", reseal(world, "links", links), ("unknown field",)
    # Malformed JSON, absurd sizes and counts, bombs, order, manifest, trailing data.
    yield (
        "malformed JSON record",
        seal(world, "malformed", _raw_part(world, b'{"rev_id": "x",\n'), counts={"revisions": 1}),
        ("malformed JSON",),
    )
    yield (
        "absurd part size",
        seal(
            world,
            "absurd-size",
            _bundle_then(world, part_bytes(1, "attachment", b"x", size=10**12)),
            counts={},
        ),
        ("more than the bundle holds",),
    )
    yield (
        "absurd record count",
        seal(
            world,
            "absurd-count",
            _bundle_then(world, part_bytes(1, "revisions", [{}], count=10**9)),
            counts={},
        ),
        ("absurd record count",),
    )
    header = dataclasses.replace(
        envelope.header, counts={**envelope.header.counts, "revisions": 10**12}
    )
    yield (
        "absurd header count",
        seal(world, "absurd-header", plaintext(parts), header=header),
        ("is absurd",),
    )
    bomb = zlib.compress(b"\n" * (64 * 1024 * 1024), 9)
    yield (
        "decompression bomb (ratio)",
        seal(
            world,
            "bomb-ratio",
            _bundle_then(world, _zlib_part(bomb, raw_size=16 * 1024 * 1024)),
            counts={},
        ),
        ("ratio", "decompresses to more"),
    )
    small_bomb = zlib.compress(b"{}\n" * 400_000, 9)
    yield (
        "decompression bomb (declared size)",
        seal(
            world,
            "bomb-size",
            _bundle_then(world, _zlib_part(small_bomb, raw_size=len(small_bomb) * 10)),
            counts={},
        ),
        ("decompresses to more",),
    )
    reordered = base_parts(world)
    subs = next(i for i, (k, _b) in enumerate(reordered) if k == "users")
    revs = next(i for i, (k, _b) in enumerate(reordered) if k == "form_versions")
    reordered[subs], reordered[revs] = reordered[revs], reordered[subs]
    yield "parts out of order", reseal(world, "order", reordered), ("out of order",)
    yield (
        "manifest altered",
        seal(
            world,
            "manifest",
            plaintext(parts, manifest=[[0, "bundle", 1, "0" * 64]]),
            counts=_counts(parts),
        ),
        ("manifest does not list",),
    )
    yield (
        "payload without its end",
        seal(world, "no-end", plaintext(parts, end=False), counts=_counts(parts)),
        ("ends before its end part",),
    )
    yield (
        "data after the end",
        seal(world, "trailing", plaintext(parts) + b"more", counts=_counts(parts)),
        ("follows the end",),
    )
    attachment = base_parts(world)
    index = next(i for i, (k, _b) in enumerate(attachment) if k == "attachment")
    payload = plaintext(attachment)
    original = attachment[index][1]
    assert payload.count(original) == 1
    yield (
        "attachment bytes altered",
        seal(
            world,
            "attachment",
            payload.replace(original, b"Y" + original[1:]),
            counts=_counts(attachment),
        ),
        ("attachment): SHA-256 does not match",),
    )
    # Files that are not bundles at all.
    path = world.path("empty")
    path.write_bytes(b"")
    yield "empty file", path, ("too short",)
    path = world.path("zip")
    path.write_bytes(b"PK\x03\x04" + bytes(500))
    yield "a zip file", path, ("not a Samluat bundle",)
    raw = json.loads(envelope.header.encode())
    raw["version"] = 2
    yield (
        "unsupported version",
        seal(
            world,
            "version",
            plaintext(parts),
            header_bytes=fmt.canonical_json(raw),
            counts=_counts(parts),
        ),
        ("format version",),
    )
    raw = json.loads(envelope.header.encode())
    raw["extra"] = "x"
    yield (
        "unknown header field",
        seal(
            world,
            "header-field",
            plaintext(parts),
            header_bytes=fmt.canonical_json(raw),
            counts=_counts(parts),
        ),
        ("unknown field",),
    )


def _with_sequence(parts: list[tuple[str, Any]], sequence: int) -> list[tuple[str, Any]]:
    out = json.loads(json.dumps([(k, b) for k, b in parts if k != "attachment"]))
    out = [(k, b) for k, b in out]
    out[0][1][0]["sequence"] = sequence
    return out


def _part_hash_broken(parts: list[tuple[str, Any]]) -> bytes:
    out = [fmt.PAYLOAD_MAGIC]
    for n, (kind, body) in enumerate(parts):
        sha = "f" * 64 if kind == "revisions" else None
        out.append(part_bytes(n, kind, body, sha=sha))
    out.append(part_bytes(len(parts), "end", [{"parts": [], "counts": {}}]))
    return b"".join(out)


def _bundle_record(world: World) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(world.parts[0][1][0]))]


def _bundle_then(world: World, *chunks: bytes) -> bytes:
    return fmt.PAYLOAD_MAGIC + part_bytes(0, "bundle", _bundle_record(world)) + b"".join(chunks)


def _raw_part(world: World, raw: bytes) -> bytes:
    return _bundle_then(world, part_bytes(1, "revisions", [], raw=raw, count=1))


def _zlib_part(compressed: bytes, *, raw_size: int) -> bytes:
    header = {
        "n": 1,
        "type": "revisions",
        "size": len(compressed),
        "sha256": "0" * 64,
        "encoding": "jsonl+zlib",
        "count": 1,
        "raw_size": raw_size,
    }
    encoded = fmt.canonical_json(header)
    return struct.pack(">I", len(encoded)) + encoded + compressed


def _find_parent(data: dict[str, Any], key: str) -> dict[str, Any]:
    stack = [data]
    while stack:
        node = stack.pop()
        if key in node:
            return node
        stack.extend(v for v in node.values() if isinstance(v, dict))
    raise KeyError(key)


def _break_choice(record: dict[str, Any]) -> None:
    _find_parent(record["document"]["data"], "swot_category")["swot_category"] = "z"
    _rehash(record)


def _add_field(record: dict[str, Any]) -> None:
    record["document"]["data"]["hack"] = "x"
    _rehash(record)


def _drop_required(record: dict[str, Any]) -> None:
    _find_parent(record["document"]["data"], "swot_category")["swot_category"] = None
    _rehash(record)


def _rehash(record: dict[str, Any]) -> None:
    record["content_hash"] = hashlib.sha256(fmt.canonical_json(record["document"])).hexdigest()


def _state(world: World) -> tuple[str, dict[str, int]]:
    with world.coordinator.target.session() as session:
        connection = session.connection()
        return content_hash(connection), table_counts(connection)


@pytest.fixture(scope="module")
def cases(world: World) -> list[tuple[str, Path, tuple[str, ...]]]:
    """The hostile corpus, generated once (it registers and revokes devices)."""
    return list(corpus(world))


def test_hostile_corpus_gets_the_same_verdicts_when_prechecked(
    world: World, cases: list[tuple[str, Path, tuple[str, ...]]]
) -> None:
    """Imported together (workers decrypt and check the next files ahead), every bad
    bundle is refused with the message it gets alone, and nothing changes."""
    from app.bundle.importer import import_many
    from app.bundle.validate import FormCache

    paths = [path for _case, path, _fragments in cases]
    before = _state(world)
    alone = [
        import_bundle(
            world.coordinator.target,
            path,
            identities=[world.coordinator.identity],
            quarantine_dir=world.root / "quarantine",
        )
        for path in paths
    ]
    assert _state(world) == before
    with FormCache(workers=2, min_parallel=1) as forms:
        together = import_many(
            world.coordinator.target,
            paths,
            identities=[world.coordinator.identity],
            quarantine_dir=world.root / "quarantine",
            forms=forms,
        )
    assert [(r.status, r.message) for r in together] == [(r.status, r.message) for r in alone]
    assert _state(world) == before


def test_hostile_corpus_is_refused_and_changes_nothing(
    world: World, cases: list[tuple[str, Path, tuple[str, ...]]]
) -> None:
    before = _state(world)
    assert len(cases) >= 30
    seen_messages = set()
    for case, path, fragments in cases:
        if case == "replay under a new name":
            result = import_bundle(
                world.coordinator.target, path, identities=[world.coordinator.identity]
            )
            assert result.status is ImportStatus.ALREADY, (case, result.message)
        else:
            result = import_bundle(
                world.coordinator.target,
                path,
                identities=[world.coordinator.identity],
                quarantine_dir=world.root / "quarantine",
            )
            assert result.status is ImportStatus.REJECTED, (case, result.message)
            assert result.quarantined is not None and result.quarantined.is_file(), case
            reason = json.loads(
                result.quarantined.with_name(result.quarantined.name + ".reason.txt").read_text()
            )
            assert reason["reason"] == result.message
            assert path.is_file()  # the original is never deleted
        assert any(f in result.message for f in fragments), (case, result.message)
        assert _state(world) == before, case
        seen_messages.add(result.message)
    assert len(seen_messages) >= 25  # specific messages, not one catch-all
    # And the valid bundle still imports afterwards.
    assert import_bundle(
        world.coordinator.target, world.base, identities=[world.coordinator.identity]
    ).ok


def test_a_pipe_or_a_folder_named_like_a_bundle_is_refused_without_waiting(
    world: World, tmp_path: Path
) -> None:
    """Opening a pipe for reading waits until someone writes to it: an import, an
    inspect or a sync pass that met one named `*.samluat` never finished."""
    import os
    import threading

    from app.bundle.sync import sync_folder

    folder = tmp_path / "shared"
    folder.mkdir()
    pipe, directory = folder / "pipe.samluat", folder / "folder.samluat"
    os.mkfifo(pipe)
    directory.mkdir()
    before = _state(world)
    outcome: dict[str, Any] = {}

    def run() -> None:
        for path in (pipe, directory):
            outcome[path.name] = import_bundle(
                world.coordinator.target,
                path,
                identities=[world.coordinator.identity],
                quarantine_dir=tmp_path / "quarantine",
            )
        outcome["sync"] = sync_folder(
            world.coordinator.target,
            folder,
            identities=[world.coordinator.identity],
            settle_seconds=0,
            write=False,
        )

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "reading a pipe named like a bundle waited for ever"
    for name in ("pipe.samluat", "folder.samluat"):
        result = outcome[name]
        assert result.status is ImportStatus.REJECTED
        assert result.message == "this is not a file but a folder, a pipe or a device"
    assert outcome["sync"].imported == [] and outcome["sync"].ok
    assert _state(world) == before
    assert pipe.exists() and directory.is_dir()  # nothing of the user's is removed


def test_a_bundle_from_an_untrusted_coordinator_names_the_laptops_command(
    tmp_path: Path,
) -> None:
    """On a laptop, a coordinator's bundle signed by a coordinator it does not trust (QA:
    its machine is called "vm") pointed to `keys register`, which refuses a coordinator
    card; the coordinator still gets `keys register` for an unknown laptop."""
    coordinator = make_coordinator(tmp_path)
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    stranger = make_field(tmp_path, coordinator, "stranger", register=False)
    vm = make_coordinator(tmp_path, name="vm")
    try:
        register_device(vm.target, device_keys(laptop.target).card())
        written = export_coordinator_bundle(
            vm.target, device_id=laptop.device_id, folder=tmp_path / "from-vm"
        )
        assert written is not None
        result = import_bundle(laptop.target, written.path, quarantine_dir=tmp_path / "q")
        assert result.status is ImportStatus.REJECTED
        assert result.message.startswith(f"signed by an unknown device 'vm' ({vm.target.device_id}")
        assert result.message.endswith(
            ": if it is your coordinator, trust its coordinator card first "
            "(samluat keys trust-coordinator coordinator.card.json)"
        )
        assert "keys register" not in result.message

        stranger.interview(dict(synthetic_documents()[0]))
        written = export_field_bundle(stranger.target, folder=tmp_path / "from-stranger")
        assert written is not None
        result = import_bundle(coordinator.target, written.path, identities=[coordinator.identity])
        assert result.status is ImportStatus.REJECTED
        assert result.message.endswith(": register its card first (samluat keys register)")
    finally:
        for each in (laptop, stranger, vm, coordinator):
            each.close()
