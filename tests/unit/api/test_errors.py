"""Errors are JSON problem details; requests are validated with pydantic."""
from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    body = resp.get_json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body


def test_unknown_api_path_and_method(client, tenants):
    _problem(client.get("/api/nothing-here", headers=tenants.a.headers), 404)
    body = _problem(client.patch("/api/workflows", headers=tenants.a.headers), 405)
    assert body["title"] == "Method Not Allowed"
    # pages keep their HTML errors
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_body_must_be_json(client, tenants):
    h = tenants.a.headers
    _problem(client.post("/api/workflow/draft", data="text=hi", headers=h,
                         content_type="application/x-www-form-urlencoded"), 415)
    _problem(client.post("/api/workflow/draft", data="{not json", headers=h, content_type="application/json"), 400)
    _problem(client.post("/api/workflow/draft", json=["a", "list"], headers=h), 422)


def test_validation_lists_each_problem(client, tenants):
    body = _problem(client.post("/api/workflow/save", json={"name": "", "blueprint": {"nodes": "x"}, "extra": 1},
                                headers=tenants.a.headers), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "blueprint.nodes", "extra"} <= fields
    assert all(e["in"] == "body" and e["message"] for e in body["errors"])


@pytest.mark.parametrize("query", [{"page": 0}, {"per_page": 101}, {"page": "two"}, {"sort": "price"},
                                   {"status": "gone"}])
def test_query_validation(client, tenants, query):
    body = _problem(client.get("/api/workflows", query_string=query, headers=tenants.a.headers), 422)
    assert body["errors"][0]["in"] == "query"


def test_nul_characters_and_odd_ids_are_refused_cleanly(client, tenants):
    h = tenants.a.headers
    _problem(client.get("/api/workflows", query_string={"q": "a\x00b"}, headers=h), 422)
    _problem(client.post("/api/workflow/draft", json={"text": "when paid\x00"}, headers=h), 422)
    _problem(client.get("/api/workflows/%00abc", headers=h), 404)
    _problem(client.get("/api/workflows/" + "x" * 300, headers=h), 404)
    _problem(client.get("/api/invoices/99999999999999999999999", headers=h), 404)
    _problem(client.get("/api/invoices/0", headers=h), 404)


def test_problem_details_escape_nothing_into_html(client, tenants):
    resp = client.get("/api/workflows/<script>", headers=tenants.a.headers)
    assert resp.mimetype == PROBLEM


def test_openapi_describes_every_api_route(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    import re

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in /openapi.json"
    for path in ("/healthz", "/metrics", "/openapi.json"):
        assert path in doc["paths"]
    execute = doc["paths"]["/api/workflow/execute"]["post"]
    assert "429" in execute["responses"] and "202" in execute["responses"]
    assert execute["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ExecuteRequest")
    assert "Blueprint" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
