"""User-facing texts, per language, from content/texts/*.yaml.

Files named `vi.yaml` / `en.yaml` or `<area>.vi.yaml` / `<area>.en.yaml` are merged per
language, nested keys flattened with dots. Officers change wording there, never in Python.
Placeholders are checked against the fields the code fills (content/text_fields.py).
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from pathlib import Path

from content.counts import counted
from content.files import UnreadableFile, read_yaml
from content.text_fields import FIELDS

LANGUAGES = ("vi", "en")
log = logging.getLogger(__name__)


class ContentError(Exception):
    """Content files are invalid; `errors` lists every problem with its file and entry."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def _flatten(prefix: str, node: object, out: dict[str, str], file: str, errors: list[str]) -> None:
    if isinstance(node, Mapping):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, file, errors)
    elif isinstance(node, str):
        out[prefix] = node
    elif isinstance(node, list) and all(isinstance(x, str) for x in node):
        out[prefix] = "\n".join(node)
    else:
        errors.append(f"{file}: {prefix}: expected text, got {type(node).__name__}")


def placeholders(template: str) -> set[str]:
    """The {names} in a text. Raises ValueError on a broken brace ("{name" or "}")."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _count_specs(template: str) -> set[str]:
    """{name:spec} placeholders whose spec is not the "one/more" form of a count."""
    return {
        f"{{{name}:{spec}}}"
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None and spec and spec.count("/") != 1
    }


def _braces(names: set[str] | frozenset[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "none"


def _check_placeholders(
    by_lang: dict[str, dict[str, str]], files: dict[tuple[str, str], str], errs: list[str]
) -> None:
    """Every placeholder is one the code fills (FIELDS), or, for a text not listed there, the
    same in every language; positional ({0}, {}) and attribute ({a.b}) forms are refused."""
    found: dict[str, dict[str, set[str]]] = {}
    for lang, table in by_lang.items():
        for key, value in table.items():
            where = f"{files.get((lang, key), f'texts ({lang})')}: {key}"
            try:
                names = placeholders(value)
            except ValueError as exc:
                errs.append(f"{where}: bad placeholder: {exc} (write {{{{ and }}}} for braces)")
                continue
            odd = {n for n in names if not n.isidentifier()}
            if odd:
                errs.append(f"{where}: placeholder {_braces(odd)} is not a name like {{name}}")
                continue
            bad = _count_specs(value)
            if bad:
                errs.append(
                    f"{where}: {', '.join(sorted(bad))}: write the words of a count as "
                    "{n:one/more}, e.g. {n:seat/seats}"
                )
            found.setdefault(key, {})[lang] = names
            allowed = FIELDS.get(key)
            if allowed is not None and names - allowed:
                errs.append(
                    f"{where}: unknown placeholder {_braces(names - allowed)}; "
                    f"this text can use {_braces(allowed)}"
                )
    for key, per_lang in found.items():
        if key in FIELDS or len(per_lang) < 2:
            continue
        if len({frozenset(v) for v in per_lang.values()}) > 1:
            shown = "; ".join(f"{lang}: {_braces(v)}" for lang, v in sorted(per_lang.items()))
            errs.append(f"texts: {key}: the languages use different placeholders ({shown})")


class Texts:
    def __init__(self, by_lang: dict[str, dict[str, str]], default: str = "vi"):
        self.by_lang = by_lang
        self.default = default

    @classmethod
    def load(cls, directory: Path, errors: list[str] | None = None) -> Texts:
        errs: list[str] = [] if errors is None else errors
        by_lang: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        files: dict[tuple[str, str], str] = {}
        for path in sorted(directory.glob("*.yaml")):
            parts = path.name.split(".")
            lang = parts[-2] if len(parts) > 1 else ""
            if lang not in LANGUAGES:
                errs.append(f"{path.name}: file name must end in .vi.yaml or .en.yaml")
                continue
            try:
                data = read_yaml(path) or {}
            except UnreadableFile as exc:
                errs.append(f"{path.name}: {exc}")
                continue
            flat: dict[str, str] = {}
            _flatten("", data, flat, path.name, errs)
            for key in flat.keys() & by_lang[lang].keys():
                errs.append(f"{path.name}: {key}: defined twice")
            by_lang[lang].update(flat)
            files.update({(lang, key): path.name for key in flat})
        for key in by_lang["vi"].keys() - by_lang["en"].keys():
            errs.append(f"texts: {key}: missing English (en) text")
        for key in by_lang["en"].keys() - by_lang["vi"].keys():
            errs.append(f"texts: {key}: missing Vietnamese (vi) text")
        _check_placeholders(by_lang, files, errs)
        if errors is None and errs:
            raise ContentError(errs)
        return cls(by_lang)

    def has(self, key: str) -> bool:
        return key in self.by_lang[self.default]

    def get(self, lang: str, key: str, **fields: object) -> str:
        """The text `key` in `lang` (else the default language) with its {fields} filled.
        A missing text gives the key itself; a placeholder the caller did not fill stays
        visible as written (logged), never an exception that would stop the reply."""
        table = self.by_lang.get(lang) or self.by_lang[self.default]
        template = table.get(key) or self.by_lang[self.default].get(key)
        if template is None:
            return key  # visible in tests and to officers, never a crash
        if not fields:
            return template
        try:
            return template.format_map(_Keep(counted(fields)))
        except (ValueError, IndexError, AttributeError, KeyError) as exc:
            log.error("text %s (%s) cannot be filled: %s", key, lang, type(exc).__name__)
            return template


class _Keep(dict):
    """Leaves an unfilled {placeholder} as written."""

    def __missing__(self, name: str) -> str:
        log.error("text placeholder {%s} was not filled", name)
        return "{" + name + "}"
