"""Read endpoints of the books: invoices (and PDFs), payments, products, customers, messages."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from storage.models import Customer, Invoice, InvoiceStatus, Message, MessageStatus, Product, utcnow


def test_invoices_list_and_detail(client, tenants):
    body = client.get("/api/invoices", headers=tenants.a.headers).get_json()
    (inv,) = body["items"]
    assert inv["number"] == "INV/26-27/0001" and inv["total"] == 1750 and inv["paid"] == 1000 and inv["due"] == 750
    assert inv["status"] == "partially_paid" and inv["customer"]["name"] == "Ramesh Kumar"
    assert inv["pdf_url"].startswith("/invoices/") and inv["pdf_url"].endswith(".pdf")
    detail = client.get(f"/api/invoices/{inv['id']}", headers=tenants.a.headers).get_json()
    assert detail["items"] == [{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 350,
                                "amount": 1750, "hsn": None, "gst_rate": None}]
    assert detail["payments"][0]["amount"] == 1000


def test_invoice_pdf_by_api_and_by_signed_link(client, tenants):
    inv_id = tenants.a.ids["invoice"]
    pdf = client.get(f"/api/invoices/{inv_id}/pdf", headers=tenants.a.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    link = client.get(f"/api/invoices/{inv_id}", headers=tenants.a.headers).get_json()["pdf_url"]
    assert client.get(link).data.startswith(b"%PDF")  # the signed link needs no token


def test_invoice_filters(client, db, tenants):
    with db.session() as s:
        s.add(Invoice(business_id=tenants.a.business_id, customer_id=tenants.a.ids["customer"], number="INV-OLD",
                      fiscal_year="2025-26", seq=9, status=InvoiceStatus.paid, total_paise=100,
                      issued_at=utcnow() - timedelta(days=40)))
    h = tenants.a.headers
    assert client.get("/api/invoices", headers=h).get_json()["total"] == 2
    assert [i["number"] for i in client.get("/api/invoices", query_string={"status": "paid"},
                                            headers=h).get_json()["items"]] == ["INV-OLD"]
    since = (utcnow() - timedelta(days=5)).isoformat()
    assert client.get("/api/invoices", query_string={"since": since}, headers=h).get_json()["total"] == 1
    assert client.get("/api/invoices", query_string={"customer": "rames"}, headers=h).get_json()["total"] == 2
    assert client.get("/api/invoices", query_string={"customer": "%"}, headers=h).get_json()["total"] == 0
    assert client.get("/api/invoices", query_string={"status": "lost"}, headers=h).status_code == 422


def test_payments(client, tenants):
    (pay,) = client.get("/api/payments", headers=tenants.a.headers).get_json()["items"]
    assert pay["amount"] == 1000 and pay["method"] == "upi" and pay["invoices"][0]["number"] == "INV/26-27/0001"
    assert client.get(f"/api/payments/{pay['id']}", headers=tenants.a.headers).get_json() == pay
    assert client.get("/api/payments", query_string={"method": "UPI"},
                      headers=tenants.a.headers).get_json()["total"] == 1
    assert client.get("/api/payments", query_string={"method": "cash"},
                      headers=tenants.a.headers).get_json()["total"] == 0


def test_products_with_low_stock_marks(client, db, tenants):
    with db.session() as s:
        s.add(Product(business_id=tenants.a.business_id, name="steel rod", unit="kg", stock=Decimal("120.5"),
                      low_stock_threshold=Decimal(20)))
        s.add(Product(business_id=tenants.a.business_id, name="sand", unit="bag", stock=Decimal(0)))
    h = tenants.a.headers
    items = {p["name"]: p for p in client.get("/api/products", headers=h).get_json()["items"]}
    assert items["cement"]["low"] is True and items["steel rod"]["low"] is False and items["sand"]["low"] is False
    assert items["steel rod"]["stock"] == 120.5 and items["cement"]["price"] == 350
    low = client.get("/api/products", query_string={"low": "true"}, headers=h).get_json()["items"]
    assert [p["name"] for p in low] == ["cement"]
    not_low = client.get("/api/products", query_string={"low": "false"}, headers=h).get_json()["items"]
    assert sorted(p["name"] for p in not_low) == ["sand", "steel rod"]
    one = client.get(f"/api/products/{tenants.a.ids['product']}", headers=h).get_json()
    assert one["name"] == "cement" and one["low_stock_threshold"] == 10


def test_customers_with_what_they_owe(client, db, tenants):
    with db.session() as s:
        s.add(Customer(business_id=tenants.a.business_id, name="Zoya", phone="+919811111111"))
    h = tenants.a.headers
    assert client.get("/api/customers", headers=h).get_json()["total"] == 2
    found = client.get("/api/customers", query_string={"q": "9811"}, headers=h).get_json()["items"]
    assert [c["name"] for c in found] == ["Zoya"]
    one = client.get(f"/api/customers/{tenants.a.ids['customer']}", headers=h).get_json()
    assert one["outstanding"] == 750 and one["invoices"] == 1 and one["payments"] == 1


def test_messages(client, db, tenants):
    with db.session() as s:
        s.add(Message(business_id=tenants.a.business_id, direction="out", peer=tenants.a.phone, body="Invoice…",
                      media=[{"url": "https://x/invoices/t.pdf"}], status=MessageStatus.sent))
        s.add(Message(business_id=tenants.a.business_id, direction="in", sid="SMvoice", peer=tenants.a.phone,
                      body="", media=[{"path": "/secret/place/voice.ogg", "content_type": "audio/ogg"}],
                      status=MessageStatus.done, transcript="add 5 bags"))
    h = tenants.a.headers
    body = client.get("/api/messages", headers=h).get_json()
    assert body["total"] == 3 and body["items"][0]["transcript"] == "add 5 bags"
    assert "/secret/place" not in str(body)  # local file paths are not shown
    outs = client.get("/api/messages", query_string={"direction": "out"}, headers=h).get_json()["items"]
    assert [m["media"] for m in outs] == [[{"url": "https://x/invoices/t.pdf"}]]
    one = client.get(f"/api/messages/{tenants.a.ids['message']}", headers=h).get_json()
    assert one["body"] == "hello" and one["direction"] == "in"
