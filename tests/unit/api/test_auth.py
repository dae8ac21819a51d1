"""Who may call the API: API tokens (hashed at rest), one-time login links, the session and its CSRF token."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from bot.api.auth import MAX_TOKENS, create_login_link, create_login_token, hash_token
from intents.handlers.dashboard import dashboard_link
from intents.handlers.types import Turn
from storage.models import ApiToken, utcnow


def test_no_token_is_401_problem(client, tenants):
    resp = client.get("/api/workflows")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized") and body["instance"] == "/api/workflows"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_and_malformed_tokens_are_401(client, tenants):
    for header in ("Bearer mk_nope", "Bearer " + tenants.a.token + "x", "Basic " + tenants.a.token, "Bearer",
                   "Bearer " + "a" * 5000):
        assert client.get("/api/me", headers={"Authorization": header}).status_code == 401, header


def test_token_works_and_names_its_business(client, tenants):
    resp = client.get("/api/me", headers=tenants.a.headers)
    assert resp.status_code == 200
    assert resp.get_json()["phone"] == "+919800000001"
    assert client.get("/api/me", headers=tenants.b.headers).get_json()["phone"] == "+919800000002"


def test_tokens_are_stored_as_sha256_only(db, tenants):
    with db.session() as s:
        rows = list(s.scalars(select(ApiToken)))
    stored = {r.token_hash for r in rows}
    assert hash_token(tenants.a.token) in stored
    assert hash_token(tenants.a.token) == hashlib.sha256(tenants.a.token.encode()).hexdigest()
    assert all(tenants.a.token not in (r.token_hash, r.name) for r in rows)


def test_make_list_and_revoke_tokens(client, db, tenants):
    made = client.post("/api/tokens", json={"name": "Tally sync"}, headers=tenants.a.headers)
    assert made.status_code == 201
    new = made.get_json()
    assert new["token"].startswith("mk_") and new["name"] == "Tally sync" and new["active"]
    listed = client.get("/api/tokens", headers=tenants.a.headers).get_json()["items"]
    assert {t["id"] for t in listed} >= {new["id"], tenants.a.ids["token"]}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # B sees none of A's tokens and cannot revoke them
    assert new["id"] not in {t["id"] for t in client.get("/api/tokens", headers=tenants.b.headers).get_json()["items"]}
    assert client.delete(f"/api/tokens/{new['id']}", headers=tenants.b.headers).status_code == 404
    # the new token works until revoked
    h = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/api/me", headers=h).status_code == 200
    assert client.delete(f"/api/tokens/{new['id']}", headers=tenants.a.headers).status_code == 204
    assert client.get("/api/me", headers=h).status_code == 401
    assert client.delete(f"/api/tokens/{new['id']}", headers=tenants.a.headers).status_code == 204  # idempotent
    revoked = next(t for t in client.get("/api/tokens", headers=tenants.a.headers).get_json()["items"]
                   if t["id"] == new["id"])
    assert revoked["revoked_at"] and not revoked["active"]


def test_a_business_has_a_bounded_number_of_tokens(client, tenants):
    for _ in range(MAX_TOKENS - 1):
        assert client.post("/api/tokens", json={}, headers=tenants.a.headers).status_code == 201
    resp = client.post("/api/tokens", json={}, headers=tenants.a.headers)
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"


def _login(client, db, business_id, config):
    with db.session() as s:
        link = create_login_link(s, business_id, config)
    path = link.split("://", 1)[1].split("/", 1)[1]
    return "/" + path


def test_dashboard_intent_replies_with_a_one_time_link(app, db, tenants, config):
    with db.session() as s:
        turn = Turn(session=s, business_id=tenants.a.business_id, runtime=app.extensions["munshi"])
        out = dashboard_link(turn, SimpleNamespace(text="dashboard"))
    assert "http://127.0.0.1:5000/login/" in out.replies[0]
    with db.session() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.kind == "login")).one()
    assert row.business_id == tenants.a.business_id and row.expires_at is not None and row.used_at is None


def test_login_link_starts_a_session_once(client, db, tenants, config):
    path = _login(client, db, tenants.a.business_id, config)
    page = client.get(path)  # a link preview must not spend it
    assert page.status_code == 200 and b"Open my dashboard" in page.data
    assert client.get(path).status_code == 200
    resp = client.post(path)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dashboard")
    me = client.get("/api/me")
    assert me.status_code == 200 and me.get_json()["id"] == tenants.a.business_id
    # used: a second click (or someone else) gets nothing
    other = client.application.test_client()
    assert other.post(path).status_code == 410
    assert other.get(path).status_code == 410
    assert other.get("/api/me").status_code == 401


def test_expired_login_link_is_refused(client, db, tenants):
    with db.session() as s:
        raw = create_login_token(s, tenants.a.business_id, ttl=timedelta(seconds=-1))
    assert client.get(f"/login/{raw}").status_code == 410
    assert client.post(f"/login/{raw}").status_code == 410
    assert client.get("/api/me").status_code == 401


def test_session_writes_need_the_csrf_token(client, db, tenants, config):
    client.post(_login(client, db, tenants.a.business_id, config))
    assert client.post("/api/tokens", json={"name": "x"}).status_code == 403
    assert client.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    page = client.get("/dashboard/settings")
    csrf = page.data.decode().split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    assert client.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.get("/api/tokens").status_code == 200  # reads need no CSRF token


def test_revoking_a_login_ends_that_session(client, db, tenants, config):
    client.post(_login(client, db, tenants.a.business_id, config))
    assert client.get("/dashboard").status_code == 200
    with db.session() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.kind == "login")).one()
        row.revoked_at = utcnow()
    assert client.get("/api/me").status_code == 401
    assert client.get("/dashboard").status_code == 302


def test_logout(client, db, tenants, config):
    client.post(_login(client, db, tenants.a.business_id, config))
    assert client.post("/logout").status_code == 303
    assert client.get("/api/me").status_code == 401
    assert client.get("/dashboard").headers["Location"].endswith("/login")
