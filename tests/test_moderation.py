"""Moderation: partners reply to their feedback, the replies are compiled beside the self-assessment, the
challenge day gets its pack, and the agreed position is carried into the next round.

Replies are typed by the labels a partner sees on the sheet 'Your reply' (tests/replies.py); what each
typed row should come to is worked out independently and compared with every place sheetkit shows it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import fill
from fill_by_label import find_fields, text_of
from replies import (ASKED, DECISION, EVIDENCE, PEOPLE, RATINGS, REPLY_SHEET, REVISED, WHY, column, expected,
                     feedback, ingest, moderation_exercise, plan_reply, reply_by_label, reply_fields, self_rating, table,
                     zipped)
from sheetkit.cli import cli


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The returns and their feedback, made once for the module (each test works on its own copy)."""
    return moderation_exercise(tmp_path_factory.mktemp("moderation"))


@pytest.fixture
def exercise(made, tmp_path, monkeypatch):
    """A copy of the made exercise, with its framework folder registered."""
    for part in made.iterdir():
        (shutil.copytree if part.is_dir() else shutil.copy)(part, tmp_path / part.name)
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(tmp_path / "my-frameworks"))
    return tmp_path


def _workbook(folder: Path, person: str) -> Path:
    return folder / f"feedback_{person}.xlsx"


def _feedback_manifest(folder: Path) -> Path:
    """The feedback's manifest: a record of the lead's, in the exercise folder beside the feedback folder."""
    return folder.parent / "feedback-manifest.csv"


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    import csv

    assert not (folder / "manifest.csv").exists(), "the folder that is sent holds no record of the lead's"
    with open(_feedback_manifest(folder), encoding="utf-8-sig", newline="") as handle:
        return {row["respondent"]: row for row in csv.DictReader(handle)}


# -- asking ---------------------------------------------------------------------------------------

def _letter(wb) -> dict[str, str]:
    """The feedback's first sheet, as a partner reads it: label -> text."""
    assert wb.worksheets[0].title == "About this feedback"
    return {str(label): str(text) for label, text, *_ in wb.worksheets[0].iter_rows(min_row=2, values_only=True)
            if label}


def test_each_partner_is_asked_to_reply_where_they_differ(exercise):
    folder = exercise / "feedback"
    listed = _manifest(folder)
    assert set(listed) == set(PEOPLE)
    for person in PEOPLE:
        fields = reply_fields(_workbook(folder, person))
        assert {f.ref for f in fields} == ASKED[person]
        for ref in ASKED[person]:
            assert {column(f) for f in fields if f.ref == ref} == {DECISION, REVISED, WHY, EVIDENCE}
        ws = openpyxl.load_workbook(_workbook(folder, person))[REPLY_SHEET]
        shown = {text_of(r[0]): [text_of(v) for v in r] for r in ws.iter_rows(min_row=5, values_only=True)}
        for ref in ASKED[person]:
            assert shown[ref][2] == str(self_rating(person, ref))  # 'Your rating', locked beside the row
            others = [v for n, v in enumerate(RATINGS[ref]) if n != PEOPLE.index(person)]
            assert f"from {min(others)} to {max(others)}" in shown[ref][3]
            assert shown[ref][4].startswith(("apart", "split"))


def test_items_marked_for_discussion_ask_everyone_who_rated_them(exercise):
    folder = feedback(exercise, "1")
    for person in PEOPLE:
        assert {f.ref for f in reply_fields(_workbook(folder, person))} == ASKED[person] | {"1"}


def test_a_partner_with_nothing_to_reply_on_gets_feedback_that_asks_nothing(exercise, tmp_path):
    returns = exercise / "returns"
    for path in sorted(returns.iterdir())[2:]:
        path.unlink()  # two partners left: nobody sits apart, nobody is split
    shutil.rmtree(exercise / "feedback")
    folder = feedback(exercise)
    assert _manifest(folder) == {}
    for person in PEOPLE[:2]:
        wb = openpyxl.load_workbook(_workbook(folder, person))
        assert REPLY_SHEET not in wb.sheetnames
        meta = {r[0]: r[1] for r in wb["_sheetkit"].iter_rows(values_only=True)}
        assert meta["kind"] == "feedback" and meta["asks"] == "[]"
        body = BytesParser(policy=policy.default).parsebytes(
            (folder / f"feedback_{person}.eml").read_bytes()).get_body(("plain",)).get_content()
        assert "Please reply by" in body and "reply with the item's Ref" in body and REPLY_SHEET not in body
        letter = _letter(wb)
        assert "the item's Ref" in letter["How to reply"] and REPLY_SHEET not in letter["How to reply"]


