"""The safe expression evaluator of condition nodes (never ``eval``).

Expressions read like Python and are checked against a whitelist before they
run on `simpleeval`::

    trigger_data.payment.amount > 10000 and trigger_data.customer.name != "Walk-in"
    "ramesh" in lower(trigger_data.customer.name)
    not (send_1.message_id == null)

Allowed: numbers, strings, ``true/false/null`` (``True/False/None`` too),
comparisons (``== != < <= > >= in not in``), ``and/or/not``, arithmetic
(``+ - * / // % **``), ``a if c else b``, list literals, and the names
``trigger_data.X``, ``NODE_ID.X`` and ``business.X`` where every ``.X`` (or
``[0]``/``["key"]``) is a key of a dict or an index of a list. Calls are
limited to `FUNCTIONS` (``len``, ``lower``…) by plain name.

Refused: attribute access to anything that is not a data key, names or keys
starting with ``__``, method calls, comprehensions, lambdas, f-strings,
huge exponents, ``%`` on text (it formats: ``"%0999999999d" % 1``), strings
longer than `MAX_STRING_LENGTH`, values built by ``*`` and ``+`` that hold more
than `MAX_WEIGHT` characters and items in all (``[[[0]*2000]*2000]*2000``
is small to write and enormous to print or compare), expressions longer than
`MAX_EXPRESSION_LENGTH` or nested deeper than `MAX_DEPTH`.

Every problem raises `FlowError` with a plain reason.
"""
from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable
from typing import Any

from simpleeval import SimpleEval

from bot.errors import FlowError

MAX_EXPRESSION_LENGTH = 1000
MAX_STRING_LENGTH = 10_000
MAX_DEPTH = 30
MAX_EXPONENT = 100
MAX_LIST_LENGTH = 200
MAX_ARGS = 3
#: Most characters and list items, counted through nested lists, that ``*``, ``+`` and str() may make.
MAX_WEIGHT = 100_000

#: Literal names (both the JSON and the Python spelling).
LITERALS: dict[str, Any] = {
    "true": True, "false": False, "null": None, "none": None,
    "True": True, "False": False, "None": None,
}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise FlowError(f"lower() and upper() need text, not {_kind(value)}")
    return value


def _len(value: Any) -> int:
    if not isinstance(value, (str, list, tuple, dict)):
        raise FlowError(f"len() needs text or a list, not {_kind(value)}")
    return len(value)


def _round(value: Any, digits: Any = 0) -> Any:
    if not isinstance(digits, int) or not 0 <= digits <= 10:
        raise FlowError("round() keeps between 0 and 10 decimal places")
    return round(value, digits) if digits else round(value)


def _number(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, str) and len(value) > 50:
            raise FlowError("that text is too long to be a number")
        try:
            return kind(value.replace(",", "") if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise FlowError(f"{value!r} is not a number") from None

    return convert


def _str(value: Any) -> str:
    if _weight(value) > MAX_WEIGHT:
        raise FlowError("that value is too large to turn into text")
    out = str(value)
    _check_size(out)
    return out


#: The only functions an expression may call.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len,
    "lower": lambda v: _text(v).lower(),
    "upper": lambda v: _text(v).upper(),
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "int": _number(int),
    "float": _number(float),
    "str": _str,
}

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.Not, ast.USub, ast.UAdd)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.Name,
    ast.Attribute, ast.Subscript, ast.Call, ast.List, ast.Tuple, ast.IfExp, ast.Load,
    ast.And, ast.Or, *_BINOPS, *_UNARY, *_COMPARE,
)
_WHAT = {
    ast.Lambda: "functions (lambda)", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions", ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments", ast.Slice: "slices", ast.Starred: "* unpacking",
    ast.Dict: "dict literals", ast.Set: "set literals", ast.Await: "await",
}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    return type(value).__name__


