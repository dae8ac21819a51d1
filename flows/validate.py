"""Blueprint validation: everything that can be known to be wrong before a flow runs.

`validate(blueprint)` returns nothing or raises `BlueprintInvalid` whose
``reasons`` are plain sentences for the owner (`problems` returns the same
list without raising). The rules:

- the graph: node and edge ids unique, ids usable as variable names, edges
  between existing nodes, exactly one trigger with nothing leading into it,
  no cycles, every node reachable from the trigger;
- the catalogue: every ``service.task`` known (`flows.catalogue`), and of the
  right kind for its node type; required params present; condition nodes
  branch ``true``/``false`` only, loop nodes ``each``/``done`` only, other
  nodes not at all;
- ``error_handling``: a ``fallback`` names a node that exists;
- values: phone numbers E.164-ish (or ``owner``, or a variable), emails and
  URLs well formed, cron expressions of five valid fields, timezones known,
  durations like ``30m``/``2h``/``3d``, choices from their list, conditions
  accepted by the safe evaluator;
- variables: every ``{{ref}}`` (and every name in a condition) resolves from
  the trigger's event data, ``business.name``/``business.phone``, or the
  output of a step that always runs, and succeeds, before this one.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from bot.errors import BlueprintInvalid, FlowError
from flows import conditions, template
from flows.catalogue import (
    BUSINESS_FIELDS,
    LOGIC_NAMES,
    TRIGGERS,
    ActionSpec,
    ParamSpec,
    TriggerSpec,
    action_spec,
    trigger_spec,
)
from flows.schema import Blueprint, Node

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_IDS = frozenset({"trigger_data", "business", "owner", *conditions.LITERALS, *conditions.FUNCTIONS})
_PHONE_RE = re.compile(r"^(?:\+[1-9]\d{7,14}|[6-9]\d{9})$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DELAY_SECONDS = 366 * 86400
MAX_OVERDUE_DAYS = 365

_BRANCHES = {"condition": {"true", "false"}, "loop": {"each", "done"}}


def validate(blueprint: Blueprint | dict[str, Any]) -> None:
    """Raise `BlueprintInvalid` listing every problem found; return None when the flow may be saved."""
    reasons = problems(blueprint)
    if reasons:
        raise BlueprintInvalid(reasons)


def problems(blueprint: Blueprint | dict[str, Any]) -> list[str]:
    """Every problem of ``blueprint`` as a plain sentence (an empty list when it is valid)."""
    if isinstance(blueprint, dict):
        try:
            blueprint = Blueprint.from_dict(blueprint)
        except BlueprintInvalid as exc:
            return list(exc.reasons)
    return _Checker(blueprint).run()


def is_phone(value: str) -> bool:
    """True for an E.164-ish number (``+919876543210``, ``+91 98765 43210``, ``9876543210``)."""
    return bool(_PHONE_RE.match(re.sub(r"[\s\-()]", "", value)))


def is_email(value: str) -> bool:
    """True for a well-formed email address."""
    return bool(_EMAIL_RE.match(value.strip()))


def is_url(value: str) -> bool:
    """True for an ``http``/``https`` URL with a host."""
    if any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def duration_seconds(value: str) -> int:
    """Seconds in a duration such as ``30m``, ``2h``, ``3d``; raise `FlowError` when malformed."""
    match = _DURATION_RE.match(str(value))
    if not match:
        raise FlowError(f"'{value}' is not a duration (write it like 30m, 2h or 3d)")
    if len(match.group(1)) > 9:  # far beyond a year in any unit (and int() refuses 4,300 digits and more)
        raise FlowError(f"'{str(value)[:20]}…' is longer than a wait can be (at most a year)")
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2)]


def is_cron(value: str) -> bool:
    """True for a valid five-field cron expression."""
    return isinstance(value, str) and len(value.split()) == 5 and croniter.is_valid(value)


def is_timezone(value: str) -> bool:
    """True for a known IANA timezone such as ``Asia/Kolkata``."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def _has_ref(value: Any) -> bool:
    return isinstance(value, str) and bool(template.REF_RE.search(value))


def _label(node: Node) -> str:
    return f"step '{node.id}'"


