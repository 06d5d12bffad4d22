"""A finished session as a JSON document and as OpenRosa instance XML.

Both leave out non-relevant groups and fields, as ODK Collect does when it
submits; empty relevant fields are kept (`null` in JSON, an empty element in
XML). Repeat instances become lists (JSON) or repeated elements (XML).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from app.engine.answers import from_json, to_json
from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.instance import Node
from app.engine.session import FormSession

DOCUMENT_FORMAT = "samluat.submission/1"


def _data(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in node.children:
        definition = child.definition
        if not isinstance(definition, FieldDef):
            continue
        if definition.role == REPEAT:
            entries = out.setdefault(child.name, [])
            if child.relevant:
                entries.append(_data(child))
            continue
        if not child.relevant:
            continue
        if definition.role == GROUP:
            out[child.name] = _data(child)
        elif definition.role == FIELD:
            out[child.name] = to_json(definition.data_type, child.value)
    return out


def to_document(session: FormSession) -> dict[str, Any]:
    """The submission as JSON: form identity, instance id and the relevant data."""
    formdef = session.formdef
    return {
        "format": DOCUMENT_FORMAT,
        "form_id": formdef.form_id,
        "form_version": formdef.version,
        "instance_id": session.instance_id,
        "instance_name": session.instance_name(),
        "data": _data(session.root),
    }


def _xml(node: Node, parts: list[str]) -> None:
    for child in node.children:
        definition = child.definition
        if not isinstance(definition, FieldDef) or not child.relevant:
            continue
        if definition.role == FIELD:
            if child.value == "":
                parts.append(f"<{child.name}/>")
            else:
                parts.append(f"<{child.name}>{escape(child.value)}</{child.name}>")
        else:
            parts.append(f"<{child.name}>")
            _xml(child, parts)
            parts.append(f"</{child.name}>")


def to_openrosa_xml(session: FormSession) -> str:
    """The instance XML ODK Collect would submit for the same answers."""
    formdef = session.formdef
    root = session.root
    attributes = [
        'xmlns:jr="http://openrosa.org/javarosa"',
        'xmlns:orx="http://openrosa.org/xforms"',
        f"id={quoteattr(formdef.form_id)}",
    ]
    if formdef.version:
        attributes.append(f"version={quoteattr(formdef.version)}")
    parts = [f"<?xml version='1.0' ?><{root.name} {' '.join(attributes)}>"]
    _xml(root, parts)
    parts.append(f"</{root.name}>")
    return "".join(parts)


def document_snapshot(form: CompiledForm, document: dict[str, Any]) -> dict[str, Any]:
    """A session snapshot rebuilt from a submission document (to edit a finalised one).

    Fields left out of the document (they were not relevant) come back empty.
    """
    data = document.get("data")
    return _snapshot_of(form.root, data if isinstance(data, dict) else {})


def _snapshot_of(definition: FieldDef, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in definition.children:
        value = data.get(child.name)
        if child.role == REPEAT:
            items = value if isinstance(value, list) else []
            out[child.name] = [_snapshot_of(child, i if isinstance(i, dict) else {}) for i in items]
        elif child.role == GROUP:
            out[child.name] = _snapshot_of(child, value if isinstance(value, dict) else {})
        else:
            out[child.name] = from_json(child.data_type, value)
    return out
