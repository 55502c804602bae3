"""The framework's own record (LGA's summary and key actions, SWIA's self-evaluation record...), partner by partner."""

from __future__ import annotations

from itertools import groupby

from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.model import Framework, item_caption
from .base import Column, Report, long_table, title
from .encoded import numbered
from sheetkit.framework.keys import AnswerKey

ABOUT = "The framework's own record: each item's and section's answers, partner by partner, with values " \
        "not counted marked."


def name(con: Consolidation) -> str:
    return con.framework.labels.get("record") or "Record"


def _fields(fw: Framework):
    item_fields = list(fw.fields("item"))
    section_fields = [x for x in fw.fields("section") if x.id not in {i.id for i in item_fields}]
    return item_fields, section_fields


def columns(con: Consolidation) -> list[Column]:
    return framework_columns(con.framework)


def framework_columns(fw: Framework) -> list[Column]:
    """The record's columns: where, who, then the framework's own item and section fields."""
    item_fields, section_fields = _fields(fw)
    cols = [Column("Section", 8), Column("Ref", 6), Column("Item", 30), Column("Partner", 18)]
    cols += [Column(x.label, 12 if x.type in ("rating", "date", "priority") else 30,
                    "date" if x.type == "date" else "text") for x in item_fields + section_fields]
    return cols + [Column("Not counted", 18)]


def rows(con: Consolidation):
    answers = ((p, a) for p, a in con.store.by_item() if a.field.level in ("item", "section"))
    for _, row in record_groups(con.framework, answers):
        yield row


def record_groups(fw: Framework, answers):
    """(the answers, the row) for each run of one partner's answers to one item (or one section's
    summary), from (partner, answer) pairs in the record's order."""
    item_fields, section_fields = _fields(fw)
    position = {("item", x.id): n for n, x in enumerate(item_fields, start=4)}
    position.update({("section", x.id): n for n, x in enumerate(section_fields, start=4 + len(item_fields))})
    width = 5 + len(item_fields) + len(section_fields)
    captions = {item.id: item_caption(item) for _, item in fw.items()}
    titles = {s.id: s.title for s in fw.sections}
    for (person, owner, level), group in groupby(answers, key=lambda pa: (pa[0], AnswerKey.parse(pa[1].key).owner,
                                                                          pa[1].field.level)):
        group = [a for _, a in group]
        row = [""] * width
        row[0] = group[0].section_id
        row[1], row[2] = (owner, captions.get(owner, owner)) if level == "item" else \
            ("", f"{fw.labels['section']} summary: {titles.get(owner, owner)}")
        row[3] = person
        for a in group:
            col = position.get((level, a.field.id))
            if col is not None:
                row[col] = a.value if a.usable and not isinstance(a.value, str) else a.text
        row[-1] = "; ".join(f"{a.field.label}: '{a.text}'" for a in group if not a.usable)
        yield group, tuple(row)


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    cols = columns(con)
    title(ws, f, f"{name(con)}: as the framework records it", "One row per item (and per section summary) "
          "and partner, in the framework's own columns.")
    encoded = numbered(con.store.encoded("record"), rep.stream_styles, "text") if rep.encoded else None
    long_table(rep, ws, "Record", cols, rows(con), length(con), f"{name(con)}, partner by partner", encoded=encoded)


def length(con: Consolidation) -> int:
    """The table's rows: one per item (and section summary) and partner with answers."""
    return con.store.count_records()
