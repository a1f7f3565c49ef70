"""All curated content, loaded and validated together. The bot refuses to start on invalid
content, and a reload that fails keeps the previous version in use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content.texts import ContentError, Texts


@dataclass
class ContentStore:
    directory: Path
    texts: Texts

    @classmethod
    def load(cls, directory: Path) -> ContentStore:
        errors = check(directory)
        if errors:
            raise ContentError(errors)
        return cls(directory=directory, texts=Texts.load(directory / "texts"))


def check(directory: Path) -> list[str]:
    """Every problem in the content folder, each with its file and entry."""
    if not directory.is_dir():
        return [f"{directory}: content folder not found"]
    errors: list[str] = []
    Texts.load(directory / "texts", errors)
    return errors
