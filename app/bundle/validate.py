"""Check an incoming submission document against its form version, with the form engine.

A bundle comes from another machine: its documents are re-checked here as
if they were typed in again. The document's data is turned back into the
engine's stored values (every value must be of the field's type, every
choice one of the list's), a session is restored from them, and the form's
own rules must hold (required answers present, constraints true). Any
failure refuses the whole bundle with a message naming the record and the
field, e.g. ``revision 5f…: main/admin/interview_date: This answer is not
allowed.``
"""

from __future__ import annotations

import logging
from typing import Any

from app.bundle.errors import BundleRejected
from app.core.errors import AnswerError, SamluatError
from app.engine.answers import from_json, to_storage
from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.loader import load_form_bytes
from app.engine.serialize import DOCUMENT_FORMAT
from app.engine.session import FormSession

log = logging.getLogger(__name__)

MAX_DEPTH = 32
MAX_REPEAT = 10_000


class FormCache:
    """Compiled forms by (form_id, version), built from stored source bytes once."""

    def __init__(self) -> None:
        self._forms: dict[tuple[str, str, str], CompiledForm] = {}

    def get(
        self, *, form_id: str, version: str, source: bytes, source_name: str, digest: str
    ) -> CompiledForm:
        """The compiled form; `BundleRejected` if its source does not load."""
        key = (form_id, version, digest)
        form = self._forms.get(key)
        if form is None:
            name = source_name or f"{form_id}.md"
            try:
                form = load_form_bytes(source, name)
            except SamluatError as error:
                raise BundleRejected(
                    f"form {form_id!r} version {version!r} does not load: "
                    f"{str(error).splitlines()[0][:300]}"
                ) from None
            if form.formdef.form_id != form_id or (form.formdef.version or "") != version:
                raise BundleRejected(
                    f"form {form_id!r} version {version!r}: its file declares "
                    f"{form.formdef.form_id!r} version {form.formdef.version!r}"
                )
            self._forms[key] = form
        return form


def _allowed(form: CompiledForm, definition: FieldDef) -> set[str] | None:
    question = definition.question
    if question is None or question.choice_list is None or question.external_choices:
        return None
    choice_list = form.formdef.choice_lists.get(question.choice_list)
    names = {c.name for c in choice_list.choices} if choice_list else set()
    if question.or_other:
        names.add("other")
    return names


def _snapshot(
    form: CompiledForm, definition: FieldDef, data: Any, where: str, depth: int
) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where or '/'}: nested too deeply")
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'data'}: a group must be a JSON object")
    children = {child.name: child for child in definition.children}
    out: dict[str, Any] = {}
    for name, value in data.items():
        child = children.get(name)
        path = f"{where}{name}"
        if child is None:
            raise ValueError(f"{path}: no such field in this form version")
        if child.role == REPEAT:
            if not isinstance(value, list) or len(value) > MAX_REPEAT:
                raise ValueError(f"{path}: a repeat must be a list of objects")
            out[name] = [
                _snapshot(form, child, item, f"{path}[{i + 1}]/", depth + 1)
                for i, item in enumerate(value)
            ]
        elif child.role == GROUP:
            out[name] = _snapshot(form, child, value, f"{path}/", depth + 1)
        elif child.role == FIELD:
            question = child.question
            if question is None:
                raise ValueError(f"{path}: not a field")
            if isinstance(value, dict) or (
                isinstance(value, list) and not all(isinstance(v, str | int | float) for v in value)
            ):
                raise ValueError(f"{path}: a value of the wrong shape")
            if value is None or question.calculate is not None:
                out[name] = from_json(child.data_type, value)
            else:
                try:
                    out[name] = to_storage(question, value, _allowed(form, child))
                except AnswerError as error:
                    raise ValueError(f"{path}: {error.message}") from None
        else:
            raise ValueError(f"{path}: not a field")
    return out


def validate_document(
    form: CompiledForm,
    document: Any,
    *,
    record: str,
    instance_id: str,
    form_id: str,
    form_version: str,
) -> None:
    """Refuse (`BundleRejected`) a document that its form version would not accept."""
    if not isinstance(document, dict):
        raise BundleRejected(f"{record}: the document is not a JSON object")
    if document.get("format", DOCUMENT_FORMAT) != DOCUMENT_FORMAT:
        raise BundleRejected(f"{record}: unknown document format")
    if document.get("form_id") != form_id or document.get("form_version") != form_version:
        raise BundleRejected(
            f"{record}: the document is for form {document.get('form_id')!r} version "
            f"{document.get('form_version')!r}, its submission for {form_id!r} version "
            f"{form_version!r}"
        )
    if document.get("instance_id") != instance_id:
        raise BundleRejected(f"{record}: the document's instance id differs from its submission's")
    data = document.get("data")
    try:
        snapshot = _snapshot(form, form.root, data, "", 0)
        problems = FormSession.check_snapshot(form, snapshot, instance_id=instance_id)
    except ValueError as error:
        raise BundleRejected(f"{record}: {error}") from None
    except RecursionError:
        raise BundleRejected(f"{record}: the document is nested too deeply") from None
    except SamluatError as error:
        raise BundleRejected(f"{record}: {str(error)[:300]}") from None
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BundleRejected(f"{record}: {first.ref}: {first.kind}: {first.message}{more}")
