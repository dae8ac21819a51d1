"""The offline understanding engine: `understand(text, ctx) -> Understanding`.

Rules run in a fixed order, most specific first; the first that recognizes
the message wins. Nothing here touches a database or the network, and every
regex is compiled at import, so a message takes about a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from intents.understand.answer import try_answer
from intents.understand.common import result
from intents.understand.detect_flows import detect_build_flow, detect_flow_manage
from intents.understand.detect_invoices import (
    detect_bare_items,
    detect_cancel,
    detect_create,
    detect_edit,
    detect_payment_link,
    detect_send,
    detect_show_list,
)
from intents.understand.detect_misc import detect_misc, yes_no
from intents.understand.detect_money import detect_collections, detect_payment, detect_sales, detect_unpaid
from intents.understand.detect_people import (
    detect_add_customer,
    detect_customer_gst,
    detect_list_customers,
    detect_product_tax,
    detect_profile,
    detect_remind,
    detect_update_customer,
)
from intents.understand.detect_stock import (
    detect_low_stock,
    detect_set_price,
    detect_stock_change,
    detect_stock_list,
    detect_stock_query,
    detect_stock_set,
    detect_threshold,
)
from intents.understand.items import FILLER
from intents.understand.parties import NAME_STOP
from intents.understand.prepare import Prepared, prepare, register_vocabulary
from intents.understand.schema import Context, Understanding

Detector = Callable[[Prepared, Context], "Understanding | None"]

#: the rule order; the first detector that returns a result wins
DETECTORS: tuple[Detector, ...] = (
    detect_misc,
    detect_flow_manage,
    detect_threshold,
    detect_build_flow,
    detect_payment_link,
    detect_list_customers,
    detect_remind,
    detect_profile,
    detect_customer_gst,
    detect_product_tax,
    detect_add_customer,
    detect_update_customer,
    detect_unpaid,
    detect_collections,
    detect_sales,
    detect_cancel,
    detect_send,
    detect_show_list,
    detect_edit,
    detect_payment,
    detect_create,
    detect_low_stock,
    detect_stock_list,
    detect_stock_set,
    detect_set_price,
    detect_stock_change,
    detect_stock_query,
    detect_bare_items,
)

_GREETING_PREFIX = re.compile(
    r"^\s*(?:(?:hi|hii|hello|hey|namaste|namaskar|good\s+(?:morning|afternoon|evening)|ram\s+ram|ok|okay|so|"
    r"um+|uh+|hmm+)(?:\s+(?:munshi|ji|sir|bhai|there|so))?\s*[,!.:-]+\s*)+",
    re.IGNORECASE,
)
_WEAK_FOR_ANSWER = frozenset(
    {
        "unknown",
        "greet",
        "create_invoice",
        "stock_query",
        "stock_list",
        "edit_invoice",
        "set_price",
        "record_payment",
    }
)
MAX_CHARS = 1000

register_vocabulary(frozenset(NAME_STOP | FILLER))


def _classify(p: Prepared, ctx: Context) -> Understanding:
    for detect in DETECTORS:
        u = detect(p, ctx)
        if u is not None:
            return u
    if ctx.products and len(p.tokens) <= 3:
        from intents.understand.names import match_product

        hits = match_product(p.low, [x.name for x in ctx.products])
        if len(hits) == 1:
            return result(p, "stock_query", 0.6, product=hits[0])
    return result(p, "unknown", 0.3)


def understand(text: str, ctx: Context | None = None) -> Understanding:
    """What `text` means, given what the agent knows (`ctx`); never raises on odd input."""
    ctx = ctx or Context()
    original = text if isinstance(text, str) else str(text or "")
    body = original[:MAX_CHARS]
    stripped = _GREETING_PREFIX.sub("", body)
    if stripped != body and len(stripped.split()) >= 2 and not yes_no(prepare(body)):
        body = stripped
    p = prepare(body)
    if not p.text and not p.phones and not p.email and not p.gstin and p.gst_rate is None:
        if re.fullmatch(r"\s*\?+\s*", original):
            return Understanding(intent="help", confidence=1.0, text=original)
        return Understanding(intent="unknown", confidence=0.0, text=original)
    u = _classify(p, ctx)
    exp = (ctx.expecting or "").lower()
    if exp:
        u = _arbitrate(u, p, ctx, exp)
    return u.model_copy(update={"text": original})


def _arbitrate(u: Understanding, p: Prepared, ctx: Context, exp: str) -> Understanding:
    """Pick between the message as a new command and as an answer to the bot's question."""
    if exp in ("confirm", "choice", "customer", "items", "unit_price", "amount", "quantity"):
        if u.intent == "cancel_invoice" and not u.invoice_number and not u.customer:
            return u.model_copy(update={"intent": "no"})
        if exp == "confirm" and u.intent == "send_invoice" and not u.customer and not u.invoice_number:
            return u.model_copy(update={"intent": "yes"})
    if u.intent in ("yes", "no", "undo", "help"):
        return u
    ans = try_answer(p, ctx)
    if ans is None:
        return u
    if u.intent in _WEAK_FOR_ANSWER or u.confidence < 0.8:
        if (
            u.intent == "create_invoice"
            and u.customer
            and exp == "items"
            and re.search(r"\b(?:invoice|bill)\b", p.low)
        ):
            return u
        if u.intent == "record_payment" and u.customer and u.amount is not None and exp != "amount":
            return u
        return ans
    if exp == "items" and u.intent == "stock_add" and not re.search(r"\b(?:stock|inventory)\b", p.low):
        return ans
    return u
