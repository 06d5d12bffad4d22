"""`samluat demo`: synthetic responses for demos, benchmarks and tests."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.errors import SamluatError
from app.engine.loader import load_form
from app.engine.serialize import to_document, to_openrosa_xml
from app.engine.synthetic import generate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo", help="generate synthetic responses (deterministic for a seed)"
    )
    demo.add_argument("--form", type=Path, required=True, metavar="FORM")
    demo.add_argument("--count", type=int, default=10, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--lang", default=None, metavar="CODE")
    demo.add_argument(
        "--xml-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write each instance as OpenRosa XML into DIR",
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    if args.count < 0:
        raise SamluatError("--count must be 0 or more")
    form = load_form(args.form)
    if args.xml_dir is not None:
        args.xml_dir.mkdir(parents=True, exist_ok=True)
    invalid = 0
    for session in generate(form, count=args.count, seed=args.seed, language=args.lang):
        if session.problems():
            invalid += 1
        document = to_document(session)
        sys.stdout.write(json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n")
        if args.xml_dir is not None:
            name = session.instance_id.removeprefix("uuid:") + ".xml"
            (args.xml_dir / name).write_text(to_openrosa_xml(session), encoding="utf-8")
    if invalid:
        print(f"warning: {invalid} generated instance(s) did not validate", file=sys.stderr)
        return 1
    return 0
