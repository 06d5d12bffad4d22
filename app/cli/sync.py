"""`samluat sync --folder DIR`: one folder-sync pass (import what is for us, write what is new).

`--list-delivered` and `--remove-delivered` say which bundle files in the folder
have done their work, and remove them (see `app.bundle.tidy`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.bundle.sync import DEFAULT_SETTLE_SECONDS, sync_folder
from app.bundle.tidy import delivered_files, remove_delivered
from app.cli.bundle import (
    add_identity_arguments,
    add_target_arguments,
    open_target,
    quarantine_lines,
    unlock_identities,
)
from app.cli.files import require_folder
from app.store.fileio import readable_name
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
    tidy = sync.add_mutually_exclusive_group()
    tidy.add_argument(
        "--list-delivered",
        action="store_true",
        help="no pass: list the bundle files in the folder this database knows are delivered "
        "(acknowledged, imported here, or replaced by a newer one)",
    )
    tidy.add_argument(
        "--remove-delivered",
        action="store_true",
        help="after the pass, remove the bundle files this database knows are delivered",
    )
    sync.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    require_folder(args.folder, "--folder")
    if args.quarantine is not None:
        require_folder(args.quarantine, "--quarantine")
    with open_target(args) as target:
        with target.session() as session:
            local = session.get(Device, target.device_id)
            coordinator = local is not None and local.role == DeviceRole.COORDINATOR.value
        if args.list_delivered:
            files = delivered_files(target, args.folder, settle_seconds=args.settle)
            for item in files:
                print(item)
            print(f"{len(files)} delivered file(s), {_megabytes(sum(f.size for f in files))}")
            return 0
        identities = unlock_identities(args) if coordinator else []
        report = sync_folder(
            target,
            args.folder,
            identities=identities,
            settle_seconds=args.settle,
            quarantine_dir=args.quarantine,
            write=not args.no_write,
        )
        tidied = (
            remove_delivered(delivered_files(target, args.folder, settle_seconds=args.settle))
            if args.remove_delivered
            else None
        )
    for line in report.lines():
        print(line)
    for result in report.imported:
        for line in quarantine_lines(result):
            print(f"{result.name}: {line.strip()}")
    if tidied is not None:
        for item in tidied.removed:
            print(f"removed {item}")
        for item, why in tidied.kept:
            print(f"kept {readable_name(item.path.name)}: {why}")
        print(f"removed {len(tidied.removed)} delivered file(s), {_megabytes(tidied.freed)} freed")
    return 0 if report.ok and (tidied is None or not tidied.kept) else 1


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
