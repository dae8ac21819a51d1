"""Business B reaching business A's data: by id, by token, by chat wording, through a flow's steps.

Already covered elsewhere: every ``/api/…/{id}`` endpoint answers 404 to
another business's token, ids in bodies and list filters are scoped, and
A's flow and run pages answer 404 to B's dashboard session
(``tests/unit/api/test_scoping.py``); the export of one business holds
nothing of another (``tests/unit/test_export.py``).

Here: what B's owner can *say* in chat about A's customers, invoices and
runs (the replies name nothing of A's, and A's books do not change), what
a flow of B's can do with A's ids (every catalogue action that takes an
id or a number), and invoice PDF links forged, re-signed for another
business, expired, or made of other tokens.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import itsdangerous
import pytest
from sqlalchemy import select

from bot.config import Config
from bot.console import Console
from bot.errors import MunshiError
from bot.runtime import set_runtime
from storage.db import Database
from storage.export import export_business
from storage.models import Business, Customer, Invoice, Payment, Run, RunStatus
from tools.base import ToolContext
from tools.invoices import Line, create_invoice
from tools.pdf import PDF_ROUTE, sign_invoice
from tools.registry import get

A_CUSTOMER = "Mahesh Agarwal"
A_PHONE = "+919999988888"
A_NUMBER = "INV/26-27/0002"  # A's second invoice: B has only one


@pytest.fixture
def a_books(db: Database, shops: Any) -> dict[str, Any]:
    """A's distinctive records on top of the seed: Mahesh Agarwal, his ₹12,345 invoice, a failed run."""
    with db.session() as s:
        cust = Customer(business_id=shops.a.business_id, name=A_CUSTOMER, phone=A_PHONE, email="mahesh@a.example")
        s.add(cust)
        s.flush()
        inv = create_invoice(s, shops.a.business_id, cust, [Line("marble tile", Decimal(3), "box", Decimal(4115))])
        s.get(Run, shops.a.ids["run"]).status = RunStatus.failed
        out = {"customer": cust.id, "invoice": inv.invoice.id, "number": inv.invoice.number}
    assert out["number"] == A_NUMBER
    return out


def _a_snapshot(db: Database, business_id: int) -> Any:
    with db.session() as s:
        data = export_business(s, s.get(Business, business_id))
        runs = sorted((r.id, r.status) for r in s.scalars(select(Run).where(Run.business_id == business_id)))
    return data, runs


def _leaks(text: str, known: str = "") -> list[str]:
    """A's details in ``text`` that the asker did not already know (say, or give as a parameter)."""
    known = known.lower()
    return [w for w in ("Agarwal", A_PHONE, "9999988888", "12,345", "12345", "12,34", "marble", "Sharma", "Ramesh",
                        "mahesh@a.example", A_NUMBER) if w.lower() in text.lower() and w.lower() not in known]


@pytest.fixture
def console_b(config: Config, shops: Any) -> Iterator[Console]:
    con = Console(config, shops.b.phone)
    yield con
    con.rt.redis.connection_pool.disconnect()
    con.rt.db.dispose()
    set_runtime(None)


B_SAYS = [
    f"show invoice {A_NUMBER}", "show invoice 2", "invoice 2", f"send invoice {A_NUMBER}",
    f"send invoice {A_NUMBER} to {A_CUSTOMER}", f"send the invoice to {A_CUSTOMER}", f"cancel invoice {A_NUMBER}",
    "cancel invoice 2", f"how much does {A_CUSTOMER} owe", "how much does Ramesh Kumar owe", f"show {A_CUSTOMER}",
    "show Mahesh", "who owes me", "who hasn't paid me?", "list invoices", "show invoices",
    "remind everyone who owes me",
    f"remind {A_CUSTOMER}", f"{A_CUSTOMER} ka phone number kya hai", f"change {A_CUSTOMER}'s phone to 9000000000",
    "stock of marble tile", "undo", "retry", "show my automations", "list flows", "sales today", "report",
    f"{A_CUSTOMER} paid 12345 for {A_NUMBER}", f"mark {A_NUMBER} as paid", "dashboard",
]


