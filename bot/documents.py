"""Documents behind signed, expiring links (invoice PDFs sent on WhatsApp)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from bot.api.limits import pdf_wait
from bot.runtime import Runtime
from storage.models import Invoice
from tools.pdf import PDF_ROUTE, render_invoice, verify_invoice_token

bp = Blueprint("documents", __name__)


@bp.get(PDF_ROUTE.format(token="<token>"))
def invoice_pdf(token: str) -> Response:
    """The invoice's PDF when the token is genuine and unexpired; 404 otherwise (nothing to learn)."""
    rt: Runtime = current_app.extensions["munshi"]
    found = verify_invoice_token(rt.config.secret_key, token)
    if found is None:
        abort(404)
    business_id, invoice_id = found
    wait = pdf_wait(invoice_id)
    if wait is not None:
        return Response("This invoice was downloaded too often just now; try again shortly.", 429,
                        headers={"Retry-After": str(wait)}, mimetype="text/plain")
    with rt.db.session() as s:
        inv = s.get(Invoice, invoice_id)
        if inv is None or inv.business_id != business_id:
            abort(404)
        pdf = render_invoice(s, invoice_id)
        name = inv.number.replace("/", "-")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"',
                             "Cache-Control": "private, max-age=300"})
