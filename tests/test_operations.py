"""An operator following the README's deployment section: the processes a new operator starts
(`worker`, `ask`, `serve`) honour every setting, and each mistake is one line saying what to fix
(no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent / "sxsh-bot"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXSH_", "XDG_"))}
    env.update(
        XDG_CACHE_HOME=str(tmp_path / "xdg"),
        SXSH_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SXSH_CONTENT_DIR=str(ROOT / "content"),
    )
    env.update(extra)
    return env


def sxsh(tmp_path: Path, *args: str, timeout: float = 300, **extra: str):
    return subprocess.run(
        [str(BIN), *args],
        env=env_for(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_process(command: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([str(BIN), command], env=env, cwd=cwd, stderr=out)


def start_serve(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    return start_process("serve", env, cwd, log)


async def stopped_once_logged(
    procs: list[subprocess.Popen],
    logs: list[Path],
    line: str,
    seconds: float,
    ready: Awaitable[object] | None = None,
) -> str:
    """Await `ready` (if given), wait until `line` is in the logs (at most `seconds`), then stop
    the processes (SIGTERM, waited for); the logs' text."""
    import asyncio
    import signal

    def text() -> str:
        return "".join(log.read_text() for log in logs)

    try:
        if ready is not None:
            await ready
        for _ in range(int(seconds * 10)):
            if line in text():
                break
            await asyncio.sleep(0.1)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            await asyncio.to_thread(proc.wait, 30)
    return text()


def test_worker_and_ask_follow_the_search_settings(tmp_path):
    # With SXSH_SEARCH_EMBEDDINGS=off in /etc/sxsh-bot.env the worker still ran the embedding
    # model over the whole content at start (a minute of CPU before "worker delivering ...",
    # vectors written to the default cache, not SXSH_SEARCH_CACHE_DIR); `ask` did the same.
    r = sxsh(tmp_path, "worker", "--once", SXSH_SEARCH_EMBEDDINGS="off")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "nothing due"
    r = sxsh(tmp_path, "ask", "tiết kiệm nước", SXSH_SEARCH_EMBEDDINGS="off")
    assert r.returncode == 0, r.stderr
    assert "nước" in r.stdout
    assert not (tmp_path / "xdg").exists()  # no model ran: no vectors cached anywhere


def test_a_misspelt_variable_stops_the_bot_with_the_name_it_meant(tmp_path):
    # SXSH_TELEGRAM_TOKN in the env file: `serve` started "serving no channel", `run` opened
    # the terminal chat under systemd; nothing said the token was never read.
    r = sxsh(tmp_path, "serve", SXSH_TELEGRAM_TOKN="123456:" + "A" * 35, timeout=60)
    assert r.returncode == 2
    assert r.stderr == (
        "sxsh-bot: configuration error: SXSH_TELEGRAM_TOKN is not a setting "
        "(did you mean SXSH_TELEGRAM_TOKEN?)\n"
    )
    (tmp_path / ".env").write_text("SXSH_WEB_PORTT=8443\n", encoding="utf-8")
    r = sxsh(tmp_path, "db", "current")
    assert (r.returncode, r.stderr) == (
        2,
        "sxsh-bot: configuration error: SXSH_WEB_PORTT is not a setting "
        "(did you mean SXSH_WEB_PORT?)\n",
    )


def test_a_wrong_redis_url_is_one_line_at_start(tmp_path):
    # The worker printed redis's traceback at its first send; `serve` logged that the Bot API
    # could not be reached (ValueError) and exited 3: neither named SXSH_DELIVERY_REDIS_URL.
    for wrong in ("http://127.0.0.1:6379", "127.0.0.1:6379", "redis://127.0.0.1:port/0"):
        r = sxsh(tmp_path, "worker", "--once", SXSH_DELIVERY_REDIS_URL=wrong, timeout=60)
        assert (r.returncode, r.stderr) == (
            2,
            "sxsh-bot: configuration error: SXSH_DELIVERY_REDIS_URL: not a Redis URL, "
            "e.g. redis://127.0.0.1:6379/0\n",
        )


def test_the_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    # `./scripts/run` made data/ and data/sxsh.db world-readable (0755 / 0644): people's
    # messages and phone numbers for every user of the machine, and for the backups copied
    # from it. A file that already exists keeps its mode (the operator chose it).
    import stat

    r = sxsh(tmp_path, "db", "upgrade", SXSH_DATABASE_URL="sqlite:///data/sxsh.db", timeout=120)
    assert r.returncode == 0, r.stderr
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "sxsh.db").stat().st_mode) == 0o600
    chosen = tmp_path / "shared.db"
    chosen.touch(mode=0o640)
    chosen.chmod(0o640)
    r = sxsh(tmp_path, "db", "upgrade", SXSH_DATABASE_URL=f"sqlite:///{chosen}", timeout=120)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o640


