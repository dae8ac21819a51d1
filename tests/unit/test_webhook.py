"""The Twilio webhooks through the Flask test client: signatures, storing once, status callbacks."""
from __future__ import annotations

import pytest
from rq import Queue
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Business, Message, MessageStatusEvent
from tests.helpers import OWNER, TOKEN, Twilio, free_port, inbound, new_sid, outbox

OTHER = "+919800000002"
PUBLIC = "https://munshi.example.com"


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def businesses(db: Database) -> list[Business]:
    with db.session() as s:
        return list(s.scalars(select(Business).order_by(Business.id)))


def queued_jobs(app) -> list[str]:  # type: ignore[no-untyped-def]
    rt = app.extensions["munshi"]
    return Queue(rt.config.queue_name, connection=rt.redis).get_job_ids()


def assert_twiml_ack(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.mimetype in ("application/xml", "text/xml")
    assert response.text.endswith("<Response/>")


# -- inbound messages --------------------------------------------------------------------------------

def test_signed_message_is_stored_pending_enqueued_and_acknowledged(app, twilio: Twilio,  # type: ignore[no-untyped-def]
                                                                   db: Database) -> None:
    response, form = twilio.send("bill Mahesh 8 bags cement at 345")
    assert_twiml_ack(response)
    [msg] = inbound(db)
    assert (msg.sid, msg.peer, msg.body, msg.status) == (form["MessageSid"], OWNER,
                                                          "bill Mahesh 8 bags cement at 345", "pending")
    assert msg.media == [] and msg.processed_at is None
    [biz] = businesses(db)
    assert (biz.phone, biz.name) == (OWNER, "Sharma Hardware")  # the sender's WhatsApp profile name
    assert msg.business_id == biz.id
    assert len(queued_jobs(app)) == 1  # handle_message waits on RQ for a worker
    assert outbox(db) == []  # nothing was understood or answered inside the request


def test_the_exact_fixture_form_is_accepted(twilio: Twilio, db: Database) -> None:
    from tests.helpers import TEXT_FORM

    assert_twiml_ack(twilio.post(TEXT_FORM))
    [msg] = inbound(db)
    assert msg.sid == TEXT_FORM["MessageSid"]


def test_voice_note_media_is_stored(twilio: Twilio, db: Database) -> None:
    from tests.helpers import VOICE_FORM

    response, _ = twilio.send(voice=True)
    assert_twiml_ack(response)
    [msg] = inbound(db)
    assert msg.body == ""
    assert msg.media == [{"url": VOICE_FORM["MediaUrl0"], "content_type": "audio/ogg"}]


def test_hindi_text_is_signed_and_stored_unchanged(twilio: Twilio, db: Database) -> None:
    body = "महेश को 8 बैग सीमेंट 345 पर बिल करो 🧾"
    assert_twiml_ack(twilio.send(body)[0])
    assert inbound(db)[0].body == body


@pytest.mark.parametrize("case", ["forged", "missing", "empty", "other_url", "other_path", "tampered"])
def test_bad_signature_is_403_and_nothing_is_stored(app, twilio: Twilio, db: Database, case: str) -> None:
    form = twilio.message("hello")
    if case == "forged":
        forged = twilio.sign("http://localhost/twilio/whatsapp", form, "not-the-token")
        response = twilio.post(form, signature=forged)
    elif case == "missing":
        response = twilio.post(form, sign=False)
    elif case == "empty":
        response = twilio.post(form, sign=False, headers={"X-Twilio-Signature": ""})
    elif case == "other_url":
        response = twilio.post(form, signed_url="https://evil.example.com/twilio/whatsapp")
    elif case == "other_path":
        response = twilio.post(form, signed_url="http://localhost/twilio/status")
    else:  # signed, then the body changed on the way
        signature = twilio.sign("http://localhost/twilio/whatsapp", form)
        response = twilio.post({**form, "Body": "pay Suresh 50000"}, signature=signature)
    assert response.status_code == 403
    assert inbound(db) == [] and businesses(db) == []
    assert queued_jobs(app) == []


def test_public_base_url_is_the_signed_url(make_app, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = make_app(PUBLIC_BASE_URL=PUBLIC + "/")
    twilio = Twilio(TOKEN, client=app.test_client())
    form = twilio.message("hello")
    # Signed for the request's own URL: not what Twilio signs when a public URL is configured.
    assert twilio.post(form).status_code == 403
    assert_twiml_ack(twilio.post(form, signed_url=f"{PUBLIC}/twilio/whatsapp"))
    assert len(inbound(app.extensions["munshi"].db)) == 1


def test_behind_a_proxy_the_forwarded_url_is_the_signed_url(twilio: Twilio, db: Database) -> None:
    form = twilio.message("hello")
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "munshi.example.com"}
    assert_twiml_ack(twilio.post(form, signed_url=f"{PUBLIC}/twilio/whatsapp", headers=proxy))
    assert len(inbound(db)) == 1


def test_without_an_auth_token_signatures_are_not_checked(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(TWILIO_AUTH_TOKEN=None)
    twilio = Twilio(None, client=app.test_client())
    assert_twiml_ack(twilio.send("hello")[0])
    assert_twiml_ack(twilio.post(twilio.message("hi"), sign=False, headers={"X-Twilio-Signature": "garbage"}))
    assert len(inbound(app.extensions["munshi"].db)) == 2


@pytest.mark.parametrize("token", [TOKEN, None])
def test_body_over_one_megabyte_is_413(make_app, token: str | None) -> None:  # type: ignore[no-untyped-def]
    app = make_app(TWILIO_AUTH_TOKEN=token)
    twilio = Twilio(token, client=app.test_client())
    form = twilio.message("x" * (1024 * 1024 + 1))
    assert twilio.post(form).status_code == 413
    assert inbound(app.extensions["munshi"].db) == []


def test_a_long_message_under_one_megabyte_is_fine(twilio: Twilio, db: Database) -> None:
    assert_twiml_ack(twilio.send("x" * 500_000)[0])
    assert len(inbound(db)[0].body) == 500_000


def test_unknown_extra_twilio_fields_are_accepted(twilio: Twilio, db: Database) -> None:
    extra = {"ButtonText": "Yes", "ButtonPayload": "yes", "Latitude": "19.07", "Longitude": "72.87",
             "ChannelMetadata": '{"type":"whatsapp","data":{"context":{"ProfileName":"Sharma"}}}',
             "OriginalRepliedMessageSid": "SM" + "1" * 32, "SomethingTwilioAddsNextYear": "?"}
    response, _ = twilio.send("yes", **extra)
    assert_twiml_ack(response)
    assert len(inbound(db)) == 1


def test_the_same_message_sid_twice_is_stored_and_enqueued_once(app, twilio: Twilio, db: Database) -> None:
    form = twilio.message("invoice Suresh")
    assert_twiml_ack(twilio.post(form))
    assert_twiml_ack(twilio.post(form))  # Twilio's retry is acknowledged too
    assert len(inbound(db)) == 1
    assert len(queued_jobs(app)) == 1


def test_messages_with_different_sids_are_all_kept(twilio: Twilio, db: Database) -> None:
    for text in ("invoice Suresh", "4 boxes tiles at 1200"):
        assert_twiml_ack(twilio.send(text)[0])
    assert [m.body for m in inbound(db)] == ["invoice Suresh", "4 boxes tiles at 1200"]
    assert len(businesses(db)) == 1  # one sender, one business


def test_each_sender_gets_a_business_of_its_own(twilio: Twilio, db: Database) -> None:
    twilio.send("hello", sender=OWNER)
    twilio.send("hello", sender=OTHER, ProfileName="Gupta Tiles")
    assert {(b.phone, b.name) for b in businesses(db)} == {(OWNER, "Sharma Hardware"), (OTHER, "Gupta Tiles")}
    by_phone = {b.phone: b.id for b in businesses(db)}
    assert {m.peer: m.business_id for m in inbound(db)} == by_phone


def test_allowed_senders_outsider_is_stored_without_a_business(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(ALLOWED_SENDERS=f" {OWNER} ")
    db = app.extensions["munshi"].db
    twilio = Twilio(TOKEN, client=app.test_client())
    assert_twiml_ack(twilio.send("hello", sender=OTHER)[0])
    assert_twiml_ack(twilio.send("hello", sender=OWNER)[0])
    stored = {m.peer: m for m in inbound(db)}
    assert stored[OTHER].business_id is None and stored[OTHER].status == "pending"  # kept, refused later
    assert [b.phone for b in businesses(db)] == [OWNER]
    assert stored[OWNER].business_id == businesses(db)[0].id


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_a_form_without_sid_or_sender_is_400(twilio: Twilio, db: Database, missing: str) -> None:
    form = twilio.message("hello")
    del form[missing]
    if missing == "MessageSid":
        del form["SmsMessageSid"]
    assert twilio.post(form).status_code == 400
    assert inbound(db) == []


def test_get_is_not_allowed(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/twilio/whatsapp").status_code == 405


def test_redis_down_still_acknowledges_and_keeps_the_message(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    twilio = Twilio(TOKEN, client=app.test_client())
    assert_twiml_ack(twilio.send("hello")[0])
    [msg] = inbound(app.extensions["munshi"].db)
    assert msg.status == "pending"  # the sweeper enqueues it once Redis is back


# -- status callbacks ---------------------------------------------------------------------------------

@pytest.fixture
def sent(db: Database) -> str:
    """An outbound message Twilio accepted; returns its MessageSid."""
    sid = new_sid()
    with db.session() as s:
        s.add(Message(direction="out", sid=sid, peer=OWNER, body="Invoice INV-0001", status="sent",
                      idempotency_key="test-out-1"))
    return sid


def out_status(db: Database, sid: str) -> tuple[str, str | None]:
    with db.session() as s:
        msg = s.scalar(select(Message).where(Message.sid == sid))
        assert msg is not None
        return str(msg.status), msg.error


def post_status(twilio: Twilio, sid: str, status: str, error_code: str | None = None):  # type: ignore[no-untyped-def]
    return twilio.post(twilio.status(sid, status, error_code), "/twilio/status")


def test_status_callback_updates_the_message(twilio: Twilio, db: Database, sent: str) -> None:
    response = post_status(twilio, sent, "delivered")
    assert response.status_code in (200, 204)
    assert out_status(db, sent) == ("delivered", None)
    assert count(db, MessageStatusEvent) == 1


def test_status_callback_is_deduplicated_on_sid_and_status(twilio: Twilio, db: Database, sent: str) -> None:
    for _ in range(3):
        assert post_status(twilio, sent, "delivered").status_code in (200, 204)
    assert post_status(twilio, sent, "read").status_code in (200, 204)
    with db.session() as s:
        rows = s.scalars(select(MessageStatusEvent).order_by(MessageStatusEvent.id))
        events = [(e.sid, e.status) for e in rows]
    assert events == [(sent, "delivered"), (sent, "read")]


@pytest.mark.parametrize(("sequence", "final"), [
    (["delivered", "read"], "read"),
    (["read", "delivered"], "read"),  # callbacks can arrive out of order
    (["delivered", "sent"], "delivered"),
    (["queued"], "sent"),
    (["read", "sent", "queued", "delivered"], "read"),
    (["SENT", "Delivered"], "delivered"),
])
def test_status_only_moves_forward(twilio: Twilio, db: Database, sent: str, sequence: list[str],
                                   final: str) -> None:
    for status in sequence:
        assert post_status(twilio, sent, status).status_code in (200, 204)
    assert out_status(db, sent)[0] == final


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_failure_is_recorded_with_its_error_code(twilio: Twilio, db: Database, sent: str,
                                                 status: str) -> None:
    assert post_status(twilio, sent, status, "63016").status_code in (200, 204)
    state, error = out_status(db, sent)
    assert state == status
    assert error and "63016" in error


def test_status_callback_needs_a_valid_signature(twilio: Twilio, db: Database, sent: str) -> None:
    form = twilio.status(sent, "read")
    assert twilio.post(form, "/twilio/status", sign=False).status_code == 403
    other_url = "http://localhost/twilio/whatsapp"
    assert twilio.post(form, "/twilio/status", signed_url=other_url).status_code == 403
    assert out_status(db, sent) == ("sent", None)
    assert count(db, MessageStatusEvent) == 0


def test_status_of_an_unknown_message_is_acknowledged(twilio: Twilio, db: Database) -> None:
    assert post_status(twilio, new_sid(), "delivered").status_code in (200, 204)


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
def test_status_callback_without_sid_or_status_is_400(twilio: Twilio, sent: str, missing: str) -> None:
    form = twilio.status(sent, "delivered")
    del form[missing]
    assert twilio.post(form, "/twilio/status").status_code == 400


@pytest.mark.parametrize(("address", "phone"), [
    ("whatsapp:+919800000001", "+919800000001"),
    ("whatsapp: 919800000001", "+919800000001"),  # an unencoded '+' arrives as a space
    ("+14155238886", "+14155238886"),
])
def test_the_sender_is_kept_in_e164(address: str, phone: str) -> None:
    from bot.webhooks.twilio import phone_of

    assert phone_of(address) == phone
