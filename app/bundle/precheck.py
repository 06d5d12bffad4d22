"""Check the documents of bundles waiting to be imported, ahead, in a validation worker.

Checking documents against their forms is the costliest step of an import
and needs nothing from the database. While the importer applies one bundle
(one transaction, in its own process), a worker decrypts the next file on
its own and checks its documents. The importer then takes each verdict whose
record, form and content hash match what it read itself, and checks anything
else the usual way (a form that only the database knows, a file that
changed in between). A precheck decides nothing alone: the import still runs
every step of docs/bundle-format.md in order. Only files whose signature the
importer has verified are prechecked (signature before decryption).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from app.bundle import format as fmt
from app.bundle.canon import b64d
from app.bundle.errors import BundleRejected
from app.bundle.keys import AgeIdentity
from app.bundle.validate import (
    FormKey,
    Job,
    Verdicts,
    check_text,
    remember_sources,
    revision_label,
    worker_form,
)
from app.store.canonical import canonical_matching, sha256_hex


@dataclass(frozen=True)
class PrecheckTask:
    """What a worker needs to check one verified bundle file on its own."""

    path: str
    payload_offset: int
    payload_length: int
    payload_sha256: bytes
    identities: tuple[AgeIdentity, ...]
    limits: fmt.Limits
    known: dict[FormKey, tuple[bytes, str]]  # forms the importer compiled so far


class _Checker:
    """A payload handler that checks documents instead of storing anything."""

    def __init__(self, known: dict[FormKey, tuple[bytes, str]]) -> None:
        remember_sources(known)
        self.forms: dict[tuple[str, str], FormKey] = {(k[0], k[1]): k for k in known}
        self.instances: dict[str, tuple[str, str]] = {}
        self.verdicts: Verdicts = {}

    def json_part(self, header: fmt.PartHeader, records: list[dict[str, Any]]) -> None:
        if header.type == "form_versions":
            for record in records:
                self._form_version(record)
        elif header.type == "submissions":
            for record in records:
                instance_id, form_id = record.get("instance_id"), record.get("form_id")
                version = record.get("form_version")
                if isinstance(instance_id, str) and isinstance(form_id, str):
                    self.instances[instance_id] = (form_id, str(version))
        elif header.type == "revisions":
            for record in records:
                self._revision(record)

    def _form_version(self, record: dict[str, Any]) -> None:
        try:
            source = b64d(str(record.get("source")), "source")
        except ValueError:
            return  # the importer refuses the bundle, saying why
        form_id, version = str(record.get("form_id")), str(record.get("version"))
        digest = sha256_hex(source)
        key = (form_id, version, digest)
        remember_sources({key: (source, str(record.get("source_name") or ""))})
        self.forms[(form_id, version)] = key

    def _revision(self, record: dict[str, Any]) -> None:
        rev_id, instance_id = record.get("rev_id"), record.get("instance_id")
        document, digest = record.get("document"), record.get("content_hash")
        form = self.instances.get(instance_id) if isinstance(instance_id, str) else None
        key = self.forms.get(form) if form is not None else None
        if key is None or not isinstance(rev_id, str) or not isinstance(document, dict):
            return
        if not isinstance(digest, str):
            return
        try:
            data, matches = canonical_matching(document, digest)
        except (TypeError, ValueError):
            return
        if not matches:
            return
        assert isinstance(instance_id, str)
        label = revision_label(rev_id, instance_id)
        try:
            form_compiled = worker_form(key)
        except BundleRejected:
            return  # a form that does not load: the importer says so
        job = Job(key, data.decode("utf-8"), label, instance_id, document)
        self.verdicts[label] = (key, digest, check_text(form_compiled, job))

    def attachment_start(self, header: fmt.PartHeader) -> None:
        return None

    def attachment_chunk(self, data: bytes) -> None:
        return None

    def attachment_end(self, header: fmt.PartHeader) -> None:
        return None


def precheck(task: PrecheckTask) -> tuple[float, float, Verdicts]:
    """(seconds, CPU seconds, verdicts) for one file; in a worker process.

    Whatever goes wrong (a damaged payload, a changed file) ends the precheck
    with the verdicts reached so far, or none: the importer finds the fault
    itself and words it.
    """
    started, cpu = time.perf_counter(), time.process_time()
    checker = _Checker(task.known)
    parser = fmt.PayloadParser(checker, payload_length=task.payload_length, limits=task.limits)
    try:
        with open(Path(task.path), "rb") as handle:
            reader = fmt.PayloadReader(handle, task.payload_offset, task.payload_length)
            pyrage.decrypt_io(reader, parser, [k.pyrage_identity() for k in task.identities])
        if reader.sha256.digest() != task.payload_sha256:
            checker.verdicts = {}
    except Exception:
        # Verdicts reached before the fault are verdicts on exactly those documents.
        pass
    return time.perf_counter() - started, time.process_time() - cpu, checker.verdicts
