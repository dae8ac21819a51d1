"""customers.* and business.update_profile: phones, emails, GSTINs (with checksum) and states."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage.models import Business, Customer
from tools.business import gstin_check_char, gstin_problem, state_code, state_name

Call = Callable[..., dict[str, Any]]


def test_add_customer_with_phone(call: Call, session: Session) -> None:
    out = call("customers.add_customer", name="Rekha Nair", phone="9900112233")
    assert out["created"] is True
    assert out["customer"]["phone"] == "+919900112233"
    again = call("customers.add_customer", name="rekha nair", email="Rekha@Example.com")
    assert again["created"] is False and again["changed"] == ["email"]
    c = session.scalars(select(Customer)).one()
    assert (c.name, c.phone, c.email) == ("Rekha Nair", "+919900112233", "rekha@example.com")


def test_lower_case_names_are_capitalised(call: Call) -> None:
    assert call("customers.add_customer", name="green leaf cafe")["customer"]["name"] == "Green Leaf Cafe"
    assert call("customers.add_customer", name="RK Stores")["customer"]["name"] == "RK Stores"


@pytest.mark.parametrize(
    "params",
    [{"phone": "12345"}, {"email": "not-an-email"}, {"gstin": "27AAPFU0939F1ZX"}, {"state": "Atlantis"}],
)
def test_bad_details_are_refused(call: Call, session: Session, params: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed):
        call("customers.add_customer", name="Someone", **params)
    assert session.scalar(select(Customer.id)) is None


def test_update_customer(call: Call, session: Session, customer: Customer) -> None:
    out = call(
        "customers.update_customer", customer="Mahesh Kumar", phone="+91 98765 00000", name="Mahesh K. Gupta"
    )
    assert set(out["changed"]) == {"phone", "name"}
    session.refresh(customer)
    assert (customer.name, customer.phone) == ("Mahesh K. Gupta", "+919876500000")


def test_update_unknown_customer_adds_them_unless_told_not_to(call: Call) -> None:
    out = call("customers.update_customer", customer="Tarun", phone="9811122233")
    assert out["created"] is True and out["customer"]["phone"] == "+919811122233"
    with pytest.raises(NotFound):
        call("customers.update_customer", customer="Nobody", phone="9811122244", create=False)


def test_customer_gstin_sets_the_state(call: Call) -> None:
    out = call(
        "customers.update_customer",
        customer="Kiran Traders",
        gstin="29aaacb1234c1z5".upper()[:14] + gstin_check_char("29AAACB1234C1Z"),
    )
    assert out["customer"]["state"] == "Karnataka"
    assert out["customer"]["gstin"].startswith("29AAACB1234C1Z")


def test_business_profile(call: Call, session: Session, biz: Business) -> None:
    out = call("business.update_profile", gstin="27aapfu0939f1zv")
    assert out["gstin"] == "27AAPFU0939F1ZV" and out["state"] == "Maharashtra"
    call("business.update_profile", name="Sharma Hardware & Paints", address="12 MG Road, Pune")
    session.refresh(biz)
    assert (biz.name, biz.address, biz.state) == (
        "Sharma Hardware & Paints",
        "12 MG Road, Pune",
        "Maharashtra",
    )
    with pytest.raises(ValidationFailed):
        call("business.update_profile", gstin="27AAPFU0939F1ZW")
    with pytest.raises(ValidationFailed):
        call("business.update_profile")


@pytest.mark.parametrize(
    "gstin", ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "07AAACI1681G1ZR", "24AAACC1206D1ZM"]
)
def test_valid_gstins(gstin: str) -> None:
    assert gstin_problem(gstin) is None
    assert gstin_problem(gstin.lower()) is None


@pytest.mark.parametrize(
    ("gstin", "why"),
    [
        ("27AAPFU0939F1ZW", "should be V"),
        ("27AAPFU0939F1Z", "15 characters"),
        ("27AAPFU0939F1YV", "shape"),
        ("00AAPFU0939F1ZV", "state code"),
        ("", "15 characters"),
        ("2AAAPFU0939F1ZV", "shape"),
    ],
)
def test_invalid_gstins_say_why(gstin: str, why: str) -> None:
    problem = gstin_problem(gstin)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("maharashtra", "Maharashtra"),
        ("MH", "Maharashtra"),
        ("27", "Maharashtra"),
        ("Tamil Nadu", "Tamil Nadu"),
        ("tn", "Tamil Nadu"),
        ("Orissa", "Odisha"),
        ("new delhi", "Delhi"),
        ("up", "Uttar Pradesh"),
        ("Mars", None),
    ],
)
def test_state_names(text: str, name: str | None) -> None:
    assert state_name(text) == name


def test_state_code() -> None:
    assert (state_code("Karnataka"), state_code("ka"), state_code("nowhere")) == ("29", "29", None)
