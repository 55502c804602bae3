"""Distribution: for each item, how many partners chose each level of the scale."""

from __future__ import annotations

from sheetkit.xlsx.styles import level_colour
from . import charts
from .base import HEADER_ROW, Column, Report, footer, print_setup, table, title

NAME = "Distribution"
ABOUT = "For each item, how many partners chose each level of the scale (a blank means nobody)."


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    scale = con.scale
    title(ws, f, "How many partners chose each level", "One row per item; the more partners chose a level, the "
          "darker its cell, and the number is shown. Blank: nobody chose it. The chart beside shows the same numbers.")
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
    if levels:  # a fill, not a data bar: a pale bar is lost on screen and on paper; the number is shown either way
        ws.conditional_format(HEADER_ROW + 1, 2, last, 1 + len(levels), {
            "type": "2_color_scale", "min_type": "num", "min_value": 0, "max_type": "num",
            "max_value": max(1, len(con.respondents)), "min_color": "#FFFFFF", "max_color": "#5B9BD5"})
    print_setup(ws, last, len(cols) - 1, footer(rep))
    if rows and levels:
        _chart(rep, ws, levels, len(rows), len(cols))


def _chart(rep: Report, ws, levels, count: int, width: int) -> None:
    """Beside the table: for each item, a bar split by how many partners chose each level, lowest level first."""
    con, sheet = rep.con, ws.get_name()
    rows = list(range(HEADER_ROW + 1, HEADER_ROW + 1 + count))
    chart = rep.add_chart({"type": "bar", "subtype": "stacked"})
    for n, _ in enumerate(levels):
        colour = level_colour(n, len(levels))
        chart.add_series({"name": charts.name_cell(sheet, HEADER_ROW, 2 + n), "categories": charts.cells(sheet, rows, 0),
                          "values": charts.cells(sheet, rows, 2 + n), "fill": {"color": colour},
                          "border": {"color": "#7F7F7F"}, "gap": 40})
    label = con.framework.labels["item"]
    charts.style(chart, chart_title(con), "Partners")
    chart.set_x_axis({"name": "Partners", "min": 0, "max": max(1, len(con.respondents)), "major_unit": 1,
                      "num_font": {"name": charts.FONT, "size": 9}, "name_font": {"name": charts.FONT, "size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"name": f"{label} (Ref)", "reverse": True, "num_font": {"name": charts.FONT, "size": 9},
                      "name_font": {"name": charts.FONT, "size": 9}})
    alt = (f"Stacked bar chart: for each {label.lower()} (by its Ref, the first at the top), how many partners chose "
           f"each level of the scale, from the lowest level (red) to the highest (green). Its numbers are the "
           f"Distribution table to its left. {chart_title(con)}.")
    charts.insert(ws, HEADER_ROW, width + 1, chart, alt, 620, max(360, 24 * count + 140))


def chart_title(con) -> str:
    """The chart's finding: where most ratings fall, and the item whose ratings spread widest."""
    items = [r for r in con.item_rows() if r.count]
    if not items:
        return "How many partners chose each level"
    values = sorted(v for r in items for v in r.values.values())
    middle = values[len(values) // 4], values[(3 * len(values)) // 4]
    widest = max(items, key=lambda r: r.stat("spread"))
    label = con.framework.labels["item"]
    said = (f"The middle half of the ratings are {middle[0]} to {middle[1]}" if middle[0] != middle[1]
            else f"The middle half of the ratings are {middle[0]}")
    return said + (f"; {label} {widest.owner_id} spreads widest, from {int(widest.stat('min'))} to "
                   f"{int(widest.stat('max'))}" if widest.stat("spread") else "")
