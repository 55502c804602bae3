"""`sheetkit build`: open the built workbooks and check what a respondent would see."""

from __future__ import annotations

import csv
import email
import hashlib
import os
import shutil
import subprocess
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import BUNDLED, IN_CI, build
from sheetkit.cli import cli
from sheetkit.framework.fields import choices
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_LISTS, SHEET_META, SHEET_START
from sheetkit.framework.library import get_framework


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every bundled framework built for three respondents."""
    root = tmp_path_factory.mktemp("built")
    return {fid: build(fid, root / fid) for fid in BUNDLED}


def _validations(ws):
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            found[rng.coord] = dv
    return found


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_sheets_are_protected_answers_unlocked_statements_locked(built, framework_id):
    layout = plan_workbook(get_framework(framework_id))
    wb = openpyxl.load_workbook(built[framework_id][0])
    assert wb.sheetnames == layout.sheet_names + [SHEET_LISTS, SHEET_META]
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.formatRows is False and ws.protection.formatColumns is False  # allowed
    for answer in layout.answers:
        assert wb[answer.sheet][answer.cell].protection.locked is False, (answer.sheet, answer.cell)
    for text in layout.texts:
        cell = wb[text.sheet][text.cell]
        assert cell.protection.locked is not False
        assert cell.value == text.text


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_every_statement_and_level_appears_verbatim_on_its_sheet(built, framework_id):
    fw = get_framework(framework_id)
    layout = plan_workbook(fw)
    wb = openpyxl.load_workbook(built[framework_id][1], read_only=True)
    for sheet in layout.sections:
        values = {str(v) for row in wb[sheet.name].iter_rows(values_only=True) for v in row if v}
        for item in sheet.section.items:
            for statement in item.statements:
                assert statement.text in values, statement.id
            for level in item.levels:
                assert level.text in values, (item.id, level.value)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_dropdowns_offer_exactly_the_scale_and_dates_are_validated(built, framework_id):
    fw = get_framework(framework_id)
    layout = plan_workbook(fw)
    wb = openpyxl.load_workbook(built[framework_id][2])
    per_sheet = {name: _validations(wb[name]) for name in layout.sheet_names}
    for answer in layout.answers:
        dv = per_sheet[answer.sheet].get(answer.cell)
        if answer.field.type == "rating":
            assert dv is not None and dv.type == "list"
            listed = [x.strip('"') for x in dv.formula1.strip('"').split(",")]
            assert listed == list(fw.scale(answer.field.scale).choices)
            assert dv.showErrorMessage and dv.prompt and len(dv.prompt) <= 255
        elif answer.field.type == "date":
            assert dv is not None and dv.type == "date"
        elif answer.field.type == "priority":
            assert dv.formula1.strip('"').split(",") == list(choices(answer.field, fw))


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_metadata_identifies_framework_and_respondent(built, framework_id):
    fw = get_framework(framework_id)
    wb = openpyxl.load_workbook(built[framework_id][0])
    meta_ws = wb[SHEET_META]
    assert meta_ws.sheet_state in ("hidden", "veryHidden")
    meta = {r[0]: r[1] for r in meta_ws.iter_rows(max_col=2, values_only=True) if r[0]}
    assert meta["framework_id"] == fw.id
    assert meta["framework_version"] == fw.version
    assert meta["fingerprint"] == fw.fingerprint
    assert meta["respondent"] == "Adult Social Care"
    assert meta["round"] == "2026 Q4"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["sheetkit_fingerprint"] == fw.fingerprint and props["sheetkit_respondent"] == "Adult Social Care"


def test_start_sheet_says_who_when_and_counts_progress(built):
    wb = openpyxl.load_workbook(built["swia-commissioning"][0])
    ws = wb[SHEET_START]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "Adult Social Care" in text and "2026 Q4" in text and "Social Work Inspection Agency" in text
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=(COUNTA(")]
    assert len(formulas) == 2 * 4 + 2  # ratings and evidence for each of the four themes, and their totals
    assert all(f.endswith('" of 6"') or f.endswith('" of 3"') or f.endswith('" of 5"') or f.endswith('" of 4"')
               or " of " in f for f in formulas)
    links = [c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink]
    theme_sheets = plan_workbook(get_framework("swia-commissioning")).sections
    assert links[:4] == [f"'{s.name}'!A1" for s in theme_sheets] and links[4] == "'Action plan'!A1"
    assert "PROTECTED VIEW" in text and "Enable Editing" in text
    for label in ("Completed by", "Role", "Date completed", "Approved by"):
        assert label in text


def test_manifest_lists_each_file_with_its_hash(tmp_path):
    paths = build("tlap-market", tmp_path, names=("Adult Social Care", "Voluntary Sector Forum"))
    assert (tmp_path / "manifest.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    with open(tmp_path / "manifest.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["respondent"] for r in rows] == ["Adult Social Care", "Voluntary Sector Forum"]
    for row, path in zip(rows, paths):
        assert row["file"] == path.name
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert row["framework_id"] == "tlap-market" and row["fingerprint"] == get_framework("tlap-market").fingerprint
    assert path.name == "tlap-market_voluntary-sector-forum_2026-q4.xlsx"


def test_email_drafts_parse_and_carry_the_workbook(tmp_path):
    respondents = tmp_path / "r.csv"
    respondents.write_text("name,organisation,email,contact\nHousing,Anytown Council,housing@anytown.gov.uk,Sam Patel\n")
    result = CliRunner().invoke(cli, ["build", "wales-commissioning", "--out", str(tmp_path / "out"), "--respondents",
                                      str(respondents), "--emails", "--deadline", "2099-01-31",
                                      "--return-to", "commissioning@anytown.gov.uk"])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "out").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "Sam Patel <housing@anytown.gov.uk>"
    assert "31 January 2099" in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    assert attachment.get_content() == next((tmp_path / "out").glob("*.xlsx")).read_bytes()


@pytest.mark.parametrize("args, message", [
    (["lga-cbx"], "Did you mean: lga-cbo"),
    (["lga-cbo", "--respondent", "Housing", "--respondent", "housing "], "duplicates"),
    (["lga-cbo", "--respondent", "Housing", "--deadline", "2020-01-01"], "in the past"),
    (["lga-cbo", "--respondent", "Housing", "--deadline", "31/12/2026"], "not a date"),
    (["lga-cbo"], "no respondents"),
])
def test_bad_input_gives_a_message_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", *args[:1], "--out", str(out), *args[1:]])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists() or not any(out.iterdir())


def test_names_that_would_make_one_file_are_refused_with_both_rows_and_nothing_written(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,email\nHousing,h@x.org\nCarers' Centre,a@x.org\nCarers Centre,b@x.org\n", encoding="utf-8")
    out = tmp_path / "exercise" / "workbooks"
    result = CliRunner().invoke(cli, ["build", "lga-cbo", "--out", str(out), "--respondents", str(people), "--emails",
                                      "--round", "2026 Q4"])
    assert result.exit_code == 2, result.output
    assert (f"'Carers' Centre' ({people}, row 3) and 'Carers Centre' ({people}, row 4) would both be written as "
            f"lga-cbo_carers-centre_2026-q4.xlsx") in result.output
    assert not any(p.is_file() for p in tmp_path.rglob("*") if p != people)
    # a new respondent whose file another respondent of the exercise already has is refused the same way
    assert CliRunner().invoke(cli, ["build", "lga-cbo", "--out", str(out), "--respondent", "Carers' Centre",
                                    "--round", "2026 Q4", "--password", "pw"]).exit_code == 0
    before = sorted(p.name for p in tmp_path.rglob("*"))
    again = CliRunner().invoke(cli, ["build", "lga-cbo", "--out", str(out), "--respondent", "carers centre!",
                                     "--round", "2026 Q4", "--password", "pw"])
    assert again.exit_code == 2 and "already records as the workbook of 'Carers' Centre'" in again.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_csv_without_name_column_is_refused(tmp_path):
    bad = tmp_path / "people.csv"
    bad.write_text("team,email\nHousing,h@x.org\n")
    result = CliRunner().invoke(cli, ["build", "lga-cbo", "--out", str(tmp_path / "out"), "--respondents", str(bad)])
    assert result.exit_code == 2 and "no 'name' column" in result.output and "people.csv" in result.output
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_is_refused(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/sheetkit-cannot-write-here"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = str(locked / "out")
    result = CliRunner().invoke(cli, ["build", "lga-cbo", "--out", target, "--respondent", "Housing"])
    assert result.exit_code == 4 and "cannot write the workbook for Housing" in result.output, result.output
    assert "Nothing was written." in result.output and not Path(target).exists()


def test_existing_workbooks_are_not_overwritten_without_force(tmp_path):
    runner = CliRunner()
    args = ["build", "ipc-audit", "--out", str(tmp_path / "workbooks"), "--respondent", "Housing", "--password", "pw"]
    assert runner.invoke(cli, args).exit_code == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert runner.invoke(cli, args + ["--force"]).exit_code == 0


def test_respondent_text_is_never_a_formula(tmp_path):
    (path,) = build("tlap-market", tmp_path, names=("=HYPERLINK(\"http://x\")",), round_name="+2026")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    assert cell.data_type == "s"


@pytest.mark.libreoffice
def test_every_bundled_workbook_opens_in_libreoffice(built, tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        if IN_CI:
            pytest.fail("LibreOffice is not installed; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    files = [paths[0] for paths in built.values()]
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
                   check=True, capture_output=True, timeout=240)
    for path in files:
        pdf = tmp_path / (path.stem + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 10_000, path.name


@pytest.mark.slow  # fourteen workbooks written twice, patched and in full
def test_workbooks_patched_from_a_template_are_the_bytes_a_full_build_writes(tmp_path, monkeypatch):
    """From the third respondent of a batch on, a workbook is the stand-in template with the respondent
    patched in, when that is proved to be what the writer would write; awkward names are built in full.
    Each is compared, byte for byte, with the workbook write_workbook writes for the same facts."""
    import datetime as dt
    from dataclasses import replace

    from sheetkit.workbook import template as templates
    from sheetkit.workbook.plan import plan_workbook
    from sheetkit.workbook.writer import WorkbookFacts, write_workbook

    layout = plan_workbook(get_framework("lga-cbo"))
    base = WorkbookFacts("x", "Anytown Council", "lead@anytown.gov.uk", "2026 Q4", dt.date(2027, 1, 29),
                         "commissioning@anytown.gov.uk", "0" * 16, "2026-11-02T09:00:00+00:00", "secret")
    names = ["Adult Social Care", "Public Health", "Housing & Communities", "Carers' Centre <North>", "A" * 90,
             "Cyngor Sir Ynys Môn", "😀 Forum", "<r>rich?</r>", "  leading space", "tab\there", "x_x0041_",
             "Start", "Ratings", "Adult Social Care"]
    made = templates.Templates()
    patched = []
    monkeypatch.setattr(templates.Template, "workbook_for",
                        lambda self, facts, real=templates.Template.workbook_for: patched.append(
                            real(self, facts) is not None) or real(self, facts))
    for n, name in enumerate(names):
        facts = replace(base, respondent=name, build_id=f"{n:016x}", organisation="" if n % 4 == 1 else base.organisation)
        made.write(str(tmp_path / "made.xlsx"), layout, facts)
        write_workbook(str(tmp_path / "full.xlsx"), layout, facts)
        assert (tmp_path / "made.xlsx").read_bytes() == (tmp_path / "full.xlsx").read_bytes(), name
    assert patched.count(True) >= 5 and patched.count(False) >= 4  # both paths taken
