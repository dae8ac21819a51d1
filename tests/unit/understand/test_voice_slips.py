"""Speech-to-text slips that understanding reads through (``prepare._VOICE_SLIPS``).

Each transcript here was written by the bundled tiny.en for an espeak-ng note
(``tests/unit/voice/test_voice_voices.py``); it must mean what the owner said.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand import understand


@pytest.mark.parametrize(
    ("heard", "changes"),
    [
        ("Make it free.", {"quantity": Decimal(3)}),
        ("make it tree bags", {"quantity": Decimal(3), "unit": "bag"}),
        ("Change it to free", {"quantity": Decimal(3)}),
        ("make that for.", {"quantity": Decimal(4)}),
        ("make it won", {"quantity": Decimal(1)}),
    ],
)
def test_a_number_heard_as_its_homophone_is_the_number(heard: str, changes: dict[str, Decimal]) -> None:
    u = understand(heard)

    assert (u.intent, u.changes) == ("edit_invoice", changes)


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("make it for Mahesh", {"customer": "Mahesh"}),  # "for" before a name is the word
        ("make it free delivery", {"product": "free delivery"}),  # a homophone before another word stays
    ],
)
def test_homophones_outside_a_number_slot_are_words(text: str, changes: dict[str, str]) -> None:
    assert understand(text).changes == changes


def test_this_stock_heard_for_the_stock_sets_stock() -> None:
    u = understand("Set this stock on sugar to 40 kilos.")

    assert (u.intent, u.product, u.quantity, u.unit) == ("stock_set", "sugar", Decimal(40), "kg")
