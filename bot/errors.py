"""The one error tree of Munshi.

    MunshiError                   base of every error Munshi raises on purpose
    ├── ConfigError               the environment is wrong (bad URL, missing key)
    ├── StorageError              a record could not be read or written
    │   └── NotFound              no such record for this business
    ├── UnderstandingError        words could not be turned into an action
    ├── TranscriptionError        a voice note could not be heard (bad audio, too long…)
    ├── ToolError                 a tools/ action failed
    │   ├── ValidationFailed      bad parameters: nothing was sent or written
    │   ├── NotConnected          the service has no credentials for this business
    │   ├── PermanentToolError    retrying cannot help (4xx, bad phone number)
    │   └── TransientToolError    retrying may help (timeout, 5xx, 429)
    ├── FlowError                 a blueprint is invalid or a run cannot go on
    │   └── BlueprintInvalid      validation failed, with the reasons
    └── ChannelError              an outbound message could not be sent

Each error carries a plain-language ``message`` that is safe to show the owner
(never a secret) and optional ``context`` for logs.
"""
from __future__ import annotations

from typing import Any


class MunshiError(Exception):
    """Base of every deliberate Munshi error."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class ConfigError(MunshiError):
    """The environment is wrong."""


class StorageError(MunshiError):
    """A record could not be read or written."""


class NotFound(StorageError):
    """No such record for this business."""


class UnderstandingError(MunshiError):
    """Words could not be turned into an action."""


class TranscriptionError(MunshiError):
    """A voice note could not be transcribed; ``message`` is the owner-facing reason."""


class ToolError(MunshiError):
    """A tools/ action failed."""

    retryable: bool = False


class ValidationFailed(ToolError):
    """Bad parameters: nothing was sent or written."""


class NotConnected(ToolError):
    """The service has no credentials for this business."""


class PermanentToolError(ToolError):
    """Retrying cannot help."""


class TransientToolError(ToolError):
    """Retrying may help."""

    retryable = True


class FlowError(MunshiError):
    """A blueprint is invalid or a run cannot go on."""


class BlueprintInvalid(FlowError):
    """Validation failed; ``reasons`` lists each problem in plain words."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons), reasons=reasons)
        self.reasons = reasons


class ChannelError(MunshiError):
    """An outbound message could not be sent."""
