"""Whole conversations through the real pipeline (`bot.console.Console`): words in, records and replies out.

Each case is what an owner types, turn by turn, and what must then be true of
the business's data (`storage.export`, the console contract's shape) and of
the replies. The ``d-*`` cases are the public dev set's invoice, payment,
stock and customer cases; the rest say the same things in other words, the
way owners write (abbreviations, Hinglish, numbers in words, Indian amounts),
plus the conversations around them: questions and answers, corrections,
confirmations, reminders and undo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Config
from bot.console import Console
from bot.runtime import set_runtime
from storage.export import export_all

pytestmark = pytest.mark.integration

OWNER = "+919800000001"


# ------------------------------------------------------------------ checking (the eval's rules)


def _norm(s: object) -> str:
    s = re.sub(r"[^a-z0-9@.+ ]+", " ", str(s or "").lower())
    return re.sub(r"\s+", " ", s).strip()


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _name_ok(actual: object, expected: object) -> bool:
    alts = expected if isinstance(expected, list) else [expected]
    key = " ".join(_singular(w) for w in _norm(actual).split())
    return any(key == " ".join(_singular(w) for w in _norm(a).split()) for a in alts)


def _num_ok(actual: object, expected: object) -> bool:
    try:
        return abs(float(actual) - float(expected)) <= 0.011  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _reply_norm(s: str) -> str:
    return re.sub(r"(?<=\d)\.00\b", "", re.sub(r"(?<=\d),(?=\d)", "", s)).lower()


def _item_ok(a: dict, e: dict) -> bool:
    return ("product" not in e or _name_ok(a.get("product"), e["product"])) and all(
        _num_ok(a.get(k), e[k]) for k in ("quantity", "unit_price", "amount") if k in e
    )


def _invoice_ok(a: dict, e: dict) -> bool:
    if "customer" in e and not _name_ok(a.get("customer"), e["customer"]):
        return False
    if "items" in e:
        left = list(a.get("items") or [])
        if len(left) != len(e["items"]):
            return False
        for exp in e["items"]:
            hit = next((x for x in left if _item_ok(x, exp)), None)
            if hit is None:
                return False
            left.remove(hit)
    if "total" in e and not _num_ok(a.get("total"), e["total"]):
        return False
    if "tax" in e and not _num_ok(a.get("tax"), e["tax"]):
        return False
    alts = e.get("status")
    return alts is None or a.get("status") in (alts if isinstance(alts, list) else [alts])


def _payment_ok(a: dict, e: dict, biz: dict) -> bool:
    if "amount" in e and not _num_ok(a.get("amount"), e["amount"]):
        return False
    if "customer" in e and not _name_ok(a.get("customer"), e["customer"]):
        return False
    if "method" in e and not _name_ok(a.get("method"), e["method"]):
        return False
    if e.get("linked"):
        return bool(a.get("invoice")) and a["invoice"] in {i["number"] for i in biz["invoices"]}
    if e.get("linked") is False:
        return a.get("invoice") is None
    return True


def _product_ok(a: dict, e: dict) -> bool:
    return (
        _name_ok(a.get("name"), e["name"])
        and all(_num_ok(a.get(k), e[k]) for k in ("stock", "price", "low_stock_threshold") if k in e)
        and ("unit" not in e or a.get("unit") == e["unit"])
        and ("hsn" not in e or a.get("hsn") == e["hsn"])
    )


def _customer_ok(a: dict, e: dict) -> bool:
    if not _name_ok(a.get("name"), e["name"]):
        return False
    for key in ("phone", "email", "gstin", "state"):
        if key in e and a.get(key) != e[key]:
            return False
    return True


def check(exp: dict, biz: dict, replies: list[list[str]], outbox: list[dict]) -> list[str]:
    """The expectations of one case that do not hold (empty: it passed)."""
    fails = []
    for e in exp.get("invoices", []):
        if not any(_invoice_ok(a, e) for a in biz["invoices"]):
            fails.append(f"no invoice like {e}: {biz['invoices']}")
    for e in exp.get("payments", []):
        if not any(_payment_ok(a, e, biz) for a in biz["payments"]):
            fails.append(f"no payment like {e}: {biz['payments']}")
    for e in exp.get("products", []):
        if not any(_product_ok(a, e) for a in biz["products"]):
            fails.append(f"no product like {e}: {biz['products']}")
    for e in exp.get("customers", []):
        if not any(_customer_ok(a, e) for a in biz["customers"]):
            fails.append(f"no customer like {e}: {biz['customers']}")
    for key, n in (exp.get("counts") or {}).items():
        if len(biz[key]) != n:
            fails.append(f"{key}: {len(biz[key])} != {n}")
    for key, value in (exp.get("business") or {}).items():
        if biz.get(key) != value:
            fails.append(f"business {key}: {biz.get(key)!r} != {value!r}")
    for rule in exp.get("replies", []):
        body = _reply_norm(" ".join(replies[rule.get("turn", -1)]))
        fails += [
            f"reply {rule.get('turn', -1)} lacks {s!r}: {body!r}"
            for s in rule.get("contains_all", [])
            if _reply_norm(s) not in body
        ]
        if rule.get("contains_any") and not any(_reply_norm(s) in body for s in rule["contains_any"]):
            fails.append(f"reply {rule.get('turn', -1)} has none of {rule['contains_any']}: {body!r}")
        fails += [
            f"reply {rule.get('turn', -1)} has {s!r}: {body!r}"
            for s in rule.get("not_contains", [])
            if _reply_norm(s) in body
        ]
    for rule in exp.get("outbox", []):
        sent = [m for m in outbox if m["to"] == rule["to"]]
        body = _reply_norm(" ".join(m["body"] for m in sent))
        if not sent:
            fails.append(f"nothing sent to {rule['to']}")
        elif any(_reply_norm(s) not in body for s in rule.get("contains_all", [])):
            fails.append(f"message to {rule['to']} lacks one of {rule['contains_all']}: {body!r}")
    if "outbox_count" in exp and len(outbox) != exp["outbox_count"]:
        fails.append(f"{len(outbox)} messages to others, not {exp['outbox_count']}: {outbox}")
    return fails


# ------------------------------------------------------------------ the cases


@dataclass
class Case:
    id: str
    turns: list[str]
    expect: dict[str, Any]


def C(id: str, turns: list[str] | str, **expect: Any) -> Any:
    case = Case(id, [turns] if isinstance(turns, str) else turns, expect)
    return pytest.param(case, id=id)


def inv(customer: str, total: float | None = None, *items: tuple, **kw: Any) -> dict[str, Any]:
    """An expected invoice; items are ``(product, quantity, unit_price)``."""
    out: dict[str, Any] = {"customer": customer, **kw}
    if total is not None:
        out["total"] = total
    if items:
        out["items"] = [{"product": p, "quantity": q, "unit_price": u} for p, q, u in items]
    return out


DEV_CASES = [
    C(
        "d-inv-01",
        "Create an invoice for Mahesh for 8 bags of cement at 345 each",
        invoices=[inv("Mahesh", 2760, ("cement", 8, 345))],
        counts={"invoices": 1},
    ),
    C("d-inv-02", "invoice Rekha 3 kg dal @ 110", invoices=[inv("Rekha", 330, ("dal", 3, 110))]),
    C(
        "d-inv-03",
        "Bill Sanjay Patel for 2 fans at Rs 1,800 each and 4 tube lights at Rs 250 each",
        invoices=[inv("Sanjay Patel", 4600, ("fan", 2, 1800), ("tube light", 4, 250))],
    ),
    C(
        "d-inv-04",
        "make an invoice for Green Leaf Cafe: 30 kg potatoes at ₹22 per kg",
        invoices=[inv("Green Leaf Cafe", 660, ("potato", 30, 22))],
    ),
    C(
        "d-inv-05",
        "Invoice Geeta for seven blouses at four hundred rupees",
        invoices=[inv("Geeta", 2800, ("blouse", 7, 400))],
    ),
    C(
        "d-inv-06",
        "new bill for Tarun, 1 AC service 1200",
        invoices=[inv("Tarun", 1200, ("ac service", 1, 1200))],
    ),
    C(
        "d-inv-07",
        "Rohit ka invoice bana do: 6 bottles of phenyl 90 each",
        invoices=[inv("Rohit", 540, ("phenyl", 6, 90))],
    ),
    C(
        "d-inv-08",
        "invoice Nisha 2 mattresses at 7.5k",
        invoices=[inv("Nisha", 15000, ("mattress", 2, 7500))],
    ),
    C("d-inv-09", "invoice Bala 10 packets biscuits 20 each with 5% GST", invoices=[inv("Bala", 210)]),
    C(
        "d-inv-10",
        ["invoice Mahesh", "3 bags cement at 340"],
        invoices=[inv("Mahesh", 1020, ("cement", 3, 340))],
        counts={"invoices": 1},
    ),
    C(
        "d-inv-11",
        ["Price of paint is 650 per bucket", "invoice Farida 2 buckets of paint"],
        invoices=[inv("Farida", 1300, ("paint", 2, 650))],
    ),
    C(
        "d-inv-12",
        ["Invoice Mahesh 4 bags cement at 345", "change it to 5 bags"],
        invoices=[inv("Mahesh", 1725, ("cement", 5, 345))],
        counts={"invoices": 1},
    ),
    C(
        "d-inv-13",
        ["Invoice Mahesh 4 bags cement at 345", "cancel that"],
        invoices=[inv("Mahesh", status="cancelled")],
        counts={"invoices": 1},
    ),
    C(
        "d-pay-01",
        ["Create an invoice for Mahesh for 2 bags of cement at 350", "Mahesh paid 700"],
        payments=[{"amount": 700, "customer": "Mahesh", "linked": True}],
        invoices=[inv("Mahesh", status="paid")],
    ),
    C(
        "d-pay-02",
        "got 3000 from Rekha on PhonePe",
        payments=[{"amount": 3000, "customer": "Rekha", "method": "upi"}],
    ),
    C(
        "d-pay-03",
        "Sanjay Patel paid ₹4,600 in cash",
        payments=[{"amount": 4600, "customer": "Sanjay Patel", "method": "cash"}],
    ),
    C("d-pay-04", "Tarun ne 1200 bhej diye", payments=[{"amount": 1200, "customer": "Tarun"}]),
    C(
        "d-pay-05",
        ["invoice Geeta 7 blouses at 400", "Geeta paid 1000"],
        payments=[{"amount": 1000, "customer": "Geeta", "linked": True}],
        invoices=[inv("Geeta", status="partially_paid")],
    ),
    C(
        "d-pay-06",
        [
            "invoice Rekha 3 kg dal at 110",
            "invoice Nisha 2 mattresses at 7500",
            "Nisha paid 15000",
            "pending payments?",
        ],
        replies=[{"contains_all": ["rekha", "330"], "not_contains": ["nisha"]}],
    ),
    C("d-pay-07", ["got 3000 from Rekha", "undo that"], counts={"payments": 0}),
    C("d-stk-01", "add 25 bags of cement to inventory", products=[{"name": "cement", "stock": 25}]),
    C(
        "d-stk-02",
        ["add 60 kg rice", "invoice Rekha 10 kg rice at 55", "rice stock?"],
        products=[{"name": "rice", "stock": 50}],
        replies=[{"contains_any": ["50"]}],
    ),
    C(
        "d-stk-03",
        "new stock: 40 kg wheat, 15 litres ghee",
        products=[{"name": "wheat", "stock": 40}, {"name": "ghee", "stock": 15}],
    ),
    C("d-stk-04", ["add 30 tiles", "3 tiles broke, remove them"], products=[{"name": "tile", "stock": 27}]),
    C(
        "d-stk-05",
        ["add 12 bags cement", "notify me when cement drops under 5 bags"],
        products=[{"name": "cement", "low_stock_threshold": 5}],
    ),
    C(
        "d-stk-06",
        ["add 2 bags cement", "warn me when cement is below 5", "add 50 bricks", "anything low on stock?"],
        replies=[{"contains_all": ["cement"], "not_contains": ["brick"]}],
    ),
    C("d-stk-07", "cement price 355", products=[{"name": "cement", "price": 355}]),
    C(
        "d-stk-08",
        ["add 10 bags cement", "add 5 more bags of cement"],
        products=[{"name": "cement", "stock": 15}],
        counts={"products": 1},
    ),
    C(
        "d-cus-01",
        "New customer: Rekha Nair, 9900112233",
        customers=[{"name": "Rekha Nair", "phone": "+919900112233"}],
    ),
]

INVOICE_CASES = [
    C("inv-abbrev", "bill meena 6 registers 55 rs each", invoices=[inv("Meena", 330, ("register", 6, 55))]),
    C(
        "inv-raise-dozen",
        "Raise an invoice to Priya Sharma: 2 dozen eggs @ 72 per dozen",
        invoices=[inv("Priya Sharma", 144, ("egg", 2, 72))],
    ),
    C(
        "inv-rs-slash",
        "invoice to Kumar Stores for 12 boxes of tiles at Rs. 450/- per box",
        invoices=[inv("Kumar Stores", 5400, ("tile", 12, 450))],
    ),
    C(
        "inv-grams-per-kg",
        "Bill Anil 500 g cashew at 900 per kg",
        invoices=[inv("Anil", 450, ("cashew", 0.5, 900))],
    ),
    C("inv-gm-slash-kg", "bill Manoj for 250 gm elaichi at 2400/kg", invoices=[inv("Manoj", 600)]),
    C(
        "inv-decimal-kg",
        "Bill Hari 1.5 kg paneer at 380 per kg",
        invoices=[inv("Hari", 570, ("paneer", 1.5, 380))],
    ),
    C(
        "inv-words",
        "Make a bill for Joseph, fifteen notebooks at forty each",
        invoices=[inv("Joseph", 600, ("notebook", 15, 40))],
    ),
    C(
        "inv-words-packets",
        "invoice Salim twelve packets of biscuits at ten rupees",
        invoices=[inv("Salim", 120, ("biscuit", 12, 10))],
    ),
    C(
        "inv-two-lines-per-kg",
        "bill to Pooja: 2 kg onions @ 40/kg, 1 kg tomatoes @ 60/kg",
        invoices=[inv("Pooja", 140, ("onion", 2, 40), ("tomato", 1, 60))],
    ),
    C(
        "inv-gst-18",
        "invoice Farhan 1 ac installation 2500 with 18% gst",
        invoices=[inv("Farhan", 2950, tax=450)],
    ),
    C(
        "inv-plus-gst",
        "invoice Gupta Traders for 100 bricks at 8 each plus 12% GST",
        invoices=[inv("Gupta Traders", 896, ("brick", 100, 8))],
    ),
    C(
        "inv-hours",
        "Invoice Rita for 2 hours of plumbing work at 300 per hour",
        invoices=[inv("Rita", 600, ("plumbing work", 2, 300))],
    ),
    C(
        "inv-bottles",
        "Create invoice for Neha, 4 bottles of oil at Rs 180",
        invoices=[inv("Neha", 720, ("oil", 4, 180))],
    ),
    C(
        "inv-comma-each",
        "bill Dinesh 2 tyres at 3,500 each",
        invoices=[inv("Dinesh", 7000, ("tyre", 2, 3500))],
    ),
    C("inv-lakh", "bill Anand 1 sofa 1.2 lakh", invoices=[inv("Anand", 120000)]),
    C("inv-honorific", "pls make invoice for sharma ji 10 bag cement 360", invoices=[inv("Sharma", 3600)]),
    C(
        "inv-hinglish-wala",
        "Rohit ko 3 bottle phenyl 90 wala bill bana do",
        invoices=[inv("Rohit", 270, ("phenyl", 3, 90))],
    ),
    C(
        "inv-hinglish-kilo",
        "Sunil ka bill bana do 4 kg sugar 45 rupees kilo",
        invoices=[inv("Sunil", 180, ("sugar", 4, 45))],
    ),
    C(
        "inv-loaves",
        "invoice Lakshmi 3 packets of milk at 28 and 2 loaves of bread at 45",
        invoices=[inv("Lakshmi", 174, ("milk", 3, 28), ("bread", 2, 45))],
    ),
    C(
        "inv-name-after-items",
        "Vikram - 3 pcs switch board 250 each, bill bana do",
        invoices=[inv("Vikram", 750)],
    ),
    C(
        "inv-asks-price-no-unit",
        ["bill Ravi 2 fans", "1800"],
        invoices=[inv("Ravi", 3600, ("fan", 2, 1800))],
        replies=[{"turn": 0, "contains_all": ["price"]}],
    ),
    C("inv-asks-price-box", ["invoice Kiran 5 boxes", "300"], invoices=[inv("Kiran", 1500)]),
    C(
        "inv-asks-customer-then-items",
        ["create an invoice", "Deepak", "5 bags cement at 350"],
        invoices=[inv("Deepak", 1750, ("cement", 5, 350))],
        counts={"invoices": 1, "customers": 1},
        replies=[{"turn": 0, "contains_any": ["who"]}, {"turn": 1, "contains_any": ["bill for deepak"]}],
    ),
    C(
        "inv-catalogue-price",
        ["rice price 60 per kg", "bill Kavita 5 kg rice"],
        invoices=[inv("Kavita", 300)],
    ),
    C(
        "inv-catalogue-price-grams",
        ["set sugar price to 45 per kg", "bill Meena 500 g sugar"],
        invoices=[inv("Meena", 22.5, ("sugar", 0.5, 45))],
    ),
    C(
        "inv-which-customer",
        ["Add customer Ramesh Kumar", "add customer Ramesh Singh", "bill Ramesh 2 bags cement at 340", "2"],
        invoices=[inv("Ramesh Singh", 680)],
        counts={"customers": 2, "invoices": 1},
        replies=[{"turn": 2, "contains_all": ["which", "ramesh kumar", "ramesh singh"]}],
    ),
    C(
        "inv-only-match",
        ["Add customer Mahesh Gupta 9876543210", "bill Mahesh 3 bags cement at 350"],
        invoices=[inv("Mahesh Gupta", 1050)],
        counts={"customers": 1},
    ),
    C(
        "inv-make-it",
        ["bill Mahesh 4 bags cement at 345", "make it 7 bags"],
        invoices=[inv("Mahesh", 2415, ("cement", 7, 345))],
        counts={"invoices": 1},
    ),
    C(
        "inv-make-that",
        ["invoice Ajay 5 bags cement at 350", "make that 6 bags"],
        invoices=[inv("Ajay", 2100)],
        counts={"invoices": 1},
    ),
    C(
        "inv-change-rate",
        ["invoice Ajay 5 bags cement at 350", "change the rate to 340"],
        invoices=[inv("Ajay", 1700, ("cement", 5, 340))],
    ),
    C(
        "inv-price-should-be",
        ["Invoice Mahesh 4 bags cement at 345", "price should be 360"],
        invoices=[inv("Mahesh", 1440, ("cement", 4, 360))],
    ),
    C(
        "inv-actually-rate",
        ["bill Mahesh 4 bags cement at 345", "actually the rate is 350"],
        invoices=[inv("Mahesh", 1400)],
        counts={"products": 0},
    ),
    C(
        "inv-wrong-customer",
        ["invoice Ajay 5 bags cement at 350", "no wait, it was for Vijay"],
        invoices=[inv("Vijay", 1750)],
        counts={"invoices": 1},
    ),
    C(
        "inv-cancel-last-bill",
        ["invoice Tarun 1 fan at 1800", "cancel the last bill"],
        invoices=[inv("Tarun", status="cancelled")],
    ),
    C(
        "inv-delete-that",
        ["invoice Ajay 5 bags cement at 350", "delete that invoice"],
        invoices=[inv("Ajay", status="cancelled")],
        counts={"invoices": 1},
    ),
    C(
        "inv-undo",
        ["invoice Ajay 5 bags cement at 350", "undo"],
        counts={"invoices": 0, "customers": 0},
        replies=[{"contains_all": ["removed", "invoice"]}],
    ),
    C(
        "inv-list",
        ["invoice Tarun 1 fan at 1800", "invoice Geeta 2 blouses at 400", "list my invoices"],
        replies=[{"contains_all": ["tarun", "geeta", "1800", "800"]}],
    ),
    C(
        "inv-customer-list",
        ["invoice Tarun 1 fan at 1800", "invoice Geeta 2 blouses at 400", "show Geeta's invoices"],
        replies=[{"contains_all": ["geeta"], "not_contains": ["tarun"]}],
    ),
    C(
        "inv-show-number",
        ["invoice Tarun 1 fan at 1800", "invoice Geeta 2 blouses at 400", "show invoice 1"],
        replies=[{"contains_all": ["tarun", "1800"]}],
    ),
    C(
        "inv-make-line",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "make dal 4 kg"],
        invoices=[inv("Rekha", 530, ("dal", 4, 110), ("sugar", 2, 45))],
    ),
    C(
        "inv-remove-line",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "remove sugar from the bill"],
        invoices=[inv("Rekha", 330, ("dal", 3, 110))],
    ),
    C(
        "inv-add-line",
        ["invoice Rekha 3 kg dal at 110", "add 2 kg sugar at 45 to it"],
        invoices=[inv("Rekha", 420, ("dal", 3, 110), ("sugar", 2, 45))],
        counts={"products": 0},
    ),
    C(
        "inv-make-lines",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "make dal 4 kg and sugar 1 kg"],
        invoices=[inv("Rekha", 485, ("dal", 4, 110), ("sugar", 1, 45))],
        counts={"invoices": 1},
    ),
    C(
        "inv-make-line-hinglish",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "dal ko 4 kg kar do"],
        invoices=[inv("Rekha", 530, ("dal", 4, 110), ("sugar", 2, 45))],
    ),
    C(
        "inv-make-line-not-on-bill",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "make rice 4 kg"],
        invoices=[inv("Rekha", 420)],
        replies=[{"contains_all": ["rice isn't on", "dal", "sugar"]}],
    ),
    C(
        "inv-add-line-hinglish",
        ["invoice Rekha 3 kg dal at 110", "isme 2 kg sugar 45 wala bhi add karo"],
        invoices=[inv("Rekha", 420, ("dal", 3, 110), ("sugar", 2, 45))],
        counts={"products": 0, "invoices": 1},
    ),
    C(
        "inv-remove-line-hinglish",
        ["invoice Rekha 3 kg dal at 110 and 2 kg sugar at 45", "isme se sugar hata do"],
        invoices=[inv("Rekha", 330, ("dal", 3, 110))],
    ),
    C(
        "inv-cancel-number",
        ["invoice Tarun 1 fan at 1800", "invoice Geeta 2 blouses at 400", "cancel invoice 1"],
        invoices=[inv("Tarun", status="cancelled"), inv("Geeta", status="issued")],
    ),
    C(
        "inv-name-colon-hinglish",
        "Suresh: 2 bags cement 350, bill banao",
        invoices=[inv("Suresh", 700, ("cement", 2, 350))],
    ),
    C(
        "inv-rolls-of",
        "bill Ravi 4 rolls of wire at 300 and 2 reams of paper at 250",
        invoices=[inv("Ravi", 1700, ("wire", 4, 300), ("paper", 2, 250))],
    ),
    C(
        "inv-send-hinglish",
        ["invoice Priya 1 saree 2500", "Priya ka number 9988776655", "bill bhej do", "haan"],
        outbox=[{"to": "+919988776655", "contains_all": ["2500"]}],
    ),
    C(
        "inv-send-confirmed",
        [
            "Add customer Rekha with phone 9900112233",
            "invoice Rekha 3 kg dal at 110",
            "send it to Rekha",
            "yes",
        ],
        outbox=[{"to": "+919900112233", "contains_all": ["330", "invoice"]}],
        outbox_count=1,
        invoices=[inv("Rekha", status="sent")],
        replies=[{"turn": 2, "contains_all": ["yes"]}],
    ),
    C(
        "inv-send-declined",
        [
            "invoice Mahesh 2 bags cement at 350",
            "Mahesh's number is 9876543210",
            "send the bill to Mahesh",
            "no",
        ],
        outbox_count=0,
        invoices=[inv("Mahesh", status="issued")],
    ),
    C(
        "inv-send-no-phone",
        ["invoice Mahesh 2 bags cement at 350", "send it to Mahesh"],
        outbox_count=0,
        replies=[{"contains_all": ["number"]}],
    ),
    C(
        "inv-stock-taken",
        ["add 20 bags cement", "invoice Mahesh 8 bags cement at 345"],
        products=[{"name": "cement", "stock": 12}],
    ),
    C(
        "inv-stock-warns",
        ["add 2 bags cement", "invoice Mahesh 5 bags cement at 345"],
        products=[{"name": "cement", "stock": -3}],
        replies=[{"contains_all": ["⚠️", "-3 bags"]}],
    ),
    C(
        "inv-cancel-returns-stock",
        ["add 20 bags cement", "invoice Mahesh 8 bags cement at 345", "cancel that"],
        products=[{"name": "cement", "stock": 20}],
        invoices=[inv("Mahesh", status="cancelled")],
    ),
]

PAYMENT_CASES = [
    C(
        "pay-hinglish-diye",
        ["invoice Meena 6 registers at 55", "Meena ne 200 diye"],
        payments=[{"amount": 200, "customer": "Meena", "linked": True}],
        invoices=[inv("Meena", status="partially_paid")],
    ),
    C(
        "pay-gpay",
        "received 1,500 from Joseph via GPay",
        payments=[{"amount": 1500, "customer": "Joseph", "method": "upi", "linked": False}],
    ),
    C(
        "pay-cheque",
        "Anil paid Rs 450 by cheque",
        payments=[{"amount": 450, "customer": "Anil", "method": "cheque"}],
    ),
    C(
        "pay-neft",
        [
            "invoice to Kumar Stores for 12 boxes of tiles at 450 per box",
            "Kumar Stores transferred 5400 through NEFT",
        ],
        payments=[{"amount": 5400, "method": "bank_transfer", "linked": True}],
        invoices=[inv("Kumar Stores", status="paid")],
    ),
    C(
        "pay-k-cash",
        "got ₹2.5k cash from Lakshmi",
        payments=[{"amount": 2500, "customer": "Lakshmi", "method": "cash"}],
    ),
    C(
        "pay-bank-transfer",
        "Mohan has paid ₹12,500 via bank transfer",
        payments=[{"amount": 12500, "method": "bank_transfer"}],
    ),
    C("pay-rs-slash-upi", "received Rs. 800/- from Sita by UPI", payments=[{"amount": 800, "method": "upi"}]),
    C("pay-amount-first", "5000 from Babu by NEFT", payments=[{"amount": 5000, "customer": "Babu"}]),
    C("pay-gave", "Ramu gave 300 cash", payments=[{"amount": 300, "customer": "Ramu", "method": "cash"}]),
    C(
        "pay-full",
        ["invoice Ramu 2 bags cement at 350", "Ramu paid full"],
        payments=[{"amount": 700, "linked": True}],
        invoices=[inv("Ramu", status="paid")],
    ),
    C(
        "pay-against-number",
        [
            "invoice Arjun 2 chairs 1500",
            "invoice Arjun 1 table 2000",
            "Arjun paid 2000 against INV/26-27/0002",
        ],
        invoices=[inv("Arjun", 2000, status="paid"), inv("Arjun", 3000, status="issued")],
    ),
    C(
        "pay-for-invoice-n",
        [
            "invoice Mahesh 2 bags cement at 350",
            "invoice Mahesh 1 bag sand at 400",
            "Mahesh paid 400 for invoice 2",
        ],
        invoices=[inv("Mahesh", 700, status="issued"), inv("Mahesh", 400, status="paid")],
    ),
    C(
        "pay-oldest-first",
        ["invoice Rekha 1 bag cement at 300", "invoice Rekha 1 bag sand at 500", "Rekha paid 600"],
        invoices=[inv("Rekha", 300, status="paid"), inv("Rekha", 500, status="partially_paid")],
        replies=[{"contains_all": ["200 still due"]}],
    ),
    C("pay-asks-who", ["paid 500", "Sunil"], payments=[{"amount": 500, "customer": "Sunil"}]),
    C(
        "pay-hinglish-paytm",
        "Arjun ne 3000 paytm kiye",
        payments=[{"amount": 3000, "customer": "Arjun", "method": "upi"}],
    ),
    C(
        "pay-hinglish-gpay-kiya",
        ["invoice Suresh 1 fan at 1500", "Suresh ne 1500 gpay kiya"],
        payments=[{"amount": 1500, "customer": "Suresh", "method": "upi", "linked": True}],
        invoices=[inv("Suresh", status="paid")],
    ),
    C(
        "pay-for-bill-n-hinglish",
        ["invoice Arjun 2 chairs 1500", "invoice Arjun 1 table 2000", "Arjun ne bill 2 ke 2000 paytm kiye"],
        invoices=[inv("Arjun", 2000, status="paid"), inv("Arjun", 3000, status="issued")],
    ),
    C(
        "pay-advance-then-bill",
        ["Ajay paid 1750 cash", "invoice Ajay 5 bags cement at 350"],
        invoices=[inv("Ajay", 1750, status="paid")],
        payments=[{"amount": 1750, "linked": True}],
    ),
    C(
        "pay-undo",
        ["invoice Sunil 1 fan at 500", "Sunil paid 500", "undo"],
        counts={"payments": 0},
        invoices=[inv("Sunil", status="issued")],
    ),
    C(
        "pay-who-owes",
        [
            "invoice Rekha 1 bag cement at 300",
            "invoice Tarun 2 fans at 1800",
            "Tarun paid 3600",
            "who owes me money?",
        ],
        replies=[{"contains_all": ["rekha", "300"], "not_contains": ["tarun"]}],
    ),
    C(
        "pay-collected-today",
        ["Rekha paid 600", "Tarun paid 1,200 by UPI", "what did I collect today?"],
        replies=[{"contains_all": ["1800"]}],
    ),
    C(
        "pay-collected-week",
        ["got 3000 from Rekha on PhonePe", "collection this week?"],
        replies=[{"contains_all": ["3000", "week"]}],
    ),
    C(
        "pay-sales-today",
        ["invoice Rekha 1 bag cement at 300", "invoice Tarun 2 fans at 1800", "today's sales?"],
        replies=[{"contains_all": ["3900"]}],
    ),
    C(
        "pay-remind-one",
        ["Add customer Rekha with phone 9900112233", "invoice Rekha 3 kg dal at 110", "remind Rekha", "yes"],
        outbox=[{"to": "+919900112233", "contains_all": ["330"]}],
        outbox_count=1,
    ),
    C(
        "pay-remind-everyone",
        [
            "Add customer Rekha with phone 9900112233",
            "invoice Rekha 3 kg dal at 110",
            "invoice Nisha 2 mattresses at 7500",
            "remind everyone who owes me",
            "yes",
        ],
        outbox=[{"to": "+919900112233", "contains_all": ["330"]}],
        outbox_count=1,
        replies=[{"turn": 3, "contains_all": ["rekha", "nisha"]}, {"contains_all": ["rekha", "nisha"]}],
    ),
    C(
        "pay-remind-declined",
        ["Add customer Rekha with phone 9900112233", "invoice Rekha 3 kg dal at 110", "remind Rekha", "no"],
        outbox_count=0,
    ),
]

STOCK_CASES = [
    C(
        "stk-received",
        ["received 50 bags cement", "cement stock?"],
        products=[{"name": "cement", "stock": 50}],
        replies=[{"contains_all": ["50"]}],
    ),
    C(
        "stk-have-set",
        ["I have 8 geysers in stock", "how many geysers are left?"],
        products=[{"name": "geyser", "stock": 8}],
        replies=[{"contains_all": ["8"]}],
    ),
    C("stk-hinglish-set", "sugar ka stock 40 kar do", products=[{"name": "sugar", "stock": 40}]),
    C(
        "stk-damaged",
        ["add 10 fans", "2 fans damaged, remove from stock", "how many fans are left?"],
        products=[{"name": "fan", "stock": 8}],
        replies=[{"contains_all": ["8"]}],
    ),
    C(
        "stk-low-after-bill",
        [
            "add 60 kg rice",
            "tell me when rice drops below 20 kg",
            "invoice Rekha 45 kg rice at 55",
            "anything running out?",
        ],
        products=[{"name": "rice", "stock": 15, "low_stock_threshold": 20}],
        replies=[{"contains_all": ["rice", "15"]}],
    ),
    C(
        "stk-dozen",
        ["add 5 dozen eggs", "list my stock"],
        products=[{"name": "egg", "stock": 5, "unit": "dozen"}],
    ),
    C("stk-set-words", "stock of cement is 30 bags", products=[{"name": "cement", "stock": 30}]),
    C(
        "stk-incompatible-unit",
        ["stock of cement is 30 bags", "add 500 g of cement"],
        products=[{"name": "cement", "stock": 30}],
    ),
    C("stk-undo", ["add 20 tiles", "undo"], counts={"products": 0}),
    C("stk-undo-second", ["add 20 tiles", "add 5 tiles", "undo"], products=[{"name": "tile", "stock": 20}]),
    C(
        "stk-price-bucket",
        "Price of paint is 650 per bucket",
        products=[{"name": "paint", "price": 650, "unit": "bucket"}],
    ),
    C(
        "stk-set-price",
        "set sugar price to 45 per kg",
        products=[{"name": "sugar", "price": 45, "unit": "kg"}],
    ),
    C("stk-hsn-gst", "cement HSN 2523 GST 28%", products=[{"name": "cement", "hsn": "2523"}]),
]

CUSTOMER_CASES = [
    C(
        "cus-with-phone",
        "Add customer Rekha with phone 9900112233",
        customers=[{"name": "Rekha", "phone": "+919900112233"}],
    ),
    C(
        "cus-save-number",
        "Save Mahesh's number as 98765 43210",
        customers=[{"name": "Mahesh", "phone": "+919876543210"}],
    ),
    C(
        "cus-hinglish-number",
        ["invoice Mahesh 2 bags cement at 350", "Mahesh ka number 9876543210 hai"],
        customers=[{"name": "Mahesh", "phone": "+919876543210"}],
        counts={"customers": 1},
    ),
    C(
        "cus-email",
        ["add customer Rekha", "Rekha's email is rekha@example.com"],
        customers=[{"name": "Rekha", "email": "rekha@example.com"}],
        counts={"customers": 1},
    ),
    C(
        "cus-phone-email",
        "new customer Farida 9811122233 farida@example.com",
        customers=[{"name": "Farida", "phone": "+919811122233", "email": "farida@example.com"}],
    ),
    C("cus-undo", ["new customer Farida 9811122233", "undo"], counts={"customers": 0}),
    C(
        "cus-gstin",
        "Kiran Traders GSTIN 29AAGCB7383J1Z4",
        customers=[{"name": "Kiran Traders", "gstin": "29AAGCB7383J1Z4", "state": "Karnataka"}],
    ),
    C(
        "biz-gstin",
        "my GSTIN is 27AAPFU0939F1ZV",
        business={"gstin": "27AAPFU0939F1ZV", "state": "Maharashtra"},
    ),
    C(
        "biz-bad-gstin",
        "my GSTIN is 27AAPFU0939F1ZX",
        business={"gstin": None},
        replies=[{"contains_all": ["should be v"]}],
    ),
    C("biz-name", "my shop name is Sharma Hardware", business={"name": "Sharma Hardware"}),
    C(
        "biz-address",
        "address: 12 MG Road, Pune",
        business={"address": "12 MG Road, Pune"},
    ),
    C(
        "biz-address-dash",
        "Address - Shop 4, Station Road, Nagpur 440001",
        business={"address": "Shop 4, Station Road, Nagpur 440001", "state": "Maharashtra"},
    ),
    C(
        "biz-gst-invoice-split",
        [
            "my GSTIN is 27AAPFU0939F1ZV",
            "Kiran Traders GSTIN 29AAGCB7383J1Z4",
            "invoice Kiran Traders 10 bags cement at 350 with 28% GST",
        ],
        invoices=[inv("Kiran Traders", 4480, tax=980)],
    ),
]


@pytest.fixture
def console(config: Config) -> Iterator[Console]:
    con = Console(config, OWNER)
    yield con
    con.rt.db.dispose()
    set_runtime(None)


def converse(console: Console, turns: list[str]) -> tuple[list[list[str]], list[dict], dict[str, Any]]:
    """Feed the turns; (owner replies per turn, messages to others, the business's exported data)."""
    replies, others = [], []
    for text in turns:
        out = console.feed(text) or []
        replies.append([m["body"] for m in out if m["to"] == OWNER])
        others += [m for m in out if m["to"] != OWNER]
    with console.rt.db.session() as s:
        (biz,) = export_all(s, OWNER)["businesses"]
    return replies, others, biz


@pytest.mark.parametrize("case", [*DEV_CASES, *INVOICE_CASES, *PAYMENT_CASES, *STOCK_CASES, *CUSTOMER_CASES])
def test_conversation(console: Console, case: Case) -> None:
    replies, others, biz = converse(console, case.turns)
    silent = [t for t, r in zip(case.turns, replies, strict=True) if not r]
    assert not silent, f"no reply to {silent}"
    fails = check(case.expect, biz, replies, others)
    assert not fails, "\n".join([*fails, "replies:", *("  " + " | ".join(r) for r in replies)])


def test_events_are_raised_for_flows(console: Console) -> None:
    """invoice_created, payment_received and stock_low rows appear with the blueprint payloads."""
    from sqlalchemy import select

    from storage.models import Event

    converse(
        console,
        [
            "add customer Rekha Nair 9900112233",
            "add 12 bags cement",
            "warn me when cement is below 5",
            "invoice Rekha Nair 8 bags cement at 345",
            "Rekha Nair paid 2760 on GPay",
        ],
    )
    with console.rt.db.session() as s:
        events = {e.type: e.payload for e in s.scalars(select(Event))}
    assert set(events) == {"invoices.invoice_created", "payments.payment_received", "inventory.stock_low"}
    assert events["invoices.invoice_created"]["invoice"]["total"] == 2760
    assert events["payments.payment_received"]["payment"] == {
        **events["payments.payment_received"]["payment"],
        "amount": 2760,
        "method": "upi",
    }
    assert events["payments.payment_received"]["customer"] == {
        "name": "Rekha Nair",
        "phone": "+919900112233",
        "email": None,
    }
    assert events["payments.payment_received"]["invoice"]["status"] == "paid"
    assert events["inventory.stock_low"]["product"] == {
        "name": "cement",
        "stock": 4,
        "unit": "bag",
        "low_stock_threshold": 5,
        "price": None,
    }


def test_nothing_is_saved_for_a_sentence_not_understood(console: Console) -> None:
    replies, others, biz = converse(console, ["the weather is lovely today"])
    assert replies[0] and not others
    assert (biz["invoices"], biz["payments"], biz["products"], biz["customers"]) == ([], [], [], [])
