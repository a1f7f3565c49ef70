"""Content problems are caught by `content check` with file, entry and problem, and a running bot
keeps its previous content when the new one is bad (issue 8 item 13)."""

from __future__ import annotations

import shutil

import pytest

from bot.app import build_conversation
from bot.settings import load_settings
from content.store import check
from storage import app_state
from storage.db import session_scope
from tests.chat import Person
from tests.conftest import ROOT
from tests.test_cli import run

APOLOGY = "bot gặp lỗi khi xử lý tin nhắn"
WELCOME = "Đây là trợ lý Sản xuất sạch hơn"


@pytest.fixture
def content(tmp_path):
    directory = tmp_path / "content"
    shutil.copytree(
        ROOT / "content", directory, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    return directory


def save_in(path, encoding):
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding, errors="replace"))


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [
        ("cp1258", "not UTF-8 (probably Windows-1258 or Latin-1)"),
        ("latin-1", "not UTF-8 (probably Windows-1258 or Latin-1)"),
        ("utf-16", "saved as UTF-16"),
    ],
)
@pytest.mark.parametrize(
    "name", ["texts/vi.yaml", "faq/cantho.yaml", "questionnaires/quick_assessment.yaml"]
)
def test_a_file_in_a_legacy_encoding_is_named_with_its_problem(content, encoding, problem, name):
    save_in(content / name, encoding)
    errors = check(content)
    assert any(problem in e and name.split("/")[-1] in e for e in errors), errors


def test_content_check_and_reload_give_file_and_problem_not_a_traceback(content, tmp_path):
    save_in(content / "texts" / "vi.yaml", "cp1258")
    env = {"SXSH_CONTENT_DIR": str(content), "SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    for command in (["content", "check"], ["content", "reload"]):
        r = run(command, env, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert "Traceback" not in r.stderr
        assert "vi.yaml: line" in r.stderr and "save it as UTF-8" in r.stderr


def test_a_utf8_file_with_a_byte_order_mark_is_fine(content):
    path = content / "texts" / "vi.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert check(content) == []


def test_a_mistyped_placeholder_fails_the_check(content):
    path = content / "texts" / "vi.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Xin chào {name}!", "Xin chào {ten}!"),
        encoding="utf-8",
    )
    errors = check(content)
    assert any(
        "vi.yaml" in e and "welcome" in e and "{ten}" in e and "{name}" in e for e in errors
    ), errors


def test_a_placeholder_of_one_language_only_fails_the_check(content):
    path = content / "texts" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("officer_only:", 'officer_only_x: "{who}"\nofficer_only:', 1), encoding="utf-8"
    )
    vi = content / "texts" / "vi.yaml"
    vi.write_text(vi.read_text(encoding="utf-8") + 'officer_only_x: "{ai}"\n', encoding="utf-8")
    errors = check(content)
    assert any("officer_only_x" in e and "{ai}" in e for e in errors), errors


def test_a_broken_reload_after_a_good_one_keeps_serving(content, sqlite_url, clock):
    conv = build_conversation(
        load_settings(database_url=sqlite_url, content_dir=content), clock=clock
    )
    try:
        p = Person(conv)
        # A good reload first (a changed welcome), then a broken one.
        path = content / "texts" / "vi.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Xin chào {name}!", "Chào {name}!"),
            encoding="utf-8",
        )
        with session_scope(conv.engine) as s:
            app_state.bump(s, app_state.CONTENT_GENERATION)
        p.says("/start")
        assert WELCOME in p.text and "Chào" in p.text and APOLOGY not in p.text
        save_in(path, "cp1258")
        with session_scope(conv.engine) as s:
            app_state.bump(s, app_state.CONTENT_GENERATION)
        for text in ("/start", "tiết kiệm năng lượng", "/help"):
            p.says(text)
            assert APOLOGY not in p.text, text
        p.says("/start")
        assert WELCOME in p.text
    finally:
        conv.engine.dispose()


def test_a_text_with_an_unfilled_placeholder_is_shown_not_raised():
    from content.texts import Texts

    texts = Texts({"vi": {"welcome": "Xin chào {ten}!", "odd": "{0} và {a.b}"}, "en": {}})
    assert texts.get("vi", "welcome", name="An") == "Xin chào {ten}!"
    assert texts.get("vi", "odd", name="An") == "{0} và {a.b}"


def test_the_baseline_is_content_officers_edit_and_a_bad_value_is_named(content):
    """content/baseline.yaml: the 2019 survey's shares and source; a newer survey is an edit
    of the file, and a share that is not a percentage or a missing source fails the check."""
    from content.store import ContentStore

    path = content / "baseline.yaml"
    base = ContentStore.load(content).baseline
    assert (base.year, base.short) == (2019, "Báo Cần Thơ") and "08/11/2019" in base.source
    assert base.shares == {"know_sxsh": 70.0, "applied_sxsh": 45.0, "dedicated_unit": 30.0}
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("applied_sxsh: 45", "applied_sxsh: 47.5"), encoding="utf-8")
    assert ContentStore.load(content).baseline.shares["applied_sxsh"] == 47.5
    bad = original.replace("know_sxsh: 70", "know_sxsh: 170").replace(
        'short: "Báo Cần Thơ"', 'short: ""'
    )
    path.write_text(bad.replace("dedicated_unit: 30", "dedicated_unit: ba mươi"), encoding="utf-8")
    errors = check(content)
    assert "baseline.yaml: baseline.shares.know_sxsh: 170 is not a percentage 0-100" in errors
    assert (
        "baseline.yaml: baseline.shares.dedicated_unit: 'ba mươi' is not a percentage 0-100"
        in errors
    )
    assert "baseline.yaml: baseline.short: the survey's source is required" in errors
