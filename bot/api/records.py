"""Read endpoints for the books: invoices (and their PDFs), payments, products, customers, messages."""

from __future__ import annotations

from flask import Response, current_app, jsonify
from sqlalchemy import func, or_, select

from bot.api import api_bp, business_id
from bot.api.pagination import paginate
from bot.api.present import (
    customer_view,
    invoice_detail,
    invoice_view,
    message_view,
    owned,
    payment_view,
    product_view,
    rupees,
)
from bot.api.schemas import (
    CustomerDetail,
    CustomerListQuery,
    CustomerPage,
    InvoiceDetail,
    InvoiceListQuery,
    InvoicePage,
    MessageListQuery,
    MessagePage,
    PaymentListQuery,
    PaymentPage,
    ProductListQuery,
    ProductPage,
)
from bot.api.schemas import Message as MessageOut
from bot.api.schemas import Payment as PaymentOut
from bot.api.schemas import Product as ProductOut
from bot.api.spec import operation
from bot.api.workflows import _like
from bot.runtime import Runtime
from storage.models import Customer, Invoice, InvoiceStatus, Message, Payment, Product


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


# ------------------------------------------------------------------ invoices


@api_bp.get("/invoices")
@operation("List invoices, newest first", tag="books", query=InvoiceListQuery, response=InvoicePage)
def list_invoices(query: InvoiceListQuery) -> Response:
    bid, key = business_id(), _rt().config.secret_key
    stmt = select(Invoice).where(Invoice.business_id == bid)
    if query.status:
        stmt = stmt.where(Invoice.status == query.status)
    if query.customer:
        stmt = stmt.join(Customer, Customer.id == Invoice.customer_id).where(
            Customer.business_id == bid, Customer.name.ilike(f"%{_like(query.customer)}%", escape="\\")
        )
    stmt = query.within(stmt, Invoice.issued_at)
    with _rt().db.session() as s:
        return paginate(
            s,
            stmt.order_by(Invoice.issued_at.desc(), Invoice.id.desc()),
            query,
            lambda inv: invoice_view(inv, key),
        )


@api_bp.get("/invoices/<int:invoice_id>")
@operation("One invoice with its items and payments", tag="books", response=InvoiceDetail)
def get_invoice(invoice_id: int) -> Response:
    with _rt().db.session() as s:
        inv = owned(s, Invoice, invoice_id, business_id(), "invoice")
        return jsonify(invoice_detail(s, inv, _rt().config.secret_key))


@api_bp.get("/invoices/<int:invoice_id>/pdf")
@operation("An invoice as PDF", tag="books", media="application/pdf")
def invoice_pdf(invoice_id: int) -> Response:
    from tools.pdf import render_invoice

    with _rt().db.session() as s:
        inv = owned(s, Invoice, invoice_id, business_id(), "invoice")
        pdf = render_invoice(s, inv.id)
        name = inv.number.replace("/", "-")
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


# ------------------------------------------------------------------ payments


@api_bp.get("/payments")
@operation("List payments, newest first", tag="books", query=PaymentListQuery, response=PaymentPage)
def list_payments(query: PaymentListQuery) -> Response:
    stmt = select(Payment).where(Payment.business_id == business_id())
    if query.method:
        stmt = stmt.where(func.lower(Payment.method) == query.method.lower())
    stmt = query.within(stmt, Payment.received_at)
    with _rt().db.session() as s:
        return paginate(
            s,
            stmt.order_by(Payment.received_at.desc(), Payment.id.desc()),
            query,
            lambda p: payment_view(s, p),
        )


@api_bp.get("/payments/<int:payment_id>")
@operation("One payment and the invoices it paid", tag="books", response=PaymentOut)
def get_payment(payment_id: int) -> Response:
    with _rt().db.session() as s:
        return jsonify(payment_view(s, owned(s, Payment, payment_id, business_id(), "payment")))


# ------------------------------------------------------------------ products


@api_bp.get("/products")
@operation("List products with stock and low-stock marks", tag="books", query=ProductListQuery, response=ProductPage)
def list_products(query: ProductListQuery) -> Response:
    stmt = select(Product).where(Product.business_id == business_id())
    if query.q:
        stmt = stmt.where(Product.name.ilike(f"%{_like(query.q)}%", escape="\\"))
    if query.low is True:
        stmt = stmt.where(Product.low_stock_threshold.is_not(None), Product.stock <= Product.low_stock_threshold)
    elif query.low is False:
        stmt = stmt.where(or_(Product.low_stock_threshold.is_(None), Product.stock > Product.low_stock_threshold))
    with _rt().db.session() as s:
        return paginate(s, stmt.order_by(Product.name, Product.id), query, product_view)


@api_bp.get("/products/<int:product_id>")
@operation("One product", tag="books", response=ProductOut)
def get_product(product_id: int) -> Response:
    with _rt().db.session() as s:
        return jsonify(product_view(owned(s, Product, product_id, business_id(), "product")))


# ------------------------------------------------------------------ customers


@api_bp.get("/customers")
@operation("List customers", tag="books", query=CustomerListQuery, response=CustomerPage)
def list_customers(query: CustomerListQuery) -> Response:
    stmt = select(Customer).where(Customer.business_id == business_id())
    if query.q:
        like = f"%{_like(query.q)}%"
        stmt = stmt.where(or_(Customer.name.ilike(like, escape="\\"), Customer.phone.ilike(like, escape="\\")))
    with _rt().db.session() as s:
        return paginate(s, stmt.order_by(Customer.name, Customer.id), query, customer_view)


@api_bp.get("/customers/<int:customer_id>")
@operation("One customer with what they owe", tag="books", response=CustomerDetail)
def get_customer(customer_id: int) -> Response:
    bid = business_id()
    with _rt().db.session() as s:
        c = owned(s, Customer, customer_id, bid, "customer")
        open_ = (InvoiceStatus.cancelled, InvoiceStatus.draft)
        due = (
            s.scalar(
                select(func.coalesce(func.sum(Invoice.total_paise - Invoice.paid_paise), 0)).where(
                    Invoice.business_id == bid,
                    Invoice.customer_id == c.id,
                    Invoice.status.not_in(open_),
                    Invoice.total_paise > Invoice.paid_paise,
                )
            )
            or 0
        )
        invoices = s.scalar(select(func.count()).where(Invoice.business_id == bid, Invoice.customer_id == c.id))
        payments = s.scalar(select(func.count()).where(Payment.business_id == bid, Payment.customer_id == c.id))
        return jsonify(
            customer_view(c) | {"outstanding": rupees(int(due)), "invoices": invoices or 0, "payments": payments or 0}
        )


# ------------------------------------------------------------------ messages


@api_bp.get("/messages")
@operation("WhatsApp messages in and out, newest first", tag="books", query=MessageListQuery, response=MessagePage)
def list_messages(query: MessageListQuery) -> Response:
    stmt = select(Message).where(Message.business_id == business_id())
    if query.direction:
        stmt = stmt.where(Message.direction == query.direction)
    if query.peer:
        stmt = stmt.where(Message.peer == query.peer)
    stmt = query.within(stmt, Message.created_at)
    with _rt().db.session() as s:
        return paginate(s, stmt.order_by(Message.id.desc()), query, message_view)


@api_bp.get("/messages/<int:message_id>")
@operation("One message", tag="books", response=MessageOut)
def get_message(message_id: int) -> Response:
    with _rt().db.session() as s:
        return jsonify(message_view(owned(s, Message, message_id, business_id(), "message")))
