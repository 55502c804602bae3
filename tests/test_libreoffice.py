"""Real spreadsheet programs: returns filled in LibreOffice are read back exactly.

A respondent may fill their workbook in LibreOffice Calc rather than Excel. These tests
drive a real LibreOffice: tests/lo_uno_fill.py (run with the system Python that has the
UNO bridge) types answers into the cells through Calc's own input handling, picks ratings
from the dropdowns, tries to type over locked statements, pastes values that bypass
validation, and saves as .xlsx and .ods; `soffice --convert-to` round-trips a workbook
filled with openpyxl. Every result is ingested and compared with what was typed.

LibreOffice runs with the en-GB locale, as a council officer's would. Without soffice or
a Python that can import uno the tests are skipped, with the reason; under CI=true they
fail instead, since CI must run them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import UNO_PYTHON, clean_env, libreoffice_or_skip
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.samples.filling import fill_workbook, realistic_answers
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.layout import AnswerCell
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent

pytestmark = pytest.mark.libreoffice

HELPER = Path(__file__).resolve().parent / "lo_uno_fill.py"
FRAMEWORK = "swia-commissioning"
ROUND = "2026 Q4"
TYPIST, CHECKER, CONVERTED = "Adult Social Care", "Housing", "Health"
HELPER_SECONDS = 240


# -- LibreOffice -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def soffice() -> str:
    return libreoffice_or_skip(uno=False)


@pytest.fixture(scope="module")
def uno_soffice(soffice) -> str:
    """soffice, and a Python that can drive it through UNO."""
    return libreoffice_or_skip()


def lo_fill(soffice: str, source: Path, plan: dict, out_base: Path) -> dict:
    """Run tests/lo_uno_fill.py on `source` and return its report; fail on any error."""
    plan_path = out_base.parent / f"{out_base.name}.plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    run = subprocess.run([UNO_PYTHON, str(HELPER), "--soffice", soffice, str(source), str(plan_path), str(out_base)],
                         capture_output=True, text=True, timeout=HELPER_SECONDS + 30, env=clean_env())
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"lo_uno_fill.py printed no report (exit {run.returncode}):\n{run.stdout[-2000:]}\n"
                    f"{run.stderr[-2000:]}")
    assert "error" not in report, report["error"]
    problems = [c for c in report["cells"] if "error" in c]
    assert not problems, problems
    assert run.returncode == 0, run.stderr[-2000:]
    return report


def convert(soffice: str, source: Path, fmt: str, out_dir: Path, profile: Path) -> Path:
    """`soffice --headless --convert-to` with its own profile; the converted file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    temp = profile.parent / "tmp"
    temp.mkdir(exist_ok=True)
    target = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods:calc8"}[fmt]
    converted = out_dir / f"{source.stem}.{fmt}"
    output = ""
    for _ in range(2):  # a fresh profile's first start occasionally converts nothing; once more then
        proc = subprocess.Popen([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                                 "--convert-to", target, "--outdir", str(out_dir), str(source)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=clean_env(TMPDIR=str(temp)), start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=HELPER_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"soffice --convert-to {fmt} took over {HELPER_SECONDS} s")
        if proc.returncode == 0 and converted.exists():
            return converted
    pytest.fail(f"soffice --convert-to {fmt} made nothing (exit {proc.returncode}): {output[-1000:]}")


# -- sheetkit ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def layout():
    return plan_workbook(get_framework(FRAMEWORK))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("built")
    result = build_workbooks(get_framework(FRAMEWORK), [Respondent(n, "Anytown Council") for n in
                                                         (TYPIST, CHECKER, CONVERTED)],
                             BuildOptions(out_dir=out, round=ROUND, password="secret", records=out))
    return {f.respondent.name: f.workbook for f in result.files}


def ingest(path: Path, out: Path):
    """Ingest one return on its own; (report, Responses rows as dicts keyed by (sheet, cell))."""
    report = ingest_returns([str(path)], IngestOptions(out=out))
    assert [r.status for r in report.returns] == ["accepted"], [(r.status, r.reason) for r in report.returns]
    return report, responses(out)


def responses(consolidated: Path) -> dict[tuple[str, str], dict]:
    sheet = openpyxl.load_workbook(consolidated, read_only=True)["Responses"]
    rows = sheet.iter_rows(values_only=True)
    for _ in range(3):  # the title, its note and a blank row come before the table's header
        next(rows)
    header = next(rows)
    found = {}
    for values in rows:
        row = dict(zip(header, values))
        if row.get("respondent") is None:
            continue
        found[(row["sheet"], row["cell"])] = row
    return found


def formulas(consolidated: Path) -> list[str]:
    """Every formula cell in a workbook, as 'Sheet!A1'."""
    workbook = openpyxl.load_workbook(consolidated)
    return [f"{ws.title}!{cell.coordinate}" for ws in workbook.worksheets for row in ws.iter_rows()
            for cell in row if cell.data_type == "f"]


def errors(report) -> list[tuple[str, str, str]]:
    return [(f.code, f.sheet, f.cell) for f in report.findings if f.is_error]


def cell_of(layout, key: str) -> AnswerCell:
    return next(a for a in layout.answers if a.key == key)


def entry(cell: AnswerCell, text: str, how: str = "type") -> dict:
    return {"sheet": cell.sheet, "cell": cell.cell, "text": text, "how": how}


# -- a. typing a return in LibreOffice -------------------------------------------------------------
TEXTS = {  # what a respondent types into text cells; nothing here is changed by AutoCorrect
    "item/1a/current_practice": "+44 20 7946 0000",
    "item/1a/strengths": "@risk",
    "item/1a/improvements": "http://example.org",
    "item/2a/current_practice": "Joint strategic needs assessment refreshed in 2026",
    "item/3a/current_practice": "Market position statement published in May",
    "section/1/rationale": "Providers engaged through quarterly forums",
    "action/1/action": "Publish a joint market position statement",
    "action/1/owner": "Head of Commissioning",
    "action/1/resources": "Existing team",
    "action/1/measure": "Quarterly report to the board",
}


@pytest.fixture(scope="module")
def typed(uno_soffice, built, layout, tmp_path_factory):
    """The typist's return, filled in LibreOffice and saved as .xlsx and .ods, then ingested."""
    fw = layout.framework
    work = tmp_path_factory.mktemp("typed")
    plan: dict = {"locale": "en-GB", "cells": [], "locked": []}
    expected: dict[tuple[str, str], object] = {}
    for key, text in TEXTS.items():
        cell = cell_of(layout, key)
        plan["cells"].append(entry(cell, text))
        expected[(cell.sheet, cell.cell)] = text
    ratings = [a for a in layout.answers if a.field.type == "rating"]
    for n, cell in enumerate(ratings[::3]):  # ratings are picked from the dropdown, as the Start sheet says
        level = fw.scale(cell.field.scale).levels[n % len(fw.scale(cell.field.scale).levels)]
        plan["cells"].append(entry(cell, level.choice, "pick"))
        expected[(cell.sheet, cell.cell)] = level.value
    criterion = next(c for c in layout.criterion_choices() if c.startswith("1b "))  # as the dropdown shows it
    for key, text, value in (("action/1/criterion", criterion, "1b"), ("action/1/priority", "High", "High"),
                             ("action/1/status", "In progress", "In progress")):
        cell = cell_of(layout, key)
        plan["cells"].append(entry(cell, text, "pick"))
        expected[(cell.sheet, cell.cell)] = value
    due = cell_of(layout, "action/1/due")
    plan["cells"].append(entry(due, "31/12/2026"))
    expected[(due.sheet, due.cell)] = dt.datetime(2026, 12, 31)
    formula = cell_of(layout, "item/2a/strengths")  # typed '=' in a General cell makes a formula
    plan["cells"].append(entry(formula, "=1+1"))
    pasted = cell_of(layout, "item/2a/improvements")  # pasted as text: stays text, never a formula
    plan["cells"].append(entry(pasted, "=1+1", "paste"))
    expected[(pasted.sheet, pasted.cell)] = "=1+1"
    statements = [t for t in layout.texts if t.what.startswith("statement")]
    locked = [statements[0], statements[-1]]
    plan["locked"] = [{"sheet": t.sheet, "cell": t.cell} for t in locked]
    report = lo_fill(uno_soffice, built[TYPIST], plan, work / "typed")
    typed_formula = next(c for c in report["cells"] if c["cell"] == formula.cell and c["sheet"] == formula.sheet)
    # The respondent's sheet holds a formula showing 2 (ingest reads the shown value), or, in a
    # cell formatted as Text, the text itself.
    expected[(formula.sheet, formula.cell)] = "2" if typed_formula["after"]["type"] == "FORMULA" else "=1+1"
    ingested = {fmt: ingest(Path(report["outputs"][fmt]), work / f"consolidated-{fmt}.xlsx")
                for fmt in ("xlsx", "ods")}
    return {"plan": plan, "report": report, "expected": expected, "locked": locked, "ingested": ingested,
            "work": work}


def test_libreoffice_takes_the_typing_as_a_person_would(typed):
    report = typed["report"]
    assert report["locale_setting"] == "en-GB"
    by_cell = {(c["sheet"], c["cell"]): c for c in report["cells"]}
    for (sheet, cell), want in typed["expected"].items():
        got = by_cell[(sheet, cell)]
        assert got["changed"], got
        if isinstance(want, str) and got["text"] == want:
            assert got["after"]["string"] == want, got  # no AutoCorrect or AutoInput surprise
    due = next(c for c in report["cells"] if c["text"] == "31/12/2026")
    assert due["after"]["type"] == "VALUE"  # a real date under en-GB
    formula = next(c for c in report["cells"] if c["text"] == "=1+1" and c["how"] == "type")
    assert formula["after"]["type"] in ("FORMULA", "TEXT")
    pasted = next(c for c in report["cells"] if c["text"] == "=1+1" and c["how"] == "paste")
    assert pasted["after"]["type"] == "TEXT"


def test_locked_statements_refuse_typing(typed):
    report = typed["report"]
    assert len(report["locked"]) == len(typed["locked"])
    for attempt, text in zip(report["locked"], typed["locked"]):
        assert attempt["sheet_protected"] and attempt["cell_locked"], attempt
        assert attempt["refused"], attempt
        assert attempt["after"]["string"] == text.text
    assert report["refused"] == [{"sheet": t.sheet, "cell": t.cell} for t in typed["locked"]]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_typed_return_is_ingested_exactly(typed, fmt):
    report, rows = typed["ingested"][fmt]
    (ret,) = report.returns
    assert ret.kind == fmt
    assert ret.respondent == TYPIST
    assert errors(report) == []  # in particular no statement-changed: LibreOffice keeps the wording
    for (sheet, cell), want in typed["expected"].items():
        row = rows.get((sheet, cell))
        assert row is not None, f"{sheet}!{cell} ({want!r}) is missing from Responses"
        assert row["respondent"] == TYPIST
        assert row["value"] == want, (sheet, cell, row)
        assert row["status"] == "ok", row
    assert len(rows) == len(typed["expected"])
    assert formulas(typed["work"] / f"consolidated-{fmt}.xlsx") == []


# -- b. soffice --convert-to round trip ---------------------------------------------------------
def _comparable(rows: dict) -> dict:
    return {where: {k: v for k, v in row.items() if k != "file"} for where, row in rows.items()}


def test_convert_to_xlsx_and_ods_keeps_every_answer(soffice, built, layout, tmp_path):
    answers = realistic_answers(layout, random.Random(20261231))
    original = tmp_path / "filled" / built[CONVERTED].name
    original.parent.mkdir()
    fill_workbook(built[CONVERTED], original, answers)
    profile = tmp_path / "profile"
    files = {"openpyxl": original,
             "xlsx": convert(soffice, original, "xlsx", tmp_path / "xlsx", profile),
             "ods": convert(soffice, original, "ods", tmp_path / "ods", profile)}
    results = {name: ingest(path, tmp_path / f"consolidated-{name}.xlsx") for name, path in files.items()}
    base_report, base_rows = results["openpyxl"]
    assert len(base_rows) == len(answers)
    for name in ("xlsx", "ods"):
        report, rows = results[name]
        assert report.returns[0].kind == name
        assert _comparable(rows) == _comparable(base_rows), name
        assert sorted((f.code, f.sheet, f.cell) for f in report.findings) == \
            sorted((f.code, f.sheet, f.cell) for f in base_report.findings), name
    dates = [row["value"] for row in base_rows.values() if row["field"] == "due"]
    assert dates and all(isinstance(d, dt.datetime) for d in dates)


# -- c, d. dates under en-GB, and values pasted past the dropdowns -------------------------------
DUE_DATES = [  # (how, text, what ingest makes of it)
    ("type", "31/12/2026", dt.datetime(2026, 12, 31)),
    ("type", "2026-12-31", dt.datetime(2026, 12, 31)),
    ("type", "1/2/2026", dt.datetime(2026, 2, 1)),  # en-GB: 1 February, a real date in LibreOffice
    ("paste", "1/2/2026", "date-ambiguous"),  # text, bypassing the date validation
    ("paste", "n/a", "date-invalid"),
    ("type", "n/a", "refused-or-date-invalid"),  # the date validation refuses typing
]
RATINGS = [  # (item, how, text, what ingest makes of it)
    ("1a", "paste", "Good", "rating-out-of-scale"),
    ("1b", "paste", "4.5", "rating-out-of-scale"),
    ("1c", "value", "4.5", "rating-out-of-scale"),  # a pasted number
    ("1d", "type", "Good", "refused-or-rating-out-of-scale"),  # the dropdown's validation refuses typing
    ("1e", "type", "4 - Good", "refused-or-4"),  # AutoCorrect makes ' - ' an en dash: refused as not listed
]


AS_TYPED = {  # evidence a respondent types that a General-format cell turns into a number, time or boolean
    "item/2a/current_practice": "50%",
    "item/2a/strengths": "£1,000",
    "item/2a/improvements": "007",
    "item/2b/current_practice": "TRUE",
    "item/2b/strengths": "12:30",
    "item/2b/improvements": "1,500",
}


@pytest.fixture(scope="module")
def checked(uno_soffice, built, layout, tmp_path_factory):
    work = tmp_path_factory.mktemp("checked")
    dues = [cell_of(layout, f"action/{n}/due") for n in range(1, len(DUE_DATES) + 1)]
    ratings = [cell_of(layout, f"item/{item}/rating") for item, *_ in RATINGS]
    plan = {"locale": "en-GB",
            "cells": [entry(cell, text, how) for cell, (how, text, _) in zip(dues, DUE_DATES)]
            + [entry(cell, text, how) for cell, (_, how, text, _) in zip(ratings, RATINGS)]
            + [entry(cell_of(layout, key), text) for key, text in AS_TYPED.items()]}
    report = lo_fill(uno_soffice, built[CHECKER], plan, work / "checked")
    ingested = {fmt: ingest(Path(report["outputs"][fmt]), work / f"consolidated-{fmt}.xlsx")
                for fmt in ("xlsx", "ods")}
    return {"report": report, "dues": dues, "ratings": ratings, "ingested": ingested}


def _findings_at(report, sheet: str, cell: str) -> list[str]:
    return [f.code for f in report.findings if f.sheet == sheet and f.cell == cell]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_due_dates_typed_under_en_gb(checked, fmt):
    report, rows = checked["ingested"][fmt]
    typed = {(c["sheet"], c["cell"]): c for c in checked["report"]["cells"]}
    for cell, (how, text, want) in zip(checked["dues"], DUE_DATES):
        where = (cell.sheet, cell.cell)
        codes = _findings_at(report, *where)
        row = rows.get(where)
        assert cell.sheet == SHEET_ACTIONS
        if isinstance(want, dt.datetime):
            assert typed[where]["after"]["type"] == "VALUE", typed[where]
            assert row is not None and row["value"] == want and row["status"] == "ok", (text, row)
            assert codes == [], codes
        elif want == "refused-or-date-invalid":
            if typed[where]["changed"]:
                assert codes == ["date-invalid"] and row["status"] == "flagged"
            else:
                assert row is None and codes == []
        else:
            assert codes == [want], (text, codes)
            assert row["value"] == text and row["status"] == "flagged"


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_ratings_pasted_past_the_dropdown_are_caught(checked, layout, fmt):
    report, rows = checked["ingested"][fmt]
    typed = {(c["sheet"], c["cell"]): c for c in checked["report"]["cells"]}
    for cell, (_, how, text, want) in zip(checked["ratings"], RATINGS):
        where = (cell.sheet, cell.cell)
        codes = [c for c in _findings_at(report, *where) if c != "rating-without-evidence"]
        row = rows.get(where)
        if want == "rating-out-of-scale":
            assert typed[where]["changed"], typed[where]
            assert codes == ["rating-out-of-scale"], (text, codes)
            assert row["status"] == "flagged" and row["value"] == text
            finding = next(f for f in report.findings if f.code == "rating-out-of-scale" and f.cell == cell.cell)
            assert finding.sheet == cell.sheet and text in finding.message
        elif not typed[where]["changed"]:  # refused by LibreOffice: the cell stayed blank
            assert row is None and codes == ["rating-missing"], codes
        elif want == "refused-or-4":
            assert row["value"] == 4 and row["status"] == "ok" and codes == []
        else:
            assert codes == ["rating-out-of-scale"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_evidence_is_kept_as_typed(checked, layout, fmt):
    _, rows = checked["ingested"][fmt]
    for key, text in AS_TYPED.items():
        cell = cell_of(layout, key)
        assert rows[(cell.sheet, cell.cell)]["value"] == text
