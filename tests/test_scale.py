"""Correct at any size: no sheet passes Excel's limits, and no write XlsxWriter drops passes silently."""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sheetkit.common import limits
from sheetkit.xlsx.cells import TextWorkbook
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.xlsx.styles import WriteError


@pytest.mark.parametrize("write", [
    lambda ws: ws.write_string(1_048_576, 0, "past the last row"),
    lambda ws: ws.write_number(0, 16_384, 1),
    lambda ws: ws.write_string(0, -1, "no such column"),
    lambda ws: ws.write_string(0, 0, "x" * 32_768),  # XlsxWriter would cut it and return -2
    lambda ws: ws.data_validation(0, 0, 0, 0, {"validate": "list", "source": ["x" * 200, "y" * 100]}),
    lambda ws: ws.set_column(16_384, 16_384, 10),
    lambda ws: ws.merge_range(0, 0, 1_048_576, 1, ""),
])
def test_a_dropped_write_raises_rather_than_passing_silently(tmp_path, write):
    wb = TextWorkbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("Sheet")
    with _quiet(), pytest.raises(WriteError, match="XlsxWriter dropped"):
        write(ws)
    wb.close()


def test_a_dropped_defined_name_raises(tmp_path):
    wb = TextWorkbook(str(tmp_path / "x.xlsx"))
    wb.add_worksheet("Sheet")
    with _quiet(), pytest.raises(WriteError, match="define_name"):
        wb.define_name("bad name", "=Sheet!$A$1")
    wb.close()


@contextmanager
def _quiet():
    """XlsxWriter's own warning is beside the point: the return value is what is checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- long and wide tables, with Excel's limits lowered -------------------------------------------
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
LONG = ("Responses", "Evidence", "Action plan", "Summary and key actions")  # lga-cbo names its record so
HEADER = 3  # zero-based row of every table's header


def _ingest(out: Path, csv: Path | None = None):
    report = ingest_returns([str(SAMPLES / "returns")], IngestOptions(manifest=str(SAMPLES / "manifest.csv"),
                                                                      out=out, csv=csv))
    assert report.exit_code in (0, 1), report.render()
    return report


def _sheets(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _body(rows: list[list]) -> list[list]:
    return [row for row in rows[HEADER + 1:] if any(v not in ("", None) for v in row)]


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The sample exercise compiled at Excel's real limits: every table on one sheet."""
    out = tmp_path_factory.mktemp("whole") / "whole.xlsx"
    _ingest(out)
    return _sheets(out)


def test_a_long_table_continues_on_further_sheets_with_nothing_lost(tmp_path, monkeypatch, whole):
    responses = len(_body(whole["Responses"]))
    per_sheet = responses // 3 + 1  # Responses needs 3 sheets; the shorter tables 1 or 2
    monkeypatch.setattr(limits, "SHEET_ROWS", per_sheet + HEADER + 1)
    out = tmp_path / "split.xlsx"
    report = _ingest(out)
    assert not [f for f in report.findings if f.code == "table-kept-out"]
    split = _sheets(out)
    assert ["Responses", "Responses (2)", "Responses (3)"] == [n for n in split if n.startswith("Responses")]
    for name in LONG:
        parts = [n for n in split if n == name or n.startswith(f"{name} (")]
        assert parts == [name] + [f"{name} ({k})" for k in range(2, len(parts) + 1)]
        rows = []
        for part in parts:
            assert split[part][HEADER] == whole[name][HEADER], f"{part} repeats the header row"
            assert len(split[part]) <= limits.SHEET_ROWS
            rows += _body(split[part])
        assert rows == _body(whole[name]), f"{name}: every row, in order, with the same values"
    contents = " ".join(str(v) for row in split["Contents"] for v in row)
    assert "Split across 3 sheets" in contents and "Responses (3)" in contents
    notes = {row[0]: row[1] for row in _body(split["Notes"])}
    assert "'Responses (2)', 'Responses (3)'" in notes["Responses: split"]


