"""The workbook writer: draws one respondent's locked workbook from a WorkbookLayout.

Every row is drawn at the row number the layout planned for it, and every answer cell is
where the layout says, so what the respondent sees is what the reader looks for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


from sheetkit import __version__
from sheetkit.framework.fields import excel_rule, field_type
from sheetkit.common.text import clip
from sheetkit.xlsx.cells import TextWorkbook, TextWorksheet, write_text
from .prefill import Carried, action_rows, prefilled_text
from sheetkit.framework.model import Framework
from .layout import CARRIED_FIELD, PROMPT_FONT, STILL_TRUE_NOTE, TEXT_FONT, AnswerCell, SheetTable, WorkbookLayout
from sheetkit.common.own_files import CRITERIA_NAME
from sheetkit.common.own_files import (
    META_FORMAT,
    META_KEYS,
    PREFILLED_HEADING,
    SHEET_ACTIONS,
    SHEET_LISTS,
    SHEET_META,
    SHEET_SCALE,
    SHEET_START,
)
from .start_draw import write_start
from sheetkit.xlsx.text_fit import points_needed
from sheetkit.xlsx.styles import WORKBOOK_OPTIONS, add_formats, level_colour, ok, strict_xlsxwriter

PROTECT_OPTIONS = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
}
ACTION_PROTECT_OPTIONS = dict(PROTECT_OPTIONS, insert_rows=True)
PRINTABLE_PIXELS = 1000  # A4 landscape inside 0.4-inch margins, at 96 pixels an inch, less a little
PIXELS_PER_CHARACTER = 8  # LibreOffice draws a column a little wider than Excel's 7 pixels a character
PAGE_POINTS = 470  # of sheet rows on one printed A4 landscape page at 100%, inside margins, header and footer


@dataclass(frozen=True)
class WorkbookFacts:
    """What identifies one respondent's workbook."""

    respondent: str
    organisation: str
    email: str
    round: str
    deadline: dt.date
    return_to: str
    build_id: str
    built_at: str
    password: str
    templates: str = ""  # the user's template folder, if any (see library.templates_dir)
    previous_round: str = ""  # the round whose answers a follow-up workbook shows (see sheetkit.rounds.carry)
    prefilled: bool = False  # its answer cells start with last round's answers, each row asking 'Still true?'

    def meta(self, framework: Framework) -> dict[str, str]:
        values = {
            "format": META_FORMAT,
            "framework_id": framework.id,
            "framework_version": framework.version,
            "fingerprint": framework.fingerprint,
            "framework_title": framework.title,
            "respondent": self.respondent,
            "organisation": self.organisation,
            "email": self.email,
            "round": self.round,
            "deadline": self.deadline.isoformat(),
            "return_to": self.return_to,
            "build_id": self.build_id,
            "built_at": self.built_at,
            "sheetkit_version": __version__,
            "previous_round": self.previous_round,
            "prefilled": "yes" if self.prefilled else "",
        }
        assert tuple(values) == META_KEYS
        return values


class FormWorksheet(TextWorksheet):
    """A sheet whose answer rows keep their height only until the respondent types more.

    XlsxWriter marks every row height it stores as custom (customHeight="1"), and Excel and
    LibreOffice never grow such a row. Without the mark they open the row at the stored height
    (tall enough for its label and a few lines) and fit it to its text as it is typed. No public
    XlsxWriter option stores a height without the mark, so the row's start tag is written here
    without it; tests/test_respondent_workbook.py checks the XML and LibreOffice's reading of it.
    """

    def __init__(self):
        super().__init__()
        self.growing_rows: set[int] = set()

    def _xml_start_tag_unencoded(self, tag, attributes=[]):
        if tag == "row" and self.growing_rows:
            number = next((int(v) for k, v in attributes if k == "r"), 0)
            if number - 1 in self.growing_rows:
                attributes = [(k, v) for k, v in attributes if k != "customHeight"]
        return super()._xml_start_tag_unencoded(tag, attributes)


class FormWorkbook(TextWorkbook):
    worksheet_class = FormWorksheet


