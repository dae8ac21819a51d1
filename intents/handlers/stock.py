"""Stock handlers: add / remove / set stock, price, low-stock alerts, HSN and GST, and the stock questions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from bot.errors import MunshiError
from intents.handlers.customers import catalogue_name, failed, field, run_tool
from intents.handlers.types import Outcome, Turn
from storage.ledger import dec, find_product, inr, qty_unit, stock_tracked
from tools.inventory import all_products, countable, low_products, product_line


def _stock_items(turn: Turn, u: Any) -> list[dict[str, Any]]:
    """The (product, quantity, unit) of a stock message: its items, else its single product slots."""
    items = []
    for it in field(u, "items") or []:
        if getattr(it, "product", None):
            items.append({"product": it.product, "quantity": dec(it.quantity), "unit": it.unit})
    if not items and field(u, "product"):
        items.append(
            {"product": field(u, "product"), "quantity": dec(field(u, "quantity")), "unit": field(u, "unit")}
        )
    for it in items:
        it["product"] = catalogue_name(turn, it["product"], fuzzy=True) or it["product"]
    return items


_VERBS = {"add": "Added", "remove": "Removed", "set": "Set"}


def _change(turn: Turn, u: Any, mode: Literal["add", "remove", "set"]) -> Outcome:
    items = _stock_items(turn, u)
    example = {"add": "add 25 bags cement", "remove": "remove 3 tiles", "set": "cement stock 40 bags"}[mode]
    if not items:
        return Outcome([f"Which product, and how many? e.g. *{example}*"])
    missing = [it["product"] for it in items if it["quantity"] is None]
    if missing:
        return Outcome([f"How many {missing[0]}? e.g. *{example}*"])
    try:
        out = run_tool(
            turn,
            "inventory.update_stock",
            mode=mode,
            items=[{k: v for k, v in it.items() if v is not None} for it in items],
        )
    except MunshiError as exc:
        return failed(exc)
    lines = []
    for p in out["products"]:
        unit = p["unit"]
        now = qty_unit(p["stock"], unit)
        if mode == "set":
            was = (
                ""
                if p["before"] == p["stock"] or p.get("created")
                else f" (was {qty_unit(p['before'], unit)})"
            )
            lines.append(f"📦 {p['product']}: stock set to {now}{was}.")
        else:
            moved = countable(p["product"], abs(Decimal(str(p["change"]))), unit)
            lines.append(f"📦 {_VERBS[mode]} {moved} → now {now}.")
        if p.get("warning"):
            lines.append(f"⚠️ {p['warning']}")
        elif p.get("became_low") or (p.get("low") and mode != "add"):
            lines.append(
                f"📉 {p['product']} is running low (alert at {qty_unit(p['low_stock_threshold'], unit)})."
            )
    lines.append("Reply *undo* to take it back.")
    return Outcome(["\n".join(lines)], last={"product": out["products"][-1]["product"]})


def stock_add(turn: Turn, u: Any) -> Outcome:
    """ "add 25 bags of cement", "new stock: 40 kg wheat, 15 litres ghee"."""
    return _change(turn, u, "add")


def stock_remove(turn: Turn, u: Any) -> Outcome:
    """ "3 tiles broke, remove them", "remove 2 fans"."""
    return _change(turn, u, "remove")


def stock_set(turn: Turn, u: Any) -> Outcome:
    """ "I have 8 geysers in stock", "sugar ka stock 40 kar do"."""
    return _change(turn, u, "set")


def _one_product(turn: Turn, u: Any) -> tuple[str | None, Any]:
    """The product a price/threshold/tax message is about, and its first item (if any)."""
    items = field(u, "items") or []
    name = field(u, "product") or (items[0].product if items else None) or turn.last.get("product")
    first = items[0] if items else None
    return (catalogue_name(turn, name, fuzzy=True) or name) if name else None, first


def set_price(turn: Turn, u: Any) -> Outcome:
    """ "cement price 355", "Price of paint is 650 per bucket" (also sets the unit)."""
    name, first = _one_product(turn, u)
    price = dec(field(u, "price"))
    if price is None and first is not None:
        price = dec(getattr(first, "unit_price", None))
    if price is None:
        price = dec(field(u, "amount"))
    unit = field(u, "unit") or (
        getattr(first, "price_unit", None) or getattr(first, "unit", None) if first else None
    )
    if not name or price is None:
        return Outcome(["Which product and what price? e.g. *cement price 355* or *paint is 650 per bucket*"])
    try:
        out = run_tool(turn, "inventory.set_price", product=name, price=price, unit=unit)
    except MunshiError as exc:
        return failed(exc)
    per = f" per {out['unit']}" if out.get("unit") else ""
    return Outcome(
        [
            f"🏷️ {out['product']}: {inr(int(Decimal(str(out['price'])) * 100))}{per}. "
            "Bills use this price when you don't give one.\nReply *undo* to change it back."
        ],
        last={"product": out["product"]},
    )


def set_threshold(turn: Turn, u: Any) -> Outcome:
    """ "tell me when rice drops below 20 kg", "warn me when cement is below 5"."""
    name, first = _one_product(turn, u)
    threshold = dec(field(u, "threshold"))
    if threshold is None:
        threshold = (
            dec(field(u, "quantity"))
            if field(u, "quantity") is not None
            else (dec(getattr(first, "quantity", None)) if first is not None else None)
        )
    unit = field(u, "unit") or (getattr(first, "unit", None) if first is not None else None)
    if not name or threshold is None:
        return Outcome(["Which product, and at what level? e.g. *tell me when rice drops below 20 kg*"])
    try:
        out = run_tool(turn, "inventory.set_threshold", product=name, threshold=threshold, unit=unit)
    except MunshiError as exc:
        return failed(exc)
    text = (
        f"🔔 I'll warn you when {out['product']} is at or below "
        f"{qty_unit(out['low_stock_threshold'], out.get('unit'))}."
    )
    if not out.get("counted"):
        text += f"\n(No stock of {out['product']} is counted yet: send e.g. *add 50 {out['product']}*.)"
    elif out.get("low"):
        text += f"\n⚠️ It's already low: {qty_unit(out['stock'], out.get('unit'))} left."
    return Outcome([text + "\nReply *undo* to change it back."], last={"product": out["product"]})


def set_product_tax(turn: Turn, u: Any) -> Outcome:
    """ "cement HSN 2523 at 28% GST"."""
    name, _ = _one_product(turn, u)
    hsn, rate = field(u, "hsn"), dec(field(u, "gst_rate"))
    if not name or (hsn is None and rate is None):
        return Outcome(["Which product, and its HSN code or GST rate? e.g. *cement HSN 2523 GST 28%*"])
    try:
        out = run_tool(turn, "inventory.set_product_tax", product=name, hsn=hsn, gst_rate=rate)
    except MunshiError as exc:
        return failed(exc)
    bits = []
    if out.get("hsn"):
        bits.append(f"HSN {out['hsn']}")
    if out.get("gst_rate") is not None:
        bits.append(f"GST {out['gst_rate']}%")
    return Outcome(
        [
            f"🧾 {out['product']}: {', '.join(bits)}. Bills use this from now on.\n"
            "Reply *undo* to change it back."
        ],
        last={"product": out["product"]},
    )


def stock_query(turn: Turn, u: Any) -> Outcome:
    """ "how many fans are left?", "rice stock?"."""
    name, _ = _one_product(turn, u)
    if not name:
        return stock_list(turn, u)
    product = find_product(turn.session, turn.business_id, name)
    if product is None:
        return Outcome([f"I don't have {name} in your stock yet. Add it with e.g. *add 10 {name}*."])
    return Outcome(
        [f"📦 {product_line(product, stock_tracked(turn.session, product))}"], last={"product": product.name}
    )


def stock_list(turn: Turn, u: Any) -> Outcome:
    """ "list my stock"."""
    products = all_products(turn.session, turn.business_id)
    if not products:
        return Outcome(["No products yet. Add stock with e.g. *add 25 bags cement*."])
    shown = products[:60]
    text = "📦 Your stock:\n" + "\n".join(
        f"• {product_line(p, stock_tracked(turn.session, p))}" for p in shown
    )
    if len(products) > len(shown):
        text += f"\n…and {len(products) - len(shown)} more"
    return Outcome([text])


def low_stock_query(turn: Turn, u: Any) -> Outcome:
    """ "anything running out?", "anything low on stock?"."""
    low = low_products(turn.session, turn.business_id)
    if not low:
        return Outcome(["✅ Nothing is running low."])
    return Outcome(["📉 Running low:\n" + "\n".join(f"• {product_line(p)}" for p in low)])
