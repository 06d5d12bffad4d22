"""`samluat keys …`: this laptop's keys, the coordinator key, registering and revoking devices.

Cards (JSON files with public keys only) travel between laptops; always
compare the fingerprint printed on both sides (read it out on the phone)
before registering a device or trusting a coordinator.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.bundle.canon import fingerprint
from app.bundle.errors import WrongCardError
from app.bundle.keys import (
    COORDINATOR_CARD_FORMAT,
    DEVICE_CARD_FORMAT,
    active_recipients,
    coordinator_card,
    create_coordinator_keys,
    init_device_keys,
    list_devices,
    read_card,
    register_device,
    rename_device,
    revoke_device,
    trust_coordinator,
    write_card,
)
from app.bundle.merge import require_coordinator
from app.bundle.target import BundleTarget, is_coordinator_database
from app.cli.bundle import add_target_arguments, find_device, open_target, read_secret
from app.cli.files import require_file_path, write_failed
from app.core import paths
from app.core.errors import SamluatError
from app.store.tables import Device, DeviceRole
from app.store.tables_bundle import RecipientRole


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="device keys, coordinator key, device registry")
    commands = keys.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)

    init = commands.add_parser("device-init", help="create this laptop's keys; write its card")
    add_target_arguments(init)
    init.add_argument(
        "--card", type=Path, default=None, metavar="FILE", help="write the device card here"
    )
    init.set_defaults(handler=run_device_init)

    coord = commands.add_parser(
        "coordinator-new", help="create the coordinator key (and an escrow key); write the card"
    )
    add_target_arguments(coord)
    coord.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="where to write (default <data>/keys)"
    )
    coord.add_argument("--escrow", action="store_true", help="also create an escrow key")
    coord.add_argument(
        "--escrow-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the escrow key here, e.g. onto a stick kept offline (implies --escrow; "
        "default: next to the coordinator key)",
    )
    coord.add_argument(
        "--replace",
        action="store_true",
        help="replace this database's coordinator (and escrow) key by new ones; the old key "
        "files are kept, renamed …replaced-<time>.age",
    )
    coord.add_argument(
        "--no-escrow",
        action="store_true",
        help="with --replace: go on without the escrow key the current keys have",
    )
    coord.set_defaults(handler=run_coordinator_new)

    card = commands.add_parser("coordinator-card", help="write the coordinator card again")
    add_target_arguments(card)
    card.add_argument("--out", type=Path, required=True, metavar="FILE")
    card.set_defaults(handler=run_coordinator_card)

    reg = commands.add_parser("register", help="coordinator: accept a laptop's device card")
    reg.add_argument("card", type=Path, metavar="CARD")
    add_target_arguments(reg)
    reg.set_defaults(handler=run_register)

    rev = commands.add_parser("revoke", help="coordinator: refuse a laptop's bundles from now on")
    rev.add_argument("device", metavar="DEVICE_ID")
    add_target_arguments(rev)
    rev.set_defaults(handler=run_revoke)

    ren = commands.add_parser(
        "rename", help="coordinator: give a registered laptop the name its listings use"
    )
    ren.add_argument("device", metavar="DEVICE_ID")
    ren.add_argument("name", metavar="NAME")
    add_target_arguments(ren)
    ren.set_defaults(handler=run_rename)

    trust = commands.add_parser(
        "trust-coordinator", help="field laptop: accept the coordinator card"
    )
    trust.add_argument("card", type=Path, metavar="CARD")
    add_target_arguments(trust)
    trust.set_defaults(handler=run_trust)

    lst = commands.add_parser("list", help="devices known to this database")
    add_target_arguments(lst)
    lst.set_defaults(handler=run_list)


def save_card(path: Path, card: dict[str, Any]) -> None:
    try:
        write_card(path, card)
    except OSError as error:
        raise write_failed(f"the card {path}", error) from error


def run_device_init(args: argparse.Namespace) -> int:
    if args.card is not None:
        require_file_path(args.card, "--card")
    with open_target(args) as target:
        keys = init_device_keys(target)
    card = args.card or paths.data_dir() / "keys" / f"device-{keys.device_id[:8]}.card.json"
    save_card(card, keys.card())
    print(f"device: {keys.name} ({keys.device_id})")
    print(f"fingerprint: {keys.fingerprint}")
    print(f"card: {card} (give it to the coordinator; compare the fingerprint by phone)")
    return 0


def existing_coordinator_key(target: BundleTarget) -> str | None:
    """The fingerprint of this database's coordinator key, if it already has one."""
    with target.session() as session:
        local = session.get(Device, target.device_id)
        if local is None or local.role != DeviceRole.COORDINATOR.value:
            return None
        for recipient, role in active_recipients(session):
            if role == RecipientRole.COORDINATOR.value:
                return fingerprint(recipient)
    return None


def has_escrow(target: BundleTarget) -> bool:
    """Whether the keys laptops encrypt to now include an escrow key."""
    with target.session() as session:
        return any(role == RecipientRole.ESCROW.value for _r, role in active_recipients(session))