def test_every_option_and_argument_of_every_command_says_what_it_is():
    # `sxsh-bot db upgrade --help` showed `--revision <str> [default: head]` and `db downgrade`
    # a bare `revision [required]`: an operator upgrading had to read the code.
    import typer.main

    from bot.cli import app

    def walk(command, path):  # noqa: ANN001, ANN202
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])
        for param in command.params:
            if param.name != "help" and not getattr(param, "help", None):
                yield " ".join(path) + f": {param.name}"

    silent = list(walk(typer.main.get_command(app), ["sxsh-bot"]))
    assert silent == []


async def test_a_job_that_cannot_reach_the_database_is_named_in_the_log(caplog):
    # The worker logged "maintenance-4: database unavailable": which job, the operator could
    # not tell. The registry's job names are the ones logged.
    import logging

    from bot.delivery import Delivery
    from bot.scheduler import start_scheduler
    from bot.worker import maintenance_jobs
    from handlers.clock import SystemClock
    from storage.db import make_engine
    from tests.conftest import make_settings

    url = "postgresql+psycopg://nobody@127.0.0.1:9/closed"  # a closed port: nothing listens
    s = make_settings(url)
    engine = make_engine(url)
    clock = SystemClock()
    delivery = Delivery.from_settings(engine, None, clock, {}, s.delivery)  # not run here
    scheduler = start_scheduler(delivery, maintenance=maintenance_jobs(engine, clock, s))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
            await scheduler.get_job("ticket_reminders").func()
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.scheduler"]
    assert line.startswith("ticket_reminders: database unavailable, trying again each interval")


async def test_a_worker_that_cannot_open_telegram_says_so_in_one_line(tmp_path):
    # `sxsh-bot worker` with the Bot API unreachable (or the token refused) printed 60 lines of
    # httpx / PTB traceback and exited 1; `serve` says the same in one line and exits 3.
    import asyncio

    from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram, free_port

    async def worker(api_url: str):  # noqa: ANN202
        return await asyncio.to_thread(
            sxsh, tmp_path, "worker", timeout=120, SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
            SXSH_TELEGRAM_API_URL=api_url, SXSH_SEARCH_EMBEDDINGS="off",
        )  # fmt: skip

    r = await worker(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        "sxsh-bot: Telegram: the Bot API (SXSH_TELEGRAM_API_URL) could not be reached at "
        "start (NetworkError)"
    )
    async with FakeTelegram(token_ok="987654:" + "B" * 35) as srv:
        r = await worker(srv.root_url)
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        "sxsh-bot: Telegram: the Bot API refused SXSH_TELEGRAM_TOKEN (401): check the token"
    )


async def test_run_that_cannot_reach_telegram_says_so_in_one_line(tmp_path):
    # `sxsh-bot run` logged PTB's "Network Retry Loop ... Aborting." and the same chained
    # httpx / PTB traceback twice (about 80 lines) before "the bot stopped: NetworkError".
    import asyncio

    from tests.support.telegram_server import DEFAULT_TOKEN, free_port

    r = await asyncio.to_thread(
        sxsh, tmp_path, "run", timeout=120, SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
        SXSH_TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}", SXSH_SEARCH_EMBEDDINGS="off",
    )  # fmt: skip
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        "sxsh-bot: Telegram: the Bot API (SXSH_TELEGRAM_API_URL) could not be reached at "
        "start (NetworkError)"
    )


def test_zalo_authorize_with_the_token_endpoint_away_names_what_to_check(tmp_path):
    # It said "could not reach the token endpoint: Retryable": an internal class name.
    from tests.support.telegram_server import free_port

    r = sxsh(
        tmp_path, "zalo", "authorize", "--code", "abc", timeout=120,
        SXSH_ZALO_OA_APP_ID="1234567890", SXSH_ZALO_OA_APP_SECRET="secret",
        SXSH_ZALO_OA_OAUTH_URL=f"http://127.0.0.1:{free_port()}",
    )  # fmt: skip
    assert (r.returncode, r.stderr) == (
        1,
        "sxsh-bot: could not reach Zalo's token endpoint (SXSH_ZALO_OA_OAUTH_URL): ConnectError\n",
    )


