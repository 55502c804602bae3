"""The consolidated workbook as it looks: its first screen in LibreOffice on a 1366x768 laptop, and its print.

The Dashboard is opened in LibreOffice's own window, the size of a 1366x768 screen, at the zoom
the workbook stores (tests/lo_uno_screen.py), and what the window shows is compared with where
the answers sit: the brief, the table of every section by partner (all its columns) and the
first actions' heading with its link to the plan must all be in view. Every sheet is printed to
PDF and no printed cell shows '###' (a number or date too wide for its column).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import IN_CI, UNO_PYTHON, libreoffice_or_skip, unavailable
from openpyxl.utils.cell import range_boundaries

from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent
from sheetkit.samples.filling import fill_workbook, realistic_answers
from sheetkit.workbook.plan import plan_workbook

pytestmark = pytest.mark.libreoffice
HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples" / "lga-cbo"


def _screen(path: Path, png: Path | None = None) -> dict:
    libreoffice_or_skip()
    if not shutil.which("Xvfb"):
        unavailable("Xvfb is not installed (Debian: xvfb); the first screen is looked at in a real window")
    run = subprocess.run([UNO_PYTHON, str(HERE / "lo_uno_screen.py"), str(path)] + (["--png", str(png)] if png else []),
                         capture_output=True, text=True, timeout=240,
                         env={k: v for k, v in os.environ.items() if k != "DISPLAY"})  # its own 1366x768 screen
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def _column(letters: str) -> int:
    return range_boundaries(f"{letters}1")[0]


def _where(path: Path) -> tuple[int, int]:
    """The Dashboard's row of the first actions' header, and its table's last column (both from 1)."""
    ws = openpyxl.load_workbook(path)["Dashboard"]
    heading = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("First actions"))
    (table,) = ws.tables.values()
    return heading + 1, range_boundaries(table.ref)[2]


def _wide(tmp_path: Path) -> Path:
    """Twelve partners: more than fit at 100%, so the workbook stores a zoom."""
    framework = get_framework("lga-cbo")
    people = [Respondent(f"Partner {n}") for n in range(1, 13)]
    built = build_workbooks(framework, people, BuildOptions(out_dir=tmp_path / "b", round="2026 Q4", password="p"))
    layout = plan_workbook(framework)
    (tmp_path / "r").mkdir()
    for n, item in enumerate(built.files):
        fill_workbook(item.workbook, tmp_path / "r" / item.workbook.name,
                      realistic_answers(layout, random.Random(n), lean=0.3))
    out = tmp_path / "wide.xlsx"
    ingest_returns([str(tmp_path / "r")], IngestOptions(manifest=str(built.manifest), out=out, use_cache=False))
    return out


@pytest.mark.parametrize("which", ["first round", "next round", "twelve partners"])
def test_the_first_screen_shows_the_brief_the_table_and_the_first_actions(which, tmp_path):
    path = {"first round": SAMPLES / "consolidated.xlsx", "next round": SAMPLES / "next-round" / "consolidated.xlsx"
            }.get(which) or _wide(tmp_path)
    seen = _screen(path, tmp_path / "screen.png")
    header_row, last_col = _where(path)
    assert seen["sheet"] == "Dashboard" and seen["visible"]["first_row"] == 1, seen
    assert seen["fully_visible"]["last_row"] >= header_row, seen
    assert _column(seen["fully_visible"]["last_column"]) >= last_col, seen
    stored = openpyxl.load_workbook(path)["Dashboard"].sheet_view.zoomScale or 100
    assert seen["zoom"] == stored, seen  # opened as stored
    assert stored < 100 if which == "twelve partners" else stored >= 90, seen


def test_no_printed_sheet_shows_hashes(tmp_path):
    soffice = libreoffice_or_skip(uno=False)
    if not shutil.which("pdftotext"):
        if IN_CI:
            pytest.fail("poppler (pdftotext) is needed; .ci/run installs it")
        pytest.skip("poppler (pdftotext) is not installed")
    files = [shutil.copy(SAMPLES / "consolidated.xlsx", tmp_path / "first.xlsx"),
             shutil.copy(SAMPLES / "next-round" / "consolidated.xlsx", tmp_path / "next.xlsx")]
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("first", "next"):
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / f"{name}.pdf"), "-"], capture_output=True,
                              text=True).stdout
        assert "Dashboard" in text and "###" not in text, [line for line in text.splitlines() if "###" in line][:5]
