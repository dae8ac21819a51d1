"""Automations: describing a new one (build_flow) and managing existing ones."""

from __future__ import annotations

import re

from intents.understand.common import compile_i, result
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Understanding

_FLOW_NOUN = (
    r"(?:automations?|automatic\s+messages?|auto\s*-?\s*(?:replies|reply|messages?)|flows?|workflows?|rules?|"
    r"zaps?|triggers?|schedules?|scheduled\s+(?:messages?|reports?))"
)
_FLOW_NOUN_RX = compile_i(rf"\b{_FLOW_NOUN}\b")
_DAYS = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|ravivar|raviwar|itwar|somvar|somwar|mangalvar|mangalwar|"
    r"budhvar|budhwar|guruvar|guruwar|shukravar|shukrawar|shanivar|shaniwar)s?"
)
_TRIGGER_START = compile_i(
    r"^(?:(?:and|also|then|ok|okay|so)\s+)?(?:when|whenever|every\s*time|each\s+time|if|once|as\s+soon\s+as|after|"
    r"jab\s+bhi|jab|agar|any\s*time|anytime|in\s+case)\b"
)
#: Hinglish events: "har payment pe", "payment aane par", "bill banne ke baad", "stock kam hone pe"
_HINGLISH_EVENT = compile_i(
    r"\bhar\s+(?:ek\s+)?(?:naye?\s+|nayi\s+|new\s+)?(?:payment|invoice|bill|sale|order)s?\s+(?:pe|par|per|ke\s+baad)\b|"
    r"\b(?:payments?|paisa|paise|invoice|bill|stock|maal)\s+(?:\w+\s+)?(?:aane|milne|aate|milte|banne|bante|katne|"
    r"hone|jama\s+hone)\s+(?:pe|par|per|ke\s+baad|hi)\b"
)
_QUESTION_WHEN = compile_i(
    r"^(?:when|if)\s+(?:did|was|is|will|do|does|are|were|has|have|can|should)\s+(?:i|we|the\s+last|my|he|she|it)\b"
)
_SCHEDULE = compile_i(
    rf"\bevery\s+(?:single\s+)?(?:day|morning|evening|night|afternoon|week|month|year|hour|weekday|weekend|"
    rf"{_DAYS}|\d+\s*(?:hours?|days?|minutes?|mins?|weeks?|months?)|other\s+day)\b|"
    rf"\b(?:daily|weekly|monthly|hourly|nightly|everyday|roz|rozana|har\s+(?:din|roz|hafte|mahine|ghante|{_DAYS}))\b|"
    rf"\bon\s+(?:every\s+)?{_DAYS}\b|\beach\s+(?:day|morning|evening|night|week|month|{_DAYS})\b|"
    r"\b\d+\s+days?\s+(?:after|before|later)\b|\bat\s+(?:the\s+)?(?:end|start)\s+of\s+(?:the\s+|every\s+|each\s+)?(?:day|week|month)\b"
)
_TIME = compile_i(
    r"\b(?:at|by|around)\s+\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|baje|o'?clock)\b|\b\d{1,2}\s*(?:am|pm|baje)\b"
)
_ACTION = compile_i(
    r"\b(?:send|sends|whatsapp|message|msg|email|e-mail|mail|sms|text|notify|alert|tell|inform|remind|log|"
    r"record|add\s+(?:a\s+)?(?:row|line|entry)|append|post|slack|sheet|sheets|spreadsheet|webhook|call|ping|"
    r"forward|thank|thanks|thank-you|bhejo|bhej|batao|bata|create\s+(?:a\s+)?payment\s+link|payment\s+link|"
    r"report|summary|copy|save|share|update|wait)\b"
)
_AMEND = compile_i(
    r"^(?:and\s+|also\s+|plus\s+|then\s+|and\s+also\s+|also,\s*)+(?:send|email|e-mail|mail|whatsapp|message|"
    r"msg|add\s+(?:a\s+)?(?:row|line|entry)|log|post|notify|slack|text|sms|tell|copy|cc|put|save|record|"
    r"thank|remind)\b"
)
_AUTOMATE = compile_i(
    r"\b(?:automate|automatically|automatic|auto|automation|workflow|set\s+up\s+a\s+flow|create\s+a\s+flow|new\s+flow)\b"
)
#: Money not coming in: "unpaid", "hasn't paid", "payment na kare", "paisa baaki".
_NOT_PAID = compile_i(
    r"\b(?:unpaid|overdue|pending|outstanding|due|dues|baaki|baki|bakaya|udhaar|udhar)\b|"
    r"\b(?:hasn't|hasnt|has\s+not|haven't|havent|have\s+not|hadn't|doesn't|doesnt|does\s+not|don't|dont|do\s+not|"
    r"didn't|didnt|did\s+not|won't|isn't|aren't|not|never|yet\s+to|fails?\s+to)\s+(?:yet\s+|still\s+)?(?:been\s+)?"
    r"(?:paid|pays|pay|payed|cleared|settled|come|comes|came|arrived|received)\b|"
    r"\b(?:na|nahi|nahin|nhi)\s+(?:pay\s+|payment\s+)?(?:kare|karein|kre|karte|karta|kiya|kiye|de|den|dete|diya|diye|"
    r"aaye|aaya|aayi|aata|mile|mila)\b|\b(?:pay|payment|paisa|paise)\s+(?:na|nahi|nahin|nhi)\b"
)
#: How long it has stayed unpaid: "after 3 days", "for 5 days", "in a week", "7 din mein", "10 din se".
_UNPAID_SPAN = compile_i(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|forty-five|fifty|sixty|ninety|a\s+couple\s+of|couple\s+of|a\s+few)\s+(?:days?|weeks?|months?|din|dino|"
    r"dinon|hafte|hafta|mahine|mahina)\b"
)
#: A reminder-like action: "remind", "send reminders", "yaad dilao", "follow up".
_REMINDISH = compile_i(
    r"\b(?:remind|reminds|reminders?|yaad\s+dila\w*|yaad\s+karao|nudge|follow\s*-?\s*up|chase|tagada|tagaada)\b"
)
#: Messaging someone: "send them", "WhatsApp customers", "unko … bhejo".
_TO_CUSTOMERS = compile_i(
    r"\b(?:customers?|clients?|them|they|everyone|anyone|someone|somebody|anybody|whoever|parties|party|buyers?|"
    r"people|those|unko|unhe|unhein|usko|use|inko|jinka|jinke|jiska|jiske|jo|jinhone|jisne)\b"
)
#: Relative or conditional wording that makes it a rule: "when", "if", "jo … unko", "agar", "whose".
_RULE_WORDING = compile_i(
    r"\b(?:when|whenever|if|once|agar|jab|jo|jinka|jinke|jiska|jiske|jinhone|jisne|whose|who|whoever|in\s+case)\b"
)
#: "send me the list of bills unpaid for 30 days" is a report now, not a rule.
_REPORT_WORDS = compile_i(r"\b(?:list|report|summary|statement|total|how\s+much|how\s+many|kitna|kitne)\b")
#: "remind Mahesh about the bill pending for 10 days": one named person, a reminder now.
_REMIND_SOMEONE = compile_i(r"\b(?:remind|reminder\s+to|yaad\s+dilao)\s+(?P<who>[a-z][\w.'-]*)")
_GENERIC_WHO = frozenset(
    "customers customer clients client them everyone everybody all the my our every each any anyone someone "
    "somebody anybody those people parties party buyers buyer whoever on about for to of via by with jo unko "
    "unhe usko sab sabko sabhi".split()
)
_LIST = compile_i(
    rf"^(?:(?:list|show|see|view|display|check|get)(?:\s+me)?(?:\s+(?:all|my|the|active|running|current|paused))*\s+{_FLOW_NOUN}|"
    rf"(?:what|which)\s+(?:all\s+)?{_FLOW_NOUN}|(?:my|all|active|current)\s+{_FLOW_NOUN}\??$|{_FLOW_NOUN}\??$|"
    rf"(?:what|which)\s+(?:are\s+)?(?:my\s+)?{_FLOW_NOUN}|(?:do|did)\s+i\s+have\s+any\s+{_FLOW_NOUN}|"
    rf"how\s+many\s+{_FLOW_NOUN})"
)
_PAUSE = compile_i(
    r"\b(?:pause|paused|stop|disable|turn\s+off|switch\s+off|turn\s+\w+\s+off|switch\s+\w+\s+off|deactivate|"
    r"suspend|hold|put\s+on\s+hold|band\s+karo|band\s+kar\s+do|band\s+kardo|rok\s+do|roko|off\s+karo|off\s+kar\s+do|mute)\b"
)
_RESUME = compile_i(
    r"\b(?:resume|restart|re-?enable|enable|turn\s+on|switch\s+on|turn\s+\w+\s+(?:back\s+)?on|switch\s+\w+\s+on|"
    r"activate|reactivate|re-?activate|unpause|un-?pause|start\s+again|start|chalu\s+karo|chalu\s+kar\s+do|"
    r"on\s+karo|on\s+kar\s+do|unmute)\b"
)
_DELETE = compile_i(
    r"\b(?:delete|remove|erase|get\s+rid\s+of|cancel|drop|hatao|hata\s+do|mita\s+do|trash|discard)\b"
)
_STOP_SENDING = compile_i(r"^(?:please\s+)?(?:stop|pause|disable)\s+(?:sending|the|those|these|all|my)\b")
_REF_DROP = compile_i(
    rf"\b(?:the|my|a|an|please|pls|for\s+now|for\s+a\s+while|temporarily|permanently|again|back|called|named|"
    rf"which|that\s+is|one|{_FLOW_NOUN})\b"
)


