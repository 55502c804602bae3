"""All actions: every action as its partner wrote it, grouped by item, highest priority and soonest first."""

from __future__ import annotations

from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.action_plan import ActionColumn
from sheetkit.framework.model import Framework, item_caption
from .action_plan import summary
from .base import Column, Report, long_table, title
from .encoded import numbered

NAME = "All actions"
ABOUT = "Every action as its partner wrote it (on their Action plan or under an item), grouped by item, then by " \
        "priority and due date, with where it was written; values not counted (a due date of 'n/a') shown as " \
        "typed and marked."
STYLES = {"date": "date"}


def columns(con: Consolidation) -> list[Column]:
    """Section, item and partner, then every action-plan column any action has a value in (criterion aside:
    the item is its Ref), where it was written, and values not counted."""
    return columns_of(shown(con.framework, con.actions.used))


def columns_of(action_columns: list[ActionColumn]) -> list[Column]:
    """The table's columns when it shows these action-plan columns."""
    cols = [Column("Section", 8), Column("Ref", 6), Column("Item", 30), Column("Partner", 18)]
    cols += [Column(c.header, c.width, STYLES.get(c.type, "text")) for c in action_columns]
    return cols + [Column("Written", 16), Column("Not counted", 18)]


def shown(fw: Framework, used: set[str] | frozenset[str]) -> list[ActionColumn]:
    """The action-plan columns shown when the actions give values in `used`: every one but the criterion
    (the item is its Ref), those asked only in a follow-up workbook only when some action gives a value."""
    return [c for c in fw.action_columns if c.id != "criterion" and (not c.follow_up or c.id in used)]


def encoded_columns(fw: Framework) -> list[ActionColumn]:
    """The columns the rows encoded where returns are read show (sheetkit.report.prepared): as when no
    action gives a value in a column asked only in follow-up workbooks. When the actions do, the rows
    are encoded here instead."""
    return shown(fw, frozenset())


def item_captions(fw: Framework) -> dict[str, str]:
    return {item.id: item_caption(item) for _, item in fw.items()}


def action_row(captions: dict[str, str], ids: list[str], partner: str, a) -> list:
    """One action's row, under the item it addresses, showing the columns `ids`."""
    return [a.section, a.item, captions.get(a.item, ""), partner] + [a.get(c) for c in ids] + [a.source, a.flagged]


def rows(rep: Report):
    captions = item_captions(rep.con.framework)
    ids = [c.id for c in shown(rep.con.framework, rep.con.actions.used)]
    for partner, a in rep.con.store.actions(order="item"):
        yield action_row(captions, ids, partner, a)


def write(rep: Report, ws) -> None:
    f = rep.formats
    con = rep.con
    title(ws, f, "All actions, as each partner wrote them", summary(con) + " The same action from several "
          "partners as one: Action plan.")
    ready = rep.encoded and shown(con.framework, con.actions.used) == encoded_columns(con.framework)
    encoded = numbered(con.store.encoded("actions"), rep.stream_styles, "text") if ready else None
    long_table(rep, ws, "All_actions", columns(con), rows(rep), con.actions.total,
               "Every action as its partner wrote it, by item", encoded=encoded)


def length(con: Consolidation) -> int:
    """The table's rows: one per action."""
    return con.actions.total
