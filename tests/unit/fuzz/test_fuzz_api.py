"""Schemathesis on ``/openapi.json`` as an outsider: no token, a forged one, or another business's.

``tests/unit/api/test_schemathesis.py`` fuzzes every operation as the owner (no 5xx, with real ids too).
Here the same generated requests come from callers who must get nothing. Without credentials, with a
made-up token or with the right token under another scheme, every ``/api`` operation answers 401 (or
404/405 when the path or the method routes nowhere). With business B's genuine token and business A's
real ids in the path, nothing answers 2xx with A's data. In every case: no 5xx. Schemathesis 4.x
(``requirements-dev.txt``) calls the app in-process over WSGI.
"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.unit.api.conftest import Tenants, seed_shop  # noqa: E402

PARAM_RECORD = {"flow_id": "flow", "run_id": "run", "invoice_id": "invoice", "payment_id": "payment",
                "product_id": "product", "customer_id": "customer", "message_id": "message", "token_id": "token"}


@pytest.fixture
def tenants(db) -> Tenants:
    return Tenants(seed_shop(db, "+919800000001", "Sharma Hardware"),
                   seed_shop(db, "+919800000002", "Gupta Electricals", customer_name="Suresh"))


@pytest.fixture
def outsider_schema(app, tenants):
    app.config.update(API_RATE_LIMIT="1000000/minute", EXECUTE_RATE_LIMIT="1000000/minute")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE,
                                           schemathesis.GenerationMode.NEGATIVE])
    return schema


schema = schemathesis.pytest.from_fixture("outsider_schema")


def _text(response) -> str:
    return response.text[:300] if hasattr(response, "text") else ""


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_outsiders_get_401_or_nothing_and_never_a_5xx(case, tenants):
    if not case.path.startswith("/api/"):
        return  # /healthz and /metrics are public (and answer 503 by design with no worker running)
    for label, headers in (("no token", {}), ("forged token", {"Authorization": "Bearer mk_" + "A" * 43}),
                           ("other scheme", {"Authorization": f"Basic {tenants.a.token}"})):
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} ({label}): {_text(response)}"
        # 404/405: a path that routes nowhere (/api/invoices/null) or a method it does not have
        assert response.status_code in (401, 404, 405), \
            f"{case.method} {case.formatted_path} ({label}) answered {response.status_code}"
        assert "Sharma" not in _text(response) and "Gupta" not in _text(response)
    # Business B's real token, business A's real ids.
    if case.path_parameters and "template_id" not in case.path_parameters:  # the gallery is shared
        case.path_parameters = {k: tenants.a.ids.get(PARAM_RECORD.get(k, ""), v)
                                for k, v in case.path_parameters.items()}
        response = case.call(headers=dict(tenants.b.headers))
        assert response.status_code < 500, f"{case.method} {case.formatted_path} (B on A's ids): {_text(response)}"
        if case.method.upper() == "OPTIONS":  # Flask's automatic answer: the allowed methods, no content
            assert _text(response) == ""
            return
        assert not 200 <= response.status_code < 300, \
            f"{case.method} {case.formatted_path}: B got {response.status_code} on A's record: {_text(response)}"
        assert "Sharma" not in _text(response)
