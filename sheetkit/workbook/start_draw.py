"""Drawing the Start sheet where :mod:`sheetkit.workbook.start` puts things: the facts, the
help text, the progress panel with its formulas, and the answer table.
"""

from __future__ import annotations

from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.common.text import cell_name
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.library import fill_template_text
from sheetkit.framework.model import STILL_TRUE
from sheetkit.xlsx.cells import write_text
from sheetkit.xlsx.styles import ok
from .layout import STILL_TRUE_FIELD, TEXT_FONT, TITLE_ROOM, AnswerCell
from .start import PROGRESS_HEADERS, PROGRESS_WIDTHS, PROTECTED_VIEW, START_FACTS, START_HELP_ROW, START_INFO_ROW, START_PROGRESS_ROW, START_WIDTHS


def write_start(w, ws) -> None:
    """Draw the Start sheet with the workbook writer `w` (sheetkit.workbook.writer)."""
    f, facts, fw = w.fmt, w.facts, w.fw
    ws.set_column(0, 0, START_WIDTHS[0])
    ws.set_column(1, 1, START_WIDTHS[1])
    ws.set_column(2, 2, PROGRESS_WIDTHS[0])
    ws.set_column(3, 3, PROGRESS_WIDTHS[1])
    write_text(ws, 0, 0, fw.title, f["title"])
    w.fit_row(ws, 0, [], TITLE_ROOM)
    write_text(ws, 1, 0, f"Self-assessment workbook for {facts.respondent}", f["note"])
    values = (f"{fw.title} (version {fw.version})", fw.source.citation(), facts.respondent,
              facts.organisation, facts.round, facts.deadline.strftime("%A %d %B %Y"),
              facts.return_to or "the person who sent you this workbook")
    for row, (label, value) in enumerate(zip(START_FACTS, values), start=START_INFO_ROW):
        write_text(ws, row, 0, label, f["label"])
        write_text(ws, row, 1, value, f["text"])
        w.fit_row(ws, row, [(value, START_WIDTHS[1], TEXT_FONT), (label, START_WIDTHS[0], TEXT_FONT)])
    ok(ws.merge_range(START_HELP_ROW - 2, 0, START_HELP_ROW - 2, 1, "", f["subtitle"]), "the Protected View note")
    write_text(ws, START_HELP_ROW - 2, 0, PROTECTED_VIEW, f["subtitle"])
    w.fit_row(ws, START_HELP_ROW - 2, [(PROTECTED_VIEW, sum(START_WIDTHS), TEXT_FONT)])
    write_text(ws, START_HELP_ROW - 1, 0, "How to fill it in", f["heading"])
    help_text = fill_template_text("instructions.txt", {
        "return_to": facts.return_to or "the person who sent it", "deadline": facts.deadline.strftime("%d %B %Y"),
        "section": fw.labels["section"].lower(),
        "answer": [c for c in w.layout.sections[0].columns if c.kind == "answer"][-1].header}, facts.templates or None)
    if w.layout.follow_up:
        help_text = help_text.rstrip() + "\n" + _next_round_help(w)
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


def _next_round_help(w) -> str:
    """What a follow-up workbook's Start sheet adds: what the Last round column and the carried actions are,
    and what to do with them (from templates/instructions-next-round.txt)."""
    carried = w.carried
    prefilled = any(AnswerKey.parse(key).level != "action" for key in carried.values)
    answers_start = (f"The yellow cells start with your {carried.round} answers: check each one and change what "
                     f"is no longer true." if prefilled else "The yellow cells start blank: answer each one afresh.")
    if prefilled and w.layout.still_true:
        answers_start += (f" Where an answer still holds, pick '{STILL_TRUE[0]}' in its '{STILL_TRUE_FIELD.label}' "
                          f"column: an answer left as it started and not confirmed counts as your {carried.round} "
                          f"view, not this round's.")
    count, last = carried.actions, carried.round
    actions = (f"None of your actions from {last} was left open, so the Action plan starts empty." if count == 0
               else f"Your {'action' if count == 1 else f'{count} actions'} from {last} not yet Done or Dropped "
                    f"{'is' if count == 1 else 'are'} the first rows of the Action plan, marked in 'From last round'.")
    return fill_template_text("instructions-next-round.txt", {
        "previous_round": carried.round, "answers_start": answers_start, "carried_actions": actions},
        w.facts.templates or None).strip()


def _write_progress(w, ws) -> None:
    """Per part: n of m ratings, n of m evidence boxes, n actions, with a link to the part. The
    values stored with the formulas count what the workbook starts with (LibreOffice shows them
    until it recalculates)."""
    f, layout, given = w.fmt, w.layout, w.carried.values
    write_text(ws, START_PROGRESS_ROW - 1, 0, "Your progress", f["heading"])
    for col, text in enumerate(PROGRESS_HEADERS):
        write_text(ws, START_PROGRESS_ROW, col, text, f["header"])
    w.fit_row(ws, START_PROGRESS_ROW, [(text, (*START_WIDTHS, *PROGRESS_WIDTHS)[col], TEXT_FONT)
                                       for col, text in enumerate(PROGRESS_HEADERS)])
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
    formula, shown = _actions_typed(layout, w.carried)
    ws.write_formula(total_row, 3, formula, f["label"], shown)
    w.fit_row(ws, total_row, [(shown, PROGRESS_WIDTHS[1], TEXT_FONT)])


def _actions_typed(layout, carried) -> tuple[str, str]:
    """The Action plan's count as the partner made it: actions they added, and (in a follow-up workbook)
    how many of last round's carried actions they have said something about; never the carried rows
    themselves, which are there before anything is typed. The formula, and what it shows at first."""
    cells = {a.field.id: a for a in layout.actions.rows[0].answers}

    def column(field_id: str) -> str:
        first = cells[field_id]
        return f"'{SHEET_ACTIONS}'!{cell_name(first.row, first.col)}:{cell_name(first.row + 999, first.col)}"

    if "carried" not in cells:
        return f'=COUNTA({column("action")})&" actions"', "0 actions"
    action, mark = column("action"), column("carried")
    said = "+".join(f'({column(f)}<>"")' for f in ("status", "progress", "revised_due"))
    added = f'COUNTA({action})-SUMPRODUCT(({action}<>"")*({mark}<>""))'
    reported = f'SUMPRODUCT(({mark}<>"")*(({said})>0))'
    given = sum(1 for key in map(AnswerKey.parse, carried.values) if key.level == "action" and key.field == "status")
    return (f'=({added})&" added; "&{reported}&" of {carried.actions} carried reported on"',
            f"0 added; {given} of {carried.actions} carried reported on")


def _counted(answers: list[AnswerCell], given: dict) -> str:
    return f"{sum(1 for a in answers if a.key in given)} of {len(answers)}"


def _n_of_m(answers: list[AnswerCell]) -> str:
    """="n of m" over scattered cells, COUNTA in groups under Excel's 255-argument limit."""
    if not answers:
        return '="0 of 0"'
    groups = [answers[i:i + 200] for i in range(0, len(answers), 200)]
    parts = ["COUNTA(" + ",".join(f"'{a.sheet}'!{a.cell}" for a in group) + ")" for group in groups]
    return f'=({"+".join(parts)})&" of {len(answers)}"'
