"""A temporary on-disk store of every answer read, so ingest stays flat in memory.

Ingest reads hundreds or thousands of returns; holding every answer of every return in
memory would grow with the folder. Each return's answers are written here as soon as it
is validated, and the consolidated workbook is written from ordered queries, a row at a
time; the Action plan is grouped from them too (see StoredPlan). SQLite sorts past its cache
on disk, and each query is run when first read, so one sort at a time holds memory. The store
lives in a temporary folder and disappears when closed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .actions import Action, actions_of_rows, decode_values
from .plan import BY_TEXT, BY_WORDS, SAME_WORDS, PlanEntry, content_of, entry_from_record, entry_record, words_of
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.returns.model import CARRIED, Answer, answer_from_row, answer_rows

_SCHEMA = """
CREATE TABLE answers (
    ret INTEGER, seq INTEGER, key TEXT, sheet TEXT, cell TEXT,
    num REAL, day TEXT, text TEXT, usable INTEGER,  -- 1 counted, 0 kept but not counted, 2 carried (returns.model)
    section_order INTEGER, item_order INTEGER, evidence INTEGER, summary INTEGER
);
CREATE TABLE accepted (ret INTEGER PRIMARY KEY, respondent TEXT, position INTEGER);
CREATE TABLE actions (
    ret INTEGER, seq INTEGER, section_order INTEGER, item_order INTEGER, priority_rank INTEGER, due_sort TEXT,
    section TEXT, item TEXT, source TEXT, flagged TEXT, vals TEXT, akey TEXT, owner TEXT, xml_at INTEGER,
    xml_size INTEGER
);
CREATE TABLE encoded (ret INTEGER, tbl TEXT, section_order INTEGER, item_order INTEGER, xml_at INTEGER,
                      xml_size INTEGER);
