"""The ingestion benchmark itself, in miniature, so its code keeps working: `bench.ingest.run` for about
two seconds at a low rate through gunicorn with a real worker (started alongside, to keep the test
short), and the figures it writes.

The closed-loop part needs ``wrk`` (the benchmarks' own dependency, not the suite's): without it
that part is left out and the rest still runs.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench import ingest
from bench.common import write_result

pytestmark = pytest.mark.integration


def test_short_ingestion_run_writes_its_figures_and_processes_each_message_once(
        tmp_path: Path, redis_url: str) -> None:
    has_wrk = shutil.which("wrk") is not None
    settings = ingest.Settings(
        rate=20, duration=1.5, max_duration=1, max_requests=30, warmup=5, web_workers=1, threads=2, workers=1,
        senders=10,
        connections=4, bare=False, use_wrk=has_wrk, drain_timeout=60, workers_during=True,
        database_url=os.environ.get("TEST_DATABASE_URL") or None, redis_url=redis_url)

    result = ingest.run(settings, quiet=True)
    data = json.loads(write_result("ingest", result, tmp_path).read_text())

    fixed = data["munshi"]["fixed_rate"]
    assert fixed["sent"] == 30 and fixed["ok"] == 30, fixed
    assert 0 < fixed["p50_ms"] <= fixed["p99_ms"] <= fixed["max_ms"]
    assert data["goal"]["rate"] == 20 and isinstance(data["goal"]["met"], bool)
    assert data["machine"]["cpus"] and data["database"] in ("sqlite", "postgresql")
    if has_wrk:
        assert data["munshi"]["max"]["ok"] > 0 and data["munshi"]["max"]["max_rps"] > 0
        assert data["exactly_once"]["wrk"]["consistent"]
    else:
        assert "max" not in data["munshi"]

    once = data["exactly_once"]
    assert once["exactly_once"], once
    assert once["stored"] >= once["acknowledged"] >= 35  # warm-up and fixed rate, all answered 200
    assert once["acknowledged_not_stored"] == once["handled_more_than_once"] == once["unfinished"] == 0
    assert once["replies"] >= once["stored"]
    assert data["processing"]["drained"] and data["processing"]["messages"] == once["stored"]

    rss = data["munshi"]["rss_mb"]
    assert rss["master"]["peak"] > 0 and len(rss["workers"]) == settings.web_workers
    assert len(data["worker_rss_mb"]) == 1 and data["worker_rss_mb"][0]["peak"] > 0
    assert "ingest" in ingest.report(result)  # the table renders
