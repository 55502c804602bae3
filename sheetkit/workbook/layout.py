"""Where everything sits in a respondent workbook: the one definition shared by the
workbook writer and the return reader, so the two cannot disagree.

:func:`plan_workbook` turns a framework into a :class:`WorkbookLayout`. Every sheet that
holds answers is a :class:`SheetTable`: a header row naming its columns, then rows. Every
row that carries an answer also carries, in its locked Ref cell, the id of what it answers,
and (for rows that answer one field) the field's label beside the answer. The reader finds
rows by those ids and labels and columns by their header text (see :mod:`sheetkit.returns.locate`),
so sorting rows, inserting rows or columns, or hiding columns never moves an answer to
another item or field.

Section sheets are laid out as forms by :mod:`sheetkit.workbook.section`, the Start sheet by
:mod:`sheetkit.workbook.start`; the Action plan is laid out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetkit.framework.fields import field_type
from sheetkit.framework.model import Framework, ResponseField, Section
from sheetkit.common.text import cell_name
from sheetkit.common.own_files import SHEET_ACTIONS, SHEET_SCALE, SHEET_START
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import criterion_choices


ACTION_ROWS = 40

REF_HEADER = "Ref"
ANSWER_HEADER = "Your answer"
FIELD_HEADER = "Question"
NO_ANSWER = "#"  # action plan: the locked row number column

HEADER_ROW = 3  # rows 0-2: title, guidance, blank; row 3: column headings (frozen)
WIDTHS = {"ref": 8, "text": 48, "prompts": 34, "answer": 42}
# The text and prompts columns share this many characters, split where a section's rows come out
# shortest; a follow-up workbook gives up some of it to the Last round column, so that every
# column fits a 1366-pixel screen at 100% (about 150 characters in LibreOffice).
TEXT_BUDGET = WIDTHS["text"] + WIDTHS["prompts"]
FOLLOW_UP_TEXT_BUDGET = TEXT_BUDGET - 14
TEXT_FONT = 11  # the body text size (XlsxWriter's default, which the styles keep)
PROMPT_FONT = 9
TITLE_ROOM = 22.0  # points: a sheet's title row, in 16-point type




LAST_ROUND_HEADER = "Last round"
LAST_ROUND_WIDTH = 28
# A pre-filled follow-up workbook asks, on each row that starts with last round's answers, whether
# they still hold (layout 3); the choice is read as a confirmation of the row's answers, not an answer.
STILL_TRUE_FIELD = ResponseField("still_true", "Still true?", "confirmation", "confirmation", origin="sheetkit")
STILL_TRUE_HEADER = f"{STILL_TRUE_FIELD.label} (pick)"
STILL_TRUE_NOTE = "Pick 'Yes: still true', or change the answer"  # above the column
STILL_TRUE_WIDTH = 17
# Its text and prompts give up a little more, so that 'Still true?' is on the first screen at 100% too.
PREFILLED_TEXT_BUDGET = FOLLOW_UP_TEXT_BUDGET - 11

SIGNOFF_FIELDS = (
    ResponseField("completed_by", "Completed by", "person", "signoff"),
    ResponseField("role", "Role", "text", "signoff"),
    ResponseField("completed_on", "Date completed", "date", "signoff"),
    ResponseField("approved_by", "Approved by", "person", "signoff"),
)


@dataclass(frozen=True)
class Column:
    """A column of a sheet table, found on a return by its header text."""

    header: str
    width: float
    kind: str  # 'ref', 'text', 'prompts', 'answer'; 'previous' and 'carried': last round's, locked; 'confirm': Still true?


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
    former: str = ""  # what an earlier layout drew here instead ('(a)' where this one draws 'Essential feature (a)')

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
    confirm: AnswerCell | None = None  # 'Still true?' of the row's pre-filled answers (layout 3)
    # Column headers repeated on this row, over the answer cells below it, where the sheet's own
    # header does not name them: (column, header), e.g. 'Your answer' over a summary's questions.
    headers: tuple[tuple[int, str], ...] = ()


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
    # Texts an earlier layout drew on this sheet and this one does not, which a return built then still
    # holds: the reader passes over them rather than take them for something the respondent typed.
    retired: tuple[str, ...] = ()

    def col(self, kind: str, nth: int = 0) -> int:
        """The index of the nth column of a kind; -1 when the sheet has none."""
        found = [n for n, c in enumerate(self.columns) if c.kind == kind]
        return found[nth] if nth < len(found) else -1

    @property
    def answers(self) -> list[AnswerCell]:
        return [a for r in self.rows for a in r.answers]

    @property
    def confirmations(self) -> list[AnswerCell]:
        """The 'Still true?' cells: each names, by its key, the first answer of its row."""
        return [r.confirm for r in self.rows if r.confirm is not None]

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
    follow_up: bool = False  # built with last round's answers beside this round's (see sheetkit.rounds.carry)
    still_true: bool = False  # pre-filled with them, each row asking 'Still true?' (layout 3)

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

    @property
    def info_sheets(self) -> tuple[str, ...]:
        """Sheets shown that hold nothing to read, besides the hidden ones: none in a return."""
        return ()

    def criterion_choices(self) -> tuple[str, ...]:
        """What the action plan's dropdown shows: id and a short title, '7.3 Joint strategies'."""
        return criterion_choices(self.framework)

    def action_cell(self, number: int, field_id: str) -> AnswerCell:
        """The answer cell of action `number` (1-based), also beyond the rows the workbook was built with
        (and, for a follow-up field, as a follow-up workbook places it)."""
        first = {a.field.id: a for a in self.actions.rows[0].answers}
        if field_id not in first and not self.follow_up:
            first = {a.field.id: a for a in plan_actions(self.framework, follow_up=True).rows[0].answers}
        cell = first[field_id]
        return AnswerCell(AnswerKey.action(number, field_id), SHEET_ACTIONS, self.actions.header_row + number, cell.col,
                          cell.field, ref=str(number), header=cell.header)



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



