"""flows.schema: the blueprint models mirror the JSON shape of spec/blueprint.md."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BlueprintInvalid, FlowError
from flows.schema import Blueprint, Edge, ErrorHandling, Node, NodeData
from tests.unit.flows.helpers_flows import edge, node, spec_example


def test_spec_example_round_trips_unchanged() -> None:
    data = spec_example()
    assert Blueprint.from_dict(data).to_dict() == data


def test_models_expose_the_contract_fields() -> None:
    bp = Blueprint.from_dict(spec_example())
    thank = bp.node("thank")
    assert thank is not None
    assert thank.type == "action"
    assert thank.key == "whatsapp.send_message"
    assert thank.data.service == "whatsapp" and thank.data.task == "send_message"
    handling = thank.data.error_handling
    assert handling == ErrorHandling(
        retry_count=3, retry_delay=5, backoff="exponential", on_failure="continue"
    )
    assert bp.trigger is not None and bp.trigger.id == "trigger_1"
    assert [e.id for e in bp.outgoing("check_amount")] == ["e2"]
    assert [e.id for e in bp.incoming("check_amount")] == ["e1"]
    assert bp.edges[1].branch == "true"
    assert bp.node("nope") is None


def test_position_branch_and_error_handling_are_optional() -> None:
    data = {"nodes": [node("t", "schedule.cron", {"cron": "0 9 * * *"}, node_type="trigger")], "edges": []}
    out = Blueprint.from_dict(data).to_dict()
    assert "position" not in out["nodes"][0]
    assert "error_handling" not in out["nodes"][0]["data"]
    assert Edge(id="e", source="a", target="b").model_dump(exclude_none=True) == {
        "id": "e",
        "source": "a",
        "target": "b",
    }


def test_partial_error_handling_round_trips_without_defaults_added() -> None:
    data = {
        "nodes": [
            node(
                "wa",
                "whatsapp.send_message",
                {"to": "owner", "message": "x"},
                error_handling={"on_failure": "fallback", "fallback_node": "b"},
            )
        ],
        "edges": [],
    }
    assert Blueprint.from_dict(data).to_dict() == data
    handling = Blueprint.from_dict(data).nodes[0].data.error_handling
    assert handling is not None and handling.retry_count == 0 and handling.backoff == "fixed"


def test_params_keep_nulls_and_numbers() -> None:
    data = {
        "nodes": [
            node("h", "http.request", {"method": "POST", "url": "https://x.in", "json": {"a": None, "n": 5}})
        ],
        "edges": [],
    }
    assert Blueprint.from_dict(data).to_dict()["nodes"][0]["data"]["params"]["json"] == {"a": None, "n": 5}


def test_built_in_code_serialises_to_the_json_shape() -> None:
    bp = Blueprint(
        nodes=[Node(id="t", type="trigger", data=NodeData(service="payments", task="payment_received"))],
        edges=[],
    )
    assert bp.to_dict() == {
        "nodes": [
            {
                "id": "t",
                "type": "trigger",
                "data": {"service": "payments", "task": "payment_received", "params": {}},
            }
        ],
        "edges": [],
    }


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d["nodes"][0].update(type="step"), "nodes.0.type"),
        (lambda d: d["edges"][1].update(branch="maybe"), "edges.1.branch"),
        (lambda d: d["nodes"][2]["data"].update(parms={}), "parms"),
        (lambda d: d["nodes"][2]["data"]["error_handling"].update(backoff="linear"), "backoff"),
        (lambda d: d["nodes"][2]["data"]["error_handling"].update(on_failure="retry"), "on_failure"),
        (lambda d: d["nodes"][2]["data"]["error_handling"].update(retry_count=99), "retry_count"),
        (lambda d: d["nodes"][2]["data"]["error_handling"].update(retry_delay=-1), "retry_delay"),
        (lambda d: d["nodes"][2]["data"]["error_handling"].update(retries=3), "retries"),
        (lambda d: d["nodes"][1].pop("data"), "data"),
        (lambda d: d["nodes"][0]["data"].update(service=""), "service"),
        (lambda d: d["edges"][0].pop("target"), "target"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)
def test_bad_shapes_raise_blueprint_invalid_naming_the_place(mutate, where) -> None:  # type: ignore[no-untyped-def]
    data = spec_example()
    mutate(data)
    with pytest.raises(BlueprintInvalid) as info:
        Blueprint.from_dict(data)
    assert any(where in reason for reason in info.value.reasons), info.value.reasons
    assert isinstance(info.value, FlowError)


_ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=20))
_params = st.dictionaries(
    st.from_regex(r"[a-z]{1,6}", fullmatch=True),
    st.one_of(_scalars, st.lists(_scalars, max_size=3)),
    max_size=4,
)


@st.composite
def _blueprints(draw: st.DrawFn) -> dict:
    ids = draw(st.lists(_ids, min_size=1, max_size=6, unique=True))
    nodes = []
    for i, node_id in enumerate(ids):
        raw = node(
            node_id,
            draw(st.sampled_from(["whatsapp.send_message", "email.send", "delay.wait"])),
            draw(_params),
            node_type="trigger" if i == 0 else draw(st.sampled_from(["action", "condition"])),
        )
        if draw(st.booleans()):
            raw["position"] = {"x": draw(st.integers(0, 999)), "y": draw(st.integers(0, 999))}
        nodes.append(raw)
    edges = [
        edge(a, b, draw(st.sampled_from([None, "true", "false"])), f"e{i}")
        for i, (a, b) in enumerate(itertools.pairwise(ids))
    ]
    return {"nodes": nodes, "edges": edges}


@given(_blueprints())
def test_any_well_shaped_blueprint_round_trips(data: dict) -> None:
    assert Blueprint.from_dict(data).to_dict() == data
