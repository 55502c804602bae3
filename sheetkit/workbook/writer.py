"""The workbook writer: draws one respondent's locked workbook from a WorkbookLayout.

Every row is drawn at the row number the layout planned for it, and every answer cell is
where the layout says, so what the respondent sees is what the reader looks for.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


from sheetkit import __version__
from sheetkit.framework.fields import excel_rule, field_type
from sheetkit.common.text import cell_name, clip
from sheetkit.xlsx.cells import TextWorkbook, TextWorksheet, write_text
from .prefill import Carried, action_rows, prefilled_text
from sheetkit.framework.model import Framework
from sheetkit.framework.action_plan import CARRIED
from .layout import PROMPT_FONT, STILL_TRUE_NOTE, TEXT_FONT, TITLE_ROOM, AnswerCell, SheetTable, WorkbookLayout
from sheetkit.common.own_files import CRITERIA_NAME
from sheetkit.common.own_files import (
    COMPUTED_PREFIX,
    LOCKED_PREFIX,
    META_FORMAT,
    META_KEYS,
    PREFILLED_HEADING,
    WRITTEN_ROW,
    written_cells,
    written_digest,
    SHEET_ACTIONS,
    SHEET_LISTS,
    SHEET_META,
    SHEET_SCALE,
    SHEET_START,
)
from .start_draw import write_start
from sheetkit.xlsx.text_fit import points_needed
from sheetkit.xlsx.styles import ANSWER_LOOK, WORKBOOK_OPTIONS, add_formats, level_colour, ok, strict_xlsxwriter

PROTECT_OPTIONS = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
}
ACTION_PROTECT_OPTIONS = dict(PROTECT_OPTIONS, insert_rows=True)
PRINTABLE_PIXELS = 1025  # A4 landscape inside 0.4-inch margins, at 96 pixels an inch, less a little
PIXELS_PER_CHARACTER = 7.5  # LibreOffice prints a column a little wider than Excel's 7 pixels a character
SCALE_WIDTHS = (24, 100)  # the Scale sheet's columns: the level, what it means
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}  # inches; header and footer 0.25 from the edge
HEADER_MARGIN = 0.25
LEGIBLE_POINTS = 8  # the smallest text size a printed page may show
ACTION_ROOM = 32.0  # points: the least height of an Action plan row
KEPT_WITH_NEXT = ("item", "heading", "stem")  # row kinds never left at the foot of a page
PAGE_BODY_POINTS = 595 - 72 * (MARGINS["top"] + MARGINS["bottom"])  # of rows on an A4 landscape page at 100%


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
        self.written: dict[str, set] = {}  # digest -> the values written in locked cells with that digest
        self.computed: set[tuple[int, int]] = set()  # cells holding sheetkit's own formulas

    # What goes into locked cells is recorded, so that the reader can tell one typed over. XlsxWriter's
    # public writes (write_string, write_datetime, ...) all come through these.
    def _write_string(self, row, col, string, cell_format=None):
        self._record(string, cell_format)
        return super()._write_string(row, col, string, cell_format)

    def _write_number(self, row, col, number, cell_format=None):
        self._record(number, cell_format)
        return super()._write_number(row, col, number, cell_format)

    def _write_datetime(self, row, col, date, cell_format=None):
        self._record(date, cell_format)
        return super()._write_datetime(row, col, date, cell_format)

    def _write_url(self, row, col, url, cell_format=None, string=None, tip=None):
        self._record(string if string is not None else url, cell_format)
        return super()._write_url(row, col, url, cell_format, string, tip)

    def _write_formula(self, row, col, formula, cell_format=None, value=0):
        self.computed.add((row, col))
        return super()._write_formula(row, col, formula, cell_format, value)

    def _record(self, value, cell_format) -> None:
        if value is not None and value != "" and (cell_format is None or getattr(cell_format, "locked", 1)):
            self.written.setdefault(written_digest(value), set()).add(value)

    def _xml_start_tag_unencoded(self, tag, attributes=[]):
        if tag == "row" and self.growing_rows:
            number = next((int(v) for k, v in attributes if k == "r"), 0)
            if number - 1 in self.growing_rows:
                attributes = [(k, v) for k, v in attributes if k != "customHeight"]
        return super()._xml_start_tag_unencoded(tag, attributes)


class FormWorkbook(TextWorkbook):
    worksheet_class = FormWorksheet


def write_workbook(path: str, layout: WorkbookLayout, facts: WorkbookFacts,
                   carried: Carried | None = None) -> dict[str, list]:
    """Write one respondent workbook to `path`; a follow-up layout shows what `carried` brings from last round.
    Returns, by sheet, the values written in its locked cells, which the metadata sheet records by digest."""
    with strict_xlsxwriter():
        workbook = FormWorkbook(path, WORKBOOK_OPTIONS)
        try:
            _Writer(workbook, layout, facts, carried).write()
        finally:
            workbook.close()
    return {ws.name: [v for values in ws.written.values() for v in values] for ws in workbook.worksheets()
            if ws.name != SHEET_META}


def write_written(wb: FormWorkbook, ws, row: int) -> int:
    """From `row` of the metadata sheet `ws` down: each other sheet's locked values (as digests) and its
    formula cells, for the reader to tell a locked cell typed over (see own_files.WRITTEN_ROW).
    Returns the first row below them."""
    for sheet in wb.worksheets():
        if sheet is ws:
            continue
        for col, text in enumerate([LOCKED_PREFIX + sheet.name, *written_cells(sheet.written)]):
            write_text(ws, row, col, text)
        computed = " ".join(cell_name(r, c) for r, c in sorted(sheet.computed))
        write_text(ws, row + 1, 0, COMPUTED_PREFIX + sheet.name)
        write_text(ws, row + 1, 1, computed or None)
        row += 2
    return row


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
        self.heights: dict[str, dict[int, float]] = {}  # sheet -> row -> the height it was given, for page breaks
        self.tables: dict[str, list[tuple[int, int, int, int]]] = {}  # sheet -> its tables' areas, for the answer look
        self.answer_look = workbook.add_format(ANSWER_LOOK)
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
        self._write_written(meta)
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
        ws.hide()
        self.protect(ws)

    def _write_written(self, ws) -> None:
        """Below the metadata: each sheet's locked values (as digests) and its formula cells (see
        write_written); then, in a pre-filled workbook, what each answer cell started with
        (own_files.PREFILLED_HEADING), so ingest can tell an answer left as it was from a confirmation."""
        row = write_written(self.wb, ws, WRITTEN_ROW)
        if self.facts.prefilled:
            write_text(ws, row + 1, 0, PREFILLED_HEADING)
            for row, (key, value) in enumerate(self.carried.values.items(), start=row + 2):
                write_text(ws, row, 0, key)
                write_text(ws, row, 1, prefilled_text(value))

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
        ws.set_column(0, 0, SCALE_WIDTHS[0])
        ws.set_column(1, 1, SCALE_WIDTHS[1])
        write_text(ws, 0, 0, "The rating scale", f["title"])
        self.fit_row(ws, 0, [], TITLE_ROOM)
        row = 2
        for scale in self.fw.scales:
            row = self._write_one_scale(ws, scale, row) + 1
        if any(item.levels for _, item in self.fw.items()):
            note = (f"Each {self.fw.labels['item'].lower()} also has its own statement for every level, shown "
                    f"above its rating on its sheet.")
            write_text(ws, row, 0, note, f["note"])
        self.print_setup(ws, portrait=True)
        self.protect(ws)

    def _write_one_scale(self, ws, scale, row: int) -> int:
        """A scale's origin, its guidance and its levels, in the publisher's words only: a level the
        publisher gives no meaning for is left blank, and the sheet says so once."""
        f = self.fmt
        origin = ("Published with the framework." if scale.origin == "publisher"
                  else "Added by sheetkit: the framework publishes no scale. " + scale.note)
        if scale.origin == "publisher" and scale.label_origin == "sheetkit":
            origin += " The short names of the levels are sheetkit's; what each level means is the publisher's."
        write_text(ws, row, 0, scale.title, f["heading"])
        row += 1
        rows = [("Where it comes from", origin), ("How to choose", scale.guidance),
                ("Meanings", scale.unpublished(self.fw.source.title))]
        for label, text in rows:
            if text:
                write_text(ws, row, 0, label, f["label"])
                write_text(ws, row, 1, text, f["text"])
                self.fit_row(ws, row, [(text, SCALE_WIDTHS[1], TEXT_FONT), (label, SCALE_WIDTHS[0], TEXT_FONT)])
                row += 1
        described = any(level.description for level in scale.levels)
        write_text(ws, row, 0, "Level (pick)", f["header"])
        if described:
            write_text(ws, row, 1, "What it means", f["header"])
        self.fit_row(ws, row, [("Level (pick)", SCALE_WIDTHS[0], TEXT_FONT)])
        row += 1
        for position, level in enumerate(scale.levels):
            write_text(ws, row, 0, level.choice, self._level_format(position, len(scale.levels)))
            if described:
                write_text(ws, row, 1, level.description, f["text"])
            self.fit_row(ws, row, [(level.description, SCALE_WIDTHS[1], TEXT_FONT),
                                   (level.choice, SCALE_WIDTHS[0], TEXT_FONT)])
            row += 1
        return row

    # -- section sheets -------------------------------------------------------------------
    def _write_section(self, ws, sheet: SheetTable) -> None:
        f = self.fmt
        write_text(ws, 0, 0, sheet.title, f["title"])
        self.fit_row(ws, 0, [], TITLE_ROOM)
        text_col = sheet.col("text")
        if sheet.guidance:  # across the text and answer columns, so that it takes a few lines, not a screen
            last = max(n for n, c in enumerate(sheet.columns) if c.kind != "previous")
            ok(ws.merge_range(1, text_col, 1, last, "", f["subtitle"]), "the section's guidance")
            write_text(ws, 1, text_col, sheet.guidance, f["subtitle"])
            width = sum(c.width for c in sheet.columns[text_col:last + 1])
            self.fit_row(ws, 1, [(sheet.guidance, width, 11)])
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
        self.table_area(ws, table, table.rows[-1].row)

    def table_area(self, ws, table: SheetTable, last_row: int) -> None:
        """Where a table's answer cells are, for the look protect() puts over them."""
        area = (table.header_row + 1, 0, last_row, len(table.columns) - 1)
        self.tables[ws.name] = [a for a in self.tables.get(ws.name, []) if a[:2] != area[:2]] + [area]

    def _write_row(self, ws, line, table: SheetTable) -> None:
        f = self.fmt
        # An item's heading and a block's heading are bands across the row; other rows keep their columns' looks.
        band = {"item": f["item"], "heading": f["header"]}.get(line.kind)
        style = band or {"field": f["label"], "stem": f["note"]}.get(line.kind, f["text"])
        ref_col, text_col, prompt_col = table.col("ref"), table.col("text"), table.col("prompts")
        if ref_col >= 0:
            write_text(ws, line.row, ref_col, line.ref, band or f["ref"])
        if text_col >= 0:  # the action plan's sheet has no text column
            write_text(ws, line.row, text_col, line.text, style)
        if prompt_col >= 0:
            write_text(ws, line.row, prompt_col, line.prompts, band or f["prompt"])
        confirm = line.confirm if line.confirm and any(a.key in self.carried.values for a in line.answers) else None
        used = {a.col for a in line.answers} | {table.last_round_col(a.col) for a in line.answers}
        used |= {col for col, _ in line.headers}
        used |= {confirm.col} if confirm else set()
        for col, column in enumerate(table.columns):
            if column.kind in ("answer", "previous", "confirm") and col not in used:
                ws.write_blank(line.row, col, None, band or f["muted"])
        for col, header in line.headers:
            write_text(ws, line.row, col, header, f["header"])
        shown = []
        for answer in line.answers:
            self._answer_cell(ws, answer)
            shown += self._last_round_cell(ws, answer, table)
            given = self.carried.values.get(answer.key)
            if isinstance(given, str):  # what the cell starts with, shown in full
                shown.append((given, table.columns[answer.col].width, TEXT_FONT))
        if confirm:  # only beside answers that start with last round's
            self._answer_cell(ws, confirm)
        self.fit_row(ws, line.row, row_cells(line, table) + shown, answer_room(line))
        if line.answers:
            ws.growing_rows.add(line.row)

    # -- Action plan ----------------------------------------------------------------------
    def _write_actions(self, ws) -> None:
        f, table = self.fmt, self.layout.actions
        write_text(ws, 0, 0, "Action plan", f["title"])
        self.fit_row(ws, 0, [], TITLE_ROOM)
        write_text(ws, 1, 0, self._actions_line(), f["note"])
        write_text(ws, 2, 0, "Every action is followed up next round. Need more rows? Insert rows inside the table (the "
                              "sheet allows it) or keep typing below the last numbered row: every filled row is read.",
                   f["note"])
        self.write_table(ws, table)
        rows = action_rows(self.layout, self.carried)
        for line in rows[len(table.rows):]:
            self._write_row(ws, line, table)
        for line in rows:
            ws.write_number(line.row, 0, int(line.ref), f["ref"])
        self.table_area(ws, table, rows[-1].row)
        named = next(a.col for a in table.rows[0].answers if a.field.id == "action")
        ws.freeze_panes(table.header_row + 1, named + 1)  # the columns that name an action stay as you scroll
        self.print_setup(ws, repeat_row=table.header_row, table=table, rows=rows)
        self.protect(ws, ACTION_PROTECT_OPTIONS)

    def _actions_line(self) -> str:
        """Where actions go: here, and under each item when the framework asks for actions there too."""
        elsewhere = self.fw.field_with_role("item", "action")
        item = self.fw.labels["item"].lower()
        if self.layout.follow_up:
            said = (f"Rows marked in '{self.fw.action_column(CARRIED).label}' are your actions of {self.carried.round}"
                    + (f", from this sheet and from each {item}" if elsewhere else "")
                    + ": say what became of each (Status, Progress note, Revised date). Then add new actions, one per row.")
        else:
            said = "What will you do, who will do it, by when, and how will you know it worked? One action per row."
        if elsewhere:
            said += f" An action written under a {item} counts too: write each action once, there or here."
        return said

    # -- cells ----------------------------------------------------------------------------
    def _answer_cell(self, ws, answer: AnswerCell) -> None:
        """Write an unlocked answer cell, empty or holding what last round carries into it; its
        validation is added with its field's others. The 'From last round' cell is locked."""
        value = self.carried.values.get(answer.key)
        if answer.field.level == "action" and self.fw.action_column(answer.field.id).locked:
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
            options = excel_rule(field, self.fw) or self._action_prompt(field)
            if options is None:
                continue
            cells = " ".join(a.cell for a in answers)
            first = answers[0]
            ok(ws.data_validation(first.row, first.col, first.row, first.col, dict(options, multi_range=cells)),
               f"the validation of '{first.sheet}' {cells[:40]}")
            if field.type == "rating":
                self._level_colours(ws, options["source"], first, cells)
        self.pending = {}

    def _action_prompt(self, field) -> dict | None:
        """Beside an item's own action question, when it is selected: that the action joins the plan."""
        if field.role != "action" or field.level == "action":
            return None
        return {"validate": "any", "input_title": "One plan, followed up",
                "input_message": clip("Write each action once, here or on the Action plan sheet: both are one plan, "
                                      "and every action is followed up next round.", 255)}

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
                {"bg_color": level_colour(position, count), "font_name": "Arial", "valign": "top", "text_wrap": True})
        return self.level_formats[key]

    # -- sheet settings ---------------------------------------------------------------------
    def fit_row(self, ws, row: int, cells: list[tuple[str, float, int]], minimum: float = 15.0) -> None:
        # LibreOffice does not fit rows to wrapped text when it opens a workbook, so every row
        # gets the height its text needs, and answer rows room for several lines.
        height = min(max([minimum] + [points_needed(text, width, size) for text, width, size in cells]), 409.0)
        ws.set_row(row, height)
        self.heights.setdefault(ws.name, {})[row] = height

    def protect(self, ws, options: dict = PROTECT_OPTIONS) -> None:
        """Protect a finished sheet (and add the validations of its answer cells, then the answer look
        over its table, after the level colours so that a picked level's colour shows)."""
        self._apply_validations(ws)
        for first_row, first_col, last_row, last_col in self.tables.pop(ws.name, []):
            ok(ws.conditional_format(first_row, first_col, last_row, last_col, {
                "type": "formula", "criteria": f'=CELL("protect",{cell_name(first_row, first_col)})=0',
                "format": self.answer_look}), f"the answer cells' look on '{ws.name}'")
        ws.protect(self.facts.password, options)

    def print_setup(self, ws, repeat_row: int | None = None, portrait: bool = False,
                    table: SheetTable | None = None, rows: list | None = None) -> None:
        """A4, every page headed by what the sheet holds (a section's full title) and footed by who and
        which page; a table's sheet in landscape at a scale that fits its width, broken between items."""
        ws.set_paper(9)  # A4
        ws.set_margins(**MARGINS)
        if portrait:
            ws.fit_to_pages(1, 0)
        else:
            ws.set_landscape()
            width = sum(c.width for c in table.columns) * PIXELS_PER_CHARACTER + 5 * len(table.columns)
            # as small as keeps the smallest text legible (8 points), for fewer pages; smaller still if
            # that is what it takes to fit the page's width
            smallest = PROMPT_FONT if table.col("prompts") >= 0 or table.col("previous") >= 0 else TEXT_FONT
            scale = max(10, min(100, int(PRINTABLE_PIXELS * 100 / width), math.ceil(LEGIBLE_POINTS * 100 / smallest)))
            ws.set_print_scale(scale)
            ws.set_h_pagebreaks(page_breaks(rows or table.rows, self.heights.get(ws.name, {}), table.header_row,
                                            scale))
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)
        title = table.title if table is not None and table.section is not None else ws.name
        ws.set_header(f"&L{_header_text(title, 150)}&R{_header_text(self.fw.title, 80)}", {"margin": HEADER_MARGIN})
        ws.set_footer(f"&L{_header_text(self.facts.respondent, 60)}&CPage &P of &N&R{_header_text(self.fw.id, 40)}",
                      {"margin": HEADER_MARGIN})


