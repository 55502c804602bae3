"""`sheetkit ingest --feedback`: each partner sees their ratings beside the partnership's.

The figures are computed here, independently, from the answers typed into the returns; the
files are searched for every other partner's name and evidence text.
"""

from __future__ import annotations

import datetime as dt
import errno
import shutil
import statistics
import subprocess
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import IN_CI, TINY_FRAMEWORK, build, fill, framework_folder
from sheetkit.cli import cli
from sheetkit.framework.library import get_framework

PEOPLE = ("Respondent Alpha", "Respondent Bravo", "Respondent Charlie", "Respondent Delta")
# rating values (scale 1-3) by item, person by person: on item 1 Alpha sits apart, low;
# on item 2 the partners are split, Alpha and Bravo low, Charlie and Delta high
RATINGS = {"1": (1, 3, 3, 3), "2": (1, 1, 3, 3)}
EXPECTED_WHERE = {"1": ("apart: lower than every other partner", "", "", ""),
                  "2": ("split: in the lower camp", "split: in the lower camp", "split: in the higher camp",
                        "split: in the higher camp")}


def _answers(framework, n: int, person: str) -> dict:
    scale = framework.scale("rating")
    choice = {lv.value: lv.choice for lv in scale.levels}
    short = person.split()[-1].upper()
    return {
        "item/1/rating": choice[RATINGS["1"][n]], "item/2/rating": choice[RATINGS["2"][n]],
        "statement/1.1/evidence": f"EVIDENCE-OF-{short} about our population",
        "statement/2.1/evidence": f"EVIDENCE-OF-{short} about joint plans",
        "item/1/actions": f"ACTION-OF-{short}: refresh the needs assessment",
        "item/1/owner": f"OWNER-OF-{short}",
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The tiny framework's workbooks, built and filled once for the module (each test works on its own copy)."""
    root = tmp_path_factory.mktemp("feedback")
    with framework_folder(root / "my-frameworks", "tiny", TINY_FRAMEWORK):
        framework = get_framework("tiny")
        built = build("tiny", root / "built", names=PEOPLE)
        returns = root / "returns"
        returns.mkdir()
        for n, (person, path) in enumerate(zip(PEOPLE, built)):
            fill(path, returns / path.name, _answers(framework, n, person))
    return root


@pytest.fixture
def exercise(made, tmp_path, monkeypatch):
    """A copy of the made exercise, with its framework folder registered: (folder, framework)."""
    for part in made.iterdir():
        shutil.copytree(part, tmp_path / part.name)
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(tmp_path / "my-frameworks"))
    return tmp_path, get_framework("tiny")


def _ingest(tmp_path, *extra):
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "returns"), "--manifest",
                                      str(tmp_path / "built" / "manifest.csv"), "--out", str(tmp_path / "c.xlsx"),
                                      "--feedback", str(tmp_path / "feedback"), *extra])
    assert result.exit_code == 0, result.output
    return tmp_path / "feedback"


