"""Where everything sits in a respondent workbook: the one definition shared by the
workbook writer and the return reader, so the two cannot disagree.

:func:`plan_workbook` turns a framework into a :class:`WorkbookLayout`. Every sheet that
holds answers is a :class:`SheetTable`: a header row naming its columns, then rows. Every
row that carries an answer also carries, in its locked Ref cell, the id of what it answers,
and (for rows that answer one field) the field's label beside the answer. The reader finds
rows by those ids and labels and columns by their header text (see :mod:`sheetkit.locate`),
so sorting rows, inserting rows or columns, or hiding columns never moves an answer to
another item or field.

Section sheets are laid out as forms by :mod:`sheetkit.section_sheet`, the Start sheet by
:mod:`sheetkit.start_sheet`; the Action plan is laid out here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .fields import field_type
from .text_fit import fit_units
from .framework import NO_ROLE, SHEET_NAME_FORBIDDEN, Framework, Item, ResponseField, Section

SHEET_START = "Start"
SHEET_SCALE = "Scale"
SHEET_ACTIONS = "Action plan"
SHEET_META = "_sheetkit"
SHEET_LISTS = "_lists"
META_FORMAT = "sheetkit-return/2"
RESERVED_SHEETS = (SHEET_START, SHEET_SCALE, SHEET_ACTIONS, SHEET_META, SHEET_LISTS)

ACTION_ROWS = 40
ACTION_STATUSES = ("Not started", "In progress", "Done", "Dropped")
ACTION_CLOSED = ("Done", "Dropped")  # statuses that end an action: not carried to the next round
TEXT_LIMIT = 32_767

REF_HEADER = "Ref"
ANSWER_HEADER = "Your answer"
FIELD_HEADER = "Question"
NO_ANSWER = "#"  # action plan: the locked row number column

HEADER_ROW = 3  # rows 0-2: title, guidance, blank; row 3: column headings (frozen)
WIDTHS = {"ref": 8, "text": 48, "prompts": 34, "answer": 42}
TEXT_FONT = 11  # the body text size (XlsxWriter's default, which the styles keep)
PROMPT_FONT = 9

# Metadata sheet rows: key in column A, value in column B.
META_KEYS = ("format", "framework_id", "framework_version", "fingerprint", "framework_title",
             "respondent", "organisation", "email", "round", "deadline", "return_to",
             "build_id", "built_at", "sheetkit_version", "previous_round")
CRITERIA_NAME = "sk_criteria"


def meta_cell(key: str) -> str:
    """Where a metadata value sits on the metadata sheet, e.g. 'B2' for framework_id."""
    return f"B{META_KEYS.index(key) + 1}"


ACTION_FIELDS = (
    ResponseField("criterion", "Which part it addresses", "choice", "action"),
    ResponseField("action", "Action", "text", "action"),
    ResponseField("owner", "Owner", "person", "action"),
    ResponseField("due", "Due date", "date", "action"),
    ResponseField("priority", "Priority", "priority", "action"),
    ResponseField("resources", "Resources needed", "text", "action"),
    ResponseField("measure", "How success will be measured", "text", "action"),
    ResponseField("status", "Status", "choice", "action"),
)
# A follow-up workbook (built with last round's answers) also asks what became of each action,
# and shows, locked, which of last round's actions a row carries (read back as action/N/carried).
FOLLOW_UP_FIELDS = (
    ResponseField("progress", "Progress note", "text", "action"),
    ResponseField("revised_due", "Revised date", "date", "action", role=NO_ROLE),
)
CARRIED_FIELD = ResponseField("carried", "From last round", "text", "action", origin="sheetkit")
LAST_ROUND_HEADER = "Last round"
ACTION_WIDTHS = {"criterion": 24, "action": 38, "owner": 16, "due": 12, "priority": 10, "resources": 20,
                 "measure": 26, "status": 12, "progress": 30, "revised_due": 12, "carried": 13}
LAST_ROUND_WIDTH = 30

SIGNOFF_FIELDS = (
    ResponseField("completed_by", "Completed by", "person", "signoff"),
    ResponseField("role", "Role", "text", "signoff"),
    ResponseField("completed_on", "Date completed", "date", "signoff"),
    ResponseField("approved_by", "Approved by", "person", "signoff"),
)


@dataclass(frozen=True)
class AnswerKey:
    """The stable name of an answer: ``level/owner/field``, e.g. ``item/7/rating``."""

    level: str
    owner: str
    field: str

    def __str__(self) -> str:
        return f"{self.level}/{self.owner}/{self.field}"

    @classmethod
    def parse(cls, text: str) -> "AnswerKey":
        level, owner, field_id = text.split("/", 2)
        return cls(level, owner, field_id)


@dataclass(frozen=True)
class Column:
    """A column of a sheet table, found on a return by its header text."""

    header: str
    width: float
    kind: str  # 'ref', 'text', 'prompts', 'answer'; 'previous' and 'carried': last round's, locked


@dataclass(frozen=True)
class AnswerCell:
    """A cell the respondent fills in, with what it answers and how the reader finds it."""

    key: str
    sheet: str
    row: int
    col: int
    field: ResponseField
    section_id: str = ""
    item_id: str = ""
    statement_id: str = ""
    ref: str = ""  # the row's Ref cell
    label: str = ""  # the row's label cell, when the row answers one field
    header: str = ""  # the header of the answer's column

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)

    @property
    def answer_key(self) -> AnswerKey:
        return AnswerKey.parse(self.key)


@dataclass(frozen=True)
class TextCell:
    """A locked cell holding framework wording, checked on ingest."""

    sheet: str
    row: int
    col: int
    text: str
    what: str
    header: str = ""  # the column it sits in

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)


@dataclass(frozen=True)
class Row:
    """One row of a sheet table as the writer draws it, at its planned row number."""

    kind: str  # 'item', 'statement', 'field', 'level', 'stem', 'illustration', 'heading', 'continued'
    row: int
    ref: str = ""
    text: str = ""
    prompts: str = ""
    answers: tuple[AnswerCell, ...] = ()
    level: int | None = None


@dataclass
class SheetTable:
    """A sheet whose answers sit in one table: a header row, then rows found by Ref and label."""

    name: str
    title: str
    columns: list[Column]
    header_row: int = HEADER_ROW
    rows: list[Row] = field(default_factory=list)
    section: Section | None = None
    guidance: str = ""

    def col(self, kind: str, nth: int = 0) -> int:
        """The index of the nth column of a kind; -1 when the sheet has none."""
        found = [n for n, c in enumerate(self.columns) if c.kind == kind]
        return found[nth] if nth < len(found) else -1

    @property
    def answers(self) -> list[AnswerCell]:
        return [a for r in self.rows for a in r.answers]

    def last_round_col(self, answer_col: int) -> int:
        """The 'Last round' column shown for an answer column, or -1 when the sheet has none."""
        answer_cols = [n for n, c in enumerate(self.columns) if c.kind == "answer"]
        return self.col("previous", answer_cols.index(answer_col)) if answer_col in answer_cols else -1


@dataclass(eq=False)
class WorkbookLayout:
    framework: Framework
    sections: list[SheetTable]
    start: SheetTable
    actions: SheetTable
    texts: list[TextCell]
    follow_up: bool = False  # built with last round's answers beside this round's (see sheetkit.carry)

    @property
    def framework_answers(self) -> list[AnswerCell]:
        return [a for a in self.start.answers if a.field.level == "framework"]

    @property
    def signoff_answers(self) -> list[AnswerCell]:
        return [a for a in self.start.answers if a.field.level == "signoff"]

    @property
    def tables(self) -> list[SheetTable]:
        """Every sheet table the reader looks for answers in."""
        return [self.start] + self.sections + [self.actions]

    @property
    def action_answers(self) -> list[AnswerCell]:
        return self.actions.answers

    @property
    def answers(self) -> list[AnswerCell]:
        """Every answer cell of the built workbook, in reading order (sign-off excluded)."""
        section_answers = [a for s in self.sections for a in s.answers]
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

    def criterion_choices(self) -> list[str]:
        """What the action plan's dropdown shows: id and a short title, '7.3 Joint strategies'."""
        titles = _criterion_titles(self.framework)
        return [f"{cid} {titles[cid]}".strip() for cid in self.criteria()]

    def action_cell(self, number: int, field_id: str) -> AnswerCell:
        """The answer cell of action `number` (1-based), also beyond the rows the workbook was built with
        (and, for a follow-up field, as a follow-up workbook places it)."""
        first = {a.field.id: a for a in self.actions.rows[0].answers}
        if field_id not in first and not self.follow_up:
            return plan_workbook(self.framework, follow_up=True).action_cell(number, field_id)
        cell = first[field_id]
        return AnswerCell(f"action/{number}/{field_id}", SHEET_ACTIONS, self.actions.header_row + number, cell.col,
                          cell.field, ref=str(number), header=cell.header)


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


