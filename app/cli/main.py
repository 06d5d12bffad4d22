"""Entry point of the `samluat` command.

Each command group lives in its own module exposing
``register(subparsers) -> None``; add new groups to `COMMAND_MODULES`.
Expected errors (`SamluatError`) print one clear line and exit 1; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from app import __version__
from app.core.errors import SamluatError
from app.core.logs import setup_logging

COMMAND_MODULES = [
    "app.cli.form",
    "app.cli.demo",
    "app.cli.db",
    "app.cli.users",
    "app.cli.bundle",
    "app.cli.keys",
    "app.cli.sync",
    "app.cli.assign",
]

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="samluat",
        description="Samluat: offline survey and interview fieldwork.",
    )
    parser.add_argument("--version", action="version", version=f"samluat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        result = handler(args)
    except SamluatError as error:
        log.warning("command failed: %s", error)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` or similar: stop quietly, like other CLI tools.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
