"""One business never sees another's data: every id of business A answers 404 to business B, on every endpoint."""
from __future__ import annotations

import re

import pytest

from flows.templates import builtin

# Path parameter → which of the shop's records it names.
PARAM_RECORD = {"flow_id": "flow", "run_id": "run", "invoice_id": "invoice", "payment_id": "payment",
                "product_id": "product", "customer_id": "customer", "message_id": "message", "token_id": "token"}
# Bodies for operations that need one to get past validation.
BODIES = {("put", "/api/workflows/{flow_id}"): {"name": "Renamed"},
          ("post", "/api/workflows/{flow_id}/publish"): {}}
# The template gallery is shared by design (published templates are stripped for everyone to use).
SHARED = {"/api/workflow-templates/{template_id}"}


def _operations(client):
    doc = client.get("/openapi.json").get_json()
    for path, methods in doc["paths"].items():
        if "{" not in path or not path.startswith("/api/"):
            continue  # webhooks and signed links carry their own secrets, not a business's token
        for method in methods:
            yield method, path


def _fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[PARAM_RECORD[m.group(1)]]), path)


def test_every_id_endpoint_is_covered(client):
    ops = list(_operations(client))
    assert len(ops) >= 15
    names = {name for _, path in ops for name in re.findall(r"\{(\w+)\}", path)}
    assert names - set(PARAM_RECORD) == {"template_id"}


def test_other_business_gets_404_on_every_endpoint(client, tenants):
    checked = 0
    for method, path in _operations(client):
        if path in SHARED:
            continue
        url = _fill(path, tenants.a.ids)
        body = BODIES.get((method, path))
        resp = client.open(url, method=method.upper(), json=body, headers=tenants.b.headers)
        assert resp.status_code == 404, f"{method.upper()} {path} as B answered {resp.status_code}"
        assert resp.mimetype == "application/problem+json"
        assert "Sharma" not in resp.get_data(as_text=True)
        checked += 1
    assert checked >= 14


def test_owner_reaches_the_same_endpoints(client, tenants):
    """The ids used above are real: the owner gets a non-404 answer from each (writes last)."""
    ops = sorted(_operations(client), key=lambda op: op[0] == "delete")
    for method, path in ops:
        if path in SHARED:
            continue
        resp = client.open(_fill(path, tenants.a.ids), method=method.upper(), json=BODIES.get((method, path)),
                           headers=tenants.a.headers)
        assert resp.status_code != 404, f"{method.upper()} {path} as its owner answered 404: {resp.get_data()!r}"


def test_ids_in_bodies_are_scoped_too(client, tenants):
    flow_a = tenants.a.ids["flow"]
    resp = client.post("/api/workflow/execute", json={"flow_id": flow_a}, headers=tenants.b.headers)
    assert resp.status_code == 404
    blueprint = builtin("low-stock-alert").blueprint  # type: ignore[union-attr]
    resp = client.post("/api/workflow/save", json={"name": "x", "blueprint": blueprint, "flow_id": flow_a},
                       headers=tenants.b.headers)
    assert resp.status_code == 404
    with_a = client.get(f"/api/workflows/{flow_a}", headers=tenants.a.headers).get_json()
    assert with_a["version"] == 1 and with_a["name"] == "Thank customers"


@pytest.mark.parametrize("path", ["/api/workflows", "/api/invoices", "/api/payments", "/api/products",
                                  "/api/customers", "/api/messages", "/api/tokens"])
def test_lists_show_only_the_callers_records(client, tenants, path):
    items_a = client.get(path, headers=tenants.a.headers).get_json()["items"]
    items_b = client.get(path, headers=tenants.b.headers).get_json()["items"]
    assert items_a and items_b
    assert not {i["id"] for i in items_a} & {i["id"] for i in items_b}


def test_filters_cannot_reach_across(client, tenants):
    assert client.get("/api/messages", query_string={"peer": tenants.a.phone},
                      headers=tenants.b.headers).get_json()["items"] == []
    assert client.get(f"/api/workflows/{tenants.a.ids['flow']}/runs", headers=tenants.b.headers).status_code == 404
    runs = client.get("/api/workflows/analytics", headers=tenants.b.headers).get_json()
    assert {f["flow_id"] for f in runs["runs_per_flow"]} == {tenants.b.ids["flow"]}


def test_dashboard_pages_are_scoped(client, db, tenants, config):
    from bot.api.auth import create_login_link

    with db.session() as s:
        link = create_login_link(s, tenants.b.business_id, config)
    client.post("/" + link.split("/", 3)[3])
    for url in (f"/dashboard/flows/{tenants.a.ids['flow']}", f"/dashboard/runs/{tenants.a.ids['run']}",
                f"/dashboard/runs/{tenants.a.ids['run']}/events"):
        assert client.get(url).status_code == 404, url
    page = client.get("/dashboard/invoices").get_data(as_text=True)
    assert "Suresh" in page and "Ramesh" not in page
