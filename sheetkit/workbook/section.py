"""A section's sheet planned as a form: an item's heading row, then one row per item-level
field (label beside its answer cell, the rating first), then one row per statement (its text,
prompts and the statement-level answers in columns headed by their field labels), then the
section's illustrations and summary questions. Long texts continue on further rows, so that no
row is taller than a spreadsheet can show.

Part of :func:`sheetkit.workbook.layout.plan_workbook`, whose types it fills in.
"""

from __future__ import annotations

from sheetkit.framework.model import Framework, Item, ResponseField, Section
from .layout import (
    ANSWER_HEADER,
    LAST_ROUND_HEADER,
    LAST_ROUND_WIDTH,
    PROMPT_FONT,
    STILL_TRUE_HEADER,
    STILL_TRUE_WIDTH,
    REF_HEADER,
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
from sheetkit.xlsx.text_fit import split_for_row
from sheetkit.framework.keys import AnswerKey


def _section_table(framework: Framework, section: Section, name: str, follow_up: bool,
                   still_true: bool = False) -> SheetTable:
    labels = framework.labels
    columns = [Column(REF_HEADER, WIDTHS["ref"], "ref"), Column(labels["statement"], WIDTHS["text"], "text")]
    if _uses_prompts(section):
        columns.append(Column(labels["prompts"], WIDTHS["prompts"], "prompts"))
    statement_fields = framework.fields("statement")
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
    return SheetTable(name, title, columns, section=section, guidance=section.description)


def _uses_prompts(section: Section) -> bool:
    return any(item.prompts or any(st.prompts for st in item.statements) for item in section.items)


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

    def add(self, kind: str, ref: str, text: str, prompts: str = "", answers=(), level=None, what=""):
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
                                       part_text, part_prompts, cells, level, confirm))
            if what and part_text:
                self.texts.append(TextCell(self.sheet.name, row, self.text_col, part_text, what,
                                           self.sheet.columns[self.text_col].header))
            if what and part_prompts:
                self.texts.append(TextCell(self.sheet.name, row, self.prompt_col, part_prompts,
                                           f"{what} ({self.fw.labels['prompts'].lower()})",
                                           self.sheet.columns[self.prompt_col].header))
            self.next_row += 1
        return self.sheet.rows[-1]

    def item(self, item: Item) -> None:
        labels, section = self.fw.labels, self.sheet.section
        compact = len(item.statements) == 1 and item.statements[0].id == item.id
        heading = item.title + (f"\n{item.description}" if item.description else "")
        if compact:
            st = item.statements[0]
            heading = f"{item.title}\n{st.text}" if item.title and item.title != st.text else st.text
            prompts = join_prompts(item.prompts + st.prompts)
        else:
            prompts = join_prompts(item.prompts)
        self.add("item", item.id, heading, prompts, what=f"{labels['item'].lower()} {item.id}")
        item_fields = self.fw.fields("item")
        for f in sorted(item_fields, key=lambda f: f.type != "rating"):  # the rating first
            self.field_row(f, "item", item.id, item.id, section.id, item.id)
        for lv in item.levels:
            self.add("level", f"Level {lv.value}", lv.text, level=lv.value, what=f"level {lv.value} of {item.id}")
        stem = self.fw.stem(section, item)
        if stem and item.statements and not compact:  # right above the statements that complete it
            self.add("stem", "", stem, what=f"the wording that {item.id}'s statements complete")
        if not compact:
            for st in item.statements:
                answers = self.statement_answers(st.id, item.id)
                self.add("statement", st.id, st.text, join_prompts(st.prompts), answers, what=f"statement {st.id}")

    def field_row(self, f: ResponseField, level: str, owner: str, ref: str, section_id: str, item_id: str = ""):
        label = field_label(f)
        col = self.sheet.col("answer")
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
            text = il.title + "\n" + "\n".join(f"\u2022 {p}" for p in il.points)
            self.add("illustration", f"Level {il.level}", text, level=il.level,
                     what=f"the level {il.level} illustration")

    def summary(self) -> None:
        fields = self.fw.fields("section")
        if not fields:
            return
        section = self.sheet.section
        ref = f"{self.fw.labels['section']} {section.id}"
        self.add("heading", "", f"{self.fw.labels['section']} summary", what="the summary heading")
        for f in sorted(fields, key=lambda f: f.type != "rating"):
            self.field_row(f, "section", section.id, ref, section.id)


def _at_row(answer: AnswerCell, row: int) -> AnswerCell:
    return AnswerCell(answer.key, answer.sheet, row, answer.col, answer.field, answer.section_id, answer.item_id,
                      answer.statement_id, answer.ref, answer.label, answer.header)
