"""Voice notes in other voices and speeds act as their typed words do (issue #4).

Each owner command below is spoken by espeak-ng in three voices (``en-gb``,
``en-us``, ``en-029``) at speeds 130-180, encoded to OGG/Opus the way
WhatsApp sends a voice note (the flags of ``scripts/make_voice_fixtures.sh``),
transcribed by the bundled tiny.en with the shop's customers and products in
the prompt (as ``bot/voice.py`` does) and understood with the shop's context.
What understanding makes of the transcript must be what it makes of the typed
sentence: the same intent and the same key slots, names resolved against the
shop as the handlers resolve them.

The commands were chosen before any was heard. The test prints every clip
that missed with its transcript, so the gap stays in view, and fails below
``FLOOR``; a near-miss is fixed in understanding, for every message.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from intents.transcribe import LocalWhisper, build_prompt, transcribe_note
from intents.understand import Context, ProductInfo, Understanding, match_customer, match_product, understand

# The shop, most recent first (the order bot/voice.py reads them in).
CUSTOMERS = ["Mahesh Gupta", "Rekha Nair", "Ramesh Kumar", "Sunita Sharma", "Anil Verma", "Farida Khan"]
PRODUCTS = [
    ProductInfo(name="cement", unit="bag", price=Decimal(345)),
    ProductInfo(name="rice", unit="kg", price=Decimal(60)),
    ProductInfo(name="sugar", unit="kg", price=Decimal(42)),
    ProductInfo(name="paint", unit="bucket", price=Decimal(650)),
    ProductInfo(name="steel rods", unit="piece", price=Decimal(80)),
]
PROMPT = build_prompt(CUSTOMERS, [p.name for p in PRODUCTS])

VOICES = ("en-gb", "en-us", "en-029")
SPEEDS = (130, 155, 180)
# As scripts/make_voice_fixtures.sh encodes the committed notes: mono Opus at 16 kb/s, VoIP mode.
OPUS = ("-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "16k", "-application", "voip")


@dataclass(frozen=True)
class Command:
    """One thing an owner says: typed words, what the bot was waiting for, and what they mean."""

    key: str
    typed: str
    meaning: dict[str, Any]
    expecting: str | None = None
    spoken: str | None = None  # when espeak would read the typed words wrongly ("UPI")

    def context(self) -> Context:
        """The shop's context, waiting for ``expecting``."""
        return Context(customers=CUSTOMERS, products=PRODUCTS, expecting=self.expecting)


def _item(product: str, quantity: int, unit: str, price: int | None = None) -> tuple[Any, ...]:
    return (product, Decimal(quantity), unit, None if price is None else Decimal(price))


COMMANDS = (
    Command(
        "bill",
        "Bill Mahesh Gupta for 8 bags of cement at 345 each",
        {"intent": "create_invoice", "customer": "Mahesh Gupta", "items": [_item("cement", 8, "bag", 345)]},
    ),
    Command(
        "invoice",
        "Create an invoice for Rekha Nair for 5 kilos of sugar at 42 rupees a kilo",
        {"intent": "create_invoice", "customer": "Rekha Nair", "items": [_item("sugar", 5, "kg", 42)]},
    ),
    Command(
        "invoice_two_items",
        "Invoice Sunita Sharma for 2 buckets of paint at 650 each and 10 kilos of rice at 60",
        {
            "intent": "create_invoice",
            "customer": "Sunita Sharma",
            "items": [_item("paint", 2, "bucket", 650), _item("rice", 10, "kg", 60)],
        },
    ),
    Command(
        "paid_cash",
        "Ramesh Kumar paid 1500 rupees in cash",
        {"intent": "record_payment", "customer": "Ramesh Kumar", "amount": Decimal(1500), "method": "cash"},
    ),
    Command(
        "paid_upi",
        "Rekha Nair paid 2000 on UPI",
        {"intent": "record_payment", "customer": "Rekha Nair", "amount": Decimal(2000), "method": "upi"},
        spoken="Rekha Nair paid 2000 on U P I",
    ),
    Command(
        "received_cheque",
        "Received 3500 from Anil Verma by cheque",
        {"intent": "record_payment", "customer": "Anil Verma", "amount": Decimal(3500), "method": "cheque"},
    ),
    Command(
        "stock_add",
        "Add 25 bags of cement to the stock",
        {
            "intent": "stock_add",
            "items": [_item("cement", 25, "bag")],
            "product": "cement",
            "quantity": Decimal(25),
            "unit": "bag",
        },
    ),
    Command(
        "stock_set",
        "Set the stock of sugar to 40 kilos",
        {
            "intent": "stock_set",
            "items": [_item("sugar", 40, "kg")],
            "product": "sugar",
            "quantity": Decimal(40),
            "unit": "kg",
        },
    ),
    Command("stock_query", "How much rice is left in stock?", {"intent": "stock_query", "product": "rice"}),
    Command(
        "add_customer",
        "Add a new customer Deepak Joshi",
        {"intent": "add_customer", "customer": "deepak joshi", "name": "deepak joshi"},
    ),
    Command("make_it_three", "Make it three", {"intent": "edit_invoice", "changes": {"quantity": Decimal(3)}}),
    Command("yes", "yes", {"intent": "yes"}, expecting="confirm"),
    Command("no", "no", {"intent": "no"}, expecting="confirm"),
)

