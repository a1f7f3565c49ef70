"""Alembic, driven from code so `sxsh-bot db upgrade` and start-up share one path."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, normalise_url, private_file


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


@contextmanager
def serialised(url: str) -> Iterator[None]:
    """Hold an exclusive lock while migrating, so processes starting together take turns.

    PostgreSQL: an advisory lock (storage/migrations/env.py). SQLite: an exclusive `flock` on
    a `<database>.migrate.lock` file beside the database, released when the process ends even
    if it is killed. Without it, three processes starting on a new file raced and the losers
    exited with "table … already exists" (issue 8 item 15)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        yield
        return
    path = Path(u.database)
    private_file(path)
    try:
        fh = open(f"{path}.migrate.lock", "a")  # noqa: SIM115 - closed by the with below
    except OSError as exc:  # the folder cannot hold the database either: one line, not a trace
        raise OperationalError("open the migration lock", None, exc) from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # waits for the process migrating now
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def upgrade(url: str, revision: str = "head") -> None:
    with serialised(url):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with serialised(url):
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
