"""Rated low with no action: each low rating whose partner listed no action for that item."""

from __future__ import annotations

from sheetkit.framework.model import item_caption
from .base import Column, Report, footer, print_setup, table, title

NAME = "Low, no action"
ABOUT = "Each rating in the lowest third of the scale whose partner listed no action for that item."
COLUMNS = (Column("Partner", 26), Column("Section", 8), Column("Ref", 6), Column("Item", 60),
           Column("Rating", 8, "centre"))


def write(rep: Report, ws) -> None:
    f = rep.formats
    captions = {item.id: item_caption(item) for _, item in rep.con.framework.items()}
    title(ws, f, "Rated low with no action listed", f"{len(rep.con.unactioned)} ratings in the lowest third of "
          f"the scale have no action from the partner who gave them.")
    rows = [(p, s, i, captions.get(i, i), v) for p, s, i, v in rep.con.unactioned]
    last = table(ws, f, "Low_no_action", COLUMNS, rows, "Ratings in the lowest third with no action")
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
