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
    stages = {"first": (_hashes(out), (out.parent / PASSWORD_FILE).read_bytes(), read_manifest(out.parent / MANIFEST))}
    added = _build(out, "--respondent", "Fire and Rescue")
    assert added.exit_code == 0, added.output
    stages["added"] = (_hashes(out), (out.parent / PASSWORD_FILE).read_bytes(), read_manifest(out.parent / MANIFEST))
    again = _build(out, "--respondent", "housing", "--force")
    assert again.exit_code == 0, again.output
    return out, stages, json.loads(again.output)


def test_adding_and_reissuing_keeps_every_record_and_the_password(exercise):
    out, stages, reissue = exercise
    manifest = read_manifest(out.parent / MANIFEST)
    assert manifest.respondents == list(EIGHT) + ["Fire and Rescue"]
    first_hashes, password_file, first_manifest = stages["first"]
    assert (out.parent / PASSWORD_FILE).read_bytes() == password_file  # never replaced
    password = read_password(out.parent / PASSWORD_FILE)
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
    assert read_manifest(out.parent / MANIFEST).entry("Fire and Rescue").previous_build_ids == ""


def test_ingest_against_the_grown_manifest(exercise, tmp_path):
    out, _, _ = exercise
    manifest = read_manifest(out.parent / MANIFEST)
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, name in enumerate(("Housing", "Fire and Rescue", "Cyngor Sir Ynys Môn")):
        entry = manifest.entry(name)
        fill(out / entry.file, returns / entry.file, random_answers("tiny", seed=n))
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(out.parent / MANIFEST), out=tmp_path / "c.xlsx"))
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
    generated = tmp_path / "generated" / "workbooks"
    assert _build(generated, "--respondent", "Housing").exit_code == 0
    clash = _build(generated, "--respondent", "Police", "--password", "another")
    assert clash.exit_code == 2 and PASSWORD_FILE in clash.output and "leave out --password" in clash.output
    chosen = tmp_path / "chosen" / "workbooks"
    assert _build(chosen, "--respondent", "Housing", "--password", "ours").exit_code == 0
    forgot = _build(chosen, "--respondent", "Police")
    assert forgot.exit_code == 2 and "same --password" in forgot.output
    assert _build(chosen, "--respondent", "Police", "--password", "ours").exit_code == 0
    assert not (chosen.parent / PASSWORD_FILE).exists()
    assert read_manifest(chosen.parent / MANIFEST).respondents == ["Housing", "Police"]


def test_the_manifest_is_written_for_excel_and_read_back_after_excel_saved_it(tmp_path, tiny_dir):
    out = tmp_path / "wb"
    assert _build(out, "--respondent", "Cyngor Sir Ynys Môn £").exit_code == 0
    raw = (out.parent / MANIFEST).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw[3:].decode("utf-8").splitlines()[0] == ",".join(COLUMNS)
    # What Excel's plain "CSV" does on a British PC: Windows-1252, and ";" where the decimal mark is ","
    text = raw[3:].decode("utf-8").replace(",", ";")
    excel = tmp_path / "manifest-excel.csv"
    excel.write_bytes(text.encode("cp1252"))
    manifest = read_manifest(excel)
    assert manifest.respondents == ["Cyngor Sir Ynys Môn £"] and manifest.framework_id == "tiny"
    assert len(manifest.warnings) == 1 and "Windows-1252" in manifest.warnings[0]


