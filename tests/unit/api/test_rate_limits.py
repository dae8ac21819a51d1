"""Rate limits on Redis: per business on the API (execute 10/minute), per sender on the Twilio webhook."""
from __future__ import annotations

from storage.models import Message


def _retry_after(resp) -> int:
    value = resp.headers.get("Retry-After")
    assert value is not None, dict(resp.headers)
    assert value.isdigit() and 0 <= int(value) <= 60
    return int(value)


def test_execute_is_limited_to_10_a_minute_per_business(client, tenants):
    body = {"flow_id": tenants.a.ids["flow"]}
    codes = [client.post("/api/workflow/execute", json=body, headers=tenants.a.headers).status_code
             for _ in range(10)]
    assert codes == [202] * 10
    resp = client.post("/api/workflow/execute", json=body, headers=tenants.a.headers)
    assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"].endswith("/too-many-requests")
    _retry_after(resp)
    # other endpoints of the same business and the same endpoint of another business still answer
    assert client.get("/api/workflows", headers=tenants.a.headers).status_code == 200
    other = client.post("/api/workflow/execute", json={"flow_id": tenants.b.ids["flow"]}, headers=tenants.b.headers)
    assert other.status_code == 202


def test_api_limit_is_per_business(app, client, tenants):
    app.config["API_RATE_LIMIT"] = "3/minute"
    for _ in range(3):
        assert client.get("/api/me", headers=tenants.a.headers).status_code == 200
    resp = client.get("/api/workflows", headers=tenants.a.headers)
    assert resp.status_code == 429
    _retry_after(resp)
    assert client.get("/api/me", headers=tenants.b.headers).status_code == 200
    # a second token of the same business shares its allowance
    with app.extensions["munshi"].db.session() as s:
        from bot.api.auth import create_api_token

        _, raw = create_api_token(s, tenants.a.business_id)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 429


def test_webhook_is_limited_per_sender(app, twilio, db):
    app.config["WEBHOOK_RATE_LIMIT"] = "2/minute"
    for _ in range(2):
        resp, _ = twilio.send("hello", sender="+919811111111")
        assert resp.status_code == 200
    resp, form = twilio.send("one more", sender="+919811111111")
    assert resp.status_code == 429
    _retry_after(resp)
    with db.session() as s:  # kept all the same (Twilio does not retry): pending, for the sweeper to hand on
        [kept] = s.query(Message).filter_by(sid=form["MessageSid"]).all()
        assert (kept.status, kept.body) == ("pending", "one more")
    resp, _ = twilio.send("hello", sender="+919822222222")
    assert resp.status_code == 200


def test_forged_webhooks_do_not_use_up_a_senders_allowance(app, twilio):
    app.config["WEBHOOK_RATE_LIMIT"] = "2/minute"
    for _ in range(5):
        form = twilio.message("forged", sender="+919833333333")
        assert twilio.post(form, signature="bad").status_code in (403, 429)
    resp, _ = twilio.send("real", sender="+919833333333")
    assert resp.status_code == 200


def test_status_callbacks_are_not_limited(app, twilio):
    app.config["WEBHOOK_RATE_LIMIT"] = "1/minute"
    for i in range(3):
        assert twilio.post(twilio.status(f"SM{i}", "delivered"), "/twilio/status").status_code == 204


def test_an_invoice_pdf_link_is_limited_per_invoice(app, client, tenants):
    from tools.pdf import PDF_ROUTE, sign_invoice

    app.config["PDF_RATE_LIMIT"] = "2/minute"
    key = app.extensions["munshi"].config.secret_key
    link = PDF_ROUTE.format(token=sign_invoice(key, tenants.a.business_id, tenants.a.ids["invoice"]))
    for _ in range(3):  # a forged link answers 404 and uses up nothing
        assert client.get(PDF_ROUTE.format(token="forged")).status_code == 404
    for _ in range(2):
        resp = client.get(link)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    resp = client.get(link)
    assert resp.status_code == 429
    _retry_after(resp)
    other = PDF_ROUTE.format(token=sign_invoice(key, tenants.b.business_id, tenants.b.ids["invoice"]))
    assert client.get(other).status_code == 200
