"""Load benchmark (issue 13): simulated users talking at once to real bot processes through the
local Bot API server, which enforces Telegram's limits (30 messages/s overall, 1/s per chat;
429 past them). Questions and quick assessments are mixed (60/40); each user sends a message,
waits for the bot's first reply, thinks, and goes on.

Two set-ups:
* ``sqlite``: one ``sxsh-bot serve`` process on SQLite (webhook, delivery and jobs in one
  process: what ``sxsh-bot run`` does, plus ``/metrics`` to read the processing time);
* ``postgres``: two ``sxsh-bot serve`` processes (updates spread over them as a load balancer
  would) and one ``sxsh-bot worker`` on PostgreSQL, one send budget shared in Redis.

Figures: the bot's own processing time per message (update received → replies ready, from the
processes' ``sxsh_turn_seconds`` histograms), end-to-end reply latency (update posted → first
reply at the server), sustained sends/s as a fraction of the limit (after the ramp-up),
429s received, messages per turn, CPU (% of one core) and peak memory of the bot processes.

Run:  .venv/bin/python -m benchmarks.load [--users 1000] [--duration 120] [--setup both]
      [--think 30] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
Prints one table and writes benchmarks/load.json. A busy machine lowers the figures: quote
`uptime` with them.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.load_figures import Proc, counter_total, histogram_quantiles, table
from tests.support.telegram_server import DEFAULT_TOKEN, BotApiError, FakeTelegram, free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "sxsh-bot"
SECRET = "load-benchmark-secret-0123456789abcdef"  # 32+ characters, as the settings ask
LIMIT = 30.0
QUESTIONS = [
    "Sản xuất sạch hơn là gì?",
    "doanh nghiep co duoc ho tro kiem toan nang luong khong",
    "Làm sao giảm tiền điện cho lò hơi?",
    "thu hoi nuoc ngung lo hoi",
    "Quy trình đăng ký hỗ trợ SXSH như thế nào?",
    "tiết kiệm nước trong chế biến thủy sản",
    "What is cleaner production?",
    "máy nén khí bị rò rỉ thì sao",
]
ASSESSMENT = [
    "Công ty TNHH Thủy sản Demo", "1", "120 người", "KCN Trà Nóc I", "thoi an dong",
    "1800123456", "có", "khong", "ko", "45tr", "2", "1, 3", "1 va 3", "3", "có", "1",
    "1.200", "3", "3", "2",
]  # fmt: skip


def _answer(future: asyncio.Future[float], at: float) -> None:
    if not future.done():
        future.set_result(at)


@contextlib.asynccontextmanager
async def local_server(own_thread: bool):
    """The local Bot API server: on this event loop, or (`own_thread`) on its own loop in its
    own thread, so that 1,000 simulated users queued on this loop do not delay when it stamps
    a request (its 30/s window counts requests when it handles them)."""
    if not own_thread:
        async with FakeTelegram() as srv:
            yield srv
        return
    started: concurrent.futures.Future = concurrent.futures.Future()

    def serve() -> None:
        async def main() -> None:
            done = asyncio.Event()
            async with FakeTelegram() as srv:
                started.set_result((srv, asyncio.get_running_loop(), done))
                await done.wait()

        asyncio.run(main())

    thread = threading.Thread(target=serve, name="bot-api-server", daemon=True)
    thread.start()
    srv, loop, done = await asyncio.wrap_future(started)
    try:
        yield srv
    finally:
        loop.call_soon_threadsafe(done.set)
        await asyncio.to_thread(thread.join, 10)


class Users:
    """The simulated people: their turns, the first reply to each, and the sends counted."""

    def __init__(self, srv: FakeTelegram, ports: list[int], n: int, think: float, seed: int):
        self.srv, self.ports, self.n, self.think = srv, ports, n, think
        self.rng = random.Random(seed)
        self.waiting: dict[int, tuple[float, asyncio.Future[float]]] = {}
        self.latencies: list[tuple[float, float]] = []  # (when answered, seconds)
        self.turns = 0
        self.unanswered = 0
        self.sends: list[float] = []  # monotonic time of each accepted sendMessage
        name, deliver = srv._methods["sendmessage"]

        self.too_close = 0  # 429s for one chat's messages closer than 1 s (the rest: overall)
        check = srv._check_limits

        def check_limits(method: str, params: dict) -> None:
            last = srv._last_to_chat.get(int(params.get("chat_id") or 0), -1e9)
            try:
                check(method, params)
            except BotApiError:
                self.too_close += time.monotonic() - last < 0.9
                raise

        srv._check_limits = check_limits

        def send(params: dict, files: dict) -> dict:
            message = deliver(params, files)  # after the limits were checked, like Telegram
            now = time.monotonic()
            self.sends.append(now)
            waiting = self.waiting.pop(int(params["chat_id"]), None)
            if waiting is not None:  # the users' loop may be another thread's (--server-thread)
                waiting[1].get_loop().call_soon_threadsafe(_answer, waiting[1], now)
            return message

        srv.register(name, send)

    async def run(self, session: aiohttp.ClientSession, stop: float) -> None:
        await asyncio.gather(*(self.person(session, 900_000 + i, stop) for i in range(self.n)))

    async def person(self, session: aiohttp.ClientSession, uid: int, stop: float) -> None:
        rng = random.Random(self.rng.random())
        assess = rng.random() < 0.4
        await asyncio.sleep(rng.uniform(0, self.think))  # the ramp-up: people arrive
        script = ["/assess", "consent", *ASSESSMENT] if assess else list(QUESTIONS)
        rng.shuffle(script) if not assess else None
        step = 0
        while time.monotonic() < stop:
            text = script[step % len(script)]
            step += 1
            update = self.consent(uid) if text == "consent" else self.srv.text_update(
                text, user_id=uid, first_name="DN"
            )  # fmt: skip
            if update is None:
                continue
            loop = asyncio.get_running_loop()
            answered: asyncio.Future[float] = loop.create_future()
            posted = time.monotonic()
            self.waiting[uid] = (posted, answered)
            port = self.ports[uid % len(self.ports)]
            async with session.post(
                f"http://127.0.0.1:{port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                await response.read()
            self.turns += 1
            try:
                at = await asyncio.wait_for(answered, 60)
                self.latencies.append((at, at - posted))
            except TimeoutError:
                self.unanswered += 1
                self.waiting.pop(uid, None)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * self.think)

    async def warm_up(self, session: aiohttp.ClientSession) -> None:
        """A question to each process first: the model and the index load before the clock."""
        for i, port in enumerate(self.ports):
            uid = 800_000 + i
            answered = asyncio.get_running_loop().create_future()
            self.waiting[uid] = (time.monotonic(), answered)
            update = self.srv.text_update(QUESTIONS[0], user_id=uid, first_name="DN")
            async with session.post(
                f"http://127.0.0.1:{port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as r:
                await r.read()  # fmt: skip
            await asyncio.wait_for(answered, 120)
        self.sends.clear()

    def consent(self, uid: int) -> dict | None:
        """Pressing "Đồng ý" under the bot's last message (the assessment's consent)."""
        message_id = self.srv._last_bot_message.get(uid)
        message = self.srv._messages.get((uid, message_id))
        rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard", [])
        data = [b["callback_data"] for row in rows for b in row if "Đồng ý" in b["text"]]
        if not data:
            return None
        query = {"id": uuid.uuid4().hex[:16], "from": self.srv._user(uid), "message": message,
                 "chat_instance": str(uid), "data": data[0]}  # fmt: skip
        return self.srv._prepare_update({"callback_query": query})


def bot_env(
    srv: FakeTelegram, db_url: str, redis: str | None, rate: float | None, extra: dict
) -> dict:
    """The bot's environment: its defaults, but for the database, the server and `rate`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env.update(
        PYTHONPATH=str(ROOT),
        SXSH_DATABASE_URL=db_url,
        SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
        SXSH_TELEGRAM_API_URL=srv.root_url,
        SXSH_TELEGRAM_WEBHOOK_SECRET=SECRET,
        SXSH_CONTENT_DIR=str(ROOT / "content"),
        SXSH_LOG_LEVEL="WARNING",
        SXSH_LIMITS_FLOOD_PER_MINUTE="600",
    )
    if redis:
        env["SXSH_DELIVERY_REDIS_URL"] = redis
    if rate:
        env["SXSH_DELIVERY_RATE_PER_SECOND"] = str(rate)
    env.update(extra)
    return env