def test_the_reply_sheet_is_locked_and_identified_like_a_return(exercise):
    folder = exercise / "feedback"
    listed = _manifest(folder)
    for person in PEOPLE:
        path = _workbook(folder, person)
        wb = openpyxl.load_workbook(path)
        assert all(ws.protection.sheet for ws in wb.worksheets), "every sheet is locked"
        ws = wb[REPLY_SHEET]
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == {f.cell for f in reply_fields(path)}
        meta = {r[0]: r[1] for r in wb["_sheetkit"].iter_rows(values_only=True)}
        assert meta["kind"] == "feedback-reply" and meta["respondent"] == person
        assert meta["build_id"] == listed[person]["build_id"] and listed[person]["file"] == path.name
        # two weeks after the feedback, Saturday 19 December, moved off the weekend
        assert meta["deadline"] == listed[person]["deadline"] == "2026-12-21"
        letter = _letter(wb)  # the first sheet tells of the reply cells, and the same date
        assert letter["Please reply by"] == "Monday 21 December 2026"
        assert f"On the sheet '{REPLY_SHEET}'" in letter["How to reply"] and "Keep or Revise" in letter["How to reply"]
        assert f"each of its {len(ASKED[person])} item(s)" in letter["What we ask"]
        assert "21 December 2026" in wb[REPLY_SHEET]["A2"].value
        for field in reply_fields(path):
            if column(field) == DECISION:
                assert field.choices == ("Keep", "Revise")
            if column(field) == REVISED:
                assert field.choices == ("1 - Weak", "2 - Fair", "3 - Good")
        draft = BytesParser(policy=policy.default).parsebytes((folder / f"feedback_{person}.eml").read_bytes())
        body = draft.get_body(("plain",)).get_content()
        assert f"on its sheet '{REPLY_SHEET}', each of the {len(ASKED[person])} item(s)" in body
        assert "Please reply by Monday 21 December 2026, in the workbook itself" in body


# -- compiling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_replies_typed_by_label_are_compiled_where_they_were_typed(exercise, seed):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    rng = random.Random(seed)
    typed, rows = {}, {}
    for person in PEOPLE:
        source = _workbook(folder, person)
        wanted = plan_reply(reply_fields(source), rng, person)
        if not wanted:
            continue
        typed[person] = reply_by_label(source, replies / f"reply {person}.xlsx", wanted)
        for (ref, question), (_, value) in typed[person].items():
            rows.setdefault((person, ref), {})[question] = value
    result = ingest(exercise, "--replies", str(replies), "--replies-manifest", str(_feedback_manifest(folder)))
    moderation = {(r["Partner"], r["Ref"]): r for r in table(exercise / "c.xlsx", "Moderation") if r["Ref"]}
    revised = unclear = 0
    for person, cells in typed.items():
        for (ref, question), (cell, value) in cells.items():
            row = moderation[(person, ref)]
            shown = {DECISION: "Keep or revise", REVISED: "Revised rating", WHY: "Why", EVIDENCE: "Evidence added"}
            assert text_of(row[shown[question]]) == text_of(value), (person, ref, question)
            assert f"'{REPLY_SHEET}'!{cell}" in row["Reply (file and cells)"]
    for (person, ref), row in rows.items():
        want = expected(self_rating(person, ref), row)
        got = moderation[(person, ref)]
        assert got["Self-assessed"] == self_rating(person, ref) and got["Rating counted"] == want.counted
        revised += want.revised
        unclear += want.unclear
        assert got["Outcome"].startswith("unclear") == want.unclear
    codes = result.output.count("[reply-unclear]")
    assert codes == unclear
    assert result.exit_code == (1 if unclear else 0)
    _check_counted(exercise / "c.xlsx", rows, revised)


