"""Running the agent for one message: compile once per process with the database's checkpointer."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

from langgraph.types import Command

from intents.graph import build_graph
from intents.nodes import Deps

log = logging.getLogger(__name__)

_compiled: dict[str, Any] = {}
_lock = threading.Lock()


def checkpointer_for(database_url: str) -> Any:
    """LangGraph's SQLite or PostgreSQL checkpointer on the same database as the records."""
    if not database_url.startswith("sqlite"):
        return _postgres_saver(database_url)
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = database_url.split("///", 1)[1]
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    # As the records' own connections (storage.db): in WAL mode NORMAL loses nothing when a process
    # dies; FULL would sync the disk on each of the several checkpoints written per message.
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


#: PostgreSQL advisory lock held while the checkpointer creates or migrates its tables.
_SETUP_LOCK = 0x6D756E7368690001


def _postgres_saver(database_url: str) -> Any:
    """A PostgresSaver on a small connection pool that checks each connection before lending it.

    A pool, not one connection: a restart of PostgreSQL (or a dropped connection) would leave a
    single connection dead for the rest of the process's life, and every message after it would
    fail. Several workers starting at once on a fresh database would race to create LangGraph's
    tables (a duplicate key in ``checkpoint_migrations`` kills all but one); an advisory lock
    makes them take turns.
    """
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    pool: Any = ConnectionPool(url, min_size=1, max_size=4, open=True, check=ConnectionPool.check_connection,
                               kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
                               name="munshi-checkpoints")
    with pool.connection() as conn:
        # Poll, don't block: LangGraph's setup runs CREATE INDEX CONCURRENTLY, which waits for every
        # other open transaction, including a pg_advisory_lock() call blocked on us (a deadlock).
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (_SETUP_LOCK,)).fetchone()["got"]:
            time.sleep(0.1)
        try:
            PostgresSaver(conn).setup()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    return PostgresSaver(pool)


def compiled_graph(database_url: str) -> Any:
    """The agent compiled with this database's checkpointer (one per process)."""
    with _lock:
        if database_url not in _compiled:
            _compiled[database_url] = build_graph().compile(checkpointer=checkpointer_for(database_url))
        return _compiled[database_url]


def respond(runtime: Any, business_id: int, text: str, message_id: int | None = None) -> list[str]:
    """Handle one message from the owner of ``business_id``; returns the replies to send.

    ``message_id``: the stored inbound message, named by the changes it makes (see `bot.pipeline`).
    """
    graph = compiled_graph(runtime.config.database_url)
    config = {"configurable": {"thread_id": f"business-{business_id}"}}
    deps = Deps(runtime=runtime, business_id=business_id, message_id=message_id)
    waiting = graph.get_state(config).interrupts
    if waiting:
        result = graph.invoke(Command(resume=text), config, context=deps)
    else:
        result = graph.invoke({"text": text, "replies": []}, config, context=deps)
    return [r for r in result.get("replies", []) if r]
