"""Workbooks already in the field keep working after an upgrade: every layout sheetkit has
released is read by today's sheetkit, answer for answer, and a workbook of a newer layout is
refused with the version of sheetkit to use (see tests/fixtures/released/README.md)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetkit.cli import cli
from sheetkit.common.own_files import LAYOUTS, LAYOUT_VERSION, META_FORMAT, SHEET_META
from sheetkit.framework.library import get_framework

RELEASED = Path(__file__).resolve().parent / "fixtures" / "released"
FOLDERS = sorted(p.name for p in RELEASED.iterdir() if p.is_dir())


def _as_compiled(typed: str, key: str) -> str:
    """What the Responses table shows for a typed value: a rating by its level's number."""
    field = key.rsplit("/", 1)[-1]
    scale = get_framework("ipc-audit").scale("integration")
    if field == "integration":
        return str(next(lv.value for lv in scale.levels if lv.choice == typed))
    return typed


@pytest.mark.parametrize("folder", FOLDERS)
def test_todays_sheetkit_reads_every_released_layout_answer_for_answer(folder, tmp_path):
    exercise = tmp_path / folder
    shutil.copytree(RELEASED / folder, exercise)
    answers = json.loads((exercise / "answers.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli, ["ingest", str(exercise / "returns"), "--out", str(tmp_path / "c.xlsx"),
                                      "--csv", str(tmp_path / "r.csv"), "--no-cache", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [ret] = report["returns"]
    assert ret["status"] == "accepted" and ret["respondent"] == answers["respondent"] and ret["errors"] == 0
    assert report["manifest"] == str(exercise / "manifest.csv")  # found beside the returns folder
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as handle:
        compiled = {row["key"]: row for row in csv.DictReader(handle)}
    assert {k: r["value"] for k, r in compiled.items()} == answers["read_by_that_release"] | {
        k: _as_compiled(v, k) for k, v in answers["typed"].items()}
    assert all(row["status"] == "ok" and row["respondent"] == "Housing" for row in compiled.values())
    assert ret["answers"] == len(answers["read_by_that_release"])


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_released_workbook_sent_back_unopened_is_returned_unchanged(folder, tmp_path):
    exercise = tmp_path / folder
    shutil.copytree(RELEASED / folder, exercise)
    shutil.rmtree(exercise / "returns")
    shutil.copytree(exercise / "workbooks", exercise / "returns")
    report = json.loads(CliRunner().invoke(cli, ["validate", str(exercise / "returns"), "--json"]).output)
    [ret] = report["returns"]
    assert ret["status"] == "rejected" and [f["code"] for f in ret["findings"]] == ["return-unchanged"]
    assert report["chase_why"]["Housing"].startswith("returned unchanged")


def test_a_workbook_of_a_newer_layout_names_the_sheetkit_to_use(tmp_path):
    exercise = tmp_path / "newer"
    shutil.copytree(RELEASED / "layout-2", exercise)
    [path] = (exercise / "returns").iterdir()
    workbook = openpyxl.load_workbook(path)
    meta = workbook[SHEET_META]
    for row in meta.iter_rows():
        if row[0].value == "format":
            row[1].value = f"sheetkit-return/{LAYOUT_VERSION + 1}"
        if row[0].value == "sheetkit_version":
            row[1].value = "9.1.0"
    workbook.save(path)
    result = CliRunner().invoke(cli, ["validate", str(exercise / "returns"), "--json"])
    [ret] = json.loads(result.output)["returns"]
    [finding] = ret["findings"]
    assert ret["status"] == "rejected" and finding["code"] == "layout-newer" and finding["severity"] == "error"
    assert f"built by sheetkit 9.1.0 with layout version {LAYOUT_VERSION + 1}" in finding["message"]
    assert "Install sheetkit 9.1.0 or later" in finding["message"]
    assert f"reads layouts {min(LAYOUTS)} to {max(LAYOUTS)}" in finding["message"]


def test_every_layout_this_sheetkit_has_built_has_a_fixture_or_is_todays():
    """A new layout version needs a fixture built by the release before it, so it can never be forgotten."""
    built = {json.loads((RELEASED / f / "answers.json").read_text(encoding="utf-8")) and
             int(f.split("-")[1]) for f in FOLDERS}
    assert built | {LAYOUT_VERSION} == set(LAYOUTS)
    assert META_FORMAT == f"sheetkit-return/{LAYOUT_VERSION}"
