"""SIGKILL in the middle of an import; folder sync on a shared folder; the CLI end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.keys import COORDINATOR_CARD_FORMAT, read_card, trust_coordinator
from app.bundle.sync import candidate_files, is_partial_name, sync_folder
from app.cli.main import main
from app.store.check import content_hash, table_counts
from app.store.store import open_store
from tests.bundle.bundletools import (
    PASSPHRASE,
    PASSWORD,
    REPO,
    Coordinator,
    make_field,
    synthetic_documents,
)

CHILD = """
import sys, time
from pathlib import Path
from app.bundle import applier, staging
from app.bundle.importer import import_bundle
from app.bundle.keys import AgeIdentity
from app.bundle.target import BundleTarget
from app.store.store import open_store

db, bundle, secret, password, where = sys.argv[1:6]
owner, name = {
    "staging": (staging.StagedAttachments, "flush"),  # audio written and committed
    "applying": (applier.Applier, "_events"),  # rows written inside the open transaction
}[where]
original = getattr(owner, name)

def slow(self, *args):
    original(self, *args)
    print("MID", flush=True)
    time.sleep(60)

setattr(owner, name, slow)
with open_store(username="coord", password=password, path=Path(db)) as store:
    target = BundleTarget.from_store(store)
    print(import_bundle(target, Path(bundle), identities=[AgeIdentity.from_secret(secret)]))
