"""A section's sheet planned as a form, in the source's order: an item's heading row, what it
rates (its levels, its stem and its statements, each statement with its prompts and its
statement-level answers in columns headed by their field labels), then the questions asked of
the item under a heading that names it ("Your assessment of Standard 1": one row per field, label
beside its answer cell, in the framework's order); then the section's illustrations and its
summary questions. Long texts continue on further rows, so that no row is taller than a
spreadsheet can show.

Where a sheet's answer column is headed by a statement field ("Our evidence"), the questions'
rows share that column, so each block is headed by what fits it: "Your answer" on the questions'
heading, and the table's header again under the heading of each item that follows them.

Part of :func:`sheetkit.workbook.plan.plan_workbook`, whose types it fills in.
"""

from __future__ import annotations

from sheetkit.framework.fields import field_type
from sheetkit.framework.model import Framework, Item, ResponseField, Section, item_name, numbers_only
from .layout import (
    ANSWER_HEADER,
    FOLLOW_UP_TEXT_BUDGET,
    LAST_ROUND_HEADER,
    LAST_ROUND_WIDTH,
    PREFILLED_TEXT_BUDGET,
    PROMPT_FONT,
    STILL_TRUE_HEADER,
    STILL_TRUE_WIDTH,
    REF_HEADER,
    TEXT_BUDGET,
    TEXT_FONT,
    WIDTHS,
    AnswerCell,
    Column,
    Row,
    SheetTable,
    TextCell,
    confirmation_cell,
    field_label,
    join_prompts,
)
from sheetkit.xlsx.text_fit import points_needed, split_for_row
from sheetkit.framework.keys import AnswerKey


def _section_table(framework: Framework, section: Section, name: str, follow_up: bool,
                   still_true: bool = False) -> SheetTable:
    labels = framework.labels
    statement_fields = framework.fields("statement")
    budget = PREFILLED_TEXT_BUDGET if still_true and follow_up else FOLLOW_UP_TEXT_BUDGET if follow_up else TEXT_BUDGET
    text_width, prompts_width = _text_widths(framework, section, budget)
    columns = [Column(REF_HEADER, WIDTHS["ref"], "ref"), Column(labels["statement"], text_width, "text")]
    if prompts_width:
        columns.append(Column(labels["prompts"], prompts_width, "prompts"))
    if statement_fields:
        columns += [Column(field_label(f), WIDTHS["answer"], "answer") for f in statement_fields]
    else:
        columns.append(Column(ANSWER_HEADER, WIDTHS["answer"], "answer"))
    if follow_up:
        shown = statement_fields if len(statement_fields) > 1 else [None]
        columns += [Column(f"{LAST_ROUND_HEADER}: {f.label}" if f else LAST_ROUND_HEADER, LAST_ROUND_WIDTH, "previous")
                    for f in shown]
    if still_true:  # after Last round: an answer, what it was, and whether it still holds
        columns.append(Column(STILL_TRUE_HEADER, STILL_TRUE_WIDTH, "confirm"))
    title = section.title
    if not title.lower().startswith(labels["section"].lower()):
        title = f"{labels['section']} {section.id}: {title}"
    retired = (f"{labels['section']} summary",)  # the heading sheetkit 0.1 drew over a section's summary
    return SheetTable(name, title, columns, section=section, guidance=section.description, retired=retired)


def _uses_prompts(section: Section) -> bool:
    return any(item.prompts or any(st.prompts for st in item.statements) for item in section.items)


MIN_TEXT_WIDTH, MIN_PROMPTS_WIDTH = 30, 24


