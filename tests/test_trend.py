"""The trend between two rounds, computed by sheetkit.trend and, independently, here with pandas.

Both rounds are written inside the test as tidy tables (round, partner, item, rating), the way an
analyst would hold them; sheetkit is given the same answers as the objects it receives in use.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from conftest import build, dashboard_brief, fill, libreoffice_or_skip
from python_calamine import CalamineWorkbook

from sheetkit.cli import cli
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.framework.library import get_framework
from sheetkit.rounds.model import PreviousAction, PreviousRespondent, PreviousRound
from sheetkit.rounds.trend import NOT_REPORTED, compute_trend

if TYPE_CHECKING:
    import pandas as pd

FW = get_framework("lga-cbo")  # 12 standards in 4 domains, rated 1 to 10
ITEMS = [item.id for _, item in FW.items()]
SECTION_OF = {item.id: section.id for section, item in FW.items()}
TODAY = dt.date(2026, 11, 24)
LAST, THIS = "2025 Q4", "2026 Q4"
SHOWN = 0.05 + 1e-9  # changes are written to one decimal place, as shown (1.25 may become 1.2)
NOT_COMPARABLE = {"7": "its criteria were rewritten in this version"}
FLAGGED = ("Adult Social Care", "2")  # last round's rating typed as '4.5': kept as text, never counted


def _ratings(seed: int, names: list[str], skip: float = 0.1) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: a test process holds it only once it is used
    rng = random.Random(seed)
    rows = [(name, item, rng.randint(1, 10)) for name in names for item in ITEMS if rng.random() > skip]
    return pd.DataFrame(rows, columns=["partner", "item", "rating"])


@pytest.fixture(scope="module")
def rounds():
    """Last round: ASC, 'Housing Dept' (now 'Housing'), Old Forum (gone); this round adds Carers' Centre."""
    then = _ratings(1, ["Adult Social Care", "Housing Dept", "Old Forum"])
    now = _ratings(2, ["Adult Social Care", "Housing", "Carers' Centre"])
    return then, now


def _previous(then: pd.DataFrame, actions: dict[str, list[PreviousAction]]) -> PreviousRound:
    people = {}
    for name, group in then.groupby("partner", sort=False):
        answers: dict[str, object] = {f"item/{i}/rating": float(v) for i, v in zip(group["item"], group["rating"])}
        answers["item/1/how_doing"] = "Steady"  # text answers are not ratings
        people[name.casefold()] = PreviousRespondent(name, answers, actions.get(name, []))
    people[FLAGGED[0].casefold()].answers[f"item/{FLAGGED[1]}/rating"] = "4.5"
    return PreviousRound(Path("/last/consolidated.xlsx"), LAST, FW.id, FW.version, people,
                         not_comparable=dict(NOT_COMPARABLE), renames={"housing": "housing dept"})


def _current(now: pd.DataFrame) -> dict[str, dict[str, object]]:
    out = {}
    for name, group in now.groupby("partner", sort=False):
        out[name] = {f"item/{i}/rating": int(v) for i, v in zip(group["item"], group["rating"])}
    return out


def _act(number: int, due: dt.date | None, status: str = "Not started") -> PreviousAction:
    return PreviousAction.on_row(number, criterion="3.1", action=f"Action {number}", owner="Head of Commissioning", due=due, status=status, priority="High")


