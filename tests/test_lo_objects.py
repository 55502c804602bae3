"""What respondents put in a workbook besides values, made in a real LibreOffice, then ingested:
nothing goes unmentioned, and nothing is compiled under an answer it was not typed for.

A follow-up workbook (built from the sample exercise's first round, so its sections show a
locked Last round column) is filled by reading its labels, then changed in one LibreOffice
session through UNO the way respondents do: answer cells merged with Format > Merge Cells,
answering LibreOffice's question by moving the hidden cells' text into the first (and, once,
keeping it); text boxes drawn on a section sheet and on an added sheet; a Last round cell typed
over after unprotecting; a number pasted into a date cell; a HYPERLINK formula; a rating with a
footnote mark (7¹); a 40,000-character answer; and a numbered action register typed in order.
Saved as .xlsx and .ods (and the .xlsx converted to .xls), each file is ingested and every case is
looked for where it was made; every value typed by label is compiled under its own field or reported.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from conftest import UNO_PYTHON, clean_env, libreoffice_or_skip
from fill_by_label import fill_by_label, header_rows, text_of
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent
from sheetkit.rounds.load import load_previous
from test_reading_edits import _check_every_typed_value
from test_returns_folder import soffice_convert

pytestmark = pytest.mark.libreoffice

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples" / "lga-cbo"
RUN_SECONDS = 240
LONG = ("A long answer. " * 2700)[:40_000]
REGISTER = [f"AP{n} {what}" for n, what in zip(range(10, 17), (
    "review the market position statement", "joint training with health", "co-produce outcome measures",
    "fee review with providers", "housing pathway for discharge", "carers strategy refresh", "audit of reablement"))]
REGISTER.append("Commission an independent advocacy service")


class Places:
    """Where a person would make each change, found from what the filled workbook shows."""

    def __init__(self, path: Path, fields):
        wb = openpyxl.load_workbook(path)
        self.section = next(f.sheet for f in fields if f.choices and "10" in f.choices)  # a section: it rates
        texts = [f for f in fields if not f.choices and not f.is_date and f.sheet == self.section]
        column = [f for f in texts if f.sheet == self.section and _col(f.cell) == _col(texts[0].cell)]
        pairs = [(a, b) for a, b in zip(column, column[1:]) if _row(b.cell) == _row(a.cell) + 1]
        (self.move_a, self.move_b), (self.keep_a, self.keep_b) = pairs[0], pairs[3]
        singles = [f for f in column if f not in (self.move_a, self.move_b, self.keep_a, self.keep_b)]
        self.hyperlink, self.long = singles[2], singles[5]
        self.rating = next(f for f in fields if f.sheet == self.section and f.choices and "10" in f.choices)
        self.date = next(f for f in fields if f.sheet == self.section and f.is_date)
        plan = [f for f in fields if f.sheet == SHEET_ACTIONS]
        action_col = next(_col(f.cell) for f in plan if (f.column_header or "").startswith("Action"))
        owner_col = next(_col(f.cell) for f in plan if (f.column_header or "").startswith("Owner"))
        rows = sorted({_row(f.cell) for f in plan})
        self.register = [f"{action_col}{r}" for r in rows[:len(REGISTER)]]
        self.owners = [f"{owner_col}{r}" for r in rows[:len(REGISTER)]]
        merge_row = rows[len(REGISTER) + 2]
        self.action, self.owner = f"{action_col}{merge_row}", f"{owner_col}{merge_row}"
        sheet = wb[self.section]
        last_round = next(c for r in header_rows(sheet) for c in sheet[r] if text_of(c.value).startswith("Last round"))
        self.last_round = next(f"{last_round.column_letter}{r}" for r in range(last_round.row + 1, sheet.max_row + 1)
                               if text_of(sheet[f"{last_round.column_letter}{r}"].value))
        self.box = f"{get_column_letter(sheet.max_column + 2)}{_row(self.move_a.cell)}"

    def edits(self) -> list[dict]:
        s, plan = self.section, SHEET_ACTIONS
        return [
            {"op": "merge", "sheet": s, "range": f"{self.move_a.cell}:{self.move_b.cell}", "contents": "move"},  # 0
            {"op": "merge", "sheet": plan, "range": f"{self.action}:{self.owner}", "contents": "move"},          # 1
            {"op": "merge", "sheet": s, "range": f"{self.keep_a.cell}:{self.keep_b.cell}", "contents": "keep"},  # 2
            {"op": "draw_text_box", "sheet": s, "cell": self.box, "text": "We also pool budgets with Health"},   # 3
            {"op": "add_sheet", "new_name": "Our notes"},                                                         # 4
            {"op": "draw_text_box", "sheet": "Our notes", "cell": "B3", "text": "Notes from the board meeting"},  # 5
            {"op": "type", "sheet": s, "cell": self.last_round, "text": "Typed over last round's answer"},       # 6
            {"op": "type", "sheet": s, "cell": self.date.cell, "value": 2027},                                  # 7
            {"op": "set_formula", "sheet": s, "cell": self.hyperlink.cell,                                       # 8
             "formula": '=HYPERLINK("http://phish.example/login";"Our strategy")'},
            {"op": "type", "sheet": s, "cell": self.rating.cell, "text": "7¹"},                                 # 9
            {"op": "type", "sheet": s, "cell": self.long.cell, "text": LONG},                                  # 10
            *[{"op": "type", "sheet": plan, "cell": cell, "text": text} for cell, text in zip(self.register,
                                                                                                REGISTER)],
        ]


def _col(cell: str) -> str:
    return cell.rstrip("0123456789")


def _row(cell: str) -> int:
    return int(cell[len(_col(cell)):])


def _rows(out: Path) -> list[dict]:
    ws = openpyxl.load_workbook(out, read_only=True)["Responses"]
    rows = list(ws.iter_rows(values_only=True))
    at = next(n for n, row in enumerate(rows) if "sheet" in row and "cell" in row)
    return [dict(zip(rows[at], r)) for r in rows[at + 1:] if r[0]]


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    soffice = libreoffice_or_skip()
    work = tmp_path_factory.mktemp("objects")
    framework = get_framework("lga-cbo")
    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(
        out_dir=work / "built", round="2027 Q4", password="secret",
        previous=load_previous(SAMPLES / "consolidated.xlsx", framework)))
    filled = fill_by_label(built.files[0].workbook, work / "filled.xlsx", seed=5)
    places = Places(work / "filled.xlsx", filled.fields)
    plan = work / "edits.json"
    plan.write_text(json.dumps({"dialogs": True, "edits": places.edits()}, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([UNO_PYTHON, str(HERE / "lo_uno_edit.py"), "--soffice", soffice, "--password", "secret",
                          "--timeout", str(RUN_SECONDS), str(work / "filled.xlsx"), str(plan), str(work / "edited")],
                         capture_output=True, text=True, timeout=RUN_SECONDS + 60, env=clean_env())
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"lo_uno_edit.py printed no report (exit {run.returncode}):\n{run.stderr[-2000:]}")
    assert not report.get("error"), report.get("error")
    assert report["tracking_errors"] == [], report["tracking_errors"]
    outputs = dict(report["outputs"], xls=soffice_convert(Path(report["outputs"]["xlsx"]), "xls", work / "old",
                                                         work / "profile"))
    results = {}
    for fmt in ("xlsx", "ods", "xls"):
        folder = work / fmt
        folder.mkdir()
        (folder / f"housing.{fmt}").write_bytes(Path(outputs[fmt]).read_bytes())
        out = work / f"consolidated-{fmt}.xlsx"
        ingest = ingest_returns([str(folder)], IngestOptions(out=out))  # no --csv: cut text makes one
        results[fmt] = (ingest, _rows(out))
    return filled, places, report, results


FORMATS = ["xlsx", "ods"]


def _findings(ingest, code: str) -> dict[tuple[str, str], object]:
    return {(f.sheet, f.cell): f for f in ingest.findings if f.code == code}


def _at(rows: list[dict], sheet: str, cell: str) -> list[dict]:
    return [r for r in rows if (r["sheet"], r["cell"]) == (sheet, cell)]


def test_the_edits_were_made_as_a_person_makes_them(edited):
    _, places, report, _ = edited
    moved, action, kept = report["edits"][0], report["edits"][1], report["edits"][2]
    assert moved["asked"] and moved["merged"] and kept["asked"] and kept["merged"]
    typed = [c["shown"] for c in moved["removed"]]
    assert moved["shown"] == " ".join(typed), "LibreOffice moved the hidden cell's text into the first"
    assert action["shown"] == " ".join(c["shown"] for c in action["removed"])
    assert kept["shown"] == kept["removed"][0]["shown"]
    assert report["edits"][3]["shape"] == "We also pool budgets with Health" and report["edits"][3]["anchor"] == places.box
    assert report["edits"][0].get("unprotected"), "the sheet was unprotected with the password first"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_return_is_accepted_and_every_typed_value_kept_or_reported(edited, fmt):
    filled, _, report, results = edited
    ingest, _ = results[fmt]
    assert [r.status for r in ingest.returns] == ["accepted"]
    assert not [f for f in ingest.findings if f.code in ("reader-failed", "sheet-unreadable", "cell-unreadable")]
    _check_every_typed_value(("lga-cbo", filled, report, {fmt: (ingest, _responses_by_cell(results[fmt][1]), {})}),
                             fmt, share=0.8)


def _responses_by_cell(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["sheet"], r["cell"]): r for r in rows if r["field"] not in ("comment", "drawing")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_merged_with_their_text_moved_are_kept_as_unplaced(edited, fmt):
    _, places, report, results = edited
    ingest, rows = results[fmt]
    joined = _findings(ingest, "answers-merged")
    for sheet, cell, edit in ((places.section, places.move_a.cell, 0), (SHEET_ACTIONS, places.action, 1)):
        assert (sheet, cell) in joined, (fmt, sheet, cell, sorted(joined))
        (row,) = _at(rows, sheet, cell)
        assert row["status"] == "unplaced" and row["value"] == report["edits"][edit]["shown"]
    hidden = (places.section, places.move_b.cell)
    assert not [r for r in _at(rows, *hidden) if r["status"] == "ok"]
    assert not [r for r in rows if r["sheet"] == SHEET_ACTIONS and r["cell"] in (places.action, places.owner)
                and r["status"] == "ok"]


def test_a_return_saved_as_xls_still_says_which_answers_were_merged(edited):
    """Excel 97-2003 files have no XML parts; their merged ranges come from the reading library."""
    _, places, _, results = edited
    ingest, rows = results["xls"]
    assert {(places.section, places.move_a.cell), (SHEET_ACTIONS, places.action)} <= set(
        _findings(ingest, "answers-merged"))
    assert (places.section, places.keep_a.cell) in _findings(ingest, "cells-merged")
    (row,) = _at(rows, places.section, places.move_a.cell)
    assert row["status"] == "unplaced"


@pytest.mark.parametrize("fmt", FORMATS)
def test_cells_merged_keeping_their_text_are_read_where_typed(edited, fmt):
    filled, places, _, results = edited
    ingest, rows = results[fmt]
    assert (places.section, places.keep_a.cell) in _findings(ingest, "cells-merged")
    for f in (places.keep_a, places.keep_b):
        (row,) = _at(rows, f.sheet, f.cell)
        assert (row["status"], row["value"]) == ("ok", filled.cells[(f.sheet, f.cell)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_boxes_are_reported_and_their_text_kept(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    drawn = _findings(ingest, "drawing-found")
    assert (places.section, places.box) in drawn and ("Our notes", "B3") in drawn, sorted(drawn)
    texts = {(r["sheet"], r["cell"]): r["value"] for r in rows if r["field"] == "drawing"}
    assert texts[(places.section, places.box)] == "We also pool budgets with Health"
    assert texts[("Our notes", "B3")] == "Notes from the board meeting"
    (extra,) = [f for f in ingest.findings if f.code == "extra-sheet"]
    assert "0 filled cells and 1 drawings or text boxes" in extra.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_last_round_cell_typed_over_is_reported_and_kept(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    assert (places.section, places.last_round) in _findings(ingest, "locked-cell-changed")
    (row,) = _at(rows, places.section, places.last_round)
    assert (row["status"], row["value"]) == ("unplaced", "Typed over last round's answer")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_number_pasted_into_a_date_cell_is_held_to_the_cell_s_range(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    finding = _findings(ingest, "date-out-of-range")[(places.section, places.date.cell)]
    assert "1905-07-19" in finding.message
    (row,) = _at(rows, places.section, places.date.cell)
    assert row["status"] == "flagged"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hyperlink_formula_is_reported_and_its_value_not_counted(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    finding = _findings(ingest, "formula-unsafe")[(places.section, places.hyperlink.cell)]
    assert "HYPERLINK" in finding.message and "phish.example" in finding.message
    (row,) = _at(rows, places.section, places.hyperlink.cell)
    assert (row["status"], row["value"]) == ("flagged", "Our strategy")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_rating_with_a_footnote_mark_costs_only_that_rating(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    assert (places.section, places.rating.cell) in _findings(ingest, "rating-out-of-scale")
    (row,) = _at(rows, places.section, places.rating.cell)
    assert (row["status"], row["value"]) == ("flagged", "7¹")
    assert sum(1 for r in rows if r["status"] == "ok" and r["field"] == "rating") >= 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_long_answer_is_reported_and_kept_whole_where_the_file_holds_it_whole(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    where = (places.section, places.long.cell)
    if fmt == "ods":  # LibreOffice keeps the whole text in its own format
        assert where in _findings(ingest, "text-too-long")
        assert ingest.csv is not None and ingest.csv.is_file(), "the cut workbook's promise: the CSV beside it"
        with open(ingest.csv, encoding="utf-8-sig", newline="") as handle:
            whole = [r["value"] for r in csv.DictReader(handle) if (r["sheet"], r["cell"]) == where]
        assert whole == [LONG]
    else:  # and cuts it at a cell's limit when it saves .xlsx: the finding says it was probably cut
        assert where in _findings(ingest, "text-at-limit") or where in _findings(ingest, "text-too-long")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_numbered_register_typed_in_order_is_read_as_typed(edited, fmt):
    _, places, _, results = edited
    ingest, rows = results[fmt]
    assert not [f for f in ingest.findings if f.sheet == SHEET_ACTIONS and f.code in (
        "column-sorted-alone", "column-looks-sorted")]
    by_cell = {r["cell"]: r for r in rows if r["sheet"] == SHEET_ACTIONS and r["field"] == "action"}
    assert [by_cell[c]["value"] for c in places.register] == REGISTER
    assert all(by_cell[c]["status"] == "ok" for c in places.register)
