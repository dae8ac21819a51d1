"""payments.record_payment: allocation oldest first, statuses, named invoice, advances, events, dedupe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import ValidationFailed
from storage.export import export_business
from storage.models import Business, Event, Invoice, Payment, PaymentAllocation
from tools.payments import canonical_method

Call = Callable[..., dict[str, Any]]


def _bill(call: Call, customer: str, amount: int) -> dict[str, Any]:
    return call(
        "invoices.create_invoice",
        customer=customer,
        items=[{"product": "cement", "quantity": 1, "unit": "bag", "unit_price": amount}],
    )


def _status(session: Session, invoice_id: int) -> tuple[str, int]:
    inv = session.get(Invoice, invoice_id)
    assert inv is not None
    session.refresh(inv)
    return str(inv.status), inv.paid_paise // 100


def test_full_payment_marks_the_invoice_paid(call: Call, session: Session, biz: Business) -> None:
    inv = _bill(call, "Mahesh", 700)
    out = call("payments.record_payment", customer="Mahesh", amount=700, method="cash")
    assert out["applied"] == [{"invoice": inv["number"], "amount": 700, "status": "paid"}]
    assert _status(session, inv["id"]) == ("paid", 700)
    payment = session.get(Payment, out["id"])
    assert payment is not None and payment.invoice_id == inv["id"] and payment.amount_paise == 70000
    exported = export_business(session, biz)
    assert exported["payments"][0]["invoice"] == inv["number"]


def test_partial_payment(call: Call, session: Session) -> None:
    inv = _bill(call, "Geeta", 2800)
    call("payments.record_payment", customer="Geeta", amount=1000)
    assert _status(session, inv["id"]) == ("partially_paid", 1000)


def test_allocation_across_several_invoices_oldest_first(call: Call, session: Session) -> None:
    first, second, third = _bill(call, "Rekha", 300), _bill(call, "Rekha", 500), _bill(call, "Rekha", 400)
    _bill(call, "Someone else", 999)
    out = call("payments.record_payment", customer="Rekha", amount=1000, method="PhonePe")
    assert [(a["invoice"], a["amount"]) for a in out["applied"]] == [
        (first["number"], 300),
        (second["number"], 500),
        (third["number"], 200),
    ]
    assert [_status(session, i["id"]) for i in (first, second, third)] == [
        ("paid", 300),
        ("paid", 500),
        ("partially_paid", 200),
    ]
    payment = session.get(Payment, out["id"])
    assert payment is not None and payment.invoice_id == first["id"] and payment.method == "upi"
    allocations = session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == out["id"])
    ).all()
    assert sum(a.amount_paise for a in allocations) == 100000
    # the next payment continues where this one stopped
    call("payments.record_payment", customer="Rekha", amount=200)
    assert _status(session, third["id"]) == ("paid", 400)


def test_named_invoice_is_paid_first_and_the_rest_spills_over(call: Call, session: Session) -> None:
    old, new = _bill(call, "Tarun", 1000), _bill(call, "Tarun", 500)
    out = call("payments.record_payment", customer="Tarun", amount=800, invoice=new["number"])
    assert [(a["invoice"], a["amount"]) for a in out["applied"]] == [
        (new["number"], 500),
        (old["number"], 300),
    ]
    assert session.get(Payment, out["id"]).invoice_id == new["id"]  # type: ignore[union-attr]


def test_invoice_alone_names_the_customer(call: Call, session: Session) -> None:
    inv = _bill(call, "Nisha", 15000)
    out = call("payments.record_payment", amount=15000, invoice=inv["number"])
    assert out["customer"]["name"] == "Nisha"
    assert _status(session, inv["id"]) == ("paid", 15000)


def test_overpayment_and_no_invoice_are_advances(call: Call, session: Session) -> None:
    inv = _bill(call, "Bala", 200)
    out = call("payments.record_payment", customer="Bala", amount=250)
    assert out["advance"] == 50 and _status(session, inv["id"]) == ("paid", 200)
    out = call("payments.record_payment", customer="New Person", amount=3000, method="upi")
    assert out["applied"] == [] and out["advance"] == 3000
    assert session.get(Payment, out["id"]).invoice_id is None  # type: ignore[union-attr]


def test_cancelled_invoices_take_no_money(call: Call, session: Session) -> None:
    cancelled, open_ = _bill(call, "Sunil", 100), _bill(call, "Sunil", 100)
    call("invoices.cancel_invoice", invoice=cancelled["number"])
    out = call("payments.record_payment", customer="Sunil", amount=100)
    assert [a["invoice"] for a in out["applied"]] == [open_["number"]]
    with pytest.raises(ValidationFailed):
        call("payments.record_payment", amount=100, invoice=cancelled["number"])


def test_amount_must_be_positive(call: Call, session: Session) -> None:
    with pytest.raises(ValidationFailed):
        call("payments.record_payment", customer="X", amount=0)
    assert session.scalar(select(Payment.id)) is None


def test_payment_received_event_payload(call: Call, session: Session) -> None:
    call("customers.add_customer", name="Rekha Nair", phone="9900112233")
    inv = _bill(call, "Rekha Nair", 330)
    out = call("payments.record_payment", customer="Rekha Nair", amount=330, method="gpay", reference="UPI-1")
    ev = session.scalars(select(Event).where(Event.type == "payments.payment_received")).one()
    assert ev.key == f"payment-{out['id']}"
    assert ev.payload["payment"]["amount"] == 330
    assert ev.payload["payment"]["method"] == "upi" and ev.payload["payment"]["reference"] == "UPI-1"
    assert ev.payload["customer"] == {"name": "Rekha Nair", "phone": "+919900112233", "email": None}
    assert ev.payload["invoice"]["number"] == inv["number"] and ev.payload["invoice"]["status"] == "paid"
    advance = call("payments.record_payment", customer="Rekha Nair", amount=10)
    ev2 = session.scalars(select(Event).where(Event.key == f"payment-{advance['id']}")).one()
    assert ev2.payload["invoice"] is None


def test_same_external_payment_is_recorded_once(call: Call, session: Session) -> None:
    first = call("payments.record_payment", customer="A", amount=1500, source="razorpay", external_id="pay_1")
    again = call("payments.record_payment", customer="A", amount=1500, source="razorpay", external_id="pay_1")
    assert again["id"] == first["id"] and again["duplicate"] is True
    assert len(session.scalars(select(Payment)).all()) == 1
    assert len(session.scalars(select(Event)).all()) == 1


@pytest.mark.parametrize(
    ("said", "method"),
    [
        ("cash", "cash"),
        ("UPI", "upi"),
        ("PhonePe", "upi"),
        ("gpay", "upi"),
        ("Google Pay", "upi"),
        ("paytm", "upi"),
        ("NEFT", "bank_transfer"),
        ("imps", "bank_transfer"),
        ("bank transfer", "bank_transfer"),
        ("bank_transfer", "bank_transfer"),
        ("credit card", "card"),
        ("card", "card"),
        ("cheque", "cheque"),
        ("check", "cheque"),
        ("", None),
        (None, None),
        ("barter", None),
    ],
)
def test_canonical_method(said: str | None, method: str | None) -> None:
    assert canonical_method(said) == method


def test_an_advance_pays_the_next_invoice(call: Call, session: Session) -> None:
    call("payments.record_payment", customer="Ajay", amount=1000, method="cash")
    first = call(
        "invoices.create_invoice", customer="Ajay", items=[{"product": "x", "quantity": 1, "unit_price": 600}]
    )
    assert first["advance_applied"] == 600 and _status(session, first["id"]) == ("paid", 600)
    second = call(
        "invoices.create_invoice", customer="Ajay", items=[{"product": "x", "quantity": 1, "unit_price": 600}]
    )
    assert _status(session, second["id"]) == ("partially_paid", 400)
    other = call(
        "invoices.create_invoice",
        customer="Someone",
        items=[{"product": "x", "quantity": 1, "unit_price": 5}],
    )
    assert _status(session, other["id"]) == ("issued", 0)
    call("business.undo_last")  # undo "Someone"
    call("business.undo_last")  # undo the second invoice: its 400 is an advance again
    third = call(
        "invoices.create_invoice", customer="Ajay", items=[{"product": "x", "quantity": 1, "unit_price": 900}]
    )
    assert _status(session, third["id"]) == ("partially_paid", 400)


def test_cancelling_a_paid_invoice_keeps_the_money_as_advance(call: Call, session: Session) -> None:
    inv = _bill(call, "Tarun", 500)
    pay = call("payments.record_payment", customer="Tarun", amount=500)
    out = call("invoices.cancel_invoice", invoice=inv["number"])
    assert out["released"] == 500 and _status(session, inv["id"]) == ("cancelled", 0)
    assert session.get(Payment, pay["id"]).invoice_id is None  # type: ignore[union-attr]
    call("business.undo_last")  # the cancellation: the money goes back on it
    assert _status(session, inv["id"]) == ("paid", 500)
    assert session.get(Payment, pay["id"]).invoice_id == inv["id"]  # type: ignore[union-attr]


def test_a_smaller_total_gives_the_excess_back(call: Call, session: Session) -> None:
    inv = call(
        "invoices.create_invoice",
        customer="Ramu",
        items=[{"product": "cement", "quantity": 3, "unit": "bag", "unit_price": 350}],
    )
    call("payments.record_payment", customer="Ramu", amount=1050)
    call(
        "invoices.edit_invoice",
        items=[{"product": "cement", "quantity": 1, "unit": "bag", "unit_price": 350}],
    )
    assert _status(session, inv["id"]) == ("paid", 350)
    nxt = _bill(call, "Ramu", 1000)
    assert _status(session, nxt["id"]) == ("partially_paid", 700)


def test_moving_an_invoice_to_another_customer_moves_no_money(call: Call, session: Session) -> None:
    inv = _bill(call, "Ajay", 500)
    call("payments.record_payment", customer="Ajay", amount=500)
    call("payments.record_payment", customer="Vijay", amount=200)
    call("invoices.edit_invoice", invoice=inv["number"], customer="Vijay")
    assert _status(session, inv["id"]) == ("partially_paid", 200)  # Vijay's advance, not Ajay's payment
    call("business.undo_last")
    assert _status(session, inv["id"]) == ("paid", 500)
    assert session.get(Invoice, inv["id"]).customer.name == "Ajay"  # type: ignore[union-attr]
