"""Columns that look sorted on their own, and columns typed in an order that looks like a sort.

A sort of one column of a few ordered choices (Priority: High, Medium, Low) leaves them in
alphabetical order, High, Low, Medium; a sort of whole rows moves the rows' numbers with them.
Typing can leave the same orders (a register numbered AP10 to AP16, texts alphabetical by
chance), so only evidence no typing leaves (ratings crossed onto other questions' rows) sets
values aside; an order that merely looks sorted is a warning, and every value is read where it
stands.
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
    (checked,) = validate_returns([str(path)], IngestOptions(manifest=str(manifest), keep_answers=True)).returns
    return checked


def test_a_priority_column_sorted_on_its_own_is_a_warning_and_every_value_is_read(action_plan, tmp_path):
    filled, layout, manifest = action_plan
    wb = openpyxl.load_workbook(filled)
    ws = wb[SHEET_ACTIONS]
    col, first = _column(ws, layout, "priority"), layout.action_cell(1, "priority").row + 1
    for n, value in enumerate(sorted(PRIORITIES)):  # what Data > Sort on the selected column leaves
        ws.cell(first + n, col).value = value
    sorted_path = tmp_path / "sorted.xlsx"
    wb.save(sorted_path)
    checked = _read(sorted_path, manifest)
    (found,) = [f for f in checked.findings if f.code in ("column-sorted-alone", "column-looks-sorted")]
    assert (found.code, found.sheet, found.cell) == ("column-looks-sorted", SHEET_ACTIONS,
                                                     layout.action_cell(1, "priority").cell)
    assert "High, Low, Medium" in found.message and "read where they stand" in found.message
    got = {a.key: a.value for a in checked.answers if a.key.endswith("/priority")}
    assert got == {f"action/{n}/priority": p for n, p in enumerate(sorted(PRIORITIES), start=1)}, \
        "every value read where it stands"
    assert not [a for a in checked.answers if a.key.startswith("unplaced/")]


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


def _register(tmp_path, texts: list[str], owners: list[str]):
    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    answers = {}
    for n, (text, owner) in enumerate(zip(texts, owners), start=1):
        answers.update({f"action/{n}/action": text, f"action/{n}/owner": owner, f"action/{n}/priority": "High"})
    return _read(fill(built, tmp_path / "register.xlsx", answers), tmp_path / "built" / "manifest.csv")


def test_a_numbered_register_and_a_new_action_are_typing(tmp_path):
    """The partner's own register, AP10 to AP16, then one new action: alphabetical, but numbered in order."""
    texts = [f"AP{n} {topic}" for n, topic in zip(range(10, 17), ("review market position statement", "joint "
             "training", "co-produce outcomes", "fee review", "housing pathway", "carers strategy", "audit"))]
    texts.append("Commission an independent advocacy service")
    owners = ["Head of Commissioning", "Lead", "ICB Partnership Manager", "Lead", "Housing Strategy Lead", "Lead",
              "Audit", "Director"]
    checked = _register(tmp_path, texts, owners)
    assert not [f for f in checked.findings if f.code in ("column-sorted-alone", "column-looks-sorted")]
    got = {a.key: a.value for a in checked.answers if a.key.startswith("action/")}
    for n, (text, owner) in enumerate(zip(texts, owners), start=1):
        assert (got[f"action/{n}/action"], got[f"action/{n}/owner"]) == (text, owner)


def test_texts_alphabetical_by_chance_are_read_with_a_warning(tmp_path):
    texts = ["Agree the market statement", "Build the provider forum", "Carers strategy refresh",
             "Direct payments review", "Extend reablement", "Fee setting with providers", "Get feedback from people"]
    owners = ["Zoe", "Ann", "Max", "Bea", "Kim", "Lee", "Ola"]
    checked = _register(tmp_path, texts, owners)
    (found,) = [f for f in checked.findings if f.code in ("column-sorted-alone", "column-looks-sorted")]
    assert found.code == "column-looks-sorted" and "7 different texts in alphabetical order" in found.message
    got = {a.key: a.value for a in checked.answers if a.key.startswith("action/")}
    assert [got[f"action/{n}/action"] for n in range(1, 8)] == texts
    assert [got[f"action/{n}/owner"] for n in range(1, 8)] == owners


def test_ratings_crossed_onto_other_rows_are_set_aside(tmp_path):
    """A section's answer column sorted on its own: ratings land on evidence rows and evidence on
    rating rows, which no typing leaves. Those values are set aside, never read as answers."""
    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    layout = plan_workbook(get_framework("lga-cbo"))
    sheet = layout.sections[0]
    column = [a for a in sheet.answers if a.col == sheet.answers[0].col]
    level = get_framework("lga-cbo").scales[0].choices[3]
    typed = {a.key: (level if a.field.type == "rating" else f"Text {n:02d}") for n, a in enumerate(column)}
    filled = fill(built, tmp_path / "filled.xlsx", typed)
    wb = openpyxl.load_workbook(filled)
    ws = wb[sheet.name]
    cells = [ws.cell(a.row + 1, a.col + 1) for a in column]
    values = sorted((c.value for c in cells), key=str)  # Data > Sort of that column alone: ratings ("4 - ...") first
    for c, v in zip(cells, values):
        c.value = v
    wb.save(tmp_path / "crossed.xlsx")
    checked = _read(tmp_path / "crossed.xlsx", tmp_path / "built" / "manifest.csv")
    (found,) = [f for f in checked.findings if f.code == "column-sorted-alone"]
    assert found.sheet == sheet.name and "set aside" in found.message
    read = {a.key for a in checked.answers if a.sheet == sheet.name and not a.key.startswith("unplaced/")}
    moved = {a.key for a, c in zip(column, cells) if typed[a.key] != c.value}
    assert moved and not moved & read, "no value standing on another question's row is read as its answer"
    kept = {a.text for a in checked.answers if a.key.startswith(f"unplaced/{sheet.name}/")}
    assert {str(typed[k]) for k in moved} <= kept, "and every one is kept, as unplaced"
