"""Fixtures of the LLM tests: a local OpenAI stand-in and a config pointing at it."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Config
from tests.openai_stub import OpenAIStub
from tests.unit.llm.answers import KEY


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def llm_config(tmp_path: Path, stub: OpenAIStub) -> Config:
    """OPENAI_API_KEY set and OPENAI_BASE_URL at the stub; a 1 s timeout keeps the timeout tests short."""
    return Config.from_env({"MUNSHI_HOME": str(tmp_path / "home"), "OPENAI_API_KEY": KEY,
                            "OPENAI_BASE_URL": stub.base_url, "OPENAI_TIMEOUT": "1"})
