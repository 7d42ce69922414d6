"""canonical_json takes the C encoder for plain values; it must give RFC 8785's exact bytes (or
its exact refusal) for every JSON value, plain or not."""

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from events.canonical import SAFE_INT, canonical_json

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and controls included
TEXT = st.text(ANY_CHAR, max_size=12) | st.sampled_from(["", '\n\t"\\', "\x7f\u2028", "😀"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.sampled_from([SAFE_INT, SAFE_INT + 1, -SAFE_INT, -SAFE_INT - 1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


# rfc8785 refuses some values with its own errors, and a lone surrogate in a key (which it
# sorts by UTF-16) with a UnicodeEncodeError; canonical_json must refuse the same way.
REFUSALS = (rfc8785.CanonicalizationError, UnicodeEncodeError)


def reference(value: object) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except REFUSALS as exc:
        return type(exc)


def ours(value: object) -> bytes | type[Exception]:
    try:
        return canonical_json(value)
    except REFUSALS as exc:
        return type(exc)


@settings(max_examples=600)
@given(JSON)
def test_canonical_json_gives_rfc8785_bytes_for_any_json_value(value: object) -> None:
    assert ours(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, "x"]},
        {"\U0001f600": 1, "\uffff": 2},  # UTF-16 order differs from code-point order here
        {"n": SAFE_INT + 1},  # outside the safe integer range: refused by the reference
        {"s": "\ud800"},  # lone surrogate: refused by the reference
        {"\ud800": 1},  # ... also in a key
        {"f": 1e21, "g": 1e-7, "h": -0.0},  # ES6 number forms
        {"c": '\u0000\u001f\b\f\n\r\t"\\/'},
    ],
)
def test_edge_values_match_rfc8785(value: object) -> None:
    assert ours(value) == reference(value)
