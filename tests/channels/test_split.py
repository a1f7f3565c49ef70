"""Splitting a long text to a channel's limit (bot/channels/base.py)."""

from __future__ import annotations

from bot.channels.base import Limits, split_text, utf16_len


def test_split_text_keeps_paragraphs_and_limits():
    paragraphs = [f"Đoạn {i}. " + " ".join(["chữ"] * 60) for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 700)
    assert all(len(p) <= 700 for p in parts)
    assert "\n\n".join(parts) == text  # split only between paragraphs
    huge = "từ " * 1500
    parts = split_text(huge, 2000)
    assert all(len(p) <= 2000 for p in parts) and len(parts) == 3
    assert " ".join(parts).split() == huge.split()
    assert split_text("ngắn", 2000) == ["ngắn"]


def test_split_counts_the_way_the_platform_counts():
    text = "Tiết kiệm năng lượng 🌿 " * 350  # every emoji is two UTF-16 units
    parts = split_text(text, 4096, utf16_len)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert len(text) <= 2 * 4096 < utf16_len(text) and len(parts) == 3
    assert " ".join(parts).split() == text.split()


def test_a_word_longer_than_the_limit_is_cut_not_lost():
    parts = split_text("a" * 5000, 2000)
    assert [len(p) for p in parts] == [2000, 2000, 1000]


def test_payload_limit_is_in_bytes():
    limits = Limits(channel="t", text=None, payload_bytes=64)
    assert limits.payload_problem("as:c:" + "q" * 59) is None  # 64 bytes
    assert "65 bytes" in limits.payload_problem("as:c:" + "q" * 60)
    assert "66 bytes" in limits.payload_problem("qa:t:" + "ệ" * 20 + "x")  # ệ is 3 bytes
    assert limits.payload_problem("") is not None
