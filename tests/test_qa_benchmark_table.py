"""The Q&A benchmark's report: each set in one column headed with how it was used (tuned on,
validation, held out), and `--misses` refuses the sets whose questions nobody may read."""

import pytest

from benchmarks import qa_benchmark as B


def _result(topic, verdict, half):
    return {
        "topic": topic,
        "verdict": verdict,
        "half": half,
        "style": ["paraphrase"],
        "kind": "answer",
        "best": topic,
        "also": [],
        "offered": [],
        "ms": 2.0,
        "cpu_ms": 2.0,
        "model": True,
    }


def test_a_held_out_set_is_headed_held_out():
    results = [_result("sxsh.cost", "right", "odd"), _result("sxsh.cost", "wrong", "odd")]
    lines = B.table("v5", B.by_half(results), None)
    assert "| measure | all (held out) | target |" in lines
    assert "| top-1 in scope (answered right, sure or middle tier) | 0.500 | ≥ 0.92 |" in lines
    assert "| paraphrase | 2 | 0.500 |" in lines


def test_tuning_and_validation_sets_say_so():
    results = [_result("sxsh.cost", "right", "even"), _result("sxsh.cost", "wrong", "odd")]
    assert "| measure | all (tuned on) | target |" in B.table("v2", B.by_half(results), None)
    assert "| measure | all (validation) | target |" in B.table("v4", B.by_half(results), None)
    assert "| measure | all (held out) | target |" in B.table("v5+v6", B.by_half(results), None)


def test_misses_of_a_held_out_set_are_refused(capsys):
    for name in ("v4", "v5", "v6"):
        with pytest.raises(SystemExit):
            B.main(["--set", name, "--misses"])
        assert "held out" in capsys.readouterr().err


def test_every_miss_of_a_tuning_set_is_listed():
    results = [_result("sxsh.cost", "right", "even"), _result("sxsh.cost", "wrong", "odd")]
    results[1]["n"], results[1]["q"], results[1]["got"], results[1]["score"] = 7, "q?", "x", 0.9
    assert [m["n"] for m in B.misses(results)] == [7]  # either half of an earlier split
