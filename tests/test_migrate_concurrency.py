"""Several processes starting together on a new database: migrations run once, nobody fails
(issue 8 item 15: on SQLite one process in three exited with "table … already exists")."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import create_engine, inspect

from tests.test_cli import BIN, env_without_sxsh


def start_together(url: str, cwd, n: int = 3) -> list[subprocess.CompletedProcess]:
    env = {**env_without_sxsh(), "SXSH_DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [str(BIN), "db", "upgrade"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


@pytest.mark.parametrize("round_", range(2))
def test_three_processes_migrate_a_new_sqlite_file_together(tmp_path, round_):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    results = start_together(url, tmp_path)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-400:] for r in results]
    assert all("database at revision" in r.stdout for r in results)
    engine = create_engine(url)
    try:
        assert "outbox" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_three_processes_migrate_a_new_postgres_database_together(pg_url, tmp_path):
    results = start_together(pg_url, tmp_path)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-400:] for r in results]