def _all_text(path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return str(message["Subject"]) + str(message["To"]) + message.get_body(("plain",)).get_content()


def test_feedback_figures_match_an_independent_count(exercise):
    tmp_path, framework = exercise
    folder = _ingest(tmp_path)
    for n, person in enumerate(PEOPLE):
        wb = openpyxl.load_workbook(folder / f"feedback_{person}.xlsx")
        rows = [r for r in wb["Your ratings"].iter_rows(min_row=4, values_only=True) if r[0]]
        assert [r[0] for r in rows] == ["1", "2"]  # the Ref a partner gives to propose a revised rating
        assert [r[2].split(":")[0] for r in rows] == ["Standard one", "Standard two"]
        differ_expected = []
        for item, row in zip(("1", "2"), rows):
            everyone = RATINGS[item]
            others = [v for m, v in enumerate(everyone) if m != n]
            assert row[3:9] == (everyone[n], statistics.median(everyone), min(everyone), max(everyone), 4,
                                statistics.median(others))
            assert (row[9] or "") == EXPECTED_WHERE[item][n]
            if EXPECTED_WHERE[item][n]:
                differ_expected.append(row[2])
        differ = [r[2] for r in wb["Where you differ"].iter_rows(min_row=4, values_only=True) if r[0] and r[3]]
        assert differ == differ_expected
        actions = [r[3] for r in wb["Others' actions"].iter_rows(min_row=4, values_only=True) if r[0]]
        assert sorted(actions) == sorted(f"ACTION-OF-{p.split()[-1].upper()}: refresh the needs assessment"
                                         for p in PEOPLE if p != person)
    alpha = BytesParser(policy=policy.default).parsebytes((folder / f"feedback_{PEOPLE[0]}.eml").read_bytes())
    body = alpha.get_body(("plain",)).get_content()
    assert "Of your ratings, on 2 item(s) you sit apart from the other partners, or they are split" in body
    assert "you rated 1 (apart: lower than every other partner); the others' median is 3" in body
    (attachment,) = list(alpha.iter_attachments())
    assert attachment.get_content() == (folder / f"feedback_{PEOPLE[0]}.xlsx").read_bytes()


def test_feedback_shows_no_other_partner_s_evidence_or_name(exercise):
    tmp_path, _ = exercise
    folder = _ingest(tmp_path)
    for person in PEOPLE:
        for suffix in (".xlsx", ".eml"):
            text = _all_text(folder / f"feedback_{person}{suffix}")
            for other in PEOPLE:
                if other == person:
                    continue
                short = other.split()[-1].upper()
                assert other not in text and f"EVIDENCE-OF-{short}" not in text and f"OWNER-OF-{short}" not in text


def test_evidence_is_shown_only_when_asked_and_still_unnamed(exercise):
    tmp_path, _ = exercise
    folder = _ingest(tmp_path, "--feedback-evidence")
    wb = openpyxl.load_workbook(folder / f"feedback_{PEOPLE[0]}.xlsx")
    shown = [r[4] for r in wb["Others' evidence"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert sorted(shown) == sorted(f"EVIDENCE-OF-{p.split()[-1].upper()} about {what}"
                                   for p in PEOPLE[1:] for what in ("our population", "joint plans"))
    text = _all_text(folder / f"feedback_{PEOPLE[0]}.xlsx")
    assert not any(other in text for other in PEOPLE[1:])


@pytest.mark.libreoffice
def test_sample_feedback_keeps_what_was_typed_off_the_scale_and_opens_in_libreoffice(tmp_path):
    samples = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
    if not (samples / "returns").is_dir():
        pytest.skip("the sample exercise is not in this checkout; make it with 'sheetkit samples'")
    result = CliRunner().invoke(cli, ["ingest", str(samples / "returns"), "--manifest", str(samples / "manifest.csv"),
                                      "--out", str(tmp_path / "c.xlsx"), "--feedback", str(tmp_path / "fb")])
    assert result.exit_code == 1, result.output  # the sample has a return with errors on purpose
    assert sorted(p.stem for p in (tmp_path / "fb").glob("*.xlsx")) == sorted(
        f"feedback_{name}" for name in ("Adult Social Care", "Housing", "Public Health", "Anytown Integrated Care Board",
                                        "Voluntary Sector Forum", "Provider Forum"))
    provider = tmp_path / "fb" / "feedback_Provider Forum.xlsx"
    mine = [row[3] for row in openpyxl.load_workbook(provider)["Your ratings"].iter_rows(min_row=4, values_only=True)]
    assert "'4.5' (not on the scale)" in mine and "'Good' (not on the scale)" in mine
    soffice = shutil.which("soffice")
    if not soffice:
        if IN_CI:
            pytest.fail("LibreOffice is not installed; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "csv", "--outdir", str(tmp_path), str(provider)],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    shown = (tmp_path / "feedback_Provider Forum.csv").read_text(encoding="utf-8", errors="replace")
    assert "'4.5' for Standard 1" in shown and "Median of the others" in shown  # the first sheet: the letter


def _message(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def test_feedback_drafts_come_from_the_lead(exercise):
    tmp_path, _ = exercise
    folder = _ingest(tmp_path, "--emails-from", "Anytown Commissioning <lead@anytown.gov.uk>")
    for person in PEOPLE:
        message = _message(folder / f"feedback_{person}.eml")
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Anytown Commissioning", "lead@anytown.gov.uk")
        assert message["Reply-To"].addresses[0].addr_spec == "lead@anytown.gov.uk"
        assert message.get_body(("plain",)).get_content().rstrip().endswith("Anytown Commissioning")
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == f"feedback_{person}.xlsx"


def test_feedback_drafts_without_an_address_have_no_from_line(exercise):
    tmp_path, _ = exercise
    message = _message(_ingest(tmp_path) / f"feedback_{PEOPLE[0]}.eml")
    assert message["From"] is None and message["Reply-To"] is None
    assert message.get_body(("plain",)).get_content().rstrip().endswith("The commissioning team")


def _fail_on_second_workbook(monkeypatch):
    from sheetkit.mail import feedback

    written = []
    real = feedback.write_workbook

    def write_workbook(path, *args):
        if len(written) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, *args)

    monkeypatch.setattr(feedback, "write_workbook", write_workbook)
    return written


def test_a_failed_feedback_run_leaves_no_folder(exercise, monkeypatch):
    tmp_path, _ = exercise
    written = _fail_on_second_workbook(monkeypatch)
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "returns"), "--manifest",
                                      str(tmp_path / "built" / "manifest.csv"), "--out", str(tmp_path / "c.xlsx"),
                                      "--feedback", str(tmp_path / "feedback")])
    assert result.exit_code == 4, result.output
    assert len(written) == 1  # the first workbook was written, then the second failed
    assert "disk is full" in result.output and "feedback_" in result.output and "--feedback another folder" in result.output
    assert not (tmp_path / "feedback").exists()


def test_a_failed_feedback_run_leaves_an_earlier_folder_as_it_was(exercise, monkeypatch):
    tmp_path, _ = exercise
    folder = _ingest(tmp_path, "--emails-from", "lead@anytown.gov.uk")
    (folder / "notes.txt").write_text("the lead's own notes")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    _fail_on_second_workbook(monkeypatch)
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "returns"), "--manifest",
                                      str(tmp_path / "built" / "manifest.csv"), "--out", str(tmp_path / "c2.xlsx"),
                                      "--feedback", str(folder)])
    assert result.exit_code == 4, result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_feedback_is_the_same_bytes_every_time_it_is_written(exercise):
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    tmp_path, _ = exercise
    when = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
    made = []
    for run in ("one", "two"):
        ingest_returns([str(tmp_path / "returns")], IngestOptions(
            manifest=str(tmp_path / "built" / "manifest.csv"), out=tmp_path / f"{run}.xlsx", now=when,
            feedback=tmp_path / run / "feedback", emails_from="lead@anytown.gov.uk"))
        # each run its own exercise folder: a second feedback of one exercise replaces the first (new build ids)
        made.append({p.relative_to(tmp_path / run).as_posix(): p.read_bytes()
                     for p in (tmp_path / run).rglob("*") if p.is_file()})
    assert made[0] == made[1] and len(made[0]) == 2 * len(PEOPLE) + 1  # and the feedback's manifest
    assert "feedback-manifest.csv" in made[0]  # beside the feedback folder, not in what is sent
    message = _message(tmp_path / "one" / "feedback" / f"feedback_{PEOPLE[0]}.eml")
    assert message["Date"].datetime == when
    assert message["Message-ID"] != _message(tmp_path / "one" / "feedback" / f"feedback_{PEOPLE[1]}.eml")["Message-ID"]
    created = openpyxl.load_workbook(tmp_path / "one" / "feedback" / f"feedback_{PEOPLE[0]}.xlsx").properties.created
    assert created == when.replace(tzinfo=None)