def _header_text(text: str, limit: int) -> str:
    """Text for a printed header or footer: clipped first and then with '&' doubled, so it is not read as a
    code and no escaped '&&' is ever cut in half."""
    return clip(text, limit).replace("&", "&&")


def _written_meta(meta: dict[str, str]) -> dict[str, str]:
    """The metadata a workbook records: a key added to the format later only when it says something,
    so a workbook that does not use it is as it was before."""
    return {key: value for key, value in meta.items() if value or key not in ("previous_round", "prefilled")}


def row_cells(line, table: SheetTable) -> list[tuple[str, float, int]]:
    """The wrapped texts of a row, with their column widths and font sizes."""
    cells = [(line.text, table.columns[table.col("text")].width, TEXT_FONT)]
    cells += [(header, table.columns[col].width, TEXT_FONT) for col, header in line.headers]
    if table.col("prompts") >= 0:
        cells.append((line.prompts, table.columns[table.col("prompts")].width, PROMPT_FONT))
    return cells


def answer_room(line) -> float:
    """The least height of a row: the room its answer cells' types ask for (more for free text)."""
    if not line.answers:
        return 15.0
    if line.kind == "action":  # one action a row, across many columns: two lines, growing as it is typed
        return ACTION_ROOM
    return max(field_type(a.field).room for a in line.answers)


def page_breaks(rows, heights: dict[int, float], header_row: int, scale: int) -> list[int]:
    """Manual page breaks that fill each page and leave no heading at the foot of one: a page holds
    the title and header (then, on later pages, the header printed again) and as many rows as fit."""
    page = PAGE_BODY_POINTS * 100 / scale * 0.97  # less a little for the estimate of each row's height
    height = lambda row: heights.get(row, 15.0)
    repeated = height(header_row)
    used = sum(height(r) for r in range(header_row + 1))
    breaks = []
    for n, line in enumerate(rows):
        kept = next((m for m in range(n, len(rows)) if rows[m].kind not in KEPT_WITH_NEXT), len(rows) - 1)
        block = sum(height(r.row) for r in rows[n:kept + 1])  # a heading, with the first row it heads
        if used > repeated and used + min(block, page - repeated) > page:
            breaks.append(line.row)
            used = repeated
        used += height(line.row)
    return breaks[:1000]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
