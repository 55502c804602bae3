"""The Start sheet: what the respondent reads first, and where it sits (drawn by :mod:`sheetkit.workbook.start_draw`).

Title rows, the facts block (framework, respondent, round, deadline), the help text, the
progress panel (ratings and evidence boxes filled, part by part) and, below them, the
answer table of framework-level questions and the sign-off. The reader skips the cells
above the table (:func:`start_static_cells`) and reads the table as any other.
"""

from __future__ import annotations


from sheetkit.framework.model import Framework
from .layout import (
    ANSWER_HEADER,
    FIELD_HEADER,
    LAST_ROUND_HEADER,
    LAST_ROUND_WIDTH,
    SIGNOFF_FIELDS,
    STILL_TRUE_HEADER,
    STILL_TRUE_WIDTH,
    AnswerCell,
    Column,
    Row,
    SheetTable,
    WorkbookLayout,
    confirmation_cell,
    field_label,
)
from sheetkit.common.own_files import SHEET_START
from sheetkit.framework.keys import AnswerKey

START_INFO_ROW = 2
START_HELP_ROW = 11
START_PROGRESS_ROW = 14
START_WIDTHS = (34, 90)
PROGRESS_WIDTHS = (18, 24)  # the progress panel's last two columns, beside the Start sheet's two
START_FACTS = ("Framework", "Source", "Respondent", "Organisation", "Assessment round", "Please return by",
               "Your contact")
PROGRESS_HEADERS = ("Part", "Ratings given", "Evidence boxes filled", "Actions")
PROTECTED_VIEW = ("If a yellow bar says PROTECTED VIEW, click Enable Editing: the dropdown lists and date "
                  "checks only work once editing is enabled.")


def plan_start(framework: Framework, sections: int, follow_up: bool = False, still_true: bool = False) -> SheetTable:
    """The Start sheet's answer table: framework-level questions, then the sign-off (and, in a
    follow-up workbook, the Last round column, and in a pre-filled one 'Still true?')."""
    columns = [Column(FIELD_HEADER, START_WIDTHS[0], "text"), Column(ANSWER_HEADER, START_WIDTHS[1], "answer")]
    if follow_up and framework.fields("framework"):
        columns.append(Column(LAST_ROUND_HEADER, LAST_ROUND_WIDTH, "previous"))
        if still_true:
            columns.append(Column(STILL_TRUE_HEADER, STILL_TRUE_WIDTH, "confirm"))
    header = START_PROGRESS_ROW + sections + 4
    table = SheetTable(SHEET_START, framework.title, columns, header_row=header)
    fields = [(f, "framework") for f in framework.fields("framework")] + [(f, "signoff") for f in SIGNOFF_FIELDS]
    for n, (f, level) in enumerate(fields, start=header + 1):
        label = field_label(f)
        cell = AnswerCell(AnswerKey.of(level, "-", f.id), SHEET_START, n, 1, f, label=label, header=ANSWER_HEADER)
        confirm = confirmation_cell(cell, table) if level == "framework" and table.col("confirm") >= 0 else None
        table.rows.append(Row("field", n, "", label, answers=(cell,), confirm=confirm))
    return table


def start_static_cells(layout: WorkbookLayout) -> set[tuple[int, int]]:
    """The Start sheet cells above its answer table that the writer fills (facts, help, progress)."""
    cells = {(0, 0), (1, 0), (START_HELP_ROW - 2, 0), (START_HELP_ROW - 1, 0), (START_HELP_ROW, 0),
             (START_HELP_ROW, 1), (START_PROGRESS_ROW - 1, 0)}
    cells |= {(r, c) for r in range(START_INFO_ROW, START_INFO_ROW + len(START_FACTS)) for c in (0, 1)}
    last = START_PROGRESS_ROW + len(layout.sections) + 1
    cells |= {(r, c) for r in range(START_PROGRESS_ROW, last + 1) for c in range(len(PROGRESS_HEADERS))}
    cells |= {(layout.start.header_row - 1, 0)}
    return cells
