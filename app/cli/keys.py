"""`samluat keys …`: this laptop's keys, the coordinator key, registering and revoking devices.

Cards (JSON files with public keys only) travel between laptops; always
compare the fingerprint printed on both sides (read it out on the phone)
before registering a device or trusting a coordinator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.bundle.keys import (
    COORDINATOR_CARD_FORMAT,
    DEVICE_CARD_FORMAT,
    coordinator_card,
    create_coordinator_keys,
    init_device_keys,
    list_devices,
    read_card,
    register_device,
    revoke_device,
    trust_coordinator,
    write_card,
)
from app.cli.bundle import add_target_arguments, open_target, read_secret
from app.core import paths
from app.core.errors import SamluatError


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

    trust = commands.add_parser(
        "trust-coordinator", help="field laptop: accept the coordinator card"
    )
    trust.add_argument("card", type=Path, metavar="CARD")
    add_target_arguments(trust)
    trust.set_defaults(handler=run_trust)

    lst = commands.add_parser("list", help="devices known to this database")
    add_target_arguments(lst)
    lst.set_defaults(handler=run_list)


def run_device_init(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        keys = init_device_keys(target)
    card = args.card or paths.data_dir() / "keys" / f"device-{keys.device_id[:8]}.card.json"
    write_card(card, keys.card())
    print(f"device: {keys.name} ({keys.device_id})")
    print(f"fingerprint: {keys.fingerprint}")
    print(f"card: {card} (give it to the coordinator; compare the fingerprint by phone)")
    return 0


def run_coordinator_new(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        first = read_secret(args, "New passphrase for the coordinator key: ")
        second = read_secret(args, "Repeat the passphrase: ")
        if first != second:
            raise SamluatError("the two passphrases differ")
        escrow = None
        if args.escrow:
            escrow = read_secret(args, "Passphrase for the escrow key (keep it apart): ")
        result = create_coordinator_keys(
            target,
            out_dir=args.out or paths.data_dir() / "keys",
            passphrase=first,
            escrow_passphrase=escrow,
        )
        card = coordinator_card(target)
    print(f"coordinator key: {result.identity_file}")
    if result.escrow_file is not None:
        print(f"escrow key: {result.escrow_file} (store it offline)")
    print(f"card: {result.card_file} (give it to every field laptop)")
    print(f"coordinator signing fingerprint: {card['fingerprint']}")
    for recipient in card["recipients"]:
        print(f"  {recipient['role']} key fingerprint: {recipient['fingerprint']}")
    return 0


def run_coordinator_card(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        card = coordinator_card(target)
    write_card(args.out, card)
    print(f"card: {args.out}; fingerprint {card['fingerprint']}")
    return 0


def run_register(args: argparse.Namespace) -> int:
    card = read_card(args.card, DEVICE_CARD_FORMAT)
    with open_target(args) as target:
        keys = register_device(target, card)
    print(f"registered {keys.name} ({keys.device_id}), fingerprint {keys.fingerprint}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        revoke_device(target, args.device)
    print(f"revoked {args.device}: its bundles are refused from now on")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    card = read_card(args.card, COORDINATOR_CARD_FORMAT)
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