"""


def _state(coordinator: Coordinator) -> tuple[str, dict[str, int]]:
    with coordinator.target.session() as session:
        return content_hash(session.connection()), table_counts(session.connection())


@pytest.mark.parametrize("where", ["staging", "applying"])
def test_sigkill_mid_import_leaves_database_as_it_was(
    coordinator: Coordinator, tmp_path: Path, where: str
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-k")
    for document in synthetic_documents()[:5]:
        field.interview(dict(document), attachment=os.urandom(700_000))
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None
    before = _state(coordinator)
    db = coordinator.store.path
    coordinator.store.close()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(db),
            str(bundle.path),
            coordinator.identity.secret,
            PASSWORD,
            where,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "MID", line
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    coordinator.store = open_store(username="coord", password=PASSWORD, path=db)
    from app.bundle.target import BundleTarget

    coordinator.target = BundleTarget.from_store(coordinator.store)
    after = _state(coordinator)
    assert after[0] == before[0]
    assert {k: v for k, v in after[1].items() if k != "paradata_event"} == {
        k: v for k, v in before[1].items() if k != "paradata_event"
    }  # (logging in again adds a login event)
    assert coordinator.store.check().ok
    result = import_bundle(coordinator.target, bundle.path, identities=[coordinator.identity])
    assert result.status is ImportStatus.APPLIED, result.message
    assert result.stats["revisions_new"] == 5
    field.close()


def test_partial_names_of_sync_tools() -> None:
    for name in (
        ".samluat-field-1.samluat.partial",
        ".syncthing.samluat-field-1.samluat.tmp",
        "~syncthing~samluat-field-1.samluat.tmp",
        ".samluat-field-1.samluat.~3fa2b1",
        "samluat-field-1.samluat.part",
        "samluat-field-1.samluat.crdownload",
        "~$samluat-field-1.samluat",
    ):
        assert is_partial_name(name), name
    for name in (
        "samluat-field-1.samluat",
        "samluat-field-1.sync-conflict-20261201-101010-ABCDEF.samluat",
        "samluat-field-1 (conflicted copy 2026-12-01).samluat",
        "samluat-field-1 (1).samluat",
        "samluat-field-1-DESKTOP-7Q2.samluat",
    ):
        assert not is_partial_name(name), name


def test_folder_sync_both_ways(coordinator: Coordinator, tmp_path: Path) -> None:
    shared = tmp_path / "Sync"
    shared.mkdir()
    field = make_field(tmp_path, coordinator, "laptop-s")
    for document in synthetic_documents()[:3]:
        field.interview(dict(document))
    # Unrelated files and a copy in progress are left alone.
    (shared / "notes.txt").write_text("keep me")
    growing = shared / "incoming.samluat"
    report = sync_folder(field.target, shared, settle_seconds=0)
    assert report.ok and len(report.written) == 1
    written = report.written[0].path
    growing.write_bytes(written.read_bytes()[:1000])  # still being copied: too new
    ready, busy = candidate_files(shared, settle_seconds=60)
    assert growing in busy and ready == []
    assert sync_folder(field.target, shared, settle_seconds=0).written == []  # nothing new

    conflict_copy = shared / (written.stem + ".sync-conflict-20261201-101010-ABCDEF.samluat")
    conflict_copy.write_bytes(written.read_bytes())
    for path in (growing, written, conflict_copy):  # all settled long ago
        os.utime(path, (time.time() - 120, time.time() - 120))
    before = sorted(p.name for p in shared.iterdir())
    report = sync_folder(
        coordinator.target,
        shared,
        identities=[coordinator.identity],
        settle_seconds=30,
        quarantine_dir=tmp_path / "q",
    )
    statuses = sorted(r.status.value for r in report.imported)
    assert statuses == ["already imported", "applied", "rejected"], report.lines()
    assert len(report.written) == 1  # the coordinator's bundle for the laptop
    assert set(before) <= {p.name for p in shared.iterdir()}  # nothing deleted or renamed
    assert (shared / "notes.txt").read_text() == "keep me"
    assert coordinator.store.list_submissions().total == 3
    # The laptop picks up its acknowledgement; the next pass on each side does nothing new.
    report = sync_folder(field.target, shared, settle_seconds=0)
    # (the damaged file is refused here too: whoever reads a folder checks what is in it)
    assert sorted(r.status.value for r in report.imported) == ["applied", "rejected"]
    assert report.written == []
    again = sync_folder(
        coordinator.target, shared, identities=[coordinator.identity], settle_seconds=0
    )
    assert again.imported == [] and again.written == []
    field.close()


def test_cli_keys_bundle_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
        import io

        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out + err

    coord_db, field_db = tmp_path / "coord.db", tmp_path / "field.db"
    pw = "boss-password\n"
    assert (
        run(
            [
                "db",
                "init",
                "--db",
                str(coord_db),
                "--user",
                "boss",
                "--password-stdin",
                "--no-encrypt",
            ],
            pw * 2,
        )[0]
        == 0
    )
    assert (
        run(
            [
                "db",
                "init",
                "--db",
                str(field_db),
                "--user",
                "enum",
                "--password-stdin",
                "--no-encrypt",
            ],
            pw * 2,
        )[0]
        == 0
    )
    coord = ["--db", str(coord_db), "--user", "boss", "--password-stdin"]
    fld = ["--db", str(field_db), "--user", "enum", "--password-stdin"]
    code, out = run(
        ["keys", "coordinator-new", *coord, "--out", str(tmp_path / "keys")],
        pw + (PASSPHRASE + "\n") * 2,
    )
    assert code == 0 and "fingerprint" in out
    code, out = run(["keys", "device-init", *fld, "--card", str(tmp_path / "device.json")], pw)
    assert code == 0 and "fingerprint: " in out
    fingerprint = out.split("fingerprint: ")[1].split()[0]
    code, out = run(["keys", "register", str(tmp_path / "device.json"), *coord], pw)
    assert code == 0 and fingerprint in out
    code, out = run(
        ["keys", "trust-coordinator", str(tmp_path / "keys" / "coordinator.card.json"), *fld], pw
    )
    assert code == 0

    with open_store(username="enum", password="boss-password", path=field_db) as store:
        from tests.bundle.bundletools import add_form

        form = add_form(store)
        document = dict(synthetic_documents()[0])
        store.start_submission(form_id=form[0], form_version=form[1], document=document)
        store.finalise(instance_id=document["instance_id"])
    (tmp_path / "out").mkdir()
    code, out = run(["bundle", "export", *fld, "--out", str(tmp_path / "out")], pw)
    assert code == 0 and "verified" in out
    bundle = next((tmp_path / "out").glob("*.samluat"))
    code, out = run(["bundle", "inspect", str(bundle)])  # no key, no database
    assert code == 0 and "signature: VALID" in out and fingerprint in out
    damaged = tmp_path / "damaged.samluat"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    code, out = run(["bundle", "inspect", str(damaged)])
    assert code == 1 and "INVALID" in out
    identity = ["--identity", str(tmp_path / "keys" / "coordinator-identity.age")]
    code, out = run(
        [
            "bundle",
            "import",
            str(bundle),
            str(damaged),
            *coord,
            *identity,
            "--quarantine",
            str(tmp_path / "q"),
        ],
        pw + PASSPHRASE + "\n",
    )
    assert code == 1 and "applied" in out and "does not verify" in out
    code, out = run(["bundle", "gaps", *coord], pw)
    assert code == 0 and "no gaps" in out
    code, out = run(["bundle", "conflicts", *coord], pw)
    assert code == 0 and "0 conflict(s)" in out
    code, out = run(
        ["sync", "--folder", str(tmp_path / "out"), *coord, *identity, "--settle", "0"],
        pw + PASSPHRASE + "\n",
    )
    assert code == 0 and "already imported" in out and "wrote" in out
    code, out = run(["sync", "--folder", str(tmp_path / "out"), *fld, "--settle", "0"], pw)
    assert code == 0 and "acknowledgement" in out
    # The laptop's bundle was acknowledged, the coordinator's answer imported: both may go.
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    tidy = ["sync", "--folder", str(tmp_path / "out"), *fld, "--settle", "0"]
    code, out = run([*tidy, "--list-delivered"], pw)
    assert code == 0 and "acknowledged by the coordinator" in out and "imported here" in out
    assert "2 delivered file(s)" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before  # listed only
    code, out = run([*tidy, "--remove-delivered"], pw)
    assert code == 0 and "removed 2 delivered file(s)" in out
    assert len(list((tmp_path / "out").iterdir())) == len(before) - 2
    code, out = run(["keys", "list", *coord], pw)
    assert code == 0 and fingerprint in out
    report = json.loads((next((tmp_path / "q").glob("*.reason.txt"))).read_text())
    assert "does not verify" in report["reason"]


def test_trusting_a_second_coordinator_card_replaces_recipients(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-t")
    with pytest.raises(Exception, match="own device"):
        trust_coordinator(
            field.target,
            {**read_card(coordinator.card, COORDINATOR_CARD_FORMAT), "device_id": field.device_id},
        )
    field.close()
