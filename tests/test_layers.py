"""The stage packages keep their order: each imports only its own package and the ones below it
(the layers declared once, in pyproject.toml), and no package's modules import each other in a
circle. Function-local and type-only imports count as much as top-level ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_and_package_contracts_hold(capsys):
    lint = pytest.importorskip("importlinter.cli", reason="import-linter is in the test extra: pip install '.[test]'")
    here = os.getcwd()
    os.chdir(ROOT)  # the contracts are read from pyproject.toml
    try:
        status = lint.lint_imports(no_cache=True)
    finally:
        os.chdir(here)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "2 kept, 0 broken" in report


def test_at_most_a_dozen_modules_sit_directly_in_the_package():
    top = sorted(p.name for p in (ROOT / "sheetkit").glob("*.py"))
    assert len(top) <= 12, top