def test_an_interrupted_feedback_run_leaves_no_file_behind(exercise, monkeypatch):
    from sheetkit.mail import feedback
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    tmp_path, _ = exercise
    real, drafts = feedback.write_draft, []

    def write_draft(path, draft):  # Ctrl-C while the second draft is written
        if drafts:
            raise KeyboardInterrupt
        drafts.append(real(path, draft))
        return drafts[-1]

    monkeypatch.setattr(feedback, "write_draft", write_draft)
    with pytest.raises(KeyboardInterrupt):
        ingest_returns([str(tmp_path / "returns")], IngestOptions(
            manifest=str(tmp_path / "built" / "manifest.csv"), out=tmp_path / "c.xlsx",
            feedback=tmp_path / "feedback", emails_from="lead@anytown.gov.uk"))
    assert len(drafts) == 1 and drafts[0].name.endswith(".partial")  # one draft was written, then stopped
    assert not (tmp_path / "feedback").exists()


def test_respondents_whose_names_make_the_same_file_name_each_get_their_own_files():
    from sheetkit.mail.feedback import _unique

    taken: set[str] = set()
    assert [_unique(n, taken) for n in ("A-B", "A-B", "a-b", "C")] == ["A-B", "A-B (2)", "a-b (3)", "C"]


def _letter(path) -> dict[str, str]:
    """The first sheet of a feedback workbook, as a partner reads it: label -> text."""
    wb = openpyxl.load_workbook(path)
    first = wb.worksheets[0]
    assert wb.active.title == first.title == "About this feedback"
    return {str(label): str(text) for label, text, *_ in first.iter_rows(min_row=2, values_only=True) if label}


