"""The understanding engine and the agent on random text: no crash, and random text makes no record.

``tests/unit/understand/test_robustness.py`` already feeds `understand` random
text and word soup (no crash, sane slots) and lowercase gibberish (no record
intent). Here the *whole* turn runs: `intents.agent.respond`, the LangGraph
agent with its checkpointer and the real handlers, on a fresh business each
time, and the business's books are compared before and after. Random text
must leave them as they were; a mix of shop words and numbers may change
them only when what it said was understood as a record.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import InvalidOperation
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.exc import DataError

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from intents.agent import respond
from intents.understand import RECORD_INTENTS, understand
from storage.export import export_business
from storage.models import Business
from tests.unit.fuzz.conftest import fuzz

SHOP_WORDS = ["bill", "invoice", "paid", "payment", "add", "remove", "sold", "stock", "price", "set", "cement",
              "bags", "kg", "Mahesh", "Rekha", "ne", "diye", "ka", "ko", "rs", "₹", "@", "at", "each", "for", "to",
              "from", "yes", "no", "undo", "cancel", "send", "it", "gst", "18%", "upi", "cash", "when", "every",
              "whatsapp", "me", "remind", "dashboard", "help", "INV/26-27/0001", "lakh", "crore", "half", "dozen",
              ",", ".", "?", "'s", "hai", "kar", "do", "threshold", "low", "alert", "customer", "new", "phone",
              "9876543210", "+919876543210", "GSTIN", "27AAPFU0939F1ZV", "email", "a@b.co", "automation", "flow"]
NUMBERS = st.one_of(st.integers(-10, 10**9).map(str), st.decimals(0, 10**6, places=2).map(str),
                    st.sampled_from(["1,25,000", "3.5k", "0", "00", "1e9", "½", "२५", "10^9", "-5",
                                     "99999999999999999999"]))


#: What the pipeline turns into "that number is too large for the books" (`bot.pipeline.handle_one`).
TOO_LARGE = (OverflowError, InvalidOperation, DataError)


@pytest.fixture
def runtime(config: Config) -> Iterator[Runtime]:
    rt = Runtime(config)
    rt.db.migrate()
    set_runtime(rt)
    yield rt
    set_runtime(None)
    rt.db.dispose()


class _Shop:
    """A fresh business per example (its own conversation thread), and its books as the export shows them."""

    count = 0

    def __init__(self, rt: Runtime) -> None:
        type(self).count += 1
        self.rt = rt
        with rt.db.session() as s:
            biz = Business(phone=f"+9170{type(self).count:08d}", name="Fuzz Traders")
            s.add(biz)
            s.flush()
            self.id = biz.id

    def books(self) -> dict[str, Any]:
        with self.rt.db.session() as s:
            data = export_business(s, s.get(Business, self.id))
        data.pop("messages")
        return data

    def say(self, text: str) -> list[str]:
        """One turn as the worker runs it: what `bot.pipeline.handle_one` answers with a clear "too large"
        (numbers beyond what the books hold) must have changed nothing; anything else raised is a crash."""
        before = self.books()
        text = text.replace("\x00", "")  # as the webhook, the simulator and the pipeline do
        try:
            replies = respond(self.rt, self.id, text)
        except TOO_LARGE:
            assert self.books() == before, f"{text!r} failed half-way and left a change behind"
            return []
        assert all(isinstance(r, str) for r in replies)
        return replies


@fuzz(100)
@given(text=st.text(max_size=120))
def test_random_text_through_the_agent_never_crashes_and_makes_no_record(runtime: Runtime, text: str) -> None:
    shop = _Shop(runtime)
    before = shop.books()
    shop.say(text)
    if shop.books() != before:
        # Only words that really say "record this" may change the books.
        assert understand(text).intent in RECORD_INTENTS, f"{text!r} changed the books"


@fuzz(100)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
       .filter(lambda t: not any(w in t.lower() for w in ("bill", "inv", "paid", "add", "sold", "stock", "set"))))
def test_random_text_without_command_words_makes_nothing_at_all(runtime: Runtime, text: str) -> None:
    shop = _Shop(runtime)
    before = shop.books()
    shop.say(text)
    assert shop.books() == before, f"{text!r} changed the books"


@fuzz(150)
@given(words=st.lists(st.one_of(st.sampled_from(SHOP_WORDS), NUMBERS), min_size=1, max_size=12),
       follow_up=st.lists(st.one_of(st.sampled_from(SHOP_WORDS), NUMBERS), max_size=5))
def test_shop_word_soup_changes_the_books_only_through_a_record_intent(runtime: Runtime, words: list[str],
                                                                        follow_up: list[str]) -> None:
    shop = _Shop(runtime)
    before = shop.books()
    text = " ".join(words)
    shop.say(text)
    after = shop.books()
    if after != before:
        event("the first turn made a record")
        assert understand(text).intent in RECORD_INTENTS, f"{text!r} changed the books"
    # A second turn (perhaps the answer to a question the first one asked) never crashes either.
    if follow_up:
        shop.say(" ".join(follow_up))


COMMANDS = ["bill {name} {n} bags {product} at {n}", "{name} paid {n}", "{name} ne {n} diye", "add {n} {product}",
            "set {product} price to {n}", "remove {n} {product}", "{product} ka stock {n} kar do",
            "low stock alert for {product} at {n}", "new customer {name} {phone}", "cancel invoice {n}",
            "change it to {n} bags", "send the invoice to {name}", "remind {name}", "undo", "yes", "no"]


@fuzz(120)
@given(template=st.sampled_from(COMMANDS), name=st.sampled_from(["Mahesh", "Rekha Nair", "x", "", "<b>", "9876"]),
       product=st.sampled_from(["cement", "sugar", "a", "", "₹", "bags"]), n=NUMBERS,
       phone=st.sampled_from(["9876543210", "+919876543210", "123", ""]),
       noise=st.lists(st.one_of(st.sampled_from(SHOP_WORDS), NUMBERS, st.text(max_size=5)), max_size=4),
       answers=st.lists(st.one_of(NUMBERS, st.sampled_from(["yes", "no", "Mahesh", "cement", "bags", "500"])),
                        max_size=3))
def test_commands_with_noise_and_odd_answers_never_crash(runtime: Runtime, template: str, name: str, product: str,
                                                         n: str, phone: str, noise: list[str],
                                                         answers: list[str]) -> None:
    shop = _Shop(runtime)
    text = " ".join([template.format(name=name, product=product, n=n, phone=phone), *noise])
    before = shop.books()
    shop.say(text)
    if shop.books() != before:
        event("a record")
        assert understand(text).intent in RECORD_INTENTS or text.split()[0] in ("yes", "undo"), text
    for answer in answers:  # replies to whatever the bot asked (a price, a name, YES)
        shop.say(answer)
