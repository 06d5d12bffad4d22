"""uuid, digest, base64-decode, pulldata, property, version and jr:itext."""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from app.core.errors import XPathEvalError
from app.engine.instance import build_secondary

from .helpers import build, evaluate

VILLAGES = build_secondary(
    "villages",
    [
        {"code": "V01", "name": "ບ້ານນາໄຊ", "district": "Xaythany", "households": "120"},
        {"code": "V02", "name": "Ban Phonxay", "district": "Sikhottabong", "households": "85"},
        {"code": "V02", "name": "duplicate", "district": "?", "households": "0"},
        {"code": "12", "name": "numeric code", "district": "", "households": "7"},
    ],
)
FORM = build({"village": "V02", "n": ("12", "int"), "msg": "ສະບາຍດີ"})


def pull(expression: str) -> object:
    return evaluate(expression, FORM, secondary={"villages": VILLAGES})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("pulldata('villages', 'name', 'code', 'V01')", "ບ້ານນາໄຊ"),
        ("pulldata('villages', 'district', 'code', /data/village)", "Sikhottabong"),  # first row
        ("pulldata('villages', 'households', 'code', 'V01') + 1", 121.0),
        ("pulldata('villages', 'name', 'code', /data/n)", "numeric code"),  # compared as text
        ("pulldata('villages', 'name', 'code', 'V99')", ""),
        ("pulldata('villages', 'nope', 'code', 'V01')", ""),
        ("pulldata('villages', 'name', 'nope', 'V01')", ""),
        ("pulldata('towns', 'name', 'code', 'V01')", ""),
    ],
)
def test_pulldata(expression: str, expected: object) -> None:
    assert pull(expression) == expected


def test_uuid() -> None:
    assert evaluate("uuid()") == "6f1c2b8e-8a59-4b8e-9d6e-2f0c1a7e5b3d"  # the environment's
    generated = evaluate("uuid()", uuid=None)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", generated
    )
    assert evaluate("uuid()", uuid=None) != generated
    short = evaluate("uuid(12)", rng=random.Random(3))
    assert re.fullmatch(r"[0-9A-Z]{12}", short)
    assert short == evaluate("uuid(12)", rng=random.Random(3))
    assert evaluate("uuid(0)") == ""
    assert evaluate("uuid(-5)") == ""
    assert len(evaluate("uuid(/data/n)", FORM)) == 12
    with pytest.raises(XPathEvalError, match="too long"):
        evaluate("uuid(1000000)")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("digest('abc', 'MD5', 'hex')", "900150983cd24fb0d6963f7d28e17f72"),
        ("digest('abc', 'SHA-1', 'hex')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "digest('abc', 'SHA-256', 'hex')",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("digest('abc', 'MD5')", "kAFQmDzST7DWlj99KOF/cg=="),
        ("digest('abc', 'sha1', 'BASE64')", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),
        ("digest('abc', 'SHA-256')", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="),
        (
            "digest('abc', 'SHA-384')",
            "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn",
        ),
        (
            "digest('abc', 'SHA-512')",
            "3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==",
        ),
        ("digest('', 'MD5', 'hex')", "d41d8cd98f00b204e9800998ecf8427e"),
        # The UTF-8 bytes of the text are hashed.
        ("digest('ສະບາຍດີ', 'MD5', 'hex')", hashlib.md5("ສະບາຍດີ".encode()).hexdigest()),
    ],
)
def test_digest(expression: str, expected: str) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("digest('abc', 'SHA-3')", "unsupported algorithm"),
        ("digest('abc', 'MD5', 'base32')", "unsupported encoding"),
    ],
)
def test_digest_errors(expression: str, message: str) -> None:
    with pytest.raises(XPathEvalError, match=message):
        evaluate(expression)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("base64-decode('SGVsbG8=')", "Hello"),
        ("base64-decode('4Lqq4Lqw4Lqa4Lqy4LqN4LqU4Lq1')", "ສະບາຍດີ"),
        ("base64-decode(' SGVs\nbG8= ')", "Hello"),
        ("base64-decode('')", ""),
        ("base64-decode('not base64!')", ""),
        ("base64-decode('/w==')", "\ufffd"),  # the byte 0xFF is not UTF-8
    ],
)
def test_base64_decode(expression: str, expected: str) -> None:
    assert evaluate(expression) == expected


def test_property_version_and_itext() -> None:
    props = {"deviceid": "samluat:abc123", "username": "noy"}
    assert evaluate("property('deviceid')", properties=props) == "samluat:abc123"
    assert evaluate("property('email')", properties=props) == ""
    root = build({})
    assert evaluate("version()", root) == ""
    root.attrs = {"version": "2024030101"}
    assert evaluate("version()", root) == "2024030101"
    assert evaluate("jr:itext('/data/q:label')") == "/data/q:label"
