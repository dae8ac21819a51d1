"""Automations by chat: drafting a flow from words, changing it by talking, testing it, YES to switch it on.

The conversation around a draft::

    owner: When someone pays me, WhatsApp them a thank-you
    bot:   Payment: WhatsApp customer / When a payment is received: 1. WhatsApp the customer: "…"
           Reply YES to switch it on, or tell me what to change.
    owner: also email me at me@example.com         → "✏️ Added: Email me@example.com…" + the new summary
    owner: test it                                 → what each step would send, nothing sent
    owner: yes                                     → validated, saved and switched on (a new version)

`build_flow` returns the draft as a confirmation of kind ``flow_draft``; the
agent's ``confirm`` node waits for the next message (LangGraph ``interrupt``,
checkpointed, so the draft survives restarts) and hands it to
`answer_draft`, which treats it as YES, NO, a test, a rename, an edit, a new
description, or something else entirely: then the draft is set aside while
that message is handled and comes back to wait, mentioned once.

Managing: `list_flows`, `show_flow`, `flow_stats` ("how did my payment
automation do this week?"), `pause_flow`, `resume_flow` and `delete_flow`
(both confirmed), `rename_flow`, `edit_flow` (an active flow changed the same
way, saved as a new version only on YES), `test_flow` and `retry_run`.
`route` picks these from the words when the understanding engine's intent is
coarser ("show my payment automation", "rename … to …").

Drafting goes through `intents.llm.draft_flow`: OpenAI structured outputs when
``OPENAI_API_KEY`` is set, the offline parser (`flows.phrases`) otherwise and
whenever the model fails; changes by talking are always read offline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.errors import MunshiError, NotFound
from flows import store, validate
from flows.phrases import Draft, edit_draft, parse_rename
from flows.schema import Blueprint
from flows.summary import describe_trigger
from intents.builder import (
    IST,
    YES_PROMPT,
    draft_reply,
    draft_warnings,
    dry_run,
    fill_known_numbers,
    find_flows,
    is_test_request,
    period_since,
    status_word,
)
from intents.handlers.types import Outcome, Turn
from intents.llm import draft_flow
from storage.models import Flow, FlowStatus, Run, RunStatus

DRAFT = "flow_draft"

_NOUN = r"(?:automations?|flows?|workflows?|rules?|zaps?)"
_NOUN_RX = re.compile(rf"\b{_NOUN}\b", re.IGNORECASE)
_REF = r"(?:my\s+|the\s+|this\s+|that\s+)?(?P<ref>[\w\s'&-]*?)\s*"
_SINGLE = r"(?:automation|flow|workflow|rule|zap)\b(?!s)"

_RENAME_EXISTING = re.compile(
    rf"^(?:please\s+)?(?:rename|call)\s+{_REF}{_SINGLE}\s*(?:number\s+|no\.?\s*|#)?(?P<num>\d+)?\s+"
    r"(?:to\s+|as\s+)?(?P<name>.+?)\s*[.!]?$", re.IGNORECASE)
_EDIT_EXISTING = re.compile(
    rf"^(?:please\s+)?(?:change|edit|update|modify|fix|tweak|alter|amend)\s+{_REF}{_SINGLE}"
    r"\s*(?:number\s+|no\.?\s*|#)?(?P<num>\d+)?[\s,:;-]*(?:(?:so\s+(?:that\s+)?it|so|to|and|:)\s+)?(?P<rest>.+)$",
    re.IGNORECASE)
_EDIT_IN = re.compile(
    rf"^(?:in|for|on)\s+{_REF}{_SINGLE}\s*(?:number\s+|no\.?\s*|#)?(?P<num>\d+)?[\s,:;-]+(?P<rest>.+)$",
    re.IGNORECASE)
_TEST_EXISTING = re.compile(
    rf"^(?:please\s+)?(?:test|try|dry[\s-]*run|simulate|preview)\s+(?:out\s+)?{_REF}{_SINGLE}"
    r"\s*(?:number\s+|no\.?\s*|#)?(?P<num>\d+)?", re.IGNORECASE)
_SHOW_ONE = re.compile(
    rf"^(?:please\s+)?(?:show|open|see|view|display|describe|explain|details\s+of|what\s+is|what's|whats)\s+"
    rf"(?:me\s+)?(?:the\s+details\s+of\s+)?{_REF}{_SINGLE}\s*(?:number\s+|no\.?\s*|#)?(?P<num>\d+)?\s*[?.!]*$",
    re.IGNORECASE)
_STATS = re.compile(
    rf"\bhow\s+(?:did|does|do|is|are|was|were|has|have|'s)\b.*\b{_NOUN}|\bwhat\s+did\b.*\b{_NOUN}|"
    rf"\b{_NOUN}\b.*\b(?:runs?|ran|failures?|failed|fail|errors?|worked|working|performance|stats)\b|"
    rf"\b(?:runs?|failures?|failed|errors?)\b.*\b{_NOUN}\b|\bhow\s+many\s+times\b",
    re.IGNORECASE)
_STATS_REF = re.compile(rf"\b(?:my|the)\s+(?P<ref>[\w\s'&-]+?)\s+{_SINGLE}", re.IGNORECASE)
_AMEND = re.compile(r"^\s*(?:and|also|plus|then|and\s+also|but\s+also)\b", re.IGNORECASE)
_EDIT_MARK = re.compile(
    r"^\s*(?:and|also|plus|then|but|instead)\b|\binstead\b|\bstep\s*(?:\d|one|two|three)|"
    r"\b(?:first|second|third|last)\s+step\b|\b(?:the|that)\s+(?:message|text|wording|subject|sheet|email|"
    r"condition|check|delay|wait|amount|limit|trigger|whatsapp|row|slack|note|reminder)\b",
    re.IGNORECASE)
_DISCARD = re.compile(
    r"^(?:(?:no|ok|okay|please|just)[\s,]+)*(?:drop|forget|scrap|discard|delete|cancel|bin|trash|leave|kill|"
    r"remove)\s+(?:it|that|this|the\s+(?:draft|automation|flow|whole\s+thing)|everything|all\s+of\s+it)"
    r"(?:\s+(?:please|then|for\s+now))?\s*[.!]*$|^never\s*mind\b.{0,20}$|^forget\s+about\s+it\b",
    re.IGNORECASE)
_NUM_REF = re.compile(rf"\b{_NOUN}\s*(?:number|no\.?|#)?\s*(\d{{1,3}})\b|(?:number|#)\s*(\d{{1,3}})\b",
                      re.IGNORECASE)
_ONE_REF = re.compile(r"\b(?:the|my|that)\s+(?P<ref>[\w\s'&-]+?)\s+(?:one|alerts?)\b", re.IGNORECASE)
_VERB_ONE = re.compile(
    r"^(?:please\s+)?(?:(?P<verb>pause|stop|turn\s+off|switch\s+off|disable|resume|restart|turn\s+on|switch\s+on|"
    r"enable|delete|remove)\s+(?:the|my|that)\s+[\w\s'&-]+?\s+(?:one|alerts?)|(?:turn|switch)\s+(?:the|my|that)\s+"
    r"[\w\s'&-]+?\s+(?:one|alerts?)\s+(?:back\s+)?(?P<onoff>on|off))\s*[.!]?$", re.IGNORECASE)
#: Intents that, with a draft waiting, may well be an edit of it rather than a new command.
_EDITABLE = frozenset({"unknown", "build_flow", "edit_invoice", "answer", "cancel_invoice"})
#: Managing other automations while a draft waits: handled as a new message.
_MANAGE = frozenset({"list_flows", "pause_flow", "resume_flow", "delete_flow", "retry_run"})


# ------------------------------------------------------------------------------------ small helpers

def _config(turn: Turn) -> Any:
    return turn.runtime.config


def _quoted(name: str) -> str:
    return f"“{name}”"


def _blueprint(flow: Flow) -> Blueprint:
    return Blueprint.from_dict(flow.blueprint)


def _flow_draft(flow: Flow) -> Draft:
    return Draft(_blueprint(flow), flow.name)


def _numbered(flows: list[Flow], all_flows: list[Flow]) -> str:
    index = {f.id: i + 1 for i, f in enumerate(all_flows)}
    return "\n".join(f"{index.get(f.id, '?')}. {f.name} ({status_word(f)})" for f in flows)


def _no_flows() -> Outcome:
    return Outcome(["You have no automations yet. Describe one, e.g. *When someone pays me, WhatsApp them a "
                    "thank-you and add a row to my sheet*."])


def _prompt_for(flow: Flow | None) -> str:
    if flow is None:
        return YES_PROMPT
    if str(flow.status) == FlowStatus.active:
        return "Reply YES to save this as the new version (it stays on), or tell me what to change."
    return "Reply YES to save it and switch it on, or tell me what to change."


def draft_confirmation(turn: Turn, draft: Draft, *, flow: Flow | None = None, head: str | None = None,
                       mentioned: bool = False) -> tuple[str, dict[str, Any]]:
    """The reply for ``draft`` and the confirmation that keeps it waiting for YES."""
    warnings = draft_warnings(turn.session, turn.business_id, _config(turn), draft.blueprint)
    text = draft_reply(draft, warnings, prompt=_prompt_for(flow), head=head)
    what = f"the change to {_quoted(flow.name)}" if flow is not None else f"the automation draft {_quoted(draft.name)}"
    confirm = {
        "kind": DRAFT,
        "question": text,
        "summary": what,
        "declined": ("OK, I dropped the change; " + _quoted(flow.name) + " stays as it was.") if flow is not None
        else "OK, I dropped the draft. Nothing was switched on.",
        "draft": draft.to_dict(),
        "flow_id": flow.id if flow is not None else None,
        "base_version": flow.version if flow is not None else None,
        "mentioned": mentioned,
    }
    return text, confirm


def waiting_note(confirm: dict[str, Any]) -> str:
    """The one-time reminder that a draft is still waiting (after an unrelated command)."""
    name = (confirm.get("draft") or {}).get("name") or "your automation"
    if confirm.get("flow_id"):
        return f"(Your change to {_quoted(name)} is still waiting: reply YES to save it, or tell me what to change.)"
    return f"(Your automation draft {_quoted(name)} is still waiting: reply YES to switch it on, " \
           "or tell me what to change.)"


def unpark(parked: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A set-aside draft back in front, with the reminder the first time only."""
    if parked.get("kind") != DRAFT:
        return parked, []
    # "behind": the owner's last words were about something else, so a bare "send it" is not this YES.
    if parked.get("mentioned"):
        return {**parked, "behind": True}, []
    return {**parked, "mentioned": True, "behind": True}, [waiting_note(parked)]


