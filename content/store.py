"""All curated content, loaded and validated together. The bot refuses to start on invalid
content, and a reload that fails keeps the previous version in use: `ContentStore.load` raises
nothing but ContentError (file, entry, problem), whatever the files hold."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from content import baseline as baseline_file
from content import events, knowledge
from content.baseline import Baseline
from content.events import EventsConfig
from content.files import UnreadableFile, read_text
from content.forms import Questionnaire, check_texts, load_and_check, load_questionnaire
from content.knowledge import KnowledgeBase
from content.lexicon import Lexicon
from content.search import Embedder, SearchIndex
from content.texts import ContentError, Texts

log = logging.getLogger(__name__)


@dataclass
class ContentStore:
    directory: Path
    texts: Texts
    knowledge: KnowledgeBase = field(default_factory=KnowledgeBase)  # FAQ + search index
    questionnaire: Questionnaire | None = None  # the quick assessment
    lexicon: Lexicon = field(default_factory=Lexicon)  # words people type (lexicon/*.yaml)
    events: EventsConfig = field(default_factory=EventsConfig)  # kinds, topics, reminders
    baseline: Baseline = field(default_factory=Baseline)  # the survey figures compare with

    @classmethod
    def load(cls, directory: Path) -> ContentStore:
        """Load and validate; unchanged files give the already built store (loaded content is
        never modified), so a reload or a second conversation in one process costs nothing."""
        # The embedding settings are part of the key: a store built with the model off is not
        # the one a load with it on should get (one process, two settings: tests).
        key = (str(directory.resolve()), (_fingerprint(directory), Embedder.options))
        cached = _LOADED.get(key[0])
        if cached is not None and cached[0] == key[1]:
            return cached[1]
        errors = check(directory)
        if errors:
            raise ContentError(errors)
        try:
            kb = knowledge.load(directory, [])
            kb.index = SearchIndex.build(kb)  # now, not on the first question
            store = cls(
                directory=directory,
                texts=Texts.load(directory / "texts"),
                knowledge=kb,
                questionnaire=load_questionnaire(questionnaire_path(directory)),
                lexicon=Lexicon.load(directory / "lexicon"),
                events=events.load(directory, []),
                baseline=baseline_file.load(directory, []),
            )
        except ContentError:
            raise
        except Exception as exc:
            # A reload must keep the previous content, so nothing but ContentError escapes.
            log.exception("content failed to load after passing the check")
            raise ContentError([f"{directory.name}: {type(exc).__name__}: {exc}"]) from exc
        _LOADED[key[0]] = (key[1], store)
        return store


_LOADED: dict[str, tuple[tuple, ContentStore]] = {}


def _fingerprint(directory: Path) -> tuple:
    """Every content file's path, size and modification time."""
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(
            (str(p.relative_to(directory)), p.stat().st_size, p.stat().st_mtime_ns)
            for p in directory.rglob("*")
            if p.is_file() and p.suffix in (".yaml", ".yml")
        )
    )


def questionnaire_path(directory: Path) -> Path:
    return directory / "questionnaires" / "quick_assessment.yaml"


def _unreadable(directory: Path) -> list[str]:
    """Files that cannot be read as UTF-8 text, each with its problem: checked first and in
    one place, so no loader meets a file in a legacy encoding (Windows-1258, Latin-1, UTF-16)."""
    errors = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".yml"):
            try:
                read_text(path)
            except UnreadableFile as exc:
                errors.append(f"{path.relative_to(directory).as_posix()}: {exc}")
    return errors


def check(directory: Path) -> list[str]:
    """Every problem in the content folder, each with its file and entry; [] when it loads."""
    if not directory.is_dir():
        return [f"{directory}: content folder not found"]
    errors = _unreadable(directory)
    if errors:
        return errors
    try:
        texts = Texts.load(directory / "texts", errors)
        errors += check_texts(texts.by_lang)
        Lexicon.load(directory / "lexicon", errors)
        kb = knowledge.load(directory, errors)
        errors += load_and_check(questionnaire_path(directory), known_topics=kb.entries.keys())
        events.load(directory, errors)
        baseline_file.load(directory, errors)
    except Exception as exc:  # noqa: BLE001 - whatever a loader trips on is a content problem
        log.exception("content check failed unexpectedly")
        errors.append(f"{directory.name}: cannot be loaded: {type(exc).__name__}: {exc}")
    return errors
