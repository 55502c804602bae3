"""A temporary on-disk store of every answer read, so ingest stays flat in memory.

Ingest reads hundreds or thousands of returns; holding every answer of every return in
memory would grow with the folder. Each return's answers are written here as soon as it
is validated, and the consolidated workbook is written from ordered queries, a row at a
time. The store lives in a temporary folder and disappears when closed.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .actions import ACTION_LEVELS, Action, actions_of
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.workbook.plan import cell_for
from sheetkit.returns.model import Answer
from sheetkit.framework.keys import AnswerKey
from sheetkit.returns.model import CARRIED, OK, answer_orders, answer_rows

_SCHEMA = """
CREATE TABLE answers (
    ret INTEGER, seq INTEGER, key TEXT, sheet TEXT, cell TEXT,
    num REAL, day TEXT, text TEXT, usable INTEGER,  -- 1 counted, 0 kept but not counted, 2 carried (returns.model)
    section_order INTEGER, item_order INTEGER, evidence INTEGER, summary INTEGER
);
CREATE TABLE accepted (ret INTEGER PRIMARY KEY, respondent TEXT, position INTEGER);
CREATE TABLE actions (
    ret INTEGER, seq INTEGER, section_order INTEGER, item_order INTEGER, priority_rank INTEGER, due_sort TEXT,
    section TEXT, item TEXT, source TEXT, flagged TEXT, vals TEXT
);
"""
_ACTION_FIELDS = ("ret", "seq", "section_order", "item_order", "priority_rank", "due_sort", "section", "item", "source",
                  "flagged", "vals")  # vals: the action's value in each action-plan column, as JSON (see _encode)
_ACTION_ORDERS = {
    "item": "a.section_order, a.item_order, a.priority_rank, a.due_sort, r.position, a.seq",
    "priority": "a.priority_rank, a.due_sort, r.position, a.seq",
}


class AnswerSpool:
    """Answers of many returns, by return index, stored on disk."""

    def __init__(self, layout: WorkbookLayout):
        self.layout = layout
        self._dir = tempfile.TemporaryDirectory(prefix="sheetkit-ingest-")
        self.db = sqlite3.connect(str(Path(self._dir.name) / "answers.db"))
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;" + _SCHEMA)

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> "AnswerSpool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, ret: int, answers: Iterable[Answer] = (), rows: list[tuple] | None = None) -> None:
        """Store one return's answers (or the rows answer_rows made of them), and the actions they list."""
        rows = answer_rows(self.layout, ret, answers) if rows is None else [(ret, *row[1:]) for row in rows]
        self.db.executemany("INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        action_answers = [self._answer(*row[2:9]) for row in rows if AnswerKey.level_of(row[2]) in ACTION_LEVELS]
        self._add_actions(ret, actions_of(self.layout.framework, action_answers))

    def accept(self, accepted: list[tuple[int, str]]) -> None:
        """Name the returns whose answers count, in the order respondents are shown."""
        self.db.execute("DELETE FROM accepted")
        self.db.executemany("INSERT INTO accepted VALUES (?,?,?)",
                            [(ret, name, n) for n, (ret, name) in enumerate(accepted)])
        self.db.execute("CREATE INDEX IF NOT EXISTS answers_ret ON answers(ret, seq)")
        self.db.commit()

    def _rows(self, order: str, where: str = "1") -> Iterator[tuple[str, Answer]]:
        query = (f"SELECT r.respondent, a.key, a.sheet, a.cell, a.num, a.day, a.text, a.usable "
                 f"FROM answers a JOIN accepted r ON a.ret = r.ret WHERE {where} ORDER BY {order}")
        for respondent, key, sheet, cell, num, day, text, usable in self.db.execute(query):
            yield respondent, self._answer(key, sheet, cell, num, day, text, usable)

    def _answer(self, key, sheet, cell, num, day, text, usable) -> Answer:
        layout_cell = cell_for(self.layout, key)
        if num is not None:
            value = int(num) if float(num).is_integer() else num
        elif day is not None:
            value = dt.date.fromisoformat(day)
        else:
            value = text
        return Answer(key, layout_cell.field, layout_cell.section_id, layout_cell.item_id, layout_cell.statement_id,
                      sheet, cell, text, value, usable == OK, carried=usable == CARRIED)

    def by_return(self, summary_only: bool = False) -> Iterator[tuple[str, Answer]]:
        """Every accepted answer (or only ratings and item and action answers), return by return."""
        return self._rows("r.position, a.seq", where="a.summary = 1" if summary_only else "1")

    def count(self, evidence_only: bool = False) -> int:
        """How many accepted answers (or text answers that are evidence) there are."""
        where = "a.evidence = 1" if evidence_only else "1"
        query = f"SELECT COUNT(*) FROM answers a JOIN accepted r ON a.ret = r.ret WHERE {where}"
        return self.db.execute(query).fetchone()[0]

    def count_carried(self) -> int:
        """How many accepted answers were left as last round pre-filled them and not confirmed."""
        query = f"SELECT COUNT(*) FROM answers a JOIN accepted r ON a.ret = r.ret WHERE a.usable = {CARRIED}"
        return self.db.execute(query).fetchone()[0]

    def count_records(self) -> int:
        """How many (return, item or section) pairs have item- or section-level answers: the record's rows."""
        query = ("SELECT COUNT(*) FROM (SELECT DISTINCT a.ret, a.section_order, a.item_order, "
                 "substr(a.key, 1, instr(a.key, '/')) FROM answers a JOIN accepted r ON a.ret = r.ret "
                 "WHERE a.key LIKE 'item/%' OR a.key LIKE 'section/%')")
        return self.db.execute(query).fetchone()[0]

    def evidence(self) -> Iterator[tuple[str, Answer]]:
        """Text answers other than the action plan's, item by item, respondent by respondent."""
        return self._rows("a.section_order, a.item_order, r.position, a.seq", where="a.evidence = 1")

    def by_item(self) -> Iterator[tuple[str, Answer]]:
        """Item and section answers, item by item (section answers after their items), respondent by respondent."""
        return self._rows("a.section_order, a.item_order, r.position, a.seq", where="a.summary = 1")

    def _add_actions(self, ret: int, actions: list[Action]) -> None:
        _, item_order, section_order = answer_orders(self.layout)
        rows = []
        for seq, a in enumerate(actions):
            day = a.due.isoformat() if isinstance(a.due, dt.date) else "9999-12-31"
            rows.append((ret, seq, section_order.get(a.section, len(section_order)),
                         item_order.get(a.item, len(item_order)), a.priority_rank, day, a.section, a.item, a.source,
                         a.flagged, _encode(a.values)))
        self.db.executemany(f"INSERT INTO actions VALUES ({','.join('?' * len(_ACTION_FIELDS))})", rows)

    def count_actions(self) -> int:
        """How many actions the accepted returns list."""
        query = "SELECT COUNT(*) FROM actions a JOIN accepted r ON a.ret = r.ret"
        return self.db.execute(query).fetchone()[0]

    def actions(self, order: str = "item") -> Iterator[tuple[str, Action]]:
        """(respondent, action) for every action of the accepted returns, by item or by priority, then due date."""
        query = (f"SELECT r.respondent, a.section, a.item, a.vals, a.source, a.flagged FROM actions a "
                 f"JOIN accepted r ON a.ret = r.ret ORDER BY {_ACTION_ORDERS[order]}")
        for respondent, section, item, values, source, flagged in self.db.execute(query):
            yield respondent, Action(section, item, _decode(values), source, flagged)


def _encode(values) -> str:
    """An action's values as JSON: dates as {"date": "2027-01-31"}, so they come back as dates."""
    return json.dumps({k: {"date": v.isoformat()} if isinstance(v, dt.date) else v for k, v in values.items()},
                      ensure_ascii=False, separators=(",", ":"))


def _decode(text: str) -> dict[str, object]:
    return {k: dt.date.fromisoformat(v["date"]) if isinstance(v, dict) else v for k, v in json.loads(text).items()}
