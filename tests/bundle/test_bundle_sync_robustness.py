"""Folder sync and quarantine with awkward files: names that are not UTF-8, long Lao
names, refused files sharing a name, other laptops' fresh bundles, failed writes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bundle.export import bundle_file_name, export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.keys import init_device_keys, register_device, revoke_device
from app.bundle.sync import named_for_someone_else, sync_folder
from app.store import fileio
from app.store.fileio import atomic_write_bytes, read_json, readable_name, write_json
from tests.bundle.bundletools import Coordinator, Field, make_field, reopen, synthetic_documents


@pytest.fixture
def laptop(tmp_path: Path, coordinator: Coordinator) -> Iterator[Field]:
    f = make_field(tmp_path, coordinator, "laptop-r")
    f.interview(dict(synthetic_documents()[0]))
    yield f
    f.close()


def _settled(path: Path) -> None:
    os.utime(path, (time.time() - 120, time.time() - 120))


def _rename(path: Path, name: bytes) -> Path:
    """Rename `path` in its folder to the raw bytes `name`; the new path as Python sees it."""
    new = os.path.join(os.fsencode(path.parent), name)
    os.rename(os.fsencode(path), new)
    return Path(os.fsdecode(new))


def _damaged(source: Path, dest: Path, at: int | None = None) -> Path:
    data = bytearray(source.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 1
    dest.write_bytes(bytes(data))
    return dest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reason(copy: Path) -> dict[str, object]:
    value = json.loads(copy.with_name(copy.name + ".reason.txt").read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def _kept(folder: Path) -> list[Path]:
    """The copies in a quarantine folder (not the reasons)."""
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".reason.txt"))


# --- A: names that are not valid UTF-8 ------------------------------------------------


def test_a_bundle_whose_name_is_not_utf8_is_imported_and_the_pass_finishes(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    odd = _rename(written.path, b"x\xe9-" + os.fsencode(written.path.name))
    _settled(odd)

    report = sync_folder(
        coordinator.target,
        folder,
        identities=[coordinator.identity],
        settle_seconds=0,
        quarantine_dir=tmp_path / "q",
    )
    assert [r.status for r in report.imported] == [ImportStatus.APPLIED], report.lines()
    assert len(report.written) == 1  # the reply to the laptop
    text = "\n".join(report.lines())
    text.encode("utf-8")  # printable as it is
    assert f"x\\xe9-{written.path.name}: applied" in text
    assert report.imported[0].name == f"x\\xe9-{written.path.name}"
    # The pass remembered the file: the next one neither reads nor writes anything.
    again = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
    )
    assert again.imported == [] and again.written == [], again.lines()
    # And the laptop takes the reply.
    back = sync_folder(laptop.target, folder, settle_seconds=0, write=False)
    assert [r.status for r in back.imported] == [ImportStatus.APPLIED], back.lines()


def test_a_refused_file_whose_name_is_not_utf8_is_quarantined_with_a_readable_name(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    written = export_field_bundle(laptop.target, folder=tmp_path / "out")
    assert written is not None
    folder.mkdir()
    damaged = _damaged(written.path, folder / "damaged.samluat")
    odd = _rename(damaged, b"y\xe9-damaged.samluat")
    _settled(odd)

    report = sync_folder(
        coordinator.target,
        folder,
        identities=[coordinator.identity],
        settle_seconds=0,
        quarantine_dir=tmp_path / "q",
    )
    (result,) = report.imported
    assert result.status is ImportStatus.REJECTED and "does not verify" in result.message
    "\n".join(report.lines()).encode("utf-8")
    assert result.quarantined is not None and result.quarantined.is_file()
    assert result.quarantined.name == f"{_sha(odd)[:16]}-y\\xe9-damaged.samluat"
    assert result.quarantined.read_bytes() == odd.read_bytes()
    reason = _reason(result.quarantined)
    assert reason["reason"] == result.message
    assert str(reason["file"]).endswith("y\\xe9-damaged.samluat")
    # Remembered too: the next pass leaves it alone.
    again = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
    )
    assert again.imported == []


def test_write_json_keeps_names_that_are_not_utf8() -> None:
    name = os.fsdecode(b"x\xe9.samluat")
    with pytest.raises(UnicodeEncodeError):
        name.encode("utf-8")
    assert readable_name(name) == "x\\xe9.samluat"
    assert readable_name("ສຳຫຼວດ.samluat") == "ສຳຫຼວດ.samluat"


def test_write_json_round_trips_surrogate_escaped_text(tmp_path: Path) -> None:
    value = {"seen": {os.fsdecode(b"x\xe9.samluat"): "1:2", "ສຳຫຼວດ.samluat": "3:4"}}
    write_json(tmp_path / "memory.json", value)
    assert read_json(tmp_path / "memory.json") == value
    write_json(tmp_path / "plain.json", {"ສຳຫຼວດ": 1})  # readable text stays readable
    assert "ສຳຫຼວດ" in (tmp_path / "plain.json").read_text(encoding="utf-8")


# --- B: refused files sharing a name ----------------------------------------------------


def test_refused_files_with_the_same_name_each_keep_their_copy_and_reason(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    written = export_field_bundle(laptop.target, folder=tmp_path / "out")
    assert written is not None
    data = written.path.read_bytes()
    quarantine = tmp_path / "q"
    files = []
    for n, cut in enumerate((100, 300)):  # truncated: unreadable, so no hash in the name
        where = tmp_path / f"stick-{n}"
        where.mkdir()
        files.append(where / "bundle.samluat")
        files[-1].write_bytes(data[:cut])
    results = [
        import_bundle(
            coordinator.target, path, identities=[coordinator.identity], quarantine_dir=quarantine
        )
        for path in files
    ]
    assert [r.status for r in results] == [ImportStatus.REJECTED] * 2
    copies = [r.quarantined for r in results]
    assert copies[0] is not None and copies[1] is not None and copies[0] != copies[1]
    for path, copy, result in zip(files, copies, results, strict=True):
        assert copy is not None
        assert copy.read_bytes() == path.read_bytes()
        reason = _reason(copy)
        assert reason["reason"] == result.message
        assert reason["sha256"] == _sha(path)
        assert reason["file"] == str(path)
    assert copies[0].name == "unreadable-bundle.samluat"
    assert copies[1].name == f"unreadable-bundle-{_sha(files[1])[:8]}.samluat"

    # The same bytes again (from a third stick): no third copy.
    third = tmp_path / "stick-2" / "bundle.samluat"
    third.parent.mkdir()
    third.write_bytes(files[1].read_bytes())
    again = import_bundle(
        coordinator.target, third, identities=[coordinator.identity], quarantine_dir=quarantine
    )
    assert again.quarantined == copies[1]
    assert _reason(copies[1])["file"] == str(third)
    assert len(_kept(quarantine)) == 2
    assert not [p for p in quarantine.iterdir() if p.name.startswith(".")]  # no temp files


# --- C: long names ----------------------------------------------------------------------


def test_a_long_lao_name_is_cut_by_bytes_and_quarantined(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    written = export_field_bundle(laptop.target, folder=tmp_path / "out")
    assert written is not None
    name = "ແບບສອບຖາມ" * 9 + ".samluat"  # 81 letters: 243 bytes + the suffix
    assert len(name) < 150 < len(name.encode("utf-8")) <= 255
    damaged = _damaged(written.path, tmp_path / name)
    result = import_bundle(
        coordinator.target,
        damaged,
        identities=[coordinator.identity],
        quarantine_dir=tmp_path / "q",
    )
    assert result.status is ImportStatus.REJECTED
    copy = result.quarantined
    assert copy is not None and copy.is_file(), "the long name was not quarantined"
    assert copy.read_bytes() == damaged.read_bytes()
    assert copy.name.startswith(f"{_sha(damaged)[:16]}-ແບບສອບຖາມ")
    assert copy.name.endswith(".samluat")
    assert len((copy.name + ".reason.txt").encode("utf-8")) <= 255
    copy.name.encode("utf-8")  # not cut inside a letter
    assert _reason(copy)["reason"] == result.message


# --- D: refused but readable files are not "unreadable" ----------------------------------


def test_readable_refused_files_are_quarantined_under_their_hash(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    other = make_field(tmp_path, coordinator, "laptop-other")
    quarantine = tmp_path / "q"
    try:
        for_other = export_coordinator_bundle(
            coordinator.target, device_id=other.device_id, folder=tmp_path / "out"
        )
        assert for_other is not None
        misdelivered = import_bundle(laptop.target, for_other.path, quarantine_dir=quarantine)
        assert misdelivered.status is ImportStatus.REJECTED
        assert "addressed to another laptop" in misdelivered.message

        other.interview(dict(synthetic_documents()[1]))
        revoked_bundle = export_field_bundle(other.target, folder=tmp_path / "out")
        assert revoked_bundle is not None
        revoke_device(coordinator.target, other.device_id)
        revoked = import_bundle(
            coordinator.target,
            revoked_bundle.path,
            identities=[coordinator.identity],
            quarantine_dir=quarantine,
        )
        assert revoked.status is ImportStatus.REJECTED and "was revoked" in revoked.message

        for result, path in ((misdelivered, for_other.path), (revoked, revoked_bundle.path)):
            assert result.sha256 == _sha(path)
            assert result.quarantined is not None
            assert result.quarantined.name == f"{_sha(path)[:16]}-{path.name}"
            assert _reason(result.quarantined)["sha256"] == _sha(path)

        truncated = tmp_path / "truncated.samluat"
        truncated.write_bytes(for_other.path.read_bytes()[:50])
        unreadable = import_bundle(laptop.target, truncated, quarantine_dir=quarantine)
        assert unreadable.status is ImportStatus.REJECTED and unreadable.sha256 is None
        assert unreadable.quarantined is not None
        assert unreadable.quarantined.name == "unreadable-truncated.samluat"
    finally:
        other.close()


# --- H: atomic writes that fail ---------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_atomic_write_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "lockout.json"
    target.write_bytes(b"old")

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, failing, full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lockout.json"]
    assert target.read_bytes() == b"old"
    atomic_write_bytes(target, b"new")  # and it works once the disk has room
    assert target.read_bytes() == b"new"


# --- J: other laptops' fresh bundles ----------------------------------------------------


def test_other_laptops_fresh_bundles_are_not_reported_as_being_written(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    other = make_field(tmp_path, coordinator, "laptop-other")
    folder = tmp_path / "usb"
    try:
        mine = export_coordinator_bundle(
            coordinator.target, device_id=laptop.device_id, folder=folder
        )
        theirs = export_coordinator_bundle(
            coordinator.target, device_id=other.device_id, folder=folder
        )
        their_own = export_field_bundle(other.target, folder=folder)
        assert mine is not None and theirs is not None and their_own is not None
        syncthing = folder / f".syncthing.{theirs.path.name}.tmp"  # a copy arriving
        syncthing.write_bytes(b"")

        # Everything was written just now: a laptop waits only for what is for it.
        report = sync_folder(laptop.target, folder, settle_seconds=60, write=False)
        assert report.skipped_partial == [mine.path], report.lines()
        assert report.imported == []
        # The coordinator waits for the field bundle, not for its own replies.
        report = sync_folder(
            coordinator.target,
            folder,
            identities=[coordinator.identity],
            settle_seconds=60,
            write=False,
        )
        assert report.skipped_partial == [their_own.path], report.lines()
        # Once settled, the laptop imports its own and still skips the others quietly.
        for path in (mine.path, theirs.path, their_own.path):
            _settled(path)
        report = sync_folder(laptop.target, folder, settle_seconds=60, write=False)
        assert [r.path for r in report.imported] == [mine.path]
        assert report.imported[0].status is ImportStatus.APPLIED
        assert report.skipped_partial == []
    finally:
        other.close()


def test_names_tell_whom_a_bundle_is_for() -> None:
    me, other = "5d0c0c3a-1234-4bcd-8000-000000000001", "9e1f2a3b-7777-4bcd-8000-000000000002"
    to_me = bundle_file_name("coordinator", "c0ffee00-1111", me, 7)
    to_other = bundle_file_name("coordinator", "c0ffee00-1111", other, 7)
    field = bundle_file_name("field", other, "coordinator", 12)
    for name in (to_me, to_me.replace(".samluat", " (1).samluat"), f"~syncthing~{to_me}.tmp"):
        assert not named_for_someone_else(name, me, coordinator=False), name
    for name in (
        to_other,
        field,
        field.replace(".samluat", ".sync-conflict-20261201-101010-ABCDEF.samluat"),
        f".syncthing.{to_other}.tmp",
    ):
        assert named_for_someone_else(name, me, coordinator=False), name
    assert not named_for_someone_else(field, me, coordinator=True)
    assert named_for_someone_else(to_me, me, coordinator=True)
    for unknown in ("incoming.samluat", "samluat-field-1.samluat", "from-noy.samluat"):
        assert not named_for_someone_else(unknown, me, coordinator=False), unknown


def test_a_bundle_refused_before_its_laptop_was_registered_is_taken_at_the_next_pass(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """A laptop synced before the coordinator registered its card: once registered, the
    file still in the folder is imported (the memory used to skip it for ever)."""
    early = make_field(tmp_path, coordinator, "laptop-early", register=False)
    try:
        early.interview(dict(synthetic_documents()[2]))
        folder = tmp_path / "usb"
        written = export_field_bundle(early.target, folder=folder)
        assert written is not None
        _settled(written.path)
        first = sync_folder(
            coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
        )
        assert [r.status for r in first.imported] == [ImportStatus.REJECTED], first.lines()
        again = sync_folder(
            coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
        )
        assert again.imported == []  # nothing changed: not read again
        register_device(coordinator.target, init_device_keys(early.target).card())
        after = sync_folder(
            coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
        )
        assert [r.status for r in after.imported] == [ImportStatus.APPLIED], after.lines()
    finally:
        early.close()


def test_after_a_restore_the_folder_is_read_again(
    coordinator: Coordinator, laptop: Field, tmp_path: Path
) -> None:
    """The coordinator's database restored from a backup older than a pass: the bundles
    still in the folder are imported again (the memory said they were seen)."""
    backup = tmp_path / "before.db"
    coordinator.store.backup(dest=backup)
    folder = tmp_path / "usb"
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    _settled(written.path)
    report = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
    )
    assert [r.status for r in report.imported] == [ImportStatus.APPLIED], report.lines()
    path = coordinator.store.path
    coordinator.store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(backup.read_bytes())
    target = reopen(coordinator)
    restored = sync_folder(target, folder, identities=[coordinator.identity], settle_seconds=0)
    assert [r.status for r in restored.imported] == [ImportStatus.APPLIED], restored.lines()


# --- K: a laptop whose clock is ahead -----------------------------------------------------


def test_a_bundle_dated_in_the_future_is_imported_once_it_stops_changing(
    coordinator: Coordinator, laptop: Field, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An offline laptop's clock a day ahead: its bundle, copied with its time, used to
    count as "still being written" at the coordinator until that day came."""
    folder = tmp_path / "usb"
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    tomorrow = time.time() + 86_400
    os.utime(written.path, (tomorrow, tomorrow))
    waits: list[float] = []
    monkeypatch.setattr("app.bundle.sync.time.sleep", waits.append)
    report = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=60
    )
    assert report.skipped_partial == [], report.lines()
    assert [r.status for r in report.imported] == [ImportStatus.APPLIED]
    assert waits == [2.0]  # one short look, not the whole settle time
    # The next passes know the file: no look, nothing imported again.
    again = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=60
    )
    assert again.imported == [] and again.skipped_partial == []
    assert waits == [2.0]