# -- the independent computation ---------------------------------------------------------------
def _tidy(then: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Both rounds in one table, last round's partners under this round's names, comparable items only."""
    import pandas as pd
    then = then[(then["partner"] != FLAGGED[0]) | (then["item"] != FLAGGED[1])]
    then = then.assign(round=LAST, partner=then["partner"].replace({"Housing Dept": "Housing"}))
    both = pd.concat([then, now.assign(round=THIS)])
    both = both[~both["item"].isin(NOT_COMPARABLE)]
    return both.assign(section=both["item"].map(SECTION_OF))


def _changes(tidy: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per partner (and `by`): the mean of the ratings they gave in both rounds, then and now."""
    wide = tidy.pivot_table(index=["partner", "item", "section"], columns="round", values="rating").dropna()
    wide = wide.reset_index().groupby(["partner", *by])[[LAST, THIS]].mean()
    return wide.assign(change=wide[THIS] - wide[LAST])


def test_items_sections_and_overall_match_an_independent_computation(rounds):
    then, now = rounds
    trend = compute_trend(FW, _previous(then, {}), _current(now), TODAY)
    tidy = _tidy(then, now)
    means = tidy.groupby(["item", "round"])["rating"].mean().unstack()
    moves = _changes(tidy, ["item"])
    rows = {r.ref: r for r in trend.rows if r.kind == "item"}
    assert sorted(rows, key=ITEMS.index) == [i for i in ITEMS if i not in NOT_COMPARABLE]
    for item, row in rows.items():
        assert row.then == pytest.approx(means.loc[item, LAST]) and row.now == pytest.approx(means.loc[item, THIS])
        assert row.change == pytest.approx(means.loc[item, THIS] - means.loc[item, LAST])
        mine = moves.xs(item, level="item")["change"]
        biggest = mine.abs().max()
        assert {(m.partner, m.change) for m in row.moved_most()} == \
            {(p, c) for p, c in mine.items() if biggest and abs(c) == biggest}
        assert row.same_partners_change == pytest.approx(mine.mean())
        assert (row.rated_then, row.rated_now) == tuple(
            tidy[(tidy["item"] == item) & (tidy["round"] == r)]["partner"].nunique() for r in (LAST, THIS))
    section_means = tidy.groupby(["section", "round"])["rating"].mean().unstack()
    section_moves = _changes(tidy, ["section"])
    for row in trend.sections:
        assert row.then == pytest.approx(section_means.loc[row.ref, LAST])
        assert row.now == pytest.approx(section_means.loc[row.ref, THIS])
        assert row.same_partners_change == pytest.approx(section_moves.xs(row.ref, level="section")["change"].mean())
    overall = tidy.groupby("round")["rating"].mean()
    assert trend.overall.change == pytest.approx(overall[THIS] - overall[LAST])
    like_for_like = moves.groupby(level="item")["change"].mean()  # most improved and fell most: like for like
    assert trend.improved().same_partners_change == pytest.approx(like_for_like.max())
    assert trend.fell().same_partners_change == pytest.approx(like_for_like.min())


def test_each_partner_s_change_is_over_the_ratings_they_gave_in_both_rounds(rounds):
    then, now = rounds
    trend = compute_trend(FW, _previous(then, {}), _current(now), TODAY)
    expected = _changes(_tidy(then, now), []).reset_index().set_index("partner")
    by_name = {p.name: p for p in trend.partners}
    assert list(by_name) == ["Adult Social Care", "Housing", "Carers' Centre", "Old Forum"]
    for name in ("Adult Social Care", "Housing"):
        assert by_name[name].then == pytest.approx(expected.loc[name, LAST])
        assert by_name[name].change == pytest.approx(expected.loc[name, "change"])
    assert by_name["Housing"].note == "named 'Housing Dept' last round"
    assert by_name["Carers' Centre"].note == "new this round" and by_name["Carers' Centre"].change is None
    assert by_name["Old Forum"].note == "no return this round" and by_name["Old Forum"].rated_then > 0
    asc = then[(then["partner"] == "Adult Social Care") & ~then["item"].isin(["7", FLAGGED[1]])]
    assert by_name["Adult Social Care"].rated_then == len(asc)  # the rating kept as typed is not counted


def test_a_not_comparable_item_is_left_out_and_says_why(rounds):
    then, now = rounds
    trend = compute_trend(FW, _previous(then, {}), _current(now), TODAY)
    assert "7" not in {r.ref for r in trend.rows}
    assert trend.left_out == [("3", "7", next(i.title for _, i in FW.items() if i.id == "7"),
                               NOT_COMPARABLE["7"])]


def test_last_round_s_actions_are_followed_up_through_this_round_s_carried_rows(rounds):
    then, now = rounds
    past, later = dt.date(2026, 6, 30), dt.date(2027, 3, 31)
    actions = {"Adult Social Care": [_act(1, past), _act(2, past), _act(3, past), _act(4, later), _act(5, past)],
               "Housing Dept": [_act(1, past), _act(2, past, "Done"), _act(3, past, "Dropped")],
               "Old Forum": [_act(1, later), _act(2, past)]}
    current = _current(now)
    current["Adult Social Care"].update({
        "action/2/carried": f"{LAST} #1", "action/2/status": "Done",
        "action/5/carried": f"{LAST}  #2", "action/5/status": "In progress", "action/5/progress": "Half way",
        "action/5/revised_due": dt.date(2026, 10, 1),
        "action/6/carried": f"{LAST} #4", "action/6/status": "Not started",
        "action/7/carried": f"{LAST} #9", "action/7/status": "Done",  # last round listed no action 9
        "action/8/carried": f"{LAST} #5"})  # carried, and left blank
    current["Housing"].update({"action/1/carried": f"{LAST} #1", "action/1/status": "In progress",
                               "action/1/revised_due": dt.date(2027, 1, 31)})
    trend = compute_trend(FW, _previous(then, actions), current, TODAY, files={"Adult Social Care": "asc.xlsx"})
    got = {(f.partner, f.action.row): (f.status, f.row, f.overdue, f.why) for f in trend.actions}
    assert got == {
        ("Adult Social Care", 1): ("Done", 2, False, ""),
        ("Adult Social Care", 2): ("In progress", 5, True, ""),  # revised date passed too
        ("Adult Social Care", 3): (NOT_REPORTED, None, True, "not carried into this round's action plan"),
        ("Adult Social Care", 4): ("Not started", 6, False, ""),  # not due yet
        ("Adult Social Care", 5): (NOT_REPORTED, 8, True, "carried into this round's action plan, but left blank"),
        ("Housing", 1): ("In progress", 1, False, ""),  # due date passed, but revised to next year
        ("Housing", 2): ("Done", None, False, f"done by {LAST}: not carried"),  # finished last round
        ("Housing", 3): ("Dropped", None, False, f"dropped by {LAST}: not carried"),
        ("Old Forum", 1): (NOT_REPORTED, None, False, "no return this round"),
        ("Old Forum", 2): (NOT_REPORTED, None, True, "no return this round"),
    }
    follow = next(f for f in trend.actions if f.row == 5)
    assert (follow.progress, follow.revised_due) == ("Half way", dt.date(2026, 10, 1))
    (finding,) = trend.findings
    assert finding.code == "carried-action-unknown" and finding.file == "asc.xlsx"
    assert "row 7" in finding.message and f"'{LAST} #9'" in finding.message and "Action plan" in finding.location()


# -- two rounds end to end: build, fill, ingest; then again with --previous ---------------------
def _fill_round(tmp: Path, round_name: str, typed: dict[str, dict[str, object]]) -> Path:
    """Build workbooks for the partners in `typed`, fill each with its answers; the returns folder."""
    built = build(FW.id, tmp / "built", names=list(typed), round_name=round_name)
    returns = tmp / "returns"
    returns.mkdir()
    for name, workbook in zip(typed, built):
        fill(workbook, returns / workbook.name, typed[name])
    return returns


def _typed(seed: int, names: list[str], skip: float = 0.1) -> dict[str, dict[str, object]]:
    """Ratings as a respondent picks them (the dropdown's text), some left blank."""
    rng = random.Random(seed)
    return {name: {f"item/{i}/rating": str(rng.randint(1, 10)) for i in ITEMS if rng.random() > skip}
            for name in names}


def _csv(path: Path) -> pd.DataFrame:
    import pandas as pd
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _grid(path: Path, sheet: str) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(rows[3], r)) for r in rows[4:]]


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    """Round 2025 Q4 compiled; round 2026 Q4 compiled with --previous, Housing Dept renamed Housing."""
    first, second = tmp_path_factory.mktemp("last"), tmp_path_factory.mktemp("this")
    then = _typed(11, ["Adult Social Care", "Housing Dept", "Integrated Care Board", "Old Forum", "Public Health"])
    then["Adult Social Care"].update({"action/1/criterion": "3.1", "action/1/action": "Publish a market statement",
                                      "action/1/owner": "Head of Commissioning", "action/1/priority": "High",
                                      "action/1/due": dt.datetime(2025, 6, 30)})
    returns = _fill_round(first, LAST, then)
    last_out = first / "consolidated.xlsx"
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(first / "built" / "manifest.csv"),
                                                          out=last_out))
    assert report.out == last_out, report.render()
    now = _typed(12, ["Adult Social Care", "Housing", "Integrated Care Board", "Carers' Centre"])
    now["Public Health"] = {}  # returned, but blank
    returns = _fill_round(second, THIS, now)
    (second / "renames.csv").write_text("previous,current\nHousing Dept,Housing\n", encoding="utf-8")
    out, csv_out = second / "consolidated.xlsx", second / "responses.csv"
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--manifest", str(second / "built" / "manifest.csv"),
                                      "--out", str(out), "--csv", str(csv_out), "--previous", str(last_out),
                                      "--renames", str(second / "renames.csv")])
    assert result.exit_code in (0, 1) and out.exists(), result.output
    return then, now, out, csv_out


