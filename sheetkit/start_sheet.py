"""The Start sheet: what the respondent reads first, where it sits, and how it is drawn.

Title rows, the facts block (framework, respondent, round, deadline), the help text, the
progress panel (ratings and evidence boxes filled, part by part) and, below them, the
answer table of framework-level questions and the sign-off. The reader skips the cells
above the table (:func:`start_static_cells`) and reads the table as any other.
"""

from __future__ import annotations

from string import Template

from .framework import Framework
from .layout import (
    ANSWER_HEADER,
    FIELD_HEADER,
    LAST_ROUND_HEADER,
    LAST_ROUND_WIDTH,
    SHEET_ACTIONS,
    SHEET_START,
    SIGNOFF_FIELDS,
    TEXT_FONT,
    AnswerCell,
    Column,
    Row,
    SheetTable,
    WorkbookLayout,
    cell_name,
    field_label,
)
from .library import template_text
from .styles import ok
from .cells import write_text

START_INFO_ROW = 2
START_HELP_ROW = 11
START_PROGRESS_ROW = 14
START_WIDTHS = (34, 90)
START_FACTS = ("Framework", "Source", "Respondent", "Organisation", "Assessment round", "Please return by",
               "Your contact")
PROGRESS_HEADERS = ("Part", "Ratings given", "Evidence boxes filled", "Actions")
PROTECTED_VIEW = ("If a yellow bar says PROTECTED VIEW, click Enable Editing: the dropdown lists and date "
                  "checks only work once editing is enabled.")


def plan_start(framework: Framework, sections: int, follow_up: bool = False) -> SheetTable:
    """The Start sheet's answer table: framework-level questions, then the sign-off (and, in a
    follow-up workbook, the Last round column)."""
    columns = [Column(FIELD_HEADER, START_WIDTHS[0], "text"), Column(ANSWER_HEADER, START_WIDTHS[1], "answer")]
    if follow_up and framework.fields("framework"):
        columns.append(Column(LAST_ROUND_HEADER, LAST_ROUND_WIDTH, "previous"))
    header = START_PROGRESS_ROW + sections + 4
    table = SheetTable(SHEET_START, framework.title, columns, header_row=header)
    fields = [(f, "framework") for f in framework.fields("framework")] + [(f, "signoff") for f in SIGNOFF_FIELDS]
    for n, (f, level) in enumerate(fields, start=header + 1):
        label = field_label(f)
        cell = AnswerCell(f"{level}/-/{f.id}", SHEET_START, n, 1, f, label=label, header=ANSWER_HEADER)
        table.rows.append(Row("field", n, "", label, answers=(cell,)))
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


def write_start(w, ws) -> None:
    """Draw the Start sheet with the workbook writer `w` (sheetkit.writer)."""
    f, facts, fw = w.fmt, w.facts, w.fw
    ws.set_column(0, 0, START_WIDTHS[0])
    ws.set_column(1, 1, START_WIDTHS[1])
    ws.set_column(2, 3, 18)
    write_text(ws, 0, 0, fw.title, f["title"])
    write_text(ws, 1, 0, f"Self-assessment workbook for {facts.respondent}", f["note"])
    values = (f"{fw.title} (version {fw.version})", fw.source.citation(), facts.respondent,
              facts.organisation, facts.round, facts.deadline.strftime("%A %d %B %Y"),
              facts.return_to or "the person who sent you this workbook")
    for row, (label, value) in enumerate(zip(START_FACTS, values), start=START_INFO_ROW):
        write_text(ws, row, 0, label, f["label"])
        write_text(ws, row, 1, value, f["text"])
        w.fit_row(ws, row, [(value, START_WIDTHS[1], TEXT_FONT)])
    write_text(ws, START_HELP_ROW - 2, 0, PROTECTED_VIEW, f["note"])
    write_text(ws, START_HELP_ROW - 1, 0, "How to fill it in", f["heading"])
    help_text = Template(template_text("instructions.txt", facts.templates)).safe_substitute(
        return_to=facts.return_to or "the person who sent it", deadline=facts.deadline.strftime("%d %B %Y"),
        section=fw.labels["section"].lower(),
        answer=[c for c in w.layout.sections[0].columns if c.kind == "answer"][-1].header)
    write_text(ws, START_HELP_ROW, 0, "Instructions", f["label"])
    write_text(ws, START_HELP_ROW, 1, help_text.strip(), f["text"])
    w.fit_row(ws, START_HELP_ROW, [(help_text.strip(), START_WIDTHS[1], TEXT_FONT)])
    _write_progress(w, ws)
    table = w.layout.start
    write_text(ws, table.header_row - 1, 0, "Your answers and sign-off", f["heading"])
    w.write_table(ws, table)
    ws.print_area(0, 0, table.rows[-1].row, 3)
    w.print_setup(ws, portrait=True)
    w.protect(ws)


def _write_progress(w, ws) -> None:
    """Per part: n of m ratings, n of m evidence boxes, n actions, with a link to the part. The
    values stored with the formulas count what the workbook starts with (LibreOffice shows them
    until it recalculates)."""
    f, layout, given = w.fmt, w.layout, w.carried.values
    write_text(ws, START_PROGRESS_ROW - 1, 0, "Your progress", f["heading"])
    for col, text in enumerate(PROGRESS_HEADERS):
        write_text(ws, START_PROGRESS_ROW, col, text, f["header"])
    totals = [[], []]
    for row, sheet in enumerate(layout.sections, start=START_PROGRESS_ROW + 1):
        ratings = [a for a in sheet.answers if a.field.type == "rating"]
        evidence = [a for a in sheet.answers if a.field.type == "text"]
        totals[0] += ratings
        totals[1] += evidence
        ok(ws.write_url(row, 0, f"internal:'{sheet.name}'!A1", f["link"], sheet.name,
                        f"Go to {sheet.title}"), f"the link to '{sheet.name}'")
        ws.write_formula(row, 1, _n_of_m(ratings), f["text"], _counted(ratings, given))
        ws.write_formula(row, 2, _n_of_m(evidence), f["text"], _counted(evidence, given))
    total_row = START_PROGRESS_ROW + len(layout.sections) + 1
    ok(ws.write_url(total_row, 0, f"internal:'{SHEET_ACTIONS}'!A1", f["link"], "All parts, and the Action plan"),
       "the link to the action plan")
    ws.write_formula(total_row, 1, _n_of_m(totals[0]), f["label"], _counted(totals[0], given))
    ws.write_formula(total_row, 2, _n_of_m(totals[1]), f["label"], _counted(totals[1], given))
    first = next(a for a in layout.actions.rows[0].answers if a.field.id == "action")
    actions = sum(1 for key in given if key.startswith("action/") and key.endswith("/action"))
    ws.write_formula(total_row, 3, f"=COUNTA('{SHEET_ACTIONS}'!{cell_name(first.row, first.col)}:"
                                   f"{cell_name(first.row + 999, first.col)})&\" actions\"", f["label"],
                     f"{actions} actions")


def _counted(answers: list[AnswerCell], given: dict) -> str:
    return f"{sum(1 for a in answers if a.key in given)} of {len(answers)}"


def _n_of_m(answers: list[AnswerCell]) -> str:
    """="n of m" over scattered cells, COUNTA in groups under Excel's 255-argument limit."""
    if not answers:
        return '="0 of 0"'
    groups = [answers[i:i + 200] for i in range(0, len(answers), 200)]
    parts = ["COUNTA(" + ",".join(f"'{a.sheet}'!{a.cell}" for a in group) + ")" for group in groups]
    return f'=({"+".join(parts)})&" of {len(answers)}"'
