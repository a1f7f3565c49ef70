"""Evaluating the conditions parsed by conditions.py against the answers so far.

Empty values (unanswered, skipped, "" or []) make every comparison false, except a comparison
with the literal '' which tests emptiness (`${x} != ''` = "x was answered")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content.forms.conditions import ConditionError, Node, parse


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def truthy(value: Any) -> bool:
    if is_empty(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return True


def _scalar(value: Any) -> Any:
    """Answers as the evaluator sees them: lists as XLSForm's space-separated text,
    a location as its phường/xã name."""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value) if value else None
    if isinstance(value, Mapping):
        return value.get("ward") or value.get("free_text") or None
    if value == "":
        return None
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _compare(op: str, a: Any, b: Any) -> bool:
    if (isinstance(a, str) and a == "") or (isinstance(b, str) and b == ""):
        # the literal '' turns a comparison into an emptiness test
        other = b if isinstance(a, str) and a == "" else a
        empty = _scalar(other) in (None, "")
        return {"=": empty, "!=": not empty}.get(op, False)
    a, b = _scalar(a), _scalar(b)
    if a is None or b is None:
        return False  # an unanswered or skipped question never compares true
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = truthy(a), truthy(b)
    else:
        na, nb = _number(a), _number(b)
        if na is not None and nb is not None:
            a, b = na, nb
        elif op not in ("=", "!="):
            return False
        else:
            a, b = str(a), str(b)
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _selected_list(value: Any) -> list[str]:
    if is_empty(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.split()
    return [str(_scalar(value))]


def _eval(node: Node, answers: Mapping[str, Any], current: Any) -> Any:
    kind = node[0]
    if kind in ("num", "str"):
        return node[1]
    if kind == "ref":
        value = answers.get(node[1])
        return None if is_empty(value) else value
    if kind == "cur":
        return None if is_empty(current) else current
    if kind == "and":
        return truthy(_eval(node[1], answers, current)) and truthy(_eval(node[2], answers, current))
    if kind == "or":
        return truthy(_eval(node[1], answers, current)) or truthy(_eval(node[2], answers, current))
    if kind == "cmp":
        return _compare(node[1], _eval(node[2], answers, current), _eval(node[3], answers, current))
    if kind == "neg":
        n = _number(_scalar(_eval(node[1], answers, current)))
        return None if n is None else -n
    if kind == "arith":
        a = _number(_scalar(_eval(node[2], answers, current)))
        b = _number(_scalar(_eval(node[3], answers, current)))
        if a is None or b is None:
            return None
        op = node[1]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return None
        return a / b if op == "div" else a % b
    if kind == "call":
        name, args = node[1], node[2]
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "not":
            return not truthy(_eval(args[0], answers, current))
        if name == "selected":
            choice = _scalar(_eval(args[1], answers, current))
            if choice is None:
                return False
            if isinstance(choice, float) and choice.is_integer():
                choice = int(choice)
            return str(choice) in _selected_list(_eval(args[0], answers, current))
        if name == "count-selected":
            return len(_selected_list(_eval(args[0], answers, current)))
        if name == "string-length":
            value = _scalar(_eval(args[0], answers, current))
            if value is None:
                return 0
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return len(str(value))
    raise ConditionError(f"cannot evaluate {kind}")  # unreachable for parsed trees


def evaluate(source: str, answers: Mapping[str, Any], current: Any = None) -> Any:
    """Parse (cached) and evaluate `source` over `answers`; `.` is `current`."""
    return _eval(parse(source).tree, answers, current)


def is_true(source: str, answers: Mapping[str, Any], current: Any = None) -> bool:
    return truthy(evaluate(source, answers, current))
