"""Engine and sessions. SQLite (WAL) by default; PostgreSQL by changing one URL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the only driver we install)."""
    u = make_url(url)
    if u.drivername in {"postgresql", "postgres"}:
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean(value: Any) -> Any:
    if isinstance(value, str) and _UNSTORABLE.search(value):
        # A lone surrogate (JSON "\ud800" from a platform) cannot be encoded as UTF-8 at all.
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    return value


def _clean_parameters(params: Any) -> Any:
    """Drop NUL characters from every text parameter and replace lone surrogates with U+FFFD:
    PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"), which lost the whole
    request, no driver can encode a surrogate, and SQLite kept NULs where no person can see
    them; both databases now store the same visible text."""
    if isinstance(params, dict):
        return {k: _clean(v) for k, v in params.items()}
    if isinstance(params, list):  # executemany
        return [_clean_parameters(p) for p in params]
    if isinstance(params, tuple):
        return tuple(_clean(v) for v in params)
    return params


def _guard(engine: Engine) -> Engine:
    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        return statement, _clean_parameters(parameters)

    return engine


def private_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only, when it does not
    exist yet: it holds people's messages and phone numbers (SQLite gives its -wal and -shm
    files the database file's mode). An existing file keeps the mode it has. A folder that
    cannot be made is left to SQLite, whose error says so in one line."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        pass


def make_engine(url: str) -> Engine:
    """An engine whose errors never show SQL parameters (people's messages, phone numbers,
    ids reach logs through exception texts) and whose text parameters are cleaned of what the
    databases cannot store (see _clean_parameters)."""
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            private_file(Path(u.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Deleted rows are overwritten, not left readable in free pages (/deletedata).
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return _guard(engine)
    return _guard(
        create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
