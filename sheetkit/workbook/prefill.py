"""What a workbook starts with besides its questions: last round's answers shown beside this
round's, values typed in for the respondent, and last round's actions on the Action plan.

The values are decided by :mod:`sheetkit.rounds.carry`; this module holds the type the writer
draws from, and the Action plan's rows when more actions are carried than it was planned with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sheetkit.common.text import as_text
from .layout import Row, WorkbookLayout


@dataclass(frozen=True)
class Carried:
    """What last round puts into one respondent's workbook, by answer key."""

    round: str  # last round's name, as its workbooks recorded it
    shown: dict[str, object] = field(default_factory=dict)  # key -> its Last round cell: text or a date
    values: dict[str, object] = field(default_factory=dict)  # key -> what its answer cell starts with
    actions: int = 0  # action rows 1..n carry last round's actions

    def carried_label(self, where: str) -> str:
        """What the 'From last round' cell of the action last round wrote `where` says: '2026 Q4 #3' (its Action
        plan row 3), '2026 Q4 Standard 4' (written under standard 4)."""
        return f"{self.round} {where}"


def action_rows(layout: WorkbookLayout, carried: Carried | None) -> list[Row]:
    """The Action plan's rows: the planned ones, and more when last round had more actions than that."""
    rows = list(layout.actions.rows)
    fields = [a.field.id for a in rows[0].answers]
    for number in range(len(rows) + 1, (carried.actions if carried else 0) + 1):
        cells = tuple(layout.action_cell(number, field_id) for field_id in fields)
        rows.append(Row("action", cells[0].row, str(number), answers=cells))
    return rows


def prefilled_text(value) -> str:
    """A pre-filled value as the reader reads it back from its cell (a date as YYYY-MM-DD, a whole
    number without '.0', text as given), whitespace folded: what the workbook records it started
    with, and what ingest compares each answer with."""
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else as_text(value)
    return " ".join(text.split())
