"""`samluat sync --folder DIR`: one folder-sync pass (import what is for us, write what is new)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.bundle.sync import DEFAULT_SETTLE_SECONDS, sync_folder
from app.cli.bundle import (
    add_identity_arguments,
    add_target_arguments,
    open_target,
    quarantine_lines,
    unlock_identities,
)
from app.cli.files import require_folder
from app.store.tables import Device, DeviceRole


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = subparsers.add_parser(
        "sync", help="exchange bundles through a folder (USB stick, Syncthing, Nextcloud, …)"
    )
    sync.add_argument("--folder", type=Path, required=True, metavar="DIR")
    add_target_arguments(sync)
    add_identity_arguments(sync)
    sync.add_argument(
        "--settle",
        type=float,
        default=DEFAULT_SETTLE_SECONDS,
        metavar="SECONDS",
        help="ignore files modified more recently than this (still being copied)",
    )
    sync.add_argument("--no-write", action="store_true", help="only import")
    sync.add_argument("--quarantine", type=Path, default=None, metavar="DIR")
    sync.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    require_folder(args.folder, "--folder")
    if args.quarantine is not None:
        require_folder(args.quarantine, "--quarantine")
    with open_target(args) as target:
        with target.session() as session:
            local = session.get(Device, target.device_id)
            coordinator = local is not None and local.role == DeviceRole.COORDINATOR.value
        identities = unlock_identities(args) if coordinator else []
        report = sync_folder(
            target,
            args.folder,
            identities=identities,
            settle_seconds=args.settle,
            quarantine_dir=args.quarantine,
            write=not args.no_write,
        )
    for line in report.lines():
        print(line)
    for result in report.imported:
        for line in quarantine_lines(result):
            print(f"{result.name}: {line.strip()}")
    return 0 if report.ok else 1
