"""`samluat user …`: manage the accounts of the local database (add and list: of a central
store too)."""

from __future__ import annotations

import argparse

from app.bundle.central import add_account, list_accounts
from app.bundle.target import BundleTarget
from app.cli.db import add_login_arguments, is_central, login, read_passwords
from app.core.errors import SamluatError
from app.store.store import open_store
from app.store.tables import Role


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="manage user accounts")
    commands = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)

    add = commands.add_parser(
        "add", help="create an account (on a central store: a name for who reviews, no password)"
    )
    add_login_arguments(add, central=True)
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="", metavar="TEXT")
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", help="list accounts")
    add_login_arguments(listing, central=True)
    listing.set_defaults(handler=run_list)

    passwd = commands.add_parser("passwd", help="change your own password")
    add_login_arguments(passwd)
    passwd.set_defaults(handler=run_passwd)

    reset = commands.add_parser("reset", help="set another user's password")
    add_login_arguments(reset)
    reset.add_argument("name", metavar="NAME")
    reset.set_defaults(handler=run_reset)

    unlock = commands.add_parser("unlock", help="clear a lockout after failed logins")
    add_login_arguments(unlock)
    unlock.add_argument("name", metavar="NAME")
    unlock.set_defaults(handler=run_unlock)

    for verb, active in (("disable", False), ("enable", True)):
        cmd = commands.add_parser(verb, help=f"{verb} an account")
        add_login_arguments(cmd)
        cmd.add_argument("name", metavar="NAME")
        cmd.set_defaults(handler=run_set_active, active=active)


def run_add(args: argparse.Namespace) -> int:
    if is_central(args.db):
        with BundleTarget.open_url(args.db, username=args.user) as target:
            info = add_account(
                target, username=args.name, role=Role(args.role), display_name=args.display_name
            )
        print(f"created {info.username} ({info.role.value}) on the central store")
        return 0
    own, new, again = read_passwords(
        args,
        [f"Password for {args.user}: ", f"New password for {args.name}: ", "Repeat it: "],
    )
    if new != again:
        raise SamluatError("the two passwords differ")
    with open_store(username=args.user, password=own, path=args.db) as store:
        info = store.add_user(
            username=args.name, password=new, role=Role(args.role), display_name=args.display_name
        )
    print(f"created {info.username} ({info.role.value})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    if is_central(args.db):
        with BundleTarget.open_url(args.db, username=args.user) as target:
            accounts = list_accounts(target)
    else:
        with login(args) as store:
            laptops = store.laptop_accounts()
            accounts = [(info, laptops.get(info.id)) for info in store.list_users()]
    for info, laptop in accounts:
        if laptop is not None:
            # Arrived with that laptop's bundles: it logs in there, never here.
            state = f" (account of laptop {laptop.device_name} ({laptop.device_id[:8]}))"
        else:
            state = "" if info.active else " (disabled)"
        print(f"{info.username}\t{info.role.value}\t{info.display_name}{state}")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    old, new, again = read_passwords(
        args, [f"Current password for {args.user}: ", "New password: ", "Repeat it: "]
    )
    if new != again:
        raise SamluatError("the two passwords differ")
    with open_store(username=args.user, password=old, path=args.db) as store:
        store.change_password(old_password=old, new_password=new)
    print("password changed")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    own, new, again = read_passwords(
        args,
        [f"Password for {args.user}: ", f"New password for {args.name}: ", "Repeat it: "],
    )
    if new != again:
        raise SamluatError("the two passwords differ")
    with open_store(username=args.user, password=own, path=args.db) as store:
        store.reset_password(username=args.name, new_password=new)
    print(f"password of {args.name} reset")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    with login(args) as store:
        store.unlock_user(username=args.name)
    print(f"{args.name} unlocked")
    return 0


def run_set_active(args: argparse.Namespace) -> int:
    with login(args) as store:
        store.set_user_active(username=args.name, active=args.active)
    print(f"{args.name} {'enabled' if args.active else 'disabled'}")
    return 0
