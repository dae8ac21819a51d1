"""Stock wording (loss after "got", returns to a supplier, stock updates, "kam karo", "aaj … aaya") and
"send … an invoice for <items>" creating the invoice: owner sentences a probe found misread."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand import Context, understand


def _items(u):  # type: ignore[no-untyped-def]
    return [(i.product, i.quantity, i.unit) for i in u.items]


@pytest.mark.parametrize(
    ("text", "intent", "items"),
    [
        # goods lost after a verb of arrival: the stock goes down
        ("2 bags cement got damaged", "stock_remove", [("cement", Decimal(2), "bag")]),
        ("3 fans came broken", "stock_remove", [("fan", Decimal(3), None)]),
        ("4 boxes of biscuits got expired", "stock_remove", [("biscuit", Decimal(4), "box")]),
        ("1 bag cement got stolen", "stock_remove", [("cement", Decimal(1), "bag")]),
        # …and arrivals still add
        ("got 10 bags cement", "stock_add", [("cement", Decimal(10), "bag")]),
        ("received 10 bags cement", "stock_add", [("cement", Decimal(10), "bag")]),
        ("20 boxes of biscuits came today", "stock_add", [("biscuit", Decimal(20), "box")]),
        # sent back to whoever supplied them
        ("returned 5 bags cement to the supplier", "stock_remove", [("cement", Decimal(5), "bag")]),
        ("returned 3 fans to the company", "stock_remove", [("fan", Decimal(3), None)]),
        ("returned 2 boxes tiles to the dealer", "stock_remove", [("tile", Decimal(2), "box")]),
        # the count now
        ("stock update: 20 boxes of Parle G", "stock_set", [("parle g", Decimal(20), "box")]),
        ("stock update - sugar 25 kg", "stock_set", [("sugar", Decimal(25), "kg")]),
        ("opening stock cement 40 bags", "stock_set", [("cement", Decimal(40), "bag")]),
        ("closing stock: rice 80 kg", "stock_set", [("rice", Decimal(80), "kg")]),
        ("stock update: cement 40 bags, sugar 20 kg", "stock_set",
         [("cement", Decimal(40), "bag"), ("sugar", Decimal(20), "kg")]),
        # Hinglish: "kam karo" takes away; "aaj" (today) is no part of the product nor a money question
        ("cement 5 bags kam karo", "stock_remove", [("cement", Decimal(5), "bag")]),
        ("aaj 50 kg aloo aaya", "stock_add", [("aloo", Decimal(50), "kg")]),
        ("aaj 40 kg tamatar aaya", "stock_add", [("tamatar", Decimal(40), "kg")]),
    ],
)
def test_stock_wording(text: str, intent: str, items: list) -> None:  # type: ignore[type-arg]
    u = understand(text, Context())

    assert (u.intent, _items(u)) == (intent, items)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("aaj kitna aaya", "collections_query"),
        ("how much came in today", "collections_query"),
        ("cement 12 bags karo", "edit_invoice"),  # sets the line of the invoice just made
    ],
)
def test_neighbours_keep_their_meaning(text: str, intent: str) -> None:
    assert understand(text, Context()).intent == intent


@pytest.mark.parametrize(
    ("text", "customer", "items"),
    [
        ("Send an invoice to Priya Sharma for tailoring charges of 1500", "Priya Sharma",
         [("tailoring charge", Decimal(1), None, Decimal(1500))]),
        ("send Priya an invoice for 2 blouses at 400", "Priya", [("blouse", Decimal(2), None, Decimal(400))]),
        ("send a bill to Harsh Traders for 10 bags cement at 350", "Harsh Traders",
         [("cement", Decimal(10), "bag", Decimal(350))]),
        ("please share a bill for Anil for 3 kg dal at 110", "Anil", [("dal", Decimal(3), "kg", Decimal(110))]),
    ],
)
def test_send_an_invoice_for_items_creates_it(text: str, customer: str, items: list) -> None:  # type: ignore[type-arg]
    u = understand(text, Context())

    assert u.intent == "create_invoice" and u.customer == customer
    assert [(i.product, i.quantity, i.unit, i.unit_price) for i in u.items] == items


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("send the invoice to Mahesh", "Mahesh"),
        ("send invoice 3 to Mahesh", "Mahesh"),
        ("send Mahesh the invoice", "Mahesh"),
        ("please send the bill to Rekha on whatsapp", "Rekha"),
    ],
)
def test_sending_an_existing_invoice_still_sends(text: str, customer: str) -> None:
    u = understand(text, Context())

    assert (u.intent, u.customer) == ("send_invoice", customer)


@pytest.mark.parametrize(
    ("text", "customer", "amount"),
    [
        ("Lakshmi se 500 mil gaye", "Lakshmi", Decimal(500)),
        ("Anand se 3000 mil gaye GPay pe", "Anand", Decimal(3000)),
        ("Lakshmi de gayi 500 cash", "Lakshmi", Decimal(500)),
        ("Rekha de gaya 2000", "Rekha", Decimal(2000)),
    ],
)
def test_hinglish_payments(text: str, customer: str, amount: Decimal) -> None:
    u = understand(text, Context())

    assert (u.intent, u.customer, u.amount) == ("record_payment", customer, amount)


@pytest.mark.parametrize("text", ["kis kis ka paisa baaki hai?", "kaun kaun baaki hai", "who owes me?"])
def test_whose_dues_is_no_customer(text: str) -> None:
    u = understand(text, Context())

    assert (u.intent, u.customer) == ("unpaid_query", None)


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("remove the sand", {"remove_items": ["sand"]}),
        ("delete sand line", {"remove_items": ["sand"]}),
        ("sand hata do", {"remove_items": ["sand"]}),
        ("remove sand from the bill", {"remove_items": ["sand"]}),
        ("add 18% GST", {"gst_rate": Decimal(18)}),
        ("add gst 18%", {"gst_rate": Decimal(18)}),
        ("add 18% gst to it", {"gst_rate": Decimal(18)}),
        ("18% gst laga do", {"gst_rate": Decimal(18)}),
        ("gst 12% lagao", {"gst_rate": Decimal(12)}),
        ("galat hai, 4 bags karo", {"quantity": Decimal(4), "unit": "bag"}),
        ("galat hai 12 bags", {"quantity": Decimal(12), "unit": "bag"}),
    ],
)
def test_changes_to_the_invoice_just_made(text: str, changes: dict) -> None:  # type: ignore[type-arg]
    u = understand(text, Context())

    assert (u.intent, u.changes) == ("edit_invoice", changes)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("remove customer Mahesh", "unknown"),  # no line of a bill (and no way to delete customers by chat)
        ("delete the flow", "delete_flow"),
        ("remove 2 bags cement", "stock_remove"),
        ("cement GST 18%", "set_product_tax"),
        ("bill Mahesh 2 fans at 1800 with 18% gst", "create_invoice"),
    ],
)
def test_what_is_no_invoice_edit(text: str, intent: str) -> None:
    assert understand(text, Context()).intent == intent


@pytest.mark.parametrize(
    ("text", "customer", "items"),
    [
        ("Salim ke naam bill 2 packet chai patti 150 each", "Salim",
         [("chai patti", Decimal(2), "packet", Decimal(150))]),
        ("Salim ke naam pe bill 3 kg dal at 110", "Salim", [("dal", Decimal(3), "kg", Decimal(110))]),
        ("Ek invoice banao Salim ke naam, 2 packet chai patti 150 wala", "Salim",
         [("chai patti", Decimal(2), "packet", Decimal(150))]),
        ("ek bill banao Mahesh 5 bags cement 345", "Mahesh", [("cement", Decimal(5), "bag", Decimal(345))]),
        ("Rohit ka invoice bana do: 6 bottles of phenyl at 90", "Rohit",
         [("phenyl", Decimal(6), "bottle", Decimal(90))]),
    ],
)
def test_hinglish_bills_name_their_customer(text: str, customer: str, items: list) -> None:  # type: ignore[type-arg]
    u = understand(text, Context())

    assert (u.intent, u.customer) == ("create_invoice", customer)
    assert [(i.product, i.quantity, i.unit, i.unit_price) for i in u.items] == items


@pytest.mark.parametrize(
    ("text", "intent", "customer", "amount"),
    [
        ("rcvd 2k frm Lakshmi", "record_payment", "Lakshmi", Decimal(2000)),
        ("got 500 frm Rekha", "record_payment", "Rekha", Decimal(500)),
        ("what all can you help me with?", "help", None, None),
        ("kya kya kar sakte ho?", "help", None, None),
        ("aap kya kya kar sakte ho", "help", None, None),
    ],
)
def test_shorthand_and_help_wording(text: str, intent: str, customer: str | None, amount: Decimal | None) -> None:
    u = understand(text, Context())

    assert (u.intent, u.customer, u.amount) == (intent, customer, amount)