def test_a_file_dated_in_the_future_that_grows_while_looked_at_waits(
    coordinator: Coordinator, laptop: Field, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "usb"
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    whole = written.path.read_bytes()
    written.path.write_bytes(whole[:1000])  # the copy has only begun
    tomorrow = time.time() + 86_400
    os.utime(written.path, (tomorrow, tomorrow))

    def copy_goes_on(_seconds: float) -> None:  # the rest arrives while the pass looks
        written.path.write_bytes(whole)
        os.utime(written.path, (tomorrow + 1, tomorrow + 1))

    monkeypatch.setattr("app.bundle.sync.time.sleep", copy_goes_on)
    report = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=60
    )
    assert report.skipped_partial == [written.path] and report.imported == []
    assert not list((tmp_path / "samluat-home").rglob("*.reason.txt"))  # not quarantined
    monkeypatch.setattr("app.bundle.sync.time.sleep", lambda _seconds: None)
    report = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=60
    )
    assert [r.status for r in report.imported] == [ImportStatus.APPLIED]


# --- L: a refused file too large to copy --------------------------------------------------


def test_a_huge_refused_file_gets_its_reason_but_no_copy(
    coordinator: Coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hours of audio cut short on the stick: a copy in quarantine would take the disk the
    database needs. Its reason is kept; the file itself stays where it was."""
    field = make_field(tmp_path, coordinator, "laptop-audio")
    try:
        field.interview(dict(synthetic_documents()[0]), attachment=os.urandom(400_000))
        written = export_field_bundle(field.target, folder=tmp_path / "usb")
        assert written is not None
        whole = written.path.read_bytes()
        written.path.write_bytes(whole[: len(whole) // 2])  # the copy stopped half way
        monkeypatch.setattr("app.bundle.importer.QUARANTINE_COPY_LIMIT", 100_000)
        quarantine = tmp_path / "q"
        result = import_bundle(
            coordinator.target,
            written.path,
            identities=[coordinator.identity],
            quarantine_dir=quarantine,
        )
        assert result.status is ImportStatus.REJECTED and result.quarantined is None
        kept = list(quarantine.iterdir())
        assert len(kept) == 1 and kept[0].name.endswith(".reason.txt")
        record = json.loads(kept[0].read_text(encoding="utf-8"))
        assert record["copied"] is False and record["size"] == len(whole) // 2
        assert "truncated" in record["reason"] or "damaged" in record["reason"]
        assert written.path.read_bytes() == whole[: len(whole) // 2]  # left where it was
        # Small refused files are still copied beside their reason.
        small = tmp_path / "usb" / "small.samluat"
        small.write_bytes(whole[:5_000])
        result = import_bundle(
            coordinator.target, small, identities=[coordinator.identity], quarantine_dir=quarantine
        )
        assert result.quarantined is not None and result.quarantined.is_file()
    finally:
        field.close()


# --- The file changes under the importer -----------------------------------------------


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_a_bundle_replaced_or_removed_while_imported_is_read_afresh_later(
    coordinator: Coordinator,
    laptop: Field,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """A synced folder replaces a bundle by another one, or the stick is pulled, between
    the checks and the decryption. That used to be refused as "encrypted to another
    coordinator" (with the other file's bytes kept under the first one's name), or to end
    in a traceback. Now it is named for what it is, nothing is kept in quarantine, and the
    file now there is imported on its own merits."""
    from app.bundle import format as fmt
    from app.bundle.errors import Refusal
    from app.store.check import content_hash

    first = export_field_bundle(laptop.target, folder=tmp_path / "a")
    laptop.interview(dict(synthetic_documents()[1]))
    other = export_field_bundle(laptop.target, folder=tmp_path / "b")
    assert first is not None and other is not None
    path = first.path
    hash_file, swapped = fmt.hash_file, []

    def hashed_then_changed(envelope: fmt.Envelope) -> tuple[str, bytes]:
        found = hash_file(envelope)
        if not swapped:
            swapped.append(True)
            if change == "replaced":
                os.replace(other.path, path)
            else:
                path.unlink()
        return found

    def state() -> str:
        with coordinator.target.session() as session:
            return content_hash(session.connection())

    before = state()
    monkeypatch.setattr(fmt, "hash_file", hashed_then_changed)
    quarantine = tmp_path / "quarantine"
    result = import_bundle(
        coordinator.target, path, identities=[coordinator.identity], quarantine_dir=quarantine
    )
    assert result.status is ImportStatus.REJECTED
    assert result.refusal is not None
    assert result.refusal.reason is Refusal.CHANGED_WHILE_READING
    assert result.message.startswith("the file changed or disappeared while it was being imported")
    assert result.quarantined is None and not quarantine.exists()
    assert state() == before
    monkeypatch.setattr(fmt, "hash_file", hash_file)
    if change == "replaced":  # the file now there is another bundle, taken as such
        again = import_bundle(coordinator.target, path, identities=[coordinator.identity])
        assert again.status is ImportStatus.APPLIED and again.sequence == other.sequence


def test_a_refused_file_named_relatively_is_recorded_where_it_was(
    coordinator: Coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`samluat bundle import stick/x.samluat` from some folder: the refusal (and the list
    of refused files in the app) says where the file was, not the words typed."""
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "x.samluat").write_bytes(b"not a bundle at all, just some bytes" * 10)
    monkeypatch.chdir(tmp_path)
    result = import_bundle(
        coordinator.target,
        Path("stick/x.samluat"),
        identities=[coordinator.identity],
        quarantine_dir=tmp_path / "quarantine",
    )
    assert result.status is ImportStatus.REJECTED and result.quarantined is not None
    assert _reason(result.quarantined)["file"] == str(stick / "x.samluat")