# How many of the clips must act as their typed words. Measured with the bundled tiny.en (int8): 27/39 on
# one 2-core machine, 25/39 on another, the same clips each run on one machine; the misses differ between
# CPUs because int8 decoding does. Most misses lost a slot's content ("for 8 bags" heard as "48 bags",
# "Set the stock of sugar…" as "Set Mahesh", a new customer's name spelt otherwise), which no reading of
# the transcript can recover; the closing note of issue #4 lists them. The floor catches a regression in
# transcription or in understanding near-misses without depending on one CPU's exact transcripts.
FLOOR = 22


def _clips() -> list[tuple[Command, str, int]]:
    """Every command in every voice; speeds rotate so each voice meets each speed on a third of them."""
    return [(command, voice, SPEEDS[(i + j) % len(SPEEDS)])
            for i, command in enumerate(COMMANDS) for j, voice in enumerate(VOICES)]


def meaning(u: Understanding, ctx: Context) -> dict[str, Any]:
    """The intent and key slots of ``u``, customer and product names resolved against the shop."""
    shop = [p.name for p in ctx.products]

    def customer(name: str) -> str:
        hits = match_customer(name, ctx.customers)
        return hits[0] if len(hits) == 1 else name.casefold()

    def product(name: str) -> str:
        hits = match_product(name, shop)
        return hits[0] if len(hits) == 1 else name.casefold()

    slots: dict[str, Any] = {
        "intent": u.intent,
        "customer": u.customer and customer(u.customer),
        "name": u.name and u.name.casefold(),
        "items": [(product(i.product), i.quantity, i.unit, i.unit_price) for i in u.items],
        "product": u.product and product(u.product),
        "quantity": u.quantity,
        "unit": u.unit,
        "price": u.price,
        "amount": u.amount,
        "method": u.method,
        "changes": u.changes,
    }
    return {k: v for k, v in slots.items() if v not in (None, [], {})}


@pytest.fixture(scope="module")
def whisper() -> LocalWhisper:
    """One model for the whole module, as in a worker."""
    return LocalWhisper()


def speak(text: str, voice: str, speed: int, folder: Path) -> bytes:
    """``text`` spoken by espeak-ng as an OGG/Opus voice note."""
    wav, ogg = folder / "note.wav", folder / "note.ogg"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav), *OPUS, str(ogg)],
                   check=True)
    return ogg.read_bytes()


@pytest.mark.parametrize("command", COMMANDS, ids=[c.key for c in COMMANDS])
def test_typed_words_mean_what_the_owner_meant(command: Command) -> None:
    ctx = command.context()

    assert meaning(understand(command.typed, ctx), ctx) == command.meaning


@pytest.mark.slow  # loads the speech model, ~30 s
@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="needs espeak-ng and ffmpeg")
def test_voice_notes_act_as_their_typed_words(whisper: LocalWhisper, tmp_path: Path) -> None:
    misses = []
    clips = _clips()
    for command, voice, speed in clips:
        note = speak(command.spoken or command.typed, voice, speed, tmp_path)
        ctx = command.context()
        heard = transcribe_note(note, PROMPT, transcriber=whisper)
        if meaning(understand(heard, ctx), ctx) != meaning(understand(command.typed, ctx), ctx):
            misses.append(f"{command.key}-{voice}-{speed}: heard {heard!r}")
    acted = len(clips) - len(misses)
    print(f"{acted}/{len(clips)} voice notes acted as their typed words; missed:", *misses, sep="\n  ")

    assert acted >= FLOOR, "\n".join(misses)
