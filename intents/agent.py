"""Running the agent for one message: compile once per process with the database's checkpointer."""
from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from langgraph.types import Command

from intents.graph import build_graph
from intents.nodes import Deps

log = logging.getLogger(__name__)

_compiled: dict[str, Any] = {}
_lock = threading.Lock()


def checkpointer_for(database_url: str) -> Any:
    """LangGraph's SQLite or PostgreSQL checkpointer on the same database as the records."""
    if database_url.startswith("sqlite"):
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = database_url.split("///", 1)[1]
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        saver = SqliteSaver(conn)
    else:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row

        url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        conn = Connection.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
        saver = PostgresSaver(conn)
    saver.setup()
    return saver


def compiled_graph(database_url: str) -> Any:
    """The agent compiled with this database's checkpointer (one per process)."""
    with _lock:
        if database_url not in _compiled:
            _compiled[database_url] = build_graph().compile(checkpointer=checkpointer_for(database_url))
        return _compiled[database_url]


def respond(runtime: Any, business_id: int, text: str) -> list[str]:
    """Handle one message from the owner of ``business_id``; returns the replies to send."""
    graph = compiled_graph(runtime.config.database_url)
    config = {"configurable": {"thread_id": f"business-{business_id}"}}
    deps = Deps(runtime=runtime, business_id=business_id)
    waiting = graph.get_state(config).interrupts
    if waiting:
        result = graph.invoke(Command(resume=text), config, context=deps)
    else:
        result = graph.invoke({"text": text, "replies": []}, config, context=deps)
    return [r for r in result.get("replies", []) if r]
