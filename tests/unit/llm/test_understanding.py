"""`understand_message`: the model reads fresh commands (structured outputs), the offline engine the rest,
and every failure of the model falls back to the offline reading. The model is `OpenAIStub`, a local
server speaking the chat-completions wire format."""
from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Config
from intents.llm import understand_message
from intents.llm.understanding import GUIDE, INTENTS
from intents.understand import Context, ProductInfo, understand
from tests.openai_stub import OpenAIStub, Reply, completion, error
from tests.unit.llm.answers import KEY, item, reading

CTX = Context(customers=["Mahesh Gupta", "Rekha Nair"], products=[ProductInfo(name="cement", unit="bag",
                                                                           price=Decimal(345))])
UNREAD = "Mahesh took eight bags of cement, charge him 345 each"  # the offline engine: unknown
INVOICE = reading("create_invoice", customer="Mahesh Gupta", items=[item("cement", 8, "bags", 345)])


def test_a_fresh_command_is_read_by_the_model_with_a_strict_schema(stub: OpenAIStub, llm_config: Config) -> None:
    assert understand(UNREAD, CTX).intent == "unknown"
    stub.add(Reply(completion(INVOICE)))
    u = understand_message(UNREAD, CTX, llm_config)
    assert u.intent == "create_invoice" and u.customer == "Mahesh Gupta" and u.text == UNREAD
    [line] = u.items
    assert (line.product, line.quantity, line.unit, line.unit_price) == ("cement", Decimal(8), "bag", Decimal(345))

    [request] = stub.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    sent = request["json"]
    assert sent["model"] == "gpt-4o-mini" and sent["temperature"] == 0
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["intent"]["enum"] == list(INTENTS)
    assert "answer" not in INTENTS and "create_invoice" in INTENTS
    assert schema["additionalProperties"] is False and set(schema["required"]) == set(schema["properties"])
    system, user = sent["messages"]
    assert user == {"role": "user", "content": UNREAD} and system["role"] == "system"
    assert "- create_invoice: bill a customer" in system["content"] and set(GUIDE) == set(INTENTS)
    shop = system["content"].split("The shop's customers and products: ")[1]
    assert "Rekha Nair" in shop and '{"name": "cement", "unit": "bag", "price": 345.0}' in shop


def test_slots_are_normalised_like_the_offline_engine(stub: OpenAIStub, llm_config: Config) -> None:
    stub.add(Reply(completion(reading("record_payment", customer="Rekha", amount=3000.0, method="GPay"))),
             Reply(completion(reading("add_customer", customer="Suresh", name="Suresh", phone="99001 12233",
                                      gstin="27aapfu0939f1zv"))))
    paid = understand_message("Rekha sent 3000 through GPay", CTX, llm_config)
    assert (paid.amount, paid.method, paid.method_detail) == (Decimal(3000), "upi", "gpay")
    assert str(paid.amount) == "3000"
    added = understand_message("Suresh is a new buyer 99001 12233 gst 27aapfu0939f1zv", CTX, llm_config)
    assert added.phone == "+919900112233" and added.gstin == "27AAPFU0939F1ZV" and added.state == "Maharashtra"


@pytest.mark.parametrize("text", ["yes", "no", "undo", "help", "hi"])
def test_dialogue_words_stay_offline_and_send_nothing(stub: OpenAIStub, llm_config: Config, text: str) -> None:
    u = understand_message(text, Context(expecting="confirm"), llm_config)
    assert u == understand(text, Context(expecting="confirm"))
    assert stub.requests == []


def test_an_answer_to_the_bots_question_stays_offline(stub: OpenAIStub, llm_config: Config) -> None:
    ctx = CTX.model_copy(update={"expecting": "customer"})
    u = understand_message("Rekha Nair", ctx, llm_config)
    assert u.intent == "answer" and stub.requests == []


def test_without_a_key_nothing_is_sent(stub: OpenAIStub, tmp_path: Path) -> None:
    offline = Config.from_env({"MUNSHI_HOME": str(tmp_path), "OPENAI_BASE_URL": stub.base_url})
    assert understand_message(UNREAD, CTX, offline) == understand(UNREAD, CTX)
    assert stub.requests == []


SENTENCE = "bill Mahesh 8 bags cement at 345"  # read well offline, so the fallback shows


@pytest.mark.parametrize(("replies", "reason", "tries"), [
    ([Reply(error("boom"), 500), Reply(error("boom"), 500)], "HTTP 500", 2),
    ([Reply(completion(INVOICE), delay=3), Reply(completion(INVOICE), delay=3)], "no answer in time", 2),
    ([Reply(completion('{"intent": "create_invoice", "customer": '))], "does not fit Reading", 1),
    ([Reply(completion(reading("fly_to_the_moon")))], "does not fit Reading", 1),
    ([Reply(completion(refusal="I'm sorry, I can't help with that."))], "the model refused", 1),
    ([Reply(completion(INVOICE, finish_reason="length"))], "cut off", 1),
    ([Reply(b"<html>Bad gateway</html>", 502), Reply(b"<html>Bad gateway</html>", 502)], "HTTP 502", 2),
    ([Reply(b"not json at all")], "a malformed response", 1),
    ([Reply({"id": "chatcmpl-1", "object": "chat.completion"})], "a malformed response", 1),
    ([Reply(completion(reading("record_payment", customer="Mahesh", amount=5000)))],
     "numbers not in the message: 5000", 1),
])
def test_any_failure_falls_back_to_the_offline_reading(stub: OpenAIStub, llm_config: Config,
                                                       caplog: pytest.LogCaptureFixture, replies: list[Reply],
                                                       reason: str, tries: int) -> None:
    stub.add(*replies)
    with caplog.at_level(logging.WARNING, logger="intents.llm"):
        u = understand_message(SENTENCE, CTX, llm_config)
    assert u == understand(SENTENCE, CTX) and u.intent == "create_invoice"
    assert len(stub.requests) == tries  # one retry for a 5xx or a timeout, none for a bad answer
    assert reason in caplog.text and "offline engine read it as create_invoice" in caplog.text


def test_the_key_never_reaches_the_log(stub: OpenAIStub, llm_config: Config, caplog: pytest.LogCaptureFixture) -> None:
    # OpenAI's 401 quotes the key it was given; the reason logged is the status alone.
    stub.add(Reply(error(f"Incorrect API key provided: {KEY}.", "invalid_api_key"), 401))
    with caplog.at_level(logging.DEBUG):
        assert understand_message(SENTENCE, CTX, llm_config) == understand(SENTENCE, CTX)
    assert "HTTP 401" in caplog.text and KEY not in caplog.text and KEY[-10:] not in caplog.text
