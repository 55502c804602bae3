"""The consolidated workbook as a director reads it: the Dashboard's figures and names, every sheet's shape.

Each exercise is built, filled and ingested as in real use; what the Dashboard says is
compared with figures computed here, independently, from what was typed (or, for the
bundled sample, from its Responses table and manifest).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import statistics
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import IN_CI, fill, opened
from replies import revisions_in
from click.testing import CliRunner

from sheetkit.consolidate.agreement import APART, SPLIT, AgreementRule, judge
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.cli import cli
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FW = "lga-cbo"  # 12 standards in 4 domains, rated 1 to 10
PEOPLE = [Respondent("Adult Social Care", "Anytown Council", "asc@anytown.example", "Priya Shah", "Council"),
          Respondent("Housing", "Anytown Council", "housing@anytown.example", "Tom Reilly", "Council"),
          Respondent("Integrated Care Board", "NHS Anytown", "icb@nhs.example", "Helen Ward", "Health"),
          Respondent("Community Trust", "NHS Anytown", "trust@nhs.example", "Sam Okafor", "Health"),
          Respondent("Voluntary Sector Forum", "Anytown CVS", "forum@cvs.example", "Gareth Lloyd", "Voluntary"),
          Respondent("Carers' Centre", "Anytown Carers", "hello@carers.example", "Jo Evans", "Voluntary")]


# -- the rule, on plain ratings ----------------------------------------------------------------
def test_the_rule_tells_a_lone_partner_from_a_split():
    ten = get_framework(FW).scale("rating")  # 1 to 10: apart = 3 points, split = 5 points
    rule = AgreementRule()
    lone = judge({"A": 7, "B": 8, "C": 7, "D": 1}, ten, rule)
    assert (lone.kind, lone.apart) == (APART, {"D": "low"})
    assert judge({"A": 7, "B": 8, "C": 7, "D": 5}, ten, rule).kind == ""  # 2 points: not apart
    split = judge({"A": 2, "B": 3, "C": 8, "D": 9, "E": 5}, ten, rule)
    assert (split.kind, split.low, split.high) == (SPLIT, ["A", "B"], ["C", "D"])
    assert judge({"A": 2, "B": 3, "C": 7, "D": 7}, ten, rule).kind == ""  # 4 points: not split
    assert judge({"A": 2, "B": 3, "C": 7, "D": 7}, ten, AgreementRule(split=0.4)).kind == SPLIT
    assert judge({"A": 1, "B": 9}, ten, rule).kind == ""  # two partners: nobody sits apart from "the others"
    assert "at least 3 points" in rule.describe(ten) and "5 or more points" in rule.describe(ten)


def test_the_thresholds_are_options_of_ingest(tmp_path):
    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES / FW / "returns"), "--manifest",
                                      str(SAMPLES / FW / "manifest.csv"), "--out", str(out), "--apart", "0.9"])
    assert result.exit_code in (0, 1), result.output
    notes = " ".join(str(c.value) for row in opened(out)["Notes"].iter_rows() for c in row if c.value)
    assert "at least 9 points" in notes  # 90% of the 9-point span
    assert "sits apart" not in _dashboard(out)["headline"]  # a 6-point gap no longer counts


# -- the exercises --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    result = build_workbooks(get_framework(FW), PEOPLE, BuildOptions(out_dir=out, round="2026 Q4", password="p", records=out))
    return out, {f.respondent.name: f.workbook for f in result.files}


def _exercise(built, tmp_path, ratings: dict[str, dict[str, int]]):
    """Fill each named partner's ratings (item id -> value), ingest with the manifest; (report, out, ratings)."""
    folder, workbooks = built
    returns = tmp_path / "returns"
    returns.mkdir()
    for name, by_item in ratings.items():
        fill(workbooks[name], returns / workbooks[name].name, {f"item/{i}/rating": str(v) for i, v in by_item.items()})
    out = tmp_path / "consolidated.xlsx"
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(folder / "manifest.csv"), out=out))
    assert report.out == out, report.render()
    return report, out


def _steady(value: int, wobble: int = 0) -> dict[str, int]:
    """Every standard rated `value`, a few nudged by one so that means are not all equal."""
    items = [item.id for _, item in get_framework(FW).items()]
    return {item: value + (1 if (n + wobble) % 4 == 0 else 0) for n, item in enumerate(items)}