@pytest.mark.slow  # two rounds built, filled and compiled through files
def test_the_csv_holds_both_rounds_under_their_round(two_rounds):
    then, now, _, csv_out = two_rounds
    data = _csv(csv_out)
    ratings = data[data["key"].str.endswith("/rating")]
    for round_name, typed, rename in ((LAST, then, {"Housing Dept": "Housing"}), (THIS, now, {})):
        mine = ratings[ratings["round"] == round_name]
        got = {(p, k): float(v) for p, k, v in zip(mine["respondent"], mine["key"], mine["value"])}
        assert got == {(rename.get(p, p), k): float(v) for p, answers in typed.items()
                       for k, v in answers.items() if k.endswith("/rating")}
    assert not ratings["value"].str.endswith(".0").any()  # both rounds' ratings read as typed: 7, not 7.0
    action = data[(data["round"] == LAST) & (data["key"] == "action/1/action")]
    assert list(action["value"]) == ["Publish a market statement"]


@pytest.mark.slow  # two rounds built, filled and compiled through files
def test_the_trend_sheet_shows_what_the_two_rounds_say(two_rounds):
    import pandas as pd
    _, _, out, csv_out = two_rounds
    data = _csv(csv_out)
    tidy = data[data["key"].str.endswith("/rating") & data["key"].str.startswith("item/")]
    tidy = pd.DataFrame({"partner": tidy["respondent"], "item": tidy["item"], "round": tidy["round"],
                         "rating": tidy["value"].astype(float), "section": tidy["item"].map(SECTION_OF)})
    means = tidy.groupby(["item", "round"])["rating"].mean().unstack()
    moves = _changes(tidy, ["item"])
    sheet = {r["Ref"]: r for r in _grid(out, "Trend") if r["Ref"]}
    assert list(sheet) == ITEMS
    for item, row in sheet.items():
        assert row["Last round"] == pytest.approx(means.loc[item, LAST])
        assert row["This round"] == pytest.approx(means.loc[item, THIS])
        assert row["Change"] == pytest.approx(means.loc[item, THIS] - means.loc[item, LAST], abs=SHOWN)
        mine = moves.xs(item, level="item")["change"]
        assert row["Same partners' change"] == pytest.approx(mine.mean(), abs=SHOWN)
        top = mine[mine.abs() == mine.abs().max()]
        if top.abs().max():
            assert all(f"{p} {'+' if c > 0 else '−'}{abs(c):.1f}" in row["Moved most (their change)"]
                       for p, c in top.items())
    overall = tidy.groupby("round")["rating"].mean()
    (total,) = [r for r in _grid(out, "Trend") if r["Item"] == "All standards"]
    assert total["Change"] == pytest.approx(overall[THIS] - overall[LAST], abs=SHOWN)
    partners = {r["Partner"]: r for r in _grid(out, "Trend by partner")}
    expected = _changes(tidy, []).reset_index().set_index("partner")
    for name in ("Adult Social Care", "Housing", "Integrated Care Board"):
        assert partners[name]["Change"] == pytest.approx(expected.loc[name, "change"], abs=SHOWN)
    assert partners["Carers' Centre"]["Note"] == "new this round"
    assert partners["Old Forum"]["Note"] == "no return this round"
    assert partners["Housing"]["Note"] == "named 'Housing Dept' last round"
    assert partners["Public Health"]["Note"] == "no ratings this round"  # a blank return is still a return