def _check_counted(path: Path, rows: dict, revised: int) -> None:
    """Ratings shows each partner's rating counted now; Responses still holds every self-assessment."""
    ratings = {r["Ref"]: r for r in table(path, "Ratings")}
    for ref in RATINGS:
        for person in PEOPLE:
            row = rows.get((person, ref), {})
            assert ratings[ref][person] == expected(self_rating(person, ref), row).counted
    said = [r for r in ratings.values() if r.get("Revised after feedback")]
    assert sum(text_of(r["Revised after feedback"]).count("\u2192") for r in said) == revised
    brief = _dashboard_brief(path)
    if revised:
        assert f"partners revised {revised} rating{'s' if revised != 1 else ''};" in brief.get("Replies", "")
    else:
        assert "Replies" not in brief and "revised" not in " ".join(brief.values())
    responses = {(r["respondent"], r["key"]): r["value"] for r in table(path, "Responses")}
    for person in PEOPLE:
        for ref in RATINGS:
            assert text_of(responses[(person, f"item/{ref}/rating")]).startswith(str(self_rating(person, ref)))


def _dashboard_brief(path: Path) -> dict[str, str]:
    """The Dashboard's first lines as a manager reads them: what each is about (column A, carried down to its
    continuation lines) and what it says (column B), up to the first blank row."""
    grid = [[c.value for c in row] for row in openpyxl.load_workbook(path)["Dashboard"].iter_rows(max_col=2)]
    brief, label = {}, ""
    for row in grid[1:]:
        if not (row[0] or row[1]):
            break
        label = row[0] or label
        brief[label] = (brief.get(label, "") + " " + str(row[1] or "")).strip()
    return brief


def test_an_unclear_reply_is_reported_in_the_partner_s_words_and_counts_nothing(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    person = PEOPLE[0]
    typed = reply_by_label(_workbook(folder, person), replies / "alpha.xlsx",
                           {("1", DECISION): "Keep", ("1", REVISED): "3 - Good", ("2", DECISION): "Revise"})
    result = ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(1,))
    for ref in ("1", "2"):
        cell = typed[(ref, REVISED if ref == "1" else DECISION)][0]
        assert f"[reply-unclear] alpha.xlsx, sheet '{REPLY_SHEET}', cell {cell}" in result.output
    ratings = {r["Ref"]: r for r in table(exercise / "c.xlsx", "Ratings")}
    assert ratings["1"][person] == 1 and ratings["2"][person] == 1
    issues = [r for r in table(exercise / "c.xlsx", "Issues") if r.get("Code") == "reply-unclear"]
    assert len(issues) == 2


def test_a_revision_without_a_reason_is_counted_and_noted(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[1]), replies / "bravo.xlsx", {("2", DECISION): "Revise", ("2", REVISED): "3 - Good"})
    result = ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(0,))
    assert "[revision-without-reason]" in result.output
    assert {r["Ref"]: r for r in table(exercise / "c.xlsx", "Ratings")}["2"][PEOPLE[1]] == 3


