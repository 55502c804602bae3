"""Dependencies that age well: the releases pinned are the ones tested, and an untested XlsxWriter stops a
command with what to install, never a traceback."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import xlsxwriter
from packaging.requirements import Requirement
from xlsxwriter.worksheet import Worksheet

from sheetkit.xlsx import UntestedLibrary, check_xlsxwriter
from sheetkit.xlsx import pinned

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements() -> dict[str, Requirement]:
    wanted = [*PROJECT["dependencies"], *(r for extra in PROJECT["optional-dependencies"].values() for r in extra)]
    return {Requirement(r).name.lower(): Requirement(r) for r in wanted}


def test_the_pinned_xlsxwriter_range_is_the_one_the_check_names_and_the_installed_release_is_in_it():
    xlsx = _requirements()["xlsxwriter"]
    assert set(str(xlsx.specifier).split(",")) == set(pinned.TESTED)
    assert xlsxwriter.__version__ in xlsx.specifier
    check_xlsxwriter()  # the release the tests run with has everything sheetkit relies on


@pytest.mark.parametrize("name", ["xlsxwriter", "python-calamine", "openpyxl"])
def test_libraries_whose_behaviour_sheetkit_relies_on_are_pinned_to_a_tested_range(name):
    requirement = _requirements()[name]
    bounds = {spec.operator for spec in requirement.specifier}
    assert {">=", "<"} <= bounds, f"{requirement}: give the lowest tested release and the next untested series"
    assert version(name) in requirement.specifier, f"the tests run with {name} {version(name)}, outside {requirement}"


def _worksheet_privates(tree: ast.AST) -> set[str]:
    """XlsxWriter's private Worksheet names a module's worksheet classes override, call or read."""
    found = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        if not any(getattr(b, "id", getattr(b, "attr", "")).endswith("Worksheet") for b in cls.bases):
            continue
        for node in ast.walk(cls):
            name = node.name if isinstance(node, ast.FunctionDef) else getattr(node, "attr", "")
            if name.startswith("_") and not name.startswith("__") and hasattr(Worksheet, name):
                found.add(name)
    return found


def test_every_private_xlsxwriter_name_sheetkit_uses_is_checked():
    used, imported = set(), set()
    for path in (ROOT / "sheetkit").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used |= _worksheet_privates(tree)
        imported |= {(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                     and (n.module or "").startswith("xlsxwriter.") for a in n.names
                     if a.name.startswith("_") or a.name == "CellStringTuple"}
    checked = set(pinned.METHODS) | set(pinned.ATTRIBUTES)
    assert used and used <= checked, f"check these in sheetkit/xlsx/pinned.py: {sorted(used - checked)}"
    assert imported and imported <= {(m, n) for m, names in pinned.NAMES.items() for n in names}


class _Renamed(Worksheet):
    """A worksheet as a later XlsxWriter might have it: one method reshaped, one gone."""

    def _prepare_formula(self, formula):  # noqa: D401 - the shape an older release had
        return formula

    _xml_rich_inline_string = None


def test_a_release_without_what_sheetkit_overrides_is_named_part_by_part():
    problems = pinned.missing_parts(_Renamed, {"xlsxwriter.utility": object(), "xlsxwriter.worksheet": object()})
    assert "Worksheet._prepare_formula takes (self, formula), not (self, formula, expand_future_functions)" in problems
    assert "Worksheet._xml_rich_inline_string is missing" in problems
    assert "xlsxwriter.utility._preserve_whitespace is missing" in problems
    assert pinned.missing_parts(Worksheet, {m: __import__(m, fromlist=["_"]) for m in pinned.NAMES}) == []


def test_an_untested_release_stops_the_command_with_what_to_install_and_writes_nothing(tmp_path):
    """A copy of the installed XlsxWriter with one overridden method reshaped, as a later release might have it."""
    copy = tmp_path / "site"
    shutil.copytree(Path(xlsxwriter.__file__).parent, copy / "xlsxwriter")
    module = copy / "xlsxwriter" / "xmlwriter.py"  # where Worksheet inherits _xml_inline_string from
    text = module.read_text(encoding="utf-8")
    reshaped = re.sub(r"(def _xml_inline_string\(self, string), preserve,", r"\1,", text)
    assert reshaped != text
    module.write_text(reshaped, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "sheetkit", "build", "lga-cbo", "--respondent", "Housing",
                           "--out", str(out), "--round", "2026 Q4"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(copy), str(ROOT)])})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"XlsxWriter {xlsxwriter.__version__} is installed" in done.stderr
    assert "Worksheet._xml_inline_string takes (self, string, attributes)" in done.stderr
    assert pinned.install_hint() in done.stderr and pinned.install_hint() == 'pip install "XlsxWriter>=3.3,<3.4"'
    assert not out.exists()
