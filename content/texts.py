"""User-facing texts, per language, from content/texts/*.yaml.

Files named `vi.yaml` / `en.yaml` or `<area>.vi.yaml` / `<area>.en.yaml` are merged per
language, nested keys flattened with dots. Officers change wording there, never in Python.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path

import yaml

LANGUAGES = ("vi", "en")


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


class Texts:
    def __init__(self, by_lang: dict[str, dict[str, str]], default: str = "vi"):
        self.by_lang = by_lang
        self.default = default

    @classmethod
    def load(cls, directory: Path, errors: list[str] | None = None) -> Texts:
        errs: list[str] = [] if errors is None else errors
        by_lang: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for path in sorted(directory.glob("*.yaml")):
            parts = path.name.split(".")
            lang = parts[-2]
            if lang not in LANGUAGES:
                errs.append(f"{path.name}: file name must end in .vi.yaml or .en.yaml")
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                errs.append(f"{path.name}: not valid YAML: {exc}".splitlines()[0])
                continue
            flat: dict[str, str] = {}
            _flatten("", data, flat, path.name, errs)
            for key in flat.keys() & by_lang[lang].keys():
                errs.append(f"{path.name}: {key}: defined twice")
            by_lang[lang].update(flat)
        for key in by_lang["vi"].keys() - by_lang["en"].keys():
            errs.append(f"texts: {key}: missing English (en) text")
        for key in by_lang["en"].keys() - by_lang["vi"].keys():
            errs.append(f"texts: {key}: missing Vietnamese (vi) text")
        for lang, table in by_lang.items():
            for key, value in table.items():
                try:
                    list(string.Formatter().parse(value))
                except ValueError as exc:
                    errs.append(f"texts ({lang}): {key}: bad placeholder: {exc}")
        if errors is None and errs:
            raise ContentError(errs)
        return cls(by_lang)

    def has(self, key: str) -> bool:
        return key in self.by_lang[self.default]

    def get(self, lang: str, key: str, **fields: object) -> str:
        table = self.by_lang.get(lang) or self.by_lang[self.default]
        template = table.get(key) or self.by_lang[self.default].get(key)
        if template is None:
            return key  # visible in tests and to officers, never a crash
        return template.format(**fields) if fields else template