def test_replies_arrive_as_returns_do(exercise):
    """Zipped, attached to an email, sent twice, or put in the wrong folder: read, settled or refused, never lost."""
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    scratch = exercise / "scratch"
    scratch.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[0]), scratch / "alpha.xlsx", {("1", DECISION): "Revise",
                           ("1", REVISED): "2 - Fair", ("1", WHY): "We now have the data"})
    zipped(replies / "from alpha.zip", scratch / "alpha.xlsx")
    reply_by_label(_workbook(folder, PEOPLE[2]), scratch / "charlie.xlsx", {("2", DECISION): "Keep",
                                                                         ("2", WHY): "Plans are joint"})
    _emailed(scratch / "charlie.xlsx", replies / "charlie.eml")
    reply_by_label(_workbook(folder, PEOPLE[3]), replies / "delta draft.xlsx", {("2", DECISION): "Keep"})
    _later(replies / "delta draft.xlsx", replies / "delta final.xlsx", {("2", DECISION): "Revise", ("2", REVISED): "2 - Fair",
                                                                      ("2", WHY): "On reflection"}, _workbook(folder, PEOPLE[3]))
    shutil.copy(sorted((exercise / "returns").iterdir())[0], replies / "a return by mistake.xlsx")
    shutil.copy(_workbook(folder, PEOPLE[1]), exercise / "returns" / "a reply by mistake.xlsx")
    result = ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(1,))
    assert "[kind-mismatch] a reply by mistake.xlsx" in result.output  # among the returns
    assert "[kind-mismatch] a return by mistake.xlsx" in result.output  # among the replies
    assert "[superseded] delta draft.xlsx" in result.output
    moderation = {(r["Partner"], r["Ref"]): r for r in table(exercise / "c.xlsx", "Moderation") if r["Ref"]}
    assert moderation[(PEOPLE[0], "1")]["Rating counted"] == 2 and "from alpha.zip » alpha.xlsx" in \
        moderation[(PEOPLE[0], "1")]["Reply (file and cells)"]
    assert moderation[(PEOPLE[2], "2")]["Why"] == "Plans are joint"
    assert moderation[(PEOPLE[3], "2")]["Rating counted"] == 2 and moderation[(PEOPLE[3], "2")]["Why"] == "On reflection"
    assert moderation[(PEOPLE[1], "2")]["Outcome"] == "no reply"
    assert "Still to reply (1): Respondent Bravo" in result.output
    note = openpyxl.load_workbook(exercise / "c.xlsx")["Moderation"]["A2"].value
    assert "reply files not used: " in note and "a return by mistake.xlsx (rejected" in note
    assert "delta draft.xlsx (superseded" in note


def _emailed(source: Path, target: Path) -> None:
    message = EmailMessage()
    message["Subject"], message["From"] = "Our reply", "charlie@example.org"
    message.set_content("Attached.")
    message.add_attachment(source.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=source.name)
    target.write_bytes(message.as_bytes())


def _later(first: Path, second: Path, wanted: dict, source: Path) -> None:
    """A second reply from the same partner, saved a day after the first (as the file records it)."""
    import datetime as dt

    from sheetkit.samples.filling import stamp_saved_at

    reply_by_label(source, second, wanted)
    stamp_saved_at(first, dt.datetime(2026, 12, 10, 9, 0))
    stamp_saved_at(second, dt.datetime(2026, 12, 11, 9, 0))


def test_text_typed_outside_the_reply_cells_is_kept_with_a_finding(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    target = replies / "alpha.xlsx"
    reply_by_label(_workbook(folder, PEOPLE[0]), target, {("1", DECISION): "Keep"})
    wb = openpyxl.load_workbook(target)
    wb[REPLY_SHEET]["B12"] = "A NOTE BELOW THE TABLE for the lead"
    wb.save(target)
    result = ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(0,))
    assert f"[content-outside-layout] alpha.xlsx, sheet '{REPLY_SHEET}', cell B12" in result.output
    kept = [r for r in table(exercise / "c.xlsx", "Moderation") if r["Why"] == "A NOTE BELOW THE TABLE for the lead"]
    assert len(kept) == 1 and kept[0]["Partner"] == PEOPLE[0] and "B12" in kept[0]["Reply (file and cells)"]


def test_a_locked_cell_typed_over_on_the_reply_sheet_is_reported_and_kept(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    target = replies / "alpha.xlsx"
    reply_by_label(_workbook(folder, PEOPLE[0]), target, {("1", DECISION): "Keep", ("1", WHY): "As we said"})
    wb = openpyxl.load_workbook(target)
    ws = wb[REPLY_SHEET]
    header = next(row for row in ws.iter_rows() if row[0].value == "Ref")
    mine = next(c for c in header if c.value == "Your rating").column_letter
    line = next(row[0].row for row in ws.iter_rows(min_row=header[0].row + 1) if str(row[0].value) == "1")
    ws[f"{mine}{line}"] = "3 - Good, really"  # over the locked copy of what the partner rated
    wb.save(target)
    result = ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(0, 1))
    assert f"[locked-cell-changed] alpha.xlsx, sheet '{REPLY_SHEET}', cell {mine}{line}" in result.output
    rows = table(exercise / "c.xlsx", "Moderation")
    assert any(r["Why"] == "3 - Good, really" and f"{mine}{line}" in r["Reply (file and cells)"] for r in rows)
    reply = next(r for r in rows if r["Partner"] == PEOPLE[0] and r["Ref"] == "1" and r["Why"] == "As we said")
    assert reply["Keep or revise"] == "Keep"  # the reply itself is read as typed


