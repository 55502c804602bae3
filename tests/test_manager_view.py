"""What a manager reads in the consolidated workbook is true, counted one way, in plain words, with charts.

The bundled sample exercise (a first round and its next round) is read back as a person would,
and every figure the Dashboard states is worked out again here, independently, from the
Responses tables of both rounds and the sample's replies; the charts are checked in the file
itself, each against the table beside it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import statistics
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import dashboard_brief, opened
from replies import revisions_in
from sheetkit.consolidate import Action, build_plan, near_identical
from sheetkit.consolidate.actions import action_key
from sheetkit.framework.library import get_framework

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
FIRST, NEXT = SAMPLES / "consolidated.xlsx", SAMPLES / "next-round" / "consolidated.xlsx"
LAST, THIS = "2026 Q4", "2027 Q4"
FW = get_framework("lga-cbo")
ITEMS = [item.id for _, item in FW.items()]
TREND_SHEETS = ("Trend", "Trend by partner", "Actions followed up")


def _rows(path: Path, sheet: str) -> list[dict]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(grid[3], r)) for r in grid[4:]]


def _signed(value: float) -> str:
    text = f"{abs(value):.1f}"
    return "0.0" if text == "0.0" else ("+" if value > 0 else "\u2212") + text


def _ratings(path: Path, renames: dict[str, str] = {}, revised: dict[tuple[str, str], int] = {}
             ) -> dict[str, dict[str, float]]:
    """Each partner's counted standard ratings, from a workbook's Responses table (this round's names), with
    those `revised` after the feedback in place of the self-assessed ones."""
    out: dict[str, dict[str, float]] = {}
    for r in _rows(path, "Responses"):
        if r["field"] == "rating" and r["item"] and not r["statement"] and r["status"] == "ok":
            value = revised.get((r["respondent"], r["item"]), r["value"])
            out.setdefault(renames.get(r["respondent"], r["respondent"]), {})[r["item"]] = float(value)
    return out


# -- the trend, claim by claim --------------------------------------------------------------
def test_every_trend_claim_on_the_dashboard_is_worked_out_again_from_both_rounds():
    with open(SAMPLES / "next-round" / "renames.csv", newline="", encoding="utf-8") as handle:
        renames = {r["previous"]: r["current"] for r in csv.DictReader(handle)}
    # Last round counts as it was settled after its feedback: the ratings partners revised in their replies.
    then, now = _ratings(FIRST, renames, revisions_in(SAMPLES / "replies")), _ratings(NEXT)
    both = [p for p in now if p in then and set(now[p]) & set(then[p])]
    # Like for like: each partner's average over the standards they rated both times, then the partners' average.
    mine = {p: [i for i in ITEMS if i in then[p] and i in now[p]] for p in both}
    then_avg = statistics.fmean(statistics.fmean(then[p][i] for i in mine[p]) for p in both)
    now_avg = statistics.fmean(statistics.fmean(now[p][i] for i in mine[p]) for p in both)
    change = {i: statistics.fmean(now[p][i] - then[p][i] for p in both if i in then[p] and i in now[p])
              for i in ITEMS}
    up = max((i for i in ITEMS if round(change[i], 1) > 0), key=lambda i: change[i])
    down = min((i for i in ITEMS if round(change[i], 1) < 0), key=lambda i: change[i])
    raw_then = statistics.fmean(v for r in then.values() for v in r.values())
    raw_now = statistics.fmean(v for r in now.values() for v in r.values())
    left = sorted(set(then) - set(now))
    joined = sorted(set(now) - set(then))
    line = dashboard_brief(NEXT)[f"Since {LAST}"]
    assert line.startswith(
        f"Like for like (the {len(both)} partners who rated in both rounds): overall {then_avg:.1f} → {now_avg:.1f} "
        f"({_signed(now_avg - then_avg)}); most improved Standard {up} ({_signed(change[up])}); fell most Standard "
        f"{down} ({_signed(change[down])}).")
    names = lambda n: n[0] if len(n) == 1 else ", ".join(n[:-1]) + " and " + n[-1]
    assert (f"{names(left)} did not return this round; {names(joined)} are new, so the average of all ratings "
            f"moved {raw_then:.1f} → {raw_now:.1f} ({_signed(raw_now - raw_then)}).") in line
    # The Trend sheet's own like-for-like columns say the same.
    trend = {r["Ref"] or r["Item"]: r for r in _rows(NEXT, "Trend")}
    assert trend["All standards"]["Same partners' change"] == pytest.approx(now_avg - then_avg, abs=0.05 + 1e-9)
    for item in ITEMS:
        assert trend[item]["Same partners' change"] == pytest.approx(change[item], abs=0.05 + 1e-9)


def test_every_action_last_round_listed_is_followed_up_wherever_it_was_written():
    last = [r for r in _rows(FIRST, "All actions")]
    followed = _rows(NEXT, "Actions followed up")
    assert len(followed) == len(last)
    written = {r["Written"] for r in followed}
    assert {f"Standard {i}" for i in ITEMS} <= written and any(w.startswith("Action plan row") for w in written)
    line = dashboard_brief(NEXT)[f"Since {LAST}"]
    assert f"Last round's {len(last)} actions:" in line
    # Each returning partner's workbook carried its open actions, from the plan and from each standard.
    carried = set()
    for path in (SAMPLES / "next-round" / "returns").glob("*.xlsx"):
        ws = opened(path, read_only=True)["Action plan"]
        rows = list(ws.iter_rows(values_only=True))
        header = next(n for n, r in enumerate(rows) if r and r[0] == "#")
        if "From last round" in rows[header]:  # a partner new this round has nothing to follow up
            col = rows[header].index("From last round")
            carried |= {r[col] for r in rows[header + 1:] if r and r[col]}
    assert any(re.fullmatch(rf"{LAST} Standard \d+", c) for c in carried)
    assert any(re.fullmatch(rf"{LAST} #\d+", c) for c in carried)
    reported = [r for r in followed if r["Row this round"]]
    assert reported and all(r["Status now"] for r in reported if r["Why not reported"] in (None, ""))


# -- one count of actions -------------------------------------------------------------------
@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_actions_are_counted_the_same_way_on_every_sheet(path):
    every = _rows(path, "All actions")
    plan = _rows(path, "Action plan")
    partners = {r["Partner"] for r in every}
    distinct = {action_key(r["Action"]) for r in every}
    said = f"{len(every)} actions from {len(partners)} partners, {len(plan)} different"
    assert dashboard_brief(path)["Actions"].startswith(said)
    assert said in CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Action plan").to_python()[1][0]
    assert sum(r["Total"] for r in _rows(path, "Action counts")) == len(every)
    ratings = [r for r in _rows(path, "Ratings") if r["Ref"]]
    assert sum(r["Actions"] or 0 for r in ratings) == sum(1 for r in every if r["Ref"] in ITEMS)
    assert sum(r["Partners"] for r in plan) >= len(plan) and len(plan) <= len(distinct)
    # Every action as written is in exactly one entry of the plan, with its partner among who proposed it.
    for r in every:
        entries = [p for p in plan if action_key(p["Action"]) == action_key(r["Action"])
                   or near_identical(action_key(p["Action"]), action_key(r["Action"]))]
        assert len(entries) == 1 and r["Partner"] in entries[0]["Proposed by"], r["Action"]


def test_a_plan_groups_identical_and_near_identical_actions_with_who_proposed_them():
    def act(text, item="1", owner="", due=None, priority=""):
        return Action("1", item, {"action": text, "owner": owner, "due": due, "priority": priority})

    proposals = [
        ("Housing", act("Agree shared outcome measures with the ICB", "3", "Head", dt.date(2027, 3, 1), "Low")),
        ("Health", act("agree shared outcome measures  with the ICB.", "5", "Lead", dt.date(2027, 2, 1), "High")),
        ("Forum", act("Agree shared outcome measurs with the ICB", "3", "Head")),  # a slip of the keyboard
        ("Forum", act("Agree shared outcome measures with ICB", "1")),  # a small word left out
        ("Carers", act("Train staff")),
        ("Carers", act("Train stuff")),  # short texts must match word for word
        ("Housing", act("Review fee levels against the cost of care")),
        ("Health", act("Review fee levels against the cost of living")),
    ]
    plan = build_plan(proposals, {i: n for n, i in enumerate(ITEMS)}, {"Housing": 0, "Health": 1, "Forum": 2,
                                                                      "Carers": 3})
    by_text = {e.text: e for e in plan}
    assert len(plan) == 5
    shared = by_text["Agree shared outcome measures with the ICB"]
    assert (shared.proposals, shared.partners, shared.items) == (4, ["Housing", "Health", "Forum"], ["1", "3", "5"])
    assert (shared.priority, shared.due, shared.owner_text()) == ("High", dt.date(2027, 2, 1), "Head (2); Lead")
    assert {"Train staff", "Train stuff", "Review fee levels against the cost of care",
            "Review fee levels against the cost of living"} <= set(by_text)


# -- words, pictures and what prints ----------------------------------------------------------
def _texts(path: Path):
    book = CalamineWorkbook.from_path(str(path))
    for sheet in book.sheet_names:
        if sheet.startswith("_"):
            continue
        for row in book.get_sheet_by_name(sheet).to_python():
            yield sheet, row


@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_no_sheet_names_a_command_or_an_option_but_the_notes_line_on_how_it_was_made(path):
    flag = re.compile(r"(^|[\s(])--[a-z]|\bsheetkit (build|ingest|validate|chase|samples)\b|\bingest --")
    for sheet, row in _texts(path):
        for value in row:
            if isinstance(value, str) and flag.search(value):
                assert sheet == "Notes" and row[0] == "How this was made", (sheet, value)
    notes = {r["Term"]: r["What it means here"] for r in _rows(path, "Notes")}
    assert notes["How this was made"].startswith("sheetkit ") and "sheetkit ingest" in notes["How this was made"]


@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_counts_agree_with_their_nouns(path):
    wrong = re.compile(r"(?<![\d.,])1 (partners|actions|files|returns|lines|standards|ratings|items)\b"
                       r"|(?<![\d.,])(?:[02-9]|\d{2,}) (partner|action|file|return|line|standard|rating)\b(?! (?:of|is|was))")
    for sheet, row in _texts(path):
        for value in row:
            if isinstance(value, str) and sheet not in ("Responses", "Evidence", "All actions"):
                assert not wrong.search(value), (sheet, value)


def test_a_first_round_workbook_has_no_trend_sheets_and_the_next_round_has_them():
    first = CalamineWorkbook.from_path(str(FIRST)).sheet_names
    assert not set(TREND_SHEETS) & set(first)
    assert not any("not compared with last round" in str(v) for _, row in _texts(FIRST) for v in row)
    assert set(TREND_SHEETS) <= set(CalamineWorkbook.from_path(str(NEXT)).sheet_names)


@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_the_cover_names_a_contact(path):
    cover = {r["About"]: r["Detail"] for r in _rows(path, "Cover")}
    assert cover["Contact"] == "Priya Shah, Commissioning team, commissioning@anytown.gov.uk"


@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_nothing_is_merged_and_the_dashboard_stores_its_zoom(path):
    wb = opened(path)
    assert all(not ws.merged_cells.ranges for ws in wb.worksheets)
    assert 70 <= (wb["Dashboard"].sheet_view.zoomScale or 100) <= 100


@pytest.mark.parametrize("path", [FIRST, NEXT], ids=["first round", "next round"])
def test_returns_rows_are_tall_enough_for_their_wrapped_text(path):
    ws = opened(path)["Returns"]
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEFGHIJKLMN"}
    for row in ws.iter_rows(min_row=5, max_col=14):
        lines = max(-(-len(str(c.value)) // max(1, int(widths[c.column_letter] * 0.95))) if isinstance(c.value, str)
                    else 1 for c in row)
        assert (ws.row_dimensions[row[0].row].height or 15) >= lines * 12, [c.value for c in row]


# -- the charts ---------------------------------------------------------------------------------
def _charts(path: Path) -> dict[str, list[dict]]:
    """Each sheet's charts as the file holds them: title, alternative text, the cell ranges they draw."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheets = dict(re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', workbook))
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
        out: dict[str, list[dict]] = {}
        for sheet, rid in sheets.items():
            part = "xl/" + targets[rid]
            rel = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if rel not in names:
                continue
            drawing = re.search(r'Target="../drawings/(drawing\d+\.xml)"', z.read(rel).decode())
            if not drawing:
                continue
            xml = z.read(f"xl/drawings/{drawing[1]}").decode()
            drels = z.read(f"xl/drawings/_rels/{drawing[1]}.rels").decode()
            for descr, rid2 in re.findall(r'<xdr:cNvPr id="\d+" name="[^"]*" descr="([^"]*)"/>.*?r:id="(rId\d+)"', xml,
                                          re.S):
                chart = re.search(rf'Id="{rid2}"[^>]*Target="../charts/(chart\d+\.xml)"', drels)[1]
                cxml = z.read(f"xl/charts/{chart}").decode()
                title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", cxml.split("</c:title>")[0]))
                out.setdefault(sheet, []).append({"alt": descr, "title": title,
                                                  "refs": re.findall(r"<c:f>([^<]+)</c:f>", cxml)})
    return out


