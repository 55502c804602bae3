"""Action counts: how many actions each owner holds, by priority."""

from __future__ import annotations

from sheetkit.framework.model import PRIORITIES
from .base import Column, Report, footer, print_setup, table, title

NAME = "Action counts"
ABOUT = "How many actions each owner holds, by priority, and how many have no usable due date."


def write(rep: Report, ws) -> None:
    f = rep.formats
    counts = rep.con.actions.by_owner_priority
    title(ws, f, "Actions by owner and priority", "An owner left empty is counted as '(no owner)'; a priority "
          "that is not High, Medium or Low as '(none)'.")
    owners = sorted({o for o, _ in counts}, key=lambda o: (o == "", -sum(n for (x, _), n in counts.items() if x == o), o))
    cols = [Column("Owner", 30)] + [Column(p, 9, "centre") for p in PRIORITIES]
    cols += [Column("(none)", 9, "centre"), Column("Total", 9, "centre")]
    table_rows = []
    for owner in owners:
        mine = {p: n for (o, p), n in counts.items() if o == owner}
        by_priority = [mine.get(p, 0) for p in PRIORITIES]
        other = sum(n for p, n in mine.items() if p not in PRIORITIES)
        table_rows.append([owner or "(no owner)", *by_priority, other, sum(mine.values())])
    last = table(ws, f, "Action_counts", cols, table_rows, "Actions by owner and priority")
    print_setup(ws, last, len(cols) - 1, footer(rep))
