"""Ratings: every item (and section rating) by partner, with the mean, spread and whether partners agree."""

from __future__ import annotations

from sheetkit.common import limits
from sheetkit.consolidate.consolidation import Consolidation, RatingRow
from . import charts
from .base import HEADER_ROW, Column, Report, footer, plural, print_setup, rating_colours, table, title

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
    if con.revised:
        cols.append(Column("Revised after feedback", 22))
    return cols


def partner_columns(con: Consolidation) -> int:
    """How many partners' columns one sheet holds beside the item and summary columns."""
    return limits.SHEET_COLUMNS - len(columns(con, []))


def revised_note(con: Consolidation) -> str:
    """What the ratings shown are, when partners revised some after their feedback."""
    if not con.revised:
        return ""
    return (f" {plural(con.revised, 'rating')} revised by partners after their feedback "
            f"{'is' if con.revised == 1 else 'are'} shown and counted in place of their self-assessment, which "
            f"'Revised after feedback' gives (see Moderation).")


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
                             + [f"{p}: {v} (carried from last round, not confirmed)"
                                for p, v in row.still_carried.items()])]
    if con.revised:
        out.append("; ".join(f"{p}: {_before(row, p, v)} \u2192 {row.values[p]}" for p, v in row.self_assessed.items()))
    return out


def _before(row: RatingRow, partner: str, value: int | None) -> str:
    """What a revised rating replaced: the self-assessed rating, last round's left as carried, or none."""
    if value is not None:
        return str(value)
    if partner in row.carried:
        return f"{row.carried[partner]} (carried from last round)"
    return "none"


def write(rep: Report, ws) -> None:
    """The table; with more partners than a sheet has columns, continued on further sheets, each
    with the item columns and the summary (of every partner) again."""
    con, f = rep.con, rep.formats
    sheets = [ws, *rep.continued.get(ws.get_name(), [])]
    per_sheet = partner_columns(con)
    for k, sheet in enumerate(sheets):
        partners = con.respondents[k * per_sheet:(k + 1) * per_sheet]
        note = "Colours follow the scale from red (lowest) to green (highest); the number is always shown. " \
               "Agreement and values not counted: see Notes." + revised_note(con)
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
    if name == "Ratings":
        _chart(rep, ws, partners, len(cols))


def _chart(rep: Report, ws, partners: list[str], width: int) -> None:
    """Beside the table: each item's mean rating (columns) and each partner's rating of it (markers)."""
    con = rep.con
    rows = [HEADER_ROW + 1 + n for n, r in enumerate(con.ratings) if r.level == "item" and r.count]
    if con.scale is None or not rows:
        return
    sheet, mean = ws.get_name(), 3 + len(partners)
    chart = rep.add_chart({"type": "column"})
    chart.add_series({"name": charts.name_cell(sheet, HEADER_ROW, mean), "categories": charts.cells(sheet, rows, 1),
                      "values": charts.cells(sheet, rows, mean), "fill": {"color": charts.BAR},
                      "border": {"color": charts.DARK}, "gap": 60})
    marked = partners[:charts.MOST_MARKED]
    if marked:
        points = rep.add_chart({"type": "line"})
        for n, _ in enumerate(marked):
            points.add_series({"name": charts.name_cell(sheet, HEADER_ROW, 3 + n), "categories": charts.cells(sheet, rows, 1),
                               "values": charts.cells(sheet, rows, 3 + n), **charts.marker_series(n)})
        chart.combine(points)
    label = con.framework.labels["item"]
    charts.style(chart, chart_title(con), "Rating", con.scale)
    chart.set_x_axis({"name": f"{label} (Ref)", "name_font": {"name": charts.FONT, "size": 9, "bold": False},
                      "num_font": {"name": charts.FONT, "size": 9}})
    shown = "each partner's rating as a marker" if len(partners) <= charts.MOST_MARKED else \
        f"the first {charts.MOST_MARKED} partners' ratings as markers (every partner's is in the table)"
    alt = (f"Column chart: the mean rating of each {label.lower()} (by its Ref), with {shown}. Its numbers are "
           f"the Ratings table to its left: the Mean column and one column per partner. {chart_title(con)}.")
    size = (max(560, min(1100, 60 * len(rows) + 220)), 380)
    charts.insert(ws, HEADER_ROW, width + 1, chart, alt, *size)


def chart_title(con: Consolidation) -> str:
    """The chart's finding: the highest- and lowest-rated item, and who sits apart most."""
    rated = [r for r in con.item_rows() if r.count]
    if not rated:
        return "Mean rating of each item"
    label = con.framework.labels["item"]
    high = max(rated, key=lambda r: r.stat("mean"))
    low = min(rated, key=lambda r: r.stat("mean"))
    said = (f"{label} {high.owner_id} is rated highest ({high.stat('mean'):.1f}) and {label} {low.owner_id} "
            f"lowest ({low.stat('mean'):.1f})")
    apart = next(iter(con.apart_counts().items()), None)
    if apart and apart[1] > 1:
        said += f"; {apart[0]} sits apart on {apart[1]} of {len(con.item_rows())}"
    return said