@pytest.mark.parametrize("path, wanted", [(FIRST, {"Dashboard", "Ratings", "Distribution"}),
                                          (NEXT, {"Dashboard", "Ratings", "Distribution", "Trend"})],
                         ids=["first round", "next round"])
def test_each_chart_states_its_finding_and_draws_the_table_beside_it(path, wanted):
    found = _charts(path)
    assert set(found) == wanted
    wb = opened(path)
    for sheet, charts in found.items():
        ws = wb[sheet]
        (table,) = ws.tables.values()
        low_col, low_row, high_col, high_row = openpyxl.utils.cell.range_boundaries(table.ref)
        for chart in charts:
            assert len(chart["title"]) > 20 and chart["title"] in chart["alt"], chart
            assert "Its numbers are" in chart["alt"] and chart["refs"]
            for ref in chart["refs"]:
                for part in ref.strip("()").split(","):
                    name, cells = part.rsplit("!", 1)
                    assert name.strip("'") == sheet, ref
                    c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(cells.replace("$", ""))
                    assert low_col <= c1 <= c2 <= high_col and low_row <= r1 <= r2 <= high_row, (sheet, ref)
    ratings = found["Ratings"][0]["title"]
    means = {r["Ref"]: r["Mean"] for r in _rows(path, "Ratings") if r["Ref"] and r["Mean"] is not None}
    top, bottom = max(means, key=means.get), min(means, key=means.get)
    assert ratings.startswith(f"Standard {top} is rated highest ({means[top]:.1f}) and Standard {bottom} lowest "
                              f"({means[bottom]:.1f})")
