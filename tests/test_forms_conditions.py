"""The condition evaluator: XLSForm-like semantics, and safety (text is parsed, never run)."""

from __future__ import annotations

import builtins

import pytest

from content.forms.conditions import ConditionError, parse
from content.forms.evaluation import evaluate, is_true

ANSWERS = {
    "has_boiler": "yes",
    "fuels": ["coal", "biomass"],
    "employees": 60,
    "sector": "seafood",
    "bill": 12.5,
    "skipped": None,
    "empty_list": [],
    "name": "Công ty A",
    "ward": {"park": "tra_noc_1", "ward": "Phường Thới An Đông", "free_text": None},
}

TRUE_FALSE = [
    ("${has_boiler} = 'yes'", None, True),
    ('${has_boiler} = "yes"', None, True),
    ("${has_boiler} != 'yes'", None, False),
    ("selected(${fuels}, 'coal')", None, True),
    ("selected(${fuels}, 'oil')", None, False),
    ("${employees} >= 50 and not(${sector} = 'other')", None, True),
    ("${employees} >= 50 and ${sector} = 'other'", None, False),
    ("${employees} < 50 or ${sector} = 'seafood'", None, True),
    ("(${employees} > 100 or ${bill} > 10) and ${has_boiler} = 'yes'", None, True),
    ("count-selected(${fuels}) >= 2", None, True),
    ("count-selected(${fuels}) = 3", None, False),
    ("count-selected(${empty_list}) = 0", None, True),
    ("${bill} * 2 = 25", None, True),
    ("${employees} div 4 = 15", None, True),
    ("${employees} mod 7 = 4", None, True),
    ("${employees} - 10 > 49", None, True),
    ("-${bill} < 0", None, True),
    ("${employees} = '60'", None, True),  # text typed numbers compare as numbers
    ("${ward} = 'Phường Thới An Đông'", None, True),
    ("string-length(${name}) = 9", None, True),
    ("true()", None, True),
    ("false() or true()", None, True),
    # `.` is the answer being checked by a constraint
    (". > 0", 5, True),
    (". > 0", 0, False),
    (". >= 1 and . <= 100000", 250, True),
    ("string-length(.) <= 10", "0912345678", True),
    ("string-length(.) <= 3", "0912345678", False),
    (". <= ${employees}", 61, False),
    # unanswered, skipped and empty references are empty: comparisons false, selected false
    ("${unknown_yet} = 'yes'", None, False),
    ("${unknown_yet} != 'yes'", None, False),
    ("${skipped} > 0", None, False),
    ("${skipped} < 0", None, False),
    ("selected(${skipped}, 'coal')", None, False),
    ("selected(${unknown_yet}, 'coal')", None, False),
    ("not(${unknown_yet} = 'yes')", None, True),
    ("${skipped} = ${unknown_yet}", None, False),
    ("count-selected(${skipped}) = 0", None, True),
    ("string-length(${skipped}) = 0", None, True),
    # the XLSForm idiom for "was answered"
    ("${skipped} = ''", None, True),
    ("${skipped} != ''", None, False),
    ("${sector} != ''", None, True),
    ("${empty_list} = ''", None, True),
    ("${employees} div 0 = 1", None, False),
]


@pytest.mark.parametrize(("source", "current", "expected"), TRUE_FALSE)
def test_evaluates_like_xlsform(source, current, expected):
    assert is_true(source, ANSWERS, current) is expected


SYNTAX_ERRORS = [
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('rm -rf /')", "unknown function"),
    ("exec('print(1)')", "unknown function 'exec'"),
    ("eval('1')", "unknown function 'eval'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("${a}.__class__", "unexpected"),
    ("lambda: 1", "unexpected character ':'"),
    ("[x for x in ()]", "unexpected character '['"),
    ("1; 2", "unexpected character ';'"),
    ("os", "unknown name 'os'"),
    ("has_boiler = 'yes'", "unknown name 'has_boiler'"),
    ("$has_boiler = 'yes'", "unexpected character '$'"),
    ("${has_boiler} == 'yes'", "expected a value, found '='"),
    ("${a} = 1 = 2", "chained comparison"),
    ("${a} = ", "end of expression"),
    ("(${a} = 1", "expected ')'"),
    ("${a} = 1)", "unexpected ')'"),
    ("selected(${a})", "selected() takes 2 arguments, got 1"),
    ("not(${a}, ${b})", "not() takes 1 argument, got 2"),
    ("'unterminated", "unexpected character"),
    ("and ${a}", "needs a value before it"),
    ("", "empty expression"),
    ("(" * 200 + "1" + ")" * 200, "nested too deeply"),
    ("-" * 200 + "1", "nested too deeply"),
    ("1" + " or 1" * 1000, "longer than"),
]


@pytest.mark.parametrize(("source", "message"), SYNTAX_ERRORS)
def test_syntax_errors_are_reported_not_run(source, message):
    with pytest.raises(ConditionError) as info:
        parse(source)
    assert message in str(info.value)


def test_nothing_is_passed_to_eval_or_exec(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("eval/exec/compile must never be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, boom)
    for source, current, expected in TRUE_FALSE:
        assert is_true(source, ANSWERS, current) is expected
    with pytest.raises(ConditionError):
        evaluate("__import__('os')", ANSWERS)


def test_references_and_current_are_known_after_parsing():
    expr = parse("${a} = 'x' and selected(${b}, 'y') or . > ${c}")
    assert expr.refs == {"a", "b", "c"}
    assert expr.uses_current
    assert not parse("${a} = 1").uses_current


def test_error_position_points_at_the_problem():
    with pytest.raises(ConditionError) as info:
        parse("${a} = 'x' and exec('1')")
    assert info.value.pos == 15
