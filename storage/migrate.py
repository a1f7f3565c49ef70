"""Alembic, driven from code so `sxsh-bot db upgrade` and start-up share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from storage.db import make_engine, normalise_url


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            return row[0] if row else None
    finally:
        engine.dispose()
