"""Hypothesis settings for the fuzz tests: deterministic (derandomized, no example database) and bounded,
so CI runs the same examples every time in a few seconds; ``FUZZ_EXAMPLES`` scales every test up for a
long local run (e.g. ``FUZZ_EXAMPLES=20 pytest tests/unit/fuzz``)."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("FUZZ_EXAMPLES", "1") or 1))


def fuzz(examples: int, **extra: object) -> settings:
    """``@fuzz(n)``: n examples (times FUZZ_EXAMPLES), derandomized, no deadline (shared CI machines)."""
    return settings(max_examples=examples * SCALE, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    **extra)  # type: ignore[arg-type]