def _items() -> list[str]:
    return [item.id for _, item in get_framework(FW).items()]


# -- an independent oracle -------------------------------------------------------------------
def _rule(values: dict[str, int], span: int):
    """('Split', low names, high names) / ('Sits apart', [name], []) / None, as Notes states the rule."""
    ordered = sorted(values.values())
    split_gap, apart_gap = min(span, max(2, -(-span // 2))), min(span, max(2, -(-span // 3)))
    if len(ordered) >= 4 and ordered[-2] - ordered[1] >= split_gap:
        return ("Split", sorted(p for p, v in values.items() if v <= ordered[1]),
                sorted(p for p, v in values.items() if v >= ordered[-2]))
    apart = []
    if len(ordered) >= 3 and ordered[1] - ordered[0] >= apart_gap:
        apart += [p for p, v in values.items() if v == ordered[0]]
    if len(ordered) >= 3 and ordered[-1] - ordered[-2] >= apart_gap:
        apart += [p for p, v in values.items() if v == ordered[-1]]
    return ("Sits apart", apart, []) if apart else None


def _expected(ratings: dict[str, dict[str, int]], asked: list[str]) -> dict:
    fw = get_framework(FW)
    by_item = {i: {p: r[i] for p, r in ratings.items() if i in r} for i in _items()}
    means = {i: statistics.fmean(v.values()) for i, v in by_item.items() if v}
    sections = {s.id: statistics.fmean([v for item in s.items for v in by_item[item.id].values()])
                for s in fw.sections if any(by_item[item.id] for item in s.items)}
    flagged = {i: _rule(v, 9) for i, v in by_item.items() if _rule(v, 9)}
    spread = {i: max(v.values()) - min(v.values()) for i, v in by_item.items() if v}
    order = _items()
    top = sorted(flagged, key=lambda i: (flagged[i][0] != "Split", -spread[i], order.index(i)))[:5]
    return {
        "overall": statistics.fmean([v for r in ratings.values() for v in r.values()]),
        "strongest": max(sections, key=lambda s: sections[s]), "weakest": min(sections, key=lambda s: sections[s]),
        "sections": sections,
        "gaps": sorted(means, key=lambda i: (means[i], order.index(i)))[:5],
        "disagreements": top, "flagged": flagged, "missing": [p for p in asked if p not in ratings],
    }


# -- reading the Dashboard as a person would --------------------------------------------------
def _dashboard(path: Path) -> dict:
    """What the Dashboard says: its brief (label -> the words of its lines), its lists (by heading: each row's
    ref, text, detail and last value), its table's range, and the whole brief as one text."""
    ws = opened(path)["Dashboard"]
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    brief, label, row = {}, "", 1
    while row < len(grid) and (grid[row][0] or grid[row][1]):
        label = grid[row][0] or label
        brief[label] = (brief.get(label, "") + " " + grid[row][1]).strip()
        row += 1
    table = ws.tables["Dashboard_heat_map"]
    last_col = openpyxl.utils.cell.range_boundaries(table.ref)[2] - 1

    def block(starts: str) -> list[tuple]:
        r = next(r for r, row in enumerate(grid) if isinstance(row[0], str) and row[0].startswith(starts))
        rows = []
        for row in grid[r + 2:]:
            if row[0] in (None, "") and row[1] in (None, ""):
                break
            rows.append((row[0] or "", row[1] or "", row[2] or "", row[last_col]))
        return rows

    return {"title": grid[0][0], "brief": brief, "headline": " ".join(brief.values()),
            "disagreements": [(r[0], *r[1].split("\n", 1)) for r in block("Where partners disagree most") if r[0]],
            "first_actions": block("First actions"), "heat_map": table.ref, "ws": ws}


def _heat_map(path: Path) -> list[dict]:
    ws = opened(path)["Dashboard"]
    rows = [[c.value for c in row] for row in ws[ws.tables["Dashboard_heat_map"].ref]]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _check_dashboard(out: Path, ratings: dict[str, dict[str, int]], asked: list[Respondent]) -> dict:
    """Everything the Dashboard says that can be computed from the ratings and who was asked."""
    fw = get_framework(FW)
    want = _expected(ratings, [p.name for p in asked])
    seen = _dashboard(out)
    title = {s.id: s.title for s in fw.sections}
    head, brief = seen["headline"], seen["brief"]
    assert brief["Returns"].startswith(f"{len(ratings)} of {len(asked)} partners returned.")
    assert brief["Overall"].startswith(f"{want['overall']:.1f} on a scale of 1 to 10")
    strongest, weakest = want["strongest"], want["weakest"]
    assert f"Strongest domain: {title[strongest]} ({want['sections'][strongest]:.1f})" in brief["Overall"]
    assert f"weakest: {title[weakest]} ({want['sections'][weakest]:.1f})" in brief["Overall"]
    captions = {item.id: item.title for _, item in fw.items()}
    means = {i: statistics.fmean([r[i] for r in ratings.values() if i in r]) for i in want["gaps"]}
    assert brief["Lowest standards"] == "; ".join(f"{captions[i]} ({means[i]:.1f})" for i in want["gaps"]) + "."
    assert [d[0] for d in seen["disagreements"]] == want["disagreements"]
    for ref, caption, ends in seen["disagreements"]:
        kind, low, high = want["flagged"][ref]
        assert caption == captions[ref]
        for name in low + high:
            assert name in ends
    people = {p.name: p for p in asked}
    if want["missing"]:
        for name in want["missing"]:
            person = people[name]
            assert f"{name} ({person.contact}, {person.email})" in brief["Returns"], brief["Returns"]
    else:
        assert "Every partner asked has returned" in brief["Returns"]
    for row in _heat_map(out):
        if row["Ref"]:
            assert row["All partners"] == pytest.approx(want["sections"][row["Ref"]])
            for partner, by_item in ratings.items():
                mine = [by_item[i.id] for s in fw.sections if s.id == row["Ref"] for i in s.items if i.id in by_item]
                assert row[partner] == pytest.approx(statistics.fmean(mine))
    return seen


# -- the crafted exercises --------------------------------------------------------------------
@pytest.mark.slow  # an exercise of six partners filled and compiled
def test_one_partner_sitting_apart_is_named_with_the_items_they_drive(built, tmp_path):
    ratings = {p.name: _steady(7, n) for n, p in enumerate(PEOPLE[:5])}
    for item in ("1", "2", "3"):
        ratings["Voluntary Sector Forum"][item] = 1
    _, out = _exercise(built, tmp_path, ratings)
    seen = _check_dashboard(out, ratings, PEOPLE)
    assert sorted(d[0] for d in seen["disagreements"]) == ["1", "2", "3"]
    first = seen["disagreements"][0][0]
    others = sorted(r[first] for name, r in ratings.items() if name != "Voluntary Sector Forum")
    span = f"{others[0]}-{others[-1]}" if others[0] != others[-1] else f"{others[0]}"
    for ref, _, ends in seen["disagreements"]:
        assert ends.startswith("Voluntary Sector Forum 1, others "), ends
    assert f"disagree most on Standard {first}, where Voluntary Sector Forum rates 1 and the others {span}." \
        in seen["headline"]
    assert "Voluntary Sector Forum sits apart on 3 of 12 standards" in seen["headline"]
    assert "Not yet returned: Carers' Centre (Jo Evans, hello@carers.example)." in seen["brief"]["Returns"]


@pytest.mark.slow  # an exercise of six partners filled and compiled
def test_a_genuine_split_is_told_from_a_lone_dissenter(built, tmp_path):
    ratings = {p.name: _steady(6, n) for n, p in enumerate(PEOPLE)}
    for name, value in zip([p.name for p in PEOPLE], (2, 3, 8, 9, 9, 5)):
        ratings[name]["5"] = value
    _, out = _exercise(built, tmp_path, ratings)
    seen = _check_dashboard(out, ratings, PEOPLE)
    assert [d[0] for d in seen["disagreements"]] == ["5"]
    assert "Partners are split most on Standard 5: Adult Social Care, Housing rate it 2-3" in seen["headline"]
    assert "Every partner asked has returned" in seen["brief"]["Returns"]
    rows = opened(out)["Ratings"].iter_rows(min_row=4, values_only=True)
    header = next(rows)
    row = next(r for r in rows if r[1] == "5")
    assert row[header.index("Agreement")] == "Split"


def test_groups_that_differ_are_flagged_with_their_own_averages(built, tmp_path):
    ratings = {p.name: _steady(6, n) for n, p in enumerate(PEOPLE[:4])}
    for name, value in (("Adult Social Care", 8), ("Housing", 8), ("Integrated Care Board", 4),
                        ("Community Trust", 4)):
        ratings[name]["4"] = value
    _, out = _exercise(built, tmp_path, ratings)
    seen = _check_dashboard(out, ratings, PEOPLE)
    assert "Groups of partners differ on 1 of 12 standards." in seen["brief"]["Disagreement"]
    rows = opened(out)["Groups"].iter_rows(min_row=4, values_only=True)
    header = next(rows)
    by_ref = {r[1]: dict(zip(header, r)) for r in rows if r[1]}
    assert by_ref["4"]["Council"] == 8 and by_ref["4"]["Health"] == 4 and by_ref["4"]["Groups differ"] == "Yes"
    assert all(r["Groups differ"] in (None, "") for ref, r in by_ref.items() if ref != "4")
    assert "Not yet returned: Voluntary Sector Forum (Gareth Lloyd, forum@cvs.example), Carers' Centre" \
        in seen["brief"]["Returns"]


# -- the bundled sample exercise ---------------------------------------------------------------
def _sample_ratings(framework_id: str) -> tuple[dict[str, dict[str, int]], list[Respondent]]:
    """The counted item ratings, from the sample's Responses table, and who was asked, from its manifest."""
    wb = opened(SAMPLES / framework_id / "consolidated.xlsx", read_only=True)
    rows = list(wb["Responses"].iter_rows(values_only=True))
    ratings: dict[str, dict[str, int]] = {}
    rating = get_framework(framework_id).item_rating_field()
    for r in (dict(zip(rows[3], row)) for row in rows[4:]):
        if r["field"] == rating.id and r["item"] and r["status"] == "ok" and not r["statement"]:
            ratings.setdefault(r["respondent"], {})[r["item"]] = r["value"]
    with open(SAMPLES / framework_id / "manifest.csv", newline="", encoding="utf-8-sig") as handle:
        asked = [Respondent(r["respondent"], r["organisation"], r["email"], r.get("contact", ""))
                 for r in csv.DictReader(handle)]
    return ratings, asked


def _sample_revisions(framework_id: str, ratings: dict[str, dict[str, int]]) -> int:
    """Count in the ratings partners revised in the sample's replies, read from the reply sheets as a person reads
    them (Revise picked beside a revised rating); how many were revised."""
    revised = 0
    for (who, ref), value in revisions_in(SAMPLES / framework_id / "replies").items():
        revised += value != ratings[who][ref]
        ratings[who][ref] = value
    return revised


@pytest.mark.slow  # the whole sample exercise compiled
def test_the_sample_dashboard_names_the_dissenter_and_the_missing_partner():
    ratings, asked = _sample_ratings(FW)
    revised = _sample_revisions(FW, ratings)
    seen = _check_dashboard(SAMPLES / FW / "consolidated.xlsx", ratings, asked)
    assert "Not yet returned: Carers' Centre (Jo Evans, hello@anytowncarers.org.uk)." in seen["brief"]["Returns"]
    # The superseded draft's findings are one line on the Issues sheet.
    rows = list(opened(SAMPLES / FW / "consolidated.xlsx", read_only=True)["Issues"].iter_rows(
        values_only=True))
    issues = [dict(zip(rows[3], r)) for r in rows[4:]]
    draft = [r for r in issues if "DRAFT" in (r["File"] or "")]
    assert len(draft) == 1 and draft[0]["Code"] == "superseded" and draft[0]["Message"].startswith("Not counted")
    assert "Voluntary Sector Forum sits apart" in seen["headline"]
    assert revised and f"partners revised {revised} ratings" in seen["headline"]
    # The first actions, worked out here from every action as written: the same words (case, spacing and
    # punctuation aside) are one action; highest priority first, then the earliest due date, then the most partners.
    rows = list(opened(SAMPLES / FW / "consolidated.xlsx", read_only=True)["All actions"]
                .iter_rows(values_only=True))
    groups: dict[str, dict] = {}
    for r in (dict(zip(rows[3], r)) for r in rows[4:]):
        g = groups.setdefault(_words(r["Action"]), {"rank": 3, "due": None, "partners": set(), "refs": set()})
        g["rank"] = min(g["rank"], ("High", "Medium", "Low").index(r["Priority"]) if r["Priority"] in
                        ("High", "Medium", "Low") else 3)
        if hasattr(r["Due"], "year"):
            g["due"] = min(g["due"] or r["Due"], r["Due"])
        g["partners"].add(r["Partner"])
        g["refs"].add(r["Ref"])
    first = sorted(groups.items(), key=lambda kv: (kv[1]["rank"], kv[1]["due"] or dt.datetime.max,
                                                   -len(kv[1]["partners"])))[:5]
    shown = seen["first_actions"]
    assert [_words(s[1].split("\n")[0]) for s in shown] == [key for key, _ in first]
    for (refs, text, owners, due), (_, g) in zip(shown, first):
        assert due == g["due"] and owners
        assert set(refs.split("\n")[0].split(", ")) == g["refs"]
        assert refs.split("\n")[1] == f"High, {len(g['partners'])} partners"
        assert text.split("\n")[1].startswith("Standard " + min(g["refs"], key=lambda ref: int(ref)))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]+", " ", str(text).casefold()).split())


@pytest.mark.parametrize("framework_id", ["lga-cbo", "swia-commissioning"])
def test_a_single_dissenter_is_told_apart_from_a_split_in_the_samples(framework_id):
    ratings = list(opened(SAMPLES / framework_id / "consolidated.xlsx",
                                          read_only=True)["Ratings"].iter_rows(values_only=True))
    agreement, ends = ratings[3].index("Agreement"), ratings[3].index("Who sits at each end")
    rows = [r for r in ratings[4:] if r[1]]
    apart = [r for r in rows if r[agreement] == "Sits apart"]
    split = [r for r in rows if r[agreement] == "Split"]
    # The forum's low ratings are told as one partner sitting apart, never as partners split...
    assert apart and all(r[ends].startswith("Voluntary Sector Forum ") for r in apart)
    # ...and what the other partners' own spread flags as a split is a handful at most, each with
    # two or more partners on each side.
    assert len(split) <= 3
    for r in split:
        low, high = r[ends].split("; ")
        assert low.count(",") >= 1 and high.count(",") >= 1, r[ends]


# -- every sheet's shape ---------------------------------------------------------------------
@pytest.mark.parametrize("framework_id", ["lga-cbo", "swia-commissioning"])
def test_every_sheet_has_a_title_one_named_table_and_print_titles(framework_id):
    wb = opened(SAMPLES / framework_id / "consolidated.xlsx")
    assert wb.sheetnames[:4] == ["Cover", "Contents", "Notes", "Dashboard"]
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]  # not the hidden metadata sheet
    for ws in visible:
        assert isinstance(ws["A1"].value, str) and ws["A1"].font.b, ws.title
        assert len(ws.tables) == 1, (ws.title, list(ws.tables))
        assert ws.print_title_rows, ws.title
        assert ws.print_area, ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, ws.title
    links = {c.hyperlink.location.split("!")[0][1:-1].replace("''", "'")
             for row in wb["Contents"].iter_rows() for c in row if c.hyperlink}
    assert links == {ws.title for ws in visible}
    notes = " ".join(str(c.value) for row in wb["Notes"].iter_rows() for c in row if c.value)
    for term in ("Mean", "Spread", "Counted", "sits apart", "split", "Groups differ", "published by",
                 "left out of every average"):
        assert term in notes, term


def _pages_of(pdf: Path, sheet: str) -> int:
    """How many pages of the PDF carry the sheet's name in their footer."""
    count = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                 text=True).stdout.splitlines()
                     if line.startswith("Pages:")))
    found = 0
    for page in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True).stdout.strip()
        found += text.splitlines()[-1].rstrip().endswith(sheet)
    return found


@pytest.mark.libreoffice
def test_the_dashboard_prints_on_one_page(tmp_path):
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    if not (soffice and pdfinfo):
        if IN_CI:
            pytest.fail("LibreOffice and poppler are needed; .ci/run installs them")
        pytest.skip("LibreOffice (soffice) or poppler (pdfinfo) is not installed")
    files = []
    for fid in ("lga-cbo", "swia-commissioning"):
        shutil.copy(SAMPLES / fid / "consolidated.xlsx", tmp_path / f"{fid}.xlsx")
        files.append(tmp_path / f"{fid}.xlsx")
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for path in files:
        assert _pages_of(path.with_suffix(".pdf"), "Dashboard") == 1, path.name
