"""Action counts: how many actions each owner holds, by priority."""

from __future__ import annotations

from collections import Counter

from sheetkit.framework.model import PRIORITIES
from .base import Column, Report, footer, print_setup, table, title

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


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "Actions by owner and priority", "An owner left empty is counted as '(no owner)'; a priority "
          "that is not High, Medium or Low as '(none)'.")
    cols = [Column("Owner", 30)] + [Column(p, 9, "centre") for p in PRIORITIES]
    cols += [Column("(none)", 9, "centre"), Column("Total", 9, "centre")]
    last = table(ws, f, "Action_counts", cols, owner_rows(rep.con.actions.by_owner_priority),
                 "Actions by owner and priority")
    print_setup(ws, last, len(cols) - 1, footer(rep))
