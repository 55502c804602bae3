"""A partner replies to their feedback in a real LibreOffice, and the challenge-day pack is printed by it.

The reply is typed as a partner types it (tests/lo_uno_fill.py: picks from the dropdowns, keystrokes into the
text cells, a try at a locked cell), saved as .xlsx and as LibreOffice's own .ods, then changed as partners
change workbooks (tests/lo_uno_edit.py: rows sorted, a row inserted, a note typed beside the table, the titles' column
deleted). Every
typed value must be found on the Moderation sheet on its item's row; whatever has no place must be kept
with a finding. The pack is converted to PDF by LibreOffice and each contested item must take one page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import UNO_PYTHON, clean_env, libreoffice_or_skip
from fill_by_label import text_of
from replies import DECISION, EVIDENCE, PEOPLE, REPLY_SHEET, REVISED, WHY, column, feedback, ingest, \
    moderation_exercise, reply_fields, table

TESTS = Path(__file__).resolve().parent
RUN_SECONDS = 300
ALPHA = PEOPLE[0]
TYPED = {("1", DECISION): ("pick", "Revise"), ("1", REVISED): ("pick", "3 - Good"),
         ("1", WHY): ("type", "Our joint data set is now live\nand shared weekly"),
         ("1", EVIDENCE): ("type", "Board minutes, 4 March 2027"),
         ("2", DECISION): ("pick", "Keep"), ("2", WHY): ("type", "=Plans are not yet joint (not a formula)")}


@pytest.fixture(scope="module")
def soffice() -> str:
    return libreoffice_or_skip()


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    return moderation_exercise(tmp_path_factory.mktemp("moderation-lo"))


@pytest.fixture(autouse=True)
def frameworks(exercise, monkeypatch):
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(exercise / "my-frameworks"))


def _run(helper: str, source: Path, plan, out_base: Path, *extra: str) -> tuple[int, dict]:
    plan_path = out_base.parent / f"{out_base.name}.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    run = subprocess.run([UNO_PYTHON, str(TESTS / helper), *extra, str(source), str(plan_path), str(out_base)],
                         capture_output=True, text=True, timeout=RUN_SECONDS + 60, env=clean_env())
    try:
        return run.returncode, json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{helper} printed no report (exit {run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")


@pytest.fixture(scope="module")
def typed(exercise, soffice, tmp_path_factory):
    """Alpha's reply typed in LibreOffice by the labels the sheet shows; (report, the plan's cells by field)."""
    source = exercise / "feedback" / f"feedback_{ALPHA}.xlsx"
    cells = {(f.ref, column(f)): f.cell for f in reply_fields(source)}
    plan = {"locale": "en-GB", "cells": [{"sheet": REPLY_SHEET, "cell": cells[key], "text": text, "how": how}
                                         for key, (how, text) in TYPED.items()],
            "locked": [{"sheet": REPLY_SHEET, "cell": "B5"}]}
    out = tmp_path_factory.mktemp("typed")
    code, report = _run("lo_uno_fill.py", source, plan, out / "alpha reply", "--soffice", soffice)
    assert code == 0 and "error" not in report, report
    assert [r["refused"] for r in report["locked"]] == [True], "the item's caption is locked"
    return report, cells


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_reply_typed_in_libreoffice_is_compiled_where_it_was_typed(exercise, typed, fmt, tmp_path):
    report, cells = typed
    replies = tmp_path / "replies"
    replies.mkdir()
    shutil.copy(report["outputs"][fmt], replies / f"alpha reply.{fmt}")
    work = tmp_path / "work"
    shutil.copytree(exercise, work, ignore=shutil.ignore_patterns("first*"))
    result = ingest(work, "--replies", str(replies), "--feedback", str(work / "feedback"), code=(0,))
    assert "[reply-" not in result.output
    assert "[locked-cell-changed]" not in result.output  # what LibreOffice saved of the locked cells is what was written
    rows = {r["Ref"]: r for r in table(work / "c.xlsx", "Moderation") if r["Partner"] == ALPHA and r["Ref"]}
    shown = {DECISION: "Keep or revise", REVISED: "Revised rating", WHY: "Why", EVIDENCE: "Evidence added"}
    saved = {(c["sheet"], c["cell"]): c["after"]["string"] for c in report["cells"]}
    for (ref, question), (_, text) in TYPED.items():
        kept = saved[(REPLY_SHEET, cells[(ref, question)])]  # as LibreOffice saved it (AutoCorrect capitalises
        assert kept.casefold() == text.casefold()            # a line's first letter, as it does for a person)
        assert text_of(rows[ref][shown[question]]) == kept, (ref, question)
        assert f"!{cells[(ref, question)]}" in rows[ref]["Reply (file and cells)"]
    assert rows["1"]["Rating counted"] == 3 and rows["2"]["Rating counted"] == 1
    assert {r["Ref"]: r for r in table(work / "c.xlsx", "Ratings")}["1"][ALPHA] == 3
    sheet = openpyxl.load_workbook(work / "c.xlsx")["Moderation"]
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row), "typed text stays text"


def test_a_partner_s_edits_in_libreoffice_lose_nothing(exercise, typed, soffice, tmp_path):
    report, cells = typed
    source = Path(report["outputs"]["xlsx"])
    edits = {"password": "secret", "edits": [
        {"op": "sort_rows", "sheet": REPLY_SHEET, "rows": [5, 6], "by": "A", "descending": True},
        {"op": "insert_row", "sheet": REPLY_SHEET, "before": 6, "texts": {"H": "A ROW OF OUR OWN between the items"}},
        {"op": "type", "sheet": REPLY_SHEET, "cell": "K5", "text": "A NOTE BESIDE THE TABLE"},
        {"op": "delete_column", "sheet": REPLY_SHEET, "column": "B"}]}  # the items' titles: rows are found by Ref
    code, edited = _run("lo_uno_edit.py", source, edits, tmp_path / "alpha edited", "--soffice", soffice,
                        "--password", "secret", "--timeout", str(RUN_SECONDS))
    assert code == 0 and not edited["tracking_errors"], edited
    assert edited["edits"][0]["order"] == [6, 5], "the two rows changed places"
    replies = tmp_path / "replies"
    replies.mkdir()
    shutil.copy(edited["outputs"]["xlsx"], replies / "alpha edited.xlsx")
    work = tmp_path / "work"
    shutil.copytree(exercise, work, ignore=shutil.ignore_patterns("first*"))
    result = ingest(work, "--replies", str(replies), "--feedback", str(work / "feedback"), code=(0,))
    moderation = table(work / "c.xlsx", "Moderation")
    rows = {r["Ref"]: r for r in moderation if r["Partner"] == ALPHA and r["Ref"]}
    saved = {(c["sheet"], c["cell"]): c["after"]["string"] for c in report["cells"]}
    for (ref, question), _ in TYPED.items():  # each still on its own item's row, though the rows moved
        assert text_of(rows[ref][{DECISION: "Keep or revise", REVISED: "Revised rating", WHY: "Why",
                                  EVIDENCE: "Evidence added"}[question]]) == saved[(REPLY_SHEET, cells[(ref, question)])]
    assert f"[column-missing-text] alpha edited.xlsx, sheet '{REPLY_SHEET}'" in result.output
    outside = {r["Why"]: r["Reply (file and cells)"] for r in moderation if not r["Ref"]}
    for text in ("A ROW OF OUR OWN between the items", "A NOTE BESIDE THE TABLE"):
        assert text in outside, outside
        cell = outside[text].rsplit("!", 1)[1]
        assert f"[content-outside-layout] alpha edited.xlsx, sheet '{REPLY_SHEET}', cell {cell}" in result.output


def test_the_sample_pack_prints_one_page_per_item(soffice, tmp_path):
    pack = TESTS.parent / "samples" / "lga-cbo" / "challenge-day.xlsx"
    if not pack.is_file():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    sheets = openpyxl.load_workbook(pack, read_only=True).sheetnames
    profile = tmp_path / "profile"
    run = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(pack)],
                         capture_output=True, text=True, timeout=RUN_SECONDS, env=clean_env())
    pdf = tmp_path / "challenge-day.pdf"
    assert pdf.is_file(), run.stdout + run.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))
    assert pages == len(sheets), f"{len(sheets)} sheets ({', '.join(sheets)}) printed on {pages} pages"
    for number, name in enumerate(sheets[1:], start=2):  # each item's page has its title and the space to agree
        page = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, timeout=60).stdout
        assert name in page and "Agreed position" in page, (name, page[:300])


def test_the_lead_records_the_agreed_position_in_libreoffice(soffice, tmp_path):
    """The lead types the challenge day's outcome into the sample's Moderation sheet in LibreOffice and saves it;
    the next round's workbook shows it to the partner."""
    from click.testing import CliRunner

    from sheetkit.cli import cli

    sample = TESTS.parent / "samples" / "lga-cbo"
    if not (sample / "consolidated.xlsx").is_file():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    ws = openpyxl.load_workbook(sample / "consolidated.xlsx", read_only=True)["Moderation"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header = list(rows[0])
    at = next(n for n, row in enumerate(rows[1:], start=5)
              if row[header.index("Partner")] == "Voluntary Sector Forum" and row[header.index("key")] == "item/4/rating")
    letter = lambda name: chr(ord("A") + header.index(name))  # noqa: E731 (the table is narrower than 26 columns)
    plan = {"locale": "en-GB", "cells": [
        {"sheet": "Moderation", "cell": f"{letter('Agreed rating (you fill in)')}{at}", "text": "4"},
        {"sheet": "Moderation", "cell": f"{letter('Agreed position (you fill in)')}{at}",
         "text": "Coproduction happens on the big contracts only"}]}
    code, report = _run("lo_uno_fill.py", sample / "consolidated.xlsx", plan, tmp_path / "agreed", "--soffice", soffice)
    assert code == 0 and "error" not in report, report
    result = CliRunner().invoke(cli, ["build", "lga-cbo", "--respondent", "Voluntary Sector Forum", "--previous",
                                      report["outputs"]["xlsx"], "--round", "2027 Q4", "--deadline", "2099-11-30",
                                      "--out", str(tmp_path / "next")])
    assert result.exit_code == 0, result.output
    (built,) = (tmp_path / "next").glob("*.xlsx")
    shown = [(row[0], row[-1]) for ws in openpyxl.load_workbook(built).worksheets[2:4]
             for row in ws.iter_rows(min_row=5, values_only=True) if "agreed last round" in str(row[-1])]
    assert shown == [("4", "1; agreed last round: 4 (Coproduction happens on the big contracts only)")]
