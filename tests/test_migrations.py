"""Migrations on an empty SQLite file and on PostgreSQL; downgrade/upgrade round-trips."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from storage import migrate

TABLES = {
    "contacts",
    "consent_records",
    "app_state",
    "question_log",
    "enterprises",
    "responses",
    "answers",
    "outbox",
}


def tables(url: str) -> set[str]:
    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url"))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_round_trip(db_url):
    assert migrate.current(db_url) is None
    migrate.upgrade(db_url)
    head = migrate.current(db_url)
    assert head is not None
    assert tables(db_url) >= TABLES
    migrate.downgrade(db_url, "base")
    assert tables(db_url) == set()
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == head
    assert tables(db_url) >= TABLES


def test_upgrade_is_idempotent(db_url):
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    assert tables(db_url) >= TABLES


def test_sqlite_uses_wal(sqlite_url):
    from storage.db import make_engine

    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_models_and_migrations_agree(db_url):
    """A model change without its migration would only show up in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401
    from storage.db import make_engine

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []
