"""Whose return, from which exercise: built, filled and saved as partners do, then ingested.

Who saved a file is what the spreadsheet program records (docProps' lastModifiedBy), set here
as Excel would set it for the person at the keyboard."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import datetime as dt

import pytest
from click.testing import CliRunner

from conftest import fill, random_answers
from test_returns_folder import set_author
from sheetkit.cli import cli
from sheetkit.roster.manifest import read_manifest

PEOPLE = ("name,email,contact\n"
          "Adult Social Care,asc.commissioning@anytown.gov.uk,Priya Shah\n"
          "Housing,housing.strategy@anytown.gov.uk,Tom Reilly\n"
          "Public Health,public.health@anytown.gov.uk,Dr Ama Mensah\n")


def _build(folder: Path, people: str, *extra: str) -> Path:
    listing = folder / "people.csv"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(people, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(listing), "--out",
                                      str(folder / "workbooks"), "--round", "2026 Q4", "--deadline", "2099-01-31",
                                      *extra])
    assert result.exit_code == 0, result.output
    return folder


def _filled(folder: Path, respondent: str, target: Path, saved_by: str, seed: int, day: int = 1) -> Path:
    entry = read_manifest(folder / "manifest.csv").entry(respondent)
    fill(folder / "workbooks" / entry.file, target, random_answers("ipc-audit", seed=seed),
         saved_at=dt.datetime(2026, 11, day, 9, tzinfo=dt.timezone.utc))
    return set_author(target, saved_by)  # what Excel records for the person who saved it


@pytest.fixture
def exercise(tmp_path):
    folder = _build(tmp_path / "exercise", PEOPLE)
    (folder / "returns").mkdir()
    return folder


def _ingest(folder: Path, *extra: str) -> tuple[dict, list[dict]]:
    result = CliRunner().invoke(cli, ["ingest", str(folder / "returns"), "--out", str(folder / "c.xlsx"), "--csv",
                                      str(folder / "r.csv"), "--no-cache", "--json", *extra])
    assert result.exit_code in (0, 1, 2), result.output
    report = json.loads(result.output)
    rows = []
    if (folder / "r.csv").exists():
        with open(folder / "r.csv", encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    return report, rows


def test_two_partners_who_filled_each_others_workbooks_are_not_compiled(exercise):
    returns = exercise / "returns"
    _filled(exercise, "Adult Social Care", returns / "asc.xlsx", "Tom Reilly", 1)  # Housing's lead filled ASC's
    _filled(exercise, "Housing", returns / "housing.xlsx", "Priya Shah", 2)  # and ASC's lead filled Housing's
    _filled(exercise, "Public Health", returns / "ph.xlsx", "Ama Mensah", 3)
    report, rows = _ingest(exercise)
    status = {r["file"]: r for r in report["returns"]}
    assert status["asc.xlsx"]["status"] == status["housing.xlsx"]["status"] == "rejected"
    assert status["ph.xlsx"]["status"] == "accepted" and report["valid"] is False
    forwarded = next(f for f in status["asc.xlsx"]["findings"] if f["code"] == "return-forwarded")
    assert "Adult Social Care's (build " in forwarded["message"]
    assert "last saved by Tom Reilly, who is the manifest's contact for Housing" in forwarded["message"]
    assert {r["respondent"] for r in rows} == {"Public Health"}  # nothing compiled under the wrong name
    assert set(report["chase"]) == {"Adult Social Care", "Housing"}


def test_a_workbook_another_council_built_for_the_same_partner_is_held_back(exercise, tmp_path):
    other = _build(tmp_path / "othertown", "name\nHousing\n", "--return-to", "commissioning@othertown.gov.uk")
    _filled(other, "Housing", exercise / "returns" / "housing.xlsx", "Tom Reilly", 4)
    report, rows = _ingest(exercise)
    [ret] = report["returns"]
    [finding] = [f for f in ret["findings"] if f["code"] == "build-unknown"]
    assert ret["status"] == "rejected" and finding["severity"] == "error" and finding["file"] == "housing.xlsx"
    assert "to be returned to commissioning@othertown.gov.uk" in finding["message"]
    assert rows == []  # none of its answers about the other council is compiled
    preferred, rows = _ingest(exercise, "--prefer", "housing.xlsx")
    [ret] = preferred["returns"]
    assert ret["status"] == "accepted" and {r["respondent"] for r in rows} == {"Housing"}
    assert [f["severity"] for f in ret["findings"] if f["code"] == "build-unknown"] == ["warning"]


def test_a_colleague_revising_the_partners_return_replaces_it_with_a_note(exercise):
    returns = exercise / "returns"
    _filled(exercise, "Housing", returns / "housing.xlsx", "Tom Reilly", 5, day=2)
    _filled(exercise, "Housing", returns / "housing revised.xlsx", "Sam Okafor", 6, day=9)  # saved a week later
    report, _ = _ingest(exercise)
    status = {r["file"]: r for r in report["returns"]}
    assert status["housing revised.xlsx"]["status"] == "accepted"
    assert status["housing.xlsx"]["status"] == "superseded"
    [note] = status["housing.xlsx"]["findings"][-1:]
    assert note["code"] == "superseded" and note["severity"] == "warning"
    assert "by Sam Okafor" in note["message"] and "colleague at Housing" in note["message"]
    assert not any(f["severity"] == "error" for r in report["returns"] for f in r["findings"])