def write_workbook(path: str, layout: WorkbookLayout, facts: WorkbookFacts, carried: Carried | None = None) -> None:
    """Write one respondent workbook to `path`; a follow-up layout shows what `carried` brings from last round."""
    with strict_xlsxwriter():
        workbook = FormWorkbook(path, WORKBOOK_OPTIONS)
        try:
            _Writer(workbook, layout, facts, carried).write()
        finally:
            workbook.close()


class _Writer:
    def __init__(self, workbook: FormWorkbook, layout: WorkbookLayout, facts: WorkbookFacts,
                 carried: Carried | None = None):
        self.wb = workbook
        self.carried = carried or Carried(facts.previous_round)
        self.layout = layout
        self.fw = layout.framework
        self.facts = facts
        self.fmt = add_formats(workbook)
        self.level_formats: dict = {}
        self.pending: dict = {}  # field -> its answer cells on the sheet being written

    def write(self) -> None:
        start = self.wb.add_worksheet(SHEET_START)
        scale = self.wb.add_worksheet(SHEET_SCALE)
        sections = [(self.wb.add_worksheet(s.name), s) for s in self.layout.sections]
        actions = self.wb.add_worksheet(SHEET_ACTIONS)
        lists = self.wb.add_worksheet(SHEET_LISTS)
        meta = self.wb.add_worksheet(SHEET_META)
        self._write_lists(lists)
        self._write_meta(meta)
        write_start(self, start)
        self._write_scale(scale)
        for ws, sheet in sections:
            self._write_section(ws, sheet)
        self._write_actions(actions)
        for prop, value in _written_meta(self.facts.meta(self.fw)).items():
            ok(self.wb.set_custom_property(f"sheetkit_{prop}", value), f"document property {prop}")
        self.wb.set_properties({"title": f"{self.fw.title}: {self.facts.respondent}",
                                "subject": f"Self-assessment, {self.facts.round}",
                                "author": "sheetkit", "comments": f"Built by sheetkit {__version__}",
                                "created": dt.datetime.fromisoformat(self.facts.built_at).replace(tzinfo=None)})
        start.activate()

    # -- hidden sheets --------------------------------------------------------------------
    def _write_meta(self, ws) -> None:
        meta = _written_meta(self.facts.meta(self.fw))
        for row, (key, value) in enumerate(meta.items()):
            write_text(ws, row, 0, key)
            write_text(ws, row, 1, value)
        if self.facts.prefilled:  # what each answer cell started with, so ingest can tell it from a confirmation
            write_text(ws, len(meta) + 1, 0, PREFILLED_HEADING)
            for row, (key, value) in enumerate(self.carried.values.items(), start=len(meta) + 2):
                write_text(ws, row, 0, key)
                write_text(ws, row, 1, prefilled_text(value))
        ws.hide()
        self.protect(ws)

    def _write_lists(self, ws) -> None:
        """The action plan's list of criteria, behind a defined name (no 255-character limit)."""
        criteria = self.layout.criterion_choices()
        for row, text in enumerate(criteria):
            write_text(ws, row, 0, text)
        ref = f"='{SHEET_LISTS}'!$A$1:$A${len(criteria)}"
        ok(self.wb.define_name(CRITERIA_NAME, ref), "the list of criteria")
        ws.hide()
        self.protect(ws)

    # -- Scale ----------------------------------------------------------------------------
    def _write_scale(self, ws) -> None:
        f = self.fmt
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 100)
        write_text(ws, 0, 0, "The rating scale", f["title"])
        row = 2
        for scale in self.fw.scales:
            row = self._write_one_scale(ws, scale, row) + 1
        if any(item.levels for _, item in self.fw.items()):
            note = (f"Each {self.fw.labels['item'].lower()} also has its own statement for every level, shown "
                    f"above its rating on its sheet.")
            write_text(ws, row, 0, note, f["subtitle"])
        self.print_setup(ws, portrait=True)
        self.protect(ws)

    def _write_one_scale(self, ws, scale, row: int) -> int:
        f = self.fmt
        origin = ("Published with the framework." if scale.origin == "publisher"
                  else "Added by sheetkit: the framework publishes no scale. " + scale.note)
        if scale.origin == "publisher" and scale.label_origin == "sheetkit":
            origin += " The short names of the levels are sheetkit's; what each level means is the publisher's."
        write_text(ws, row, 0, scale.title, f["heading"])
        write_text(ws, row + 1, 0, "Where it comes from", f["label"])
        write_text(ws, row + 1, 1, origin, f["text"])
        self.fit_row(ws, row + 1, [(origin, 100, TEXT_FONT)])
        row += 2
        guidance = scale.guidance
        described = any(level.description for level in scale.levels)
        if guidance:
            write_text(ws, row, 0, "How to choose", f["label"])
            write_text(ws, row, 1, guidance, f["text"])
            self.fit_row(ws, row, [(guidance, 100, TEXT_FONT)])
            row += 1
        if not described:
            write_text(ws, row, 1, "The points of this scale carry no published descriptions: use the guidance "
                                    "above and the framework's own wording on each sheet.", f["subtitle"])
            row += 1
        write_text(ws, row, 0, "Level (pick)", f["header"])
        write_text(ws, row, 1, "What it means", f["header"])
        row += 1
        for position, level in enumerate(scale.levels):
            colour = self._level_format(position, len(scale.levels))
            write_text(ws, row, 0, level.choice, colour)
            meaning = level.description or ("Highest point of the scale" if position == len(scale.levels) - 1
                                            else "Lowest point of the scale" if position == 0
                                            else "A point between the lowest and the highest")
            write_text(ws, row, 1, meaning, f["text"])
            self.fit_row(ws, row, [(meaning, 100, TEXT_FONT)])
            row += 1
        return row

    # -- section sheets -------------------------------------------------------------------
    def _write_section(self, ws, sheet: SheetTable) -> None:
        f = self.fmt
        write_text(ws, 0, 0, sheet.title, f["title"])
        text_col = sheet.col("text")
        if sheet.guidance:
            write_text(ws, 1, text_col, sheet.guidance, f["subtitle"])
            self.fit_row(ws, 1, [(sheet.guidance, sheet.columns[text_col].width, 11)])
        hint = ("Type or pick your answers in the yellow cells. Each answer sits beside the question it "
                "answers, or under the heading of its column.")
        write_text(ws, 2, text_col, hint, f["note"])
        if sheet.col("previous") >= 0:
            write_text(ws, 2, sheet.col("previous"), f"Your answers in {self.carried.round}", f["note"])
        if sheet.col("confirm") >= 0:
            write_text(ws, 2, sheet.col("confirm"), STILL_TRUE_NOTE, f["note"])
        self.write_table(ws, sheet)
        ws.freeze_panes(sheet.header_row + 1, text_col + 1)
        self.print_setup(ws, repeat_row=sheet.header_row, table=sheet)
        self.protect(ws)

    def write_table(self, ws, table: SheetTable) -> None:
        """The header row and every row of a sheet table, at the rows the layout planned."""
        f = self.fmt
        for col, column in enumerate(table.columns):
            ws.set_column(col, col, column.width)
            write_text(ws, table.header_row, col, column.header, f["header"])
        self.fit_row(ws, table.header_row, [(c.header, c.width, TEXT_FONT) for c in table.columns])
        for line in table.rows:
            self._write_row(ws, line, table)

    def _write_row(self, ws, line, table: SheetTable) -> None:
        f = self.fmt
        style = {"item": f["item"], "field": f["label"], "heading": f["heading"], "level": f["text"], "stem": f["note"],
                 "illustration": f["text"], "statement": f["text"], "continued": f["text"]}.get(line.kind, f["text"])
        ref_col, text_col, prompt_col = table.col("ref"), table.col("text"), table.col("prompts")
        if ref_col >= 0:
            write_text(ws, line.row, ref_col, line.ref, f["item"] if line.kind == "item" else f["ref"])
        if text_col >= 0:  # the action plan's sheet has no text column
            write_text(ws, line.row, text_col, line.text, style)
        if prompt_col >= 0:
            write_text(ws, line.row, prompt_col, line.prompts, f["item"] if line.kind == "item" else f["prompt"])
        confirm = line.confirm if line.confirm and any(a.key in self.carried.values for a in line.answers) else None
        used = {a.col for a in line.answers} | {table.last_round_col(a.col) for a in line.answers}
        used |= {confirm.col} if confirm else set()
        for col, column in enumerate(table.columns):
            if column.kind in ("answer", "previous", "confirm") and col not in used:
                ws.write_blank(line.row, col, None, f["item"] if line.kind == "item" else f["muted"])
        shown = []
        for answer in line.answers:
            self._answer_cell(ws, answer)
            shown += self._last_round_cell(ws, answer, table)
        if confirm:  # only beside answers that start with last round's
            self._answer_cell(ws, confirm)
        self.fit_row(ws, line.row, row_cells(line, table) + shown, answer_room(line))
        if line.answers:
            ws.growing_rows.add(line.row)

    # -- Action plan ----------------------------------------------------------------------
    def _write_actions(self, ws) -> None:
        f, table = self.fmt, self.layout.actions
        write_text(ws, 0, 0, "Action plan", f["title"])
        write_text(ws, 1, 0, "What will you do, who will do it, by when, and how will you know it worked? One action "
                              "per row.", f["note"])
        write_text(ws, 2, 0, "Need more rows? Insert rows inside the table (the sheet allows it) or keep typing "
                              "below the last numbered row: every filled row is read.", f["note"])
        self.write_table(ws, table)
        if self.layout.follow_up:
            write_text(ws, 1, 0, f"Rows marked in '{CARRIED_FIELD.label}' are your actions of {self.carried.round}: "
                                 f"say what became of each (Status, Progress note, Revised date). Then add new "
                                 f"actions, one per row.", f["note"])
        rows = action_rows(self.layout, self.carried)
        for line in rows[len(table.rows):]:
            self._write_row(ws, line, table)
        for line in rows:
            ws.write_number(line.row, 0, int(line.ref), f["ref"])
        ws.freeze_panes(table.header_row + 1, 0)
        self.print_setup(ws, repeat_row=table.header_row, table=table)
        self._apply_validations(ws)
        ws.protect(self.facts.password, ACTION_PROTECT_OPTIONS)

    # -- cells ----------------------------------------------------------------------------
    def _answer_cell(self, ws, answer: AnswerCell) -> None:
        """Write an unlocked answer cell, empty or holding what last round carries into it; its
        validation is added with its field's others. The 'From last round' cell is locked."""
        value = self.carried.values.get(answer.key)
        if answer.field == CARRIED_FIELD:
            write_text(ws, answer.row, answer.col, value, self.fmt["carried"])
            return
        style = self.fmt[field_type(answer.field).style]
        if isinstance(value, dt.date):
            ok(ws.write_datetime(answer.row, answer.col, dt.datetime.combine(value, dt.time()), style),
               f"answer cell {answer.cell}")
        else:
            write_text(ws, answer.row, answer.col, value, style)
        self.pending.setdefault(answer.field, []).append(answer)

    def _last_round_cell(self, ws, answer: AnswerCell, table: SheetTable) -> list[tuple[str, float, int]]:
        """Draw an answer's locked Last round cell, if the sheet has one; its text, for the row's height."""
        col = table.last_round_col(answer.col)
        if col < 0:
            return []
        value = self.carried.shown.get(answer.key)
        if isinstance(value, dt.date):
            ok(ws.write_datetime(answer.row, col, dt.datetime.combine(value, dt.time()), self.fmt["previous_date"]),
               f"the last-round date beside {answer.cell}")
            return []
        write_text(ws, answer.row, col, value, self.fmt["previous"])
        return [(value or "", table.columns[col].width, PROMPT_FONT)]

    def _apply_validations(self, ws) -> None:
        """One validation (and one set of level colours) per field and sheet, over all its cells."""
        for field, answers in self.pending.items():
            options = excel_rule(field, self.fw)
            if options is None:
                continue
            cells = " ".join(a.cell for a in answers)
            first = answers[0]
            ok(ws.data_validation(first.row, first.col, first.row, first.col, dict(options, multi_range=cells)),
               f"the validation of '{first.sheet}' {cells[:40]}")
            if field.type == "rating":
                self._level_colours(ws, options["source"], first, cells)
        self.pending = {}

    def _level_colours(self, ws, choices_, first: AnswerCell, cells: str) -> None:
        for position, choice in enumerate(choices_):
            ok(ws.conditional_format(first.row, first.col, first.row, first.col, {
                "type": "cell", "criteria": "==", "value": _quote(choice), "multi_range": cells,
                "format": self._level_format(position, len(choices_)),
            }), f"the level colours of '{first.sheet}'")

    def _level_format(self, position: int, count: int):
        key = (position, count)
        if key not in self.level_formats:
            self.level_formats[key] = self.wb.add_format(
                {"bg_color": level_colour(position, count), "font_name": "Arial", "valign": "top"})
        return self.level_formats[key]

    # -- sheet settings ---------------------------------------------------------------------
    def fit_row(self, ws, row: int, cells: list[tuple[str, float, int]], minimum: float = 15.0) -> None:
        # LibreOffice does not fit rows to wrapped text when it opens a workbook, so every row
        # gets the height its text needs, and answer rows room for several lines.
        height = max([minimum] + [points_needed(text, width, size) for text, width, size in cells])
        ws.set_row(row, min(height, 409.0))

    def protect(self, ws) -> None:
        """Protect a finished sheet (and add the validations of its answer cells)."""
        self._apply_validations(ws)
        ws.protect(self.facts.password, PROTECT_OPTIONS)

    def print_setup(self, ws, repeat_row: int | None = None, portrait: bool = False,
                     table: SheetTable | None = None) -> None:
        ws.set_paper(9)  # A4
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if portrait:
            ws.fit_to_pages(1, 0)
        else:
            ws.set_landscape()
            width = sum(c.width for c in table.columns) * PIXELS_PER_CHARACTER + 5 * len(table.columns)
            scale = max(10, min(100, int(PRINTABLE_PIXELS * 100 / width)))
            ws.set_print_scale(scale)
            ws.set_h_pagebreaks(_page_breaks(table, scale))
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)
        # '&' starts a code in a footer: clipped first, so no escaped '&&' is ever cut in half
        who, fid = (clip(text, limit).replace("&", "&&") for text, limit in ((self.facts.respondent, 60), (self.fw.id, 40)))
        ws.set_footer(f"&L{who}&CPage &P of &N&R{fid}")