def section_sheet_name(section: Section, taken: set[str]) -> str:
    """The section's tab: its short title (given, and checked, or derived by the framework model),
    made legal and unique however the framework was loaded."""
    base = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in section.short_title)
    base = fit_units(" ".join(base.split()).strip("'"), 31).strip() or f"Section {section.id}"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = fit_units(base, 31 - len(suffix)) + suffix, n + 1
    taken.add(name.lower())
    return name


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


def field_hint(f: ResponseField) -> str:
    """What goes in a field's cells, and whether the source asks for it: '(type here; added by sheetkit)'."""
    hint = field_type(f).hint
    return hint[:-1] + "; added by sheetkit)" if f.origin == "sheetkit" else hint


def field_label(f: ResponseField) -> str:
    """The label shown beside an answer cell: the field's label and what goes in it."""
    return f"{f.label} {field_hint(f)}"



# -- planning ------------------------------------------------------------------------------

@lru_cache(maxsize=32)
def plan_workbook(framework: Framework, follow_up: bool = False) -> WorkbookLayout:
    """Lay out a respondent workbook for a framework (pure: no files are touched). A follow-up
    workbook adds a locked 'Last round' column beside the answers and the action plan's follow-up."""
    texts: list[TextCell] = []
    taken = {name.lower() for name in RESERVED_SHEETS}
    sections = []
    from .section_sheet import plan_section  # the sheets' own modules build on this one's types
    from .start_sheet import plan_start

    for section in framework.sections:
        sections.append(plan_section(framework, section, section_sheet_name(section, taken), follow_up, texts))

    start = plan_start(framework, len(sections), follow_up)
    return WorkbookLayout(framework, sections, start, _plan_actions(follow_up), texts, follow_up)