"""
# vals: the action's value in each action-plan column, as JSON (see actions.encode_values); akey: its words as
# compared with other partners' (actions.action_key); owner: as ColumnValues.owner gives it; xml_at, xml_size:
# where its All actions row is kept, encoded (see AnswerSpool.add)
_ACTION_FIELDS = ("ret", "seq", "section_order", "item_order", "priority_rank", "due_sort", "section", "item", "source",
                  "flagged", "vals", "akey", "owner", "xml_at", "xml_size")
_ACTION_ORDERS = {
    "item": "a.section_order, a.item_order, a.priority_rank, a.due_sort, r.position, a.seq",
    "priority": "a.priority_rank, a.due_sort, r.position, a.seq",
}
# A return's rows in the order they were stored where their keys tie (answers typed outside the layout).
_ENCODED_ORDERS = {"responses": "r.position", "evidence": "e.section_order, e.item_order, r.position, e.rowid",
                   "record": "e.section_order, e.item_order, r.position, e.rowid"}


class AnswerSpool:
    """Answers of many returns, by return index, stored on disk."""

    def __init__(self, layout: WorkbookLayout):
        self.layout = layout
        self._dir = tempfile.TemporaryDirectory(prefix="sheetkit-ingest-")
        self.db = sqlite3.connect(str(Path(self._dir.name) / "answers.db"))
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;" + _SCHEMA)
        # Encoded rows are large and read once, in order: kept in a file beside the database, which
        # sorts only where each block is.
        self._blocks = open(Path(self._dir.name) / "encoded.bin", "w+b")
        self._blocks_end = 0

    def close(self) -> None:
        self.db.close()
        self._blocks.close()
        self._dir.cleanup()

    def _keep_block(self, block: bytes) -> tuple[int, int]:
        """Where a block of encoded rows is kept: (offset, size) in the file of blocks."""
        self._blocks.seek(self._blocks_end)
        self._blocks.write(block)
        at, self._blocks_end = self._blocks_end, self._blocks_end + len(block)
        return at, len(block)

    def _blocks_at(self, rows) -> Iterator[tuple[str, bytes]]:
        """(respondent, block) for (respondent, offset, size) rows, read from the file of blocks."""
        self._blocks.flush()
        for respondent, at, size in rows:
            self._blocks.seek(at)
            yield respondent, self._blocks.read(size)

    def __enter__(self) -> "AnswerSpool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, ret: int, answers: Iterable[Answer] = (), rows: list[tuple] | None = None,
            actions: list[tuple] | None = None, encoded: dict | None = None) -> None:
        """Store one return's answers (or the rows answer_rows made of them) and the actions they list
        (`actions`: as actions_of_rows made them from those rows, when made already). `encoded` holds its
        rows of the long tables ready for the workbook (see sheetkit.report.prepared), by table:
        'responses': one block; 'evidence', 'record': (section order, item order, block) each; 'actions':
        one block per action, in the order of `actions`."""
        rows = answer_rows(self.layout, ret, answers) if rows is None else [(ret, *row[1:]) for row in rows]
        self.db.executemany("INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        actions = actions_of_rows(self.layout, rows) if actions is None else actions
        xml = [self._keep_block(block) for block in encoded["actions"]] if encoded else []
        self.db.executemany(f"INSERT INTO actions VALUES ({','.join('?' * len(_ACTION_FIELDS))})",
                            [(ret, *row, *(xml[n] if n < len(xml) else (None, None))) for n, row in enumerate(actions)])
        if encoded:
            blocks = [(ret, "responses", 0, 0, *self._keep_block(encoded["responses"]))]
            blocks += [(ret, table, section, item, *self._keep_block(block)) for table in ("evidence", "record")
                       for section, item, block in encoded[table]]
            self.db.executemany("INSERT INTO encoded VALUES (?,?,?,?,?,?)", blocks)

    def accept(self, accepted: list[tuple[int, str]]) -> None:
        """Name the returns whose answers count, in the order respondents are shown."""
        self.db.execute("DELETE FROM accepted")
        self.db.executemany("INSERT INTO accepted VALUES (?,?,?)",
                            [(ret, name, n) for n, (ret, name) in enumerate(accepted)])
        self.db.execute("CREATE INDEX IF NOT EXISTS answers_ret ON answers(ret, seq)")
        self.db.execute("CREATE INDEX IF NOT EXISTS encoded_ret ON encoded(ret, tbl)")
        self.db.commit()

    def _rows(self, order: str, where: str = "1") -> Iterator[tuple[str, Answer]]:
        query = (f"SELECT r.respondent, a.key, a.sheet, a.cell, a.num, a.day, a.text, a.usable "
                 f"FROM answers a JOIN accepted r ON a.ret = r.ret WHERE {where} ORDER BY {order}")
        for respondent, key, sheet, cell, num, day, text, usable in self.db.execute(query):
            yield respondent, self._answer(key, sheet, cell, num, day, text, usable)

    def _answer(self, key, sheet, cell, num, day, text, usable) -> Answer:
        return answer_from_row(self.layout, key, sheet, cell, num, day, text, usable)

    def by_return(self, summary_only: bool = False) -> Iterator[tuple[str, Answer]]:
        """Every accepted answer (or only ratings and item and action answers), return by return."""
        return self._rows("r.position, a.seq, a.rowid", where="a.summary = 1" if summary_only else "1")

    def values(self, keys: Iterable[str]) -> Iterator[tuple[str, str, object, str, int]]:
        """(respondent, key, value, text, status) of every accepted answer to one of `keys`, return by
        return: the answers' values without the rest of each answer (see answer_from_row). The status
        is as stored: counted, kept but not counted, or carried (returns.model.answer_status)."""
        keys = sorted(set(keys))
        query = (f"SELECT r.respondent, a.key, a.num, a.day, a.text, a.usable FROM answers a JOIN accepted r "
                 f"ON a.ret = r.ret WHERE a.key IN ({','.join('?' * len(keys))}) ORDER BY r.position, a.seq, a.rowid")
        for respondent, key, num, day, text, usable in self.db.execute(query, keys):
            if num is not None:
                value = int(num) if float(num).is_integer() else num
            elif day is not None:
                value = dt.date.fromisoformat(day)
            else:
                value = text
            yield respondent, key, value, text, usable

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
        return self._rows("a.section_order, a.item_order, r.position, a.seq, a.rowid", where="a.evidence = 1")

    def by_item(self) -> Iterator[tuple[str, Answer]]:
        """Item and section answers, item by item (section answers after their items), respondent by respondent."""
        return self._rows("a.section_order, a.item_order, r.position, a.seq, a.rowid", where="a.summary = 1")

    def count_actions(self) -> int:
        """How many actions the accepted returns list."""
        query = "SELECT COUNT(*) FROM actions a JOIN accepted r ON a.ret = r.ret"
        return self.db.execute(query).fetchone()[0]

    def actions(self, order: str = "item") -> Iterator[tuple[str, Action]]:
        """(respondent, action) for every action of the accepted returns, by item or by priority, then due date."""
        query = (f"SELECT r.respondent, a.section, a.item, a.vals, a.source, a.flagged FROM actions a "
                 f"JOIN accepted r ON a.ret = r.ret ORDER BY {_ACTION_ORDERS[order]}")
        for respondent, section, item, values, source, flagged in self.db.execute(query):
            yield respondent, Action(section, item, decode_values(values), source, flagged)

    def owner_counts(self) -> Iterator[tuple[str, int, int, int]]:
        """(owner, priority rank, how many actions, the owner's total) for each owner and priority the accepted
        returns' actions name, owner by owner: most actions first, then by name, the blank owner last. Sorted
        when first read (see `encoded`)."""
        query = ("WITH c AS (SELECT a.owner, a.priority_rank, COUNT(*) AS n FROM actions a JOIN accepted r "
                 "ON a.ret = r.ret GROUP BY a.owner, a.priority_rank), t AS (SELECT owner, SUM(n) AS total FROM c "
                 "GROUP BY owner) SELECT c.owner, c.priority_rank, c.n, t.total FROM c JOIN t ON c.owner = t.owner "
                 "ORDER BY c.owner = '', t.total DESC, c.owner, c.priority_rank")
        yield from self.db.execute(query)

    def count_owners(self) -> int:
        """How many owners (the blank one too) the accepted returns' actions name."""
        query = "SELECT COUNT(DISTINCT a.owner) FROM actions a JOIN accepted r ON a.ret = r.ret"
        return self.db.execute(query).fetchone()[0]

    def plan_source(self) -> "StoredPlan":
        """The accepted returns' actions as the plan reads them (plan.PlanSource), sorted here, on disk."""
        return StoredPlan(self.db)

    def encoded_complete(self) -> bool:
        """Whether every accepted return's long-table rows were stored ready encoded."""
        query = ("SELECT COUNT(*) FROM accepted r WHERE NOT EXISTS "
                 "(SELECT 1 FROM encoded e WHERE e.ret = r.ret AND e.tbl = 'responses')")
        unencoded = "SELECT COUNT(*) FROM actions a JOIN accepted r ON a.ret = r.ret WHERE a.xml_at IS NULL"
        return self.db.execute(query).fetchone()[0] == 0 and self.db.execute(unencoded).fetchone()[0] == 0

    def encoded(self, table: str) -> Iterator[tuple[str, bytes]]:
        """(respondent, block of encoded rows) of one long table ('responses', 'evidence', 'record' or
        'actions'), in the order the consolidated workbook shows them. Sorted when first read, not when
        asked for: each sort holds memory until its last row is read, so the workbook's tables are sorted
        one at a time, as they are streamed."""
        if table == "actions":
            query = (f"SELECT r.respondent, a.xml_at, a.xml_size FROM actions a JOIN accepted r ON a.ret = r.ret "
                     f"ORDER BY {_ACTION_ORDERS['item']}")
            yield from self._blocks_at(self.db.execute(query))
            return
        query = (f"SELECT r.respondent, e.xml_at, e.xml_size FROM encoded e JOIN accepted r ON e.ret = r.ret "
                 f"WHERE e.tbl = ? ORDER BY {_ENCODED_ORDERS[table]}")
        yield from self._blocks_at(self.db.execute(query, (table,)))


# The plan's tables: each distinct action text numbered by where it first appears among the actions by
# item; the texts whose group is another's (a text alone in its group is its own); the finished entries,
# with their place in the plan (see plan.place).
_PLAN_SCHEMA = """
DROP TABLE IF EXISTS plan_texts; DROP TABLE IF EXISTS plan_groups; DROP TABLE IF EXISTS plan;
CREATE TABLE plan_texts (id INTEGER PRIMARY KEY, akey TEXT);
CREATE TABLE plan_groups (id INTEGER PRIMARY KEY, grp INTEGER);
CREATE TABLE plan (item_order INTEGER, priority_rank INTEGER, due TEXT, grp INTEGER, entry TEXT);
"""
_PLAN_TEXTS = {
    SAME_WORDS: "SELECT id, words FROM (SELECT id, plan_content(akey) AS words FROM plan_texts) "
                "WHERE words != '' ORDER BY words, id",
    BY_TEXT: "SELECT id, akey FROM plan_texts ORDER BY akey",
    BY_WORDS: "SELECT id, akey FROM plan_texts ORDER BY plan_words(akey), id",
}
_PLAN_ORDER = "item_order, priority_rank, due, grp"


class StoredPlan:
    """The plan's source in the answer store (see plan.PlanSource): every sorting done by SQLite, which
    sorts on disk past its cache, and the entries kept in its table `plan`."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        db.create_function("plan_content", 1, content_of, deterministic=True)
        db.create_function("plan_words", 1, words_of, deterministic=True)

    def number_texts(self) -> int:
        self.db.executescript(_PLAN_SCHEMA)
        self.db.execute(
            "INSERT INTO plan_texts SELECT ROW_NUMBER() OVER (ORDER BY first) - 1, akey FROM "
            "(SELECT akey, MIN(rank) AS first FROM (SELECT a.akey, ROW_NUMBER() OVER "
            f"(ORDER BY {_ACTION_ORDERS['item']}) AS rank FROM actions a JOIN accepted r ON a.ret = r.ret) "
            "GROUP BY akey)")
        self.db.execute("CREATE INDEX plan_texts_akey ON plan_texts(akey)")
        return self.db.execute("SELECT COUNT(*) FROM plan_texts").fetchone()[0]

    def texts_in(self, order: str) -> Iterator[tuple[int, str]]:
        yield from self.db.execute(_PLAN_TEXTS[order])  # sorted when first read: one sort at a time

    def grouped(self, groups) -> Iterator[tuple[int, int, str, Action]]:
        self.db.executemany("INSERT INTO plan_groups VALUES (?,?)",
                            ((n, group) for n, group in enumerate(groups) if group != n))
        query = ("SELECT COALESCE(g.grp, t.id) AS grp, t.id, r.respondent, a.section, a.item, a.vals, a.source, "
                 "a.flagged FROM actions a JOIN accepted r ON a.ret = r.ret JOIN plan_texts t ON t.akey = a.akey "
                 f"LEFT JOIN plan_groups g ON g.id = t.id ORDER BY grp, t.id, {_ACTION_ORDERS['item']}")
        for group, number, respondent, section, item, values, source, flagged in self.db.execute(query):
            yield group, number, respondent, Action(section, item, decode_values(values), source, flagged)

    def keep_entries(self, entries) -> None:
        self.db.executemany("INSERT INTO plan VALUES (?,?,?,?,?)",
                            ((*where, entry_record(entry)) for entry, where in entries))
        self.db.commit()

    def count(self) -> int:
        """How many entries the plan holds."""
        return self.db.execute("SELECT COUNT(*) FROM plan").fetchone()[0]

    def __iter__(self) -> Iterator[PlanEntry]:
        """The plan's entries, in order (see plan.place)."""
        for (record,) in self.db.execute(f"SELECT entry FROM plan ORDER BY {_PLAN_ORDER}"):
            yield entry_from_record(record)
