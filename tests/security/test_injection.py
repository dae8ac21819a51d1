"""Injection: ``{{…}}`` variables and condition expressions that try to be code; HTML, script and SQL-ish
text in names and messages.

Already covered elsewhere: attribute access, dunder names, calls, lambdas,
comprehensions, f-strings, slices, ``2 ** 1000000``, ``'a' * 100000``, long
literals and deep nesting in conditions (``tests/unit/flows/test_flows_conditions.py``);
``{{trigger_data.__class__}}`` and other non-paths in templates
(``test_flows_template.py``); a customer and product renamed to ``<script>``
in the database and escaped on four dashboard pages (``tests/unit/api/test_pages.py``).

Here: expressions that are short to write and enormous to run (found: ``%``
formatting of text and lists multiplied inside lists could take gigabytes;
fixed), numbers too large to write in a message (found: an uncaught
``decimal.InvalidOperation``; fixed), data that looks like a template or code
(never run again), and hostile names arriving through the real doors
(Razorpay's payer name, a webhook feeding a flow, the API), stored literally,
escaped on every page that shows them, and printed as the same letters in
the invoice PDF (text extracted with `tests.security.pdftext`).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot import credentials
from bot.api.auth import create_login_link
from bot.errors import FlowError
from flows import conditions, store, template
from storage.models import Business, Customer, Invoice, Run
from tests.helpers import REPO, outbox
from tests.security.conftest import count, post_razorpay, razorpay_body
from tests.security.pdftext import pdf_text, squeezed
from tests.unit.flows_engine.conftest import chain, node, trigger, wa

EVIL_NAME = "<script>alert(\"pwn\")</script>'); DROP TABLE customers;-- Ramesh"
EVIL_PRODUCT = "<img src=x onerror=alert(1)> cement"
SECRET = "whsec-injection-0123456789"

# ------------------------------------------------------------------ conditions: small to write, huge to run

BOMBS = [
    '"%0999999999d" % 1 == "x"',              # printf padding: a gigabyte of zeros
    '"%*d" % (999999999, 1) == "x"',
    '("%s" * 3) % ("a", "b", "c") == "abc"',  # any formatting of text is refused, small or not
    "len(str([[[[0]*2000]*2000]*2000])) > 0",  # 8e9 items to print
    "[[[[0]*2000]*2000]*2000] == [[[[0]*2000]*2000]*2000]",  # 8e9 comparisons
    "max([[[0]*2000]*2000]*2000) == [1]",
    "len([[0]*2000]*2000 + [[0]*2000]*2000) > 0",
    'len(str(["a" * 9999] * 2000)) > 0',       # 20 MB of text, then refused: refused before
    "9**9**9 > 0",
    "(10**12)**100**2 > 0",
    "(999999999999**100)**100 > 0",
    "int('9' * 51) > 0",
    "-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(1)))))))))))))))))))))))))))))))) > 0",
    "[" * 40 + "1" + "]" * 40 + " == 1",
    "(" * 300 + "1" + ")" * 300,  # beyond the parser's own nesting limit
    "trigger_data" + "['a']" * 40,
]


def test_expression_bombs_are_refused_quickly_with_bounded_memory() -> None:
    """Each expression is evaluated in a child process limited to 1 GB of address space, so a regression
    fails this test instead of the machine; each must be refused with a FlowError within two seconds."""
    program = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from bot.errors import FlowError
from flows.conditions import evaluate
out = []
for expr in json.loads(sys.stdin.read()):
    started = time.perf_counter()
    try:
        evaluate(expr, {"trigger_data": {"a": {}}})
        result = "evaluated"
    except FlowError as exc:
        result = "refused: " + exc.message
    except BaseException as exc:
        result = "crashed: " + type(exc).__name__
    out.append([expr, result, time.perf_counter() - started])
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", program], input=json.dumps(BOMBS), capture_output=True,
                          text=True, cwd=REPO, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    for expr, result, seconds in json.loads(done.stdout):
        assert result.startswith("refused: "), f"{expr[:60]!r}: {result}"
        assert seconds < 2.0, f"{expr[:60]!r} took {seconds:.1f}s"


@pytest.mark.parametrize(("expr", "expected"), [
    ("7 % 3 == 1", True),
    ("len(['a'] * 200 + ['b'] * 200) == 400", True),
    ("str([1, 2]) == '[1, 2]'", True),
    ("'ab' * 3 == 'ababab'", True),
])
def test_ordinary_arithmetic_on_small_values_still_works(expr: str, expected: Any) -> None:
    assert conditions.evaluate(expr, {}) is expected


@pytest.mark.parametrize("data", [
    "__import__('os').system('id')",
    "{{business.phone}}",
    "trigger_data.__class__.__mro__",
    "1; DROP TABLE runs;--",
])
def test_data_that_looks_like_code_is_only_data(data: str) -> None:
    scope = {"trigger_data": {"note": data}}
    assert conditions.evaluate("trigger_data.note == " + json.dumps(data), scope) is True
    assert conditions.evaluate("len(trigger_data.note)", scope) == len(data)


# ------------------------------------------------------------------ templates


@pytest.mark.parametrize("value", ["{{business.phone}}", "{{trigger_data.secret}}", "{{ __import__ }}",
                                   "{{trigger_data.note}}"])
def test_values_are_filled_in_once_never_read_as_templates_again(value: str) -> None:
    scope = {"trigger_data": {"note": value, "secret": "s3cr3t"}, "business": {"phone": "+919800000001"}}
    assert template.resolve("Note: {{trigger_data.note}}!", scope) == f"Note: {value}!"
    assert template.resolve("{{trigger_data.note}}", scope) == value


@pytest.mark.parametrize("amount", [1e30, 10**40, -1e300, 10**5000], ids=["1e30", "10^40", "-1e300", "10^5000"])
def test_numbers_too_large_to_write_are_a_flow_error(amount: Any) -> None:
    with pytest.raises(FlowError):
        template.resolve("Got {{trigger_data.payment.amount}}", {"trigger_data": {"payment": {"amount": amount}}})


@pytest.mark.parametrize("text", ["{{" * 5000 + "x", "{{ " + "a." * 5000 + "b }}", "{{" + "x" * 100_000 + "}}",
                                  "}}{{" * 10_000, "{{a[" + "0][" * 3000 + "0]}}"],
                         ids=["opens", "long_path", "long_name", "closes_first", "deep_index"])
def test_long_and_odd_template_text_is_quick(text: str) -> None:
    started = time.perf_counter()
    try:
        template.resolve(text, {"a": [[0]], "x": 1})
        template.references(text)
    except FlowError:
        pass
    assert time.perf_counter() - started < 2.0


# ------------------------------------------------------------------ names through the real doors


def _login(app: Any, db: Any, business_id: int) -> Any:
    client = app.test_client()
    with db.session() as s:
        link = create_login_link(s, business_id, app.extensions["munshi"].config)
    assert client.post("/" + link.split("/", 3)[3]).status_code == 303
    return client


def _escaped(page: str, url: str) -> None:
    """The hostile markup is on the page only as text."""
    assert "<script>alert" not in page and "<img src=x" not in page, url
    assert EVIL_NAME not in page and EVIL_PRODUCT not in page, url


def test_a_payers_name_from_razorpay_is_stored_literally_and_escaped(app, db, shops) -> None:
    rt = app.extensions["munshi"]
    with db.session() as s:
        credentials.store(s, rt.config.secret_key, shops.a.business_id, "razorpay",
                          {"key_id": "k", "key_secret": "ks", "webhook_secret": SECRET})
        webhook_id = s.get(Business, shops.a.business_id).webhook_id
    data = razorpay_body(id="pay_evil_1", contact="+919111111111", email="evil@example.com",
                         notes={"customer": EVIL_NAME})
    assert post_razorpay(app.test_client(), f"/webhooks/razorpay/{webhook_id}", data, SECRET).status_code == 200
    with db.session() as s:
        names = list(s.scalars(select(Customer.name).where(Customer.business_id == shops.a.business_id)))
    assert EVIL_NAME in names  # the letters as sent: nothing stripped, nothing run
    assert count(db, Customer) == 3  # and the table is still there
    assert any(EVIL_NAME in m.body for m in outbox(db, shops.a.phone))  # WhatsApp is plain text
    client = _login(app, db, shops.a.business_id)
    for url in ("/dashboard/customers", "/dashboard/payments"):
        page = client.get(url).get_data(as_text=True)
        _escaped(page, url)
        assert "&lt;script&gt;alert(&#34;pwn&#34;)&lt;/script&gt;&#39;); DROP TABLE customers;-- Ramesh" in page, url


def test_a_webhook_feeding_a_flow_makes_an_invoice_whose_names_stay_text(app, db, drain) -> None:
    with db.session() as s:
        biz = Business(phone="+919800000001", name="Sharma <b>Hardware</b>")
        s.add(biz)
        s.flush()
        flow = store.create_flow(s, biz.id, "Orders", chain(
            node("bill", "invoices.create_invoice", {
                "customer": "{{trigger_data.name}}",
                "items": [{"product": "{{trigger_data.product}}", "quantity": 2, "unit_price": 300}]}),
            wa("tell", "New order from {{trigger_data.name}}: {{trigger_data.product}}"),
            first=trigger("webhook.received")), activate=True)
        hook, business_id = store.webhook_path(flow), biz.id
    resp = app.test_client().post(hook, json={"name": EVIL_NAME, "product": EVIL_PRODUCT})
    assert resp.status_code == 202
    drain(app)
    with db.session() as s:
        run = s.get(Run, resp.get_json()["run_id"])
        assert run.status == "succeeded", run.error
        inv = s.scalars(select(Invoice).where(Invoice.business_id == business_id)).one()
        customer_name, product, invoice_id = inv.customer.name, inv.items[0].product, inv.id
    assert customer_name == EVIL_NAME and product == EVIL_PRODUCT
    assert any(EVIL_NAME in m.body and EVIL_PRODUCT in m.body for m in outbox(db, "+919800000001"))

    client = _login(app, db, business_id)
    for url in ("/dashboard/invoices", "/dashboard/customers", "/dashboard/stock",
                f"/dashboard/runs/{resp.get_json()['run_id']}"):
        _escaped(client.get(url).get_data(as_text=True), url)

    with db.session() as s:
        from tools.pdf import render_invoice

        text = squeezed(pdf_text(render_invoice(s, invoice_id)))
    assert squeezed(EVIL_NAME) in text and squeezed(EVIL_PRODUCT) in text
    assert squeezed("Sharma <b>Hardware</b>") in text


def test_flow_names_and_run_payloads_from_the_api_are_escaped(app, db, shops) -> None:
    client = app.test_client()
    blueprint = chain(wa("tell", "Got {{trigger_data.note}}"), first=trigger("webhook.received"))
    saved = client.post("/api/workflow/save", json={"name": EVIL_NAME, "blueprint": blueprint},
                        headers=shops.a.headers)
    assert saved.status_code == 201 and saved.get_json()["name"] == EVIL_NAME
    flow_id = saved.get_json()["id"]
    started = client.post("/api/workflow/execute", json={"flow_id": flow_id, "payload": {"note": EVIL_PRODUCT}},
                          headers=shops.a.headers)
    assert started.status_code == 202, started.get_data(as_text=True)
    run_id = started.get_json()["run_id"]
    owner = _login(app, db, shops.a.business_id)
    for url in ("/dashboard", "/dashboard/flows", f"/dashboard/flows/{flow_id}", f"/dashboard/runs/{run_id}"):
        page = owner.get(url).get_data(as_text=True)
        _escaped(page, url)
        assert "&lt;script&gt;" in page or "\\u003cimg" in page or "&lt;img" in page, url
    api = client.get(f"/api/workflows/{flow_id}", headers=shops.a.headers)
    assert api.mimetype == "application/json" and api.get_json()["name"] == EVIL_NAME


@pytest.mark.parametrize("query", ["'; DROP TABLE customers;--", "%", "_", "\\", "' OR '1'='1"])
def test_sql_ish_search_text_matches_only_itself(client, db, shops, query: str) -> None:
    with db.session() as s:
        s.add(Customer(business_id=shops.a.business_id, name=f"Odd {query} Name"))
    found = client.get("/api/customers", query_string={"q": query}, headers=shops.a.headers).get_json()["items"]
    assert [c["name"] for c in found] == [f"Odd {query} Name"]
    assert count(db, Customer) == 3


def test_the_simulator_page_escapes_what_it_is_given(client) -> None:
    page = client.get("/simulator", query_string={"phone": '"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>alert" not in page
