"""Actions followed up: each of last round's actions, what this round's return reports on it, and what is overdue."""

from __future__ import annotations

from sheetkit.framework.model import ACTION_CLOSED
from sheetkit.rounds.trend import NOT_REPORTED
from .base import HEADER_ROW, Column, Report, footer, print_setup, table, title

NAME = "Actions followed up"
ABOUT = "Each action partners listed last round (on their Action plan or under an item), with the status, progress and revised date " \
        "their return reports this round, and whether it is overdue; actions nobody reported on say so."
COLUMNS = (Column("Partner", 18), Column("Written", 12), Column("Ref", 6), Column("Action", 40),
           Column("Owner", 16), Column("Due", 11, "date"), Column("Status last round", 11),
           Column("Status now", 12), Column("Progress", 34), Column("Revised due", 11, "date"),
           Column("Overdue", 9), Column("Row this round", 8, "centre_text"), Column("Why not reported", 20))

NEEDS_TREND = True  # written only when there is a last round to compare with


def write(rep: Report, ws) -> None:
    f, trend = rep.formats, rep.trend
    acts = trend.actions
    unreported = sum(1 for a in acts if a.status == NOT_REPORTED)
    plural = "s" if len(acts) != 1 else ""
    title(ws, f, f"Actions followed up: {trend.previous_round}'s actions in {rep.round}",
          f"{len(acts)} action{plural} listed last round; {len(trend.overdue())} overdue (due, or due again by the "
          f"revised date, before {rep.compiled_at:%d %B %Y} and not {' or '.join(ACTION_CLOSED)}); {unreported} not "
          f"reported.")
    rows = [(a.partner, a.action.origin, a.action.criterion, a.action.action, a.action.owner, a.action.due,
             a.action.status, a.status, a.progress, a.revised_due, "Overdue" if a.overdue else "", a.row, a.why)
            for a in acts]
    last = table(ws, f, "Actions_followed_up", COLUMNS, rows, "Last round's actions and their status now")
    for col, criteria in ((10, "Overdue"), (7, NOT_REPORTED)):
        ws.conditional_format(HEADER_ROW + 1, col, last, col, {"type": "cell", "criteria": "==",
                                                               "value": f'"{criteria}"', "format": f["flag"]})
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