def replaced_note(parked: dict[str, Any]) -> str:
    """Said when a new description replaces a draft that was waiting."""
    name = (parked.get("draft") or {}).get("name") or "the earlier draft"
    if parked.get("flow_id"):
        return f"(I dropped the change to {_quoted(name)}, which stays as it was; here is the new automation.)"
    return f"(I dropped the earlier draft {_quoted(name)}; the new one takes its place.)"


@dataclass
class Answer:
    """What a draft's follow-up message did: replies, the draft still waiting (or None), or redo."""

    replies: list[str]
    confirm: dict[str, Any] | None
    redo: bool = False  # not about the draft: handle the message as a new one, the draft set aside
    last: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ routing

def route(u: Any, intent: str) -> str:
    """A finer intent for automation sentences the understanding engine reads coarsely."""
    text = " ".join(str(getattr(u, "text", "") or "").split())
    if intent in ("yes", "no", "undo", "greet", "help") or not text:
        return intent
    if _NOUN_RX.search(text):
        if _RENAME_EXISTING.match(text):
            return "flow_rename"
        if _TEST_EXISTING.match(text):
            return "flow_test"
        if _EDIT_EXISTING.match(text) or _EDIT_IN.match(text):
            return "flow_edit"
        if intent in ("pause_flow", "resume_flow", "delete_flow"):
            return intent
        if _SHOW_ONE.match(text):
            return "flow_show"
        if _STATS.search(text):
            return "flow_stats"
        return intent
    m = _VERB_ONE.match(text)
    if m:
        verb = (m.group("verb") or f"turn {m.group('onoff')}").lower()
        if verb.startswith(("delete", "remove")):
            return "delete_flow"
        if verb.startswith(("resume", "restart", "enable")) or verb.endswith("on"):
            return "resume_flow"
        return "pause_flow"
    if intent == "unknown" and is_test_request(text):
        return "flow_test"
    return intent


