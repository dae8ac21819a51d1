"""Drafting an automation with a language model, the offline parser behind it.

`draft_flow(text, config)` is how chat and the REST API draft a flow from a
description. With ``OPENAI_API_KEY`` set the model answers with a `Plan` in a
strict JSON schema built from `flows.catalogue`: the trigger and every step's
``service.task`` are enums of the catalogue's names, so a service or task the
catalogue does not have cannot be produced, and the params are typed from the
catalogue's param kinds. The plan has the shape the offline parser builds
(a trigger, an optional check, the steps when it holds and when it does not);
`flows.phrases.draft_from_parts` lays it out as a blueprint and
`flows.validate` checks it like any other. Loops (``control.for_each``) are
not offered: the offline parser does not draft them either.

Any failure (no key, an error, a timeout, a refusal, an answer that does not
fit the schema or does not validate) falls back to
`flows.phrases.draft_from_text`, with the reason logged. Changing a draft by
talking ("also email me…") stays offline (`flows.phrases.edit_draft`).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, create_model

from bot.config import Config
from bot.errors import MunshiError, UnderstandingError
from flows.catalogue import ACTIONS, BUSINESS_FIELDS, LOGIC_NAMES, TRIGGERS, ParamSpec
from flows.phrases import MAX_TEXT_LENGTH, Draft, Part, draft_from_parts, draft_from_text
from intents.llm.client import StructuredChat, chat_for

log = logging.getLogger(__name__)

TRIGGER_NAMES: tuple[str, ...] = tuple(TRIGGERS)
ACTION_NAMES: tuple[str, ...] = tuple(name for name in ACTIONS if name not in LOGIC_NAMES)

#: Param kinds whose values are not text; "dict" and "any" values travel as JSON text.
_TYPES: dict[str, Any] = {"number": float, "days": int, "list": list[str]}
_HINTS: dict[str, str] = {
    "phone": "'owner', a number like +919876543210, or a variable such as {{trigger_data.customer.phone}}",
    "duration": "like 30m, 2h or 3d",
    "cron": "5-field cron, e.g. 0 20 * * *",
    "dict": "JSON object text",
    "any": "a variable, or JSON text",
}


def _params_model(name: str, specs: list[ParamSpec]) -> type[BaseModel]:
    """One object with every param name of ``specs``, each nullable (strict schemas list every key)."""
    fields: dict[str, Any] = {}
    for spec in specs:
        hint = f"one of {', '.join(spec.choices)}" if spec.choices else _HINTS.get(spec.kind)
        # "json" would shadow BaseModel.json: such a name is kept as the field's alias.
        key = spec.name + "_" if hasattr(BaseModel, spec.name) else spec.name
        fields.setdefault(key, (_TYPES.get(spec.kind, str) | None, Field(description=hint, alias=spec.name)))
    return create_model(name, **fields)


ActionParams = _params_model("ActionParams", [p for name in ACTION_NAMES for p in ACTIONS[name].params])
TriggerParams = _params_model("TriggerParams", [p for spec in TRIGGERS.values() for p in spec.params])


class PlanStep(BaseModel):
    """One step of the automation."""

    id: str = Field(description="short snake_case name, unique, e.g. thank_customer; later steps read its "
                                "output as {{id.output}}")
    action: Literal[ACTION_NAMES]  # type: ignore[valid-type]
    params: ActionParams  # type: ignore[valid-type]


class Plan(BaseModel):
    """An automation as the model drafts it."""

    name: str = Field(description="a short name for the automation")
    trigger: Literal[TRIGGER_NAMES]  # type: ignore[valid-type]
    trigger_params: TriggerParams  # type: ignore[valid-type]
    condition: str | None = Field(description="a check over trigger_data, e.g. trigger_data.payment.amount > "
                                              "25000, or null to run the steps every time")
    steps: list[PlanStep] = Field(description="in order; when there is a condition, what runs if it holds")
    otherwise: list[PlanStep] = Field(description="what runs if the condition does not hold (often nothing)")
    notes: list[str] = Field(description="assumptions the owner should hear, in plain words")
    missing: list[str] = Field(description="what the owner must still say (an email address, a phone "
                                           "number); leave out the steps that need it")


def _leaves(data: Any, prefix: str) -> list[str]:
    """``trigger_data.…`` paths of an event's values (a list is shown as itself)."""
    if isinstance(data, dict) and data:
        return [leaf for key, value in data.items() for leaf in _leaves(value, f"{prefix}.{key}")]
    return [prefix]


