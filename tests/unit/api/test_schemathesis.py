"""Schemathesis against ``/openapi.json`` with a valid token: no request, however odd, gets a 5xx.

Each generated request is sent twice: as generated (random ids: 404s,
validation errors) and with its path ids swapped for real records of the
caller's business, so the handlers behind the 404 see fuzzed queries and
bodies too. The rate limits are lifted for this test (they are tested in
``test_rate_limits.py``).
"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from bot.api.auth import create_api_token  # noqa: E402

PARAM_RECORD = {"flow_id": "flow", "run_id": "run", "invoice_id": "invoice", "payment_id": "payment",
                "product_id": "product", "customer_id": "customer", "message_id": "message",
                "token_id": "spare_token", "template_id": "template"}


@pytest.fixture
def live_worker(app):
    """A worker registered on the test's queue (so /healthz?strict=1 is healthy), without running one."""
    from rq import Worker

    rt = app.extensions["munshi"]
    worker = Worker([rt.queue], connection=rt.redis)
    worker.register_birth()
    worker.heartbeat()
    yield worker
    worker.register_death()


@pytest.fixture
def api_schema(app, tenants, live_worker):
    app.config.update(API_RATE_LIMIT="100000/minute", EXECUTE_RATE_LIMIT="100000/minute")
    with app.extensions["munshi"].db.session() as s:
        row, _ = create_api_token(s, tenants.a.business_id, "spare")
        tenants.a.ids["spare_token"] = row.id
    tenants.a.ids["template"] = "daily-sales-summary"
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE,
                                           schemathesis.GenerationMode.NEGATIVE])
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


_CALLED_WITH_REAL_IDS: set[tuple[str, str]] = set()


def _check(response, case, label):
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} ({label}) answered {response.status_code}: {response.text[:500]}")


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_request_gets_a_server_error(case, tenants):
    headers = dict(tenants.a.headers)
    _check(case.call(headers=headers), case, "as generated")
    plain = not case.query and case.body is None  # nothing fuzzed but the ids: real ids once is enough
    if plain and (case.method, case.path) in _CALLED_WITH_REAL_IDS:
        return
    _CALLED_WITH_REAL_IDS.add((case.method, case.path))
    if case.path_parameters:
        case.path_parameters = {k: tenants.a.ids.get(PARAM_RECORD.get(k, ""), v)
                                for k, v in case.path_parameters.items()}
        _check(case.call(headers=headers), case, "with real ids")