@pytest.mark.slow  # two rounds built, filled and compiled through files
def test_last_round_s_actions_and_the_dashboard_line(two_rounds):
    _, _, out, _ = two_rounds
    (action,) = _grid(out, "Actions followed up")
    assert (action["Partner"], action["Action"], action["Status now"], action["Overdue"]) == \
        ("Adult Social Care", "Publish a market statement", NOT_REPORTED, "Overdue")
    line = dashboard_brief(out)[f"Since {LAST}"]
    trend = {r["Item"]: r for r in _grid(out, "Trend")}["All standards"]
    assert line.startswith(f"Like for like (the 3 partners who rated in both rounds): overall "
                           f"{trend['Same partners last round']:.1f} → {trend['Same partners this round']:.1f}")
    assert (f"Old Forum did not return this round; Carers' Centre is new, so the average of all ratings moved "
            f"{trend['Last round']:.1f} → {trend['This round']:.1f}") in line
    assert "Last round's 1 action: 0 done, 1 overdue, 1 not reported" in line
    assert {"Change since last round", "Same partners' change", "Overdue"} <= {r["Term"] for r in _grid(out, "Notes")}




SAMPLES = Path(__file__).resolve().parents[1] / "samples"

@pytest.mark.parametrize("previous, said", [
    ("lga-cbo", "compiles round 2026 Q4, the round these returns are for"),
    ("swia-commissioning", "compiles framework 'swia-commissioning', not 'lga-cbo'"),
])
def test_a_previous_round_that_cannot_be_compared_is_refused_and_nothing_is_written(tmp_path, previous, said):
    out = tmp_path / "consolidated.xlsx"
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES / "lga-cbo" / "returns"), "--manifest",
                                      str(SAMPLES / "lga-cbo" / "manifest.csv"), "--out", str(out),
                                      "--previous", str(SAMPLES / previous / "consolidated.xlsx")])
    assert result.exit_code not in (0, 1) and said in result.output and not out.exists(), result.output


