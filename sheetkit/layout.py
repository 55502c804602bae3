"""Where everything sits in a respondent workbook: the one definition shared by the
workbook writer and the return reader, so the two cannot disagree.

:func:`plan_workbook` turns a framework into a :class:`WorkbookLayout`: the sheet names,
the columns of each section sheet, the rows in order, every answer cell (keyed by a stable
id such as ``item/7/rating`` or ``statement/7.3/evidence``) and every locked framework text
that ingest compares with the framework to catch edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .framework import PRIORITIES, Framework, Item, ResponseField, Section

SHEET_START = "Start"
SHEET_SCALE = "Scale"
SHEET_ACTIONS = "Action plan"
SHEET_META = "_sheetkit"
META_FORMAT = "sheetkit-return/1"
RESERVED_SHEETS = (SHEET_START, SHEET_SCALE, SHEET_ACTIONS, SHEET_META)

ACTION_ROWS = 30
ACTION_STATUSES = ("Not started", "In progress", "Done")
TEXT_LIMIT = 32_767

# Section sheets: fixed columns, then one column per statement field, then per item field.
COL_REF, COL_TEXT, COL_PROMPTS = 0, 1, 2
FIRST_FIELD_COL = 3
SUMMARY_ANSWER_COL = COL_PROMPTS  # section- and framework-level answers sit in the wide prompts column
HEADER_ROW = 3  # rows 0-2: title, description, blank; row 3: column headings (frozen)
WIDTHS = {"ref": 9, "text": 58, "prompts": 44, "rating": 20, "text_field": 34, "date": 14,
          "person": 22, "priority": 12, "choice": 14}

# Start sheet: title rows, the label/value block, the instructions, then the
# framework-level answers and the completion panel.
START_INFO_ROW = 2
START_HELP_ROW = 11
START_FIELDS_ROW = 14

# Metadata sheet rows: key in column A, value in column B; the answer map follows.
META_KEYS = ("format", "framework_id", "framework_version", "fingerprint", "framework_title",
             "respondent", "organisation", "email", "round", "deadline", "return_to",
             "build_id", "built_at", "sheetkit_version")
META_MAP_ROW = len(META_KEYS) + 2


def meta_cell(key: str) -> str:
    """Where a metadata value sits on the metadata sheet, e.g. 'B2' for framework_id."""
    return f"B{META_KEYS.index(key) + 1}"

META_LIST_COL = 4  # column E holds the list of criterion ids behind the action-plan dropdown
CRITERIA_NAME = "sk_criteria"

ACTION_FIELDS = (
    ResponseField("criterion", "Criterion it addresses", "choice", "action"),
    ResponseField("action", "Action", "text", "action"),
    ResponseField("owner", "Owner", "person", "action"),
    ResponseField("due", "Due date", "date", "action"),
    ResponseField("priority", "Priority", "priority", "action"),
    ResponseField("resources", "Resources needed", "text", "action"),
    ResponseField("measure", "How success will be measured", "text", "action"),
    ResponseField("status", "Status", "choice", "action"),
)
ACTION_HEADER_ROW = 3


@dataclass(frozen=True)
class AnswerCell:
    """A cell the respondent fills in, with what it answers."""

    key: str
    sheet: str
    row: int
    col: int
    field: ResponseField
    section_id: str = ""
    item_id: str = ""
    statement_id: str = ""

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)


@dataclass(frozen=True)
class TextCell:
    """A locked cell holding framework wording, checked on ingest."""

    sheet: str
    row: int
    col: int
    text: str
    what: str

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)


@dataclass(frozen=True)
class Row:
    """One row of a section sheet as the writer draws it."""

    kind: str  # 'item', 'statement', 'level', 'answers', 'illustration', 'summary-heading', 'summary'
    ref: str = ""
    text: str = ""
    prompts: str = ""
    answers: tuple[AnswerCell, ...] = ()
    level: int | None = None


@dataclass
class SectionSheet:
    name: str
    section: Section
    columns: list[ResponseField]
    rows: list[Row] = field(default_factory=list)

    def field_col(self, f: ResponseField) -> int:
        return FIRST_FIELD_COL + self.columns.index(f)


@dataclass(eq=False)
class WorkbookLayout:
    framework: Framework
    sections: list[SectionSheet]
    framework_answers: list[AnswerCell]
    action_answers: list[AnswerCell]
    texts: list[TextCell]

    @property
    def answers(self) -> list[AnswerCell]:
        section_answers = [a for s in self.sections for r in s.rows for a in r.answers]
        return self.framework_answers + section_answers + self.action_answers

    @property
    def sheet_names(self) -> list[str]:
        return [SHEET_START, SHEET_SCALE] + [s.name for s in self.sections] + [SHEET_ACTIONS]

    def criteria(self) -> list[str]:
        """The ids an action can address: every item and statement id, in order."""
        ids: list[str] = []
        for _, item in self.framework.items():
            ids.append(item.id)
            ids += [st.id for st in item.statements if st.id != item.id]
        return list(dict.fromkeys(ids))


def column_letters(col: int) -> str:
    """'A' for column 0, 'AB' for column 27."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """'B7' for row 6, column 1 (both counted from zero)."""
    return f"{column_letters(col)}{row + 1}"


def section_sheet_name(section: Section, label: str, taken: set[str]) -> str:
    """A legal, unique sheet name such as '1 Person-centred and outcomes'."""
    mentions_id = re.search(rf"(^|\W){re.escape(section.id)}(\W|$)", section.title[:24])
    base = section.title if mentions_id else f"{section.id} {section.title}"
    base = re.sub(r"[\[\]:*?/\\']", " ", base)
    base = _fit(" ".join(base.split()), 31).strip() or f"{label} {section.id}"
    name, n = base, 2
    while name.lower() in taken or name in RESERVED_SHEETS:
        suffix = f" ({n})"
        name, n = _fit(base, 31 - len(suffix)) + suffix, n + 1
    taken.add(name.lower())
    return name


def _fit(text: str, limit: int) -> str:
    """The longest prefix of text within `limit` UTF-16 code units (how spreadsheets count)."""
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text


def item_caption(item: Item) -> str:
    """A readable caption for an item, even where the source's title is only '(a)'."""
    if len(item.title) >= 12 or not item.statements:
        return item.title
    text = item.statements[0].text
    short = text if len(text) <= 80 else text[:77].rsplit(" ", 1)[0] + "..."
    return f"{item.title} {short}".strip()


