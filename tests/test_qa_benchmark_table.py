"""The Q&A benchmark's report: a set held out whole (v3) gets one column, not an empty even
half shown as zeros."""

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


def test_a_set_held_out_whole_has_one_column():
    results = [_result("sxsh.cost", "right", "odd"), _result("sxsh.cost", "wrong", "odd")]
    lines = B.table("v3", B.by_half(results), None)
    assert "| measure | all (held out) | target |" in lines
    assert "| top-1 in scope (answered right, sure or middle tier) | 0.500 | ≥ 0.92 |" in lines
    assert "| paraphrase | 2 | 0.500 |" in lines


def test_a_set_with_both_halves_shows_them_apart():
    results = [_result("sxsh.cost", "right", "even"), _result("sxsh.cost", "wrong", "odd")]
    lines = B.table("v2", B.by_half(results), None)
    assert "| measure | all | even half (tuned on) | odd half (held out) | target |" in lines
    row = (
        "| top-1 in scope (answered right, sure or middle tier) | 0.500 | 1.000 | 0.000 | ≥ 0.92 |"
    )
    assert row in lines
