"""Two rounds end to end, as a lead runs them a year apart, on two frameworks:

build, fill and ingest the first round; build the next round with --previous (pre-filled);
change some answers and report on the carried actions; ingest with --previous. The trend is
checked against a computation made here from what was typed in each round, and a version
change of the framework is followed through an item map.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import openpyxl
import pytest

from conftest import fill, random_answers
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.rounds.carry import carry_over
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.framework.library import get_framework
from sheetkit.rounds.load import load_previous
from sheetkit.roster.respondents import Respondent
from sheetkit.framework.model import STILL_TRUE
from sheetkit.workbook.layout import STILL_TRUE_FIELD

FIRST = ("Adult Social Care", "Housing", "Public Health")  # Public Health leaves
NEXT = ("Adults and Health", "Housing", "Healthwatch")  # renamed, stayed, new
RENAMES = "previous,current\nAdult Social Care,Adults and Health\n"
STATUSES = ("Done", "In progress", "Dropped", "Not started")


def _level(value) -> int:
    return int(re.match(r"\d+", str(value))[0])


def _build(framework, names, out: Path, round_name: str, **options):
    result = build_workbooks(framework, [Respondent(n) for n in names],
                             BuildOptions(out_dir=out, records=out, round=round_name, password="secret", **options))
    return {f.respondent.name: f.workbook for f in result.files}, result


def _sheet(path: Path, name: str) -> list[tuple]:
    return [row for row in openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True)]


def _table(rows: list[tuple], first: str) -> tuple[tuple, list[tuple]]:
    head = next(n for n, row in enumerate(rows) if row and row[0] == first)
    return rows[head], [row for row in rows[head + 1:] if any(v not in (None, "") for v in row)]


def _run_two_rounds(tmp_path: Path, framework_id: str, framework=None, frameworks_dirs=(), item_map=None):
    first_fw = get_framework(framework_id)
    framework = framework or first_fw
    built, _ = _build(first_fw, FIRST, tmp_path / "one", "2026 Q4")
    typed_then, first_returns = {}, _mkdir(tmp_path / "one" / "returns")
    for n, (name, path) in enumerate(built.items()):
        typed_then[name] = random_answers(framework_id, seed=n + 1)
        fill(path, first_returns / path.name, typed_then[name])
    last = tmp_path / "one" / "consolidated.xlsx"
    ingest_returns([str(first_returns)],
                   IngestOptions(manifest=str(tmp_path / "one" / "manifest.csv"), out=last, use_cache=False))
    renames = tmp_path / "renames.csv"
    renames.write_text(RENAMES, encoding="utf-8")
    previous = load_previous(last, framework, renames=renames, item_map=item_map)
    built, result = _build(framework, NEXT, tmp_path / "two", "2027 Q4", previous=previous, prefill=True)
    assert result.gone == ["Public Health"]
    returns = _mkdir(tmp_path / "two" / "returns")
    follow_ups, changed, fresh = {}, {}, {}
    for n, (name, path) in enumerate(built.items()):
        person = previous.respondent(name)
        answers = {}
        if person is None:  # new this round: a blank workbook, filled from scratch
            answers = fresh[name] = random_answers(framework_id, seed=50 + n)
        else:
            layout = plan_workbook(framework, follow_up=True)
            ratings = [c for c in layout.answers if c.field.type == "rating" and c.key in person.answers]
            scale = framework.scale(ratings[0].field.scale)
            for cell in ratings[::3]:  # every third rating moves one level up (or down at the top)
                now = int(person.answers[cell.key]) + (1 if person.answers[cell.key] < scale.levels[-1].value else -1)
                answers[cell.key] = next(lv.choice for lv in scale.levels if lv.value == now)
                changed[(name, cell.key)] = now
            for cell in ratings[1::3]:  # the next is confirmed as still true; the third is left as it was
                answers[f"{cell.key}/{STILL_TRUE_FIELD.id}"] = STILL_TRUE[0]
                changed[(name, cell.key)] = int(person.answers[cell.key])
            carried = carry_over(layout, previous, person).actions
            for row in range(1, carried + 1):
                answers[f"action/{row}/status"] = STATUSES[row % len(STATUSES)]
                answers[f"action/{row}/progress"] = f"Progress of {name} row {row}"
            follow_ups[name] = carried
        fill(path, returns / path.name, answers)
    out = tmp_path / "two" / "consolidated.xlsx"
    report = ingest_returns([str(returns)], IngestOptions(
        manifest=str(tmp_path / "two" / "manifest.csv"), out=out, previous=last, renames=renames,
        item_map=item_map, frameworks_dirs=tuple(frameworks_dirs), use_cache=False))
    assert report.out == out, report.render()
    return typed_then, previous, changed, follow_ups, out, fresh


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _item_ratings_typed(framework, typed: dict[str, dict]) -> dict[str, dict[str, int]]:
    keys = {f"item/{item.id}/{f.id}" for _, item in framework.items() for f in framework.fields("item")
            if f.type == "rating"}
    return {name: {k: _level(v) for k, v in answers.items() if k in keys} for name, answers in typed.items()}


@pytest.mark.parametrize("framework_id", ["lga-cbo", "swia-commissioning"])
def test_the_trend_of_two_rounds_matches_what_was_typed(tmp_path, framework_id):
    framework = get_framework(framework_id)
    typed_then, previous, changed, follow_ups, out, fresh = _run_two_rounds(tmp_path, framework_id)
    then = _item_ratings_typed(framework, typed_then)
    now = {}  # this round: the ratings changed or confirmed 'Still true'; those left as pre-filled are carried,
    for name in NEXT:  # not this round's view; and the new partner's own
        person = previous.respondent(name)
        if person is None:
            continue
        now[name] = {k: v for (who, k), v in changed.items() if who == name and k in then[person.name]}
    header, rows = _table(_sheet(out, "Trend"), "Section")
    overall = rows[0]
    assert overall[header.index("Last round")] == pytest.approx(
        statistics.mean(v for answers in then.values() for v in answers.values()))
    left = sum(1 for name in now for k in then[previous.respondent(name).name] if k not in now[name])
    assert left and overall[header.index("Carried, not confirmed")] == left  # counted apart, not averaged
    joined = _item_ratings_typed(framework, fresh)  # the new partner's own ratings count this round
    assert list(joined) == ["Healthwatch"]
    assert overall[header.index("This round")] == pytest.approx(
        statistics.mean(v for answers in [*now.values(), *joined.values()] for v in answers.values()))
    partners_head, partners = _table(_sheet(out, "Trend by partner"), "Partner")
    by_partner = {row[0]: row for row in partners}
    for name, answers in now.items():
        last_name = previous.respondent(name).name
        expected = statistics.mean(answers.values()) - statistics.mean(then[last_name][k] for k in answers)
        assert by_partner[name][partners_head.index("Change")] == pytest.approx(round(expected, 1), abs=0.051), name
    assert "named 'Adult Social Care' last round" in by_partner["Adults and Health"]
    assert "new this round" in by_partner["Healthwatch"] and "no return this round" in by_partner["Public Health"]
    followed_head, followed = _table(_sheet(out, "Actions followed up"), "Partner")
    reported = [row for row in followed if row[followed_head.index("Row this round")]]
    assert len(reported) == sum(follow_ups.values()) > 0
    for row in reported:
        number = int(row[followed_head.index("Row this round")])
        assert row[followed_head.index("Status now")] == STATUSES[number % len(STATUSES)]
        assert row[followed_head.index("Progress")] == f"Progress of {row[0]} row {number}"


def test_a_new_framework_version_is_followed_through_an_item_map(tmp_path):
    source = Path(get_framework("lga-cbo").path).read_text(encoding="utf-8")
    folder = _mkdir(tmp_path / "frameworks")
    (folder / "lga-cbo.yaml").write_text(source.replace('version: "2015.2"', 'version: "2027.1"'), encoding="utf-8")
    newer = get_framework("lga-cbo", [folder])
    assert newer.version == "2027.1"
    item_map = tmp_path / "map.yaml"
    ids = "\n".join(f'  "{n}": "{n}"' for n in range(1, 13))
    sections = "\n".join(f'  "{n}": "{n}"' for n in range(1, 5))
    item_map.write_text(f'framework: lga-cbo\nfrom_version: "2015.2"\nitems:\n{ids}\nsections:\n{sections}\n'
                        f'changed: ["5"]\n', encoding="utf-8")
    _, previous, _, _, out, _ = _run_two_rounds(tmp_path, "lga-cbo", framework=newer, frameworks_dirs=[folder],
                                             item_map=item_map)
    assert previous.not_comparable == {"5": "wording or scale changed since version 2015.2"}
    header, rows = _table(_sheet(out, "Trend"), "Section")
    five = [row for row in rows if row[header.index("Ref")] == "5"]
    assert five and all(row[header.index("Last round")] in (None, "") for row in five)
    assert any("wording or scale changed since version 2015.2" in str(v) for row in five for v in row)
    workbook = openpyxl.load_workbook(next((tmp_path / "two" / "returns").glob("*housing*")))
    last_round = [c.value for ws in workbook.worksheets if ws.title != SHEET_ACTIONS for row in ws.iter_rows()
                  for c in row if isinstance(c.value, str) and c.value.startswith("not comparable")]
    assert last_round and all("wording or scale changed" in v for v in last_round)
