"""phones.py: Indian mobiles to E.164, phones and emails inside text."""

from __future__ import annotations

import pytest

from intents.understand.phones import find_email, find_phone, find_phones, to_e164


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9988776655", "+919988776655"),
        ("99887 76655", "+919988776655"),
        ("99887-76655", "+919988776655"),
        ("+91-99887-76655", "+919988776655"),
        ("+91 99887 76655", "+919988776655"),
        ("+919988776655", "+919988776655"),
        ("09988776655", "+919988776655"),
        ("919988776655", "+919988776655"),
        ("91 9988776655", "+919988776655"),
        ("whatsapp:+919988776655", "+919988776655"),
        ("(+91) 99887-76655", "+919988776655"),
        ("998-877-6655", "+919988776655"),
        ("6000000000", "+916000000000"),
        ("0091 9988776655", "+919988776655"),
        ("+14155552671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_to_e164(text: str, expected: str) -> None:
    assert to_e164(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "12345",
        "1234567890",
        "5988776655",
        "98xxxxxxxx",
        "+91 2012345678",
        "998877665",
        "99887766550",
        "abc",
        "+91",
    ],
)
def test_to_e164_rejects(text: str | None) -> None:
    assert to_e164(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("New customer: Rekha Nair, 9900112233", "+919900112233"),
        ("Add customer Rekha with phone 9900112233", "+919900112233"),
        ("change Mahesh's number to 98765 43210.", "+919876543210"),
        ("call +91-98765-43210 now", "+919876543210"),
        ("whatsapp:+919988776655", "+919988776655"),
        ("2 fans 1800 each and 4 tube lights 250", None),
        ("paid 15000 20000", None),
        ("change Mahesh's number to 98xxxxxxxx", None),
    ],
)
def test_find_phone(text: str, expected: str | None) -> None:
    assert find_phone(text) == expected


def test_find_phones_many() -> None:
    assert [p for p, _, _ in find_phones("9900112233 or 09988776655")] == ["+919900112233", "+919988776655"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rekha's email is rekha@example.com", "rekha@example.com"),
        ("email me at Boss@Example.COM.", "boss@example.com"),
        ("mail a.k.sharma+shop@mail.co.in please", "a.k.sharma+shop@mail.co.in"),
        ("no email here", None),
        ("@ 110", None),
        ("rekha@", None),
    ],
)
def test_find_email(text: str, expected: str | None) -> None:
    assert find_email(text) == expected
