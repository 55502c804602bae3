"""`sheetkit chase`: drafts for the people who have not replied or must put something right.

Every draft is parsed back with the standard library, as a mail program would, and checked
against an independent run of validate: who it goes to, what it says, the cells it lists and
the workbook it carries.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import fill
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.chase import ChaseOptions, chase
from sheetkit.cli import cli
from sheetkit.mail.drafts import Draft, write_draft
from sheetkit.samples.filling import realistic_answers
from sheetkit.common.findings import CATALOGUE
from sheetkit.commands.ingest import IngestOptions
from sheetkit.returns.check import validate_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUILT_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)
SAVED = BUILT_AT + dt.timedelta(days=20)  # every return here is saved on time, whatever day the tests run
FIRST_RUN, SECOND_RUN = dt.date(2026, 12, 3), dt.date(2026, 12, 10)
PEOPLE = [
    Respondent("Adult Social Care", "Anytown Council", "asc@anytown.gov.uk", "Priya Shah"),  # clean return
    Respondent("Housing", "Anytown Council", "housing@anytown.gov.uk", "Tom Reilly"),  # errors
    Respondent("Public Health", "Anytown Council", "ph@anytown.gov.uk", "Ama Mensah"),  # warnings only
    Respondent("Gwasanaethau Cymdeithasol Môn", "Cyngor Sir Ynys Môn", "gwasanaethau@ynysmon.example"),  # silent
    Respondent("Carers' Centre", "Anytown Carers", "", "Jo Evans"),  # silent, no address
    Respondent("Provider Forum", "Anytown Care Association", "chair@anytowncare.org.uk"),  # last round's workbook
]


def _parse(path: Path):
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    defects = list(message.defects) + [d for part in message.walk() for d in part.defects]
    defects += [d for name in message.keys() for d in getattr(message[name], "defects", ())]
    assert not defects, f"{path.name}: {defects}"
    assert message["X-Unsent"] == "1"
    return message


def _body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _listed(body: str, heading_end: str, stop: str) -> list[tuple[str, str]]:
    """The (sheet, cell) pairs listed between two passages of a draft."""
    part = body.split(heading_end, 1)[1].split(stop, 1)[0]
    found = re.findall(r"^  - (?:.*?, on sheet '([^']+)' \(cell ([A-Z]+\d+)\)|Sheet '([^']+)', cell ([A-Z]+\d+)):", part,
                       flags=re.M)
    return [(a or c, b or d) for a, b, c, d in found]


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    """A built exercise and a returns folder: one of each kind of respondent."""
    root = tmp_path_factory.mktemp("chase")
    framework = get_framework("lga-cbo")
    layout = plan_workbook(framework)
    built = build_workbooks(framework, PEOPLE, BuildOptions(out_dir=root / "built", round="2026 Q4",
                                                            deadline="2026-11-30", password="x", now=BUILT_AT))
    workbook = {f.respondent.name: f.workbook for f in built.files}
    returns = root / "returns"
    returns.mkdir()
    answers = realistic_answers(layout, random.Random(1), lean=0.3)
    fill(workbook["Adult Social Care"], returns / "asc.xlsx", answers, saved_at=SAVED)
    ratings = [a.key for a in layout.answers if a.field.type == "rating" and a.field.level == "item"]
    wrong = dict(answers, **{ratings[4]: "4.5", "action/1/due": "n/a", "action/2/due": "1/2/2027"})
    wrong.pop("action/3/owner", None)
    fill(workbook["Housing"], returns / "housing final.xlsx", wrong, saved_at=SAVED)
    fill(workbook["Public Health"], returns / "ph.xlsx", {k: v for k, v in answers.items() if k != ratings[0]},
         saved_at=SAVED)
    old = build_workbooks(framework, [PEOPLE[5]], BuildOptions(out_dir=root / "old", records=root / "old", round="2025 Q4",
                                                                 deadline="2026-11-30", password="x", now=BUILT_AT))
    fill(old.files[0].workbook, returns / "provider.xlsx", answers, saved_at=SAVED)
    return root, built, workbook


def _run(exercise, out: Path, today: dt.date, **options):
    root, built, _ = exercise
    return chase([str(root / "returns")], ChaseOptions(manifest=built.manifest, out_dir=out, today=today,
                                                       emails_from="Anytown Commissioning <lead@anytown.gov.uk>",
                                                       **options))


@pytest.fixture(scope="module")
def first(exercise, tmp_path_factory):
    out = tmp_path_factory.mktemp("drafts")
    return out, _run(exercise, out, FIRST_RUN)


def _case(result, name):
    return next(c for c in result.chased if c.contact.name == name)


def test_each_respondent_gets_what_their_return_calls_for(first):
    _, result = first
    kinds = {c.contact.name: c.kind for c in result.chased}
    assert kinds == {"Adult Social Care": "nothing to ask", "Housing": "correction", "Public Health": "nothing to ask",
                     "Gwasanaethau Cymdeithasol Môn": "reminder", "Carers' Centre": "reminder",
                     "Provider Forum": "correction"}
    drafts = sorted(p.name for p in result.drafts_dir.glob("*.eml"))
    assert drafts == sorted(c.draft.name for c in result.chased if c.draft)
    assert len(drafts) == 4
    text = result.render()
    assert "Public Health <ph@anytown.gov.uk>: return ph.xlsx accepted, 1 warning(s)" in text
    assert "No email address for Carers' Centre" in text


def test_reminder_goes_to_the_respondent_with_their_own_workbook(first, exercise):
    _, result = first
    _, built, workbook = exercise
    case = _case(result, "Gwasanaethau Cymdeithasol Môn")
    message = _parse(case.draft)
    assert message["To"].addresses[0].display_name == "Gwasanaethau Cymdeithasol Môn"
    assert message["To"].addresses[0].addr_spec == "gwasanaethau@ynysmon.example"
    assert message["From"].addresses[0].addr_spec == "lead@anytown.gov.uk"
    assert message["Subject"].startswith("Reminder: ") and "Gwasanaethau Cymdeithasol Môn" in message["Subject"]
    body = _body(message)
    assert "Monday 30 November 2026, so it is now overdue by 3 days" in body
    assert "lead@anytown.gov.uk" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == workbook["Gwasanaethau Cymdeithasol Môn"].name
    assert attachment.get_content() == workbook["Gwasanaethau Cymdeithasol Môn"].read_bytes()


def test_respondent_without_address_gets_a_draft_with_no_recipient(first):
    _, result = first
    case = _case(result, "Carers' Centre")
    message = _parse(case.draft)
    assert message["To"] is None
    assert _body(message).startswith("Dear Jo Evans,")  # the manifest's contact person
    assert any("To: line" in note for note in case.notes)
    assert result.to_dict()["no_email"] == ["Carers' Centre"]


def test_correction_lists_exactly_the_cells_validate_finds(first, exercise):
    root, built, _ = exercise
    _, result = first
    report = validate_returns([str(root / "returns")], IngestOptions(manifest=str(built.manifest)))
    housing = next(r for r in report.returns if r.respondent == "Housing")
    errors = [(f.sheet, f.cell) for f in housing.findings if f.is_error]
    warnings = [(f.sheet, f.cell) for f in housing.findings if not f.is_error and CATALOGUE[f.code].respondent]
    assert len(errors) == 3 and warnings
    message = _parse(_case(result, "Housing").draft)
    assert message["To"].addresses[0].display_name == "Tom Reilly"
    assert "please check a few cells" in message["Subject"]
    body = _body(message)
    assert sorted(_listed(body, "attention before we can use all of your answers:", "Everything else")) == sorted(errors)
    assert sorted(_listed(body, "These are optional", "With thanks")) == sorted(warnings)
    assert "the rating '4.5' is not one of 1\u201310; please pick from the list" in body
    assert re.search(r"^  - 'Due date' of the action '[^\n]+', on sheet 'Action plan' \(cell [A-Z]+\d+\): 'n/a' is not "
                     r"a date", body, flags=re.M)
    assert re.search(r"^  - Standard 5, 'Self-assessment rating \(1-10\)', on sheet '2 Inclusive' \(cell [A-Z]+\d+\): "
                     r"the rating '4.5'", body, flags=re.M)
    assert "the date '1/2/2027' could be read as day/month or as month/day" in body
    assert "Everything else we read is fine, including the sheets 'Start'" in body
    assert not list(message.iter_attachments())  # they correct their own copy


def test_each_problem_names_the_question_the_respondent_sees_at_its_cell(first, exercise):
    """Read as the respondent would: go to the sheet and cell a line names and find there the
    question it names (the label on the row, or the heading of the column), and its Ref."""
    root, _, _ = exercise
    _, result = first
    body = _body(_parse(_case(result, "Housing").draft))
    wb = openpyxl.load_workbook(root / "returns" / "housing final.xlsx")
    lines = re.findall(r"^  - (.+?), on sheet '([^']+)' \(cell ([A-Z]+)(\d+)\):", body, flags=re.M)
    assert len(lines) >= 4
    for question, sheet, col, row in lines:
        ws, row = wb[sheet], int(row)
        label = re.search(r"'([^']+)'", question)[1]
        header_row = next(r for r in range(1, 10) if str(ws.cell(r, 1).value or "").strip() in ("Ref", "#"))
        on_row = " ".join(str(c.value or "") for c in ws[row][:openpyxl.utils.column_index_from_string(col) - 1])
        header = str(ws[f"{col}{header_row}"].value or "")
        assert label in on_row or header.startswith(label), (question, sheet, col, row)
        ref = question.split(",", 1)[0].split()[-1]
        if question.startswith("Standard"):
            assert str(ws.cell(row, 1).value).strip() == ref, (question, ws.cell(row, 1).value)
        if "of the action '" in question:
            action = question.split("of the action '", 1)[1].rstrip("'").rstrip(".")
            assert action.rstrip(".") [:20] in on_row + " ".join(str(c.value or "") for c in ws[row]), question


def test_rejected_return_gets_a_correction_and_a_fresh_workbook(first, exercise):
    _, _, workbook = exercise
    _, result = first
    case = _case(result, "Provider Forum")
    assert "received but rejected" in case.why
    message = _parse(case.draft)
    body = _body(message)
    assert "The workbook: this is the workbook for another assessment round" in body
    assert "could not use that file at all" in body
    assert "A fresh copy of your workbook (" + workbook["Provider Forum"].name + ") is attached" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content() == workbook["Provider Forum"].read_bytes()


def test_warnings_only_and_clean_returns_get_no_draft(first):
    out, result = first
    for name in ("Adult Social Care", "Public Health"):
        assert _case(result, name).draft is None
    assert not list(out.rglob("*Public Health*")) and not list(out.rglob("*Adult*"))


def test_log_and_second_run_escalate(exercise, tmp_path):
    _run(exercise, tmp_path, FIRST_RUN)
    _run(exercise, tmp_path, FIRST_RUN)  # run again the same day: redrafts, does not escalate
    raw = (tmp_path / "chase.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "chase.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["respondent"], r["kind"]) for r in rows) == [
        ("Carers' Centre", "reminder"), ("Gwasanaethau Cymdeithasol Môn", "reminder"),
        ("Housing", "correction"), ("Provider Forum", "correction")]
    assert {r["date"] for r in rows} == {"2026-12-03"}
    assert next(r for r in rows if r["respondent"].startswith("Gwas"))["attached"].endswith(".xlsx")

    second = _run(exercise, tmp_path, SECOND_RUN)
    case = _case(second, "Gwasanaethau Cymdeithasol Môn")
    assert case.earlier == [FIRST_RUN]
    assert "reminded on 3 December" in second.render()
    message = _parse(case.draft)
    assert message["Subject"].startswith("Still awaited: ")
    assert "We wrote to you about this on 3 December" in _body(message)
    assert "overdue by 10 days" in _body(message)
    housing = _parse(_case(second, "Housing").draft)
    assert housing["Subject"].startswith("Still to put right: ")
    assert case.draft.parent.name == "2026-12-10"
    with (tmp_path / "chase.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 8


def test_before_any_return_everyone_is_reminded(exercise, tmp_path):
    root, built, _ = exercise
    empty = tmp_path / "returns"
    empty.mkdir()
    result = chase([str(empty)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "out",
                                              today=dt.date(2026, 11, 20)))
    assert {c.kind for c in result.chased} == {"reminder"}
    body = _body(_parse(_case(result, "Housing").draft))
    assert "The deadline is Monday 30 November 2026, in 10 days." in body


def test_a_second_run_the_same_day_leaves_no_stale_draft(exercise, tmp_path):
    root, built, _ = exercise
    empty = tmp_path / "nothing-yet"
    empty.mkdir()
    morning = chase([str(empty)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "out", today=FIRST_RUN))
    assert len(list(morning.drafts_dir.glob("*.eml"))) == len(PEOPLE)
    afternoon = _run(exercise, tmp_path / "out", FIRST_RUN)
    assert sorted(p.name for p in afternoon.drafts_dir.glob("*.eml")) == sorted(
        c.draft.name for c in afternoon.chased if c.draft)
    assert not (afternoon.drafts_dir / "reminder_Adult Social Care.eml").exists()


def test_workbook_is_not_attached_unless_it_is_the_one_built(exercise, tmp_path):
    root, built, workbook = exercise
    folder = tmp_path / "exercise-copy"  # the records, and the workbooks in a folder beside them, as build keeps them
    shutil.copytree(built.out_dir, folder / "workbooks")
    shutil.copy(built.manifest, folder / "manifest.csv")
    sent = folder / "workbooks" / workbook["Gwasanaethau Cymdeithasol Môn"].name
    fill(workbook["Housing"], sent, {}, saved_at=SAVED)  # same name, other bytes
    result = chase([str(root / "returns")], ChaseOptions(manifest=folder / "manifest.csv", out_dir=tmp_path / "out",
                                                         today=FIRST_RUN))
    case = _case(result, "Gwasanaethau Cymdeithasol Môn")
    assert case.attached is None and "SHA-256 differs" in case.notes[0]
    assert not list(_parse(case.draft).iter_attachments())
    assert _case(result, "Carers' Centre").attached == folder / "workbooks" / workbook["Carers' Centre"].name


def test_own_templates_replace_the_bundled_ones(exercise, tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "reminder.txt").write_text("Subject: Nodyn atgoffa i $respondent\n\nAnnwyl $addressee,\n\n$deadline_line\n",
                                      encoding="utf-8")
    result = _run(exercise, tmp_path / "out", FIRST_RUN, templates=own)
    message = _parse(_case(result, "Gwasanaethau Cymdeithasol Môn").draft)
    assert message["Subject"] == "Nodyn atgoffa i Gwasanaethau Cymdeithasol Môn"
    assert _body(message).startswith("Annwyl Gwasanaethau Cymdeithasol Môn,\n\nThe deadline was")
    assert _parse(_case(result, "Housing").draft)["Subject"].endswith("please check a few cells")


def test_sample_exercise(tmp_path):
    folder = SAMPLES / "lga-cbo"
    if not (folder / "returns").is_dir():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    result = chase([str(folder / "returns")], ChaseOptions(manifest=folder / "manifest.csv", out_dir=tmp_path,
                                                           today=FIRST_RUN))
    kinds = {c.contact.name: c.kind for c in result.chased if c.kind != "nothing to ask"}
    assert kinds == {"Carers' Centre": "reminder", "Provider Forum": "correction"}
    report = validate_returns([str(folder / "returns")], IngestOptions(manifest=str(folder / "manifest.csv")))
    provider = next(r for r in report.returns if r.respondent == "Provider Forum")
    body = _body(_parse(_case(result, "Provider Forum").draft))
    listed = _listed(body, "attention before we can use all of your answers:", "Everything else")
    assert sorted(listed) == sorted((f.sheet, f.cell) for f in provider.findings if f.is_error)
    reminder = _parse(_case(result, "Carers' Centre").draft)
    assert reminder["To"].addresses[0].addr_spec == "hello@anytowncarers.org.uk"
    assert "not found" in _case(result, "Carers' Centre").notes[0]  # the samples keep no built workbooks


def test_cli_json_and_refusals(exercise, tmp_path):
    root, built, _ = exercise
    runner = CliRunner()
    result = runner.invoke(cli, ["chase", str(root / "returns"), "--manifest", str(built.manifest), "--out",
                                 str(tmp_path / "out"), "--today", "2026-12-03", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["today"] == "2026-12-03"
    housing = next(r for r in data["respondents"] if r["respondent"] == "Housing")
    assert housing["kind"] == "correction" and len(housing["problems"]) == 3
    inside = runner.invoke(cli, ["chase", str(root / "returns"), "--manifest", str(built.manifest), "--out",
                                 str(root / "returns" / "drafts")])
    assert inside.exit_code == 2 and "inside the returns folder" in inside.output
    assert not (root / "returns" / "drafts").exists()


def test_utf8_attachment_name_is_encoded_for_every_mail_program(tmp_path):
    workbook = tmp_path / "Gwasanaethau Cymdeithasol Môn.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")
    path = write_draft(tmp_path / "d.eml", Draft("Pwnc: Môn", "Annwyl Môn,\n", (("Siôn Môn", "sion@mon.example"),),
                                                 "", workbook))
    raw = path.read_bytes()
    assert raw.isascii()
    unfolded = raw.replace(b"\r\n ", b" ")
    assert b"filename*=utf-8''Gwasanaethau%20Cymdeithasol%20M%C3%B4n.xlsx" in unfolded
    assert f"\r\nContent-Type: {XLSX}\r\n".encode() in raw  # the type itself never encoded or folded
    message = _parse(path)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "Gwasanaethau Cymdeithasol Môn.xlsx"
    assert attachment.get_content() == workbook.read_bytes()
    assert message["Subject"] == "Pwnc: Môn" and str(message["To"]) == "Siôn Môn <sion@mon.example>"


FRAMEWORK_FILE_CODES = {"yaml-invalid", "key-unknown", "key-missing", "value-invalid", "id-duplicate",
                        "level-outside-scale", "scale-unknown", "field-unknown"}


def test_every_code_a_return_can_have_is_worded_for_respondents_or_marked_for_the_lead():
    for code, info in CATALOGUE.items():
        if code in FRAMEWORK_FILE_CODES:
            continue
        assert info.respondent or info.lead_only, f"say in the catalogue how a respondent reads {code}, or mark it lead_only"
        assert not (info.respondent and info.lead_only), code
        if info.respondent:
            assert info.respondent.format(value="v", label="l", levels="1\u201310", choices="a, b")


def test_an_empty_return_is_asked_for_again_and_drafts_are_reproducible(exercise, tmp_path):
    root, built, workbook = exercise
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    fill(workbook["Carers' Centre"], returns / "carers.xlsx", {}, saved_at=SAVED)  # opened, saved, sent back blank
    first = chase([str(returns)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "a", today=FIRST_RUN))
    again = chase([str(returns)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "b", today=FIRST_RUN))
    case = _case(first, "Carers' Centre")
    assert case.kind == "correction" and "it is empty" in case.why
    body = _body(_parse(case.draft))
    assert "The workbook: the workbook came back with no answers in it" in body
    assert "optional" not in body and "fine" not in body  # not the dozens of blank ratings
    for one, other in zip(first.chased, again.chased):
        if one.draft:
            assert one.draft.read_bytes() == other.draft.read_bytes()


def test_a_workbook_sent_back_unopened_is_chased_as_returned_unchanged(exercise, tmp_path):
    root, built, workbook = exercise
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    shutil.copy(workbook["Carers' Centre"], returns / "carers.xlsx")  # the very file sent, attached back
    report = validate_returns([str(returns)], IngestOptions(manifest=str(built.manifest)))
    carers = next(r for r in report.returns if r.file.endswith("carers.xlsx"))
    assert carers.status == "rejected" and [f.code for f in carers.findings] == ["return-unchanged"]
    assert report.chase_why["Carers' Centre"] == "returned unchanged: carers.xlsx"
    result = chase([str(returns)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "out", today=FIRST_RUN))
    case = _case(result, "Carers' Centre")
    assert case.kind == "correction" and "returned unchanged" in case.why
    body = _body(_parse(case.draft))
    assert "came back exactly as we sent it, with nothing filled in" in body
    assert "none of its answers are counted yet" in body


def test_a_pdf_or_csv_instead_of_the_workbook_is_named_in_the_reminder(exercise, tmp_path):
    root, built, workbook = exercise
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    stem = workbook["Carers' Centre"].stem
    (returns / f"{stem}.pdf").write_bytes(b"%PDF-1.4\n%scanned return\n")
    (returns / "Gwasanaethau Cymdeithasol Môn - return.csv").write_text("rating\n3\n", encoding="utf-8")
    result = chase([str(returns)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "out", today=FIRST_RUN))
    carers, mon = _case(result, "Carers' Centre"), _case(result, "Gwasanaethau Cymdeithasol Môn")
    assert carers.kind == mon.kind == "reminder"
    assert carers.why == f"received but unusable: {stem}.pdf (it is a PDF document, not the workbook)"
    body = " ".join(_body(_parse(carers.draft)).split())
    assert (f"Your file {stem}.pdf arrived, but it is a PDF document, not the workbook, so we could not use it. "
            f"Please send the workbook itself (the .xlsx file).") in body
    body = " ".join(_body(_parse(mon.draft)).split())
    assert "Your file Gwasanaethau Cymdeithasol Môn - return.csv arrived, but the file is text such as a CSV file" in body
    plain = _body(_parse(_case(result, "Housing").draft))
    assert "arrived, but" not in plain


def test_files_nobody_can_be_given_are_listed_for_the_lead(exercise, tmp_path):
    root, built, workbook = exercise
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    (returns / workbook["Carers' Centre"].name).write_bytes(b"name,rating\nCarers,3\n")  # a CSV saved as .xlsx
    stranger = build_workbooks(get_framework("lga-cbo"), [Respondent("Fire and Rescue")], BuildOptions(
        out_dir=tmp_path / "other", records=tmp_path / "other", round="2026 Q4", deadline="2026-11-30",
        password="x", now=BUILT_AT))
    fill(stranger.files[0].workbook, returns / "fire.xlsx", {}, saved_at=SAVED)
    result = chase([str(returns)], ChaseOptions(manifest=built.manifest, out_dir=tmp_path / "out", today=FIRST_RUN))
    unreadable, unknown = sorted(result.unmatched, key=lambda note: "Fire and Rescue" in note)
    assert workbook["Carers' Centre"].name in unreadable and "its name is that of Carers' Centre's workbook" in unreadable
    assert "fire.xlsx is from 'Fire and Rescue', who is not in the manifest" in unknown
    assert _case(result, "Carers' Centre").kind == "reminder"  # an unreadable file is never pinned on anyone
    assert "Not matched to anyone in the manifest" in result.render()


def test_an_email_column_that_is_not_an_address_is_left_out_and_said(exercise, tmp_path):
    root, built, _ = exercise
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(built.manifest.read_text(encoding="utf-8-sig").replace("housing@anytown.gov.uk", "ask Tom"),
                        encoding="utf-8-sig")
    result = chase([str(root / "returns")], ChaseOptions(manifest=manifest, out_dir=tmp_path / "out", today=FIRST_RUN))
    case = _case(result, "Housing")
    assert _parse(case.draft)["To"] is None
    assert "its email column holds 'ask Tom'" in case.render()
    assert "No email address for Housing, Carers' Centre:" in result.render()


def test_a_template_without_its_subject_line_is_refused_with_the_file_named(exercise, tmp_path):
    root, built, _ = exercise
    own = tmp_path / "templates"
    own.mkdir()
    (own / "correction.txt").write_text("Dear $addressee,\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["chase", str(root / "returns"), "--manifest", str(built.manifest), "--out",
                                      str(tmp_path / "out"), "--templates", str(own)])
    assert result.exit_code == 2
    assert f"template {own / 'correction.txt'}, line 1: expected 'Subject: ...'" in result.output
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_findings_for_the_lead_to_settle_never_reach_the_respondent():
    from sheetkit.commands.chase import _decide
    from sheetkit.roster.contacts import Contact
    from sheetkit.mail.corrections import needs_correction, problems
    from sheetkit.common.findings import Finding
    from sheetkit.returns.model import CheckedReturn

    conflict = Finding("return-conflict", "housing.xlsx and housing (2).xlsx were saved by different people",
                       file="housing.xlsx")
    ret = CheckedReturn("housing.xlsx", "", respondent="Housing", findings=[conflict])
    case = _decide(Contact("Housing"), [ret])
    assert case.kind == "nothing to ask" and case.notes == [f"settle first: {conflict.message}"]
    wrong = Finding("rating-out-of-scale", "rating '4.5' ...", file="housing.xlsx", sheet="2 Inclusive", cell="D9")
    ret.findings.append(wrong)
    assert needs_correction(ret) and _decide(Contact("Housing"), [ret]).kind == "correction"
    must, may = problems(ret, None)
    assert [p.finding for p in must] == [wrong] and may == []
    forwarded = Finding("return-forwarded", "saved by Priya Shah, who saved Adult Social Care's return",
                        file="h.xlsx")
    held = CheckedReturn("h.xlsx", "", respondent="Housing", findings=[forwarded])
    held.reject("possibly filled in for Adult Social Care")
    case = _decide(Contact("Housing"), [held])
    assert case.kind == "reminder" and case.notes == [f"settle first: {forwarded.message}"]


def test_prefer_settles_which_return_chase_reads_as_validate_does(tmp_path):
    folder = SAMPLES / "lga-cbo"
    if not (folder / "returns").is_dir():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    result = CliRunner().invoke(cli, ["chase", str(folder / "returns"), "--manifest", str(folder / "manifest.csv"),
                                      "--out", str(tmp_path), "--today", "2026-12-03", "--json",
                                      "--prefer", "DRAFT lga-cbo_housing_2026-q4.xlsx"])
    assert result.exit_code == 0, result.output
    housing = next(r for r in json.loads(result.output)["respondents"] if r["respondent"] == "Housing")
    assert housing["kind"] == "nothing to ask" and housing["return_file"].endswith("DRAFT lga-cbo_housing_2026-q4.xlsx")