def _text_widths(framework: Framework, section: Section, budget: int) -> tuple[int, int]:
    """The widths of the text and prompts columns (0: the section has no prompts), sharing `budget`
    characters where the section's rows come out shortest: the source's long guidance (Wales) gets
    more room, its long criteria (LGA) more of it for the criteria, the questions' labels enough."""
    if not _uses_prompts(section):
        return budget, 0
    answered = max((field_type(f).room for f in framework.fields("statement")), default=0.0)
    rows = [(st.text, join_prompts(st.prompts), answered) for item in section.items for st in item.statements]
    rows += [(item.title + "\n" + item.description, join_prompts(item.prompts), 0.0) for item in section.items]
    questions = [(field_label(f), "", field_type(f).room) for f in framework.fields("item")]
    rows += questions * len(section.items)
    rows += [(field_label(f), "", field_type(f).room) for f in framework.fields("section")]
    rows += [(_illustration_text(il), "", 0.0) for il in section.illustrations]

    def total(width: int) -> float:
        return sum(max(room, points_needed(text, width, TEXT_FONT), points_needed(prompts, budget - width, PROMPT_FONT))
                   for text, prompts, room in rows)

    widths = range(MIN_TEXT_WIDTH, budget - MIN_PROMPTS_WIDTH + 1, 2)
    text = min(widths, key=lambda w: (total(w), -w))
    return text, budget - text


def plan_section(framework: Framework, section: Section, name: str, follow_up: bool,
                 texts: list[TextCell], still_true: bool = False) -> SheetTable:
    """A section's sheet: its columns, then its rows at their planned row numbers; the framework
    wording it shows is added to `texts`, for ingest to check. With `still_true` (a pre-filled
    follow-up workbook) every row of answers has its 'Still true?' cell."""
    sheet = _section_table(framework, section, name, follow_up, still_true)
    planner = _SectionPlanner(framework, sheet, texts)
    for item in section.items:
        planner.item(item)
    planner.illustrations()
    planner.summary()
    return sheet


