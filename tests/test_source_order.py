"""Each built workbook read top to bottom as a person reads it: what a rating rates (the
criteria, essential features, level statements) stands above the rating and the questions
about it, and the header over every answer cell fits that cell.

The framework says what each item's statements are; the built .xlsx alone says where they
stand (the text on the sheet) and where its ratings and questions are (the unlocked cells,
their dropdowns, the label and Ref a person reads on their row). The layout objects are
never consulted.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from conftest import BUNDLED, build
from fill_by_label import find_fields, text_of
from sheetkit.framework.library import get_framework
from sheetkit.framework.model import RESPONSE_LEVELS

HINT = re.compile(r"\s*\((pick|type here|date|name or role)(; added by sheetkit)?\)\s*$")
GENERIC_HEADERS = {"Your answer"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    return {fid: build(fid, out / fid, names=("Housing",))[0] for fid in BUNDLED}


def _squash(text) -> str:
    return " ".join(text_of(text).split())


def _bare(text) -> str:
    return HINT.sub("", _squash(text))


def _first_row_showing(ws, text: str) -> int | None:
    """The first row whose visible text holds the start of `text` (a long text continues on the rows below)."""
    start = _squash(text)[:60]
    for row in ws.iter_rows():
        for cell in row:
            if cell.protection.locked and start and start in _squash(cell.value):
                return cell.row
    return None


def _rated(fw, section, ref: str):
    """What the rating on a row with this Ref rates: an item's statements and levels, or, for the
    section's own rating (Ref 'Domain 1'), everything in the section."""
    items = [item for item in section.items if item.id == ref]
    if not items and ref == f"{fw.labels['section']} {section.id}":
        items = list(section.items)
    texts = [st.text for item in items for st in item.statements]
    texts += [lv.text for item in items for lv in item.levels]
    return items, texts


def _row(cell: str) -> int:
    return int(re.sub(r"[A-Z]+", "", cell))


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_no_rating_or_question_stands_above_what_it_rates(built, framework_id):
    fw = get_framework(framework_id)
    wb = openpyxl.load_workbook(built[framework_id])
    fields = find_fields(built[framework_id])
    labels = {f.label for level in ("item", "section") for f in fw.fields(level)}
    by_title = {ws.title: ws for ws in wb.worksheets}
    checked = 0
    tabs = [ws for ws in wb.worksheets if ws.sheet_state == "visible"][2:]  # after Start and Scale, one per section
    for section, sheet in zip(fw.sections, tabs):
        questions = [f for f in fields if f.sheet == sheet.title and _bare(f.row_label) in labels]  # beside a label
        ratings = [f for f in questions if f.choices and any(c in fw.scale(s.id).choices for s in fw.scales
                                                             for c in f.choices)]
        assert ratings, (framework_id, section.id, "no rating found on the sheet")
        for question in questions:
            items, texts = _rated(fw, section, question.ref)
            assert items, (sheet.title, question.cell, question.ref, "the Ref names nothing in the section")
            for text in texts:
                where = _first_row_showing(by_title[sheet.title], text)
                assert where is not None, (sheet.title, text[:60], "not shown")
                assert where < _row(question.cell), (
                    f"{sheet.title}!{question.cell} ('{question.row_label}') stands above what it asks about: "
                    f"'{text[:60]}' is on row {where}")
                checked += 1
    assert checked


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_the_header_over_every_answer_cell_fits_it(built, framework_id):
    """A question answered beside its label sits under a header that says 'Your answer' (or its own
    label), never under another field's header ('Our evidence' over a rating)."""
    fw = get_framework(framework_id)
    labels = {f.label for level in RESPONSE_LEVELS for f in fw.fields(level)}
    for f in find_fields(built[framework_id]):
        if f.sheet in ("Start", "Action plan"):
            continue
        header, label = _bare(f.column_header), _bare(f.row_label)
        if label in labels:
            assert header in GENERIC_HEADERS | {label} or header.startswith("Last round"), (f.sheet, f.cell, label,
                                                                                             header)
        else:
            assert header in labels, (f.sheet, f.cell, label, header)


def test_swia_names_each_essential_feature_above_its_record(built):
    """The source's record lists features as '(a)', '(b)': the heading says what they are, and the
    feature's words come before 'How do you rate performance in this area?'."""
    wb = openpyxl.load_workbook(built["swia-commissioning"])
    ws = wb["Theme 1 Analyse"]
    rows = [[_squash(c.value) for c in row if _squash(c.value)] for row in ws.iter_rows()]
    flat = [" | ".join(r) for r in rows]
    heading = next(n for n, r in enumerate(flat) if "Essential feature (a)" in r)
    feature = next(n for n, r in enumerate(flat) if "there is shared understanding about the outcomes" in r)
    record = next(n for n, r in enumerate(flat) if "Your assessment of Essential feature (a)" in r)
    rating = next(n for n, r in enumerate(flat) if "How do you rate performance in this area?" in r)
    assert heading < feature < record < rating


EARLIER = Path(__file__).resolve().parent / "fixtures" / "earlier-layout"


@pytest.mark.parametrize("name, expected", [
    ("lga-cbo_housing_2026-q4.xlsx", {}),
    ("swia-commissioning_provider-forum_2026-q4.xlsx",  # its mistakes, made on purpose, and nothing else
     {"rating-out-of-scale": 2, "date-invalid": 1, "date-ambiguous": 1, "action-incomplete": 1}),
])
def test_a_return_of_a_workbook_built_before_the_reordering_is_read_as_it_was(name, expected):
    """Workbooks built by sheetkit 0.1 (rating first, text columns 48 wide, SWIA's bare '(a)') may still
    come back after an upgrade: every answer is read beside the label or under the Ref it was typed at,
    and the old layout's wording, split over rows where 0.1 split it, raises no finding."""
    from collections import Counter

    from sheetkit.returns.check import validate_returns
    from sheetkit.returns.outcome import CheckOptions

    report = validate_returns([str(EARLIER / name)], CheckOptions())
    (checked,) = report.returns
    assert checked.status == "accepted"
    assert Counter(f.code for f in checked.findings if f.code != "sign-off-missing") == Counter(expected)
    wb = openpyxl.load_workbook(EARLIER / name)
    read = 0
    for answer in checked.answers:
        assert not answer.key.startswith("unplaced/"), answer
        ws = wb[answer.sheet]
        cell = ws[answer.cell]
        shown = text_of(cell.value).split(" ")[0] if answer.field.type == "criterion" else text_of(cell.value)
        assert shown == text_of(answer.raw) or answer.field.type == "date", (answer.key, answer.cell)
        row = [text_of(c.value) for c in ws[cell.row]]
        if answer.statement_id:
            assert row[0] == answer.statement_id, (answer.key, row[:2])
        elif answer.sheet not in ("Start", "Action plan"):
            assert _bare(row[1]) == answer.field.label, (answer.key, row[:2])
        read += 1
    assert read > 40
