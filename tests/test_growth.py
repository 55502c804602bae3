"""Compiling grows no faster than n log n in answers, actions and owners, sheet by sheet.

A regional or national collection has a distinct text in almost every answer and a distinct
owner for almost every action. These tests compile such returns at a size and at four times
that size and compare the work each consolidated sheet does. Work is counted, not timed (so the
tests cannot flake on a busy machine): every line of sheetkit's code run, every call into
another library, and the answer store's SQL steps. Times at N and 4N are in the benchmark
(benchmarks/run.py), from real files.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

import sheetkit.report.base as report_base
import sheetkit.report.workbook as report_workbook
from sheetkit.consolidate import AnswerSpool
from sheetkit.consolidate.consolidation import consolidate
from sheetkit.framework.fields import check_value
from sheetkit.framework.library import get_framework
from sheetkit.report.prepared import prepare_return
from sheetkit.returns.model import Answer, CheckedReturn, answer_rows
from sheetkit.workbook.plan import cell_for, plan_workbook

# Lines are counted in sheetkit's code and the tests' own (not in libraries, whose calls are counted).
LIBRARIES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})


class WorkCounter:
    """Counts work under a label: lines of sheetkit's code, calls into anything, SQL steps (per 100)."""

    def __init__(self):
        self.counts: Counter[str] = Counter()
        self.label = "(setup)"

    def _trace(self, frame, event, arg):
        self.counts[self.label] += 1
        return None if frame.f_code.co_filename.startswith(LIBRARIES) else self._lines

    def _lines(self, frame, event, arg):
        if event == "line":
            self.counts[self.label] += 1
        return self._lines

    def _sql_step(self) -> int:
        self.counts[self.label] += 1
        return 0

    def __enter__(self):
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)

    def watch(self, db) -> None:
        db.set_progress_handler(self._sql_step, 100)

    def labelled(self, label: str, func):
        def run(*args, **kwargs):
            before, self.label = self.label, label
            try:
                return func(*args, **kwargs)
            finally:
                self.label = before
        return run

    def labelled_rows(self, label: str, rows):
        source = iter(rows)
        while True:
            before, self.label = self.label, label
            try:
                row = next(source)
            except StopIteration:
                return
            finally:
                self.label = before
            yield row


def _value(cell, rng: random.Random, number: int, k: int, fw, owners: int):
    """A typed value as people give it: every text and owner distinct, ratings spread over the scale."""
    f = cell.field
    if f.type == "rating":
        return rng.choice(fw.scale(f.scale).choices)
    if f.type == "date":
        return dt.datetime(2027, 1, 1) + dt.timedelta(days=rng.randrange(540))
    if f.type == "priority":
        return rng.choice(("High", "Medium", "Low"))
    if f.level == "action" and f.id == "criterion":
        return rng.choice([item.id for _, item in fw.items()])
    if f.level == "action" and f.id == "status":
        return rng.choice(("Not started", "In progress", "Done"))
    if f.type == "person":
        return f"Owner {number}-{k % owners} of partner {number}"
    return f"Partner {number} writes answer {k}: {rng.random():.12f}"


ANSWERS_PER_RETURN = 471  # lga-cbo with its 40 action rows filled


