"""`samluat form …`: check forms, fill them headlessly, add new versions to the database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.bundle.target import BundleTarget
from app.cli.db import add_login_arguments, login
from app.cli.keys import require_coordinator_database
from app.core.errors import FormError, FormErrors, SamluatError
from app.engine.answers import from_json, to_json
from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.fill import AnswersError, apply_answers, fill_report
from app.engine.instance import Node
from app.engine.loader import load_form
from app.engine.model import Kind
from app.engine.serialize import DOCUMENT_FORMAT
from app.engine.session import FormSession
from app.fieldwork.library import version_order
from app.store.errors import PermissionDeniedError
from app.store.store import LocalStore
from app.store.tables import Role


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

    add = commands.add_parser(
        "add",
        help="coordinator: store new form versions in the database (the laptops get them "
        "with its next bundle)",
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_login_arguments(add)
    add.set_defaults(handler=run_add)


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
        more = " (one response a file: `samluat demo` writes one a line)"
        raise SamluatError(
            f"{args.answers}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
            + (more if error.msg == "Extra data" else "")
        ) from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise SamluatError(
            f"{args.answers}: not valid JSON: a number has too many digits"
        ) from None
    except RecursionError:
        raise SamluatError(f"{args.answers}: not valid JSON: nested too deeply") from None
    if not isinstance(answers, dict):
        raise SamluatError(f"{args.answers}: expected a JSON object of field name → value")
    answers = response_answers(answers, form, source=str(args.answers))
    session = FormSession(form, language=args.lang, instance_id=given_instance_id(answers))
    fill_response(session, answers, source=str(args.answers))
    json.dump(fill_report(session), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


# -- answers given as a response (what `samluat demo` writes) ---------------------------


def response_answers(answers: dict[str, Any], form: CompiledForm, source: str) -> dict[str, Any]:
    """The answers of a submission document (a line of `samluat demo`), or `answers` as given."""
    if answers.get("format") != DOCUMENT_FORMAT or not isinstance(answers.get("data"), dict):
        return answers
    form_id = form.formdef.form_id
    if answers.get("form_id") != form_id:
        raise SamluatError(
            f"{source}: a response to form {answers.get('form_id')!r}, not to {form_id!r}"
        )
    data: dict[str, Any] = answers["data"]
    return data


def given_instance_id(answers: dict[str, Any]) -> str | None:
    """The response's meta/instanceID: kept, so that the filled document is that response."""
    meta = answers.get("meta")
    value = meta.get("instanceID") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value else None


def fill_response(session: FormSession, answers: dict[str, Any], *, source: str) -> None:
    """Apply `answers` in the form's order. A value given for a field the form computes
    (calculated, read-only, a note) is not set but compared with the form's once every
    answer is in; the app's own metadata (start, end, instanceID …) is taken as given."""
    computed: list[tuple[Node, Any]] = []
    _apply_in_form_order(session, session.root, answers, source, computed)
    for node, value in computed:
        _check_computed(session, node, value, source)


def _apply_in_form_order(
    session: FormSession,
    container: Node,
    answers: dict[str, Any],
    source: str,
    computed: list[tuple[Node, Any]],
) -> None:
    for definition, name, value in _in_form_order(session.form, container.definition, answers):
        if definition is None:  # apply_answers says what is wrong with the name
            apply_answers(session, {name: value}, source=source, container=container)
        elif definition.role == GROUP and isinstance(value, dict):
            group = _node_at(container, definition.path)
            _apply_in_form_order(session, group, value, source, computed)
        elif definition.role == REPEAT and _objects(value):
            # Instances first (apply_answers checks the count), then their answers.
            apply_answers(session, {name: [{} for _ in value]}, source=source, container=container)
            parent = _node_at(container, definition.path[:-1])
            for instance, item in zip(session.repeat_instances(parent, name), value, strict=False):
                _apply_in_form_order(session, instance, item, source, computed)
        elif definition.role == FIELD and _set_by_form(_node_at(container, definition.path)):
            computed.append((_node_at(container, definition.path), value))
        else:  # an answer, or a value of the wrong shape that apply_answers refuses
            apply_answers(session, {name: value}, source=source, container=container)


