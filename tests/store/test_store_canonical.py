from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.store.canonical import canonical_json, content_hash

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_canonical_form_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": "ສຳຫຼວດ"}) == '{"a":"ສຳຫຼວດ","b":1}'.encode()


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=8))
def test_hash_ignores_key_order_and_round_trips(doc: dict[str, object]) -> None:
    reordered = dict(reversed(list(doc.items())))
    assert content_hash(doc) == content_hash(reordered)
    assert json.loads(canonical_json(doc)) == doc


def test_different_documents_hash_differently() -> None:
    assert content_hash({"a": 1}) != content_hash({"a": "1"})


def test_nan_is_rejected() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


awkward_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses those
    | st.floats(allow_nan=True, allow_infinity=True)  # 1e16, 1e-07, -0.0, nan…
    | st.sampled_from([1e16, 1e-7, -0.0, 1.5e300, 2**70, "\ud800", "ລາວ", "\u0000"])
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "B", "é", "ລ", "𝄞", "Z"]), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), awkward_values, max_size=8))
def test_fast_canonical_bytes_are_the_canonical_bytes(doc: dict[str, object]) -> None:
    from app.store.canonical import canonical_matching, sha256_hex

    try:
        expected = canonical_json(doc)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)):
            canonical_matching(doc, "0" * 64)
        return
    digest = sha256_hex(expected)
    assert canonical_matching(doc, digest) == (expected, True)
    assert canonical_matching(doc, "0" * 64) == (expected, False)


def _same(a: object, b: object) -> bool:
    """Equal with the same types all the way down (1 is not 1.0; NaN is NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return repr(a) == repr(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    return a == b


def _standard(data: bytes | str) -> object:
    return json.loads(data if isinstance(data, str) else data.decode("utf-8"))


def _outcome(parse: object, data: bytes | str) -> tuple[str, object]:
    try:
        return "ok", parse(data)  # type: ignore[operator]
    except RecursionError:
        return "error", RecursionError
    except ValueError:
        return "error", ValueError


@given(awkward_values, st.booleans(), st.booleans())
def test_fast_parser_reads_what_the_standard_parser_reads(
    value: object, ascii_escapes: bool, as_text: bool
) -> None:
    """Records are read with orjson where it agrees: big integers, 1e400, lone surrogates
    and NaN must read exactly as the standard parser reads them."""
    from app.store.canonical import parse_json

    text = json.dumps(value, ensure_ascii=ascii_escapes)
    data: bytes | str = text if as_text else text.encode("utf-8", "surrogatepass")
    fast, standard = _outcome(parse_json, data), _outcome(_standard, data)
    assert fast[0] == standard[0]
    assert fast[0] == "error" or _same(fast[1], standard[1])


@pytest.mark.parametrize(
    "data",
    [
        b"123456789012345678901234567890",  # orjson alone reads a float
        b'{"n":-99999999999999999999,"m":1}',
        b"1e400",
        b'"\\ud800"',
        b'{"a":1,"a":2}',
        b"\xef\xbb\xbf{}",  # a byte order mark: refused by both
        b"\xff\xfe{\x00}\x00",  # UTF-16: refused (the standard parser guesses it from bytes)
        b'["\xff"]',
        b'{"a":1}x',
        b"[" * 5000 + b"]" * 5000,
        b"NaN",
        b"",
    ],
)
def test_fast_parser_on_awkward_bytes(data: bytes) -> None:
    from app.store.canonical import parse_json

    fast, standard = _outcome(parse_json, data), _outcome(_standard, data)
    assert fast[0] == standard[0]
    assert fast[0] == "error" or _same(fast[1], standard[1])


@given(st.binary(max_size=64))
def test_fast_parser_on_random_bytes(data: bytes) -> None:
    from app.store.canonical import parse_json

    fast, standard = _outcome(parse_json, data), _outcome(_standard, data)
    assert fast[0] == standard[0]
    assert fast[0] == "error" or _same(fast[1], standard[1])
