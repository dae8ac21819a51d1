"""The OpenAI settings and the process's client: offline without a key, one client per setting."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import ConfigError
from intents.llm.client import chat_for


def test_settings_and_defaults(tmp_path: Path) -> None:
    offline = Config.from_env({"MUNSHI_HOME": str(tmp_path)})
    assert (offline.openai_api_key, offline.openai_model, offline.openai_timeout) == (None, "gpt-4o-mini", 8.0)
    assert chat_for(offline) is None
    local = Config.from_env({"MUNSHI_HOME": str(tmp_path), "OPENAI_API_KEY": "sk-local",
                             "OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "OPENAI_MODEL": "qwen2.5-7b",
                             "OPENAI_TIMEOUT": "20"})
    assert (local.openai_model, local.openai_timeout) == ("qwen2.5-7b", 20.0)
    assert "sk-local" not in repr(local)
    chat = chat_for(local)
    assert chat is not None and chat.model == "qwen2.5-7b" and chat_for(local) is chat
    with pytest.raises(ConfigError, match="OPENAI_TIMEOUT"):
        Config.from_env({"MUNSHI_HOME": str(tmp_path), "OPENAI_TIMEOUT": "soon"})
