"""OpenAI understanding through the real pipeline: a signed webhook, a real worker process whose
``OPENAI_BASE_URL`` is a local stand-in of the API, and an invoice made from the model's answer for a
sentence the offline engine does not understand; when the API fails, the offline engine answers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import Config
from intents.understand import understand
from storage.db import Database
from storage.models import Invoice
from tests.helpers import Twilio, finished, replies_to
from tests.openai_stub import OpenAIStub, Reply, completion, error
from tests.unit.llm.answers import KEY, item, reading

pytestmark = pytest.mark.integration

UNREAD = "Mahesh took eight bags of cement, charge him 345 each"


def test_an_invoice_from_the_models_reading_then_the_offline_engine_when_it_fails(
        config: Config, twilio: Twilio, db: Database, workers, wait_handled) -> None:  # type: ignore[no-untyped-def]
    assert understand(UNREAD).intent == "unknown"
    with OpenAIStub(Reply(completion(reading("create_invoice", customer="Mahesh",
                                             items=[item("cement", 8, "bag", 345)]))),
                    Reply(error("boom"), 500), Reply(error("boom"), 500)) as stub:
        workers.start(config, OPENAI_API_KEY=KEY, OPENAI_BASE_URL=stub.base_url, OPENAI_MODEL="local-model")
        _, first = twilio.send(UNREAD)
        [msg] = wait_handled(lambda: finished(db, [first["MessageSid"]]), what="the reply to the LLM-read bill")
        [reply] = replies_to(db, msg)
        assert "Mahesh" in reply.body and "2,760" in reply.body

        _, second = twilio.send("bill Rekha 2 bags cement at 345")
        [msg2] = wait_handled(lambda: finished(db, [second["MessageSid"]]), what="the reply to the offline bill")
        assert "Rekha" in replies_to(db, msg2)[0].body

    with db.session() as s:
        bills = {i.customer.name: i for i in s.scalars(select(Invoice).order_by(Invoice.id))}
        assert set(bills) == {"Mahesh", "Rekha"}
        [line] = bills["Mahesh"].items
        assert (line.product, line.quantity, line.unit, line.unit_price_paise) == ("cement", 8, "bag", 34500)
        assert bills["Mahesh"].total_paise == 276000 and bills["Rekha"].total_paise == 69000
    first_request, *retries = stub.requests
    assert first_request["json"]["model"] == "local-model"
    assert first_request["json"]["messages"][-1] == {"role": "user", "content": UNREAD}
    assert first_request["json"]["response_format"]["json_schema"]["strict"] is True
    assert len(retries) == 2  # the second message: a 500, retried once, then the offline engine