def flow_ref(u: Any) -> str | None:
    """Which automation the words name: a number ("automation 2"), "the daily one", or the engine's ref."""
    text = " ".join(str(getattr(u, "text", "") or "").split())
    m = _NUM_REF.search(text)
    if m:
        return m.group(1) or m.group(2)
    ref = getattr(u, "flow_ref", None)
    if not ref or ref == "that":
        one = _ONE_REF.search(text)
        if one:
            return one.group("ref").strip()
    return ref


def _ref_of(m: re.Match[str] | None) -> str | None:
    if m is None:
        return None
    if m.groupdict().get("num"):
        return m.group("num")
    ref = (m.group("ref") or "").strip()
    return ref or None


# ------------------------------------------------------------------------------------ picking a flow

def _pick(turn: Turn, u: Any, ref: str | None, intent: str, *, prefer: str | None = None,
          data: dict[str, Any] | None = None) -> tuple[Flow | None, Outcome | None]:
    """The flow meant, or the reply that asks which one (the answer comes back as a choice)."""
    pending = turn.pending if getattr(u, "intent", None) == "answer" else None
    if pending and pending.get("intent") == intent and pending.get("choices"):
        choice = getattr(u, "choice", None)
        ids = pending["choices"]
        if choice is not None and (1 <= choice <= len(ids) or choice == -1):
            flow_id = ids[choice - 1] if choice != -1 else ids[-1]
            try:
                return store.get_flow(turn.session, turn.business_id, flow_id), None
            except NotFound:
                pass
        ref = getattr(u, "text", None) or ref
    found = find_flows(turn.session, turn.business_id, ref, last_flow_id=turn.last.get("flow_id"), prefer=prefer)
    if not found.all:
        return None, _no_flows()
    if found.flow is not None:
        return found.flow, None
    if found.choices:
        listed = _numbered(found.choices, found.all)
        return None, Outcome([f"Which automation?\n{listed}\nReply with its number."],
                             pending={"intent": intent, "expecting": "choice",
                                      "choices": [f.id for f in found.choices], **(data or {})})
    listed = _numbered(found.all, found.all)
    return None, Outcome([f"I couldn't find an automation like “{ref}”. Your automations:\n{listed}"])


