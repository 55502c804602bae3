"""Responses: the tidy long table, one row per non-empty answer of every counted return (also as CSV)."""

from __future__ import annotations

import csv
import datetime as dt

from ..tables import csv_safe
from ..cells import encodable
from ..consolidate import Consolidation
from ..validate import CheckedReturn
from .base import HEADER_ROW, Column, Report, long_table, title

NAME = "Responses"
ABOUT = "The tidy table for analysis: one row per answer (partner, section, item, statement, field, value, " \
        "status, file, sheet, cell, and the answer's key, which the next round's build and ingest read). Not set up to print."
RESPONSE_COLUMNS = ("respondent", "section", "item", "statement", "field", "value", "status", "file", "sheet", "cell",
                    "key")
WIDTHS = (24, 9, 9, 10, 18, 60, 9, 40, 24, 7, 22)


def response_rows(con: Consolidation, accepted: list[CheckedReturn]):
    """One row per non-empty answer of every accepted return."""
    files = {ret.respondent: ret.file for ret in accepted}
    for person, a in con.store.by_return():
        value = a.value if a.usable and not isinstance(a.value, str) else a.text
        yield (person, a.section_id, a.item_id, a.statement_id, a.field.id, value,
               response_status(a), files.get(person, ""), a.sheet, a.cell, a.key)


def response_status(answer) -> str:
    """'ok', 'flagged' (kept, not counted) or 'unplaced' (typed where no answer belongs, or a comment)."""
    if answer.field.level == "unplaced":
        return "unplaced"
    return "ok" if answer.usable else "flagged"


def write(rep: Report, ws) -> None:
    f = rep.formats
    count = rep.con.store.count()
    title(ws, f, "Responses: every answer, one row each", f"{count} rows, for filtering and analysis; only "
          f"this title prints (use the other sheets to print).")
    cols = [Column(h, w) for h, w in zip(RESPONSE_COLUMNS, WIDTHS)]
    long_table(rep, ws, "Responses", cols, response_rows(rep.con, rep.accepted), count,
               "Every answer, one row each", wrap=False, print_rows=HEADER_ROW)


def length(con: Consolidation) -> int:
    """The table's rows: one per answer counted."""
    return con.store.count()


def write_responses_csv(path: str, con: Consolidation, accepted: list[CheckedReturn]) -> None:
    """The Responses table as CSV, full-length text, safe to open in a spreadsheet."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESPONSE_COLUMNS)
        for values in response_rows(con, accepted):
            writer.writerow([encodable(csv_safe(v.isoformat() if isinstance(v, dt.date) else v)) for v in values])
