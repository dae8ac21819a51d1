"""Offline understanding: turn an owner's message into a typed `Understanding`.

    from intents.understand import understand, Context
    u = understand("bill Mahesh 8 bags cement at 345", Context(customers=["Mahesh Gupta"]))
    u.intent, u.customer, u.items   # "create_invoice", "Mahesh", [Item(product="cement", ...)]

Pure Python (pydantic, rapidfuzz): no database, no network, no API key.
"""

from __future__ import annotations

from intents.understand.engine import understand
from intents.understand.examples import suggest
from intents.understand.gstin import STATE_CODES, find_gstin, state_from_gstin, valid_gstin
from intents.understand.methods import find_method, normalize_method
from intents.understand.money import find_amounts, format_inr, parse_amount
from intents.understand.names import match_customer, match_product
from intents.understand.numbers import find_numbers, normalize_numbers, parse_number
from intents.understand.phones import find_email, find_phone, to_e164
from intents.understand.schema import RECORD_INTENTS, Context, IntentName, Item, ProductInfo, Understanding
from intents.understand.units import UnitConversionError, convert, normalize_unit, singularize

__all__ = [
    "RECORD_INTENTS",
    "STATE_CODES",
    "Context",
    "IntentName",
    "Item",
    "ProductInfo",
    "Understanding",
    "UnitConversionError",
    "convert",
    "find_amounts",
    "find_email",
    "find_gstin",
    "find_method",
    "find_numbers",
    "find_phone",
    "format_inr",
    "match_customer",
    "match_product",
    "normalize_method",
    "normalize_numbers",
    "normalize_unit",
    "parse_amount",
    "parse_number",
    "singularize",
    "state_from_gstin",
    "suggest",
    "to_e164",
    "understand",
    "valid_gstin",
]
