"""Intent handlers: one function per intent, turning an `Understanding` into records and replies.

`HANDLERS` is the explicit table the agent's ``act`` node uses. A handler
gets a `Turn` (the open session, the business, the conversation memory) and
returns an `Outcome`; it never sends WhatsApp messages to third parties
itself: such actions go in ``Outcome.confirm`` and run after the owner's YES.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intents.handlers import basic
from intents.handlers import customers as customer_handlers
from intents.handlers import dashboard as dashboard_handlers
from intents.handlers import flows as flow_handlers
from intents.handlers import invoices as invoice_handlers
from intents.handlers import payments as payment_handlers
from intents.handlers import profile as profile_handlers
from intents.handlers import reminders as reminder_handlers
from intents.handlers import stock as stock_handlers
from intents.handlers import undo as undo_handlers
from intents.handlers.types import Outcome, Turn

Handler = Callable[[Turn, Any], Outcome]

HANDLERS: dict[str, Handler] = {
    "greet": basic.greet,
    "help": basic.help_,
    "unknown": basic.unknown,
    # business actions
    "create_invoice": invoice_handlers.create_invoice,
    "edit_invoice": invoice_handlers.edit_invoice,
    "cancel_invoice": invoice_handlers.cancel_invoice,
    "show_invoice": invoice_handlers.show_invoice,
    "list_invoices": invoice_handlers.list_invoices,
    "send_invoice": invoice_handlers.send_invoice,
    "payment_link": invoice_handlers.payment_link,
    "record_payment": payment_handlers.record_payment,
    "unpaid_query": payment_handlers.unpaid_query,
    "collections_query": payment_handlers.collections_query,
    "sales_query": payment_handlers.sales_query,
    "remind": reminder_handlers.remind,
    "stock_add": stock_handlers.stock_add,
    "stock_remove": stock_handlers.stock_remove,
    "stock_set": stock_handlers.stock_set,
    "set_price": stock_handlers.set_price,
    "set_threshold": stock_handlers.set_threshold,
    "set_product_tax": stock_handlers.set_product_tax,
    "stock_query": stock_handlers.stock_query,
    "stock_list": stock_handlers.stock_list,
    "low_stock_query": stock_handlers.low_stock_query,
    "add_customer": customer_handlers.add_customer,
    "update_customer": customer_handlers.update_customer,
    "list_customers": customer_handlers.list_customers,
    "set_customer_gst": customer_handlers.set_customer_gst,
    "set_profile": profile_handlers.set_profile,
    "undo": undo_handlers.undo,
    # automations: build, change, test, switch on and off, runs (flow_handlers.HANDLERS)
    **flow_handlers.HANDLERS,
    "dashboard_link": dashboard_handlers.dashboard_link,
}

CONFIRMERS: dict[str, Callable[[Turn, dict[str, Any]], Outcome]] = {
    "send_invoice": invoice_handlers.confirm_send_invoice,
    "payment_link": invoice_handlers.confirm_payment_link,
    "send_reminders": reminder_handlers.confirm_reminders,
    **flow_handlers.CONFIRMERS,
}

#: Confirmations that take any answer (edits, tests) rather than only YES / NO: kind -> dialogue.
DIALOGUES: dict[str, Callable[[Turn, dict[str, Any], Any], Any]] = {
    **flow_handlers.DIALOGUES,
}

__all__ = ["CONFIRMERS", "DIALOGUES", "HANDLERS", "Handler", "Outcome", "Turn"]
