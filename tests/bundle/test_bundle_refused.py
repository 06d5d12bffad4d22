"""The quarantine folder read back: every refused file with when and why, newest first.

Reason files are written by the importer, but the folder lives on a disk anyone can
write to: what is not a reason file we wrote is skipped, fields of the wrong type are
read as missing, and nothing raises.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bundle import format as fmt
from app.bundle.errors import Refusal
from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.refused import MAX_REASON_BYTES, refused_files
from app.core.i18n import translator
from app.fieldwork.refusals import refused_file_text
from tests.bundle.bundletools import Coordinator, make_field, synthetic_documents

LAO = re.compile("[\u0e80-\u0eff]")


@pytest.fixture
def quarantined(coordinator: Coordinator, tmp_path: Path) -> Iterator[Path]:
    """A quarantine folder after three refusals: a laptop never registered, a bundle cut
    short on the stick, and a photo renamed by a chat app (in that order)."""
    stranger = make_field(tmp_path, coordinator, "laptop-x", register=False)
    stranger.interview(dict(synthetic_documents(count=1)[0]))
    written = export_field_bundle(stranger.target, folder=tmp_path / "stick")
    stranger.close()
    assert written is not None
    cut = tmp_path / "stick" / "cut.samluat"
    cut.write_bytes(written.path.read_bytes()[:900])
    photo = tmp_path / "stick" / "IMG_2041.samluat"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(3000))
    folder = tmp_path / "quarantine"
    for path in (written.path, cut, photo):
        result = import_bundle(
            coordinator.target, path, identities=[coordinator.identity], quarantine_dir=folder
        )
        assert result.status is ImportStatus.REJECTED
    yield folder
    translator.set_language("en")


def test_refused_files_are_listed_newest_first_with_their_kind(quarantined: Path) -> None:
    files = refused_files(quarantined)
    assert [f.name for f in files] == [
        "IMG_2041.samluat",
        "cut.samluat",
        next(f.name for f in files if f.name.startswith("samluat-field-")),
    ]
    unknown = files[2]
    assert [f.refusal.reason if f.refusal else None for f in files] == [
        Refusal.NOT_A_BUNDLE,
        Refusal.TRUNCATED,
        Refusal.UNKNOWN_LAPTOP,
    ]
    assert unknown.claimed_source == "laptop-x" and unknown.claimed_kind == fmt.KIND_FIELD
    assert unknown.where.endswith("/stick")
    for item in files:
        assert item.copy is not None and item.copy.is_file()
        assert item.rejected_at is not None
    assert "unknown device 'laptop-x'" in unknown.reason  # the English detail is kept
    # Worded in the UI's language, the laptop named and the screen to register it given.
    assert "laptop-x" in refused_file_text(unknown) and "Keys and laptops" in refused_file_text(
        unknown
    )
    translator.set_language("lo")
    for item in files:
        assert LAO.search(refused_file_text(item)), refused_file_text(item)
    assert "laptop-x" in refused_file_text(unknown)


def test_a_reason_file_from_an_older_app_shows_its_english_reason(tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    folder.mkdir()
    (folder / "0123456789abcdef-old.samluat").write_bytes(b"x")
    (folder / "0123456789abcdef-old.samluat.reason.txt").write_text(
        json.dumps(
            {
                "file": "C:\\Users\\noy\\Desktop\\old.samluat",
                "rejected_at": "2026-05-11T01:00:00.000000Z",
                "reason": "the file is too short to be a bundle (truncated?)",
                "sha256": "0123456789abcdef" * 4,
                "app_version": "0.1.0",
            }
        )
    )
    (item,) = refused_files(folder)
    assert item.name == "old.samluat" and item.where == "C:/Users/noy/Desktop"
    assert item.refusal is None
    translator.set_language("lo")
    try:
        assert refused_file_text(item) == "the file is too short to be a bundle (truncated?)"
    finally:
        translator.set_language("en")


def test_what_is_not_a_reason_file_we_wrote_is_skipped(quarantined: Path) -> None:
    good = len(refused_files(quarantined))
    hostile = {
        "garbage.reason.txt": b"\x00\xff not json",
        "list.reason.txt": b"[1, 2, 3]",
        "no-reason.reason.txt": json.dumps({"file": "x.samluat"}).encode(),
        "reason-not-text.reason.txt": json.dumps({"reason": ["a"]}).encode(),
        "huge.reason.txt": json.dumps({"reason": "x" * MAX_REASON_BYTES}).encode(),
        "deep.reason.txt": b"[" * 30_000 + b"]" * 30_000,  # under the size limit
    }
    for name, data in hostile.items():
        (quarantined / name).write_bytes(data)
    (quarantined / "a-folder.reason.txt").mkdir()
    os.symlink("/etc/passwd", quarantined / "link.reason.txt")
    # Wrong types and unknown kinds are read as missing, not trusted.
    (quarantined / "odd.samluat.reason.txt").write_text(
        json.dumps(
            {
                "file": 12,
                "rejected_at": "yesterday",
                "reason": "from a newer app",
                "refusal": {"kind": "gremlins", "sequence": "3"},
                "claimed": ["not", "a", "dict"],
                "size": "big",
            }
        )
    )
    (quarantined / "typed.samluat.reason.txt").write_text(
        json.dumps(
            {
                "reason": "bundle 3 replayed",
                "refusal": {"kind": "replayed", "laptop": 7, "sequence": "3", "when": 5},
            }
        )
    )
    files = refused_files(quarantined)
    assert len(files) == good + 2
    odd = next(f for f in files if f.reason == "from a newer app")
    assert odd.refusal is None and odd.rejected_at is None and odd.size is None
    assert odd.name == "odd.samluat" and odd.copy is None and odd.claimed_source is None
    typed = next(f for f in files if f.reason == "bundle 3 replayed")
    assert typed.refusal is not None and typed.refusal.reason is Refusal.REPLAYED
    assert typed.refusal.laptop is None and typed.refusal.sequence is None
    assert "?" in refused_file_text(typed)  # said without the facts it lacks
    assert files[-2:] in ([odd, typed], [typed, odd])  # no time: listed last


def test_no_quarantine_folder_yet_means_nothing_refused(tmp_path: Path) -> None:
    assert refused_files(tmp_path / "never-made") == []