# The bot processes' scheduling priority (the benchmark's own, before --harness-nice).
BOT_PRIORITY = os.getpriority(os.PRIO_PROCESS, 0)


def _bot_priority() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, BOT_PRIORITY)


def start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Proc:
    out = log.open("w")
    try:
        popen = subprocess.Popen([str(BIN), *args], env=env, cwd=cwd, stdout=out,
                                 stderr=subprocess.STDOUT, preexec_fn=_bot_priority)  # fmt: skip
    except subprocess.SubprocessError:
        raise SystemExit(
            "cannot give the bot processes back their priority (not permitted here): "
            "run with --harness-nice 0"
        ) from None
    return Proc(f"{' '.join(args)}:{log.stem}", popen, log=log)


def harness_cpu() -> float:
    """CPU seconds of this process so far: the simulated users and the local Bot API server."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def healthy(session: aiohttp.ClientSession, port: int, proc: Proc) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise SystemExit(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        try:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit(f"{proc.name} on port {port} did not become healthy")


async def scrape(session: aiohttp.ClientSession, port: int) -> str:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as r:
        return await r.text()


def pg_database(admin: str) -> tuple[str, object]:
    """A fresh database on the server of `admin`; returns its URL and a dropper."""
    name = f"sxsh_load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    return url, drop


async def one_setup(setup: str, args: argparse.Namespace, work: Path) -> dict:
    drop = None
    redis = None
    if setup == "sqlite":
        db_url = f"sqlite:///{work / 'bot.db'}"
    else:
        db_url, drop = pg_database(args.pg)
        redis = args.redis
        from redis import Redis

        Redis.from_url(redis).flushdb()  # this run's budget starts empty
    procs: list[Proc] = []
    try:
        async with local_server(args.server_thread) as srv, aiohttp.ClientSession() as session:
            srv.enforce_limits(per_second=LIMIT, per_chat_per_second=1)
            extra = dict(item.split("=", 1) for item in args.env)
            env = bot_env(srv, db_url, redis, args.rate, extra)
            from storage import migrate

            migrate.upgrade(db_url)  # once, before the processes start together
            ports = [free_port() for _ in range(1 if setup == "sqlite" else 2)]
            for port in ports:
                # No webhook URL (it must be https): updates are posted to /telegram directly.
                e = dict(env, SXSH_WEB_PORT=str(port), SXSH_WEB_LISTEN="127.0.0.1")
                procs.append(start(["serve"], e, work, work / f"serve-{port}.log"))
            if setup == "postgres":
                procs.append(start(["worker"], env, work, work / "worker.log"))
            for port, proc in zip(ports, procs, strict=False):
                await healthy(session, port, proc)
            users = Users(srv, ports, args.users, args.think, seed=13)
            await users.warm_up(session)
            began = time.monotonic()
            steady = began + min(args.think, args.duration / 2)  # after the ramp-up
            for p in procs:
                p.sample()
            runner = asyncio.create_task(users.run(session, began + args.duration))
            await asyncio.sleep(max(0.0, steady - time.monotonic()))
            for p in procs:
                p.sample()  # CPU from here: the steady part
            harness = harness_cpu()
            before = [await scrape(session, port) for port in ports]
            await asyncio.sleep(max(0.0, began + args.duration - time.monotonic()))
            ended = time.monotonic()
            for p in procs:
                p.sample()
            harness = (harness_cpu() - harness) / (ended - steady) * 100
            metrics = [await scrape(session, port) for port in ports]
            runner.cancel()
            sends = [t for t in users.sends if steady <= t < ended]
            e2e = sorted(s for at, s in users.latencies if steady <= at < ended)
            answered = len(users.latencies)
            result = {
                "setup": setup,
                "users": args.users,
                "duration_s": args.duration,
                "processes": [p.name for p in procs],
                "processing_ms": histogram_quantiles(metrics, (0.5, 0.99), before),
                "e2e_s": {
                    "p50": e2e[len(e2e) // 2] if e2e else None,
                    "p99": e2e[int(len(e2e) * 0.99)] if e2e else None,
                },
                "rate_fraction": len(sends) / (ended - steady) / LIMIT,
                "sends_per_s": len(sends) / (ended - steady),
                "429s": srv.rate_429s,
                "429s_one_chat": users.too_close,
                "turns": users.turns,
                "unanswered": users.unanswered,
                "apologies": counter_total(metrics, "sxsh_turns_failed"),
                "messages_per_turn": len(users.sends) / answered if answered else None,
                "cpu_percent": {p.name: p.cpu_percent() for p in procs},
                "peak_rss_mb": {p.name: p.peak_rss_mb() for p in procs},
                "harness_cpu_percent": harness,
                "harness_nice": args.harness_nice,
            }
    finally:
        for p in procs:
            p.stop()
        if drop is not None:
            drop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=120, help="seconds of talking")
    parser.add_argument("--think", type=float, default=30, help="mean seconds between turns")
    parser.add_argument("--setup", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get(
        "SXSH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--rate", type=float, help="the bot's sends/s (default: its setting)")
    parser.add_argument("--env", action="append", default=[], metavar="SXSH_X=VALUE",
                        help="a setting for the bot processes (repeatable)")  # fmt: skip
    parser.add_argument("--server-thread", action="store_true",
                        help="the local Bot API server on its own thread and loop")  # fmt: skip
    parser.add_argument("--harness-nice", type=int, default=10, metavar="N",
                        help="run the simulated users and the local Bot API server (phones and "
                        "Telegram's servers, elsewhere in production) N steps nicer than the "
                        "bot processes, PostgreSQL and Redis; 0: the same priority")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "load.json")
    args = parser.parse_args(argv)
    if args.harness_nice:
        os.nice(args.harness_nice)  # the bot processes get BOT_PRIORITY back (start)
    setups = ("sqlite", "postgres") if args.setup == "both" else (args.setup,)
    results = []
    for setup in setups:
        with tempfile.TemporaryDirectory(prefix="sxsh-load-") as work:
            results.append(asyncio.run(one_setup(setup, args, Path(work))))
    load = os.getloadavg()
    print(table(results, load))
    args.out.write_text(json.dumps({"load_average": load, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
