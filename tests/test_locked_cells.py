"""Locked cells typed over: a respondent with the sheet password types over last round's answer,
a fact on the Start sheet or a level on the Scale sheet. Each is reported where it was typed,
and what was typed is kept as unplaced, never compiled as an answer.

The workbook built here follows up the sample exercise's first round, so its section sheets
show a Last round column. The same edits made in a real LibreOffice are in tests/test_lo_objects.py.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import fill
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.common.own_files import SHEET_ACTIONS, SHEET_SCALE, SHEET_START
from sheetkit.framework.library import get_framework
from sheetkit.returns.check import check_return
from sheetkit.returns.reader import read_return
from sheetkit.roster.respondents import Respondent
from sheetkit.rounds.load import load_previous
from sheetkit.workbook.plan import plan_workbook

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"


@pytest.fixture(scope="module")
def follow_up(tmp_path_factory):
    """Housing's follow-up workbook, built from the sample's first round, and its layout."""
    framework = get_framework("lga-cbo")
    previous = load_previous(SAMPLES / "consolidated.xlsx", framework)
    out = tmp_path_factory.mktemp("follow-up")
    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(
        out_dir=out, round="2027 Q4", password="secret", previous=previous))
    return built.files[0].workbook, plan_workbook(framework, follow_up=True)


def _last_round_cells(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(cell, text) of the filled cells under the sheet's Last round header, as a person finds them."""
    ws = openpyxl.load_workbook(path)[sheet]
    header = next(c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("Last round"))
    return [(ws.cell(r, header.column).coordinate, ws.cell(r, header.column).value)
            for r in range(header.row + 1, ws.max_row + 1) if ws.cell(r, header.column).value]


def test_a_follow_up_filled_as_built_has_no_locked_cell_typed_over(follow_up, tmp_path):
    source, layout = follow_up
    evidence = [a for a in layout.answers if a.field.type == "text" and a.field.level == "statement"][:5]
    checked = check_return(read_return(str(fill(source, tmp_path / "f.xlsx", {a.key: "ours" for a in evidence}))),
                           layout.framework)
    assert not [f for f in checked.findings if f.code == "locked-cell-changed"]
    assert not [a for a in checked.answers if a.key.startswith("unplaced/")]


def test_typing_over_locked_cells_is_reported_and_kept(follow_up, tmp_path):
    source, layout = follow_up
    section = layout.sections[0].name
    (cell, shown), *_ = _last_round_cells(source, section)
    assert shown, "the Last round cell shows last round's answer"
    filled = fill(source, tmp_path / "filled.xlsx", {})
    wb = openpyxl.load_workbook(filled)
    wb[section][cell] = "this year's answer, typed in the wrong column"
    start = wb[SHEET_START]
    fact = next(c for row in start.iter_rows(max_row=10) for c in row if c.value == "Housing")
    fact.value = "Housing and Regeneration"
    scale = wb[SHEET_SCALE]
    level = next(c for row in scale.iter_rows(min_row=3) for c in row if isinstance(c.value, str) and len(c.value) > 20)
    level.value = "We think this level means something else"
    plan = wb[SHEET_ACTIONS]
    carried = next(c for row in plan.iter_rows() for c in row if c.value == "From last round")
    carried_cell = plan.cell(carried.row + 1, carried.column)
    assert str(carried_cell.value).startswith("2026 Q4 #"), "the first action row carries one of last round's"
    carried_cell.value = "2026 Q4 #99"
    wb.save(tmp_path / "typed-over.xlsx")
    checked = check_return(read_return(str(tmp_path / "typed-over.xlsx")), layout.framework)
    found = {(f.sheet, f.cell): f for f in checked.findings if f.code == "locked-cell-changed"}
    assert set(found) == {(section, cell), (SHEET_START, fact.coordinate), (SHEET_SCALE, level.coordinate),
                          (SHEET_ACTIONS, carried_cell.coordinate)}
    assert not [a for a in checked.answers if a.key.endswith("/carried") and a.text == "2026 Q4 #99"]
    assert "this year's answer" in found[(section, cell)].message
    kept = {(a.sheet, a.cell): a for a in checked.answers if a.key.startswith("unplaced/")}
    assert kept[(section, cell)].text == "this year's answer, typed in the wrong column"
    assert kept[(SHEET_START, fact.coordinate)].text == "Housing and Regeneration"
    assert kept[(SHEET_SCALE, level.coordinate)].text == "We think this level means something else"
    assert kept[(SHEET_ACTIONS, carried_cell.coordinate)].text == "2026 Q4 #99"
    assert checked.respondent == "Housing", "the metadata, not the Start sheet, says who the return is from"
