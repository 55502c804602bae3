"""A pre-filled follow-up workbook (build --previous --prefill): last round's answers, each row
asking 'Still true?'. Filled as a person would, by the labels and headers they see; ingested
against last round; every answer checked for whether it counts as this round's view."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetkit.cli import cli
from sheetkit.framework.model import STILL_TRUE

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
SHEET = "1 Person-centred"
RATING = "Self-assessment rating (1-10) (pick)"
HOW = "How are we doing? (type here)"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (SAMPLES / "consolidated.xlsx").is_file():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    root = tmp_path_factory.mktemp("carried")
    result = CliRunner().invoke(cli, ["build", "lga-cbo", "--respondent", "Housing", "--respondent", "Healthwatch",
                                      "--previous", str(SAMPLES / "consolidated.xlsx"), "--prefill", "--round",
                                      "2027 Q4", "--deadline", "2099-11-30", "--out", str(root / "workbooks")])
    assert result.exit_code == 0, result.output
    return root, next((root / "workbooks").glob("*housing*"))


def _table(ws):
    """(header -> column, (Ref, label) -> row), as a person reads the sheet."""
    header = next(r for r in ws.iter_rows() if any(c.value == "Ref" for c in r))
    columns = {c.value: c.column for c in header if c.value}
    rows = {}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        ref, label = row[columns["Ref"] - 1].value, row[1].value
        rows.setdefault((str(ref), label), row[0].row)
    return columns, rows


def test_each_row_of_last_rounds_answers_asks_still_true_and_nothing_else_does(built):
    _, workbook = built
    wb = openpyxl.load_workbook(workbook)
    ws = wb[SHEET]
    columns, rows = _table(ws)
    headers = list(columns)
    assert headers[-2:] == ["Last round", "Still true? (pick)"]
    still = columns["Still true? (pick)"]
    rating_row = rows[("1", RATING)]
    cell = ws.cell(rating_row, still)
    assert cell.protection.locked is False and cell.value is None
    lists = [v for v in ws.data_validations.dataValidation if cell.coordinate in str(v.sqref)]
    assert lists and lists[0].formula1 == '"' + ",".join(STILL_TRUE) + '"'
    heading = ws.cell(min(row for (ref, _), row in rows.items() if ref == "1"), still)  # the item's title: no question
    assert heading.protection.locked is not False
    assessed = next(row for (ref, label), row in rows.items() if str(label).startswith("Your assessment of"))
    assert ws.cell(assessed, still).protection.locked is not False  # a heading over the item's questions
    healthwatch = openpyxl.load_workbook(next(workbook.parent.glob("*healthwatch*")))  # new: nothing carried
    assert "Still true? (pick)" not in [c.value for r in healthwatch[SHEET].iter_rows(max_row=6) for c in r]


def _fill(workbook: Path, target: Path, still: dict, typed: dict, signed: bool = True) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[SHEET]
    columns, rows = _table(ws)
    for (ref, label), choice in still.items():
        ws.cell(rows[(ref, label)], columns["Still true? (pick)"]).value = choice
    answer = [h for h in columns if h.startswith("Our evidence")][0]
    for (ref, label), value in typed.items():
        ws.cell(rows[(ref, label)], columns[answer]).value = value
    if signed:
        start = wb["Start"]
        row = next(r for r in start.iter_rows() if r[0].value and str(r[0].value).startswith("Completed by"))
        row[1].value = "Tom Reilly"
    wb.save(target)


def test_left_as_prefilled_is_carried_confirmed_or_changed_is_this_rounds(built, tmp_path):
    root, workbook = built
    returns = tmp_path / "returns"
    returns.mkdir()
    _fill(workbook, returns / workbook.name, still={("1", RATING): STILL_TRUE[0], ("3", RATING): STILL_TRUE[1]},
          typed={("1", HOW): "Market position statement refreshed in 2027"})
    out = tmp_path / "consolidated.xlsx"
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--manifest", str(root / "manifest.csv"), "--out",
                                      str(out), "--previous", str(SAMPLES / "consolidated.xlsx"), "--renames",
                                      str(SAMPLES / "next-round" / "renames.csv"), "--csv", str(tmp_path / "r.csv"),
                                      "--no-cache", "--json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    [ret] = [r for r in report["returns"] if r["respondent"] == "Housing"]
    assert ret["status"] == "accepted"
    rows = {r["key"]: r for r in _responses(tmp_path / "r.csv") if r["round"] == "2027 Q4"}
    assert rows["item/1/rating"]["status"] == "ok"  # confirmed: this round's view
    assert rows["item/1/how_doing"]["status"] == "ok" and rows["item/1/how_doing"]["value"].endswith("2027")
    assert rows["item/2/rating"]["status"] == "carried"  # left as it was: last round's
    assert rows["item/3/rating"]["status"] == "carried"  # 'changed', but it was not
    carried = [k for k, r in rows.items() if r["status"] == "carried"]
    findings = [f for f in ret["findings"] if f["code"] == "answer-carried"]
    said = [f for f in findings if "says 'No: I have changed it'" in f["message"]]
    assert len(said) == 1 and said[0]["sheet"] == SHEET
    assert sum(int(f["message"].split(" ", 1)[0]) for f in findings if f not in said) == len(carried) - 1
    wb = openpyxl.load_workbook(out, read_only=True)
    register = _sheet_table(wb["Returns"])
    assert [r["Carried, not confirmed"] for r in register if r["Partner"] == "Housing"] == [len(carried)]
    ratings = {(r["Section"], r["Ref"]): r for r in _sheet_table(wb["Ratings"])}
    assert ratings[("1", "1")]["Housing"] is not None and ratings[("1", "2")]["Housing"] is None  # not counted
    assert "carried from last round" in ratings[("1", "2")][list(ratings[("1", "2")])[-1]]
    trend = {r["Ref"]: r for r in _sheet_table(wb["Trend"]) if r["Section"] == "1"}
    assert trend["2"]["Carried, not confirmed"] == 1 and trend["1"]["Carried, not confirmed"] is None
    dashboard = " ".join(str(c) for r in wb["Dashboard"].iter_rows(values_only=True) for c in r if c)
    assert f"{len(carried)} answer(s) left as last round pre-filled them and not confirmed" in dashboard


def test_a_prefilled_workbook_saved_with_nothing_typed_came_back_unchanged(built, tmp_path):
    root, workbook = built
    returns = tmp_path / "returns"
    returns.mkdir()
    _fill(workbook, returns / workbook.name, still={}, typed={}, signed=False)  # opened, saved, sent back
    report = json.loads(CliRunner().invoke(cli, ["validate", str(returns), "--manifest", str(root / "manifest.csv"),
                                                 "--json"]).output)
    [ret] = report["returns"]
    assert ret["status"] == "rejected" and [f["code"] for f in ret["findings"]] == ["return-unchanged"]
    assert "every answer is as last round (2026 Q4) pre-filled it" in ret["findings"][0]["message"]
    assert report["chase_why"]["Housing"] == f"returned unchanged: {workbook.name}"


def _responses(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _sheet_table(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[3], r)) for r in rows[4:]]


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_still_true_picked_in_libreoffice_is_read_as_a_confirmation(built, tmp_path, fmt):
    """In a real LibreOffice: pick 'Yes: still true' from the dropdown beside one rating, type over one
    answer, leave the rest; saved as .xlsx and .ods, the picked row counts and the rest is carried."""
    from openpyxl.utils import get_column_letter

    from test_libreoffice import lo_fill
    from conftest import libreoffice_or_skip

    soffice = libreoffice_or_skip()
    root, workbook = built
    ws = openpyxl.load_workbook(workbook)[SHEET]
    columns, rows = _table(ws)
    answer = [h for h in columns if h.startswith("Our evidence")][0]
    at = lambda ref, label, header: f"{get_column_letter(columns[header])}{rows[(ref, label)]}"  # noqa: E731
    plan = {"locale": "en-GB", "cells": [
        {"sheet": SHEET, "cell": at("1", RATING, "Still true? (pick)"), "text": STILL_TRUE[0], "how": "pick"},
        {"sheet": SHEET, "cell": at("1", HOW, answer), "text": "Typed in LibreOffice, a year on"}]}
    report = lo_fill(soffice, workbook, plan, tmp_path / "housing")
    returns = tmp_path / "returns"
    returns.mkdir()
    saved = Path(report["outputs"][fmt])
    (returns / saved.name).write_bytes(saved.read_bytes())
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--manifest", str(root / "manifest.csv"), "--out",
                                      str(tmp_path / "c.xlsx"), "--csv", str(tmp_path / "r.csv"), "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    rows_ = {r["key"]: r for r in _responses(tmp_path / "r.csv")}
    assert rows_["item/1/rating"]["status"] == "ok"
    assert rows_["item/1/how_doing"]["status"] == "ok" and rows_["item/1/how_doing"]["value"].endswith("a year on")
    assert rows_["item/2/rating"]["status"] == "carried" and rows_["item/1/impact"]["status"] == "carried"


def test_a_carried_rating_revised_after_feedback_is_counted_and_shown_with_what_it_replaced():
    """A rating left as last round pre-filled it is not this round's view; revised in a reply to the
    feedback, it is: counted, shown beside the carried rating it replaced, and no longer counted as carried."""
    from sheetkit.consolidate.agreement import AgreementRule
    from sheetkit.consolidate.consolidation import ActionCounts, Consolidation, RatingRow, with_revisions
    from sheetkit.framework.library import get_framework
    from sheetkit.report import ratings

    framework = get_framework("lga-cbo")
    rating = framework.item_rating_field()
    row = RatingRow("item", "1", "1", "Person-centred", rating, values={"Health": 6, "Adults": 7},
                    carried={"Housing": "4", "Carers": "5"})
    con = Consolidation(framework, ["Health", "Adults", "Housing", "Carers"], [row], AgreementRule(), ActionCounts(),
                        [], {}, {}, store=None)
    counted = with_revisions(con, {("Housing", row.key): 8})
    [revised] = counted.ratings
    assert revised.values == {"Health": 6, "Adults": 7, "Housing": 8} and revised.count == 3
    assert revised.still_carried == {"Carers": "5"} and row.still_carried == {"Housing": "4", "Carers": "5"}
    shown = ratings.values(counted, revised)
    assert shown[-1] == "Housing: 4 (carried from last round) \u2192 8"  # Revised after feedback
    assert shown[-2] == "Carers: 5 (carried from last round, not confirmed)"  # Not counted: only the one still carried
