"""The lead's records only grow: later builds into a folder add to its manifest and keep its password."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.protection import hash_password

from conftest import fill, random_answers
from sheetkit.cli import cli
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.roster.manifest import COLUMNS, read_manifest, read_password
from sheetkit.common.own_files import MANIFEST, PASSWORD_FILE

EIGHT = ("Adult Social Care", "Housing", "Public Health", "Cyngor Sir Ynys Môn", "Children's Services",
         "Voluntary Sector Forum", "Carers' Centre", "=Provider Forum")


def _build(out, *args):
    result = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--round", "2026 Q4",
                                      "--deadline", "2099-01-31", "--json", *args])
    return result


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.xlsx")}


def _sheet_password_hashes(path):
    wb = openpyxl.load_workbook(path)
    return {ws.protection.password for ws in wb.worksheets if ws.protection.sheet}


@pytest.fixture
def exercise(tmp_path, tiny_dir):
    """Eight respondents built from a list, then Fire and Rescue added, then Housing re-issued."""
    people = tmp_path / "respondents.csv"
    people.write_text("name,email\n" + "".join(f'"{n}",x{i}@anytown.gov.uk\n' for i, n in enumerate(EIGHT)),
                      encoding="utf-8")
    out = tmp_path / "workbooks"
    first = _build(out, "--respondents", str(people))
    assert first.exit_code == 0, first.output
    stages = {"first": (_hashes(out), (out / PASSWORD_FILE).read_bytes(), read_manifest(out / MANIFEST))}
    added = _build(out, "--respondent", "Fire and Rescue")
    assert added.exit_code == 0, added.output
    stages["added"] = (_hashes(out), (out / PASSWORD_FILE).read_bytes(), read_manifest(out / MANIFEST))
    again = _build(out, "--respondent", "housing", "--force")
    assert again.exit_code == 0, again.output
    return out, stages, json.loads(again.output)


def test_adding_and_reissuing_keeps_every_record_and_the_password(exercise):
    out, stages, reissue = exercise
    manifest = read_manifest(out / MANIFEST)
    assert manifest.respondents == list(EIGHT) + ["Fire and Rescue"]
    first_hashes, password_file, first_manifest = stages["first"]
    assert (out / PASSWORD_FILE).read_bytes() == password_file  # never replaced
    password = read_password(out)
    expected = hash_password(password)
    for path in out.glob("*.xlsx"):  # every workbook of the exercise is locked with the one password
        assert _sheet_password_hashes(path) == {expected}, path.name
    housing = manifest.entry("Housing")
    old_housing = first_manifest.entry("Housing")
    assert housing.previous_build_ids == old_housing.build_id != housing.build_id
    assert (housing.respondent, housing.email) == ("Housing", "x1@anytown.gov.uk")  # re-issued by name alone
    assert reissue["workbooks"][0]["replaces_build_id"] == old_housing.build_id
    now = _hashes(out)
    for name, digest in first_hashes.items():  # untouched, byte for byte, except Housing's
        assert (now[name] == digest) == (name != housing.file), name
    for entry in manifest.entries:
        assert now[entry.file] == entry.sha256
    assert manifest.entry("Cyngor Sir Ynys Môn").email == "x3@anytown.gov.uk"
    assert manifest.entry("=Provider Forum") is not None  # stored formula-safe, read back as typed
    assert read_manifest(out / MANIFEST).entry("Fire and Rescue").previous_build_ids == ""


def test_ingest_against_the_grown_manifest(exercise, tmp_path):
    out, _, _ = exercise
    manifest = read_manifest(out / MANIFEST)
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, name in enumerate(("Housing", "Fire and Rescue", "Cyngor Sir Ynys Môn")):
        entry = manifest.entry(name)
        fill(out / entry.file, returns / entry.file, random_answers("tiny", seed=n))
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(out / MANIFEST), out=tmp_path / "c.xlsx"))
    assert report.exit_code == 0, report.render()
    assert sorted(r.respondent for r in report.returns) == ["Cyngor Sir Ynys Môn", "Fire and Rescue", "Housing"]
    assert report.expected == 9
    assert sorted(report.chase) == sorted(set(EIGHT) - {"Housing", "Cyngor Sir Ynys Môn"})


def test_a_respondent_already_sent_a_workbook_needs_force(tmp_path, tiny_dir):
    out = tmp_path / "wb"
    assert _build(out, "--respondent", "Housing", "--respondent", "Health").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = _build(out, "--respondent", "HOUSING", "--respondent", "Police")
    assert again.exit_code == 2
    assert "Housing" in again.output and "--force" in again.output and "leave them out" in again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_another_exercise_in_the_folder_is_refused(tmp_path, tiny_dir):
    out = tmp_path / "wb"
    assert _build(out, "--respondent", "Housing").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--round", "2027", "--respondent", "Police"])
    assert other.exit_code == 2 and "round '2026 Q4'" in other.output and "--out" in other.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_exercise_keeps_one_password(tmp_path, tiny_dir):
    generated = tmp_path / "generated"
    assert _build(generated, "--respondent", "Housing").exit_code == 0
    clash = _build(generated, "--respondent", "Police", "--password", "another")
    assert clash.exit_code == 2 and PASSWORD_FILE in clash.output and "leave out --password" in clash.output
    chosen = tmp_path / "chosen"
    assert _build(chosen, "--respondent", "Housing", "--password", "ours").exit_code == 0
    forgot = _build(chosen, "--respondent", "Police")
    assert forgot.exit_code == 2 and "same --password" in forgot.output
    assert _build(chosen, "--respondent", "Police", "--password", "ours").exit_code == 0
    assert not (chosen / PASSWORD_FILE).exists()
    assert read_manifest(chosen / MANIFEST).respondents == ["Housing", "Police"]


def test_the_manifest_is_written_for_excel_and_read_back_after_excel_saved_it(tmp_path, tiny_dir):
    out = tmp_path / "wb"
    assert _build(out, "--respondent", "Cyngor Sir Ynys Môn £").exit_code == 0
    raw = (out / MANIFEST).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw[3:].decode("utf-8").splitlines()[0] == ",".join(COLUMNS)
    # What Excel's plain "CSV" does on a British PC: Windows-1252, and ";" where the decimal mark is ","
    text = raw[3:].decode("utf-8").replace(",", ";")
    excel = tmp_path / "manifest-excel.csv"
    excel.write_bytes(text.encode("cp1252"))
    manifest = read_manifest(excel)
    assert manifest.respondents == ["Cyngor Sir Ynys Môn £"] and manifest.framework_id == "tiny"
    assert len(manifest.warnings) == 1 and "Windows-1252" in manifest.warnings[0]