def synthetic_return(layout, number: int, actions: int, rng: random.Random) -> tuple[CheckedReturn, list[Answer]]:
    """One accepted return with every answer cell filled and `actions` rows on its Action plan."""
    fw = layout.framework
    cells = [c for c in layout.answers if c.field.level != "action"]
    fields = [c.field.id for c in layout.action_answers if c.answer_key.owner == "1"]
    cells += [cell_for(layout, f"action/{n}/{f}") for n in range(1, actions + 1) for f in fields]
    answers = []
    for k, cell in enumerate(cells):
        raw = _value(cell, rng, number, k, fw, owners=max(4, actions // 3))
        checked = check_value(raw, cell.field, fw)
        answers.append(Answer(cell.key, cell.field, cell.section_id, cell.item_id, cell.statement_id, cell.sheet,
                              f"B{k + 5}", raw, checked.value, checked.usable))
    ret = CheckedReturn(f"partner-{number:05d}.xlsx", f"{number:064x}", respondent=f"Partner {number:05d}",
                        round="2026", framework_id=fw.id, version=fw.version, fingerprint=fw.fingerprint,
                        ratings_asked=12, ratings_given=12)
    return ret, answers


def compile_work(tmp_path: Path, monkeypatch, returns: int, actions: int) -> Counter[str]:
    """The work of each stage of compiling `returns` synthetic returns into the consolidated workbook."""
    layout = plan_workbook(get_framework("lga-cbo"))
    rng = random.Random(returns * 1000 + actions)
    counter = WorkCounter()
    monkeypatch.setattr(report_base, "_streamed_table", _labelled_stream(counter, report_base._streamed_table))
    for module in report_workbook.SHEETS:
        monkeypatch.setattr(module, "write", counter.labelled(module.__name__.rsplit(".", 1)[1], module.write))
    made = [synthetic_return(layout, n, actions, rng) for n in range(returns)]
    with AnswerSpool(layout) as store, counter:
        counter.watch(store.db)
        counter.label = "(answer store)"
        for n, (ret, answers) in enumerate(made):
            rows = answer_rows(layout, n, answers)  # as a reader worker hands them over, prepared
            listed, encoded = prepare_return(layout, rows, ret.respondent, ret.round)
            store.add(n, rows=rows, actions=listed, encoded=encoded)
        store.accept([(n, ret.respondent) for n, (ret, _) in enumerate(made)])
        counter.label = "(consolidate)"
        con = consolidate(store, [ret.respondent for ret, _ in made])
        counter.label = "(writing and streaming)"
        report_workbook.write_consolidated(str(tmp_path / f"c-{returns}-{actions}.xlsx"), con,
                                           [ret for ret, _ in made], [], "2026",
                                           compiled_at=dt.datetime(2026, 12, 1, 9, 0))
    return counter.counts


def _labelled_stream(counter: WorkCounter, original):
    def streamed(rep, ws, name, columns, rows, count, caption, wrap, *kind):
        return original(rep, ws, name, columns, counter.labelled_rows(f"{ws.get_name()} rows", rows), count,
                        caption, wrap, *kind)
    return streamed


def _assert_n_log_n(small: Counter, large: Counter, n: int, what: str, sheets: bool = True) -> None:
    bound = 4 * math.log(4 * n) / math.log(n) * 1.15  # n log n from n to 4n, and a little for rounding
    grown = {label: large[label] / small[label] for label in small if small[label] >= 200}
    too_fast = {label: round(g, 1) for label, g in grown.items() if g > bound}
    assert not too_fast, f"work grew faster than n log n ({bound:.1f}x) when the {what} grew 4x: {too_fast}"
    if sheets:
        # every sheet of a workbook compiled without last round is measured (the trend's need --previous)
        assert {m.__name__.rsplit(".", 1)[1] for m in report_workbook.sheets_of(None)} <= set(grown)


@pytest.mark.parametrize("what", ["returns", "actions per return"])
def test_compiling_grows_no_faster_than_n_log_n(tmp_path, monkeypatch, what):
    """4x the returns (answers, actions and owners with them), or 4x the actions and owners of each return."""
    if what == "returns":
        small, large = compile_work(tmp_path, monkeypatch, 5, 40), compile_work(tmp_path, monkeypatch, 20, 40)
        n = 5 * ANSWERS_PER_RETURN
    else:
        small, large = compile_work(tmp_path, monkeypatch, 4, 40), compile_work(tmp_path, monkeypatch, 4, 160)
        n = 4 * 40
    _assert_n_log_n(small, large, n, what)


def test_the_counter_sees_a_quadratic():
    """The measure itself: the Action counts sheet's rows as they were once made (every owner scanning
    every owner's counts) grow 16x with 4x the owners and are caught; as made now, they are not."""
    from sheetkit.report.action_counts import owner_rows

    def quadratic_rows(counts):
        owners = sorted({o for o, *_ in counts}, key=lambda o: (o == "", -sum(n for x, _, n, _ in counts if x == o), o))
        return [[o, sum(n for x, _, n, _ in counts if x == o)] for o in owners]

    def work(rows, owners: int) -> Counter[str]:
        # (owner, priority rank, count, owner's total), as the answer store gives them
        counts = [(f"Owner {k}", k % 4, 1 + k % 3, 1 + k % 3) for k in range(owners)]
        counter = WorkCounter()
        with counter:
            counter.labelled("action_counts", lambda c: list(rows(c)))(counts)
        return counter.counts

    with pytest.raises(AssertionError, match="action_counts"):
        _assert_n_log_n(work(quadratic_rows, 200), work(quadratic_rows, 800), 200, "owners", sheets=False)
    _assert_n_log_n(work(owner_rows, 200), work(owner_rows, 800), 200, "owners", sheets=False)
