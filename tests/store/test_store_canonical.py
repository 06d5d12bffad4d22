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