def _check_size(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
        raise FlowError(f"text longer than {MAX_STRING_LENGTH} characters is not allowed in a condition")
    if isinstance(value, (list, tuple)) and len(value) > MAX_LIST_LENGTH * 10:
        raise FlowError("that list is too long for a condition")
    return value


def parse(expr: str) -> ast.Expression:
    """Parse and check ``expr`` against the whitelist; raise `FlowError` when refused."""
    if not isinstance(expr, str) or not expr.strip():
        raise FlowError("the condition is empty")
    if len(expr) > MAX_EXPRESSION_LENGTH:
        raise FlowError(f"the condition is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FlowError(f"the condition {expr!r} is not a valid expression") from None
    _check_tree(tree, expr)
    return tree


@functools.lru_cache(maxsize=1024)
def _parsed(expr: str) -> ast.Expression:
    """`parse`, once per expression (a flow's conditions are evaluated on every run; the tree is only read)."""
    return parse(expr)


def check(expr: str) -> None:
    """Raise `FlowError` when ``expr`` would be refused (without evaluating it)."""
    parse(expr)


def _check_tree(tree: ast.AST, expr: str) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FlowError(f"the condition is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, _ALLOWED):
            what = _WHAT.get(type(node), type(node).__name__)
            raise FlowError(f"{what} are not allowed in a condition" if what.endswith("s")
                            else f"{what} is not allowed in a condition")
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (str, int, float, bool, type(None))):
                raise FlowError(f"the value {node.value!r} is not allowed in a condition")
            if isinstance(node.value, str) and len(node.value) > MAX_STRING_LENGTH:
                raise FlowError(f"text longer than {MAX_STRING_LENGTH} characters is not allowed "
                                "in a condition")
        elif isinstance(node, ast.Name):
            _check_key(node.id)
        elif isinstance(node, ast.Attribute):
            _check_key(node.attr)
        elif isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                raise FlowError("slices are not allowed in a condition")
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                _check_key(node.slice.value)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FlowError("method calls are not allowed in a condition; use lower(x), len(x)…")
            if node.func.id not in FUNCTIONS:
                raise FlowError(f"the function {node.func.id}() is not allowed in a condition "
                                f"(allowed: {', '.join(FUNCTIONS)})")
            if node.keywords:
                raise FlowError("named arguments are not allowed in a condition")
            if len(node.args) > MAX_ARGS:
                raise FlowError(f"{node.func.id}() takes at most {MAX_ARGS} values here")
            # The function name itself is not data: check only the arguments.
            stack.extend((arg, depth + 1) for arg in node.args)
            continue
        elif isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > MAX_LIST_LENGTH:
            raise FlowError(f"a list in a condition may hold at most {MAX_LIST_LENGTH} values")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_key(name: str) -> None:
    # Lookups are dict keys only, so a plain "_id" is harmless; dunder names never are.
    if name.startswith("__"):
        raise FlowError(f"names starting with '__' ({name}) are not allowed in a condition")


def _dotted(node: ast.AST) -> list[str] | None:
    """The data path a node reads (``trigger_data.items[0].x`` → ``[..., "0", "x"]``), or None."""
    if isinstance(node, ast.Name):
        return None if node.id in LITERALS else [node.id]
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else [*base, node.attr]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        value = node.slice.value
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            base = _dotted(node.value)
            return None if base is None else [*base, str(value)]
    return None


def referenced_names(expr: str) -> list[str]:
    """The dotted data names ``expr`` reads, in order of appearance, without repeats.

    ``referenced_names('trigger_data.payment.amount > 100 and lower(x.name) == "a"')``
    is ``["trigger_data.payment.amount", "x.name"]``. Function names and
    ``true/false/null`` are not data and are left out.
    """
    tree = parse(expr)
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        path = _dotted(node)
        if path is not None:
            name = ".".join(path)
            if name not in found:
                found.append(name)
            return
        if isinstance(node, ast.Call):
            for arg in node.args:
                visit(arg)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _weight(value: Any, limit: int = MAX_WEIGHT) -> int:
    """Characters and items in ``value``, counted through nested lists and dicts (shared ones each
    time they appear), stopping as soon as the count passes ``limit``."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple)):
            total += 1 + len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
    return total


def _safe_add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list)) and isinstance(b, type(a)):
        if len(a) + len(b) > MAX_STRING_LENGTH or _weight(a) + _weight(b) > MAX_WEIGHT:
            raise FlowError("the result would be too long")
    return operator.add(a, b)


def _safe_mult(a: Any, b: Any) -> Any:
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (str, list)) and isinstance(times, int) and times > 0 \
                and (len(seq) * times > MAX_STRING_LENGTH or _weight(seq) * times > MAX_WEIGHT):
            raise FlowError("the result would be too long")
    return operator.mul(a, b)


def _safe_mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):  # printf-style formatting: "%0999999999d" % 1 is a gigabyte
        raise FlowError("% works on numbers only in a condition")
    return operator.mod(a, b)


def _safe_pow(a: Any, b: Any) -> Any:
    if isinstance(b, (int, float)) and abs(b) > MAX_EXPONENT:
        raise FlowError(f"exponents above {MAX_EXPONENT} are not allowed")
    if isinstance(a, (int, float)) and abs(a) > 10**12:
        raise FlowError("that number is too large to raise to a power")
    return operator.pow(a, b)


def _contains(a: Any, b: Any) -> bool:
    if isinstance(b, str) and not isinstance(a, str):
        raise FlowError(f"cannot look for {_kind(a)} inside text")
    if not isinstance(b, (str, list, tuple, dict)):
        raise FlowError(f"'in' needs text or a list on its right, not {_kind(b)}")
    return a in b


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _safe_add, ast.Sub: operator.sub, ast.Mult: _safe_mult, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: _safe_mod, ast.Pow: _safe_pow,
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: _contains, ast.NotIn: lambda a, b: not _contains(a, b),
}


class _Evaluator(SimpleEval):
    """simpleeval with data-only attribute access and whitelisted plain-name calls."""

    def __init__(self, scope: dict[str, Any]) -> None:
        super().__init__(operators=dict(_OPERATORS), functions=dict(FUNCTIONS), names={})
        self.scope = scope
        # Only the node types the static check lets through (no f-strings, no slices…).
        self.nodes = {
            ast.Name: self._eval_name,
            ast.UnaryOp: self._eval_unaryop,
            ast.BinOp: self._eval_binop,
            ast.BoolOp: self._eval_boolop,
            ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp,
            ast.Call: self._eval_call,
            ast.Subscript: self._eval_subscript,
            ast.Attribute: self._eval_attribute,
            ast.Constant: self._eval_constant,
            ast.List: self._eval_sequence,
            ast.Tuple: self._eval_sequence,
        }

    def _eval(self, node: ast.AST) -> Any:
        handler = self.nodes.get(type(node))
        if handler is None:
            raise FlowError(f"{type(node).__name__} is not allowed in a condition")
        return _check_size(handler(node))

    def _eval_name(self, node: ast.Name) -> Any:
        if node.id in LITERALS:
            return LITERALS[node.id]
        if node.id not in self.scope:
            raise FlowError(f"'{node.id}' is not known here (use trigger_data.…, business.… "
                            "or the id of an earlier step)")
        return self.scope[node.id]

    def _read(self, base: Any, key: Any, node: ast.AST) -> Any:
        where = ".".join(_dotted(node) or ["that value"])
        if isinstance(base, dict):
            if key in base:
                return base[key]
            raise FlowError(f"{where} is missing")
        if isinstance(base, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool):
            if -len(base) <= key < len(base):
                return base[key]
            raise FlowError(f"{where} is missing (the list has {len(base)} items)")
        raise FlowError(f"cannot read {where}: it is {_kind(base)}")

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        _check_key(node.attr)
        return self._read(self._eval(node.value), node.attr, node)

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        key = self._eval(node.slice)
        if isinstance(key, str):
            _check_key(key)
        return self._read(self._eval(node.value), key, node)

    def _eval_call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            raise FlowError("only len, lower, upper, abs, round, min, max, int, float and str may be called")
        return FUNCTIONS[node.func.id](*(self._eval(a) for a in node.args))

    def _eval_sequence(self, node: ast.List | ast.Tuple) -> list[Any]:
        return [self._eval(e) for e in node.elts]


def evaluate(expr: str, scope: dict[str, Any]) -> Any:
    """Evaluate ``expr`` over ``scope`` (``{"trigger_data": …, "business": …, NODE_ID: …}``).

    Returns the value (usually a bool); raises `FlowError` with a plain reason
    when the expression is refused or cannot be worked out (a missing field,
    text compared with a number, division by zero…).
    """
    tree = _parsed(expr) if isinstance(expr, str) else parse(expr)
    evaluator = _Evaluator(scope)
    try:
        return evaluator._eval(tree.body)
    except FlowError:
        raise
    except ZeroDivisionError:
        raise FlowError("the condition divides by zero") from None
    except TypeError as exc:
        raise FlowError(f"the condition mixes values that do not go together ({_type_hint(exc)})") from None
    except (ValueError, OverflowError, ArithmeticError):
        raise FlowError("the condition works out to a number that is too large or not valid") from None
    except RecursionError:
        raise FlowError(f"the condition is nested more than {MAX_DEPTH} levels deep") from None
    except Exception as exc:  # simpleeval's own errors and anything unforeseen
        raise FlowError(f"the condition could not be worked out: {exc}") from None


def evaluate_bool(expr: str, scope: dict[str, Any]) -> bool:
    """`evaluate` and take the truth of the result (what a condition node branches on)."""
    return bool(evaluate(expr, scope))


def _type_hint(exc: TypeError) -> str:
    text = str(exc)
    if "not supported between instances of" in text:
        return "e.g. text compared with a number"
    if "unsupported operand" in text or "can only concatenate" in text:
        return "e.g. text added to a number"
    return "wrong kinds of values"
