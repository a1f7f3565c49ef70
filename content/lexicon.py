"""Words people type, from content/lexicon/*.yaml (officers edit them, not Python): the words
that work like a command when typed alone (the opt-out words among them), greetings, thanks
goodbyes and the words that cancel the message for the officers. Every word is kept folded (lower
case, no diacritics, punctuation as spaces), the way `content.textnorm.fold_words` reads what a
person typed; command words also with their diacritics, because a message typed with marks
must match with its marks ("đúng" is not "dừng"), and a one-syllable word typed without marks
("dung": dừng, đúng or dùng?) is too ambiguous to opt anyone out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from content.textnorm import fold_words, mark_words

# Commands a typed word may stand for; "stop" (the opt-out) must have words: a person must
# always be able to say no to announcements in their own words.
COMMAND_WORDS = ("stop", "menu", "help", "officer")
REQUIRED = ("stop",)


@dataclass(frozen=True)
class Lexicon:
    commands: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> folded words
    marked: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> words with marks
    # name -> folded one-syllable words that had marks ("dung" of "dừng"): never a command bare
    ambiguous: dict[str, frozenset[str]] = field(default_factory=dict)
    greetings: frozenset[str] = frozenset()
    greeting_fillers: frozenset[str] = frozenset()
    # "có ai không", "test": someone checks the bot is there (with greeting words or not)
    presence: frozenset[str] = frozenset()
    thanks_phrases: frozenset[str] = frozenset()
    thanks_words: frozenset[str] = frozenset()
    acknowledgements: frozenset[str] = frozenset()
    # Typed alone at the question "Gặp cán bộ" asks, these cancel it (folded: "huy" is "hủy").
    cancel_words: frozenset[str] = frozenset()
    farewells: frozenset[str] = frozenset()  # "tạm biệt", "bye": a goodbye, not a question
    # A sigh, a sad face or "ko hiểu gì hết" alone: not a question (see words.yaml, confused)
    confused_words: frozenset[str] = frozenset()
    confused_phrases: frozenset[str] = frozenset()
    confused_fillers: frozenset[str] = frozenset()
    confused_faces: frozenset[str] = frozenset()  # as typed, not folded (":(", "😢")

    def command_for(self, text: str) -> str | None:
        """The command a whole typed message stands for ("Dừng!" -> "stop"), or None. Typed
        with diacritics it must match a word with its diacritics ("đúng" is not "dừng");
        typed without, it matches the folded word unless that is one syllable that had marks
        ("dung", "huy": see `ambiguous_command`)."""
        folded, marked = fold_words(text), mark_words(text)
        for name, words in self.commands.items():
            if marked != folded:
                if marked in self.marked.get(name, ()):
                    return name
            elif folded in words and folded not in self.ambiguous.get(name, ()):
                return name
        return None

    def ambiguous_command(self, text: str) -> str | None:
        """The command a message typed without diacritics might mean but is not taken as
        ("dung" could be dừng, đúng or dùng): the caller may say how to give it clearly."""
        folded, marked = fold_words(text), mark_words(text)
        if marked != folded:
            return None
        return next((n for n in self.commands if folded in self.ambiguous.get(n, ())), None)

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
        g, t, c = raw.get("greetings", {}), raw.get("thanks", {}), raw.get("cancel", {})
        marked = {name: frozenset(raw.get("_marked", {}).get(name, [])) for name in commands}
        ambiguous = {
            name: frozenset(fold_words(w) for w in words if " " not in w and fold_words(w) != w)
            for name, words in marked.items()
        }
        return cls(
            commands=commands,
            marked=marked,
            ambiguous=ambiguous,
            greetings=frozenset(g.get("words", [])),
            greeting_fillers=frozenset(g.get("fillers", [])),
            presence=frozenset(g.get("presence", [])),
            thanks_phrases=frozenset(t.get("phrases", [])),
            thanks_words=frozenset(t.get("words", [])),
            acknowledgements=frozenset(t.get("acknowledgements", [])),
            cancel_words=frozenset(c.get("words", [])),
            farewells=frozenset(raw.get("farewells", {}).get("words", [])),
            confused_words=frozenset(raw.get("confused", {}).get("words", [])),
            confused_phrases=frozenset(raw.get("confused", {}).get("phrases", [])),
            confused_fillers=frozenset(raw.get("confused", {}).get("fillers", [])),
            confused_faces=frozenset(raw.get("confused", {}).get("faces", [])),
        )


_SECTIONS = {
    "commands": COMMAND_WORDS,
    "greetings": ("words", "fillers", "presence"),
    "thanks": ("phrases", "words", "acknowledgements"),
    "cancel": ("words",),
    "farewells": ("words",),
    "confused": ("words", "phrases", "fillers", "faces"),
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
            if (section, name) == ("confused", "faces"):  # emoticons are kept as typed
                raw.setdefault(section, {}).setdefault(name, []).extend(w.strip() for w in words)
                continue
            folded = []
            for word in words:
                f = fold_words(word)
                if not f:
                    errs.append(f"{where}: '{word}' has no letters or digits")
                folded.append(f)
            raw.setdefault(section, {}).setdefault(name, []).extend(w for w in folded if w)
            if section == "commands":
                marks = [mark_words(w) for w in words if mark_words(w)]
                raw.setdefault("_marked", {}).setdefault(name, []).extend(marks)
