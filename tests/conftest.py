"""Shared fixtures: real SQLite files and a throw-away PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import build_conversation
from bot.settings import Settings, load_settings
from content.search import Embedder
from handlers.clock import FrozenClock
from handlers.router import Conversation

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "SXSH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's own .env or SXSH_* variables must not change what tests see."""
    for key in list(os.environ):
        if key.startswith("SXSH_") and key != "SXSH_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _embedding_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a conversation sets the process's embedding options from its settings (the
    composition root, bot/app.py); a test's settings (the model off) must not reach the next
    test's content loads, which are cached per options (content/store.py)."""
    monkeypatch.setattr(Embedder, "options", Embedder.options)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sxsh_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("SXSH_TEST_REQUIRE_PG"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied before each test that uses it."""
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield pg_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a test on both databases the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return load_settings(database_url=database_url, content_dir=ROOT / "content", **overrides)


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url, officer_ids="console:officer")


@pytest.fixture
def conversation(settings: Settings, clock: FrozenClock) -> Iterator[Conversation]:
    conv = build_conversation(settings, clock=clock)
    yield conv
    conv.engine.dispose()
