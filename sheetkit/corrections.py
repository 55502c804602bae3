"""A return's findings in the respondent's words: what to put right, cell by cell, and what is fine.

Findings are written for the lead ("rating '4.5' for '...' is not on the scale"). A respondent
needs the same fact said for them, with the sheet and cell they see and what to do:
"Sheet '2 Inclusive', cell G15: the rating '4.5' is not one of 1–10; please pick from the list".
``WORDING`` holds that wording for every finding code, in one place; a code it does not know
falls back to the finding's own message, and codes marked ``None`` concern only the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .findings import Finding
from .framework import PRIORITIES
from .layout import SHEET_META, WorkbookLayout, cell_for
from .validate import CheckedReturn

# {value}: what the cell holds; {label}: the answer's heading; {levels}: the rating scale's levels.
WORDING: dict[str, str | None] = {
    "rating-out-of-scale": "the rating '{value}' is not one of {levels}; please pick from the list",
    "rating-missing": "no rating is given for '{label}'; please pick one from the list",
    "rating-without-evidence": "a rating is given with no evidence behind it; please add a few words on what it "
                               "is based on",
    "date-invalid": "'{label}' holds '{value}', which is not a date; please type a date such as 2027-03-31, or "
                    "leave the cell blank",
    "date-ambiguous": "the date '{value}' could be read as day/month or as month/day; please pick it again, or "
                      "type it as year-month-day, such as 2027-02-01",
    "priority-invalid": "the priority '{value}' is not one of " + ", ".join(PRIORITIES) + "; please pick from "
                        "the list",
    "choice-invalid": "'{value}' is not one of the choices for '{label}'; please pick from the list",
    "action-incomplete": "an action is given, but '{label}' is blank; please say who will do it and by when",
    "text-too-long": "this text is longer than a spreadsheet cell can hold; we have kept all of it, but a "
                     "shorter version would be easier to read",
    "statement-changed": "the printed wording here was changed; please put it back as it was, and write any "
                         "comment in the yellow answer cells instead",
    "sheet-missing": "this sheet is missing from the workbook you sent, so none of its answers could be read; "
                     "please send the whole workbook, without deleting or renaming sheets",
    "sheet-renamed": "this sheet was renamed; we could still read it, but please keep the sheet names as they were",
    "return-empty": "the workbook came back with no answers in it; perhaps the blank copy was sent by mistake? "
                    "Please send the filled-in one",
    "round-mismatch": "this is the workbook for another assessment round; please fill in the workbook for this "
                      "round (attached)",
    "framework-mismatch": "this is the workbook for another self-assessment; please fill in the workbook for "
                          "this one (attached)",
    "framework-unknown": "this is the workbook for another self-assessment; please fill in the workbook for this "
                         "one (attached)",
    "version-mismatch": "this workbook was made from an earlier version of the framework; please copy your "
                        "answers into the workbook attached and send that",
    "fingerprint-mismatch": "this workbook was made from different wording of the framework; please copy your "
                            "answers into the workbook attached and send that",
    "not-sheetkit": "this is not the workbook we sent; please fill in the workbook attached and send that",
    "not-a-workbook": "we could not open the file as an Excel workbook; please save it as an Excel workbook "
                      "(.xlsx) and send it again",
    "file-unreadable": "the file arrived damaged and could not be opened; please save it again and resend it",
    "file-too-large": "the file is far larger than the workbook could be; please send the workbook again",
    "file-unsafe": "the file could not be opened safely; please send the workbook again, saved as .xlsx",
    "password-protected": "the workbook has a password to open it; please remove the password (File > Info > "
                          "Protect Workbook) and send it again",
    "reader-failed": "the file could not be read; please save it as an Excel workbook (.xlsx) and send it again",
    "table-not-found": "the headings of this sheet were changed or removed, so none of its answers could be read; "
                       "please put the headings back as they were, or copy your answers into the workbook we sent",
    "column-missing": "an answer column was deleted or its heading changed, so nothing in it could be read; please "
                      "put it back as it was",
    "row-missing": "a row with answers was deleted, or its reference or label changed, so its answers could not be "
                   "read; please put it back as it was",
    "row-duplicated": "this row was copied, so we cannot tell which copy holds your answer; please delete the extra "
                      "copy",
    "column-sorted-alone": "this column was sorted on its own, so its answers no longer sit beside their questions; "
                           "please undo the sort, or copy your answers into the workbook we sent",
    "content-outside-layout": "something was typed outside the answer cells; if it is an answer, please move it "
                              "into the yellow cell where it belongs",
    "extra-sheet": "a sheet was added; we kept what it holds, but please put your answers in the yellow cells of "
                   "the sheets we sent",
    "formula-without-value": "this cell holds a formula with no saved result; please type the value itself",
    "error-value": "this cell shows an error (such as #N/A); please type the value you meant",
    "text-changed": "the printed wording here was changed; we kept your answers, but please leave the printed text "
                    "as it was",
    "sign-off-missing": "nobody has signed the return off; please add who completed and approved it",
    "old-format": "the workbook was saved in the old .xls format; we could read it, but long answers may have "
                  "been cut short, so please save it as an Excel workbook (.xlsx) next time",
    # for the lead only: nothing for the respondent to do
    "macros-ignored": None,
    "return-late": None,
    "superseded": None,
    "duplicate-file": None,
    "respondent-unknown": None,
    "no-return": None,
    "carried-action-unknown": None,
    "list-not-utf8": None,
    "column-missing-text": None,
    "cell-comment": None,
    "return-conflict": None,  # which of their files to use is the lead's call (--prefer)
    "return-forwarded": None,  # who filled it in is for the lead to ask, not a cell to correct
    "container-unreadable": None,
    "container-empty": None,
    "outlook-message": None,
    "output-skipped": None,
    "table-kept-out": None,
    "cache-ignored": None,
    "cache-unwritable": None,
    "file-skipped": None,
    "name-not-text": None,  # the file's name on the lead's disk, nothing the respondent typed
    "item-not-mapped": None,  # the lead's item map between framework versions, nothing in a return
}
RESEND_CODES = frozenset({"return-empty"})  # warnings that still mean the return cannot be used as it is


@dataclass(frozen=True)
class Problem:
    """One finding as the respondent should read it."""

    finding: Finding
    sheet: str
    cell: str
    words: str

    def render(self) -> str:
        if self.sheet and self.cell:
            return f"Sheet '{self.sheet}', cell {self.cell}: {self.words}"
        if self.sheet:
            return f"Sheet '{self.sheet}': {self.words}"
        return f"The workbook: {self.words}"


def needs_correction(ret: CheckedReturn) -> bool:
    """Whether the respondent must put something right and resend."""
    return any((f.is_error or f.code in RESEND_CODES) and not lead_only(f) for f in ret.findings)


def lead_only(finding: Finding) -> bool:
    """A finding for the lead to settle, not the respondent (such as which of two files to use)."""
    return finding.code in WORDING and WORDING[finding.code] is None


def problems(ret: CheckedReturn, layout: WorkbookLayout | None) -> tuple[list[Problem], list[Problem]]:
    """(to put right, optional) for a return, in workbook order: sheet by sheet, row by row."""
    must, may = [], []
    for finding in sorted(ret.findings, key=_order(layout)):
        words = _words(finding, ret, layout)
        if words is None:
            continue
        sheet = "" if finding.sheet == SHEET_META else finding.sheet
        problem = Problem(finding, sheet, finding.cell if sheet else "", words)
        (must if finding.is_error or finding.code in RESEND_CODES else may).append(problem)
    return must, may


def fine_sheets(layout: WorkbookLayout | None, must: list[Problem]) -> list[str]:
    """The answer sheets with nothing to put right."""
    if layout is None:
        return []
    troubled = {p.sheet for p in must}
    if any(not p.sheet for p in must):
        return []
    answer_sheets = dict.fromkeys(cell.sheet for cell in layout.answers)
    return [name for name in answer_sheets if name not in troubled]


def _words(finding: Finding, ret: CheckedReturn, layout: WorkbookLayout | None) -> str | None:
    if lead_only(finding):
        return None
    template = WORDING.get(finding.code)
    if template is None:
        return finding.message
    answer = next((a for a in ret.answers if a.sheet == finding.sheet and a.cell == finding.cell), None)
    cell = _layout_cell(layout, finding, ret)
    field = answer.field if answer else (cell.field if cell else None)
    return template.format(value=answer.text if answer else "", label=field.label if field else "this cell",
                           levels=_levels(layout, field))


def _layout_cell(layout: WorkbookLayout | None, finding: Finding, ret: CheckedReturn):
    """The answer cell a finding is about: the one the return's answer was found in (wherever the
    respondent's edits, or a follow-up workbook's extra columns, put it), else the one built there."""
    if layout is None:
        return None
    key = next((k for k, where in ret.placed.items() if where == (finding.sheet, finding.cell)), None)
    if key is not None:
        return cell_for(layout, key)
    return next((c for c in layout.answers if c.sheet == finding.sheet and c.cell == finding.cell), None)


def _levels(layout: WorkbookLayout | None, field) -> str:
    """A rating scale's levels as a respondent reads them: '1–10', or its choices."""
    if layout is None or field is None or field.type != "rating":
        return "the levels in the list"
    scale = layout.framework.scale(field.scale)
    values = sorted(scale.values)
    if values == list(range(values[0], values[-1] + 1)) and len(values) > 3:
        return f"{values[0]}\u2013{values[-1]}"
    return ", ".join(scale.choices)


def _order(layout: WorkbookLayout | None):
    sheets = {name: n for n, name in enumerate(layout.sheet_names)} if layout else {}

    def key(finding: Finding):
        match = re.fullmatch(r"([A-Z]+)(\d+)", finding.cell or "")
        row, col = (int(match[2]), (len(match[1]), match[1])) if match else (0, (0, ""))
        return sheets.get(finding.sheet, len(sheets)), finding.sheet, row, col

    return key
