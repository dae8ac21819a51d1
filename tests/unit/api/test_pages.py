"""The dashboard and the simulator, through the test client (the browser tests are in tests/e2e)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rq import Queue
from sqlalchemy import select

from bot.api.auth import create_login_link
from bot.scheduling import message_job_id
from storage.models import Customer, Message, Product

VOICE = Path(__file__).resolve().parents[2] / "fixtures" / "voice" / "bill_mahesh.ogg"
SIM = {"X-Munshi-Simulator": "1"}


def _log_in(client, db, business_id, config):
    with db.session() as s:
        link = create_login_link(s, business_id, config)
    assert client.post("/" + link.split("/", 3)[3]).status_code == 303


PAGES = ["/dashboard", "/dashboard/flows", "/dashboard/invoices", "/dashboard/payments", "/dashboard/stock",
         "/dashboard/customers", "/dashboard/analytics", "/dashboard/analytics?days=7", "/dashboard/settings",
         "/dashboard/templates", "/dashboard/invoices?status=paid&page=2"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_login(client, url):
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")


def test_every_page_renders_for_the_owner(client, db, tenants, config):
    _log_in(client, db, tenants.a.business_id, config)
    for url in [*PAGES, f"/dashboard/flows/{tenants.a.ids['flow']}", f"/dashboard/runs/{tenants.a.ids['run']}"]:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "Sharma Hardware" in resp.get_data(as_text=True), url


def test_names_and_messages_are_escaped(client, db, tenants, config):
    evil = '<script>alert("x")</script>'
    with db.session() as s:
        s.get(Customer, tenants.a.ids["customer"]).name = evil
        s.get(Product, tenants.a.ids["product"]).name = evil
    _log_in(client, db, tenants.a.business_id, config)
    for url in ("/dashboard/invoices", "/dashboard/stock", "/dashboard/customers", "/dashboard"):
        page = client.get(url).get_data(as_text=True)
        assert evil not in page, url
        assert "&lt;script&gt;" in page, url


def test_stock_page_marks_low_stock(client, db, tenants, config):
    _log_in(client, db, tenants.a.business_id, config)
    page = client.get("/dashboard/stock").get_data(as_text=True)
    assert 'class="low"' in page and "⚠ low" in page


def test_invoice_page_links_the_pdf(client, db, tenants, config):
    _log_in(client, db, tenants.a.business_id, config)
    page = client.get("/dashboard/invoices").get_data(as_text=True)
    link = page.split('href="/invoices/', 1)[1].split('"', 1)[0]
    assert client.get("/invoices/" + link).data.startswith(b"%PDF")


def test_run_page_streams_progress(client, db, tenants, config):
    _log_in(client, db, tenants.a.business_id, config)
    run_id = tenants.a.ids["run"]
    page = client.get(f"/dashboard/runs/{run_id}").get_data(as_text=True)
    assert 'data-node="thank_customer"' in page and 'class="failed"' in page
    resp = client.get(f"/dashboard/runs/{run_id}/events")
    assert resp.mimetype == "text/event-stream"
    text = resp.get_data(as_text=True)  # the run is finished: one state, then done
    events = [block for block in text.split("\n\n") if block.startswith("event: run")]
    data = json.loads(events[0].split("data: ", 1)[1])
    assert data["status"] == "failed" and {r["id"]: r["status"] for r in data["rows"]} == {
        "trigger_1": "succeeded", "thank_customer": "failed"}
    assert "event: done" in text


# ------------------------------------------------------------------ simulator


def _jobs(app):
    rt = app.extensions["munshi"]
    return Queue(rt.config.queue_name, connection=rt.redis).get_job_ids()


def test_simulator_page(client):
    page = client.get("/simulator?phone=9811122233").get_data(as_text=True)
    assert 'value="+919811122233"' in page and "simulator.js" in page


def test_simulator_send_drives_the_webhook_pipeline(app, client, db):
    resp = client.post("/simulator/send", data={"phone": "98111 22233", "body": "bill Tarun 3 fans at 1800"},
                       headers=SIM)
    assert resp.status_code == 202
    msg_id = resp.get_json()["id"]
    with db.session() as s:
        msg = s.get(Message, msg_id)
        assert msg.direction == "in" and msg.peer == "+919811122233" and msg.status == "pending"
        assert msg.body == "bill Tarun 3 fans at 1800" and msg.business_id is not None
    assert message_job_id(msg_id, app.extensions["munshi"].config.queue_name) in _jobs(app)


def test_simulator_voice_note_is_saved_under_media(app, client, db, config):
    with VOICE.open("rb") as fh:
        resp = client.post("/simulator/send", data={"phone": "+919811122233", "voice": (fh, "note.ogg")},
                           headers=SIM, content_type="multipart/form-data")
    assert resp.status_code == 202
    with db.session() as s:
        msg = s.get(Message, resp.get_json()["id"])
        (media,) = msg.media
    path = Path(media["path"])
    assert media["content_type"] == "audio/ogg" and path.parent == config.home / "media"
    assert path.read_bytes() == VOICE.read_bytes()


def test_simulator_refuses_what_is_not_a_voice_note(client):
    resp = client.post("/simulator/send", data={"phone": "+919811122233", "voice": (__import__("io").BytesIO(b"MZ"),
                                                                                    "evil.exe")},
                       headers=SIM, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert client.post("/simulator/send", data={"phone": "hello", "body": "x"}, headers=SIM).status_code == 422
    assert client.post("/simulator/send", data={"phone": "+919811122233"}, headers=SIM).status_code == 422
    # another site's form cannot post as the owner
    assert client.post("/simulator/send", data={"phone": "+919811122233", "body": "yes"}).status_code == 403


def test_simulator_messages_split_chat_and_others(client, db):
    client.post("/simulator/send", data={"phone": "+919811122233", "body": "hi"}, headers=SIM)
    with db.session() as s:
        biz_id = s.scalar(select(Message.business_id).where(Message.peer == "+919811122233"))
        s.add(Message(business_id=biz_id, direction="out", peer="+919811122233", body="Hello <b>owner</b>",
                      status="sent", media=[{"url": "http://127.0.0.1:5000/invoices/x.pdf"}]))
        s.add(Message(business_id=biz_id, direction="out", peer="+919876500000", body="Thanks for paying",
                      status="sent"))
        s.add(Message(business_id=None, direction="out", peer="+910000000000", body="someone else", status="sent"))
    body = client.get("/simulator/messages?phone=%2B919811122233&after=0").get_json()
    assert [m["body"] for m in body["chat"]] == ["hi", "Hello <b>owner</b>"]
    assert [m["peer"] for m in body["others"]] == ["+919876500000"]
    assert body["typing"] is True and body["last_id"] >= body["chat"][-1]["id"]
    later = client.get(f"/simulator/messages?phone=%2B919811122233&after={body['last_id']}").get_json()
    assert later["chat"] == [] and later["others"] == []


def test_simulator_is_off_in_production(app, client, monkeypatch):
    monkeypatch.setenv("MUNSHI_ENV", "production")
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/send", data={"phone": "+919811122233", "body": "x"}, headers=SIM).status_code == 404
    monkeypatch.setenv("SIMULATOR_ENABLED", "1")
    assert client.get("/simulator").status_code == 200
    app.config["SIMULATOR_ENABLED"] = False
    assert client.get("/simulator").status_code == 404


def test_pages_send_security_headers(client, db, tenants, config):
    _log_in(client, db, tenants.a.business_id, config)
    for url in ("/dashboard", "/simulator", "/login"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Referrer-Policy"] == "no-referrer"


def test_templates_have_no_inline_scripts_or_handlers():
    import re

    folder = Path(__file__).resolve().parents[3] / "bot" / "templates"
    for path in folder.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "|safe" not in text.replace(" ", ""), path
