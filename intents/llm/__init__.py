"""The optional OpenAI-backed reading of the owner's words, with the offline engines behind it.

    u = understand_message("Mahesh took eight bags of cement, charge him 345 each", ctx, config)
    draft = draft_flow("whenever money comes in, ping me on WhatsApp", config)

Both take the `bot.config.Config` and use OpenAI's structured outputs (any
OpenAI-compatible server at ``OPENAI_BASE_URL``, model ``OPENAI_MODEL``) only
when ``OPENAI_API_KEY`` is set; otherwise, and whenever the model fails, they
return what the offline engines (`intents.understand`, `flows.phrases`) make
of the same words. `understanding` says which messages go to the model,
`drafter` how a flow is drafted, `client` how one call is made and fails.
"""
from __future__ import annotations

from intents.llm.drafter import draft_flow
from intents.llm.understanding import understand_message

__all__ = ["draft_flow", "understand_message"]