def test_chat_wording_from_b_reveals_and_changes_nothing_of_a(db, shops, a_books, console_b) -> None:
    before = _a_snapshot(db, shops.a.business_id)
    leaked: dict[str, list[str]] = {}
    for turn, text in enumerate(B_SAYS):
        said = " ".join(B_SAYS[:turn + 1])  # what B itself has named so far (replies may echo it)
        for out in console_b.feed(text) or []:
            assert out["to"] in (shops.b.phone, A_PHONE), out  # nothing to A's owner
            if out["to"] == A_PHONE:  # B may message *its own* Mahesh only if B made one
                with db.session() as s:
                    assert s.scalar(select(Customer.id).where(Customer.business_id == shops.b.business_id,
                                                              Customer.phone == A_PHONE)) is not None, (text, out)
            found = _leaks(out["body"], said)
            if found:
                leaked[text] = found
            for link in (m for m in out["media"] if m):
                assert "/invoices/" not in link or _token_business(link, console_b) == shops.b.business_id
    assert leaked == {}, leaked
    assert _a_snapshot(db, shops.a.business_id) == before


def _token_business(link: str, console: Console) -> int | None:
    from tools.pdf import verify_invoice_token

    token = link.rsplit("/", 1)[-1].removesuffix(".pdf")
    found = verify_invoice_token(console.rt.config.secret_key, token)
    return found[0] if found else None


# ------------------------------------------------------------------ a flow of B's, with A's ids


def _as_b(rt: Any, shops: Any, tool: str, params: dict[str, Any]) -> Any:
    with rt.db.session() as s:
        ctx = ToolContext(session=s, business_id=shops.b.business_id, idempotency_key=f"run-b-{tool}",
                          extra={"runtime": rt, "trigger_data": {}})
        return get(tool)(ctx, params)


