"""The flow builder's unit tests: the agent's graph compiled on a SQLite checkpointer, no worker.

`Agent` plays the owner: ``say(text)`` runs one message through the compiled
graph exactly as `intents.agent.respond` does (resume the interrupt when one
is waiting, else start a new turn) and returns the replies as one text;
``restart()`` compiles the graph again on a new connection to the same
checkpoint file, as a new process would. Nothing is dispatched and no job
runs, so whatever a step would send never leaves the database.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command
from sqlalchemy import select

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from flows import store
from intents.graph import build_graph
from intents.nodes import Deps
from storage.models import Business, Customer, Flow, Message

OWNER = "+919800000001"


class Agent:
    """One owner talking to the agent graph (see the module docstring)."""

    def __init__(self, rt: Runtime, checkpoints: Path) -> None:
        self.rt = rt
        self.path = checkpoints
        self.conns: list[sqlite3.Connection] = []
        with rt.db.session() as s:
            biz = Business(phone=OWNER, name="Sharma Hardware")
            s.add(biz)
            s.flush()
            self.business_id = biz.id
        self.graph = self._compile()
        self.transcript: list[tuple[str, str]] = []

    def _compile(self) -> Any:
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(self.path, check_same_thread=False)
        self.conns.append(conn)
        saver = SqliteSaver(conn)
        saver.setup()
        return build_graph().compile(checkpointer=saver)

    @property
    def config(self) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"business-{self.business_id}"}}

    def restart(self) -> None:
        """A new process: the graph compiled again on a fresh connection to the same checkpoints."""
        self.graph = self._compile()

    def say(self, text: str) -> str:
        deps = Deps(runtime=self.rt, business_id=self.business_id)
        if self.graph.get_state(self.config).interrupts:
            result = self.graph.invoke(Command(resume=text), self.config, context=deps)
        else:
            result = self.graph.invoke({"text": text, "replies": []}, self.config, context=deps)
        reply = "\n".join(r for r in result.get("replies", []) if r)
        self.transcript.append((text, reply))
        return reply

    @property
    def waiting(self) -> dict[str, Any] | None:
        """The confirmation the graph is waiting on (None when nothing waits)."""
        state = self.graph.get_state(self.config)
        return state.values.get("confirm") if state.interrupts else None

    @property
    def parked(self) -> dict[str, Any] | None:
        return self.graph.get_state(self.config).values.get("parked")

    def flows(self) -> list[Flow]:
        with self.rt.db.session() as s:
            return store.list_flows(s, self.business_id)

    def active(self) -> list[Flow]:
        return [f for f in self.flows() if f.status == "active"]

    def shape(self, flow: Flow) -> tuple[str, list[str], list[str]]:
        """(trigger, action keys, node types) of a stored flow."""
        nodes = flow.blueprint["nodes"]
        key = lambda n: f"{n['data']['service']}.{n['data']['task']}"  # noqa: E731
        trigger = next(key(n) for n in nodes if n["type"] == "trigger")
        return trigger, [key(n) for n in nodes if n["type"] == "action"], [n["type"] for n in nodes]

    def sent_to_others(self) -> list[Message]:
        """Outbound messages to anyone but the owner (the agent itself never writes replies here)."""
        with self.rt.db.session() as s:
            return list(s.scalars(select(Message).where(Message.direction == "out", Message.peer != OWNER)))

    def add_customer(self, name: str, phone: str | None = None, email: str | None = None) -> None:
        with self.rt.db.session() as s:
            s.add(Customer(business_id=self.business_id, name=name, phone=phone, email=email))

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


@pytest.fixture
def rt(config: Config) -> Iterator[Runtime]:
    runtime = Runtime(config)
    runtime.db.migrate()
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.db.dispose()


@pytest.fixture
def agent(rt: Runtime, tmp_path: Path) -> Iterator[Agent]:
    a = Agent(rt, tmp_path / "checkpoints.sqlite")
    yield a
    a.close()
