"""Action counts: how many actions each owner holds, by priority."""

from __future__ import annotations

from collections import Counter

from sheetkit.framework.model import PRIORITIES
from .base import Column, Report, long_table, title

NAME = "Action counts"
ABOUT = "How many actions each owner holds, by priority, and how many have no usable due date."


def owner_rows(counts: Counter) -> list[list]:
    """One row per owner (most actions first, '(no owner)' last): the count at each priority, the
    count at none of them, and the total. One pass over the (owner, priority) pairs: a national
    collection has a distinct owner for almost every action."""
    by_owner: dict[str, Counter] = {}
    for (owner, priority), n in counts.items():
        by_owner.setdefault(owner, Counter())[priority] += n
    totals = {owner: sum(mine.values()) for owner, mine in by_owner.items()}
    rows = []
    for owner in sorted(by_owner, key=lambda o: (o == "", -totals[o], o)):
        mine = by_owner[owner]
        by_priority = [mine.get(p, 0) for p in PRIORITIES]
        other = sum(n for p, n in mine.items() if p not in PRIORITIES)
        rows.append([owner or "(no owner)", *by_priority, other, totals[owner]])
    return rows


COLUMNS = [Column("Owner", 30)] + [Column(p, 9, "centre") for p in PRIORITIES] + \
    [Column("(none)", 9, "centre"), Column("Total", 9, "centre")]


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "Actions by owner and priority", "An owner left empty is counted as '(no owner)'; a priority "
          "that is not High, Medium or Low as '(none)'.")
    rows = owner_rows(rep.con.actions.by_owner_priority)
    # A row per owner: as many as there are actions in a national collection, so streamed like the long tables.
    long_table(rep, ws, "Action_counts", COLUMNS, rows, len(rows), "Actions by owner and priority")


def length(con) -> int:
    """The table's rows: one per owner."""
    return len({owner for owner, _ in con.actions.by_owner_priority})