def _calls(shops: Any, a: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    inv, cust = a["invoice"], a["customer"]
    item = [{"product": "cement", "quantity": 1, "unit_price": 10}]
    return [
        ("invoices.get_invoice", {"invoice_id": inv}),
        ("invoices.get_invoice", {"invoice": A_NUMBER}),
        ("invoices.pdf_link", {"invoice_id": inv}),
        ("invoices.pdf_link", {"invoice": A_NUMBER}),
        ("invoices.cancel_invoice", {"invoice_id": inv}),
        ("invoices.cancel_invoice", {"invoice": A_NUMBER}),
        ("invoices.edit_invoice", {"invoice_id": inv, "items": item}),
        ("invoices.edit_invoice", {"invoice": A_NUMBER, "customer_id": shops.b.ids["customer"]}),
        ("invoices.edit_invoice", {"invoice_id": shops.b.ids["invoice"], "customer_id": cust}),
        ("invoices.create_invoice", {"customer_id": cust, "items": item}),
        ("invoices.list_invoices", {"customer_id": cust}),
        ("customers.update_customer", {"customer_id": cust, "name": "Pwned", "phone": "9000000000"}),
        ("payments.record_payment", {"amount": 100, "customer_id": cust}),
        ("payments.record_payment", {"amount": 100, "customer": "Suresh", "invoice": A_NUMBER}),
        ("whatsapp.send_document", {"to": "owner", "document": "invoice_pdf", "invoice": A_NUMBER}),
    ]


def test_a_flow_of_b_cannot_read_or_change_as_records_by_id_or_number(app, db, shops, a_books) -> None:
    rt = app.extensions["munshi"]
    before = _a_snapshot(db, shops.a.business_id)
    for tool, params in _calls(shops, a_books):
        try:
            out = _as_b(rt, shops, tool, params)
        except MunshiError as exc:
            assert not _leaks(exc.message, repr(params)), (tool, exc.message)
            continue
        # An answer is fine only when it is about B's own books.
        text = repr(out)
        assert not _leaks(text, repr(params)), (tool, params, text[:300])
    assert _a_snapshot(db, shops.a.business_id) == before
    with db.session() as s:  # nothing of B's points at A's records
        assert s.scalar(select(Payment.id).where(Payment.business_id == shops.b.business_id,
                                                 Payment.customer_id == a_books["customer"])) is None
        assert s.scalar(select(Invoice.id).where(Invoice.business_id == shops.b.business_id,
                                                 Invoice.customer_id == a_books["customer"])) is None


# ------------------------------------------------------------------ signed invoice links


def _pdf(client: Any, token: str) -> Any:
    return client.get(PDF_ROUTE.format(token=token))


def test_invoice_links_cannot_be_bent_to_another_business(app, client, shops, a_books, monkeypatch) -> None:
    key = app.extensions["munshi"].config.secret_key
    a_biz, b_biz, a_inv = shops.a.business_id, shops.b.business_id, a_books["invoice"]
    genuine = sign_invoice(key, a_biz, a_inv)
    assert _pdf(client, genuine).status_code == 200  # the link A sent its customer works

    payload, _, signature = genuine.partition(".")
    forged = [
        sign_invoice(key, b_biz, a_inv),                       # B's id with A's invoice, properly signed
        sign_invoice("another-deployments-key", a_biz, a_inv),  # someone else's key
        itsdangerous.URLSafeTimedSerializer(key, salt="another-salt").dumps([a_biz, a_inv]),
        itsdangerous.URLSafeTimedSerializer(key).dumps([a_biz, a_inv]),  # no salt: e.g. a session cookie
        itsdangerous.URLSafeTimedSerializer(key, salt="munshi.invoice-pdf").dumps({"0": a_biz, "1": a_inv}),
        itsdangerous.URLSafeTimedSerializer(key, salt="munshi.invoice-pdf").dumps([a_biz, a_inv, 1]),
        itsdangerous.URLSafeTimedSerializer(key, salt="munshi.invoice-pdf").dumps([True, a_inv]),
        sign_invoice(key, b_biz, shops.b.ids["invoice"]).partition(".")[0] + "." + genuine.partition(".")[2],
        "X" + genuine[1:], genuine[:-2], genuine + "x", genuine.replace(".", "", 1), "", ".", "..",
        shops.a.token, "../../openapi.json",
    ]
    for token in forged:
        resp = _pdf(client, token)
        assert resp.status_code == 404, token
        assert resp.mimetype != "application/pdf", token
    assert payload and signature

    # A week later the genuine link has expired.
    import time as real_time

    later = real_time.time() + timedelta(days=8).total_seconds()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert _pdf(client, genuine).status_code == 404


def test_b_cannot_reach_as_invoice_through_the_api_with_any_of_its_credentials(app, client, db, shops,
                                                                               a_books) -> None:
    from bot.api.auth import create_login_link

    a_inv = a_books["invoice"]
    for path in (f"/api/invoices/{a_inv}", f"/api/invoices/{a_inv}/pdf", f"/api/customers/{a_books['customer']}"):
        assert client.get(path, headers=shops.b.headers).status_code == 404
        assert client.get(path, headers={"Authorization": f"Bearer {shops.b.token[:-1]}x"}).status_code == 401
        assert client.get(path).status_code == 401
    with db.session() as s:
        link = create_login_link(s, shops.b.business_id, app.extensions["munshi"].config)
    client.post("/" + link.split("/", 3)[3])  # B's dashboard session
    assert client.get(f"/api/invoices/{a_inv}").status_code == 404
    page = client.get("/dashboard/customers").get_data(as_text=True)
    assert A_CUSTOMER not in page and "Ramesh" not in page
    # B's search cannot find A's names
    found = client.get("/api/customers", query_string={"q": "Mahesh"}, headers=shops.b.headers).get_json()
    assert found["items"] == []


def test_runs_of_a_are_out_of_bs_reach_by_retry(app, client, db, shops, a_books) -> None:
    run_a = shops.a.ids["run"]
    resp = client.post(f"/api/workflows/runs/{run_a}/retry", headers=shops.b.headers)
    assert resp.status_code == 404
    with db.session() as s:
        assert s.get(Run, run_a).status == RunStatus.failed
    assert client.get(f"/api/workflows/runs/{run_a}", headers=shops.a.headers).get_json()["status"] == "failed"