def catalogue_text() -> str:
    """The catalogue, in words for the model: triggers with their event data, actions with params and outputs."""
    lines = ["Triggers (trigger_params and the event data steps may use):"]
    for spec in TRIGGERS.values():
        params = ", ".join(p.name for p in spec.params) or "none"
        data = ", ".join(_leaves(spec.sample, "trigger_data"))
        lines.append(f"- {spec.name}: when {spec.summary}; params: {params}; event data: {data}")
    lines.append("Actions (params marked * are required; outputs later steps may use):")
    for name in ACTION_NAMES:
        action = ACTIONS[name]
        params = ", ".join(p.name + ("*" if p.required else "") for p in action.params) or "none"
        lines.append(f"- {name}: {action.summary}; params: {params}; outputs: {', '.join(action.outputs)}")
    lines.append("Always available: " + ", ".join(f"{{{{business.{f}}}}}" for f in BUSINESS_FIELDS))
    return "\n".join(lines)


INSTRUCTIONS = """You turn a shop owner's description of an automation into a plan for Munshi, \
the WhatsApp back-office bot of a small Indian shop. Use only the triggers and actions listed below.

{catalogue}

Rules:
- Text params may use variables in double braces: {{{{trigger_data.customer.name}}}}, {{{{step_id.output}}}}, \
{{{{business.name}}}}. A condition is written without braces.
- "me" is the owner: WhatsApp to "owner". "them" or "the customer" is {{{{trigger_data.customer.phone}}}} \
(or .email for an email).
- Write WhatsApp and email texts in the owner's words when quoted, else short and polite, with the amounts \
and names as variables.
- Schedules run in Asia/Kolkata unless another timezone is said.
- Never invent an email address, phone number or web address: list it in missing instead and leave that \
step out. A sheet the owner did not name is called after what it holds ("Payments"); say so in notes.
- Step ids are short snake_case names such as whatsapp_1, sheet_1, sales_1.
- Leave every param an action does not take null."""


def messages_for(text: str) -> list[dict[str, Any]]:
    """The chat messages for one description."""
    return [{"role": "system", "content": INSTRUCTIONS.format(catalogue=catalogue_text())},
            {"role": "user", "content": text}]


def _value(spec: ParamSpec, value: Any) -> Any:
    """A param's value as the blueprint holds it: JSON text decoded where the kind is not text."""
    if spec.kind in ("dict", "any") and isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _params(specs: tuple[ParamSpec, ...], given: BaseModel) -> dict[str, Any]:
    values = given.model_dump(by_alias=True)
    return {s.name: _value(s, values[s.name]) for s in specs if values.get(s.name) is not None}


def _parts(steps: list[PlanStep]) -> list[Part]:
    return [(s.id, s.action, _params(ACTIONS[s.action].params, s.params)) for s in steps]


def to_draft(plan: Plan) -> Draft:
    """The plan as a validated `Draft` (`BlueprintInvalid` when it is not a flow Munshi can run)."""
    if plan.otherwise and not plan.condition:
        raise UnderstandingError("steps for when a condition does not hold, without a condition")
    trigger = _params(TRIGGERS[plan.trigger].params, plan.trigger_params)
    try:
        return draft_from_parts(plan.trigger, trigger, plan.condition, _parts(plan.steps), _parts(plan.otherwise),
                                name=plan.name, notes=plan.notes, missing=plan.missing)
    except ValidationError as exc:  # an empty step id, say
        raise UnderstandingError(f"the plan is not a blueprint ({exc.error_count()} errors)") from None


def draft_with(chat: StructuredChat, text: str) -> Draft:
    """The model's draft of ``text``; `UnderstandingError` or `BlueprintInvalid` when there is none."""
    return to_draft(chat.ask(messages_for(text), Plan))


def draft_flow(text: str, config: Config, *, chat: StructuredChat | None = None) -> Draft:
    """A draft of the automation ``text`` describes: the model's when configured and valid, else the parser's."""
    chat = chat or chat_for(config)
    if chat is None or len(text) > MAX_TEXT_LENGTH:
        return draft_from_text(text)
    try:
        return draft_with(chat, text)
    except MunshiError as exc:
        log.warning("OpenAI flow draft not used (%s); drafting offline", exc)
        return draft_from_text(text)
