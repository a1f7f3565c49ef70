"""Words people type, from content/lexicon/*.yaml (officers edit them, not Python): the words
that work like a command when typed alone (the opt-out words among them), greetings and
thanks. Every word is kept folded (lower case, no diacritics, punctuation as spaces), the way
`content.textnorm.fold_words` reads what a person typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from content.textnorm import fold_words

# Commands a typed word may stand for; "stop" (the opt-out) must have words: a person must
# always be able to say no to announcements in their own words.
COMMAND_WORDS = ("stop", "menu", "help")
REQUIRED = ("stop",)


@dataclass(frozen=True)
class Lexicon:
    commands: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> folded words
    greetings: frozenset[str] = frozenset()
    greeting_fillers: frozenset[str] = frozenset()
    thanks_phrases: frozenset[str] = frozenset()
    thanks_words: frozenset[str] = frozenset()
    acknowledgements: frozenset[str] = frozenset()

    def command_for(self, text: str) -> str | None:
        """The command a whole typed message stands for ("Dừng!" -> "stop"), or None."""
        folded = fold_words(text)
        return next((name for name, words in self.commands.items() if folded in words), None)

    def is_opt_out(self, text: str) -> bool:
        return self.command_for(text) == "stop"

    @classmethod
    def load(cls, directory: Path, errors: list[str] | None = None) -> Lexicon:
        """Merge every *.yaml file of the folder. Problems are appended to `errors` (each with
        file and entry); without `errors`, a ValueError lists them."""
        errs: list[str] = [] if errors is None else errors
        raw: dict[str, dict[str, list[str]]] = {}
        files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
        if not files:
            errs.append(f"{directory.name}/: no lexicon file (*.yaml) found")
        for path in files:
            _read(path, raw, errs)
        commands: dict[str, frozenset[str]] = {}
        owner: dict[str, str] = {}
        for name, words in raw.get("commands", {}).items():
            commands[name] = frozenset(words)
            for word in words:
                if word in owner and owner[word] != name:
                    errs.append(
                        f"lexicon: commands: '{word}' is a word of both {owner[word]} and {name}"
                    )
                owner[word] = name
        for name in REQUIRED:
            if not commands.get(name):
                errs.append(f"lexicon: commands.{name}: needs at least one word (the opt-out)")
        if errors is None and errs:
            raise ValueError("\n".join(errs))
        g, t = raw.get("greetings", {}), raw.get("thanks", {})
        return cls(
            commands=commands,
            greetings=frozenset(g.get("words", [])),
            greeting_fillers=frozenset(g.get("fillers", [])),
            thanks_phrases=frozenset(t.get("phrases", [])),
            thanks_words=frozenset(t.get("words", [])),
            acknowledgements=frozenset(t.get("acknowledgements", [])),
        )


_SECTIONS = {
    "commands": COMMAND_WORDS,
    "greetings": ("words", "fillers"),
    "thanks": ("phrases", "words", "acknowledgements"),
}


def _read(path: Path, raw: dict[str, dict[str, list[str]]], errs: list[str]) -> None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        errs.append(f"{path.name}: not valid UTF-8 YAML: {str(exc).splitlines()[0]}")
        return
    if not isinstance(data, dict):
        errs.append(f"{path.name}: expected sections {', '.join(_SECTIONS)}")
        return
    for section, lists in data.items():
        if section not in _SECTIONS:
            errs.append(f"{path.name}: {section}: unknown section (known: {', '.join(_SECTIONS)})")
            continue
        if not isinstance(lists, dict):
            errs.append(
                f"{path.name}: {section}: expected lists named {', '.join(_SECTIONS[section])}"
            )
            continue
        for name, words in lists.items():
            where = f"{path.name}: {section}.{name}"
            if name not in _SECTIONS[section]:
                errs.append(f"{where}: unknown list (known: {', '.join(_SECTIONS[section])})")
                continue
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                errs.append(f"{where}: expected a list of words")
                continue
            folded = []
            for word in words:
                f = fold_words(word)
                if not f:
                    errs.append(f"{where}: '{word}' has no letters or digits")
                folded.append(f)
            raw.setdefault(section, {}).setdefault(name, []).extend(w for w in folded if w)
