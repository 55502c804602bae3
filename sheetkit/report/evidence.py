"""Evidence: every text answer other than actions, with the criterion it answers beside it."""

from __future__ import annotations

from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.framework.model import Framework, item_caption
from .base import Column, Report, long_table, title
from .encoded import numbered

NAME = "Evidence"
ABOUT = "Every piece of evidence and narrative, item by item, with the criterion it is for beside it."
COLUMNS = (Column("Section", 8), Column("Ref", 7), Column("Criterion", 40), Column("Partner", 18),
           Column("Question", 22), Column("Answer", 70), Column("Where", 16))


def criteria(fw: Framework) -> dict[str, str]:
    """Statement, item and section ids -> the words they stand for."""
    words = {f"section:{s.id}": s.title for s in fw.sections}
    words.update({f"item:{item.id}": item_caption(item) for _, item in fw.items()})
    words.update({f"statement:{st.id}": st.text for _, _, st in fw.statements()})
    return words


def rows(rep: Report):
    words = criteria(rep.con.framework)
    for partner, a in rep.con.store.evidence():
        yield evidence_row(words, partner, a)


def evidence_row(words: dict[str, str], partner: str, a) -> tuple:
    """One text answer's row, beside the words of the criterion it answers."""
    if a.statement_id:
        ref, text = a.statement_id, words.get(f"statement:{a.statement_id}", "")
    elif a.item_id:
        ref, text = a.item_id, words.get(f"item:{a.item_id}", "")
    else:
        ref, text = a.section_id, words.get(f"section:{a.section_id}", "")
    return (a.section_id, ref, text, partner, a.field.label, a.text, f"{a.sheet}!{a.cell}")


def write(rep: Report, ws) -> None:
    f = rep.formats
    count = rep.con.store.count(evidence_only=True)
    title(ws, f, "Evidence and narrative, by item", f"{count} answers. The criterion's own words are beside "
          f"each answer; 'Where' is the sheet and cell of the partner's workbook.")
    encoded = numbered(rep.con.store.encoded("evidence"), rep.stream_styles, "text") if rep.encoded else None
    long_table(rep, ws, "Evidence", COLUMNS, rows(rep), count, "Evidence and narrative, by item", encoded=encoded)


def length(con: Consolidation) -> int:
    """The table's rows: one per text answer other than the action plan's."""
    return con.store.count(evidence_only=True)
