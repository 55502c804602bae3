"""A return's findings in the respondent's words: what to put right, cell by cell, and what is fine.

Findings are written for the lead ("rating '4.5' for '...' is not on the scale"). A respondent
needs the same fact said for them: the question as they see it, then the sheet and cell, and what
to do: "Standard 4, 'Self-assessment rating (1-10)', on sheet '2 Inclusive' (cell G15): the rating
'4.5' is not one of 1–10; please pick from the list".
Each finding code's entry in the catalogue (:mod:`sheetkit.common.findings`) holds that
wording; a code without it falls back to the finding's own message, and codes marked
``lead_only`` concern only the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sheetkit.common.findings import CATALOGUE, Finding
from sheetkit.common.text import clip
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import PRIORITIES, item_name
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.workbook.plan import cell_for
from sheetkit.common.own_files import SHEET_META
from sheetkit.returns.model import CheckedReturn

RESEND_CODES = frozenset({"return-empty"})  # warnings that still mean the return cannot be used as it is


@dataclass(frozen=True)
class Problem:
    """One finding as the respondent should read it: the question they see, then where it is."""

    finding: Finding
    sheet: str
    cell: str
    words: str
    question: str = ""  # "Standard 1, 'Self-assessment rating (1-10)'", when the cell answers a question

    def render(self) -> str:
        if self.question and self.sheet and self.cell:
            return f"{self.question}, on sheet '{self.sheet}' (cell {self.cell}): {self.words}"
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
    return CATALOGUE[finding.code].lead_only


def problems(ret: CheckedReturn, layout: WorkbookLayout | None) -> tuple[list[Problem], list[Problem]]:
    """(to put right, optional) for a return, in workbook order: sheet by sheet, row by row."""
    must, may = [], []
    for finding in sorted(ret.findings, key=_order(layout)):
        words = _words(finding, ret, layout)
        if words is None:
            continue
        sheet = "" if finding.sheet == SHEET_META else finding.sheet
        question = _question(_layout_cell(layout, finding, ret), ret, layout) if sheet and finding.cell else ""
        problem = Problem(finding, sheet, finding.cell if sheet else "", words, question)
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
    template = CATALOGUE[finding.code].respondent
    if not template:
        return finding.message
    answer = next((a for a in ret.answers if a.sheet == finding.sheet and a.cell == finding.cell), None)
    cell = _layout_cell(layout, finding, ret)
    field = answer.field if answer else (cell.field if cell else None)
    return template.format(value=answer.text if answer else "", label=field.label if field else "this cell",
                           levels=_levels(layout, field), choices=", ".join(PRIORITIES))


def _layout_cell(layout: WorkbookLayout | None, finding: Finding, ret: CheckedReturn):
    """The answer cell a finding is about: the one the return's answer was found in (wherever the
    respondent's edits, or a follow-up workbook's extra columns, put it), else the one built there."""
    if layout is None:
        return None
    key = next((k for k, where in ret.placed.items() if where == (finding.sheet, finding.cell)), None)
    if key is not None:
        return cell_for(layout, key)
    return next((c for c in layout.answers if c.sheet == finding.sheet and c.cell == finding.cell), None)


def _question(cell, ret: CheckedReturn, layout: WorkbookLayout | None) -> str:
    """The question an answer cell answers, as the respondent reads it on the sheet: 'Standard 1,
    'Self-assessment rating (1-10)'', 'Criterion 1.3, 'Our evidence'', ''Due date' of the action
    'Review fee levels...'', on a reply 'Standard 1, 'Your revised rating''; '' for a cell that answers no
    question."""
    if layout is None or cell is None or cell.field.level == "unplaced":
        return ""
    fw, key, label = layout.framework, cell.answer_key, f"'{cell.field.label}'"
    if key.level == "action":
        action = next((a.text for a in ret.answers if a.key == AnswerKey.action(int(key.owner), "action")), "")
        return f"{label} of the action '{clip(action, 50)}'" if action.strip() else f"{label} of an action"
    if key.level == "statement":
        return f"{fw.labels['statement']} {cell.statement_id}, {label}"
    level = AnswerKey.level_of(key.rated) if key.level == "reply" else key.level  # a reply's row: its rating's
    if level == "item":
        item = next((i for _, i in fw.items() if i.id == cell.item_id), None)
        return f"{item_name(fw, item)}, {label}" if item else label
    if level == "section":
        return f"{fw.labels['section']} {cell.section_id} as a whole, {label}"
    return label


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
