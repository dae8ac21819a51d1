"""examples.py: example sentences for the "not understood" reply."""

from __future__ import annotations

import pytest

from intents.understand.examples import EXAMPLES, suggest


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("bil mahesh something", "bill"),
        ("who owes", "paid"),
        ("stock thing", "stock"),
        ("automation thingy", "automation"),
        ("paid something", "paid"),
        ("gstin stuff", "GSTIN"),
        ("remind somebody", "remind"),
        ("price of something", "price"),
    ],
)
def test_suggest_is_close(text: str, word: str) -> None:
    out = suggest(text)
    assert 2 <= len(out) <= 3
    assert any(word.lower() in s.lower() for s in out)


@pytest.mark.parametrize("text", ["", "asdfgh", "🙂", "12345"])
def test_suggest_never_empty(text: str) -> None:
    out = suggest(text)
    assert 2 <= len(out) <= 3
    assert all(s in EXAMPLES for s in out)
    assert len(set(out)) == len(out)