def test_without_replies_the_moderation_sheet_says_how_to_get_them(exercise):
    ingest(exercise)
    ws = openpyxl.load_workbook(exercise / "c.xlsx")["Moderation"]
    said = ws["A2"].value
    # in words, as every sheet speaks (the options are named on the Notes sheet's line on how it was made)
    assert said.startswith("No replies were compiled.") and "folder" in said and "--" not in said


# -- the challenge day ----------------------------------------------------------------------------

def test_the_pack_has_a_page_for_each_contested_item(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[0]), replies / "alpha.xlsx", {
        ("1", DECISION): "Revise", ("1", REVISED): "3 - Good", ("1", WHY): "ALPHA-WHY the data is now shared",
        ("2", DECISION): "Keep", ("2", WHY): "ALPHA-WHY plans are not joint"})
    ingest(exercise, "--replies", str(replies), "--feedback", str(folder), "--pack", str(exercise / "pack.xlsx"),
           code=(0,))
    # counting Alpha's revision, item 1 is no longer contested (3, 3, 3, 3); item 2 is still split
    wb = openpyxl.load_workbook(exercise / "pack.xlsx")
    assert wb.sheetnames == ["Agenda", "Item 2"]
    page = wb["Item 2"]
    text = "\n".join(text_of(v) for row in page.iter_rows(values_only=True) for v in row if v is not None)
    assert "We plan jointly." in text  # the framework's own words
    for n, person in enumerate(PEOPLE):
        assert person in text and f"EVIDENCE-OF-{person.split()[-1].upper()} on joint plans" in text
    assert "ALPHA-WHY plans are not joint" in text and "Agreed rating" in text and "Agreed position" in text
    # fitted to one page wide and one tall (1 is the file format's default, which XlsxWriter leaves unsaid);
    # tests/test_moderation_libreoffice.py prints it and counts the pages
    assert page.sheet_properties.pageSetUpPr.fitToPage and page.page_setup.fitToWidth in (None, 1)
    assert page.page_setup.fitToHeight in (None, 1) and page.page_setup.orientation == "landscape"
    agenda = [r for r in wb["Agenda"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert agenda == [("Item 2", "Standard two", "Split: Respondent Alpha, Respondent Bravo 1; "
                                                     "Respondent Charlie, Respondent Delta 3")]


# -- the next round -------------------------------------------------------------------------------

@pytest.mark.slow  # a whole next round built and compiled
def test_the_agreed_position_is_carried_into_the_next_round(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[1]), replies / "bravo.xlsx",
                   {("2", DECISION): "Revise", ("2", REVISED): "2 - Fair", ("2", WHY): "Some plans are joint"})
    ingest(exercise, "--replies", str(replies), "--feedback", str(folder), code=(0,))
    consolidated = exercise / "c.xlsx"
    _agree(consolidated, {(PEOPLE[0], "item/2/rating"): (2, "AGREED: joint plans exist for housing"),
                          (PEOPLE[2], "item/2/rating"): ("9", "a rating off the scale")})
    next_round = exercise / "next"
    result = CliRunner().invoke(cli, ["build", "tiny", "--respondent", PEOPLE[0], "--respondent", PEOPLE[1],
                                      "--previous", str(consolidated), "--round", "2027 Q4",
                                      "--deadline", "2099-01-31", "--out", str(next_round)])
    assert result.exit_code == 0, result.output
    assert "[agreed-invalid]" in result.output and "'9' is not on the scale" in result.output
    shown = _last_round(next(next_round.glob("*alpha*.xlsx")))
    assert shown["2"] == "1 - Weak; agreed last round: 2 - Fair (AGREED: joint plans exist for housing)"
    assert _last_round(next(next_round.glob("*bravo*.xlsx")))["2"] == "1 - Weak; revised after feedback to 2 - Fair"
    # the next round compiled against last round's settled ratings: Alpha's agreed 2, Bravo's revised 2
    returns = exercise / "next returns"
    returns.mkdir()
    for n, path in enumerate(sorted(next_round.glob("*.xlsx"))):
        fill(path, returns / path.name, {"item/1/rating": "3", "item/2/rating": "3"})
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--manifest", str(exercise / "manifest.csv"),
                                      "--out", str(exercise / "trend.xlsx"), "--previous", str(consolidated),
                                      "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    trend = {r["Ref"]: r for r in table(exercise / "trend.xlsx", "Trend") if r["Ref"]}
    assert trend["2"]["Last round"] == pytest.approx((2 + 2 + 3 + 3) / 4)
    # Charlie's agreed rating was off the scale: only the words are carried (and the finding said so)
    assert trend["2"]["Agreed last round"] == (f"{PEOPLE[0]} 2 (AGREED: joint plans exist for housing); "
                                               f"{PEOPLE[2]} (a rating off the scale)")
    assert trend["1"]["Last round"] == pytest.approx(sum(RATINGS["1"]) / 4) and not trend["1"]["Agreed last round"]
    sheet = openpyxl.load_workbook(exercise / "trend.xlsx")["Trend"]
    note = " ".join(str(sheet[cell].value or "") for cell in ("A2", "A3"))  # the note runs on from A2 to A3
    assert "agreed at the challenge day" in note


def _agree(path: Path, agreed: dict) -> None:
    """Type the agreed positions into the Moderation sheet's two yellow columns, as the lead does in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Moderation"]
    header = [c.value for c in ws[4]]
    col = {name: header.index(name) for name in header if name}
    for row in ws.iter_rows(min_row=5):
        key = (row[col["Partner"]].value, row[col["key"]].value)
        if key in agreed:
            rating, position = agreed[key]
            row[col["Agreed rating (you fill in)"]].value = rating
            row[col["Agreed position (you fill in)"]].value = position
    wb.save(path)


def _last_round(path: Path) -> dict[str, str]:
    """The rating rows' Last round cells of a follow-up workbook, by Ref, as the partner sees them."""
    shown = {}
    for field in find_fields(path):
        if field.row_label and field.row_label.startswith("Rating"):
            ws = openpyxl.load_workbook(path)[field.sheet]
            row = ws[field.cell].row
            header = [c.value for c in ws[4]]
            shown[field.ref] = text_of(ws.cell(row, header.index("Last round") + 1).value)
    return shown


# -- chasing --------------------------------------------------------------------------------------

def test_chase_knows_who_was_asked_to_reply_and_who_replied(exercise):
    folder = exercise / "feedback"
    replies = exercise / "replies"
    replies.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[0]), replies / "alpha.xlsx", {("1", DECISION): "Keep", ("2", DECISION): "Keep"})
    reply_by_label(_workbook(folder, PEOPLE[1]), replies / "bravo.xlsx", {("2", DECISION): "Keep", ("2", REVISED): "3 - Good"})
    result = CliRunner().invoke(cli, ["chase", str(exercise / "returns"), "--manifest",
                                      str(exercise / "built" / "manifest.csv"), "--out", str(exercise / "chase"),
                                      "--replies", str(replies), "--replies-manifest", str(_feedback_manifest(folder)),
                                      "--today", "2026-12-10", "--emails-from", "lead@anytown.gov.uk"])
    assert result.exit_code == 0, result.output
    assert (f"Replies to the feedback: 4 partner(s) asked to reply ({', '.join(PEOPLE)}); replied: {PEOPLE[0]}, "
            f"{PEOPLE[1]}; reminded: {PEOPLE[2]}, {PEOPLE[3]}") in result.output
    drafts = exercise / "chase" / "2026-12-10"
    assert sorted(p.name for p in drafts.iterdir()) == sorted(
        [f"reply-reminder_{PEOPLE[2]}.eml", f"reply-reminder_{PEOPLE[3]}.eml", f"reply-correction_{PEOPLE[1]}.eml"])
    reminder = BytesParser(policy=policy.default).parsebytes((drafts / f"reply-reminder_{PEOPLE[2]}.eml").read_bytes())
    (attached,) = list(reminder.iter_attachments())
    assert attached.get_content() == _workbook(folder, PEOPLE[2]).read_bytes()
    assert "21 December 2026" in reminder.get_body(("plain",)).get_content()
    correction = BytesParser(policy=policy.default).parsebytes(
        (drafts / f"reply-correction_{PEOPLE[1]}.eml").read_bytes()).get_body(("plain",)).get_content()
    cell = next(f.cell for f in reply_fields(_workbook(folder, PEOPLE[1])) if column(f) == REVISED)
    # the line names the question as the partner sees it on the row: the item, then the column
    assert re.search(rf"^  - Item 2: [^\n]*, 'Your revised rating', on sheet '{REPLY_SHEET}' \(cell {cell}\):",
                     correction, flags=re.M), correction
    log = (exercise / "chase" / "chase.csv").read_text(encoding="utf-8-sig")
    assert log.count("reply reminder") == 2 and log.count("reply correction") == 1


