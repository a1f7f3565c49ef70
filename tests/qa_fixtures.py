"""Helpers for the Q&A tests: a private copy of the real content to break or change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
TOPICS = ROOT.parent / "shared" / "content-topics.yaml"
# How an off-topic refusal starts (content/texts qa.offtopic), in Vietnamese and English.
REFUSED_VI = "Câu hỏi này không thuộc phạm vi của Sở Công Thương"
REFUSED_EN = "This question is outside the cleaner-production work"


def copy_content(tmp_path: Path) -> Path:
    """A copy of content/ (YAML only) under tmp_path/content."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def faq_file_of(directory: Path, entry_id: str) -> Path:
    for path in sorted((directory / "faq").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if any(e.get("id") == entry_id for e in data.get("entries") or []):
            return path
    raise AssertionError(f"no entry {entry_id} in {directory}")


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_entry(directory: Path, entry_id: str, change) -> str:  # noqa: ANN001
    """Apply change(entry_dict) to one FAQ entry; returns the file's label (content/faq/x)."""
    path = faq_file_of(directory, entry_id)
    data = read_yaml(path)
    for entry in data["entries"]:
        if entry["id"] == entry_id:
            change(entry)
    write_yaml(path, data)
    return f"content/faq/{path.name}"