def test_a_table_too_long_to_hold_is_kept_out_as_csv_with_a_note_and_a_finding(tmp_path, monkeypatch, whole):
    responses = len(_body(whole["Responses"]))
    monkeypatch.setattr(limits, "SHEET_ROWS", responses // 3 + HEADER + 2)
    monkeypatch.setattr(limits, "MOST_PARTS", 2)  # Responses needs 3: kept out; the others fit in 2
    out = tmp_path / "kept.xlsx"
    report = _ingest(out)
    beside = tmp_path / "kept - Responses.csv"
    assert report.csv == beside and beside.exists()
    kept = [f for f in report.findings if f.code == "table-kept-out"]
    assert len(kept) == 1 and "Responses" in kept[0].message and beside.name in kept[0].message
    assert kept[0].severity == "warning"
    book = _sheets(out)
    assert not any(n.startswith("Responses (") for n in book)
    assert beside.name in " ".join(str(v) for row in book["Responses"] for v in row)
    assert any(beside.name in str(row[1]) for row in _body(book["Contents"]) if row[0] == "Responses")
    assert any("Responses: kept out" == row[0] and beside.name in row[1] for row in _body(book["Notes"]))
    with open(beside, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert len(table) - 1 == responses
    shown = [[_as_csv(v) for v in row] for row in _body(whole["Responses"])]
    assert [row for row in table[1:]] == shown  # the same values, row for row


def test_a_table_kept_out_goes_to_the_csv_asked_for(tmp_path, monkeypatch, whole):
    monkeypatch.setattr(limits, "SHEET_ROWS", len(_body(whole["Responses"])) // 3 + HEADER + 2)
    monkeypatch.setattr(limits, "MOST_PARTS", 2)
    out, asked = tmp_path / "kept.xlsx", tmp_path / "answers.csv"
    report = _ingest(out, csv=asked)
    assert report.csv == asked and asked.exists() and not (tmp_path / "kept - Responses.csv").exists()
    assert asked.name in " ".join(str(v) for row in _sheets(out)["Responses"] for v in row)


def test_a_wide_table_continues_on_further_sheets(tmp_path, monkeypatch, whole):
    header = whole["Ratings"][HEADER]
    partners = header[3:header.index("Mean")]
    fixed = len(header) - len(partners)
    monkeypatch.setattr(limits, "SHEET_COLUMNS", fixed + 3)  # three partners a sheet
    out = tmp_path / "wide.xlsx"
    _ingest(out)
    book = _sheets(out)
    parts = [n for n in book if n == "Ratings" or n.startswith("Ratings (")]
    assert len(parts) == -(-len(partners) // 3)
    seen = []
    for part in parts:
        rows = book[part]
        assert len(rows[HEADER]) <= limits.SHEET_COLUMNS
        head = rows[HEADER]
        names = head[3:head.index("Mean")]
        seen += names
        for name in names:  # each partner's column, value for value
            column = whole["Ratings"][HEADER].index(name)
            assert [r[head.index(name)] for r in _body(rows)] == [r[column] for r in _body(whole["Ratings"])]
        assert [r[:3] for r in _body(rows)] == [r[:3] for r in _body(whole["Ratings"])]
    assert seen == partners


def _as_csv(value) -> str:
    """A value read from the workbook as the CSV writes it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@pytest.mark.parametrize("formula", ['"Met"', '="Partly met"', "{=1}", "=A1", '"Sort it out"', "=_xlfn.X", "3",
                                     '"SORT(x"', "=SUM(A1:A3)", "=FILTER(A1:A3,A1:A3>1)"])
def test_formulas_are_prepared_exactly_as_xlsxwriter_does(tmp_path, formula):
    from xlsxwriter.worksheet import Worksheet

    ws = TextWorkbook(str(tmp_path / "x.xlsx")).add_worksheet()
    for expand in (False, True):
        assert ws._prepare_formula(formula, expand) == Worksheet._prepare_formula(ws, formula, expand)
