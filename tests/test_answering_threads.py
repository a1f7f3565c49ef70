"""`serve` and `run` ask running threads to hand over the GIL every 0.5 ms, not Python's 5 ms
(bot/app.py, SWITCH_INTERVAL: measured with benchmarks/load.py)."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from bot import app as wiring
from bot import serve as server
from bot.cli import app as cli


@pytest.fixture
def interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_serve_answers_with_the_short_switch_interval(interval, monkeypatch, sqlite_url):
    seen: list[float] = []
    monkeypatch.setattr(server, "run", lambda conversation, settings: seen.append(
        sys.getswitchinterval()))  # fmt: skip
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    sys.setswitchinterval(0.005)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert seen == [pytest.approx(wiring.SWITCH_INTERVAL)]
    assert wiring.SWITCH_INTERVAL < 0.005