_ALL_FLOWS = compile_i(
    r"(?:please\s+)?(pause|stop|resume|unpause|turn\s+off|turn\s+on|switch\s+off|switch\s+on)\s+"
    r"(?:all|everything|all\s+of\s+them)"
)


def _flow_ref(p: Prepared, verb: re.Match[str]) -> str | None:
    """Which automation: "payment", "that", "daily sales", "all"."""
    after = p.low[verb.end() :]
    before = p.low[: verb.start()]
    m = re.search(r"\b(?:called|named)\s+[\"']?(.+?)[\"']?$", p.low)
    if m:
        return m.group(1).strip() or None
    chunk = after if _FLOW_NOUN_RX.search(after) or not before.strip() else before
    chunk = re.split(rf"\b{_FLOW_NOUN}\b", chunk)[0] if _FLOW_NOUN_RX.search(chunk) else chunk
    chunk = _REF_DROP.sub(" ", chunk)
    chunk = re.sub(r"\b(?:off|on|it|sending|karo|kar|do|band|chalu)\b", " ", chunk)
    chunk = re.sub(r"[^\w\s-]", " ", chunk)
    ref = re.sub(r"\s+", " ", chunk).strip()
    if ref in ("", "this", "that", "these", "those", "last", "latest", "new"):
        if re.search(r"\b(?:that|this|it|last|latest|new)\b", p.low):
            return "that"
        return None
    if ref in ("all", "every", "everything", "all of them", "them"):
        return "all"
    return ref


