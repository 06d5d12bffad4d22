"""Why a bundle was refused, as the app says it: in the interface's language, naming the
laptop, pointing to Keys and laptops rather than a command, with a readable date.
The quarantine file and the command line keep the technical English reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bundle.errors import BundleRejected, Refusal
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportResult, ImportStatus
from app.bundle.keys import init_device_keys, register_device
from app.core.i18n import translator
from app.fieldwork.keyring import revoke_laptop
from app.fieldwork.refusals import refusal_text
from app.fieldwork.syncing import import_bundle_files
from tests.bundle.bundletools import Coordinator, Field, make_coordinator, make_field
from tests.bundle.bundletools import synthetic_documents as documents

LAO = re.compile("[\u0e80-\u0eff]")


@pytest.fixture
def english() -> Iterator[None]:
    translator.set_language("en")
    yield
    translator.set_language("en")


@pytest.fixture
def laptops(tmp_path: Path, english: None) -> Iterator[tuple[Coordinator, Field, Field]]:
    coordinator = make_coordinator(tmp_path)
    registered = make_field(tmp_path, coordinator, "laptop-a")
    stranger = make_field(tmp_path, coordinator, "laptop-b", register=False)
    yield coordinator, registered, stranger
    registered.close()
    stranger.close()
    coordinator.close()


def bundle_of(field: Field, folder: Path) -> Path:
    field.interview(dict(documents(count=1)[0]))
    written = export_field_bundle(field.target, folder=folder)
    assert written is not None
    return written.path


def refused(coordinator: Coordinator, path: Path) -> str:
    outcome = import_bundle_files(coordinator.store, [path], identities=[coordinator.identity])
    assert outcome.imported == 0 and len(outcome.problems) == 1
    return outcome.problems[0]


def test_a_laptop_not_registered_is_named_and_the_screen_to_register_it_given(
    laptops: tuple[Coordinator, Field, Field], tmp_path: Path
) -> None:
    coordinator, _registered, stranger = laptops
    path = bundle_of(stranger, tmp_path / "chat")
    text = refused(coordinator, path)
    assert text.startswith(f"{path.name}: sent by “laptop-b”")
    assert "Keys and laptops" in text and "samluat keys" not in text
    translator.set_language("lo")
    lao = refused(coordinator, path)
    assert "“laptop-b”" in lao and "ກະແຈ ແລະ ຄອມພິວເຕີ" in lao and "keys register" not in lao
    # The quarantined copy keeps the technical reason (device id, key, command).
    reasons = list((tmp_path / "samluat-home").rglob("*.reason.txt"))
    assert reasons and "samluat keys register" in json.loads(reasons[0].read_text())["reason"]


def test_a_revoked_laptop_is_refused_with_a_readable_date(
    laptops: tuple[Coordinator, Field, Field], tmp_path: Path
) -> None:
    coordinator, registered, _stranger = laptops
    path = bundle_of(registered, tmp_path / "stick")
    revoke_laptop(coordinator.store, registered.device_id)
    translator.set_language("lo")
    text = refused(coordinator, path)
    assert "“laptop-a” ຖືກຖອນສິດເມື່ອ" in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d;", text)  # local time, not 2026-…T…Z
    assert "Z" not in text and "revoked" not in text


def test_a_file_cut_short_or_altered_says_what_to_do_in_lao(
    laptops: tuple[Coordinator, Field, Field], tmp_path: Path
) -> None:
    coordinator, registered, _stranger = laptops
    path = bundle_of(registered, tmp_path / "stick")
    whole = path.read_bytes()
    cut = tmp_path / "cut" / path.name
    cut.parent.mkdir()
    cut.write_bytes(whole[: len(whole) // 2])
    altered = tmp_path / "altered" / path.name
    altered.parent.mkdir()
    middle = len(whole) // 2
    altered.write_bytes(whole[:middle] + bytes([whole[middle] ^ 1]) + whole[middle + 1 :])
    note = tmp_path / "notes.samluat"
    note.write_text("minutes of the provincial meeting\n" * 20, encoding="utf-8")

    assert "cut short" in refused(coordinator, cut)
    assert "after “laptop-a” signed it" in refused(coordinator, altered)
    assert refused(coordinator, note) == "notes.samluat: not a Samluat bundle."
    translator.set_language("lo")
    assert "ໄຟລ໌ບໍ່ຄົບ" in refused(coordinator, cut)
    assert "ຫຼັງຈາກ “laptop-a” ລົງລາຍເຊັນແລ້ວ" in refused(coordinator, altered)
    assert "ບໍ່ແມ່ນໄຟລ໌ຂໍ້ມູນຂອງ" in refused(coordinator, note)
    # Nothing was stored from any of them.
    assert coordinator.store.list_submissions().total == 0


def test_a_coordinator_the_laptop_does_not_trust_points_to_trusting_its_card(
    laptops: tuple[Coordinator, Field, Field], tmp_path: Path
) -> None:
    _coordinator, registered, _stranger = laptops
    other = make_coordinator(tmp_path, name="ຜູ້ປະສານງານ-ໃໝ່")
    try:
        register_device(other.target, init_device_keys(registered.target).card())
        reply = export_coordinator_bundle(
            other.target, device_id=registered.device_id, folder=tmp_path / "stick"
        )
        assert reply is not None
        outcome = import_bundle_files(registered.store, [reply.path])
        assert outcome.imported == 0
        assert outcome.problems == [
            f"{reply.path.name}: sent by the coordinator “ຜູ້ປະສານງານ-ໃໝ່”, whom this laptop "
            "does not trust yet: Samluat → Keys and laptops… → Trust a coordinator card…, "
            "then sync again."
        ]
    finally:
        other.close()


@pytest.mark.parametrize("reason", list(Refusal))
def test_every_kind_of_refusal_has_its_own_words_in_both_languages(
    reason: Refusal, english: None
) -> None:
    error = BundleRejected("technical detail", reason, laptop="laptop-a", sequence=3)
    result = ImportResult(
        path=Path("b.samluat"), status=ImportStatus.REJECTED, message=str(error), refusal=error
    )
    general = BundleRejected("technical detail")
    fallback = ImportResult(
        path=Path("b.samluat"), status=ImportStatus.REJECTED, message="", refusal=general
    )
    english_text = refusal_text(result)
    assert english_text.startswith("b.samluat: ") and not LAO.search(english_text)
    if reason is not Refusal.DAMAGED:
        assert english_text != refusal_text(fallback)  # not the catch-all sentence
    translator.set_language("lo")
    lao_text = refusal_text(result)
    assert LAO.search(lao_text) and lao_text != english_text
