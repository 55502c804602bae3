"""All actions: every action as its partner wrote it, grouped by item, highest priority and soonest first."""

from __future__ import annotations

from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.model import item_caption
from .action_plan import summary
from .base import Column, Report, long_table, title

NAME = "All actions"
ABOUT = "Every action as its partner wrote it (on their Action plan or under an item), grouped by item, then by " \
        "priority and due date, with where it was written; values not counted (a due date of 'n/a') shown as " \
        "typed and marked."
STYLES = {"date": "date"}


def columns(con: Consolidation) -> list[Column]:
    """Section, item and partner, then every action-plan column any action has a value in (criterion aside:
    the item is its Ref), where it was written, and values not counted."""
    cols = [Column("Section", 8), Column("Ref", 6), Column("Item", 30), Column("Partner", 18)]
    cols += [Column(c.header, c.width, STYLES.get(c.type, "text")) for c in shown(con)]
    return cols + [Column("Written", 16), Column("Not counted", 18)]


def shown(con: Consolidation):
    return [c for c in con.framework.action_columns
            if c.id != "criterion" and (not c.follow_up or c.id in con.actions.used)]


def rows(rep: Report):
    fw = rep.con.framework
    captions = {item.id: item_caption(item) for _, item in fw.items()}
    ids = [c.id for c in shown(rep.con)]
    for partner, a in rep.con.store.actions(order="item"):
        yield [a.section, a.item, captions.get(a.item, ""), partner] + [a.get(c) for c in ids] + [a.source, a.flagged]


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "All actions, as each partner wrote them", summary(rep.con) + " The same action from several "
          "partners as one: Action plan.")
    long_table(rep, ws, "All_actions", columns(rep.con), rows(rep), rep.con.actions.total,
               "Every action as its partner wrote it, by item")


def length(con: Consolidation) -> int:
    """The table's rows: one per action."""
    return con.actions.total