class _Checker:
    """One validation pass; collects reasons instead of stopping at the first."""

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.reasons: list[str] = []
        self.nodes: dict[str, Node] = {}
        self.specs: dict[str, ActionSpec | TriggerSpec | None] = {}

    def add(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def run(self) -> list[str]:
        bp = self.bp
        if not bp.nodes:
            self.add("The flow has no steps: it needs a trigger and at least one action.")
            return self.reasons
        structure_ok = self._ids()
        triggers = [n for n in bp.nodes if n.type == "trigger"]
        if not triggers:
            self.add("The flow needs exactly one trigger (what starts it); it has none.")
        elif len(triggers) > 1:
            self.add(f"The flow needs exactly one trigger; it has {len(triggers)}: "
                     + ", ".join(f"'{n.id}'" for n in triggers) + ".")
        for node in bp.nodes:
            self._catalogue(node)
        self._branches()
        self._error_handling()
        links = self._links()
        acyclic = self._acyclic(links)
        trigger = triggers[0] if len(triggers) == 1 else None
        if trigger is not None and structure_ok:
            if any(dst == trigger.id for _src, dst, _kind in links):
                self.add(f"Nothing may lead into the trigger '{trigger.id}'.")
            if acyclic:
                reachable = self._reachable(trigger.id, links)
                for node in bp.nodes:
                    if node.id not in reachable:
                        self.add(f"{_label(node).capitalize()} can never run: "
                                 "nothing leads to it from the trigger.")
                self._variables(trigger, links, reachable)
        return self.reasons

    # -- structure -------------------------------------------------------

    def _ids(self) -> bool:
        ok = True
        for node in self.bp.nodes:
            if node.id in self.nodes:
                self.add(f"Two steps have the same id '{node.id}'; each step needs its own id.")
                ok = False
                continue
            self.nodes[node.id] = node
            if not _ID_RE.match(node.id):
                self.add(f"The step id '{node.id}' may only use letters, digits and _ "
                         "(and not start with a digit), so it can be used in variables.")
            elif node.id in _RESERVED_IDS:
                self.add(f"The step id '{node.id}' is a reserved word; choose another id.")
        edge_ids: set[str] = set()
        for edge in self.bp.edges:
            if edge.id in edge_ids:
                self.add(f"Two links have the same id '{edge.id}'.")
            edge_ids.add(edge.id)
            for end in (edge.source, edge.target):
                if end not in self.nodes:
                    self.add(f"The link '{edge.id}' points to a step '{end}' that does not exist.")
                    ok = False
        return ok

    def _catalogue(self, node: Node) -> None:
        name = node.key
        if node.type == "trigger":
            spec: ActionSpec | TriggerSpec | None = trigger_spec(name)
            if spec is None:
                hint = " (it is an action, not a trigger)" if action_spec(name) else ""
                self.add(f"The trigger '{node.id}' uses '{name}', which is not a trigger I know{hint}. "
                         f"Known triggers: {', '.join(TRIGGERS)}.")
        else:
            spec = action_spec(name)
            expected = {"condition": "logic.condition", "loop": "control.for_each"}.get(node.type)
            if expected and name != expected:
                self.add(f"{_label(node).capitalize()} is a {node.type} step, so it must use "
                         f"'{expected}', not '{name}'.")
                spec = None
            elif node.type == "action" and name in LOGIC_NAMES:
                kind = "condition" if name == "logic.condition" else "loop"
                self.add(f"{_label(node).capitalize()} uses '{name}', so its type must be '{kind}'.")
                spec = None
            elif spec is None:
                hint = " (that is a trigger; a flow has only one, at the start)" if name in TRIGGERS else ""
                self.add(f"{_label(node).capitalize()} uses '{name}', which is not an action I know{hint}.")
        self.specs[node.id] = spec
        if spec is not None:
            self._params(node, spec.params)

    def _params(self, node: Node, specs: Iterable[ParamSpec]) -> None:
        params = node.params
        where = _label(node) if node.type != "trigger" else f"the trigger '{node.id}'"
        for spec in specs:
            value = params.get(spec.name)
            if value is None or (isinstance(value, str) and not value.strip()) or value == []:
                if spec.required:
                    self.add(f"{where.capitalize()} ({node.key}) is missing '{spec.name}'.")
                continue
            problem = _value_problem(spec, value)
            if problem:
                self.add(f"{where.capitalize()}: {problem}")

    def _branches(self) -> None:
        for node in self.bp.nodes:
            out = self.bp.outgoing(node.id)
            allowed = _BRANCHES.get(node.type)
            if allowed is None:
                for edge in out:
                    if edge.branch is not None:
                        self.add(f"The link '{edge.id}' from {_label(node)} has branch '{edge.branch}', "
                                 "but only condition and loop steps have branches.")
                continue
            names = "'true' or 'false'" if node.type == "condition" else "'each' or 'done'"
            for edge in out:
                if edge.branch not in allowed:
                    got = f"branch '{edge.branch}'" if edge.branch else "no branch"
                    self.add(f"The link '{edge.id}' from the {node.type} '{node.id}' has {got}; "
                             f"it must be {names}.")
            if not out:
                self.add(f"The {node.type} '{node.id}' leads nowhere: give it a {names} link.")
            elif node.type == "loop" and not any(e.branch == "each" for e in out):
                self.add(f"The loop '{node.id}' has no 'each' link, so it repeats nothing.")

    def _error_handling(self) -> None:
        for node in self.bp.nodes:
            handling = node.data.error_handling
            if handling is None:
                continue
            if node.type == "trigger":
                self.add(f"The trigger '{node.id}' cannot have error handling; put it on the steps.")
            target = handling.fallback_node
            if handling.on_failure == "fallback":
                if not target:
                    self.add(f"{_label(node).capitalize()} says 'on failure: fallback' "
                             "but names no fallback_node.")
                elif target not in self.nodes:
                    self.add(f"{_label(node).capitalize()} falls back to '{target}', which does not exist.")
                elif target == node.id:
                    self.add(f"{_label(node).capitalize()} cannot fall back to itself.")
                elif self.nodes[target].type == "trigger":
                    self.add(f"{_label(node).capitalize()} cannot fall back to the trigger.")
            elif target:
                self.add(f"{_label(node).capitalize()} names fallback_node '{target}' but on_failure is "
                         f"'{handling.on_failure}'; set on_failure to 'fallback' or remove it.")

    # -- graph -----------------------------------------------------------

    def _links(self) -> list[tuple[str, str, str]]:
        """(source, target, kind) for every edge and fallback between existing nodes."""
        links = [(e.source, e.target, "edge") for e in self.bp.edges
                 if e.source in self.nodes and e.target in self.nodes]
        for node in self.bp.nodes:
            handling = node.data.error_handling
            if handling and handling.on_failure == "fallback" and handling.fallback_node in self.nodes \
                    and handling.fallback_node != node.id:
                links.append((node.id, handling.fallback_node, "fallback"))
        return links

    def _acyclic(self, links: list[tuple[str, str, str]]) -> bool:
        children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for src, dst, _ in links:
            children[src].append(dst)
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for start in self.nodes:
            if start in state:
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            path: list[str] = []
            while stack:
                node, i = stack.pop()
                if i == 0:
                    state[node] = 1
                    path.append(node)
                if i < len(children[node]):
                    stack.append((node, i + 1))
                    child = children[node][i]
                    if state.get(child) == 1:
                        loop = [*path[path.index(child):], child]
                        self.add("The flow goes round in a circle (" + " → ".join(loop)
                                 + "); use a loop step to repeat things.")
                        return False
                    if child not in state:
                        stack.append((child, 0))
                else:
                    state[node] = 2
                    path.pop()
        return True

    @staticmethod
    def _reachable(start: str, links: list[tuple[str, str, str]]) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            node = todo.pop()
            for src, dst, _ in links:
                if src == node and dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        return seen

    def _available(self, trigger: Node, links: list[tuple[str, str, str]],
                   reachable: set[str]) -> dict[str, set[str]]:
        """For each node, the steps whose output is certain to exist when it runs."""
        incoming: dict[str, list[tuple[str, str]]] = {n: [] for n in reachable}
        indegree = {n: 0 for n in reachable}
        for src, dst, kind in links:
            if src in reachable and dst in reachable:
                incoming[dst].append((src, kind))
                indegree[dst] += 1
        order: list[str] = []
        ready = [trigger.id]
        remaining = dict(indegree)
        while ready:
            node = ready.pop()
            order.append(node)
            for src, dst, _ in links:
                if src == node and dst in remaining:
                    remaining[dst] -= 1
                    if remaining[dst] == 0:
                        ready.append(dst)
        available: dict[str, set[str]] = {trigger.id: set()}
        for node_id in order[1:]:
            options: list[set[str]] = []
            for src, kind in incoming[node_id]:
                before = set(available.get(src, set()))
                handling = self.nodes[src].data.error_handling
                # A step that failed and was skipped ("continue") or replaced
                # ("fallback") left no output behind.
                skipped = handling is not None and handling.on_failure == "continue"
                if kind == "edge" and not skipped and src != trigger.id:
                    before.add(src)
                options.append(before)
            available[node_id] = set.intersection(*options) if options else set()
        return available

    # -- variables -------------------------------------------------------

    def _variables(self, trigger: Node, links: list[tuple[str, str, str]], reachable: set[str]) -> None:
        tspec = trigger_spec(trigger.key)
        available = self._available(trigger, links, reachable)
        for node in self.bp.nodes:
            if node.type == "trigger" or node.id not in reachable:
                continue
            try:
                refs = template.references(node.params)
            except FlowError as exc:
                self.add(f"{_label(node).capitalize()}: {exc.message}")
                refs = []
            if node.type == "condition":
                expr = node.params.get("expression")
                if isinstance(expr, str) and expr.strip() and "{{" not in expr:
                    try:
                        refs += [r for r in conditions.referenced_names(expr) if r not in refs]
                    except FlowError:
                        pass  # reported by the value check
            for ref in refs:
                problem = self._ref_problem(ref, node, trigger, tspec, available.get(node.id, set()))
                if problem:
                    self.add(f"{_label(node).capitalize()} uses {{{{{ref}}}}}, but {problem}.")

    def _ref_problem(self, ref: str, node: Node, trigger: Node, tspec: TriggerSpec | None,
                     available: set[str]) -> str | None:
        parts = ref.split(".")
        head, rest = parts[0], parts[1:]
        if head == "trigger_data":
            if tspec is None or not rest or tspec.provides(rest):
                return None
            return f"the trigger ({tspec.summary}) gives no '{'.'.join(rest)}'"
        if head == "business":
            if len(rest) >= 1 and rest[0] in BUSINESS_FIELDS and len(rest) == 1:
                return None
            return "only business.name and business.phone exist"
        if head == trigger.id:
            path = ".".join(rest) or "x"
            return f"the trigger's data is read as trigger_data.… (e.g. {{{{trigger_data.{path}}}}})"
        if head not in self.nodes:
            return f"there is no step '{head}' (use trigger_data.…, business.… or an earlier step's id)"
        if head == node.id:
            return "a step cannot use its own output"
        if head not in available:
            return f"step '{head}' does not always finish before this step"
        spec = self.specs.get(head)
        outputs = spec.outputs if isinstance(spec, ActionSpec) else ()
        if rest and outputs and rest[0] not in outputs:
            return f"step '{head}' gives only {', '.join(outputs)}"
        return None


def _value_problem(spec: ParamSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (None when it does, or when it is a variable)."""
    name, kind = spec.name, spec.kind
    if kind == "expression":
        if not isinstance(value, str):
            return "the condition must be text, like trigger_data.payment.amount > 1000"
        if "{{" in value:
            return "write conditions without {{ }}, e.g. trigger_data.payment.amount > 1000"
        try:
            conditions.check(value)
        except FlowError as exc:
            return exc.message
        return None
    if _has_ref(value):
        return None
    if kind == "phone":
        if not isinstance(value, str):
            return f"'{name}' must be a phone number, 'owner' or a variable"
        if value.strip().lower() == "owner" or is_phone(value):
            return None
        return f"'{value}' is not a phone number (use +91XXXXXXXXXX, 'owner' or a variable)"
    if kind == "email":
        addresses = [a.strip() for a in str(value).split(",")] if isinstance(value, str) else []
        if addresses and all(is_email(a) for a in addresses):
            return None
        return f"'{value}' is not an email address"
    if kind == "url":
        if isinstance(value, str) and is_url(value):
            return None
        return f"'{value}' is not a web address (http:// or https://)"
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        return f"'{name}' must be a number, not {value!r}"
    if kind == "list":
        return None if isinstance(value, list) else f"'{name}' must be a list of values"
    if kind == "dict":
        return None if isinstance(value, dict) else f"'{name}' must be a set of name/value pairs"
    if kind == "choice":
        if value in spec.choices:
            return None
        return f"'{name}' must be one of {', '.join(spec.choices)}, not {value!r}"
    if kind == "duration":
        try:
            seconds = duration_seconds(value)
        except FlowError as exc:
            return exc.message
        if seconds <= 0:
            return "a wait must be longer than zero"
        if seconds > MAX_DELAY_SECONDS:
            return "a wait may be at most a year"
        return None
    if kind == "cron":
        if is_cron(value):
            return None
        return f"'{value}' is not a valid schedule (a cron expression of 5 fields, e.g. '0 20 * * *')"
    if kind == "timezone":
        return None if is_timezone(value) else f"'{value}' is not a timezone I know (e.g. Asia/Kolkata)"
    if kind == "days":
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_OVERDUE_DAYS:
            return None
        return f"'{name}' must be a whole number of days from 1 to {MAX_OVERDUE_DAYS}"
    if kind == "items":
        return None if isinstance(value, list) else "'items' must be a list or a variable holding one"
    if kind == "text":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return None
        return f"'{name}' must be text"
    return None