# ------------------------------------------------------------------------------------ building

def _draft_from_words(turn: Turn, text: str) -> Draft:
    """`draft_flow`, with the saved numbers of customers named as recipients filled in."""
    filled, notes = fill_known_numbers(turn.session, turn.business_id, text)
    draft = draft_flow(filled, _config(turn))
    draft.notes = [*notes, *draft.notes]
    return draft


def build_flow(turn: Turn, u: Any) -> Outcome:
    """Draft an automation from its description and wait for YES."""
    text = str(u.text or "").strip()
    if _EDIT_EXISTING.match(text) or _EDIT_IN.match(text):
        return edit_flow(turn, u)
    try:
        draft = _draft_from_words(turn, text)
    except MunshiError as exc:
        if _AMEND.match(text) and turn.last.get("flow_id"):
            # "also email me at …" right after switching one on: a change to that one.
            return _edit_existing(turn, u, turn.last["flow_id"], text)
        return Outcome([exc.message])
    reply, confirm = draft_confirmation(turn, draft)
    return Outcome([reply], confirm=confirm)


def _activate(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """YES: validate and save the draft as a new flow (switched on) or a new version of its flow."""
    draft = Draft.from_dict(confirm["draft"])
    if draft.missing:
        return Outcome(["I can't switch it on yet. I still need:\n" + "\n".join(f"- {m}" for m in draft.missing)
                        + "\n\nTell me these, or say NO to drop the draft."], confirm=confirm)
    problems = validate.problems(draft.blueprint)
    if problems:
        return Outcome(["I can't switch it on: " + "; ".join(problems[:5])
                        + "\n\nTell me what to change, or say NO to drop it."], confirm=confirm)
    session, biz = turn.session, turn.business_id
    flow_id = confirm.get("flow_id")
    try:
        if flow_id:
            flow = store.get_flow(session, biz, flow_id)
            if confirm.get("base_version") and flow.version != confirm["base_version"]:
                return Outcome([f"{_quoted(flow.name)} was changed elsewhere meanwhile (it is now version "
                                f"{flow.version}), so I did not save this change. Tell me the change again."])
            was = str(flow.status)
            store.save_flow(session, biz, flow.id, draft.blueprint, name=draft.name)
            store.activate(session, biz, flow.id)
            again = "" if was == FlowStatus.active else " and switched it on"
            reply = f"✅ Saved {_quoted(flow.name)} as version {flow.version}{again}. New events use this version."
        else:
            names = {f.name.lower() for f in store.list_flows(session, biz)}
            name, n = draft.name, 2
            while name.lower() in names:
                name, n = f"{draft.name} ({n})", n + 1
            flow = store.create_flow(session, biz, name, draft.blueprint, activate=True)
            trigger = draft.blueprint.trigger
            when = describe_trigger(trigger) if trigger is not None else "When it is triggered"
            reply = (f"✅ {_quoted(flow.name)} is on. {when}, I'll do the steps and tell you if one fails.\n"
                     "Say *show my automations* to see it, or *turn it off* to pause it.")
    except NotFound:
        return Outcome(["That automation no longer exists, so there is nothing to save."])
    except MunshiError as exc:
        return Outcome([f"I can't switch it on: {exc.message}"], confirm=confirm)
    if flow.trigger == "webhook.received":
        reply += f"\nIts webhook URL: {store.webhook_url(_config(turn), flow)}"
    return Outcome([reply], last={"flow_id": flow.id})


def confirm_flow_draft(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """The ``flow_draft`` confirmer: YES switches the draft on (a draft with gaps keeps waiting)."""
    return _activate(turn, confirm)


def answer_draft(turn: Turn, confirm: dict[str, Any], u: Any) -> Answer:
    """The owner's next message while a draft waits (see the module docstring)."""
    text = " ".join(str(u.text or "").split())
    draft = Draft.from_dict(confirm["draft"])
    behind = bool(confirm.get("behind"))
    flow = None
    if confirm.get("flow_id"):
        try:
            flow = store.get_flow(turn.session, turn.business_id, confirm["flow_id"])
        except NotFound:
            return Answer(["That automation was deleted meanwhile, so I dropped the change."], None)
    if _DISCARD.match(text) or (u.intent == "no" and len(text.split()) <= 3):
        return Answer([confirm.get("declined") or "OK, dropped."], None)
    if is_test_request(text):
        report = dry_run(turn.session, turn.business_id, _config(turn), draft.blueprint,
                         flow_id=confirm.get("flow_id"), runtime=turn.runtime)
        follow = _prompt_for(flow) if draft.ready else "Tell me what is missing, or what to change."
        return Answer([f"{report}\n\n{follow}"], {**confirm, "behind": False})
    switch_on = u.intent == "resume_flow" and not _NOUN_RX.search(text) and u.flow_ref in (None, "that")
    # A yes read from a longer sentence ("send it", after talking about an invoice) is not taken as this
    # YES when other things were said since the draft, nor ever from a question.
    loose_yes = len(text.split()) <= 3 and not text.rstrip().endswith("?") and not behind
    if (u.intent == "yes" and (_plain_yes(text) or loose_yes)) or switch_on:
        out = _activate(turn, confirm)
        return Answer(out.replies, out.confirm, last=out.last)
    if u.intent == "yes":
        return Answer([], confirm, redo=True)
    confirm = {**confirm, "behind": False}
    name = parse_rename(text)
    if name:
        renamed = Draft(draft.blueprint, name, draft.notes, draft.missing)
        reply, new = draft_confirmation(turn, renamed, flow=flow, head=f"✏️ Renamed it to '{name}'.",
                                        mentioned=bool(confirm.get("mentioned")))
        return Answer([reply], new)
    if u.intent in _MANAGE:
        return Answer([], confirm, redo=True)
    if u.intent == "build_flow" and not _AMEND.match(text):
        try:
            fresh = _draft_from_words(turn, text)
        except MunshiError:
            fresh = None
        if fresh is not None:
            reply, new = draft_confirmation(turn, fresh, head=replaced_note(confirm))
            return Answer([reply], new)
    if draft.missing and _missing_answer(draft, text):
        try:
            new_draft, change = _edit(turn, draft, text, u)
        except MunshiError:
            pass
        else:
            reply, new = draft_confirmation(turn, new_draft, flow=flow, head=f"✏️ {change}",
                                            mentioned=bool(confirm.get("mentioned")))
            return Answer([reply], new)
    editable = u.intent in _EDITABLE or u.confidence < 0.8 or bool(_EDIT_MARK.search(text)) or u.intent == "no"
    if editable:
        try:
            new_draft, change = _edit(turn, draft, text, u)
        except MunshiError as exc:
            if u.intent == "no":
                return Answer([confirm.get("declined") or "OK, dropped."], None)
            if u.intent in ("unknown", "build_flow") or _EDIT_MARK.search(text) or not behind:
                follow = _prompt_for(flow) if draft.ready else "Tell me what is missing, or NO to drop it."
                return Answer([f"{exc.message}\n\n{follow}"], confirm)
        else:
            reply, new = draft_confirmation(turn, new_draft, flow=flow, head=f"✏️ {change}",
                                            mentioned=bool(confirm.get("mentioned")))
            return Answer([reply], new)
    return Answer([], confirm, redo=True)


def _plain_yes(text: str) -> bool:
    from intents.understand import understand

    return understand(text).intent == "yes"


def _missing_answer(draft: Draft, text: str) -> str | None:
    """The edit that supplies what the draft is missing from a bare answer ("me@example.com", a number)."""
    from intents.understand import find_email, find_phone

    missing = " ".join(draft.missing)
    email, phone = find_email(text), find_phone(text)
    if email and "email address" in missing:
        return f"also email me at {email}"
    if phone:
        role = re.search(r"WhatsApp number of (?:your |the )?(?P<who>[\w' -]+?) \(", missing)
        if role:
            return f"also WhatsApp my {role.group('who')} at {phone}"
        if "who to message" in missing or "WhatsApp number" in missing:
            return f"also WhatsApp {phone}"
    return None


def _edit(turn: Turn, draft: Draft, text: str, u: Any) -> tuple[Draft, str]:
    """`edit_draft`, plus answers to what the draft is missing, saved numbers of customers named
    ("also WhatsApp Ramesh"), and "cancel the email" read as "remove the email"."""
    answer = _missing_answer(draft, text) if draft.missing else None
    if answer and not _AMEND.match(text):
        try:
            return edit_draft(draft, answer)
        except MunshiError:
            pass
    filled, notes = fill_known_numbers(turn.session, turn.business_id, text)
    try:
        new, change = edit_draft(draft, filled)
        return new, " ".join([change, *notes])
    except MunshiError:
        cancel = re.match(r"^(?:no[\s,]+)?(?:cancel|no)\s+(?P<rest>(?:the|that)\s+.+)$", text, re.IGNORECASE)
        if cancel:
            return edit_draft(draft, "remove " + cancel.group("rest"))
        raise


# ------------------------------------------------------------------------------------ changing a saved flow

def _edit_existing(turn: Turn, u: Any, flow_id: str, rest: str) -> Outcome:
    try:
        flow = store.get_flow(turn.session, turn.business_id, flow_id)
    except NotFound:
        return Outcome(["That automation no longer exists."])
    return _edit_flow_with(turn, u, flow, rest)


def _edit_flow_with(turn: Turn, u: Any, flow: Flow, rest: str) -> Outcome:
    draft = _flow_draft(flow)
    if is_test_request(rest):
        return test_flow_for(turn, flow)
    name = parse_rename(rest)
    try:
        if name:
            new_draft, change = Draft(draft.blueprint, name), f"Renamed it to '{name}'."
        else:
            new_draft, change = _edit(turn, draft, rest, u)
    except MunshiError as exc:
        return Outcome([exc.message])
    reply, confirm = draft_confirmation(turn, new_draft, flow=flow,
                                        head=f"✏️ {change} (in {_quoted(flow.name)}, version {flow.version})")
    return Outcome([reply], confirm=confirm, last={"flow_id": flow.id})


def edit_flow(turn: Turn, u: Any) -> Outcome:
    """"change my payment automation to also email me": the change as a draft of the next version."""
    text = " ".join(str(u.text or "").split())
    pending = turn.pending if u.intent == "answer" else None
    m = _EDIT_EXISTING.match(text) or _EDIT_IN.match(text)
    rest = (pending or {}).get("rest") or (m.group("rest") if m else text)
    flow, ask = _pick(turn, u, _ref_of(m), "flow_edit", data={"rest": rest})
    if flow is None:
        return ask or _no_flows()
    return _edit_flow_with(turn, u, flow, rest)


def rename_flow(turn: Turn, u: Any) -> Outcome:
    """"rename my payment automation to Thank-you": a new name, no new version."""
    text = " ".join(str(u.text or "").split())
    pending = turn.pending if u.intent == "answer" else None
    m = _RENAME_EXISTING.match(text)
    name = (pending or {}).get("name") or (m.group("name").strip().strip("\"'“”‘’") if m else None)
    if not name:
        return Outcome(["What should the automation be called? Say e.g. *rename my payment automation to "
                        "Payment thanks*."])
    flow, ask = _pick(turn, u, _ref_of(m), "flow_rename", data={"name": name})
    if flow is None:
        return ask or _no_flows()
    old = flow.name
    store.save_flow(turn.session, turn.business_id, flow.id, name=name[:80])
    return Outcome([f"✏️ Renamed {_quoted(old)} to {_quoted(flow.name)}."], last={"flow_id": flow.id})


# ------------------------------------------------------------------------------------ showing

def _week_counts(turn: Turn, since: datetime) -> dict[str, dict[str, int]]:
    rows = turn.session.execute(
        select(Run.flow_id, Run.status, func.count(Run.id))
        .where(Run.business_id == turn.business_id, Run.created_at >= since)
        .group_by(Run.flow_id, Run.status))
    out: dict[str, dict[str, int]] = {}
    for flow_id, status, count in rows:
        out.setdefault(flow_id, {})[str(status)] = int(count)
    return out


def _when(dt: datetime) -> str:
    """A stored (UTC) time as the owner reads it: ``12 Jun, 08:05 PM``."""
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return aware.astimezone(IST).strftime("%d %b, %I:%M %p")


def _counts_words(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no runs"
    parts = [f"{total} run{'s' if total != 1 else ''}"]
    failed = counts.get(RunStatus.failed, 0)
    if failed:
        parts.append(f"{failed} failed")
    waiting = counts.get(RunStatus.waiting, 0) + counts.get(RunStatus.queued, 0) + counts.get(RunStatus.running, 0)
    if waiting:
        parts.append(f"{waiting} in progress")
    return ", ".join(parts)


def list_flows(turn: Turn, u: Any) -> Outcome:
    """"show my automations": each with its status and the last 7 days' runs."""
    flows = store.list_flows(turn.session, turn.business_id)
    if not flows:
        return _no_flows()
    since, words = period_since("")
    counts = _week_counts(turn, since)
    icon: dict[str, str] = {FlowStatus.active: "✅", FlowStatus.paused: "⏸️"}
    lines = [f"Your automations ({words}):"]
    for i, f in enumerate(flows, start=1):
        lines.append(f"{i}. {icon.get(str(f.status), '📝')} {f.name} — {status_word(f)}, "
                     f"{_counts_words(counts.get(f.id, {}))}")
    lines.append("Say e.g. *show automation 1*, *pause automation 1*, *how did my payment automation do "
                 "this week?* or *delete automation 1*.")
    return Outcome(["\n".join(lines)])


def show_flow(turn: Turn, u: Any) -> Outcome:
    """One automation: its summary, status, version and latest run."""
    m = _SHOW_ONE.match(" ".join(str(u.text or "").split()))
    flow, ask = _pick(turn, u, _ref_of(m), "flow_show")
    if flow is None:
        return ask or _no_flows()
    from flows.summary import summarize

    lines = [summarize(_blueprint(flow), flow.name), "",
             f"Status: {status_word(flow)} · version {flow.version}"]
    last = store.list_runs(turn.session, turn.business_id, flow_id=flow.id, limit=1)
    if last:
        run = last[0]
        lines.append(f"Last run: {_when(run.created_at)}, {run.status}" + (f" ({run.error})" if run.error else ""))
    if flow.trigger == "webhook.received":
        lines.append(f"Webhook URL: {store.webhook_url(_config(turn), flow)}")
    return Outcome(["\n".join(lines)], last={"flow_id": flow.id})


def flow_stats(turn: Turn, u: Any) -> Outcome:
    """"how did my payment automation do this week?": runs, failures and why, and RETRY."""
    text = " ".join(str(u.text or "").split())
    since, words = period_since(text)
    m = _STATS_REF.search(text)
    ref = _ref_of(m) if m else None
    flows = store.list_flows(turn.session, turn.business_id)
    if not flows:
        return _no_flows()
    if ref or (u.intent == "answer" and turn.pending):
        flow, ask = _pick(turn, u, ref, "flow_stats")
        if flow is None:
            return ask or _no_flows()
        chosen = [flow]
    else:
        chosen = flows
    lines: list[str] = []
    any_failed = False
    for flow in chosen:
        runs = list(turn.session.scalars(
            select(Run).where(Run.business_id == turn.business_id, Run.flow_id == flow.id, Run.created_at >= since)
            .order_by(Run.created_at.desc())))
        counts: dict[str, int] = {}
        for run in runs:
            counts[str(run.status)] = counts.get(str(run.status), 0) + 1
        ok = counts.get(RunStatus.succeeded, 0)
        head = f"{_quoted(flow.name)} ({status_word(flow)}): {_counts_words(counts)} {words}"
        if runs:
            head += f"; {ok} succeeded"
        lines.append(head + ".")
        failed = [r for r in runs if str(r.status) == RunStatus.failed]
        for run in failed[:3]:
            any_failed = True
            lines.append(f"   ❌ {_when(run.created_at)}: {run.error or 'failed'}")
    if any_failed:
        lines.append("Reply RETRY to run the last failed one again from the step that failed.")
    return Outcome(["\n".join(lines)], last={"flow_id": chosen[0].id} if len(chosen) == 1 else {})


# ------------------------------------------------------------------------------------ on / off / delete

def pause_flow(turn: Turn, u: Any) -> Outcome:
    """"turn off that automation": the one just touched, the only one, or the one named; "all" too."""
    ref = flow_ref(u)
    if ref == "all":
        flows = store.list_flows(turn.session, turn.business_id, status=FlowStatus.active)
        if not flows:
            return Outcome(["None of your automations is on."])
        for f in flows:
            store.pause(turn.session, turn.business_id, f.id)
        return Outcome([f"⏸️ Paused {len(flows)} automation{'s' if len(flows) > 1 else ''}: "
                        + ", ".join(_quoted(f.name) for f in flows) + "."])
    flow, ask = _pick(turn, u, ref, "pause_flow", prefer=FlowStatus.active)
    if flow is None:
        return ask or _no_flows()
    if str(flow.status) == FlowStatus.paused:
        return Outcome([f"{_quoted(flow.name)} is already paused."], last={"flow_id": flow.id})
    store.pause(turn.session, turn.business_id, flow.id)
    return Outcome([f"⏸️ Paused {_quoted(flow.name)}. It won't run until you switch it back on "
                    "(say *turn it back on*)."], last={"flow_id": flow.id})


def resume_flow(turn: Turn, u: Any) -> Outcome:
    """"turn it back on": shown and confirmed first (an automation is never switched on without YES)."""
    ref = flow_ref(u)
    if ref == "all":
        flows = [f for f in store.list_flows(turn.session, turn.business_id) if str(f.status) != FlowStatus.active]
        if not flows:
            return Outcome(["All your automations are already on."])
    else:
        flow, ask = _pick(turn, u, ref, "resume_flow", prefer=FlowStatus.paused)
        if flow is None:
            return ask or _no_flows()
        if str(flow.status) == FlowStatus.active:
            return Outcome([f"{_quoted(flow.name)} is already on."], last={"flow_id": flow.id})
        flows = [flow]
    from flows.summary import summarize

    shown = "\n\n".join(summarize(_blueprint(f), f.name) for f in flows)
    question = f"Switch {'these' if len(flows) > 1 else 'this'} back on?\n\n{shown}\n\nReply YES to switch " \
               f"{'them' if len(flows) > 1 else 'it'} on."
    return Outcome([question], confirm={
        "kind": "resume_flow", "question": question, "flow_ids": [f.id for f in flows],
        "summary": "switching on " + ", ".join(_quoted(f.name) for f in flows),
        "declined": "OK, left " + ("them" if len(flows) > 1 else "it") + " off."},
        last={"flow_id": flows[0].id} if len(flows) == 1 else {})


def confirm_resume(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """After YES: switch the flows on (each validated once more)."""
    done, failed = [], []
    for flow_id in confirm.get("flow_ids") or []:
        try:
            flow = store.activate(turn.session, turn.business_id, flow_id)
            done.append(_quoted(flow.name))
        except NotFound:
            continue
        except MunshiError as exc:
            failed.append(f"{flow_id}: {exc.message}")
    verb = "is" if len(done) == 1 else "are"
    lines = [f"▶️ {', '.join(done)} {verb} on again." if done else "Nothing was switched on."]
    if failed:
        lines.append("Could not switch on: " + "; ".join(failed))
    ids = confirm.get("flow_ids") or []
    return Outcome(["\n".join(lines)], last={"flow_id": ids[0]} if len(ids) == 1 else {})


def delete_flow(turn: Turn, u: Any) -> Outcome:
    """"delete the payment automation": confirmed first."""
    ref = flow_ref(u)
    if ref == "all":
        flows = store.list_flows(turn.session, turn.business_id)
        if not flows:
            return _no_flows()
    else:
        flow, ask = _pick(turn, u, ref, "delete_flow")
        if flow is None:
            return ask or _no_flows()
        flows = [flow]
    names = ", ".join(_quoted(f.name) for f in flows)
    question = f"Delete {names}? {'They' if len(flows) > 1 else 'It'} will never run again (past runs stay " \
               "visible). Reply YES to delete."
    return Outcome([question], confirm={
        "kind": "delete_flow", "question": question, "flow_ids": [f.id for f in flows],
        "summary": f"deleting {names}", "declined": f"OK, I kept {names}."})


def confirm_delete(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """After YES: delete the flows (kept with ``deleted_at`` so their runs stay readable)."""
    names = []
    for flow_id in confirm.get("flow_ids") or []:
        try:
            names.append(_quoted(store.delete(turn.session, turn.business_id, flow_id).name))
        except NotFound:
            continue
    if not names:
        return Outcome(["That automation was already gone."])
    return Outcome([f"🗑️ Deleted {', '.join(names)}."], last={"flow_id": None})


# ------------------------------------------------------------------------------------ test and retry

def test_flow_for(turn: Turn, flow: Flow) -> Outcome:
    """A dry run of a saved flow."""
    report = dry_run(turn.session, turn.business_id, _config(turn), _blueprint(flow), flow_id=flow.id,
                     runtime=turn.runtime)
    return Outcome([f"{_quoted(flow.name)}\n{report}"], last={"flow_id": flow.id})


def test_flow(turn: Turn, u: Any) -> Outcome:
    """"test my payment automation" / "try it" (the automation last talked about)."""
    m = _TEST_EXISTING.match(" ".join(str(u.text or "").split()))
    ref = _ref_of(m)
    if ref is None and not turn.last.get("flow_id") and m is None:
        flows = store.list_flows(turn.session, turn.business_id)
        if not flows:
            return _no_flows()
        if len(flows) > 1:
            return Outcome(["Which automation should I test? Say e.g. *test my payment automation*, or describe "
                            "a new one."])
    flow, ask = _pick(turn, u, ref, "flow_test")
    if flow is None:
        return ask or _no_flows()
    return test_flow_for(turn, flow)


def retry_run(turn: Turn, u: Any) -> Outcome:
    """RETRY: the most recent failed run goes again from its failed step (the engine's retry)."""
    from flows.engine import retry_last_failed

    turn.session.commit()  # the engine reads and writes in its own sessions
    result = retry_last_failed(turn.runtime, turn.business_id)
    return Outcome([result.message])


HANDLERS: dict[str, Any] = {
    "build_flow": build_flow,
    "list_flows": list_flows,
    "pause_flow": pause_flow,
    "resume_flow": resume_flow,
    "delete_flow": delete_flow,
    "retry_run": retry_run,
    "flow_show": show_flow,
    "flow_stats": flow_stats,
    "flow_rename": rename_flow,
    "flow_edit": edit_flow,
    "flow_test": test_flow,
}
CONFIRMERS: dict[str, Any] = {
    DRAFT: confirm_flow_draft,
    "resume_flow": confirm_resume,
    "delete_flow": confirm_delete,
}
DIALOGUES: dict[str, Any] = {DRAFT: answer_draft}
