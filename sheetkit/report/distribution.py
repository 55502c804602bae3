"""Distribution: for each item, how many partners chose each level of the scale."""

from __future__ import annotations

from .base import HEADER_ROW, Column, Report, footer, print_setup, table, title

NAME = "Distribution"
ABOUT = "For each item, how many partners chose each level of the scale (a blank means nobody)."


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    scale = con.scale
    title(ws, f, "How many partners chose each level", "One row per item; a bar grows with the number of "
          "partners who chose that level, and the number is shown. Blank: nobody chose it.")
    levels = scale.levels if scale is not None else ()
    cols = [Column("Ref", 6), Column("Item", 44)]
    cols += [Column(lv.choice, 9 if len(levels) > 7 else 11, "count") for lv in levels]
    cols += [Column("Count", 7, "centre"), Column("Not counted", 7, "centre")]
    rows = []
    for r in con.item_rows():
        if scale is None or con.framework.scale(r.field.scale) is not scale:
            continue
        counts = [sum(1 for v in r.values.values() if v == lv.value) or None for lv in levels]  # blank: nobody
        rows.append([r.owner_id, r.caption, *counts, r.count, len(r.flagged)])
    last = table(ws, f, "Distribution", cols, rows, "How many partners chose each level, by item")
    if levels:
        ws.conditional_format(HEADER_ROW + 1, 2, last, 1 + len(levels), {
            "type": "data_bar", "bar_color": "#9DC3E6", "min_type": "num", "min_value": 0,
            "max_type": "num", "max_value": max(1, len(con.respondents)),
            # The 2010 extension's XML goes through cells.TextWorksheet's text escaping, which takes only text.
            "data_bar_2010": False})
    print_setup(ws, last, len(cols) - 1, footer(rep))
