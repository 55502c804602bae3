"""Ratings: every item (and section rating) by partner, with the mean, spread and whether partners agree."""

from __future__ import annotations

from sheetkit.common import limits
from sheetkit.consolidate.consolidation import Consolidation, RatingRow
from .base import HEADER_ROW, Column, Report, footer, print_setup, rating_colours, table, title

NAME = "Ratings"
ABOUT = "Every rating by item and partner, with mean, median, spread, count, whether partners agree (and who " \
        "sits at each end), whether groups differ, actions listed and values not counted."
PARTNER_W = 9


def columns(con: Consolidation, partners: list[str] | None = None) -> list[Column]:
    """The table's columns, with one for each of `partners` (default: every partner counted)."""
    cols = [Column("Section", 8), Column("Ref", 6), Column("Item", 40)]
    cols += [Column(p, PARTNER_W, "centre") for p in (con.respondents if partners is None else partners)]
    cols += [Column("Mean", 7, "mean"), Column("Median", 7, "mean"), Column("Spread", 7, "centre"),
             Column("Count", 7, "centre"), Column("Agreement", 10), Column("Who sits at each end", 30)]
    if con.groups:
        cols.append(Column("Groups differ", 8))
    cols += [Column("Actions", 8, "centre"), Column("Not counted", 18)]
    return cols


def partner_columns(con: Consolidation) -> int:
    """How many partners' columns one sheet holds beside the item and summary columns."""
    return limits.SHEET_COLUMNS - len(columns(con, []))


def values(con: Consolidation, row: RatingRow, partners: list[str] | None = None) -> list:
    a = row.agreement
    out = [row.section_id, row.owner_id if row.level == "item" else "", row.caption]
    out += [row.values.get(p) for p in (con.respondents if partners is None else partners)]
    out += [row.stat("mean"), row.stat("median"), row.stat("spread"), row.count,
            {"split": "Split", "apart": "Sits apart"}.get(a.kind, ""), row.ends_text() if a.kind else ""]
    if con.groups:
        out.append("Yes" if row.groups_differ else "")
    acted = con.actions.by_item.get(row.owner_id, 0) if row.level == "item" else None
    out += [acted, "; ".join([f"{p}: {v}" for p, v in row.flagged.items()]
                             + [f"{p}: {v} (carried from last round, not confirmed)" for p, v in row.carried.items()])]
    return out


def write(rep: Report, ws) -> None:
    """The table; with more partners than a sheet has columns, continued on further sheets, each
    with the item columns and the summary (of every partner) again."""
    con, f = rep.con, rep.formats
    sheets = [ws, *rep.continued.get(ws.get_name(), [])]
    per_sheet = partner_columns(con)
    for k, sheet in enumerate(sheets):
        partners = con.respondents[k * per_sheet:(k + 1) * per_sheet]
        note = "Colours follow the scale from red (lowest) to green (highest); the number is always shown. " \
               "Agreement and values not counted: see Notes."
        if k:
            note = f"Partners {k * per_sheet + 1:,} to {k * per_sheet + len(partners):,} of " \
                   f"{len(con.respondents):,}; the table starts on the sheet '{ws.get_name()}'. " + note
        title(sheet, f, "Ratings by item and partner" + (" (continued)" if k else ""), note)
        _part(rep, sheet, "Ratings" if not k else f"Ratings_{k + 1}", partners)


def _part(rep: Report, ws, name: str, partners: list[str]) -> None:
    con, f = rep.con, rep.formats
    cols = columns(con, partners)
    last = table(ws, f, name, cols, [values(con, r, partners) for r in con.ratings], "Ratings by item and partner")
    rating_colours(ws, con.scale, HEADER_ROW + 1, 3, last, 2 + len(partners))
    ws.conditional_format(HEADER_ROW + 1, 7 + len(partners), last, 7 + len(partners), {
        "type": "no_blanks", "format": f["flag"]})
    print_setup(ws, last, len(cols) - 1, footer(rep), fit_width=len(partners) <= 12, repeat_cols=3)