class _SectionPlanner:
    """Appends a section's rows to its sheet, one planned row number at a time."""

    def __init__(self, framework: Framework, sheet: SheetTable, texts: list[TextCell]):
        self.fw, self.sheet, self.texts = framework, sheet, texts
        self.next_row = sheet.header_row + 1
        self.text_col = sheet.col("text")
        self.prompt_col = sheet.col("prompts")
        self.answer_col = sheet.col("answer")
        # The questions' answers go in the first answer column; when its header names a statement
        # field, each block of rows says again what the column holds for it.
        self.shared = (sheet.columns[self.answer_col].header != ANSWER_HEADER
                       and bool(framework.fields("item") or framework.fields("section")))
        self.heads = self.column_headers("answer")  # the headers the rows being added stand under

    def add(self, kind: str, ref: str, text: str, prompts: str = "", answers=(), level=None, what="",
            headers=(), former=""):
        """Add a row (split into continuation rows when its text is too tall for one row)."""
        text_parts = split_for_row(text, self.sheet.columns[self.text_col].width, TEXT_FONT)
        prompt_parts = (split_for_row(prompts, self.sheet.columns[self.prompt_col].width, PROMPT_FONT)
                        if self.prompt_col >= 0 else [""])
        for n in range(max(len(text_parts), len(prompt_parts))):
            row = self.next_row
            part_text = text_parts[n] if n < len(text_parts) else ""
            part_prompts = prompt_parts[n] if n < len(prompt_parts) else ""
            cells = tuple(_at_row(a, row) for a in answers) if n == 0 else ()
            confirm = confirmation_cell(cells[0], self.sheet) if cells and self.sheet.col("confirm") >= 0 else None
            self.sheet.rows.append(Row(kind if n == 0 else "continued", row, ref if n == 0 else "",
                                       part_text, part_prompts, cells, level, confirm, headers if n == 0 else ()))
            if what and part_text:
                self.texts.append(TextCell(self.sheet.name, row, self.text_col, part_text, what,
                                           self.sheet.columns[self.text_col].header,
                                           former if len(text_parts) == 1 else ""))
            if what and part_prompts:
                self.texts.append(TextCell(self.sheet.name, row, self.prompt_col, part_prompts,
                                           f"{what} ({self.fw.labels['prompts'].lower()})",
                                           self.sheet.columns[self.prompt_col].header))
            self.next_row += 1
        return self.sheet.rows[-1]

    def item(self, item: Item) -> None:
        """The item's heading, then what it rates, then the questions asked about it."""
        labels = self.fw.labels
        compact = len(item.statements) == 1 and item.statements[0].id == item.id
        title = item_name(self.fw, item) if numbers_only(item) else item.title
        heading = title + (f"\n{item.description}" if item.description else "")
        former = item.title + (f"\n{item.description}" if item.description else "") if title != item.title else ""
        if compact:
            st = item.statements[0]
            heading = f"{title}\n{st.text}" if title and item.title != st.text else st.text
            prompts = join_prompts(item.prompts + st.prompts)
        else:
            prompts = join_prompts(item.prompts)
        self.add("item", item.id, heading, prompts, what=f"{labels['item'].lower()} {item.id}",
                 former="" if compact else former)
        if item.statements and not compact and self.fw.fields("statement"):
            headers = self.under(self.column_headers("answer"))
            if headers:  # the table's header again, over this item's statements
                self.add("heading", "", "", headers=self.column_headers("text", "prompts") + headers)
        for lv in item.levels:
            self.add("level", f"Level {lv.value}", lv.text, level=lv.value, what=f"level {lv.value} of {item.id}")
        stem = self.fw.stem(self.sheet.section, item)
        if stem and item.statements and not compact:  # right above the statements that complete it
            self.add("stem", "", stem, what=f"the wording that {item.id}'s statements complete")
        if not compact:
            for st in item.statements:
                answers = self.statement_answers(st.id, item.id)
                self.add("statement", st.id, st.text, join_prompts(st.prompts), answers, what=f"statement {st.id}")
        self.questions(self.fw.fields("item"), f"Your assessment of {item_name(self.fw, item)}", "item", item.id,
                       item.id, item.id)

    def questions(self, fields, heading: str, level: str, owner: str, ref: str, item_id: str = "") -> None:
        """A heading naming what the questions are about, then one row per question, in the framework's order."""
        if not fields:
            return
        self.add("heading", "", heading, headers=self.under(((self.answer_col, ANSWER_HEADER),)))
        for f in fields:
            self.field_row(f, level, owner, ref, self.sheet.section.id, item_id)

    def under(self, headers: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...]:
        """The headers to repeat on a block's first row: those that differ from the ones above it."""
        if not self.shared or headers == self.heads:
            return ()
        self.heads = headers
        return headers

    def column_headers(self, *kinds: str) -> tuple[tuple[int, str], ...]:
        return tuple((n, c.header) for n, c in enumerate(self.sheet.columns) if c.kind in kinds)

    def field_row(self, f: ResponseField, level: str, owner: str, ref: str, section_id: str, item_id: str = ""):
        label = field_label(f)
        col = self.answer_col
        cell = AnswerCell(AnswerKey.of(level, owner, f.id), self.sheet.name, 0, col, f, section_id, item_id,
                          ref=ref, label=label, header=self.sheet.columns[col].header)
        self.add("field", ref, label, answers=(cell,), what=f"the label of '{f.label}'")

    def statement_answers(self, statement_id: str, item_id: str) -> tuple[AnswerCell, ...]:
        cells = []
        for n, f in enumerate(self.fw.fields("statement")):
            col = self.sheet.col("answer", n)
            cells.append(AnswerCell(AnswerKey.statement(statement_id, f.id), self.sheet.name, 0, col, f,
                                    self.sheet.section.id, item_id, statement_id, ref=statement_id,
                                    header=self.sheet.columns[col].header))
        return tuple(cells)

    def illustrations(self) -> None:
        for il in self.sheet.section.illustrations:
            self.add("illustration", f"Level {il.level}", _illustration_text(il), level=il.level,
                     what=f"the level {il.level} illustration")

    def summary(self) -> None:
        """The questions asked of the section as a whole, after everything in it."""
        section, label = self.sheet.section, self.fw.labels["section"]
        self.questions(self.fw.fields("section"), f"Your assessment of {label} {section.id} as a whole", "section",
                       section.id, f"{label} {section.id}")


def _illustration_text(il) -> str:
    return il.title + "\n" + "\n".join(f"\u2022 {p}" for p in il.points)


def _at_row(answer: AnswerCell, row: int) -> AnswerCell:
    return AnswerCell(answer.key, answer.sheet, row, answer.col, answer.field, answer.section_id, answer.item_id,
                      answer.statement_id, answer.ref, answer.label, answer.header)