def detect_flow_manage(p: Prepared, ctx: Context) -> Understanding | None:
    """list / pause / resume / delete an automation; retry is in `detect_misc`."""
    low = p.low
    has_noun = bool(_FLOW_NOUN_RX.search(low))
    if has_noun:
        for rx, intent in ((_DELETE, "delete_flow"), (_PAUSE, "pause_flow"), (_RESUME, "resume_flow")):
            m = rx.search(low)
            if m:
                return result(p, intent, 0.95, flow_ref=_flow_ref(p, m))
        if _LIST.search(low) or (p.question and len(low.split()) <= 8):
            return result(p, "list_flows", 0.95)
        return None
    if _STOP_SENDING.search(low) and re.search(
        r"\b(?:message|messages|thank|reminders?|report|reports|alerts?|emails?|whatsapps?|sms)\b", low
    ):
        m = _PAUSE.search(low)
        assert m is not None
        ref = re.sub(
            r"^(?:please\s+)?(?:stop|pause|disable)\s+(?:sending\s+)?(?:the\s+|those\s+|these\s+|all\s+|my\s+)?",
            "",
            low,
        )
        return result(p, "pause_flow", 0.8, flow_ref=ref.strip() or None)
    if re.fullmatch(
        r"(?:please\s+)?(?:pause|pause\s+(?:it|that|this)|turn\s+(?:it|that|this)\s+off|switch\s+(?:it|that|this)\s+off)",
        low,
    ):
        return result(p, "pause_flow", 0.8, flow_ref="that")
    if re.fullmatch(
        r"(?:please\s+)?(?:resume|resume\s+(?:it|that|this)|unpause(?:\s+(?:it|that|this))?|turn\s+(?:it|that|this)\s+(?:back\s+)?on|switch\s+(?:it|that|this)\s+(?:back\s+)?on)",
        low,
    ):
        return result(p, "resume_flow", 0.8, flow_ref="that")
    m = _ALL_FLOWS.fullmatch(low)
    if m:
        intent = (
            "resume_flow"
            if re.match(r"(?:resume|unpause|turn\s+on|switch\s+on)", m.group(1))
            else "pause_flow"
        )
        return result(p, intent, 0.8, flow_ref="all")
    return None


