"""What depends on the day: each test here runs at every day in conftest.CALENDAR_DAYS.

Every "today" in sheetkit comes from one clock (sheetkit/clock.py); these tests set it to
today, a day after every sample deadline, a leap day, a year's last evening and 400 days on,
and check each thing the date decides: the default deadline, the exercise's deadline for
workbooks added later, lateness, the chase's wording and the default round.
"""

from __future__ import annotations

import csv
import datetime as dt
from email import policy
from email.parser import BytesParser

import pytest
from click.testing import CliRunner

from conftest import fill, random_answers
from sheetkit.common import clock
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.chase import ChaseOptions, chase
from sheetkit.cli import cli
from sheetkit.common.errors import UsageError
from sheetkit.commands.ingest import IngestOptions
from sheetkit.returns.check import validate_returns
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent

pytestmark = pytest.mark.calendar


def _manifest_rows(folder):
    with open(folder / "manifest.csv", encoding="utf-8-sig", newline="") as handle:
        return {row["respondent"]: row for row in csv.DictReader(handle)}


def _build(folder, names, **options):
    return build_workbooks(get_framework("lga-cbo"), [Respondent(n, email=f"{n.lower()}@example.org") for n in names],
                           BuildOptions(out_dir=folder, records=folder, round="R1", password="x", **options))


def test_the_clock_is_the_day_set(calendar_day):
    assert clock.today() == calendar_day.date()
    assert clock.now().tzinfo is not None


def test_default_deadline_is_four_weeks_from_today(calendar_day, tmp_path):
    result = _build(tmp_path / "out", ["Housing"])
    assert result.deadline == calendar_day.date() + dt.timedelta(days=28)
    assert _manifest_rows(tmp_path / "out")["Housing"]["deadline"] == result.deadline.isoformat()


def test_respondents_added_later_keep_the_exercise_deadline(calendar_day, tmp_path):
    out = tmp_path / "out"
    first_deadline = calendar_day.date() + dt.timedelta(days=10)
    _build(out, ["Housing"], deadline=first_deadline.isoformat())
    later = _build(out, ["Police"])  # no --deadline: the exercise's
    assert later.deadline == first_deadline
    extended = calendar_day.date() + dt.timedelta(days=40)
    _build(out, ["Fire"], deadline=extended.isoformat())  # their own, recorded for them alone
    reissued = _build(out, ["Housing"], force=True)
    rows = _manifest_rows(out)
    assert {name: row["deadline"] for name, row in rows.items()} == {
        "Housing": first_deadline.isoformat(), "Police": first_deadline.isoformat(), "Fire": extended.isoformat()}
    assert reissued.deadline == first_deadline


def test_adding_after_the_exercise_deadline_asks_for_one_and_writes_nothing(calendar_day, tmp_path):
    out = tmp_path / "out"
    with clock.frozen(calendar_day - dt.timedelta(days=60)):
        _build(out, ["Housing"], deadline=(calendar_day.date() - dt.timedelta(days=30)).isoformat())
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    with pytest.raises(UsageError, match="has passed .* give the new workbooks their own --deadline"):
        _build(out, ["Police"])
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before


def test_a_deadline_in_the_past_is_refused(calendar_day, tmp_path):
    yesterday = calendar_day.date() - dt.timedelta(days=1)
    with pytest.raises(UsageError, match=f"in the past \\(today is {calendar_day.date().isoformat()}\\)"):
        _build(tmp_path / "out", ["Housing"], deadline=yesterday.isoformat())
    assert not any((tmp_path / "out").glob("*.xlsx"))


def test_a_return_saved_today_is_on_time_and_one_saved_after_the_deadline_is_late(calendar_day, tmp_path):
    result = _build(tmp_path / "out", ["Housing", "Police"])
    returns = tmp_path / "returns"
    returns.mkdir()
    answers = random_answers("lga-cbo")
    fill(result.files[0].workbook, returns / "housing.xlsx", answers)  # saved now
    fill(result.files[1].workbook, returns / "police.xlsx", answers,
         saved_at=calendar_day + dt.timedelta(days=29))
    report = validate_returns([str(returns)], IngestOptions(manifest=str(result.manifest)))
    late = {r.respondent: [f.message for f in r.findings if f.code == "return-late"] for r in report.returns}
    assert late["Housing"] == []
    assert late["Police"] and result.deadline.isoformat() in late["Police"][0]


def test_the_chase_counts_days_from_today(calendar_day, tmp_path):
    with clock.frozen(calendar_day - dt.timedelta(days=40)):
        result = _build(tmp_path / "out", ["Housing"])
    (tmp_path / "returns").mkdir()
    chased = chase([str(tmp_path / "returns")], ChaseOptions(manifest=result.manifest, out_dir=tmp_path / "drafts"))
    assert chased.today == calendar_day.date()
    (draft,) = (tmp_path / "drafts" / calendar_day.date().isoformat()).glob("*.eml")
    body = BytesParser(policy=policy.default).parsebytes(draft.read_bytes()).get_body(("plain",)).get_content()
    overdue = (calendar_day.date() - result.deadline).days  # built 40 days ago, due 28 days after that
    assert overdue == 12
    assert f"so it is now overdue by {overdue} days" in " ".join(body.split())


def test_the_round_defaults_to_this_year(calendar_day, tmp_path):
    outcome = CliRunner().invoke(cli, ["build", "lga-cbo", "--respondent", "Housing", "--out", str(tmp_path / "out"),
                                       "--password", "x", "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert _manifest_rows(tmp_path)["Housing"]["round"] == str(calendar_day.year)  # the records sit above --out