def _written_meta(meta: dict[str, str]) -> dict[str, str]:
    """The metadata a workbook records: a key added to the format later only when it says something,
    so a workbook that does not use it is as it was before."""
    return {key: value for key, value in meta.items() if value or key not in ("previous_round", "prefilled")}


def row_cells(line, table: SheetTable) -> list[tuple[str, float, int]]:
    """The wrapped texts of a row, with their column widths and font sizes."""
    cells = [(line.text, table.columns[table.col("text")].width, TEXT_FONT)]
    if table.col("prompts") >= 0:
        cells.append((line.prompts, table.columns[table.col("prompts")].width, PROMPT_FONT))
    return cells


def answer_room(line) -> float:
    """The least height of a row: the room its answer cells' types ask for (more for free text)."""
    if not line.answers:
        return 15.0
    return max(field_type(a.field).room for a in line.answers)


def _page_breaks(table: SheetTable, scale: int) -> list[int]:
    """Manual page breaks so that no item heading is left at the foot of a page."""
    breaks, used = [], 0.0
    page = 0.9 * PAGE_POINTS * 100 / scale
    heights = [max(answer_room(line), *(points_needed(*c) for c in row_cells(line, table))) for line in table.rows]
    for n, line in enumerate(table.rows):
        block = sum(heights[n:n + 3]) if line.kind in ("item", "heading", "stem") else heights[n]
        if used and used + block > page:
            breaks.append(line.row)
            used = 0.0
        used += heights[n]
    return breaks[:1000]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
