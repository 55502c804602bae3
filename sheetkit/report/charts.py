"""Charts of the consolidated workbook: native Excel charts, each beside the table that holds its numbers.

Every chart has a title that states its finding, alternative text that says what it shows and
where its numbers are, and reads its data from cells of the sheet's own table (never from
values typed into the chart), so no chart replaces the numbers. Names of partners reach a chart
only through cell references, and the titles sheetkit writes are guarded so that no text can be
taken for a reference to a cell.
"""

from __future__ import annotations

import re

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from sheetkit.common.text import clip
from sheetkit.xlsx.styles import FONT, ok

# XlsxWriter reads a chart name shaped like "Sheet!A1" as a reference to that cell: such text is kept as text by
# putting a zero-width joiner after its "!" (shown the same, never a reference).
_LOOKS_LIKE_A_CELL = re.compile(r"^=?[^!]+!\$?[A-Z]+\$?\d+")
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MARKERS = ("diamond", "square", "triangle", "circle", "x", "star", "dash", "plus")
COLOURS = ("#C00000", "#7030A0", "#00B050", "#ED7D31", "#000000", "#0070C0", "#806000", "#FF00FF", "#00B0F0",
           "#808080", "#92D050", "#FFC000")
MOST_MARKED = 12  # partners shown each by their own marker; with more, the chart shows the averages only
BAR = "#9DC3E6"
DARK = "#1F4E79"
TITLE_LIMIT = 160
ALT_LIMIT = 1000


def text(value: str, limit: int = TITLE_LIMIT) -> str:
    """Text for a chart's title or alternative text: never a cell reference, within `limit` characters."""
    value = clip(" ".join(_NOT_IN_XML.sub("\ufffd", str(value)).split()), limit)
    return value.replace("!", "!\u2060", 1) if _LOOKS_LIKE_A_CELL.match(value) else value


def cells(sheet: str, rows: list[int], col: int) -> str:
    """A reference to one column's cells on `rows` (0-based), as a chart's data: one range when the rows run on,
    a union of ranges when other rows sit between them."""
    runs, start = [], None
    for n, row in enumerate(rows):
        if start is None:
            start = row
        if n + 1 == len(rows) or rows[n + 1] != row + 1:
            runs.append((start, row))
            start = None
    name = quote_sheetname(sheet)
    parts = [f"{name}!{xl_rowcol_to_cell(a, col, True, True)}:{xl_rowcol_to_cell(b, col, True, True)}"
             for a, b in runs]
    return f"={parts[0]}" if len(parts) == 1 else "=(" + ",".join(parts) + ")"


def name_cell(sheet: str, row: int, col: int) -> list:
    """A series named by a cell (a header holding a partner's name), so the name stays the cell's text."""
    return [sheet, row, col]


def style(chart, title: str, y_title: str = "", scale=None) -> None:
    """The house style: the finding as the title, Arial, a legend below, a value axis on the rating scale."""
    chart.set_title({"name": text(title), "overlay": False, "name_font": {"name": FONT, "size": 11, "bold": True}})
    chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    axis = {"num_font": {"name": FONT, "size": 9}, "major_gridlines": {"visible": True,
                                                                       "line": {"color": "#D9D9D9"}}}
    if y_title:
        axis["name"] = text(y_title, 60)
        axis["name_font"] = {"name": FONT, "size": 9, "bold": False}
    if scale is not None:
        axis.update({"min": min(scale.values), "max": max(scale.values), "major_unit": _unit(scale)})
    chart.set_y_axis(axis)
    chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})


def _unit(scale) -> int:
    span = max(scale.values) - min(scale.values)
    return 1 if span <= 10 else max(1, span // 10)


def marker_series(n: int) -> dict:
    """A partner's points: no line, a marker of its own shape and colour."""
    colour = COLOURS[n % len(COLOURS)]
    return {"line": {"none": True}, "marker": {"type": MARKERS[n % len(MARKERS)], "size": 7,
                                               "border": {"color": colour}, "fill": {"color": colour}}}


def insert(ws, row: int, col: int, chart, alt: str, width: int, height: int) -> None:
    """Place `chart` with its top left corner at (row, col), `width` by `height` pixels, with its alternative text."""
    chart.set_size({"width": width, "height": height})
    ok(ws.insert_chart(row, col, chart, {"description": text(alt, ALT_LIMIT), "object_position": 1}), "a chart")