async def test_serve_without_a_webhook_url_says_telegram_sends_it_nothing(tmp_path):
    # The env file lacked SXSH_TELEGRAM_WEBHOOK_URL: `serve` logged "serving telegram on ..."
    # and /healthz said 200, while no message could ever reach it.

    from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram, free_port

    async with FakeTelegram() as srv:
        env = env_for(
            tmp_path, SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN, SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_SEARCH_EMBEDDINGS="off", SXSH_WEB_LISTEN="127.0.0.1",
            SXSH_WEB_PORT=str(free_port()),
        )  # fmt: skip
        log = tmp_path / "serve.log"
        proc = start_serve(env, tmp_path, log)
        ready = srv.wait_for("setMyCommands", timeout=90, since=0)
        text = await stopped_once_logged([proc], [log], "serving telegram", 10, ready)
    assert (
        "WARNING bot.serve: SXSH_TELEGRAM_WEBHOOK_URL is not set: Telegram sends this process "
        "nothing (it only delivers the outbox); set it, or run `sxsh-bot run` to poll"
    ) in text


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        # Passed the settings, then stopped every process in setup_logging with a traceback.
        ("SXSH_LOG_LEVEL", "verbose",
         "SXSH_LOG_LEVEL: 'verbose': use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        # Passed the settings, then failed at the first call as "could not be reached".
        ("SXSH_TELEGRAM_API_URL", "api.telegram.org",
         "SXSH_TELEGRAM_API_URL: 'api.telegram.org' is not a web address, "
         "e.g. https://api.example.vn"),
        ("SXSH_ZALO_OA_OAUTH_URL", "oauth.zaloapp.com",
         "SXSH_ZALO_OA_OAUTH_URL: 'oauth.zaloapp.com' is not a web address, "
         "e.g. https://api.example.vn"),
        ("SXSH_ZALO_BOT_API_URL", "ftp://bot",
         "SXSH_ZALO_BOT_API_URL: 'ftp://bot' is not a web address, e.g. https://api.example.vn"),
        # Passed, then `serve` stopped with uvicorn's "[Errno -2] Name or service not known".
        ("SXSH_WEB_LISTEN", "localhost:8443",
         "SXSH_WEB_LISTEN: 'localhost:8443': an address without a port or scheme, e.g. "
         "127.0.0.1 (the port is SXSH_WEB_PORT)"),
    ],
)  # fmt: skip
def test_a_value_no_process_can_use_is_refused_at_start(monkeypatch, variable, value, line):
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == line


async def test_a_second_poller_is_named_as_the_mistake_it_is(tmp_path):
    # Two `sxsh-bot run` on one token (polling): each logged "error while handling an update:
    # Conflict: ..." every few seconds, while they took each other's messages.

    from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

    async with FakeTelegram() as srv:
        env = env_for(
            tmp_path, SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN, SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_SEARCH_EMBEDDINGS="off",
        )  # fmt: skip
        logs = [tmp_path / "first.log", tmp_path / "second.log"]
        procs = []
        for log in logs:
            procs.append(start_process("run", env, tmp_path, log))
            await srv.wait_for("setMyCommands", timeout=90)
        text = await stopped_once_logged(procs, logs, "409 Conflict", 20)
    assert (
        "ERROR bot.channels.telegram.app: Telegram: another process polls this bot (409 "
        "Conflict), each takes the other's messages: run one `sxsh-bot run`, or several "
        "`sxsh-bot serve` with SXSH_TELEGRAM_WEBHOOK_URL (README, Deployment)"
    ) in text
    assert "error while handling an update" not in text


