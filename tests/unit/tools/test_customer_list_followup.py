"""Whole conversations about customers, through the agent (`intents.agent.respond`) with the offline engine:
the customer list, and "his/her/uska number is …" right after a customer was added or talked about."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from intents.agent import respond
from storage.export import export_business
from storage.models import Business


class Owner:
    """One shop owner chatting with the agent: ``say(text)`` returns the replies of that turn as one text."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        with rt.db.session() as s:
            biz = Business(phone="+919800000001", name="Sharma Hardware")
            s.add(biz)
            s.flush()
            self.business_id = biz.id

    def say(self, text: str) -> str:
        return "\n".join(respond(self.rt, self.business_id, text))

    def customers(self) -> dict[str, dict[str, Any]]:
        with self.rt.db.session() as s:
            data = export_business(s, s.get(Business, self.business_id))
        return {c["name"]: c for c in data["customers"]}


@pytest.fixture
def owner(config: Config) -> Iterator[Owner]:
    rt = Runtime(config)
    rt.db.migrate()
    set_runtime(rt)
    yield Owner(rt)
    set_runtime(None)
    rt.db.dispose()


def test_empty_customer_list_says_how_to_add_one(owner: Owner) -> None:
    assert "No customers yet" in owner.say("list my customers")


@pytest.mark.parametrize("ask", ["show all customers", "customer list", "mere customers dikhao"])
def test_customer_list_shows_names_phones_and_dues(owner: Owner, ask: str) -> None:
    owner.say("new customer Rekha Nair 9900112233")
    owner.say("add customer Mohd. Irfan 9812345678")
    owner.say("new customer Kamala Stores, phone +91 99001 23456, GSTIN 29ABCDE1234F1ZW")
    owner.say("bill Rekha 2 bags cement at 350")
    reply = owner.say(ask)
    assert "Your customers (3)" in reply
    lines = reply.splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["• Kamala Stores", "• Mohd. Irfan", "• Rekha Nair"]
    assert "• Rekha Nair: +919900112233, owes ₹700" in lines
    assert "• Kamala Stores: +919900123456" in lines


def test_long_customer_list_is_cut_with_a_count(owner: Owner) -> None:
    for k in range(35):
        owner.say(f"add customer Customer{k:02d} Test")
    reply = owner.say("all customers")
    assert "Your customers (35)" in reply
    assert reply.count("•") == 30
    assert reply.rstrip().endswith("…and 5 more")


@pytest.mark.parametrize(
    "follow_up",
    ["his number is 9123456780", "her phone is 9123456780", "uska number 9123456780 hai"],
)
def test_pronoun_after_adding_a_customer(owner: Owner, follow_up: str) -> None:
    assert "Added customer *Anil Verma*" in owner.say("add customer Anil Verma")
    reply = owner.say(follow_up)
    assert "Updated Anil Verma" in reply
    assert owner.customers()["Anil Verma"]["phone"] == "+919123456780"


def test_pronoun_follows_the_latest_customer(owner: Owner) -> None:
    owner.say("add customer Anil Verma")
    owner.say("customer add karo Sunita Rao 9988776655")
    owner.say("her number is 9000012345")
    people = owner.customers()
    assert people["Sunita Rao"]["phone"] == "+919000012345"
    assert people["Anil Verma"]["phone"] is None


def test_pronoun_with_nobody_to_refer_to_asks_whose(owner: Owner) -> None:
    assert "Whose details" in owner.say("his number is 9123456780")
    assert owner.customers() == {}


def test_phone_and_gstin_both_saved(owner: Owner) -> None:
    reply = owner.say("new customer Balaji Stores 9900123456 GSTIN 29ABCDE1234F1ZW")
    assert "Added customer *Balaji Stores*" in reply
    c = owner.customers()["Balaji Stores"]
    assert (c["phone"], c["gstin"], c["state"]) == ("+919900123456", "29ABCDE1234F1ZW", "Karnataka")


def test_list_customers_tool(call: Any) -> None:
    """The tool behind the reply: A-Z, phone and due for every customer; the text writes out ``limit``."""
    call("customers.add_customer", name="Zoya", phone="9900112233")
    call("customers.add_customer", name="amit shah")
    out = call("customers.list_customers", limit=1)
    assert out["count"] == 2
    assert [c["name"] for c in out["customers"]] == ["Amit Shah", "Zoya"]
    assert out["customers"][1]["due"] == 0
    assert out["text"] == "• Amit Shah: no phone\n…and 1 more"