def test_the_first_sheet_says_what_it_is_for_who_to_reply_to_by_when_and_how(exercise):
    tmp_path, framework = exercise
    folder = _ingest(tmp_path, "--emails-from", "Anytown Commissioning <lead@anytown.gov.uk>",
                     "--reply-by", "2099-01-15")
    letter = _letter(folder / f"feedback_{PEOPLE[0]}.xlsx")
    assert "before the summary for managers is final" in letter["What this is"]
    assert letter["Please reply by"] == "Thursday 15 January 2099"
    assert "lead@anytown.gov.uk" in letter["Your contact"]
    assert "Ref" in letter["How to reply"] and "the rating you now propose" in letter["How to reply"]
    meaning = letter["What the figures mean"]
    assert "middle rating" in meaning and "'apart' means you alone" in meaning
    assert "2 or more points" in meaning  # the tiny scale's 1-3: a third of the span, at least 2 points
    body = _message(folder / f"feedback_{PEOPLE[0]}.eml").get_body(("plain",)).get_content()
    assert "Please reply by Thursday 15 January 2099" in body and "the item's Ref" in body
    refs = [r[0] for r in openpyxl.load_workbook(folder / f"feedback_{PEOPLE[0]}.xlsx")["Your ratings"].iter_rows(
        min_row=4, values_only=True) if r[0]]
    assert refs == [item.id for _, item in framework.items()]  # the Ref a reply names is each item's own


@pytest.mark.calendar
def test_without_a_date_partners_are_asked_to_reply_within_two_weeks_on_a_weekday(exercise, calendar_day):
    import datetime as dt_

    from sheetkit.mail.feedback import reply_by

    tmp_path, _ = exercise
    letter = _letter(_ingest(tmp_path) / f"feedback_{PEOPLE[0]}.xlsx")
    asked = dt_.datetime.strptime(letter["Please reply by"], "%A %d %B %Y").date()
    assert 14 <= (asked - calendar_day.date()).days <= 16 and asked.weekday() < 5
    assert reply_by(None, dt_.datetime(2026, 12, 5, 9)) == dt_.date(2026, 12, 21)  # a Saturday, so the Monday