def test_the_replies_manifest_goes_with_replies(tmp_path):
    listing = tmp_path / "feedback-manifest.csv"
    listing.write_text("respondent\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["chase", str(tmp_path), "--out", str(tmp_path / "o"),
                                      "--replies-manifest", str(listing)])
    assert result.exit_code == 2 and "--replies-manifest goes with --replies" in result.output


@pytest.mark.slow  # a second feedback build, replies and a second compilation
def test_a_reply_is_the_partners_whose_feedback_build_it_carries(exercise, tmp_path_factory):
    """Replies are held to the rules returns are: feedback another exercise wrote for the same partner,
    and feedback sent back as it was sent, are reported and not counted; a file that is not the workbook
    is named in the reminder; the feedback's manifest is found beside the replies folder."""
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    folder = exercise / "feedback"
    other = tmp_path_factory.mktemp("another exercise")  # the same returns, fed back a day later elsewhere
    shutil.copytree(exercise / "returns", other / "returns")
    ingest_returns([str(other / "returns")], IngestOptions(
        manifest=str(exercise / "built" / "manifest.csv"), out=other / "c.xlsx", feedback=other / "feedback",
        now=dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.timezone.utc), use_cache=False, feedback_password="secret"))
    replies = exercise / "replies"
    replies.mkdir()
    reply_by_label(_workbook(folder, PEOPLE[0]), replies / "alpha.xlsx", {("1", DECISION): "Keep", ("2", DECISION): "Keep"})
    reply_by_label(_workbook(other / "feedback", PEOPLE[1]), replies / "bravo.xlsx",
                   {("2", DECISION): "Revise", ("2", REVISED): "3 - Good", ("2", WHY): "ANOTHER-EXERCISE"})
    shutil.copy(_workbook(folder, PEOPLE[2]), replies / "charlie.xlsx")  # sent back as it was sent
    (replies / f"feedback_{PEOPLE[3]}.pdf").write_bytes(b"%PDF-1.4\n")
    result = ingest(exercise, "--replies", str(replies), code=(1,))
    assert f"Feedback's manifest: {_feedback_manifest(folder)} (found beside the replies folder" in result.output
    assert "[build-unknown]" in result.output and "[return-unchanged]" in result.output, result.output
    moderation = table(exercise / "c.xlsx", "Moderation")
    assert "ANOTHER-EXERCISE" not in str(moderation)  # another exercise's feedback: not counted as Bravo's reply
    rows = {(r["Partner"], r["Ref"]): r for r in moderation if r["Ref"]}
    assert rows[(PEOPLE[0], "2")]["Outcome"] == "kept"
    for person in PEOPLE[1:3]:  # another exercise's feedback, and feedback sent back unchanged: no reply of theirs
        assert rows[(person, "2")]["Outcome"] == "no reply"
        assert rows[(person, "2")]["Rating counted"] == rows[(person, "2")]["Self-assessed"] == RATINGS["2"][
            PEOPLE.index(person)]
    chased = CliRunner().invoke(cli, ["chase", str(exercise / "returns"), "--manifest",
                                      str(exercise / "built" / "manifest.csv"), "--out", str(exercise / "chase"),
                                      "--replies", str(replies), "--today", "2026-12-10"])
    assert chased.exit_code == 0, chased.output
    reminder = BytesParser(policy=policy.default).parsebytes(
        (exercise / "chase" / "2026-12-10" / f"reply-reminder_{PEOPLE[3]}.eml").read_bytes())
    body = reminder.get_body(("plain",)).get_content()
    assert f"Your file feedback_{PEOPLE[3]}.pdf arrived, but it is a PDF" in " ".join(body.split())
