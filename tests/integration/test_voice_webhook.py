"""A WhatsApp voice note end to end: signed webhook → media from a stand-in Twilio API (basic auth,
redirect to a CDN that gets no credentials) → a real worker transcribes it → the payment exists."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from bot.config import Config
from storage import queries
from storage.db import Database
from storage.models import Customer, Message, Payment
from tests.helpers import OWNER, Twilio, outbox
from tests.integration.test_media_fetch import MEDIA_PATH, SID, TOKEN, Server, servers  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_voice_note_through_the_webhook_records_the_payment(make_app, servers, workers,  # noqa: F811
                                                             wait_handled) -> None:  # type: ignore[no-untyped-def]
    api, cdn = servers
    app = make_app(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN, WHATSAPP_TRANSPORT="outbox",
                   TWILIO_API_BASE=api.url)
    rt = app.extensions["munshi"]
    config: Config = rt.config
    db: Database = rt.db
    with db.session() as s:
        biz = queries.get_or_create_business(s, OWNER)
        s.add(Customer(business_id=biz.id, name="Rekha Nair"))
    workers.start(config)
    twilio = Twilio(TOKEN, client=app.test_client())
    form = twilio.message(voice=True, MediaUrl0=api.url + MEDIA_PATH, MediaContentType0="audio/ogg; codecs=opus")
    assert twilio.post(form).status_code == 200

    def handled() -> Message | None:
        with db.session() as s:
            msg = s.scalar(select(Message).where(Message.sid == form["MessageSid"]))
            return msg if msg is not None and msg.status in ("done", "failed") else None

    msg = wait_handled(handled, what="the voice note to be transcribed and handled", timeout=90)
    assert msg.status == "done", msg.error
    assert "rekha" in (msg.transcript or "").lower()
    with db.session() as s:
        pay = s.scalars(select(Payment)).one()
        assert pay.amount_paise == 1200_00
        assert s.get(Customer, pay.customer_id).name == "Rekha Nair"
    [reply] = [m for m in outbox(db, OWNER)]
    assert reply.body.startswith("🎤")
    # Twilio's API got the credentials; the CDN it redirected to got none.
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert api.behaviour.seen[0]["headers"].get("authorization") == expected
    assert "authorization" not in cdn.behaviour.seen[0]["headers"]
