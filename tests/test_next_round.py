"""The next round, built from the last: each respondent sees what they answered last round, locked
beside this round's answer cells, and last round's actions listed first on the Action plan for
follow-up; what they type back is read under the keys the ingest side expects.

Round 1 is built, filled and ingested as the councils do it; round 2 is built with
``--previous`` from that consolidated workbook. The built workbooks are opened with openpyxl
and checked as a person sees them (columns found by their headers, locked or not); follow-up
answers are typed by reading the visible labels, then read back through validate_returns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import UNO_PYTHON, build, clean_env, fill, libreoffice_or_skip, random_answers
from fill_by_label import fill_by_label, find_fields
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.cli import cli
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.returns.check import validate_returns
from sheetkit.framework.model import ACTION_CLOSED, ACTION_STATUSES
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_ACTIONS, SHEET_META
from sheetkit.framework.library import get_framework
from sheetkit.rounds.load import load_previous
from sheetkit.rounds.model import PreviousAction, PreviousRespondent, PreviousRound
from sheetkit.roster.respondents import Respondent

LAST = ("Adult Social Care", "Housing", "Public Health")
NOW = ("Adults and Health", "Housing", "Carers Centre")  # one renamed, one new; Public Health has gone
RENAMED = {"Adults and Health": "Adult Social Care", "Housing": "Housing"}
EDIT = Path(__file__).resolve().parent / "lo_uno_edit.py"


@pytest.fixture(scope="module", params=["lga-cbo", "swia-commissioning"])
def rounds(request, tmp_path_factory):
    """Round 1 built, filled and ingested; round 2 built from it, blank and pre-filled."""
    framework_id = request.param
    root = tmp_path_factory.mktemp(framework_id)
    typed, returns = {}, root / "returns"
    returns.mkdir()
    for n, path in enumerate(build(framework_id, root / "round1", LAST)):
        typed[LAST[n]] = random_answers(framework_id, seed=n + 1)
        typed[LAST[n]].update({f"action/{k}/status": "In progress" for k in (1, 2)  # at least two to carry
                               if f"action/{k}/action" in typed[LAST[n]]})
        fill(path, returns / path.name, typed[LAST[n]])
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(root / "round1" / "manifest.csv"),
                                                          out=root / "consolidated.xlsx"))
    assert report.exit_code == 0
    renames = root / "renames.csv"
    renames.write_text("previous,current\nAdult Social Care,Adults and Health\n", encoding="utf-8")
    framework = get_framework(framework_id)
    previous = load_previous(root / "consolidated.xlsx", framework, renames=renames)
    results = {}
    for prefill in (False, True):
        out = root / f"round2{'-prefilled' if prefill else ''}"
        options = BuildOptions(out_dir=out, records=out, round="2027 Q4", password="secret", previous=previous,
                               prefill=prefill)
        results[prefill] = build_workbooks(framework, [Respondent(n) for n in NOW], options)
    return {"framework": framework, "typed": typed, "results": results, "root": root}


def _open_actions(typed: dict) -> set[str]:
    """The numbers of the Action plan rows typed last round that were not Done or Dropped: those carried."""
    return {k.split("/")[1] for k in typed if k.startswith("action/") and k.endswith("/action")
            and typed.get(k.replace("/action", "/status")) not in ACTION_CLOSED}


def _item_actions(framework, typed: dict) -> list[str]:
    """The items whose own action question was answered last round, in the framework's order: carried too."""
    field = framework.field_with_role("item", "action")
    return [item.id for _, item in framework.items() if field and typed.get(f"item/{item.id}/{field.id}")]


def _carried_labels(framework, typed: dict) -> list[str]:
    """What the 'From last round' cells say: the Action plan's open rows, then each item's own action."""
    return [f"2026 Q4 #{n}" for n in sorted(_open_actions(typed), key=int)] + [
        f"2026 Q4 {framework.labels['item']} {i}" for i in _item_actions(framework, typed)]


def _workbook(rounds, name: str, prefill: bool = False) -> Path:
    return next(f.workbook for f in rounds["results"][prefill].files if f.respondent.name == name)


