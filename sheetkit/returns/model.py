"""A checked return as every later stage sees it: who sent it, its answers, its findings and
its status, and the plain rows its answers travel as between processes and into the spool.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from sheetkit.common.findings import Finding
from sheetkit.common.own_files import RETURN_KIND
from sheetkit.common.text import as_text, normalise_name
from sheetkit.framework.model import ResponseField
from sheetkit.workbook.layout import WorkbookLayout

ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = "accepted", "rejected", "superseded", "duplicate"


@dataclass(slots=True)
class Answer:
    """One non-empty answer cell, with its value made usable where it can be."""

    key: str
    field: ResponseField
    section_id: str
    item_id: str
    statement_id: str
    sheet: str
    cell: str
    raw: object
    value: object
    usable: bool = True
    carried: bool = False  # left as last round pre-filled it and not confirmed: not this round's view

    @property
    def text(self) -> str:
        """The answer as the respondent sees it."""
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        return as_text(self.raw)


@dataclass
class CheckedReturn:
    """A return after validation: who sent it, what it says, and what is wrong with it."""

    file: str
    sha256: str
    status: str = ACCEPTED
    respondent: str = ""
    organisation: str = ""
    round: str = ""
    framework_id: str = ""
    version: str = ""
    fingerprint: str = ""
    build_id: str = ""
    saved_at: dt.datetime | None = None
    saved_by: str = ""
    created_by: str = ""
    built_at: str = ""
    return_to: str = ""  # who the workbook's Start sheet says to return it to: part of its exercise's identity
    deadline: str = ""
    content: str = ""  # a digest of the answers: equal for two files that say the same
    file_time: dt.datetime | None = None  # the file system's time, when the workbook records none
    kind: str = ""
    layout: int = 0  # the layout version it was built with (sheetkit.common.own_files.LAYOUTS)
    carried: int = 0  # answers left as pre-filled from last round and not confirmed
    built_as: str = RETURN_KIND  # what sheetkit built the workbook as: a return, or a partner's feedback
    asks: tuple[str, ...] = ()  # a reply to feedback: the rating keys its partner was asked to reply on
    answers: list[Answer] = field(default_factory=list)
    answer_count: int = 0  # how many answers were read (kept when the answers themselves are handed on)
    findings: list[Finding] = field(default_factory=list)
    ratings_asked: int = 0
    ratings_given: int = 0
    reason: str = ""
    signed_off_by: str = ""
    signed_off_on: str = ""
    sign_off: dict[str, str] = field(default_factory=dict)
    placed: dict[str, tuple[str, str]] = field(default_factory=dict)  # answer key -> (sheet, cell) as found
    confirmed: dict[str, str] = field(default_factory=dict)  # a row's first answer key -> its 'Still true?' choice
    rows: list[tuple] = field(default_factory=list)  # the answers as spool rows, when sent from a worker
    # what a later stage prepared from the answers in the worker (ingest: the actions and the encoded rows
    # of the long tables, see sheetkit.report.prepared), carried to it and kept in the re-ingest cache
    prepared: tuple | None = None

    @property
    def respondent_key(self) -> str:
        return normalise_name(self.respondent)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)

    @property
    def completeness(self) -> float:
        return self.ratings_given / self.ratings_asked if self.ratings_asked else 0.0

    def reject(self, reason: str) -> None:
        self.status = REJECTED
        self.reason = reason


OK, FLAGGED, CARRIED = 1, 0, 2  # how an answer is stored: counted, kept but not counted, carried and not confirmed


def answer_status(answer: Answer) -> int:
    return CARRIED if answer.carried else OK if answer.usable else FLAGGED


@lru_cache(maxsize=16)
def answer_orders(layout: WorkbookLayout) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Sort keys: each answer cell's layout position, each item's and each section's."""
    return ({c.key: n for n, c in enumerate(layout.answers)},
            {item.id: n for n, (_, item) in enumerate(layout.framework.items())},
            {s.id: n for n, s in enumerate(layout.framework.sections)})


def answer_rows(layout: WorkbookLayout, ret: int, answers: Iterable[Answer]) -> list[tuple]:
    """One return's answers as rows to store: plain values, cheap to send between processes."""
    order, item_order, section_order = answer_orders(layout)
    rows = []
    for a in answers:
        num = a.value if a.usable and isinstance(a.value, (int, float)) and not isinstance(a.value, bool) else None
        day = a.value.isoformat() if a.usable and isinstance(a.value, dt.date) else None
        # A section's summary sorts after its items.
        item = len(item_order) if a.field.level == "section" else item_order.get(a.item_id, -1)
        summary = a.field.type == "rating" or a.field.level in ("item", "section", "action")
        rows.append((ret, order.get(a.key, len(order)), a.key, a.sheet, a.cell, num, day, a.text, answer_status(a),
                     section_order.get(a.section_id, -1), item,
                     int(a.field.type == "text" and a.field.level != "action" and a.field.role != "action"),
                     int(summary)))  # evidence: text that is not an action (actions are on the action plan sheets)
    return rows


def answer_from_row(layout: WorkbookLayout, key: str, sheet: str, cell: str, num, day, text: str, usable) -> Answer:
    """The answer a stored row stands for (the row's fields from `key` on, as :func:`answer_rows` made them)."""
    from sheetkit.workbook.plan import cell_for

    layout_cell = cell_for(layout, key)
    if num is not None:
        value = int(num) if float(num).is_integer() else num
    elif day is not None:
        value = dt.date.fromisoformat(day)
    else:
        value = text
    return Answer(key, layout_cell.field, layout_cell.section_id, layout_cell.item_id, layout_cell.statement_id,
                  sheet, cell, text, value, usable == OK, carried=usable == CARRIED)


def answers_from_rows(layout: WorkbookLayout, rows: Iterable[tuple]) -> list[Answer]:
    """The answers of one return's stored rows, in the order the rows were stored."""
    return [answer_from_row(layout, *row[2:9]) for row in rows]
