"""`samluat form …`: check forms and fill them headlessly."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.core.errors import FormError, FormErrors, SamluatError
from app.engine.fill import apply_answers, fill_report
from app.engine.loader import load_form
from app.engine.session import FormSession


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    form = subparsers.add_parser("form", help="check and fill XLSForms")
    commands = form.add_subparsers(dest="form_command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="load forms and report every problem")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument("--no-cache", action="store_true", help="ignore the compiled-form cache")
    check.set_defaults(handler=run_check)

    fill = commands.add_parser("fill", help="apply answers from JSON and print the result")
    fill.add_argument("form", type=Path, metavar="FORM")
    fill.add_argument("--answers", type=Path, required=True, metavar="ANSWERS.json")
    fill.add_argument("--lang", default=None, metavar="CODE", help="form language, e.g. lo or en")
    fill.set_defaults(handler=run_fill)


def run_check(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            form = load_form(path, use_cache=not args.no_cache)
        except FormErrors as errors:
            failed += 1
            for error in errors.errors:
                print(str(error))
            continue
        except FormError as error:
            failed += 1
            print(str(error))
            continue
        for warning in form.formdef.warnings:
            print(f"{path}: warning: {warning}")
        print(f"ok {path} {form.formdef.count_questions()}")
    return 1 if failed else 0


def run_fill(args: argparse.Namespace) -> int:
    form = load_form(args.form)
    try:
        answers: Any = json.loads(args.answers.read_text(encoding="utf-8-sig"))  # Notepad: BOM
    except (OSError, UnicodeDecodeError) as error:
        raise SamluatError(f"{args.answers}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise SamluatError(
            f"{args.answers}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
        ) from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise SamluatError(
            f"{args.answers}: not valid JSON: a number has too many digits"
        ) from None
    except RecursionError:
        raise SamluatError(f"{args.answers}: not valid JSON: nested too deeply") from None
    if not isinstance(answers, dict):
        raise SamluatError(f"{args.answers}: expected a JSON object of field name → value")
    session = FormSession(form, language=args.lang)
    apply_answers(session, answers, source=str(args.answers))
    json.dump(fill_report(session), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
