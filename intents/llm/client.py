"""One structured-output call to an OpenAI-compatible chat API, failing in one way.

`StructuredChat.ask(messages, schema)` sends the messages with
``response_format`` set to ``schema`` (a pydantic model, sent as a strict JSON
schema by the SDK's ``chat.completions.parse``) and returns the parsed model.
Every way it can go wrong (no answer in time, an HTTP error, a refusal, a cut
or filtered answer, JSON that does not fit the schema) raises
`UnderstandingError` whose ``message`` is a short reason safe to log: it
names the kind of failure and the HTTP status, never the API key nor the
server's words (an "incorrect API key" error quotes part of the key).

`chat_for(config)` is the process's client for a configuration with
``OPENAI_API_KEY`` set, or None when Munshi runs offline.
"""
from __future__ import annotations

import threading
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.config import Config
from bot.errors import UnderstandingError

Schema = TypeVar("Schema", bound=BaseModel)

#: One retry: a 429 or 5xx often passes at once; more would keep the owner waiting.
MAX_RETRIES = 1


class StructuredChat:
    """A chat model that answers in a given pydantic schema (structured outputs, ``strict``)."""

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None, timeout: float = 8.0,
                 max_retries: int = MAX_RETRIES) -> None:
        import openai  # ~0.7 s: only when a key is set, never for an offline process

        self.model = model
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                                     max_retries=max_retries)

    def ask(self, messages: list[dict[str, Any]], schema: type[Schema]) -> Schema:
        """The model's answer to ``messages`` as a ``schema`` instance; `UnderstandingError` otherwise."""
        import openai

        try:
            completion = self._client.chat.completions.parse(
                model=self.model, messages=messages, response_format=schema, temperature=0)  # type: ignore[arg-type]
        except openai.APITimeoutError:
            raise UnderstandingError("no answer in time") from None
        except openai.APIStatusError as exc:
            raise UnderstandingError(f"HTTP {exc.status_code}", status=exc.status_code) from None
        except openai.APIConnectionError:
            raise UnderstandingError("could not connect") from None
        except openai.LengthFinishReasonError:
            raise UnderstandingError("the answer was cut off") from None
        except openai.ContentFilterFinishReasonError:
            raise UnderstandingError("the answer was filtered") from None
        except ValidationError as exc:
            raise UnderstandingError(f"the answer does not fit {schema.__name__} ({exc.error_count()} errors)") \
                from None
        except openai.OpenAIError as exc:
            raise UnderstandingError(type(exc).__name__) from None
        except Exception as exc:  # a body that is no chat completion: the SDK fails on it in its own ways
            raise UnderstandingError(f"a malformed response ({type(exc).__name__})") from None
        if not completion.choices:
            raise UnderstandingError("no choices in the answer")
        message = completion.choices[0].message
        if message.refusal:
            raise UnderstandingError("the model refused")
        if message.parsed is None:
            raise UnderstandingError("an empty answer")
        return message.parsed


_chats: dict[tuple[str, str | None, str, float], StructuredChat] = {}
_lock = threading.Lock()


def chat_for(config: Config) -> StructuredChat | None:
    """The process's `StructuredChat` for ``config`` (kept, so connections are reused); None offline."""
    if not config.openai_api_key:
        return None
    key = (config.openai_api_key, config.openai_base_url, config.openai_model, config.openai_timeout)
    with _lock:
        if key not in _chats:
            _chats[key] = StructuredChat(api_key=config.openai_api_key, model=config.openai_model,
                                         base_url=config.openai_base_url, timeout=config.openai_timeout)
        return _chats[key]
