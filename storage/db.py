"""The database: engine, sessions and migrations.

One `Database` per process, made from the URL. SQLite gets WAL and a busy
timeout so the web process and the workers can share the file; PostgreSQL is
used as is. `migrate()` applies the Alembic migrations (the same on both).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock held while migrating.
_MIGRATE_LOCK = 0x6D756E7368690002


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, decides when transactions begin (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Every transaction takes SQLite's write lock up front (waiting up to busy_timeout).
    # A deferred transaction that reads, then writes after another connection has
    # written, fails at once with "database is locked" (a stale WAL snapshot), which
    # no timeout helps; an immediate one simply waits its turn.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Engine plus session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine: Engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        logging.getLogger("alembic").setLevel(logging.WARNING)
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Processes starting together on a fresh database (web and workers of one deploy)
                # take turns; the ones after the first find nothing left to do.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}


def get_database(url: str) -> Database:
    """The process-wide `Database` for ``url`` (one engine and pool per URL)."""
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]
