"""methods.py: payment method words."""

from __future__ import annotations

import pytest

from intents.understand.methods import find_method, normalize_method


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid in cash", ("cash", None)),
        ("nakad diye", ("cash", None)),
        ("on UPI", ("upi", None)),
        ("via gpay", ("upi", "gpay")),
        ("Google Pay", ("upi", "gpay")),
        ("g pay", ("upi", "gpay")),
        ("on PhonePe", ("upi", "phonepe")),
        ("phone pe se", ("upi", "phonepe")),
        ("paytm", ("upi", "paytm")),
        ("BHIM", ("upi", "bhim")),
        ("bhim upi", ("upi", "bhim")),
        ("scanned the QR", ("upi", None)),
        ("bank transfer", ("bank_transfer", None)),
        ("NEFT", ("bank_transfer", "neft")),
        ("by IMPS", ("bank_transfer", "imps")),
        ("RTGS", ("bank_transfer", "rtgs")),
        ("net banking", ("bank_transfer", None)),
        ("card", ("card", None)),
        ("credit card", ("card", "credit")),
        ("debit card", ("card", "debit")),
        ("swiped", ("card", None)),
        ("cheque", ("cheque", None)),
        ("by check", ("cheque", None)),
        ("chq", ("cheque", None)),
        ("online", ("upi", None)),
        ("got 3000 from Rekha on PhonePe", ("upi", "phonepe")),
    ],
)
def test_find_method(text: str, expected: tuple[str, str | None]) -> None:
    assert find_method(text) == expected


@pytest.mark.parametrize("text", ["Mahesh paid 700", "", "got it", "cashew nuts"])
def test_no_method(text: str) -> None:
    assert find_method(text) is None


def test_normalize_method() -> None:
    assert normalize_method("Bank Transfer") == ("bank_transfer", None)
    assert normalize_method("GPay") == ("upi", "gpay")
    assert normalize_method("check") == ("cheque", None)
