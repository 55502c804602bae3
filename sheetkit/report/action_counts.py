"""Action counts: how many actions each owner holds, by priority."""

from __future__ import annotations

from itertools import groupby
from typing import Iterable, Iterator

from sheetkit.framework.model import PRIORITIES
from .base import Column, Report, long_table, title

NAME = "Action counts"
ABOUT = "How many actions each owner holds, by priority, and how many have no usable due date."


def owner_rows(counts: Iterable[tuple[str, int, int, int]]) -> Iterator[list]:
    """One row per owner, from (owner, priority rank, count, owner's total) owner by owner, in the order
    the rows go (most actions first, '(no owner)' last; see AnswerSpool.owner_counts): the count at each
    priority, the count at none of them, and the total. One pass, holding one owner's counts: a national
    collection has a distinct owner for almost every action."""
    for owner, mine in groupby(counts, key=lambda row: row[0]):
        by_rank = [0] * (len(PRIORITIES) + 1)  # the last: any priority that is none of them
        total = 0
        for _, rank, n, total in mine:
            by_rank[min(rank, len(PRIORITIES))] += n
        yield [owner or "(no owner)", *by_rank, total]


COLUMNS = [Column("Owner", 30)] + [Column(p, 9, "centre") for p in PRIORITIES] + \
    [Column("(none)", 9, "centre"), Column("Total", 9, "centre")]


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "Actions by owner and priority", "An owner left empty is counted as '(no owner)'; a priority "
          "that is not High, Medium or Low as '(none)'.")
    # A row per owner: as many as there are actions in a national collection, so streamed like the long tables.
    long_table(rep, ws, "Action_counts", COLUMNS, owner_rows(rep.con.store.owner_counts()), length(rep.con),
               "Actions by owner and priority")


def length(con) -> int:
    """The table's rows: one per owner."""
    return con.store.count_owners()
