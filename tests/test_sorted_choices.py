"""A column of a few ordered choices (Priority: High, Medium, Low) re-ordered on its own.

A sort of that one column leaves its values in alphabetical order, High, Low, Medium, which
is not how anyone ranks actions; a sort of whole rows moves the rows' numbers with them. The
first must be reported and its values kept apart; the second must be read as typed.
"""

from __future__ import annotations

import openpyxl
import pytest

from conftest import build, fill
from sheetkit.commands.ingest import IngestOptions
from sheetkit.returns.check import validate_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.framework.library import get_framework

PRIORITIES = ("High", "Medium", "Low", "High", "Low", "Medium")


@pytest.fixture(scope="module")
def built_housing(tmp_path_factory):
    """Housing's lga-cbo workbook, built once for the module (tests fill copies of it)."""
    (built,) = build("lga-cbo", tmp_path_factory.mktemp("built"), names=("Housing",))
    return built


@pytest.fixture
def action_plan(tmp_path, built_housing):
    """A return whose Action plan holds six actions with mixed priorities, and its layout."""
    built = built_housing
    answers = {}
    for n, priority in enumerate(PRIORITIES, start=1):
        answers.update({f"action/{n}/action": f"Action about topic {chr(64 + n)}", f"action/{n}/priority": priority,
                        f"action/{n}/owner": f"Owner {n}"})
    filled = fill(built, tmp_path / "filled.xlsx", answers)
    return filled, plan_workbook(get_framework("lga-cbo")), built.parent / "manifest.csv"


def _column(ws, layout, field_id: str) -> int:
    return layout.action_cell(1, field_id).col + 1


def _read(path, manifest):
    (checked,) = validate_returns([str(path)], IngestOptions(manifest=str(manifest))).returns
    return checked


def test_a_priority_column_sorted_on_its_own_is_reported_and_never_read(action_plan, tmp_path):
    filled, layout, manifest = action_plan
    wb = openpyxl.load_workbook(filled)
    ws = wb[SHEET_ACTIONS]
    col, first = _column(ws, layout, "priority"), layout.action_cell(1, "priority").row + 1
    for n, value in enumerate(sorted(PRIORITIES)):  # what Data > Sort on the selected column leaves
        ws.cell(first + n, col).value = value
    sorted_path = tmp_path / "sorted.xlsx"
    wb.save(sorted_path)
    checked = _read(sorted_path, manifest)
    found = [f for f in checked.findings if f.code == "column-sorted-alone"]
    assert [(f.sheet, f.cell) for f in found] == [(SHEET_ACTIONS, layout.action_cell(1, "priority").cell)]
    assert not [a for a in checked.answers if a.key.endswith("/priority")], "no priority is read under an action"
    kept = sorted(a.value for a in checked.answers if a.key.startswith(f"unplaced/{SHEET_ACTIONS}/"))
    assert kept == sorted(PRIORITIES), "every sorted value is kept, as unplaced"


def test_whole_rows_sorted_by_priority_are_read_as_typed(action_plan, tmp_path):
    filled, layout, manifest = action_plan
    wb = openpyxl.load_workbook(filled)
    ws = wb[SHEET_ACTIONS]
    first = layout.action_cell(1, "priority").row + 1
    rows = [[ws.cell(first + n, c).value for c in range(1, ws.max_column + 1)] for n in range(len(PRIORITIES))]
    col = _column(ws, layout, "priority")
    for n, values in enumerate(sorted(rows, key=lambda r: r[col - 1])):  # the row numbers move too
        for c, value in enumerate(values, start=1):
            ws.cell(first + n, c).value = value
    moved = tmp_path / "rows-sorted.xlsx"
    wb.save(moved)
    checked = _read(moved, manifest)
    assert not [f for f in checked.findings if f.code == "column-sorted-alone"]
    got = {a.key: a.value for a in checked.answers if a.key.startswith("action/")}
    rows = {key.split("/")[1] for key in got}
    by_action = {got[f"action/{n}/action"]: (got[f"action/{n}/priority"], got[f"action/{n}/owner"]) for n in rows}
    assert by_action == {f"Action about topic {chr(64 + n)}": (p, f"Owner {n}")  # each row's values stay together
                         for n, p in enumerate(PRIORITIES, start=1)}

def test_priorities_typed_in_their_own_order_are_read_as_typed(tmp_path):
    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    ranked = ("High", "High", "Medium", "Medium", "Low", "Low")
    answers = {f"action/{n}/{k}": v for n, p in enumerate(ranked, start=1)
               for k, v in (("action", f"Action {chr(64 + n)}"), ("priority", p), ("owner", "Lead"))}
    checked = _read(fill(built, tmp_path / "ranked.xlsx", answers), tmp_path / "built" / "manifest.csv")
    assert not [f for f in checked.findings if f.code == "column-sorted-alone"]
    assert [a.value for a in checked.answers if a.key.endswith("/priority")] == list(ranked)