def _header(ws, text: str) -> tuple[int, int]:
    """(row, column) of the header cell that reads `text`, or `text` and its hint: 'Owner (name or role)'."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and (cell.value == text or cell.value.startswith(text + " (")):
                return cell.row, cell.column
    raise AssertionError(f"no header '{text}' on sheet '{ws.title}'")


def _as_seen(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _section_answers(framework, typed: dict) -> dict:
    """What was typed last round into section sheets (not the Start sheet, sign-off or actions)."""
    sections = {a.key for s in plan_workbook(framework).sections for a in s.answers}
    return {k: _as_seen(v) for k, v in typed.items() if k in sections}


@pytest.mark.parametrize("prefill", [False, True])
def test_last_round_is_shown_locked_beside_each_answer(rounds, prefill):
    framework = rounds["framework"]
    layout = plan_workbook(framework, follow_up=True, still_true=prefill)  # a pre-filled one asks 'Still true?' too
    for name, last_name in RENAMED.items():
        wb = openpyxl.load_workbook(_workbook(rounds, name, prefill))
        typed = _section_answers(framework, rounds["typed"][last_name])
        shown = 0
        for sheet in layout.sections:
            ws = wb[sheet.name]
            assert ws.protection.sheet
            _, last_col = _header(ws, "Last round")
            for answer in sheet.answers:
                beside = ws.cell(answer.row + 1, last_col)
                cell = ws.cell(answer.row + 1, answer.col + 1)
                assert beside.protection.locked and not cell.protection.locked
                assert _as_seen(beside.value) == typed.get(answer.key), (name, sheet.name, beside.coordinate)
                assert _as_seen(cell.value) == (typed.get(answer.key) if prefill else None), (name, cell.coordinate)
                shown += beside.value is not None
        assert shown == len(typed) > 20


def test_last_round_dates_are_dates_and_long_texts_are_clipped(rounds, tmp_path):
    framework = rounds["framework"]
    layout = plan_workbook(framework, follow_up=True)
    long_text = "Evidence " + "very long " * 200
    date_field = next((a for a in layout.answers if a.field.type == "date" and a.sheet != SHEET_ACTIONS), None)
    text_field = next(a for s in layout.sections for a in s.answers if a.field.type == "text")
    answers = {text_field.key: long_text} | ({date_field.key: dt.date(2027, 3, 31)} if date_field else {})
    previous = _previous_round(framework, answers)
    out = build_workbooks(framework, [Respondent("Housing")],
                          BuildOptions(out_dir=tmp_path, records=tmp_path, round="2027 Q4", password="secret",
                                       previous=previous))
    ws_of = openpyxl.load_workbook(out.files[0].workbook)
    ws = ws_of[text_field.sheet]
    _, last_col = _header(ws, "Last round")
    clipped = ws.cell(text_field.row + 1, last_col).value
    assert clipped.endswith("\u2026") and len(clipped) <= 300 and long_text.startswith(clipped[:-1])
    if date_field:
        seen = ws_of[date_field.sheet].cell(date_field.row + 1, last_col)
        assert seen.value == dt.datetime(2027, 3, 31) and seen.is_date


def test_an_item_not_comparable_says_so_and_is_not_prefilled(rounds, tmp_path):
    framework = rounds["framework"]
    layout = plan_workbook(framework, follow_up=True, still_true=True)
    rating = next(a for s in layout.sections for a in s.answers if a.field.type == "rating" and a.item_id)
    choice = framework.scale(rating.field.scale).levels[1]
    previous = _previous_round(framework, {rating.key: float(choice.value)},
                               not_comparable={rating.item_id: "wording changed"})
    out = build_workbooks(framework, [Respondent("Housing")], BuildOptions(
        out_dir=tmp_path, records=tmp_path, round="2027 Q4", password="secret", previous=previous, prefill=True))
    ws = openpyxl.load_workbook(out.files[0].workbook)[rating.sheet]
    _, last_col = _header(ws, "Last round")
    assert ws.cell(rating.row + 1, last_col).value == "not comparable (wording changed)"
    assert ws.cell(rating.row + 1, rating.col + 1).value is None


def test_last_rounds_actions_come_first_with_their_owner_and_due_date(rounds):
    closed_seen = set()
    for prefill in (False, True):
        for name, last_name in RENAMED.items():
            typed = rounds["typed"][last_name]
            wb = openpyxl.load_workbook(_workbook(rounds, name, prefill))
            ws = wb[SHEET_ACTIONS]
            assert ws.protection.sheet
            header, carried_col = _header(ws, "From last round")
            cols = {text: _header(ws, text)[1] for text in ("Which part it addresses", "Action", "Owner", "Due date", "Priority",
                                                            "Status", "Progress note", "Revised date")}
            numbers = sorted({int(k.split("/")[1]) for k in typed if k.startswith("action/") and k.endswith("/action")
                              and typed.get(f"action/{k.split('/')[1]}/status") not in ACTION_CLOSED})
            closed = {int(k.split("/")[1]) for k in typed if k.endswith("/status") and typed[k] in ACTION_CLOSED}
            assert numbers
            closed_seen |= closed
            shown = {ws.cell(r, carried_col).value for r in range(header + 1, ws.max_row + 1)}
            assert not shown & {f"2026 Q4 #{n}" for n in closed}, "a Done or Dropped action is not carried"
            for row, number in enumerate(numbers, start=header + 1):
                at = {text: ws.cell(row, col).value for text, col in cols.items()}
                carried = ws.cell(row, carried_col)
                assert carried.value == f"2026 Q4 #{number}" and carried.protection.locked
                assert at["Which part it addresses"] == typed[f"action/{number}/criterion"]
                assert (at["Action"], at["Owner"]) == (typed[f"action/{number}/action"], typed[f"action/{number}/owner"])
                assert _as_seen(at["Due date"]) == _as_seen(typed[f"action/{number}/due"])
                assert at["Priority"] == typed[f"action/{number}/priority"]
                assert at["Status"] == (typed[f"action/{number}/status"] if prefill else None)
                assert at["Progress note"] is None and at["Revised date"] is None
                assert not ws.cell(row, cols["Status"]).protection.locked
            # Then each item's own action ("What actions do we need to take?"), with its part, owner and date.
            field = rounds["framework"].field_with_role("item", "action")
            items = _item_actions(rounds["framework"], typed)
            for row, item in enumerate(items, start=header + 1 + len(numbers)):
                at = {text: ws.cell(row, col).value for text, col in cols.items()}
                assert ws.cell(row, carried_col).value == f"2026 Q4 {rounds['framework'].labels['item']} {item}"
                assert at["Which part it addresses"].split(" ", 1)[0] == item
                assert at["Action"] == typed[f"item/{item}/{field.id}"]
                owner = rounds["framework"].field_with_role("item", "owner")
                assert at["Owner"] == (typed.get(f"item/{item}/{owner.id}") if owner else None)
            assert ws.cell(header + len(numbers) + len(items) + 1, carried_col).value is None  # then new actions
            status = next(f for f in find_fields(wb) if f.sheet == SHEET_ACTIONS and f.column_header.startswith("Status"))
            assert status.choices == ACTION_STATUSES and "Dropped" in status.choices
    assert closed_seen, "the fill should close some of last round's actions, to show they are not carried"


def test_a_new_respondent_gets_a_blank_workbook_and_the_gone_are_reported(rounds):
    result = rounds["results"][False]
    assert result.gone == ["Public Health"]
    assert "In 2026 Q4 but not in this list (no workbook built): Public Health" in result.render()
    assert "Carers Centre: " in result.render() and "(new since 2026 Q4: blank workbook)" in result.render()
    assert "(follows up 2026 Q4 as 'Adult Social Care')" in result.render()
    assert result.to_dict()["not_in_this_round"] == ["Public Health"]
    wb = openpyxl.load_workbook(_workbook(rounds, "Carers Centre"))
    seen = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert not any(text.startswith(("Last round", "From last round", "2026 Q4 #")) for text in seen)
    meta = {r[0].value: r[1].value for r in wb[SHEET_META].iter_rows()}
    assert "previous_round" not in meta
    followed = openpyxl.load_workbook(_workbook(rounds, "Housing"))
    assert {r[0].value: r[1].value for r in followed[SHEET_META].iter_rows()}["previous_round"] == "2026 Q4"


def _follow_up(source: Path, target: Path) -> dict[str, dict]:
    """Fill the sections by label, then, on the Action plan, what became of each carried action,
    found by the 'From last round' text a person reads at the left of its row."""
    fill_by_label(source, target, only=lambda f: f.sheet != SHEET_ACTIONS)
    fields = [f for f in find_fields(target) if f.sheet == SHEET_ACTIONS and f.row_label.startswith("2026 Q4 ")]
    wb = openpyxl.load_workbook(target)
    ws = wb[SHEET_ACTIONS]
    typed: dict[str, dict] = {}
    for n, f in enumerate(fields):
        entry = typed.setdefault(f.row_label, {})
        if f.column_header.startswith("Action"):
            entry["action"] = ws[f.cell].value  # last round's, as built: it must stay with its row
            continue
        answers = {"Status": ("status", "Dropped" if f.row_label == fields[0].row_label else "In progress"),
                   # what people write, in no particular order (a column in sorted order reads as sorted alone)
                   "Progress note": ("progress", f"{PROGRESS[n % len(PROGRESS)]} ({f.row_label}, paper {n})"),
                   "Revised date": ("revised_due", dt.date(2027, 9, 1 + n % 28))}
        for header, (field_id, value) in answers.items():
            if f.column_header.startswith(header + " ("):
                entry[field_id] = ws[f.cell].value = value
    new_row = max(ws[f.cell].row for f in fields) + 1
    ws.cell(new_row, _header(ws, "Action")[1]).value = "A new action this round"
    wb.save(target)
    assert all(set(entry) == {"action", "status", "progress", "revised_due"} for entry in typed.values()), typed
    return typed


PROGRESS = ("Waiting for the board", "Agreed in principle", "Piloted in two localities", "Delayed by the restructure",
            "Reported to the partnership", "Funded from April", "Started with providers", "Budget set aside")


def _read_back(path: Path, manifest: Path):
    report = validate_returns([str(path)], IngestOptions(manifest=str(manifest)))
    (checked,) = report.returns
    return checked, {a.key: a for a in checked.answers}


def _carried_rows(answers: dict) -> dict[str, str]:
    """'2026 Q4 #n' -> the action number it was read under."""
    return {a.value: key.split("/")[1] for key, a in answers.items() if key.endswith("/carried")}


def test_follow_up_typed_by_label_is_read_back_under_the_agreed_keys(rounds, tmp_path):
    source = _workbook(rounds, "Housing")
    target = tmp_path / source.name
    typed = _follow_up(source, target)
    checked, answers = _read_back(target, source.parent / "manifest.csv")
    assert checked.status == "accepted"
    carried = _carried_rows(answers)
    assert sorted(carried) == sorted(typed) and len(typed) >= 2
    for label, values in typed.items():
        number = carried[label]
        for field_id, value in values.items():
            assert answers[f"action/{number}/{field_id}"].value == value, (label, field_id)
    assert answers[f"action/{carried[next(iter(typed))]}/status"].value == "Dropped"  # the first carried
    new = [k for k, a in answers.items() if a.value == "A new action this round"]
    assert new and f"action/{new[0].split('/')[1]}/carried" not in answers
    codes = {f.code for f in checked.findings}
    assert not codes & {"content-outside-layout", "text-changed", "statement-changed", "column-missing",
                        "column-missing-text", "column-sorted-alone", "column-looks-sorted", "row-missing",
                        "locked-cell-changed"}, checked.findings
    assert not [f for f in checked.findings if "Last round" in f.message or "last round" in f.message]
    assert not [a for a in checked.answers if a.key.startswith("unplaced/")]


@pytest.mark.libreoffice
def test_carried_actions_stay_with_their_rows_when_the_action_plan_is_sorted(rounds, tmp_path):
    soffice = libreoffice_or_skip()
    source = _workbook(rounds, "Housing")
    filled = tmp_path / source.name
    typed = _follow_up(source, filled)
    ws = openpyxl.load_workbook(filled)[SHEET_ACTIONS]
    header, action_col = _header(ws, "Action")
    last = max(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, action_col).value)
    letter = openpyxl.utils.get_column_letter(action_col)
    texts = [str(ws.cell(r, action_col).value).casefold() for r in range(header + 1, last + 1)]
    assert len(set(texts)) >= 2, "the sort needs two different actions to move anything"
    descending = texts != sorted(texts, reverse=True)  # whichever order moves the rows
    edits = [{"op": "sort_rows", "sheet": SHEET_ACTIONS, "rows": [header + 1, last], "by": letter,
              "descending": descending}]
    plan = tmp_path / "edits.json"
    plan.write_text(json.dumps(edits), encoding="utf-8")
    run = subprocess.run([UNO_PYTHON, str(EDIT), "--soffice", soffice, "--password", "secret", str(filled), str(plan),
                          str(tmp_path / "sorted")], capture_output=True, text=True, timeout=300, env=clean_env())
    report = json.loads(run.stdout)
    assert "error" not in report["edits"][0] and report["edits"][0]["moved"], report["edits"][0]
    checked, answers = _read_back(Path(report["outputs"]["xlsx"]), source.parent / "manifest.csv")
    carried = _carried_rows(answers)
    assert sorted(carried) == sorted(typed)
    assert carried != _carried_rows(_read_back(filled, source.parent / "manifest.csv")[1])  # the rows did move
    for label, values in typed.items():
        for field_id, value in values.items():
            assert answers[f"action/{carried[label]}/{field_id}"].value == value, (label, field_id)
    assert not {f.code for f in checked.findings} & {"content-outside-layout", "column-sorted-alone",
                                                     "column-looks-sorted"}


def test_the_command_builds_the_next_round_and_says_who_has_gone(rounds, tmp_path):
    root = rounds["root"]
    args = ["build", rounds["framework"].id, "--out", str(tmp_path / "one" / "out"), "--round", "2027 Q4",
            "--password", "secret", "--previous", str(root / "consolidated.xlsx"), "--renames",
            str(root / "renames.csv"), "--prefill"] + [arg for n in NOW for arg in ("--respondent", n)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Public Health" in result.output and "follows up 2026 Q4 as 'Adult Social Care'" in result.output
    as_json = CliRunner().invoke(cli, args[:3] + [str(tmp_path / "two" / "again")] + args[4:] + ["--json"])
    assert as_json.exit_code == 0, as_json.output
    printed = json.loads(as_json.output)
    assert (printed["previous_round"], printed["not_in_this_round"]) == ("2026 Q4", ["Public Health"])
    assert {w["respondent"]: w["follows_up"] for w in printed["workbooks"]} == {
        "Adults and Health": "Adult Social Care", "Housing": "Housing", "Carers Centre": None}
    refused = CliRunner().invoke(cli, ["build", "lga-cbo", "--out", str(tmp_path / "x"), "--respondent", "A",
                                       "--prefill"])
    assert refused.exit_code != 0 and "--previous" in refused.output


def _previous_round(framework, answers: dict, not_comparable: dict | None = None) -> PreviousRound:
    """A hand-made last round for one respondent, Housing, with one action."""
    action = PreviousAction.on_row(1, criterion="", action="Review the market position statement", owner="Lead", due=dt.date(2027, 1, 31), status="In progress", priority="")
    person = PreviousRespondent("Housing", answers, [action])
    return PreviousRound(Path("last.xlsx"), "2026 Q4", framework.id, framework.version, {"housing": person},
                         not_comparable=not_comparable or {})


def test_the_start_sheets_questions_show_last_round_too(tmp_path):
    framework = get_framework("lga-cbo")
    layout = plan_workbook(framework, follow_up=True)
    (question,) = layout.framework_answers
    previous = _previous_round(framework, {question.key: "Agreed with the ICB in March"})
    out = build_workbooks(framework, [Respondent("Housing")],
                          BuildOptions(out_dir=tmp_path / "built", records=tmp_path / "built", round="2027 Q4", password="secret",
                                       previous=previous, prefill=True))
    built = out.files[0].workbook
    ws = openpyxl.load_workbook(built)[question.sheet]
    _, last_col = _header(ws, "Last round")
    assert ws.cell(question.row + 1, last_col).value == "Agreed with the ICB in March"
    assert ws.cell(question.row + 1, question.col + 1).value == "Agreed with the ICB in March"
    checked, answers = _read_back(built, built.parent / "manifest.csv")
    assert answers[question.key].value == "Agreed with the ICB in March"
    assert answers["action/1/carried"].value == "2026 Q4 #1"
    assert not [f for f in checked.findings if f.code == "content-outside-layout"], checked.findings


def test_the_start_sheet_counts_what_the_workbook_starts_with(rounds):
    """LibreOffice shows a formula's stored value until it recalculates: a pre-filled workbook's
    progress panel counts the pre-filled answers; the carried actions are not actions the partner
    added, so the Action plan counts none added and how many carried ones are reported on."""
    framework = rounds["framework"]
    typed = _section_answers(framework, rounds["typed"]["Housing"])
    ratings = [a for s in plan_workbook(framework).sections for a in s.answers if a.field.type == "rating"]
    actions = _carried_labels(framework, rounds["typed"]["Housing"])
    statuses = {n for n in _open_actions(rounds["typed"]["Housing"]) if rounds["typed"]["Housing"].get(f"action/{n}/status")}
    for prefill in (False, True):
        ws = openpyxl.load_workbook(_workbook(rounds, "Housing", prefill), data_only=True)["Start"]
        total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "All parts, and the Action plan")
        rated = sum(1 for a in ratings if a.key in typed) if prefill else 0
        reported = len(statuses) if prefill else 0
        assert total[1:4] == (f"{rated} of {len(ratings)}", total[2],
                              f"0 added; {reported} of {len(actions)} carried reported on")
        help_text = next(row[1] for row in ws.iter_rows(values_only=True) if row[0] == "Instructions")
        assert "grey \"Last round\" column" in help_text and "From last round" in help_text
        assert ("start with your 2026 Q4 answers" in help_text) == prefill


def test_the_first_screen_shows_the_last_round_column_and_the_carried_actions_status(rounds):
    """At 100% on a 1366-pixel screen LibreOffice shows about 150 characters of columns: every column up to
    Last round fits (and up to 'Still true?' in a pre-filled workbook); on the Action plan the columns naming an action stay frozen, with Status, Progress
    note and Revised date beside them."""
    wb = openpyxl.load_workbook(_workbook(rounds, "Housing"))
    for ws in wb.worksheets[2:-3]:
        _, last_col = _header(ws, "Last round")
        widths = [_width(ws, c) for c in range(1, last_col + 1)]
        assert sum(widths) * LO_PIXELS_PER_CHARACTER <= LO_SCREEN_PIXELS, (ws.title, widths)
    ws = wb[SHEET_ACTIONS]
    header, action_col = _header(ws, "Action")
    assert ws.freeze_panes == f"{openpyxl.utils.get_column_letter(action_col + 1)}{header + 1}"
    following = [str(ws.cell(header, c).value) for c in range(action_col + 1, action_col + 4)]
    assert [h.split(" (")[0] for h in following] == ["Status", "Progress note", "Revised date"]
    frozen = sum(_width(ws, c) for c in range(1, action_col + 4))
    assert frozen * LO_PIXELS_PER_CHARACTER <= LO_SCREEN_PIXELS, frozen
    prefilled = openpyxl.load_workbook(_workbook(rounds, "Housing", prefill=True))
    for ws in prefilled.worksheets[2:-3]:  # a pre-filled workbook: up to 'Still true?', which follows Last round
        _, last_col = _header(ws, "Still true?")
        assert _header(ws, "Last round")[1] == last_col - 1, ws.title
        widths = [_width(ws, c) for c in range(1, last_col + 1)]
        assert sum(widths) * LO_PIXELS_PER_CHARACTER <= LO_SCREEN_PIXELS, (ws.title, widths)


LO_PIXELS_PER_CHARACTER = 8.0  # pixels per unit of stored column width, as LibreOffice 7.4 draws it at 100% (measured)
LO_SCREEN_PIXELS = 1366 - 37 - 66  # less the row numbers, the scroll bar and the collapsed sidebar


def _width(ws, col: int) -> float:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43


@pytest.mark.libreoffice
def test_a_last_round_answer_pasted_in_keeps_the_answer_look_and_progress_counts_what_is_typed(rounds, tmp_path):
    """In LibreOffice, on the protected sheet: copy a Last round cell, paste it into the answer cell beside
    it (the paste brings the grey look but not the lock), then report on one carried action and add a new
    one. The pasted cells print in the answer's yellow, not the grey; the Start sheet then says 1 added and
    1 carried reported on."""
    from test_libreoffice import lo_fill

    soffice = libreoffice_or_skip()
    source = _workbook(rounds, "Housing")
    wb = openpyxl.load_workbook(source)
    sheet = wb.worksheets[2]
    header, last_col = _header(sheet, "Last round")
    rows = [r for r in range(header + 1, sheet.max_row + 1) if sheet.cell(r, last_col).value is not None
            and not sheet.cell(r, last_col - 1).protection.locked]
    picked = [next(r for r in rows if "(pick)" in str(sheet.cell(r, 2).value)), rows[0]]
    pasted = [{"sheet": sheet.title, "cell": sheet.cell(r, last_col - 1).coordinate, "how": "copy",
               "from": sheet.cell(r, last_col).coordinate} for r in picked]
    actions = wb[SHEET_ACTIONS]
    top, status_col = _header(actions, "Status")
    _, action_col = _header(actions, "Action")
    blank = next(r for r in range(top + 1, actions.max_row + 1) if actions.cell(r, action_col).value is None)
    start = wb["Start"]
    total = next(r for r in range(1, start.max_row + 1) if start.cell(r, 1).value == "All parts, and the Action plan")
    plan = {"cells": pasted + [
        {"sheet": SHEET_ACTIONS, "cell": actions.cell(top + 1, status_col).coordinate, "text": "In progress",
         "how": "pick"},
        {"sheet": SHEET_ACTIONS, "cell": actions.cell(blank, action_col).coordinate, "text": "Open a carers' hub"}],
        "shown": [{"sheet": p["sheet"], "cell": p["cell"]} for p in pasted] + [{"sheet": "Start", "cell": f"D{total}"}]}
    report = lo_fill(soffice, source, plan, tmp_path / "filled")
    carried = len(_carried_labels(rounds["framework"], rounds["typed"]["Housing"]))  # the plan's own and each standard's
    *cells, progress = report["shown"]
    assert progress["string"] == f"1 added; 1 of {carried} carried reported on"
    for cell, entry in zip(cells, pasted):
        assert cell["string"] == str(sheet[entry["from"]].value)
        colours = _colours(Path(cell["pdf"]), tmp_path)
        assert colours.get(ANSWER_FILL, 0) > 20 * colours.get(LAST_ROUND_FILL, 0), (cell, colours)


ANSWER_FILL, LAST_ROUND_FILL = (0xFF, 0xF7, 0xD6), (0xF2, 0xF2, 0xF2)


def _colours(pdf: Path, folder: Path) -> dict[tuple[int, int, int], int]:
    """How many pixels of each colour a one-page PDF shows, rendered by poppler as a plain PPM image."""
    out = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", "40", "-singlefile", str(pdf), str(out)], check=True, timeout=60)
    data = out.with_suffix(".ppm").read_bytes()
    fields = data.split(maxsplit=4)  # P6, width, height, maximum, pixels
    pixels = fields[4]
    counts: dict = {}
    for n in range(0, len(pixels) - 2, 3):
        key = (pixels[n], pixels[n + 1], pixels[n + 2])
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.libreoffice
def test_respondents_edits_to_a_follow_up_workbook_never_misattribute(rounds, tmp_path):
    """The edits of tests/test_reading_edits.py (sorting, inserting and deleting rows and columns,
    typing beside the tables...) on a filled follow-up workbook: every typed value is compiled
    under its own key or reported, last round's cells are never read as anything, and every
    carried action keeps its 'From last round' id."""
    from test_reading_edits import SECTION_EDITS, _check_every_typed_value, _edit
    from test_respondent_workbook import _responses

    soffice = libreoffice_or_skip()
    source = _workbook(rounds, "Housing")
    filled_path = tmp_path / "filled.xlsx"
    filled = fill_by_label(source, filled_path, seed=3)
    last_round = _last_round_cells(filled_path)
    edits = [{"op": op, "choose": True} for op in SECTION_EDITS]
    # On the Action plan: a whole-row sort, and a sort of the Progress note column alone. (A sort
    # of a column of a few ordered choices, such as Priority, is told apart only from five filled
    # cells and three different choices on: tests/test_sorted_choices.py.)
    plan = openpyxl.load_workbook(filled_path)[SHEET_ACTIONS]
    header, action = _header(plan, "Action")
    _, progress = _header(plan, "Progress note")
    rows = [header + 1, header + 30]
    edits += [{"op": "sort_rows", "sheet": SHEET_ACTIONS, "rows": rows, "by": _letter(action)},
              {"op": "delete_row", "sheet": SHEET_ACTIONS, "choose": True},
              {"op": "sort_single_column", "sheet": SHEET_ACTIONS, "column": _letter(progress), "rows": rows},
              {"op": "type", "sheet": SHEET_ACTIONS, "choose": True},
              {"op": "insert_row", "sheet": SHEET_ACTIONS, "choose": True}]
    report = _edit(soffice, filled_path, edits, tmp_path / "edited", 3)
    moved = {(t["sheet"], t["cell"]): t["now"] for t in report["tracked"] if "typed_by" not in t}
    results = {}
    for fmt in ("xlsx", "ods"):
        folder = tmp_path / fmt
        folder.mkdir()
        (folder / f"housing.{fmt}").write_bytes(Path(report["outputs"][fmt]).read_bytes())
        ingest = ingest_returns([str(folder)], IngestOptions(out=tmp_path / f"consolidated-{fmt}.xlsx"))
        results[fmt] = (ingest, _responses(tmp_path / f"consolidated-{fmt}.xlsx"), {})
    carried = _carried_labels(rounds["framework"], rounds["typed"]["Housing"])
    for fmt, (ingest, rows, _) in results.items():
        _check_every_typed_value((rounds["framework"].id, filled, report, results), fmt, share=0.6)
        for sheet, cell in last_round:
            now = moved[(sheet, cell)]
            assert now is None or (sheet, now) not in rows, (fmt, sheet, cell, rows.get((sheet, now)))
        assert any(f.code == "column-looks-sorted" and f.sheet == SHEET_ACTIONS for f in ingest.findings), fmt
        ids = sorted(row["value"] for row in rows.values() if row["field"] == "carried")
        assert ids == sorted(carried), fmt


def _letter(column: int) -> str:
    return openpyxl.utils.get_column_letter(column)


def _last_round_cells(path: Path) -> list[tuple[str, str]]:
    """Every filled cell under a 'Last round' header, as a person finds them."""
    wb = openpyxl.load_workbook(path)
    found = []
    for ws in wb.worksheets:
        try:
            header, col = _header(ws, "Last round")
        except AssertionError:
            continue
        found += [(ws.title, ws.cell(r, col).coordinate) for r in range(header + 1, ws.max_row + 1)
                  if ws.cell(r, col).value is not None]
    assert found
    return found


def test_several_answer_columns_each_get_their_own_last_round_column(tmp_path, tiny_framework_yaml, monkeypatch):
    """A framework asking two things of every statement: each answer column has its Last round
    column, headed by the field it follows, and the return reads back without a finding about them."""
    folder = tmp_path / "frameworks"
    folder.mkdir()
    two = re.sub(r"( *)- \{id: evidence, label: Evidence, type: text\}\n",
                 r"\g<0>\1- {id: done_by, label: Done by, type: date}\n", tiny_framework_yaml)
    assert "done_by" in two
    (folder / "tiny.yaml").write_text(two, encoding="utf-8")
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(folder))
    framework = get_framework("tiny")
    answers = {"statement/1.1/evidence": "Census 2021 and the JSNA", "statement/1.1/done_by": dt.date(2026, 5, 1),
               "item/1/rating": 2.0}
    previous = _previous_round(framework, answers)
    out = build_workbooks(framework, [Respondent("Housing")],
                          BuildOptions(out_dir=tmp_path / "built", records=tmp_path / "built", round="2027 Q4", password="secret",
                                       previous=previous))
    built = out.files[0].workbook
    ws = openpyxl.load_workbook(built)[plan_workbook(framework).sections[0].name]
    header, evidence_col = _header(ws, "Last round: Evidence")
    _, date_col = _header(ws, "Last round: Done by")
    row = next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value == "1.1")
    assert ws.cell(row, evidence_col).value == "Census 2021 and the JSNA"
    assert ws.cell(row, date_col).value == dt.datetime(2026, 5, 1)
    rating_row = next(r for r in range(header + 1, ws.max_row + 1) if str(ws.cell(r, 2).value).startswith("Rating"))
    assert ws.cell(rating_row, evidence_col).value == "2 - Fair"  # a question's row: beside its one answer cell
    filled = tmp_path / "filled.xlsx"
    fill_by_label(built, filled)
    checked, answers_back = _read_back(filled, built.parent / "manifest.csv")
    assert not {f.code for f in checked.findings} & {"content-outside-layout", "text-changed", "column-missing-text"}
    assert answers_back["action/1/carried"].value == "2026 Q4 #1"


def test_more_actions_than_the_plan_has_rows_are_all_carried(tmp_path):
    framework = get_framework("swia-commissioning")
    actions = [PreviousAction.on_row(n, criterion="", action=f"Action number {n}", owner="Lead", due=None, status="In progress", priority="") for n in range(1, 46)]
    previous = PreviousRound(Path("last.xlsx"), "2026 Q4", framework.id, framework.version,
                             {"housing": PreviousRespondent("Housing", {}, actions)})
    out = build_workbooks(framework, [Respondent("Housing")],
                          BuildOptions(out_dir=tmp_path, records=tmp_path, round="2027 Q4", password="secret",
                                       previous=previous))
    built = out.files[0].workbook
    ws = openpyxl.load_workbook(built)[SHEET_ACTIONS]
    header, carried_col = _header(ws, "From last round")
    assert ws.cell(header + 45, carried_col).value == "2026 Q4 #45"
    assert ws.cell(header + 45, 1).value == 45 and not ws.cell(header + 45, _header(ws, "Status")[1]).protection.locked
    _, answers = _read_back(built, built.parent / "manifest.csv")
    assert [answers[f"action/{n}/carried"].value for n in range(1, 46)] == [f"2026 Q4 #{n}" for n in range(1, 46)]
    assert answers["action/45/action"].value == "Action number 45"


def test_a_correction_names_the_field_of_a_follow_up_workbooks_cell(tmp_path):
    """The Action plan of a follow-up workbook has an extra column: a correction asked of the
    respondent still names the field whose cell it is ('Owner', not the column built there before)."""
    from sheetkit.mail.corrections import problems

    framework = get_framework("lga-cbo")
    action = PreviousAction.on_row(1, criterion="", action="Review the market position statement", owner="", due=dt.date(2027, 1, 31), status="", priority="")
    previous = PreviousRound(Path("last.xlsx"), "2026 Q4", framework.id, framework.version,
                             {"housing": PreviousRespondent("Housing", {}, [action])})
    out = build_workbooks(framework, [Respondent("Housing")],
                          BuildOptions(out_dir=tmp_path, records=tmp_path, round="2027 Q4", password="secret",
                                       previous=previous))
    built = fill(out.files[0].workbook, tmp_path / "returned.xlsx", {})  # opened and saved: not as sent
    checked, _ = _read_back(built, tmp_path / "manifest.csv")
    (finding,) = [f for f in checked.findings if f.code == "action-incomplete"]
    ws = openpyxl.load_workbook(built)[SHEET_ACTIONS]
    assert ws[finding.cell].column == _header(ws, "Owner")[1]
    must, _ = problems(checked, plan_workbook(framework))
    (asked,) = [p for p in must + _ if p.finding is finding]
    assert asked.question == "'Owner' of the action 'Review the market position statement'", asked.question
    assert "this is blank" in asked.words, asked.words