def _in_form_order(
    form: CompiledForm, base: FieldDef, answers: dict[str, Any]
) -> list[tuple[FieldDef | None, str, Any]]:
    """The answers in the order of the form, the order its logic is written for: a count
    before its repeat, a gate before what it gates. A JSON object's key order means
    nothing (`samluat demo` sorts the keys), so it must not decide. Unknown names come
    first, to be refused before anything is applied."""
    items = [(_definition_in(form, base, name), name, value) for name, value in answers.items()]
    return sorted(items, key=lambda item: -1 if item[0] is None else item[0].index)


def _definition_in(form: CompiledForm, base: FieldDef, name: str) -> FieldDef | None:
    """The element `name` as `apply_answers` finds it in `base`: below it, and inside no
    repeat that `base` is not inside."""
    enclosing = {repeat.path for repeat in base.repeats}
    for definition in form.by_name.get(name, ()):
        outer = {repeat.path for repeat in definition.repeats if repeat is not definition}
        if definition.path[: len(base.path)] == base.path and outer <= enclosing:
            return definition
    return None


def _node_at(container: Node, path: tuple[str, ...]) -> Node:
    """The node at `path`, below `container` through groups only."""
    node = container
    for step in path[len(container.definition.path) :]:
        found = node.child(step)
        assert found is not None, path  # every group and field has its node
        node = found
    return node


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _set_by_form(node: Node) -> bool:
    question = node.definition.question
    return question is not None and (
        question.calculate is not None
        or question.preload is not None
        or question.kind in (Kind.NOTE, Kind.METADATA)
        or node.readonly
    )


def _check_computed(session: FormSession, node: Node, value: Any, source: str) -> None:
    question = node.definition.question
    if question.kind == Kind.METADATA or question.preload is not None:
        return  # the app's own values, different at each filling
    data_type = node.definition.data_type
    has = to_json(data_type, node.value) if node.relevant else None
    if to_json(data_type, from_json(data_type, value)) == has:
        return
    what = "calculated by the form" if question.calculate is not None else "read-only"
    raise AnswersError(
        f"{source}: {session.ref(node)}: this field is {what}, which gives it "
        f"{_shown(has)}; the answers give {_shown(value)}"
    )


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def run_add(args: argparse.Namespace) -> int:
    try:  # every file is checked before one is stored
        forms = [(path, load_form(path)) for path in args.files]
    except FormErrors as errors:
        for error in errors.errors:
            print(f"error: {error}", file=sys.stderr)
        return 1
    with login(args) as store:
        role = store.user.role
        if role not in (Role.SUPERVISOR, Role.COORDINATOR):  # (the store's own refusal is vaguer)
            raise PermissionDeniedError(
                f"{store.user.username} is {'an' if role.value[0] in 'aeiou' else 'a'} "
                f"{role.value}: only a supervisor or coordinator may add form versions"
            )
        require_coordinator_database(
            BundleTarget.from_store(store),
            "form versions are added on the coordinator's computer and reach the laptops in "
            "its bundles",
        )
        new = [(path, form) for path, form in forms if not already_stored(store, path, form)]
        for path, form in new:
            print(add_form_version(store, path, form))
    return 0


def already_stored(store: LocalStore, path: Path, form: CompiledForm) -> bool:
    """Whether this version is stored; refused if with other content (laptops would never
    get the change: they know a form version by its number)."""
    formdef = form.formdef
    if formdef.version not in versions_of(store, formdef.form_id):
        return False
    _info, source, _compiled = store.get_form_version(
        form_id=formdef.form_id, version=formdef.version
    )
    if source != path.read_bytes():
        raise SamluatError(
            f"{path}: {formdef.form_id} version {formdef.version} is already stored, with "
            "other content: raise the version in its settings to store this change"
        )
    print(f"{path}: {formdef.form_id} version {formdef.version} is already stored")
    return True


def add_form_version(store: LocalStore, path: Path, form: CompiledForm) -> str:
    formdef = form.formdef
    store.add_form_version(
        form_id=formdef.form_id,
        version=formdef.version,
        title=formdef.title,
        source=path.read_bytes(),
        source_name=path.name,
    )
    newest = max(versions_of(store, formdef.form_id), key=version_order)
    older = newest != formdef.version
    return f"stored {formdef.form_id} version {formdef.version} from {path}" + (
        f" (older than version {newest}, which new interviews keep using)" if older else ""
    )


def versions_of(store: LocalStore, form_id: str) -> set[str]:
    return {info.version for info in store.list_form_versions(form_id=form_id)}
