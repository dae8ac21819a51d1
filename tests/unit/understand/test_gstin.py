"""gstin.py: GSTIN format and mod-36 checksum; states."""

from __future__ import annotations

import pytest

from intents.understand.gstin import (
    STATE_CODES,
    find_gstin,
    find_state,
    gstin_check_char,
    normalize_state,
    state_from_gstin,
    valid_gstin,
)


@pytest.mark.parametrize("gstin", ["27AAPFU0939F1ZV", "27aapfu0939f1zv", " 27AAPFU0939F1ZV "])
def test_valid(gstin: str) -> None:
    assert valid_gstin(gstin)


@pytest.mark.parametrize(
    "gstin",
    [
        "27AAPFU0939F1ZX",  # wrong check character
        "27AAPFU0939F1Z",
        "27AAPFU0939F1ZVV",
        "",
        None,
        "ABCDEFGHIJKLMNO",
        "99AAPFU0939F1ZV",
        "00AAPFU0939F1ZV",
        "2AAAPFU0939F1ZV",
        "27AAPFU0939F0ZV",
    ],
)
def test_invalid(gstin: str | None) -> None:
    assert not valid_gstin(gstin)


def test_check_char_round_trip() -> None:
    for body in ("27AAPFU0939F1Z", "29ABCDE1234F1Z", "07AAACR5055K1Z", "33ABCDE9999Z1Z"):
        assert valid_gstin(body + gstin_check_char(body))


def test_find_and_state() -> None:
    assert find_gstin("my GSTIN is 27aapfu0939f1zv.") == "27AAPFU0939F1ZV"
    assert find_gstin("no gstin") is None
    assert state_from_gstin("27AAPFU0939F1ZV") == "Maharashtra"
    assert STATE_CODES["29"] == "Karnataka"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("we are in Maharashtra", "Maharashtra"),
        ("shop in tamil nadu", "Tamil Nadu"),
        ("Tamilnadu", "Tamil Nadu"),
        ("12 MG Road, Pune", "Maharashtra"),
        ("Bengaluru", "Karnataka"),
        ("New Delhi", "Delhi"),
        ("nowhere", None),
    ],
)
def test_find_state(text: str, state: str | None) -> None:
    assert find_state(text) == state


def test_normalize_state_abbreviations() -> None:
    assert normalize_state("UP") == "Uttar Pradesh"
    assert normalize_state("UP", allow_abbreviations=False) is None
    assert normalize_state("karnataka") == "Karnataka"
