"""Action plan: every action from every return, grouped by item, highest priority and soonest first."""

from __future__ import annotations

from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.model import Framework, item_caption
from .base import Column, Report, long_table, title
from .encoded import numbered

NAME = "Action plan"
ABOUT = "Every action from every return, grouped by item (with its title), then by priority and due date; " \
        "values not counted (a due date of 'n/a') are shown as typed and marked."
COLUMNS = (Column("Section", 8), Column("Ref", 6), Column("Item", 30), Column("Partner", 18),
           Column("Priority", 9), Column("Action", 44), Column("Owner", 16), Column("Due", 11, "date"),
           Column("Status", 11), Column("Resources", 20), Column("Measure", 24), Column("Where", 16),
           Column("Not counted", 18))


def rows(rep: Report):
    captions = item_captions(rep.con.framework)
    for partner, a in rep.con.store.actions(order="item"):
        yield action_row(captions, partner, a)


def item_captions(fw: Framework) -> dict[str, str]:
    return {item.id: item_caption(item) for _, item in fw.items()}


def action_row(captions: dict[str, str], partner: str, a) -> tuple:
    """One action's row, under the item it addresses."""
    return (a.section, a.item, captions.get(a.item, ""), partner, a.priority, a.action, a.owner, a.due,
            a.status, a.resources, a.measure, a.source, a.flagged)


def write(rep: Report, ws) -> None:
    f = rep.formats
    acts = rep.con.actions
    title(ws, f, "Action plan: every action, grouped by item",
          f"{acts.total} actions; {acts.high} high priority; {acts.incomplete} without an owner or a due date. "
          f"Counts by owner and priority: see Action counts.")
    encoded = numbered(rep.con.store.encoded("actions"), rep.stream_styles, "text") if rep.encoded else None
    long_table(rep, ws, "Action_plan", COLUMNS, rows(rep), acts.total, "Every action, grouped by item",
               encoded=encoded)


def length(con: Consolidation) -> int:
    """The table's rows: one per action."""
    return con.actions.total