def test_the_send_folder_holds_only_what_is_sent_and_the_records_are_found_beside_the_returns(tmp_path, tiny_dir):
    exercise = tmp_path / "exercise"
    built = _build(exercise / "workbooks", "--respondent", "Housing", "--respondent", "Health", "--emails")
    assert built.exit_code == 0, built.output
    result = json.loads(built.output)
    assert result["manifest"] == str(exercise / MANIFEST) and result["password_file"] == str(exercise / PASSWORD_FILE)
    assert sorted(p.suffix for p in (exercise / "workbooks").iterdir()) == [".eml", ".eml", ".xlsx", ".xlsx"]
    said = CliRunner().invoke(cli, ["build", "tiny", "--out", str(exercise / "workbooks"), "--round", "2026 Q4",
                                    "--respondent", "Police"]).output
    assert f"Your records, not for sending: the manifest {exercise / MANIFEST}" in said
    returns = exercise / "returns"
    returns.mkdir()
    entry = read_manifest(exercise / MANIFEST).entry("Housing")
    fill(exercise / "workbooks" / entry.file, returns / entry.file, random_answers("tiny"))
    for command in (["validate"], ["ingest", "--out", str(exercise / "consolidated.xlsx")],
                    ["chase", "--out", str(exercise / "chase")]):
        run = CliRunner().invoke(cli, [command[0], str(returns), *command[1:]])
        assert run.exit_code == 0, run.output
        assert f"Manifest: {exercise / MANIFEST} (found beside the returns folder {returns})" in run.output
    validated = json.loads(CliRunner().invoke(cli, ["validate", str(returns), "--json"]).output)
    assert validated["manifest"] == str(exercise / MANIFEST) and validated["expected"] == 3
    chased = json.loads(CliRunner().invoke(cli, ["chase", str(returns), "--out", str(tmp_path / "c"), "--json"]).output)
    reminder = next(r for r in chased["respondents"] if r["respondent"] == "Health")
    assert reminder["attached"] == str(exercise / "workbooks" / read_manifest(exercise / MANIFEST).entry("Health").file)


def test_an_earlier_exercise_keeps_its_records_beside_the_workbooks(tmp_path, tiny_dir):
    exercise = tmp_path / "exercise"
    out = exercise / "workbooks"
    assert _build(out, "--respondent", "Housing").exit_code == 0
    for name in (MANIFEST, PASSWORD_FILE):  # where sheetkit before this release wrote them
        (exercise / name).replace(out / name)
    password = (out / PASSWORD_FILE).read_bytes()
    added = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--round", "2026 Q4", "--respondent", "Police"])
    assert added.exit_code == 0, added.output
    assert "kept beside the workbooks" in added.output and f"the manifest {out / MANIFEST}" in added.output
    assert not (exercise / MANIFEST).exists() and not (exercise / PASSWORD_FILE).exists()
    assert read_manifest(out / MANIFEST).respondents == ["Housing", "Police"]
    assert (out / PASSWORD_FILE).read_bytes() == password
    (exercise / MANIFEST).write_bytes((out / MANIFEST).read_bytes().replace(b"Police", b"Fire"))
    both = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--round", "2026 Q4", "--respondent", "Health"])
    assert both.exit_code == 2 and "differ" in both.output and "--records" in both.output


def test_two_manifests_that_disagree_are_never_guessed_between(tmp_path, tiny_dir):
    exercise = tmp_path / "exercise"
    assert _build(exercise / "workbooks", "--respondent", "Housing").exit_code == 0
    returns = exercise / "returns"
    returns.mkdir()
    entry = read_manifest(exercise / MANIFEST).entry("Housing")
    fill(exercise / "workbooks" / entry.file, returns / entry.file, random_answers("tiny"))
    (returns / MANIFEST).write_bytes((exercise / MANIFEST).read_bytes())  # the same copy: no doubt
    assert CliRunner().invoke(cli, ["validate", str(returns)]).exit_code == 0
    (returns / MANIFEST).write_text("respondent,build_id\nSomeone else,abc\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["validate", str(returns)])
    assert refused.exit_code == 2 and "disagree" in refused.output and "--manifest" in refused.output
    assert CliRunner().invoke(cli, ["validate", str(returns), "--manifest", str(exercise / MANIFEST)]).exit_code == 0


def test_records_can_be_kept_elsewhere(tmp_path, tiny_dir):
    out, records = tmp_path / "send", tmp_path / "private"
    assert _build(out, "--respondent", "Housing", "--records", str(records)).exit_code == 0
    assert (records / MANIFEST).is_file() and (records / PASSWORD_FILE).is_file()
    assert not (tmp_path / MANIFEST).exists() and [p.suffix for p in out.iterdir()] == [".xlsx"]
