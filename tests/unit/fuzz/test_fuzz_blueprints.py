"""The blueprint validator on random blueprint-shaped data: it never crashes, and it always answers with
plain reasons (or none).

Blueprints come from the language model, the API and the builder's edits, so
`flows.validate.problems` must survive anything: wrong types anywhere, ids
that collide or point nowhere, cycles, unknown services, params of every JSON
type with ``{{…}}`` and condition text in them. For every input: a list of
non-empty strings, the same list on a second call, `validate` raising
`BlueprintInvalid` exactly when the list is not empty, and a valid blueprint
surviving a round trip through the schema and the store's own check.
"""
from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.errors import BlueprintInvalid
from flows.catalogue import TRIGGERS, known_actions
from flows.schema import Blueprint
from flows.templates import BUILTIN
from flows.validate import duration_seconds, is_cron, is_email, is_phone, is_timezone, is_url, problems, validate
from tests.unit.fuzz.conftest import fuzz

IDS = ["trigger_1", "a", "b", "send_1", "check", "loop", "trigger_data", "business", "1bad", "a-b", "", "__x"]
NAMES = [*TRIGGERS, *known_actions(), "nope.nothing", "whatsapp", "", ".", "http.request.extra"]
FRAGMENTS = ["{{trigger_data.payment.amount}}", "{{business.name}}", "{{a.message_id}}", "{{b}}", "{{ }}",
             "{{trigger_data.__class__}}", "{{x[0]}}", "{{", "}}", "owner", "+919876543210", "98765 43210",
             "a@b.co", "https://example.com/x", "http://127.0.0.1/", "0 20 * * *", "* * *", "30m", "2h", "0d",
             "999999999999999999999d", "Asia/Kolkata", "../../etc/passwd", "trigger_data.payment.amount > 1000",
             "'%0999d' % 1", "[[0]*2000]*2000", "9**9**9", "len(trigger_data)", "", " ", "\x00", "ह", "GET", "POST"]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(FRAGMENTS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*IDS, "x", "to", "items"]), inner,
                                                                 max_size=4),
    max_leaves=12)
PARAM_NAMES = ["to", "message", "document", "url", "method", "headers", "json", "expression", "items", "duration",
               "cron", "timezone", "days", "customer", "amount", "text", "webhook_url", "subject", "body", "values",
               "spreadsheet", "product", "change", "period", "service", "nonsense"]
PARAMS = st.dictionaries(st.sampled_from(PARAM_NAMES), st.one_of(st.sampled_from(FRAGMENTS), JSON), max_size=6)
HANDLING = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "retry_count": st.one_of(st.integers(-2, 20), st.text(max_size=3)),
    "retry_delay": st.one_of(st.integers(-5, 5000), st.floats(allow_nan=False)),
    "backoff": st.sampled_from(["fixed", "exponential", "random"]),
    "on_failure": st.sampled_from(["stop", "continue", "fallback", "explode"]),
    "fallback_node": st.sampled_from(IDS)}))


@st.composite
def nodes(draw: Any) -> dict[str, Any]:
    service, _, task = draw(st.sampled_from(NAMES)).partition(".")
    data: dict[str, Any] = {"service": service, "task": task, "params": draw(PARAMS)}
    handling = draw(HANDLING)
    if handling is not None:
        data["error_handling"] = handling
    node: dict[str, Any] = {"id": draw(st.sampled_from(IDS)),
                            "type": draw(st.sampled_from(["trigger", "action", "condition", "loop", "other"])),
                            "data": data}
    if draw(st.booleans()):
        node["position"] = {"x": draw(st.integers(-5, 5)), "y": draw(st.floats(allow_nan=False))}
    return node


EDGES = st.fixed_dictionaries({"id": st.sampled_from(["e1", "e2", "e3", "e4", ""]), "source": st.sampled_from(IDS),
                               "target": st.sampled_from(IDS)},
                              optional={"branch": st.sampled_from(["true", "false", "each", "done", "maybe"])})
BLUEPRINTS = st.fixed_dictionaries({"nodes": st.lists(nodes(), max_size=6), "edges": st.lists(EDGES, max_size=7)})


def _check(blueprint: Any) -> list[str]:
    reasons = problems(blueprint)
    assert isinstance(reasons, list) and all(isinstance(r, str) and r.strip() for r in reasons), reasons
    assert problems(copy.deepcopy(blueprint)) == reasons  # deterministic
    if reasons:
        with pytest.raises(BlueprintInvalid) as info:
            validate(blueprint)
        assert info.value.reasons == reasons
    else:
        validate(blueprint)
    return reasons


@fuzz(200)
@given(BLUEPRINTS)
def test_blueprint_shaped_data_gets_reasons_never_a_crash(blueprint: dict[str, Any]) -> None:
    reasons = _check(blueprint)
    event("valid" if not reasons else "invalid")


@fuzz(150)
@given(st.one_of(JSON, st.dictionaries(st.sampled_from(["nodes", "edges", "extra"]), JSON, max_size=3)))
def test_anything_at_all_gets_reasons_never_a_crash(data: Any) -> None:
    if isinstance(data, dict):
        _check(data)
    else:
        _check({"nodes": data, "edges": []})


@fuzz(200)
@given(template=st.sampled_from(BUILTIN), node_index=st.integers(0, 10), key=st.sampled_from(PARAM_NAMES),
       value=st.one_of(st.sampled_from(FRAGMENTS), JSON), drop_edge=st.booleans())
def test_one_change_to_a_valid_blueprint_is_judged_not_crashed_on(template: Any, node_index: int, key: str,
                                                                  value: Any, drop_edge: bool) -> None:
    blueprint = copy.deepcopy(template.blueprint)
    assert _check(blueprint) == []  # the gallery's own flows are valid
    target = blueprint["nodes"][node_index % len(blueprint["nodes"])]
    target["data"]["params"][key] = value
    if drop_edge and blueprint["edges"]:
        blueprint["edges"].pop(node_index % len(blueprint["edges"]))
    if not _check(blueprint):
        event("still valid")
        assert Blueprint.from_dict(Blueprint.from_dict(blueprint).to_dict()).to_dict() == \
            Blueprint.from_dict(blueprint).to_dict()


@fuzz(300)
@given(st.one_of(st.text(max_size=40), st.sampled_from(FRAGMENTS), st.integers().map(str),
                 st.text(alphabet="0123456789*/,- smhdMON", max_size=30)))
def test_the_value_checkers_answer_true_or_false(value: str) -> None:
    for check in (is_phone, is_email, is_url, is_cron, is_timezone):
        assert check(value) in (True, False)
    try:
        assert duration_seconds(value) >= 0
    except Exception as exc:  # only the plain "not a duration" error
        assert type(exc).__name__ == "FlowError", repr(exc)


def test_a_duration_of_five_thousand_digits_is_a_reason_not_a_crash() -> None:
    """Found while fuzzing the value checkers: int() refuses more than 4,300 digits with a ValueError, which
    escaped `problems` (a 500 from the API's save)."""
    blueprint = copy.deepcopy(next(t for t in BUILTIN).blueprint)
    blueprint["nodes"].append({"id": "wait", "type": "action",
                               "data": {"service": "delay", "task": "wait", "params": {"duration": "9" * 5000 + "m"}}})
    blueprint["edges"].append({"id": "e_wait", "source": blueprint["nodes"][-2]["id"], "target": "wait"})
    reasons = _check(blueprint)
    assert any("wait" in r.lower() or "duration" in r.lower() for r in reasons)