def test_renames_need_a_previous_round(tmp_path):
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES / "lga-cbo" / "returns"), "--out",
                                      str(tmp_path / "c.xlsx"), "--renames", str(SAMPLES / "respondents.csv")])
    assert result.exit_code == 2 and "give it with --previous" in result.output


@pytest.mark.libreoffice
def test_the_trend_and_the_dashboard_each_print_on_one_a4_page(two_rounds, tmp_path):
    soffice = libreoffice_or_skip(uno=False)
    out = tmp_path / "two-rounds.xlsx"
    shutil.copy(two_rounds[2], out)
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pages = _pages(out.with_suffix(".pdf"))
    for sheet in ("Dashboard", "Trend", "Trend by partner", "Actions followed up"):
        assert len([text for text in pages if text.rstrip().endswith(sheet)]) == 1, sheet
    dashboard = next(text for text in pages if text.rstrip().endswith("Dashboard"))
    assert f"Since {LAST} Like for like" in " ".join(dashboard.split())
    info = subprocess.run(["pdfinfo", str(out.with_suffix(".pdf"))], capture_output=True, text=True).stdout
    assert "pts (A4)" in info


def _pages(pdf: Path) -> list[str]:
    count = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                 text=True).stdout.splitlines()
                     if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True).stdout.strip() for n in range(1, count + 1)]


@pytest.mark.slow  # two rounds built, filled and compiled
def test_actions_carried_through_a_follow_up_workbook_report_their_status(tmp_path):
    """Last round's actions carried onto this round's Action plan by build --previous, their status typed there."""
    from sheetkit.commands.build import BuildOptions, build_workbooks
    from sheetkit.rounds.load import load_previous
    from sheetkit.roster.respondents import Respondent

    def exercise(round_name, typed, previous=None):
        folder = tmp_path / round_name
        built = build_workbooks(FW, [Respondent(n) for n in typed],
                                BuildOptions(out_dir=folder / "built", round=round_name, password="p",
                                             previous=previous))
        (folder / "returns").mkdir()
        for f in built.files:
            fill(f.workbook, folder / "returns" / f.workbook.name, typed[f.respondent.name])
        out = folder / "consolidated.xlsx"
        options = IngestOptions(manifest=str(built.manifest), out=out,
                                previous=tmp_path / LAST / "consolidated.xlsx" if previous else None,
                                now=dt.datetime(2026, 11, 24, 9))
        assert ingest_returns([str(folder / "returns")], options).out == out
        return out

    ratings = {f"item/{i}/rating": "5" for i in ITEMS}
    plan = {"action/1/criterion": "3.1", "action/1/action": "Publish a market statement", "action/1/owner": "Head",
            "action/1/due": dt.datetime(2026, 6, 30), "action/2/criterion": "4",
            "action/2/action": "Set up a provider forum", "action/2/owner": "Head",
            "action/2/due": dt.datetime(2026, 9, 30), "action/3/action": "Train commissioners",
            "action/3/due": dt.datetime(2026, 3, 31)}
    last = exercise(LAST, {"Adult Social Care": {**ratings, **plan}, "Housing": ratings})
    previous = load_previous(last, FW)
    # Rows 1-3 of this round's plan carry last round's actions 1-3; the respondent reports on two of them.
    out = exercise(THIS, {"Adult Social Care": {**ratings, "action/1/status": "Done", "action/2/status": "In progress",
                                                "action/2/progress": "Met twice",
                                                "action/2/revised_due": dt.datetime(2026, 10, 31)},
                          "Housing": ratings}, previous)
    got = [(r["Written"], r["Status now"], r["Progress"], r["Revised due"], r["Overdue"], r["Row this round"])
           for r in _grid(out, "Actions followed up")]
    assert got == [("Action plan row 1", "Done", "", "", "", 1),
                   ("Action plan row 2", "In progress", "Met twice", dt.date(2026, 10, 31), "Overdue", 2),
                   ("Action plan row 3", "not reported", "", "", "Overdue", 3)]