def asked_order(columns: list, follow_up: bool) -> list:
    """The Action plan's asked columns in the order drawn. A follow-up plan asks what became of each
    carried action (its status, then the follow-up columns) right beside the action, where the first
    screen shows them; the others follow in their declared order."""
    if not follow_up:
        return columns
    named = [c for c in columns if c.role in ("criterion", "action")]
    status = [c for c in columns if c.role == "status"]
    followed = [c for c in columns if c.follow_up and c not in status]
    return named + status + followed + [c for c in columns if c not in named + status + followed]


def plan_actions(framework: Framework, follow_up: bool) -> SheetTable:
    """One row per action, a column per action-plan column (framework.action_columns); a follow-up plan
    also has the follow-up columns, its locked one ('From last round') right after '#'."""
    wanted = [c for c in framework.action_columns if follow_up or not c.follow_up]
    locked = [c for c in wanted if c.locked]
    asked = asked_order([c for c in wanted if not c.locked], follow_up)
    columns = [Column(NO_ANSWER, 5, "ref")] + [Column(c.label, c.width, "carried") for c in locked]
    columns += [Column(f"{c.label} {field_type(framework.action_field(c.id)).hint}", c.width, "answer") for c in asked]
    placed = [(framework.action_field(c.id), n) for n, c in enumerate(asked, start=1 + len(locked))]
    placed += [(framework.action_field(c.id), n) for n, c in enumerate(locked, start=1)]  # last, so the others keep their places in a row
    table = SheetTable(SHEET_ACTIONS, "Action plan", columns)
    for number in range(1, ACTION_ROWS + 1):
        row = table.header_row + number
        cells = tuple(AnswerCell(AnswerKey.action(number, f.id), SHEET_ACTIONS, row, col, f, ref=str(number),
                                 header=columns[col].header) for f, col in placed)
        table.rows.append(Row("action", row, str(number), answers=cells))
    return table




def confirmation_cell(answer: AnswerCell, table: SheetTable) -> AnswerCell:
    """The 'Still true?' cell on the row of `answer` (its key: the answer's key and '/still_true')."""
    col = table.col("confirm")
    return AnswerCell(f"{answer.key}/{STILL_TRUE_FIELD.id}", answer.sheet, answer.row, col, STILL_TRUE_FIELD,
                      answer.section_id, answer.item_id, answer.statement_id, answer.ref, answer.label,
                      table.columns[col].header)


def section_static_cells(table: SheetTable) -> set[tuple[int, int]]:
    """The cells above a section sheet's header row that the writer fills: title, guidance, and the
    note above a follow-up workbook's Last round column."""
    return {(0, 0), (1, table.col("text")), (2, table.col("text")), (2, table.col("previous")), (2, table.col("confirm"))}


UNPLACED_FIELD = ResponseField("unplaced", "Typed outside the layout", "text", "unplaced")
COMMENT_FIELD = ResponseField("comment", "A comment on the cell", "text", "unplaced")
DRAWING_FIELD = ResponseField("drawing", "A text box or drawing on the sheet", "text", "unplaced")


def unplaced_cell(sheet: str, row: int, col: int) -> AnswerCell:
    """A cell no layout position claims, kept under a key that names where it was typed."""
    return AnswerCell(AnswerKey.unplaced(sheet, cell_name(row, col)), sheet, row, col, UNPLACED_FIELD)
