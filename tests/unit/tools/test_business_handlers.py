"""The business handlers with hand-made `Understanding`s: questions, answers, replies, confirmations.

Each turn runs the way the agent's act node runs it (its own session, the
conversation's pending question and memory carried between turns), so these
tests do not depend on how the understanding engine reads any sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from intents.handlers import CONFIRMERS, HANDLERS
from intents.handlers.types import Turn
from intents.understand.schema import Item, Understanding
from storage.db import Database
from storage.export import export_business
from storage.models import Business, Invoice, Message
from tools.pdf import verify_invoice_token


class Chat:
    """One owner talking to the handlers: ``say(intent, **slots)`` returns the reply text."""

    def __init__(self, db: Database) -> None:
        self.db = db
        config = SimpleNamespace(
            secret_key="test-secret",
            public_base_url="https://munshi.example.com",
            link_base="https://munshi.example.com",
            whatsapp_transport="outbox",
            razorpay_key_id=None,
            twilio_whatsapp_from=None,
        )
        self.runtime = SimpleNamespace(config=config, db=db)
        with db.session() as s:
            biz = Business(phone="+919800000001", name="Sharma Hardware")
            s.add(biz)
            s.flush()
            self.business_id = biz.id
        self.last: dict[str, Any] = {}
        self.pending: dict[str, Any] | None = None
        self.confirm: dict[str, Any] | None = None

    def say(self, intent: str, text: str = "", **slots: Any) -> str:
        u = Understanding(intent=intent, text=text or intent, **slots)  # type: ignore[arg-type]
        name = self.pending["intent"] if intent == "answer" and self.pending else intent
        with self.db.session() as s:
            turn = Turn(
                session=s,
                business_id=self.business_id,
                runtime=self.runtime,
                last=dict(self.last),
                pending=self.pending if intent == "answer" else None,
            )
            out = HANDLERS[name](turn, u)
        self.pending, self.confirm = out.pending, out.confirm
        self.last.update(out.last)
        return "\n".join(out.replies)

    def yes(self) -> str:
        assert self.confirm, "nothing is waiting for a YES"
        with self.db.session() as s:
            turn = Turn(session=s, business_id=self.business_id, runtime=self.runtime, last=dict(self.last))
            out = CONFIRMERS[self.confirm["kind"]](turn, self.confirm)
        self.confirm = None
        return "\n".join(out.replies)

    @property
    def expecting(self) -> str | None:
        return self.pending.get("expecting") if self.pending else None

    def data(self) -> dict[str, Any]:
        with self.db.session() as s:
            biz = s.get(Business, self.business_id)
            assert biz is not None
            return export_business(s, biz)

    def sent(self) -> list[Message]:
        with self.db.session() as s:
            return list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))


@pytest.fixture
def chat(db: Database) -> Iterator[Chat]:
    yield Chat(db)


def item(
    product: str,
    quantity: Any = None,
    unit: str | None = None,
    unit_price: Any = None,
    price_unit: str | None = None,
) -> Item:
    return Item(
        product=product,
        quantity=None if quantity is None else Decimal(str(quantity)),
        unit=unit,
        unit_price=None if unit_price is None else Decimal(str(unit_price)),
        price_unit=price_unit,
    )


# ------------------------------------------------------------------ invoices


def test_create_invoice_reply(chat: Chat) -> None:
    reply = chat.say("create_invoice", customer="Mahesh", items=[item("cement", 8, "bag", 345)])
    assert "INV/" in reply and "₹2,760" in reply and "undo" in reply.lower()
    assert "New customer Mahesh" in reply
    assert chat.data()["invoices"][0]["total"] == 2760


def test_create_invoice_asks_for_what_is_missing(chat: Chat) -> None:
    assert "Who is this invoice for" in chat.say("create_invoice")
    assert chat.expecting == "customer"
    assert "What should go on the bill for Mahesh" in chat.say("answer", "Mahesh", customer="Mahesh")
    assert chat.expecting == "items"
    assert (
        chat.say("answer", "3 bags cement", items=[item("cement", 3, "bag")])
        == "At what price per bag of cement?"
    )
    assert chat.expecting == "unit_price"
    reply = chat.say("answer", "340", price=Decimal(340))
    assert "₹1,020" in reply and chat.pending is None
    inv = chat.data()["invoices"][0]
    assert (inv["customer"], inv["items"][0]["unit_price"], inv["total"]) == ("Mahesh", 340, 1020)


def test_price_question_without_a_unit(chat: Chat) -> None:
    assert chat.say("create_invoice", customer="Ravi", items=[item("fan", 2)]) == "At what price for one fan?"


def test_an_unclear_price_answer_asks_again(chat: Chat) -> None:
    chat.say("create_invoice", customer="Ravi", items=[item("fan", 2)])
    again = chat.say("answer", "not sure")
    assert "price" in again.lower() and chat.expecting == "unit_price"
    assert chat.data()["invoices"] == []


def test_catalogue_price_needs_no_question(chat: Chat) -> None:
    chat.say("set_price", product="paint", price=Decimal(650), unit="bucket")
    reply = chat.say("create_invoice", customer="Farida", items=[item("paint", 2, "bucket")])
    assert "₹1,300" in reply and chat.pending is None


def test_two_customers_with_one_name_ask_which(chat: Chat) -> None:
    chat.say("add_customer", customer="Ramesh Kumar")
    chat.say("add_customer", customer="Ramesh Singh")
    question = chat.say("create_invoice", customer="Ramesh", items=[item("cement", 2, "bag", 340)])
    assert "Which Ramesh" in question and "1. Ramesh Kumar" in question and "2. Ramesh Singh" in question
    assert chat.expecting == "choice"
    assert "Ramesh Singh" in chat.say("answer", "2", choice=2)
    assert chat.data()["invoices"][0]["customer"] == "Ramesh Singh"


def test_choice_by_name_and_new(chat: Chat) -> None:
    chat.say("add_customer", customer="Ramesh Kumar")
    chat.say("add_customer", customer="Ramesh Singh")
    chat.say("create_invoice", customer="Ramesh", items=[item("x", 1, None, 10)])
    chat.say("answer", "Kumar", customer="Kumar")
    chat.say("create_invoice", customer="Ramesh", items=[item("x", 1, None, 10)])
    chat.say("answer", "new")
    assert [i["customer"] for i in chat.data()["invoices"]] == ["Ramesh Kumar", "Ramesh"]
    assert len(chat.data()["customers"]) == 3


def test_only_one_match_is_used(chat: Chat) -> None:
    chat.say("add_customer", customer="Ramesh Kumar")
    chat.say("create_invoice", customer="ramesh", items=[item("x", 1, None, 10)])
    assert chat.data()["invoices"][0]["customer"] == "Ramesh Kumar"


def test_edit_quantity_price_and_customer(chat: Chat) -> None:
    chat.say("create_invoice", customer="Mahesh", items=[item("cement", 4, "bag", 345)])
    assert "₹1,725" in chat.say("edit_invoice", "change it to 5 bags", changes={"quantity": 5, "unit": "bag"})
    assert "₹1,800" in chat.say("edit_invoice", "price should be 360", changes={"unit_price": 360})
    assert "Rekha" in chat.say("edit_invoice", "it was for Rekha", changes={"customer": "Rekha"})
    inv = chat.data()["invoices"]
    assert len(inv) == 1
    assert (inv[0]["customer"], inv[0]["items"][0]["quantity"], inv[0]["total"]) == ("Rekha", 5, 1800)


def test_edit_add_remove_and_replace_lines(chat: Chat) -> None:
    chat.say(
        "create_invoice",
        customer="Mahesh",
        items=[item("cement", 4, "bag", 345), item("sand", 1, "bag", 500)],
    )
    chat.say(
        "edit_invoice",
        "add 2 bags grit at 100",
        items=[item("grit", 2, "bag", 100)],
        changes={"add_items": [item("grit", 2, "bag", 100).model_dump(mode="json")]},
    )
    chat.say("edit_invoice", "remove the sand", changes={"remove_items": ["sand"]}, product="sand")
    chat.say("edit_invoice", "make cement 6 bags", changes={"quantity": 6, "unit": "bag"}, product="cement")
    lines = {i["product"]: (i["quantity"], i["amount"]) for i in chat.data()["invoices"][0]["items"]}
    assert lines == {"cement": (6, 2070), "grit": (2, 200)}
    which = chat.say("edit_invoice", "make it 3", changes={"quantity": 3})
    assert "Which item" in which


def test_edit_price_per_other_unit(chat: Chat) -> None:
    chat.say("create_invoice", customer="Anil", items=[item("cashew", 500, "g", 1, "g")])
    chat.say("edit_invoice", "price is 900 per kg", changes={"unit_price": 900}, unit="kg")
    assert chat.data()["invoices"][0]["total"] == 450


def test_cancel_show_and_list(chat: Chat) -> None:
    chat.say("create_invoice", customer="Tarun", items=[item("fan", 1, None, 1800)])
    chat.say("create_invoice", customer="Geeta", items=[item("blouse", 7, None, 400)])
    shown = chat.say("show_invoice", invoice_number="1")
    assert "Tarun" in shown and "₹1,800" in shown
    assert "Geeta" in chat.say("list_invoices") and "Tarun" in chat.say("list_invoices")
    assert "Geeta" not in chat.say("list_invoices", customer="Tarun")
    reply = chat.say("cancel_invoice", "cancel that")  # "that": the invoice just shown
    assert "Cancelled" in reply and "Tarun" in reply
    assert [i["status"] for i in chat.data()["invoices"]] == ["cancelled", "issued"]
    assert "Geeta" in chat.say("cancel_invoice", customer="Geeta")
    assert "can't find invoice 9" in chat.say("show_invoice", invoice_number="9")


def test_edit_or_send_without_invoices(chat: Chat) -> None:
    assert "don't have any invoices" in chat.say("edit_invoice", changes={"quantity": 5})
    assert "don't have any invoices" in chat.say("send_invoice")


def test_send_invoice_waits_for_yes_then_sends_a_signed_pdf_link(chat: Chat) -> None:
    chat.say("create_invoice", customer="Mahesh", items=[item("cement", 2, "bag", 350)])
    no_phone = chat.say("send_invoice", customer="Mahesh")
    assert "no WhatsApp number" in no_phone and chat.confirm is None
    question = chat.say(
        "send_invoice", "send it to Mahesh on 9876543210", customer="Mahesh", phone="+919876543210"
    )
    assert "YES" in question and "+919876543210" in question and chat.confirm is not None
    assert chat.sent() == []  # nothing goes to a third party before the owner's YES
    done = chat.yes()
    assert "Sent invoice" in done
    (msg,) = chat.sent()
    assert msg.peer == "+919876543210" and "₹700" in msg.body
    url = msg.media[0]["url"]
    assert url.startswith("https://munshi.example.com/invoices/")
    token = url.rsplit("/", 1)[1].removesuffix(".pdf")
    with chat.db.session() as s:
        inv = s.scalars(select(Invoice)).one()
        assert verify_invoice_token("test-secret", token) == (chat.business_id, inv.id)
        assert str(inv.status) == "sent"
    assert chat.data()["customers"][0]["phone"] == "+919876543210"


def test_payment_link_without_razorpay_says_how_to_connect(chat: Chat) -> None:
    chat.say("create_invoice", customer="Mahesh", items=[item("cement", 2, "bag", 350)])
    reply = chat.say("payment_link", customer="Mahesh")
    assert "Razorpay" in reply and "connect" in reply and chat.confirm is None


# ------------------------------------------------------------------ payments


def test_payment_reply_shows_where_the_money_went(chat: Chat) -> None:
    chat.say("create_invoice", customer="Rekha", items=[item("x", 1, None, 300)])
    chat.say("create_invoice", customer="Rekha", items=[item("x", 1, None, 500)])
    reply = chat.say(
        "record_payment", customer="Rekha", amount=Decimal(600), method="upi", method_detail="phonepe"
    )
    assert "₹600" in reply and "UPI · PhonePe" in reply
    assert "paid in full" in reply and "₹200 still due" in reply
    payments = chat.data()["payments"]
    assert payments[0]["method"] == "upi" and payments[0]["invoice"].endswith("/0001")


def test_payment_asks_amount_and_customer(chat: Chat) -> None:
    assert "How much" in chat.say("record_payment", customer="Tarun")
    assert chat.expecting == "amount"
    chat.say("answer", "1200", amount=Decimal(1200))
    assert chat.data()["payments"][0]["amount"] == 1200
    assert "Who paid ₹500" in chat.say("record_payment", amount=Decimal(500))
    chat.say("answer", "Tarun", customer="Tarun")
    assert [p["customer"] for p in chat.data()["payments"]] == ["Tarun", "Tarun"]


def test_unpaid_and_collections(chat: Chat) -> None:
    chat.say("create_invoice", customer="Rekha", items=[item("dal", 3, "kg", 110)])
    chat.say("create_invoice", customer="Nisha", items=[item("mattress", 2, None, 7500)])
    chat.say("record_payment", customer="Nisha", amount=Decimal(15000))
    pending = chat.say("unpaid_query")
    assert "Rekha" in pending and "₹330" in pending and "Nisha" not in pending
    assert "owes you nothing" in chat.say("unpaid_query", customer="Nisha")
    assert "₹330" in chat.say("unpaid_query", customer="Rekha")
    assert "₹15,000" in chat.say("collections_query", period="week")
    assert "₹15,330" in chat.say("sales_query", period="today")


def test_reminders_after_yes_skip_customers_without_phone(chat: Chat) -> None:
    chat.say("add_customer", customer="Rekha Nair", phone="+919900112233")
    chat.say("create_invoice", customer="Rekha Nair", items=[item("dal", 3, "kg", 110)])
    chat.say("create_invoice", customer="Nisha", items=[item("mattress", 1, None, 7500)])
    question = chat.say("remind", all_customers=True)
    assert "Rekha Nair: ₹330" in question and "Nisha" in question and "YES" in question
    assert chat.sent() == []
    done = chat.yes()
    assert "Rekha Nair" in done and "Nisha" in done
    (msg,) = chat.sent()
    assert msg.peer == "+919900112233" and "₹330" in msg.body and "reminder" in msg.body
    only_nisha = chat.say("remind", customer="Nisha")
    assert "can't remind Nisha" in only_nisha and chat.confirm is None


def test_nobody_to_remind(chat: Chat) -> None:
    assert "Nobody owes you" in chat.say("remind", all_customers=True)


# ------------------------------------------------------------------ stock, customers, profile, undo


def test_stock_replies(chat: Chat) -> None:
    assert "now 25 bags" in chat.say("stock_add", items=[item("cement", 25, "bag")])
    assert "Added 10 fans → now 10." in chat.say("stock_add", items=[item("fan", 10)])
    refused = chat.say("stock_add", items=[item("cement", 500, "g")])
    assert "counted in bags" in refused and "Nothing was saved" in refused
    assert chat.data()["products"][0]["stock"] == 25
    warn = chat.say("stock_remove", items=[item("cement", 30, "bag")])
    assert "⚠️" in warn and "-5 bags" in warn
    assert "set to 8" in chat.say("stock_set", product="geyser", quantity=Decimal(8))
    threshold = chat.say("set_threshold", product="cement", threshold=Decimal(5), unit="bag")
    assert "5 bags" in threshold and "already low" in threshold
    low = chat.say("low_stock_query")
    assert "cement" in low and "geyser" not in low
    assert "-5 bags" in chat.say("stock_query", product="cement")
    assert "don't have sand" in chat.say("stock_query", product="sand")


def test_customer_and_profile_replies(chat: Chat) -> None:
    assert "+919900112233" in chat.say("add_customer", customer="Rekha Nair", phone="+919900112233")
    assert "rekha@example.com" in chat.say("update_customer", customer="Rekha", email="rekha@example.com")
    bad = chat.say("set_profile", gstin="27AAPFU0939F1ZX")
    assert "should be V" in bad and "Nothing was saved" in bad
    good = chat.say("set_profile", gstin="27AAPFU0939F1ZV")
    assert "Maharashtra" in good
    assert chat.data()["gstin"] == "27AAPFU0939F1ZV"
    assert "Karnataka" in chat.say("set_customer_gst", customer="Kiran Traders", gstin="29AAGCB7383J1Z4")


def test_undo_says_what_it_undid(chat: Chat) -> None:
    assert "nothing to undo" in chat.say("undo")
    chat.say("create_invoice", customer="Mahesh", items=[item("cement", 2, "bag", 350)])
    chat.say("record_payment", customer="Mahesh", amount=Decimal(700))
    assert "Removed the payment of ₹700 from Mahesh" in chat.say("undo")
    assert "Removed invoice INV/" in chat.say("undo")
    data = chat.data()
    assert data["invoices"] == [] and data["payments"] == [] and data["customers"] == []