def plan_for(framework: Framework, meta: dict[str, str]) -> WorkbookLayout:
    """The layout a built workbook has, from its metadata: a follow-up one when it names a previous round."""
    return plan_workbook(framework, follow_up=bool(meta.get("previous_round")))


def _plan_actions(follow_up: bool) -> SheetTable:
    """One row per action; a follow-up plan also has the locked 'From last round' column after '#'."""
    fields = ACTION_FIELDS + (FOLLOW_UP_FIELDS if follow_up else ())
    columns = [Column(NO_ANSWER, 5, "ref")]
    columns += [Column(CARRIED_FIELD.label, ACTION_WIDTHS["carried"], "carried")] if follow_up else []
    columns += [Column(f"{f.label} {field_type(f).hint}", ACTION_WIDTHS[f.id], "answer") for f in fields]
    placed = list(zip(fields, range(len(columns) - len(fields), len(columns))))
    placed += [(CARRIED_FIELD, 1)] if follow_up else []  # last, so the others keep their places in a row
    table = SheetTable(SHEET_ACTIONS, "Action plan", columns)
    for number in range(1, ACTION_ROWS + 1):
        row = table.header_row + number
        cells = tuple(AnswerCell(f"action/{number}/{f.id}", SHEET_ACTIONS, row, col, f, ref=str(number),
                                 header=columns[col].header) for f, col in placed)
        table.rows.append(Row("action", row, str(number), answers=cells))
    return table


def _criterion_titles(framework: Framework) -> dict[str, str]:
    titles: dict[str, str] = {}
    for _, item in framework.items():
        titles.setdefault(item.id, _short(item_caption(item)))
        for st in item.statements:
            titles.setdefault(st.id, _short(st.text))
    return titles


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.replace(",", " ").split())
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def choices(f: ResponseField, framework: Framework) -> tuple[str, ...]:
    """The dropdown choices of a field, or () for free text, dates and the criterion (any id is kept)."""
    if f.type == "rating":
        return framework.scale(f.scale).choices
    if f.type == "priority":
        from .framework import PRIORITIES

        return PRIORITIES
    if f.level == "action" and f.id == "status":
        return ACTION_STATUSES
    return ()


def section_static_cells(table: SheetTable) -> set[tuple[int, int]]:
    """The cells above a section sheet's header row that the writer fills: title, guidance, and the
    note above a follow-up workbook's Last round column."""
    return {(0, 0), (1, table.col("text")), (2, table.col("text")), (2, table.col("previous"))}


UNPLACED_FIELD = ResponseField("unplaced", "Typed outside the layout", "text", "unplaced")
COMMENT_FIELD = ResponseField("comment", "A comment on the cell", "text", "unplaced")


def unplaced_cell(sheet: str, row: int, col: int) -> AnswerCell:
    """A cell no layout position claims, kept under a key that names where it was typed."""
    return AnswerCell(f"unplaced/{sheet}/{cell_name(row, col)}", sheet, row, col, UNPLACED_FIELD)


def cell_for(layout: WorkbookLayout, key: str) -> AnswerCell:
    """The answer cell behind any answer key: the layout's own, an action beyond the built rows,
    or a cell typed outside the layout."""
    known = _cells_by_key(layout)
    if key in known:
        return known[key]
    parts = AnswerKey.parse(key)
    if parts.level == "action":
        return layout.action_cell(int(parts.owner), parts.field)
    rest = key[len("unplaced/"):]
    comment = rest.endswith("/comment")
    sheet, _, where = rest.removesuffix("/comment").rpartition("/")
    match = re.match(r"([A-Z]+)(\d+)$", where)
    col = sum((ord(ch) - 64) * 26 ** n for n, ch in enumerate(reversed(match[1]))) - 1 if match else 0
    cell = unplaced_cell(sheet, int(match[2]) - 1 if match else 0, col)
    return AnswerCell(f"{cell.key}/comment", sheet, cell.row, col, COMMENT_FIELD) if comment else cell


@lru_cache(maxsize=32)
def _cells_by_key(layout: WorkbookLayout) -> dict[str, AnswerCell]:
    return {c.key: c for c in layout.answers + layout.signoff_answers}
