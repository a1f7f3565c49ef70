"""The questionnaire engine is pure (issue 9): only loader.py reads files, no module imports
the content.forms package it belongs to (no __init__ <-> module cycle), none is over ~400
lines, and a result renders in whatever language the caller passes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FORMS = Path(__file__).resolve().parents[1] / "content" / "forms"
ASSESSMENT = Path(__file__).resolve().parents[1] / "handlers" / "assessment"
MODULES = sorted(p for p in FORMS.glob("*.py") if p.name != "__init__.py")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_engine_module_imports_its_own_package(path):
    assert "content.forms" not in imports(path)


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "loader.py"], ids=str)
def test_only_the_loader_reads_files(path):
    used = imports(path)
    assert not used & {"yaml", "pathlib", "os", "content.forms.loader", "importlib.resources"}
    assert "open(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [*MODULES, *sorted(ASSESSMENT.glob("*.py"))], ids=str)
def test_modules_of_one_job_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400
