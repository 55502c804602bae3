"""Trend by partner: each partner's own change since last round, over the ratings they gave both times."""

from __future__ import annotations

from sheetkit.rounds.trend import tenths
from .base import HEADER_ROW, Column, Report, footer, print_setup, table, title
from .trend import colour_changes

NAME = "Trend by partner"
ABOUT = "Each partner's change since last round: their average over the ratings they gave in " \
        "both rounds, then and now; partners new this round, renamed, or with no return this round are marked."
COLUMNS = (Column("Partner", 30), Column("Last round", 9, "mean_top"), Column("This round", 9, "mean_top"),
           Column("Change", 8, "change"), Column("Ratings compared", 10, "centre_text"),
           Column("Ratings then → now", 10, "centre_text"), Column("Note", 40))

NEEDS_TREND = True  # written only when there is a last round to compare with


def write(rep: Report, ws) -> None:
    f, trend = rep.formats, rep.trend
    title(ws, f, f"Trend by partner: {rep.round} against {trend.previous_round}",
          "Each partner's average over the ratings they gave in both rounds (items not compared are left out).")
    rows = [[p.name, p.then, p.now, tenths(p.change) if p.compared else None, p.compared or None,
             f"{p.rated_then} → {p.rated_now}", p.note] for p in trend.partners]
    last = table(ws, f, "Trend_by_partner", COLUMNS, rows, "Each partner's change since last round")
    colour_changes(ws, f, HEADER_ROW + 1, last, (3,))
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
