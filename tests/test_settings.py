"""Settings grouped per area, read from SXSH_<AREA>_<FIELD>, the old names still accepted, and one
line naming the variable the person actually set when a value is wrong."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings
from tests.test_cli import ROOT, run

TOKEN = "123456:" + "A" * 35
SECRET = "s" * 40


def test_each_area_is_read_from_its_own_variables(monkeypatch):
    monkeypatch.setenv("SXSH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SXSH_ZALO_OA_APP_ID", "1234567890")
    monkeypatch.setenv("SXSH_ZALO_OA_OA_SECRET_KEY", "OA_SECRET")
    monkeypatch.setenv("SXSH_ZALO_BOT_API_URL", "https://bot-api.zapps.me")
    monkeypatch.setenv("SXSH_WEB_PORT", "8080")
    monkeypatch.setenv("SXSH_DELIVERY_BATCH", "200")
    monkeypatch.setenv("SXSH_SEARCH_EMBEDDINGS", "off")
    monkeypatch.setenv("SXSH_SEARCH_THREADS", "2")
    s = load_settings()
    assert s.telegram.token.get_secret_value() == TOKEN
    assert s.zalo_oa.enabled and s.zalo_oa.app_id == "1234567890"
    assert s.zalo_bot.api_url == "https://bot-api.zapps.me" and not s.zalo_bot.enabled
    assert s.web.port == 8080
    assert s.delivery.batch == 200
    assert s.search.embeddings is False and s.search.threads == 2


def test_the_names_from_before_the_split_keep_working(monkeypatch, tmp_path):
    monkeypatch.setenv("SXSH_WEBHOOK_URL", "https://bot.example.vn/tg")
    monkeypatch.setenv("SXSH_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SXSH_WEBHOOK_PORT", "9000")
    monkeypatch.setenv("SXSH_EMBEDDINGS", "off")
    monkeypatch.setenv("SXSH_EMBED_CACHE", str(tmp_path / "cache"))
    s = load_settings()
    assert s.telegram.webhook_url == "https://bot.example.vn/tg"
    assert s.telegram.webhook_secret.get_secret_value() == SECRET
    assert s.web.port == 9000
    assert s.search.embeddings is False and s.search.cache_dir == tmp_path / "cache"


def test_the_new_name_wins_over_the_old_one(monkeypatch):
    monkeypatch.setenv("SXSH_WEBHOOK_PORT", "9000")
    monkeypatch.setenv("SXSH_WEB_PORT", "9100")
    assert load_settings().web.port == 9100


def test_the_environment_wins_over_the_env_file(monkeypatch, tmp_path):
    # The autouse fixture runs each test in its own tmp_path: .env there is the one read.
    (tmp_path / ".env").write_text("SXSH_WEB_PORT=7000\nSXSH_DELIVERY_BATCH=7\n", encoding="utf-8")
    monkeypatch.setenv("SXSH_WEB_PORT", "7100")
    s = load_settings()
    assert (s.web.port, s.delivery.batch) == (7100, 7)


def test_a_bad_value_names_the_variable_that_was_set(monkeypatch):
    monkeypatch.setenv("SXSH_WEBHOOK_PORT", "99999")
    with pytest.raises(SettingsError) as old:
        load_settings()
    assert str(old.value) == "SXSH_WEBHOOK_PORT: Input should be less than or equal to 65535"
    monkeypatch.delenv("SXSH_WEBHOOK_PORT")
    monkeypatch.setenv("SXSH_SEARCH_THREADS", "many")
    with pytest.raises(SettingsError) as new:
        load_settings()
    assert str(new.value).startswith("SXSH_SEARCH_THREADS: Input should be a valid integer")


def test_keyword_overrides_use_the_variable_names_and_refuse_unknown_ones():
    s = load_settings(telegram_token=TOKEN, web_port=8444, search={"embeddings": False})
    assert s.telegram.token.get_secret_value() == TOKEN
    assert s.web.port == 8444 and s.search.embeddings is False
    with pytest.raises(SettingsError, match="SXSH_TELEGRAM_TOKN: Extra inputs"):
        load_settings(telegram_tokn=TOKEN)


def test_a_webhook_without_its_secret_is_one_line_from_the_cli(tmp_path):
    r = run(
        ["run"], {"SXSH_TELEGRAM_TOKEN": TOKEN, "SXSH_WEBHOOK_URL": "https://x.vn/h"}, cwd=tmp_path
    )
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "sxsh-bot: configuration error: "
        "SXSH_TELEGRAM_WEBHOOK_SECRET must be set when a webhook URL is set"
    )


def test_search_settings_reach_the_embedding_model(sqlite_url, monkeypatch, tmp_path):
    from bot.app import configure_search
    from content.search import Embedder

    monkeypatch.setattr(Embedder, "options", Embedder.options)
    monkeypatch.setenv("SXSH_SEARCH_EMBEDDINGS", "off")
    monkeypatch.setenv("SXSH_SEARCH_CACHE_DIR", str(tmp_path))
    configure_search(load_settings(database_url=sqlite_url))
    assert Embedder.options.enabled is False and Embedder.options.cache_dir == tmp_path
    assert Embedder.get() is None


def test_importing_the_telegram_channel_leaves_the_environment_alone():
    code = (
        "import os; before = dict(os.environ); import bot.channels.telegram; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PTB_TIMEDELTA"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_code_below_the_composition_root_reads_sxsh_variables():
    """Settings reach content, handlers and storage as arguments; only bot/settings.py reads
    SXSH_ variables (content/search.py used to read two of them itself)."""
    offenders = [
        f"{p.relative_to(ROOT)}: {line.strip()}"
        for folder in ("content", "handlers", "storage")
        for p in (ROOT / folder).rglob("*.py")
        for line in p.read_text(encoding="utf-8").splitlines()
        if ("environ" in line or "getenv" in line) and "SXSH_" in line
    ]
    assert offenders == []


# --- settings that can never work are refused at start (issue 8 item 14) -------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Telegram:777", ["telegram:777"]),
        ("telegram: 777", ["telegram:777"]),
        (" 777 , console:lan ", ["telegram:777", "console:lan"]),
        ("telegram:777;telegram:888", ["telegram:777", "telegram:888"]),
        ("777;777", ["telegram:777"]),
    ],
)
def test_harmless_officer_id_forms_are_normalised(value, expected):
    assert load_settings(officer_ids=value).officer_ids == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tg:777", "'tg:777': unknown channel 'tg'"),
        ("telegram:@lan", "'telegram:@lan': not a telegram user id"),
        ("777 888", "'777 888': not a telegram user id"),
        ("telegram:", "'telegram:': not a telegram user id"),
    ],
)
def test_officer_ids_that_match_nobody_are_one_line_at_start(tmp_path, value, problem):
    r = run(["db", "current"], {"SXSH_OFFICER_IDS": value}, cwd=tmp_path)
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert line.startswith(f"sxsh-bot: configuration error: SXSH_OFFICER_IDS: {problem}")


def test_an_officer_named_in_a_harmless_form_gets_officer_rights(tmp_path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    env = {"SXSH_DATABASE_URL": db, "SXSH_OFFICER_IDS": "Console: lan"}
    r = run(["chat", "--user", "lan"], env, "/questions\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Không có phiếu nào đang mở." in r.stdout
    assert "Bot chưa hiểu lệnh" not in r.stdout


@pytest.mark.parametrize(
    "names",
    [
        ("SXSH_TELEGRAM_WEBHOOK_URL", "SXSH_TELEGRAM_WEBHOOK_SECRET"),
        ("SXSH_WEBHOOK_URL", "SXSH_WEBHOOK_SECRET"),
    ],
)
def test_a_short_webhook_secret_is_refused_at_start(tmp_path, names):
    url, secret = names
    env = {"SXSH_TELEGRAM_TOKEN": TOKEN, url: "https://bot.example.vn/tg", secret: "s3cret-Token"}
    r = run(["run"], env, cwd=tmp_path)
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert line.startswith(f"sxsh-bot: configuration error: {secret}: at least 32 characters")
    assert "s3cret-Token" not in r.stderr


def test_a_short_zalo_bot_webhook_secret_is_refused():
    with pytest.raises(SettingsError, match="SXSH_ZALO_BOT_WEBHOOK_SECRET: at least 32"):
        load_settings(zalo_bot_webhook_secret="short-but-8-chars")
