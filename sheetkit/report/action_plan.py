"""Action plan: what will be done. Every partner's actions, identical or near-identical ones as one action
with who proposed it, in the order of the items they address."""

from __future__ import annotations

from sheetkit.common.text import clip
from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.consolidate.plan import OWN_WAY, PlanEntry
from .base import Column, Report, long_table, plural, title
from .headline import item_name_of as item_name

NAME = "Action plan"
ABOUT = "What will be done: every action partners wrote (on their Action plan or under an item), the same action " \
        "from several partners as one, with who proposed it, the items it addresses, owners, the earliest due date " \
        "and the highest priority given; each action as written is on All actions."


def columns(con: Consolidation) -> list[Column]:
    """The plan's columns: its own, then each other action-plan column some action has a value in."""
    cols = [Column("Refs", 7), Column("Addresses", 30), Column("Action", 44), Column("Proposed by", 22),
            Column("Partners", 9, "centre"), Column("Priority", 9), Column("Owners", 20), Column("Due", 12, "date"),
            Column("Due as typed", 11)]
    return cols + [Column(c.header, max(12.0, c.width)) for c in other_columns(con)]


def other_columns(con: Consolidation):
    """The action-plan columns beyond the plan's own that any action gives a value for."""
    return [c for c in con.framework.action_columns if c.id not in OWN_WAY and c.id in con.actions.used]


def rows(rep: Report):
    con = rep.con
    captions = {item.id: item_name(con.framework, item) for _, item in con.framework.items()}
    others = other_columns(con)
    for entry in con.actions.plan:
        yield [", ".join(entry.items), "; ".join(captions.get(i, i) for i in entry.items), entry.text,
               ", ".join(entry.partners), len(entry.partners), entry.priority, entry.owner_text(), entry.due,
               entry.due_text()] + [entry.column_text(c.id) for c in others]


def write(rep: Report, ws) -> None:
    f = rep.formats
    acts = rep.con.actions
    title(ws, f, "Action plan: what will be done", summary(rep.con) + " Each action as its partner wrote it: All "
          "actions; by owner and priority: Action counts.")
    long_table(rep, ws, "Action_plan", columns(rep.con), rows(rep), acts.distinct, "What will be done, action by action")


def summary(con: Consolidation) -> str:
    """'96 actions from 6 partners, 45 different: 34 high priority, 3 without an owner or a due date.' The one
    count of actions every sheet uses."""
    acts = con.actions
    if not acts.total:
        return "No partner listed an action."
    return (f"{plural(acts.total, 'action')} from {plural(acts.partners, 'partner')}, {acts.distinct} different: "
            f"{acts.high} high priority, {acts.incomplete} without an owner or a due date.")


def first_action_where(con: Consolidation, entry: PlanEntry, limit: int = 0) -> str:
    """The items an action addresses, named: 'Standard 5: Good commissioning promotes ...' and how many more;
    the name cut to keep the whole within `limit` characters, when given."""
    if not entry.items:
        return "no item named"
    first = next((item for _, item in con.framework.items() if item.id == entry.items[0]), None)
    name = item_name(con.framework, first) if first else f"{con.framework.labels['item']} {entry.items[0]}"
    more = len(entry.items) - 1
    tail = f" and {more} more" if more else ""
    return (clip(name, max(12, limit - len(tail))) if limit else name) + tail


def length(con: Consolidation) -> int:
    """The table's rows: one per different action."""
    return con.actions.distinct