def join_prompts(prompts: tuple[str, ...]) -> str:
    if len(prompts) == 1:
        return prompts[0]
    return "\n".join(f"\u2022 {p}" for p in prompts)


@lru_cache(maxsize=32)
def plan_workbook(framework: Framework) -> WorkbookLayout:
    """Lay out a respondent workbook for a framework (pure: no files are touched)."""
    texts: list[TextCell] = []
    taken = {name.lower() for name in RESERVED_SHEETS}
    sections = []
    for section in framework.sections:
        name = section_sheet_name(section, framework.labels["section"], taken)
        sheet = SectionSheet(name, section, list(framework.fields("statement")) + list(framework.fields("item")))
        _plan_section(framework, sheet, texts)
        sections.append(sheet)
    framework_answers = [
        AnswerCell(f"framework/-/{f.id}", SHEET_START, START_FIELDS_ROW + i, 1, f)
        for i, f in enumerate(framework.fields("framework"))
    ]
    action_answers = [
        AnswerCell(f"action/{n}/{f.id}", SHEET_ACTIONS, ACTION_HEADER_ROW + n, col + 1, f)
        for n in range(1, ACTION_ROWS + 1)
        for col, f in enumerate(ACTION_FIELDS)
    ]
    return WorkbookLayout(framework, sections, framework_answers, action_answers, texts)


def _plan_section(framework: Framework, sheet: SectionSheet, texts: list[TextCell]) -> None:
    statement_fields = framework.fields("statement")
    item_fields = framework.fields("item")
    row = HEADER_ROW + 1
    for item in sheet.section.items:
        compact = len(item.statements) == 1 and not statement_fields and not item.levels
        if compact:
            st = item.statements[0]
            answers = _answers(sheet, row, item_fields, "item", item.id, sheet.section.id, item.id)
            sheet.rows.append(Row("item", item.id, st.text, join_prompts(st.prompts), answers))
            texts.append(TextCell(sheet.name, row, COL_TEXT, st.text, f"statement {st.id}"))
            row += 1
            continue
        title = item.title + (f"\n{item.description}" if item.description else "")
        sheet.rows.append(Row("item", item.id, title, join_prompts(item.prompts)))
        texts.append(TextCell(sheet.name, row, COL_TEXT, title, f"{framework.labels['item'].lower()} {item.id} title"))
        row += 1
        for level in item.levels:
            sheet.rows.append(Row("level", f"Level {level.value}", level.text, level=level.value))
            texts.append(TextCell(sheet.name, row, COL_TEXT, level.text, f"level {level.value} of {item.id}"))
            row += 1
        for st in item.statements:
            answers = _answers(sheet, row, statement_fields, "statement", st.id, sheet.section.id, item.id, st.id)
            sheet.rows.append(Row("statement", st.id, st.text, join_prompts(st.prompts), answers))
            texts.append(TextCell(sheet.name, row, COL_TEXT, st.text, f"statement {st.id}"))
            row += 1
        if item_fields:
            answers = _answers(sheet, row, item_fields, "item", item.id, sheet.section.id, item.id)
            label = f"Your answers for {framework.labels['item'].lower()} {item.id}"
            sheet.rows.append(Row("answers", item.id, label, "", answers))
            row += 1
    row += 1
    for il in sheet.section.illustrations:
        text = "\n".join(f"\u2022 {p}" for p in il.points)
        sheet.rows.append(Row("illustration", f"Level {il.level}", il.title, text, level=il.level))
        row += 1
    section_fields = framework.fields("section")
    if section_fields:
        sheet.rows.append(Row("summary-heading", "", f"{framework.labels['section']} summary"))
        row += 1
        for f in section_fields:
            cell = AnswerCell(f"section/{sheet.section.id}/{f.id}", sheet.name, row, SUMMARY_ANSWER_COL, f,
                              sheet.section.id)
            sheet.rows.append(Row("summary", "", f.label, "", (cell,)))
            row += 1


def _answers(sheet: SectionSheet, row: int, fields, level: str, owner_id: str, section_id: str,
             item_id: str, statement_id: str = "") -> tuple[AnswerCell, ...]:
    return tuple(
        AnswerCell(f"{level}/{owner_id}/{f.id}", sheet.name, row, sheet.field_col(f), f,
                   section_id, item_id, statement_id)
        for f in fields
    )


def choices(field: ResponseField, framework: Framework) -> tuple[str, ...]:
    """The dropdown choices of a field, or () for free text and dates."""
    if field.type == "rating":
        return framework.scale(field.scale).choices
    if field.type == "priority":
        return PRIORITIES
    if field.id == "status" and field.level == "action":
        return ACTION_STATUSES
    return ()


def column_width(field: ResponseField) -> int:
    return WIDTHS["text_field"] if field.type == "text" else WIDTHS.get(field.type, 20)