def is_overdue_reminder_rule(low: str) -> bool:
    """"Remind customers about unpaid invoices after 3 days", "jo customer 7 din mein payment na kare unko
    reminder bhejo": a standing rule for overdue payments, not the one-off "remind everyone who owes me".

    It needs money not coming in, a reminder or message to customers, and either how long it has stayed
    unpaid ("after 3 days", "for 5 days", "7 din mein") or Hinglish rule wording ("jo … na kare … unko").
    """
    if not _NOT_PAID.search(low) or not (_REMINDISH.search(low) or _ACTION.search(low)):
        return False
    if not (_REMINDISH.search(low) or _TO_CUSTOMERS.search(low)):
        return False
    if _UNPAID_SPAN.search(low):
        if _REPORT_WORDS.search(low) and not _REMINDISH.search(low):
            return False  # "send me the list of bills unpaid for 30 days"
        named = _REMIND_SOMEONE.search(low)
        if named and named.group("who") not in _GENERIC_WHO and not _RULE_WORDING.search(low):
            return False  # "remind Mahesh about the bill pending for 10 days"
        return True
    # "jo customer payment na kare unko reminder bhejo": a rule even without a number of days
    return bool(
        re.search(r"^(?:jo|agar|jab)\b", low)
        and re.search(r"\b(?:na|nahi|nahin|nhi)\s+(?:pay\s+|payment\s+)?(?:kare|karein|kre|de|den)\b", low)
    )


def is_flow_description(p: Prepared) -> bool:
    """Does the message describe an automation (a trigger or schedule plus an action)?"""
    low = p.low
    if _AMEND.search(low):
        return True
    if _QUESTION_WHEN.search(low):
        return False
    if not p.question and is_overdue_reminder_rule(low):
        return True
    action = _ACTION.search(low)
    if not action:
        return False
    if _TRIGGER_START.search(low) or _HINGLISH_EVENT.search(low):
        return True
    if _SCHEDULE.search(low) or (_TIME.search(low) and re.search(r"\b(?:every|daily|roz|each|har)\b", low)):
        return True
    if _AUTOMATE.search(low):
        return True
    # "send me a WhatsApp whenever someone pays"
    return bool(
        re.search(
            r"\b(?:whenever|every\s*time|each\s+time|jab\s+bhi|when\s+(?:someone|anyone|a\s+customer|any\s+customer|somebody|a\s+payment|payment|stock|an?\s+invoice|invoice|i\s+get|i\s+receive|money))\b",
            low,
        )
    )


def detect_build_flow(p: Prepared, ctx: Context) -> Understanding | None:
    """A description of a new automation, or an addition to the one being drafted."""
    if not is_flow_description(p):
        return None
    return result(p, "build_flow", 0.9, email=p.email, phone=p.phone)