def run_coordinator_new(args: argparse.Namespace) -> int:
    if args.escrow_file is not None:
        require_file_path(args.escrow_file, "--escrow-file")
    if args.out is not None:
        require_file_path(args.out / "coordinator.card.json", "--out")
    with open_target(args) as target:
        existing = existing_coordinator_key(target)
        if existing is not None and not args.replace:
            raise SamluatError(
                f"this database already has a coordinator key (fingerprint {existing}). A new "
                "one replaces it and the escrow key for every laptop from their next sync, and "
                "the old key file is still needed for the bundles already encrypted to it; "
                "add --replace to do that"
            )
        wants_escrow = args.escrow or args.escrow_file is not None
        if existing is not None and not wants_escrow and not args.no_escrow and has_escrow(target):
            raise SamluatError(
                "the current keys include an escrow key: give --escrow-file (or --escrow) to "
                "make a new one with the new coordinator key, or --no-escrow to go on without"
            )
        first = read_secret(args, "New passphrase for the coordinator key: ")
        second = read_secret(args, "Repeat the passphrase: ")
        if first != second:
            raise SamluatError("the two passphrases differ")
        escrow = None
        if args.escrow or args.escrow_file is not None:
            escrow = read_secret(args, "Passphrase for the escrow key (keep it apart): ")
            if read_secret(args, "Repeat the escrow passphrase: ") != escrow:
                raise SamluatError("the two escrow passphrases differ")
            if escrow == first:
                raise SamluatError(
                    "the escrow key needs its own passphrase, not the coordinator key's"
                )
        result = create_coordinator_keys(
            target,
            out_dir=args.out or paths.data_dir() / "keys",
            passphrase=first,
            escrow_passphrase=escrow,
            escrow_file=args.escrow_file,
            replace=args.replace,
        )
        card = coordinator_card(target)
    for old in result.set_aside:
        print(f"previous key kept: {old} (bundles already encrypted to it need it: --identity)")
    print(f"coordinator key: {result.identity_file}")
    if result.escrow_file is not None:
        print(f"escrow key: {result.escrow_file} (store it offline)")
    print(f"card: {result.card_file} (give it to every field laptop)")
    print(f"coordinator signing fingerprint: {card['fingerprint']}")
    for recipient in card["recipients"]:
        print(f"  {recipient['role']} key fingerprint: {recipient['fingerprint']}")
    return 0


def run_coordinator_card(args: argparse.Namespace) -> int:
    require_file_path(args.out, "--out")
    with open_target(args) as target:
        card = coordinator_card(target)
    save_card(args.out, card)
    print(f"card: {args.out}; fingerprint {card['fingerprint']}")
    return 0


# What to do with a card given to the command meant for the other kind of card.
OTHER_CARD_ADVICE = {
    COORDINATOR_CARD_FORMAT: "this is a coordinator card: use samluat keys trust-coordinator "
    "on a laptop",
    DEVICE_CARD_FORMAT: "this is a laptop's device card: register it on the coordinator with "
    "samluat keys register",
}


def read_card_for_command(path: Path, expected_format: str) -> dict[str, Any]:
    """`read_card`, saying which command takes a card of the other kind (a laptop's
    device card and the coordinator card are easily mixed up)."""
    try:
        return read_card(path, expected_format)
    except WrongCardError as error:
        raise SamluatError(f"{path}: {OTHER_CARD_ADVICE[error.found]}") from None


def revoked_at(target: BundleTarget, device_id: str) -> str | None:
    """When the device was revoked (None if it is not)."""
    row = next((r for r in list_devices(target) if r.device_id == device_id), None)
    return row.revoked_at if row is not None else None


def require_coordinator_database(target: BundleTarget, only_there: str) -> None:
    """Refuse a command whose work only the coordinator's database sends on (`only_there`
    says so): on a field laptop it would succeed and reach nobody. The app's rule too."""
    if is_coordinator_database(target):
        return
    follows = any(
        row.role == DeviceRole.COORDINATOR.value and not row.is_local
        for row in list_devices(target)
    )
    this = (
        "this is a field laptop"
        if follows
        else "this database is not the coordinator's (it has no coordinator key: "
        "samluat keys coordinator-new makes it on the coordinator's computer)"
    )
    raise SamluatError(f"{this}: {only_there}")


def run_register(args: argparse.Namespace) -> int:
    card = read_card_for_command(args.card, DEVICE_CARD_FORMAT)
    with open_target(args) as target:
        require_coordinator_database(
            target,
            "laptops are registered on the coordinator's computer; a laptop trusts its "
            "coordinator with samluat keys trust-coordinator CARD",
        )
        require_coordinator(target, "register laptops")
        keys = register_device(target, card)
        revoked = revoked_at(target, keys.device_id)
    if revoked is not None:
        raise SamluatError(
            f"{keys.name} ({keys.device_id}) was revoked on {revoked}; registering its card "
            "again does not lift that: its bundles stay refused"
        )
    print(f"registered {keys.name} ({keys.device_id}), fingerprint {keys.fingerprint}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        device_id = find_device(target, args.device, option="DEVICE_ID")
        before = revoked_at(target, device_id)
        revoke_device(target, device_id)
    if before is not None:
        print(f"{device_id} was already revoked on {before}; its bundles are refused")
    else:
        print(f"revoked {device_id}: its bundles are refused from now on")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        device_id = find_device(target, args.device, option="DEVICE_ID")
        name = rename_device(target, device_id, args.name)
    print(f"{device_id} is now named {name}")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    card = read_card_for_command(args.card, COORDINATOR_CARD_FORMAT)
    with open_target(args) as target:
        keys = trust_coordinator(target, card)
    print(f"trusting coordinator {keys.name} ({keys.device_id}), fingerprint {keys.fingerprint}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        rows = list_devices(target)
    for row in rows:
        flags = " (this laptop)" if row.is_local else ""
        flags += f" REVOKED {row.revoked_at}" if row.revoked_at else ""
        print(f"{row.device_id}  {row.name}  {row.role}  {row.fingerprint or 'no key'}{flags}")
    return 0
