"""Responses: the tidy long table, one row per non-empty answer of every counted return (also as CSV)."""

from __future__ import annotations

import csv
import datetime as dt
from itertools import chain

from sheetkit.common.tables import csv_safe
from sheetkit.common.text import encodable
from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.model import Framework
from sheetkit.rounds.trend import Trend
from sheetkit.returns.model import CheckedReturn
from sheetkit.common.own_files import RESPONSE_COLUMNS, RESPONSES_SHEET
from .base import HEADER_ROW, Column, Report, long_table, title
from .encoded import numbered
from sheetkit.framework.keys import AnswerKey
from sheetkit.workbook import cell_for, plan_workbook

NAME = RESPONSES_SHEET
ABOUT = "The tidy table for analysis: one row per answer (round, partner, section, item, statement, field, the " \
        "field's type, value, status, file, sheet, cell, and the answer's key, which the next round reads). Not set " \
        "up to print."
WIDTHS = (9, 24, 9, 9, 10, 18, 9, 60, 9, 40, 24, 7, 22)


def response_rows(con: Consolidation, accepted: list[CheckedReturn], round_name: str):
    """One row per non-empty answer of every accepted return."""
    files = {ret.respondent: ret.file for ret in accepted}
    for person, a in con.store.by_return():
        yield response_row(round_name, person, files.get(person, ""), a)


def response_row(round_name: str, person: str, file: str, a) -> tuple:
    """One answer's row: round, partner, where it sits in the framework, its field and type, its value and
    status, where it was typed."""
    value = a.value if a.usable and not isinstance(a.value, str) else a.text
    return (round_name, person, a.section_id, a.item_id, a.statement_id, a.field.id, a.field.type, value,
            response_status(a), file, a.sheet, a.cell, a.key)


FILE_COLUMN = RESPONSE_COLUMNS.index("file")


def previous_rows(fw: Framework, trend: Trend):
    """Last round's answers (those the trend can compare, and the actions) under last round's name for the
    round, each partner named as this round names them."""
    previous, file = trend.previous, trend.previous.source.name
    layout = plan_workbook(fw, follow_up=True)
    items = {item.id: section.id for section, item in fw.items()}
    statements = {st.id: (section.id, item.id) for section, item, st in fw.statements()}
    for key, respondent in previous.respondents.items():
        name = trend.names.get(key, respondent.name)
        for answer_key, value in respondent.answers.items():
            level, owner, field_id = AnswerKey.parse(answer_key).parts
            section, item, statement = {"item": (items.get(owner, ""), owner, ""), "section": (owner, "", ""),
                                        "statement": (*statements.get(owner, ("", "")), owner)}.get(level, ("", "", ""))
            if item not in previous.not_comparable:
                whole = isinstance(value, float) and value.is_integer()  # a rating read back as 7.0 is 7
                yield (previous.round, name, section, item, statement, field_id, _type(layout, answer_key),
                       int(value) if whole else value, "ok", file, "", "", answer_key)
        for action in respondent.actions:  # an action written under an item is among the item's answers above
            if action.row is None:
                continue
            for column_id, value in action.values.items():
                if value not in (None, ""):
                    key = AnswerKey.action(action.row, column_id)
                    yield (previous.round, name, "", "", "", column_id, _type(layout, key), value, "ok", file, "", "",
                           key)


def _type(layout, key: str) -> str:
    """The field type of the answer `key` names in this round's layout."""
    return cell_for(layout, key).field.type


def response_status(answer) -> str:
    """'ok', 'flagged' (kept, not counted), 'carried' (last round's, left as pre-filled and not
    confirmed: not counted as this round's) or 'unplaced' (typed where no answer belongs, or a comment)."""
    if answer.field.level == "unplaced":
        return "unplaced"
    if answer.carried:
        return "carried"
    return "ok" if answer.usable else "flagged"


def write(rep: Report, ws) -> None:
    f = rep.formats
    count = rep.con.store.count()
    title(ws, f, "Responses: every answer, one row each", f"{count} rows, for filtering and analysis; only "
          f"this title prints (use the other sheets to print).")
    cols = [Column(h, w) for h, w in zip(RESPONSE_COLUMNS, WIDTHS)]
    files = {ret.respondent: ret.file for ret in rep.accepted}
    encoded = numbered(rep.con.store.encoded("responses"), rep.stream_styles, "text_line", files, FILE_COLUMN,
                       len(cols)) if rep.encoded else None
    long_table(rep, ws, "Responses", cols, response_rows(rep.con, rep.accepted, rep.round), count,
               "Every answer, one row each", wrap=False, print_rows=HEADER_ROW, encoded=encoded)


def length(con: Consolidation) -> int:
    """The table's rows: one per answer counted."""
    return con.store.count()


def write_responses_csv(path: str, con: Consolidation, accepted: list[CheckedReturn], round_name: str,
                        trend: Trend | None = None) -> None:
    """The Responses table as CSV, full-length text, safe to open in a spreadsheet; with a `trend`, last
    round's answers follow, under their round, so the two can be pivoted side by side."""
    rows = response_rows(con, accepted, round_name)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESPONSE_COLUMNS)
        for values in chain(rows, previous_rows(con.framework, trend) if trend else ()):
            writer.writerow([encodable(csv_safe(v.isoformat() if isinstance(v, dt.date) else v)) for v in values])