def test_zalo_oa_left_off_by_a_missing_key_says_which(tmp_path):
    # App id and app secret set, the OA secret key forgotten: the worker and serve started
    # without Zalo OA (its webhook answered 404) and no line said why.
    r = sxsh(
        tmp_path, "worker", "--once", SXSH_SEARCH_EMBEDDINGS="off",
        SXSH_ZALO_OA_APP_ID="1234567890", SXSH_ZALO_OA_APP_SECRET="secret",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (
        "WARNING bot.worker: Zalo OA is off: SXSH_ZALO_OA_OA_SECRET_KEY not set "
        "(README, Configuration)"
    ) in r.stderr


def test_a_database_migrated_by_a_newer_version_is_one_line(tmp_path):
    # The code was rolled back after an upgrade: every process (worker, serve, run) stopped
    # with alembic's traceback "Can't locate revision identified by ..."; `db upgrade` blamed
    # 'head'.
    import sqlite3

    assert sxsh(tmp_path, "db", "upgrade", timeout=120).returncode == 0
    with sqlite3.connect(tmp_path / "bot.db") as db:
        db.execute("update alembic_version set version_num = '0099_future'")
    line = (
        "sxsh-bot: the database is at revision 0099_future, which this version of the bot does "
        "not know: a newer version migrated it; run that version, or restore a backup made "
        "before the upgrade"
    )
    for command in (["worker", "--once"], ["db", "upgrade"]):
        r = sxsh(tmp_path, *command, timeout=120, SXSH_SEARCH_EMBEDDINGS="off")
        assert r.returncode == 2
        assert "Traceback" not in r.stderr
        assert r.stderr.splitlines()[-1] == line


@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"]])
def test_a_sqlite_file_where_none_can_be_made_is_one_line(tmp_path, command):
    # /proc takes no new files: `db current` and `db upgrade` stopped with a FileNotFoundError
    # traceback (the migration lock, the file made private before SQLite opened it).
    r = sxsh(tmp_path, *command, SXSH_DATABASE_URL="sqlite:////proc/sxsh-test.db")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("sxsh-bot: cannot use the database (SXSH_DATABASE_URL): ")
    assert len(r.stderr.splitlines()) == 1


def test_an_env_file_saved_with_windows_line_ends_works(monkeypatch, tmp_path):
    # `set -a; . /etc/sxsh-bot.env` of a file saved on Windows: every value ended in '\r';
    # 'SXSH_SEARCH_EMBEDDINGS: Input should be a valid boolean' named a value that looked right.
    from bot.settings import load_settings

    monkeypatch.setenv("SXSH_SEARCH_EMBEDDINGS", "off\r")
    monkeypatch.setenv("SXSH_WEB_PORT", "8443\r")
    monkeypatch.setenv("SXSH_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}\r")
    s = load_settings()
    assert (s.search.embeddings, s.web.port) == (False, 8443)
    assert s.database_url == f"sqlite:///{tmp_path / 'bot.db'}"


async def test_serve_with_no_channel_says_what_to_set(tmp_path):
    # The env file was not read (a wrong EnvironmentFile path): `serve` logged "serving no
    # channel" at INFO among uvicorn's lines and /healthz answered 200.

    from tests.support.telegram_server import free_port

    env = env_for(tmp_path, SXSH_SEARCH_EMBEDDINGS="off", SXSH_WEB_LISTEN="127.0.0.1",
                  SXSH_WEB_PORT=str(free_port()))  # fmt: skip
    log = tmp_path / "serve.log"
    proc = start_serve(env, tmp_path, log)
    text = await stopped_once_logged([proc], [log], "serving no channel", 60)
    assert (
        "WARNING bot.serve: no channel configured: set SXSH_TELEGRAM_TOKEN and "
        "SXSH_TELEGRAM_WEBHOOK_URL, the SXSH_ZALO_OA_ keys or SXSH_ZALO_BOT_TOKEN"
    ) in text


def test_a_worker_beside_a_zalo_bot_says_serve_delivers_it(tmp_path):
    # With only SXSH_ZALO_BOT_TOKEN set the worker said "no channel configured
    # (SXSH_TELEGRAM_TOKEN)": the operator had configured one.
    r = sxsh(tmp_path, "worker", "--once", SXSH_SEARCH_EMBEDDINGS="off",
             SXSH_ZALO_BOT_TOKEN="1234:abcdef")  # fmt: skip
    assert (r.returncode, r.stdout) == (0, "nothing due\n"), r.stderr
    assert (
        "WARNING bot.worker: the worker delivers for Telegram and Zalo OA only: the Zalo Bot's "
        "messages are delivered by `sxsh-bot serve`; nothing to deliver here"
    ) in r.stderr
    assert "no channel configured" not in r.stderr


def test_an_export_with_names_and_phones_is_readable_by_its_owner_only(sqlite_url, tmp_path):
    # `export responses --include-personal` wrote contact names and phones mode 0644, readable
    # by every user of the server (privacy export's JSON is 0600).
    import stat

    from typer.testing import CliRunner

    from bot.cli import app
    from tests.test_reports import populate

    populate(sqlite_url)
    env = {"SXSH_DATABASE_URL": sqlite_url, "SXSH_CONTENT_DIR": str(ROOT / "content")}
    runner = CliRunner()
    for name, extra, mode in (("personal.xlsx", ["--include-personal"], 0o600),
                              ("figures.xlsx", [], 0o644)):  # fmt: skip
        out = tmp_path / name
        r = runner.invoke(app, ["export", "responses", "-o", str(out), *extra], env=env)
        assert r.exit_code == 0, r.output
        assert stat.S_IMODE(out.stat().st_mode) == mode
