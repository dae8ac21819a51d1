"""`split_message`: WhatsApp bodies over 1,600 characters go out as several sensible parts."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channel import LIMIT, split_message


def squeeze(text: str) -> str:
    """The text without any whitespace: what must survive splitting unchanged."""
    return "".join(text.split())


def check(body: str, parts: list[str], limit: int = LIMIT) -> None:
    """The invariants: each part fits, none is empty or padded, nothing is lost or reordered."""
    assert all(0 < len(p) <= limit for p in parts), [len(p) for p in parts]
    assert all(p == p.strip() for p in parts)
    assert squeeze("".join(parts)) == squeeze(body)
    # Every part is a piece of the original, in order (only whitespace at the cuts is dropped).
    at = 0
    for p in parts:
        found = body.find(p, at)
        assert found >= 0, f"part not found in order: {p[:40]!r}"
        assert body[at:found].strip() == ""
        at = found + len(p)
    assert body[at:].strip() == ""


def paragraph(n: int, char: str = "a") -> str:
    """A paragraph of about ``n`` characters of short words ending with a full stop."""
    return (" ".join([char * 4] * (n // 5)))[: n - 1] + "."


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_nothing_to_send_gives_no_parts(body: str) -> None:
    assert split_message(body) == []


@pytest.mark.parametrize("body", ["hi", "Namaste! 🙏", "x" * LIMIT, "a b " * 400])
def test_short_bodies_are_one_part(body: str) -> None:
    assert split_message(body) == [body.strip()]


def test_exactly_the_limit_is_one_part_and_one_more_is_two() -> None:
    assert len(split_message("x" * LIMIT)) == 1
    assert len(split_message("x" * (LIMIT + 1))) == 2


def test_splits_at_a_paragraph_break() -> None:
    first, second = paragraph(1000, "a"), paragraph(1000, "b")
    body = f"{first}\n\n{second}"
    assert split_message(body) == [first, second]


def test_prefers_the_paragraph_break_to_a_later_line_break() -> None:
    first = paragraph(900, "a")
    rest = "\n".join(["bbbb bbbb bbbb."] * 60)
    parts = split_message(f"{first}\n\n{rest}")
    assert parts[0] == first
    check(f"{first}\n\n{rest}", parts)


def test_splits_at_a_line_break_when_there_is_no_paragraph() -> None:
    lines = [f"• item {i:03d}: 8 bags cement at ₹345 = ₹2,760" for i in range(80)]
    body = "\n".join(lines)
    parts = split_message(body)
    assert len(parts) >= 2
    for p in parts:  # every part is whole lines
        assert all(line in lines for line in p.split("\n"))
    check(body, parts)


def test_splits_after_a_sentence_when_there_are_no_lines() -> None:
    sentences = [f"Sentence number {i} is about cement and tiles." for i in range(60)]
    body = " ".join(sentences)
    parts = split_message(body)
    assert len(parts) >= 2
    for p in parts:
        assert p.endswith("."), p[-30:]
    check(body, parts)


@pytest.mark.parametrize("mark", ["!", "?"])
def test_other_sentence_ends_count_too(mark: str) -> None:
    body = " ".join([f"Paid in full{mark}"] * 200)
    parts = split_message(body)
    assert all(p.endswith(mark) for p in parts)
    check(body, parts)


def test_splits_between_words_when_there_are_no_sentences() -> None:
    body = " ".join(f"word{i}" for i in range(500))
    parts = split_message(body)
    assert len(parts) >= 2
    for p in parts:
        assert all(re.fullmatch(r"word\d+", w) for w in p.split(" "))
    check(body, parts)


def test_cuts_a_word_only_when_it_is_longer_than_the_limit() -> None:
    body = "x" * (LIMIT * 2 + 7)
    parts = split_message(body)
    assert parts == ["x" * LIMIT, "x" * LIMIT, "x" * 7]


def test_no_tiny_first_part_from_an_early_break() -> None:
    body = "Hi.\n\n" + "y" * 3000  # the only break is at the very start
    parts = split_message(body)
    assert len(parts[0]) == LIMIT  # a hard cut rather than a 3-character message
    check(body, parts)


def test_hindi_and_emoji_are_kept_whole() -> None:
    body = "\n".join(["महेश को 8 बैग सीमेंट ₹345 पर 🧾"] * 120)
    parts = split_message(body)
    assert len(parts) >= 2
    check(body, parts)


@pytest.mark.parametrize("limit", [20, 100, 1600])
def test_smaller_limits(limit: int) -> None:
    body = " ".join(["Invoice INV-0001 for Mahesh."] * 100)
    parts = split_message(body, limit)
    check(body, parts, limit)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=list("ab .!?,;\n₹🙏"), max_size=800),
       st.integers(min_value=10, max_value=200))
def test_invariants_hold_for_any_text(body: str, limit: int) -> None:
    check(body, split_message(body, limit), limit)