def test_reply_by_is_refused_in_the_past_or_without_feedback(exercise):
    tmp_path, _ = exercise
    base = ["ingest", str(tmp_path / "returns"), "--manifest", str(tmp_path / "built" / "manifest.csv"),
            "--out", str(tmp_path / "c.xlsx")]
    past = CliRunner().invoke(cli, base + ["--feedback", str(tmp_path / "fb"), "--reply-by", "2001-01-01"])
    assert past.exit_code == 2 and "--reply-by 2001-01-01 is before today" in past.output
    alone = CliRunner().invoke(cli, base + ["--reply-by", "2099-01-01"])
    assert alone.exit_code == 2 and "give it with --feedback" in alone.output
    assert not (tmp_path / "fb").exists() and not (tmp_path / "c.xlsx").exists()


def test_ratings_not_counted_are_named_and_never_contradicted(tiny_dir, tmp_path):
    """A partner who typed '4.5' where a rating belongs is told that rating was not counted, in the
    workbook and the email, and asked to put it right as a correction request asks; the email never
    says their ratings all sit with the others'."""
    framework = get_framework("tiny")
    built = build("tiny", tmp_path / "built", names=PEOPLE)
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, (person, path) in enumerate(zip(PEOPLE, built)):
        answers = _answers(framework, n, person)
        if n == 3:
            answers["item/1/rating"] = "4.5"
        fill(path, returns / path.name, answers)
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--manifest", str(tmp_path / "built" / "manifest.csv"),
                                      "--out", str(tmp_path / "c.xlsx"), "--feedback", str(tmp_path / "fb")])
    assert result.exit_code == 1, result.output  # the off-scale rating is an error
    delta = tmp_path / "fb" / f"feedback_{PEOPLE[3]}"
    letter = _letter(delta.with_suffix(".xlsx"))
    assert "'4.5' for Item 1: Standard one" in letter["Ratings not counted"] and "put them right" in letter["Ratings not counted"]
    body = _message(delta.with_suffix(".eml")).get_body(("plain",)).get_content()
    assert "We could not count 1 of your ratings: '4.5' for Item 1: Standard one" in body
    assert "on every item" not in body and "Of the ratings we could count" in body
    others = _message(tmp_path / "fb" / f"feedback_{PEOPLE[1]}.eml").get_body(("plain",)).get_content()
    assert "could not count" not in others
    assert "Ratings not counted" not in _letter(tmp_path / "fb" / f"feedback_{PEOPLE[1]}.xlsx")


def test_every_sheet_prints_fitted_to_its_width_with_its_rows_tall_enough(exercise):
    from sheetkit.xlsx.text_fit import points_needed

    tmp_path, _ = exercise
    folder = _ingest(tmp_path, "--feedback-evidence")
    wb = openpyxl.load_workbook(folder / f"feedback_{PEOPLE[0]}.xlsx")
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert "Your reply" in [ws.title for ws in visible]  # the reply sheet prints as the others do
    for ws in visible:
        assert ws.page_setup.paperSize == 9 and (ws.page_setup.fitToWidth or 1) == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddHeader.left.text and ws.oddFooter.left.text == PEOPLE[0]
        if ws.title != "About this feedback":
            assert ws.print_title_rows, ws.title
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                # a text that wraps needs its row's height; one that does not (a note) runs on to the right
                if isinstance(cell.value, str) and cell.value and cell.alignment.wrap_text:
                    width = next((d.width for d in ws.column_dimensions.values()
                                  if d.min and d.min <= cell.column <= d.max and d.width), 8.43)
                    need = min(409, points_needed(cell.value, width, cell.font.sz or 11))
                    assert (ws.row_dimensions[cell.row].height or 15) >= need - 0.5, (ws.title, cell.coordinate)
