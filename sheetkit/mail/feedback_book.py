"""The feedback workbook, drawn as a letter a partner can act on, on screen and on paper.

Its first sheet says what the feedback is for, who to reply to, by when and how (in the reply
sheet's cells, whose rows are headed by the item's Ref as every table of the workbook is, or,
for an item not asked about, by email naming the Ref), which of the partner's ratings were not counted and
why, and what the figures mean. The tables follow: every rating beside the partnership's, the
items where the partner differs, the actions other partners proposed (and their evidence, when
the lead allows it). Every row is given the height its text needs, and every sheet prints on
A4 fitted to its width, its header row repeated, each page headed by the sheet's title.

The data comes from :mod:`sheetkit.mail.feedback`; nothing a partner typed is written other than
as plain text (:func:`sheetkit.xlsx.cells.write_text`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from sheetkit.common.text import clip
from sheetkit.xlsx.cells import TextWorkbook, fit_cell, write_text, write_value
from sheetkit.xlsx.styles import WORKBOOK_OPTIONS, add_formats, strict_xlsxwriter
from sheetkit.xlsx.text_fit import points_needed

ABOUT = "About this feedback"
RATINGS, DIFFER, ACTIONS, EVIDENCE = "Your ratings", "Where you differ", "Others' actions", "Others' evidence"
RATING_COLUMNS = (("Ref", 7), ("Section", 9), ("Item", 52), ("Your rating", 13), ("Median of all", 10),
                  ("Lowest", 8), ("Highest", 8), ("Partners rating it", 10), ("Median of the others", 11),
                  ("Where you sit", 22))
# followed by the action plan's columns that feedback shares (its due date, priority, ...)
ACTION_COLUMNS = (("Ref", 7), ("Section", 9), ("Item", 40), ("Action proposed by another partner", 64))
EVIDENCE_COLUMNS = (("Ref", 7), ("Section", 9), ("Item", 36), ("Question", 26), ("Another partner's answer", 72))
ABOUT_WIDTHS = (26, 96)
FONT = 11  # the body text size of every sheet here
TITLE_POINTS = 22.0
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}


def write_book(path: Path, letter: list[tuple[str, str]], title: str, tables: list[tuple[str, str, tuple, list]],
               footer: str, written_at: dt.datetime, workbook_class: type[TextWorkbook] = TextWorkbook,
               finish: Callable[[TextWorkbook, dict], None] | None = None) -> None:
    """The workbook: the letter (label, text pairs) on its first sheet, then each (sheet, title, columns,
    rows) table; `footer` names the partner on every printed page. `finish(workbook, formats)` adds
    what comes last (the reply sheet, and the seal that locks every sheet)."""
    with strict_xlsxwriter():
        wb = workbook_class(str(path), WORKBOOK_OPTIONS)
        try:
            f = add_formats(wb)
            _letter(wb.add_worksheet(ABOUT), f, title, letter, footer)
            for name, caption, columns, rows in tables:
                _table(wb.add_worksheet(name), f, caption, columns, rows, footer)
            if finish is not None:
                finish(wb, f)
            wb.set_properties({"title": title, "author": "sheetkit",
                               "created": written_at.astimezone(dt.timezone.utc).replace(tzinfo=None)})
        finally:
            wb.close()


def _letter(ws, f, title: str, letter: list[tuple[str, str]], footer: str) -> None:
    ws.set_column(0, 0, ABOUT_WIDTHS[0])
    ws.set_column(1, 1, ABOUT_WIDTHS[1])
    write_text(ws, 0, 0, title, f["title"])
    ws.set_row(0, TITLE_POINTS)
    for row, (label, text) in enumerate(letter, start=2):
        write_text(ws, row, 0, label, f["label"])
        write_text(ws, row, 1, text, f["text"])
        ws.set_row(row, _height([(label, ABOUT_WIDTHS[0]), (text, ABOUT_WIDTHS[1])]))
    _print(ws, ABOUT, footer, portrait=True)
    ws.activate()


def _table(ws, f, caption: str, columns: tuple, rows: list, footer: str) -> None:
    write_text(ws, 0, 0, caption, f["title"])
    ws.set_row(0, TITLE_POINTS)
    widths = [width for _, width in columns]
    for col, (header, width) in enumerate(columns):
        ws.set_column(col, col, width)
        write_text(ws, 2, col, header, f["header"])
    ws.set_row(2, _height([(header, width) for header, width in columns]))
    for r, values in enumerate(rows, start=3):
        for col, value in enumerate(values):
            write_value(ws, r, col, fit_cell(value) if isinstance(value, str) else value, f)
        ws.set_row(r, _height([(value, width) for value, width in zip(values, widths) if isinstance(value, str)]))
    if not rows:
        write_text(ws, 3, 0, "None.", f["note"])
    ws.freeze_panes(3, 0)
    ws.repeat_rows(2)
    _print(ws, caption, footer)


def _height(cells: list[tuple[str, float]]) -> float:
    """The height that shows every wrapped text of a row in full (at most a spreadsheet's 409 points)."""
    return min(409.0, max([15.0] + [points_needed(text, width, FONT) for text, width in cells if text]))


def _print(ws, heading: str, footer: str, portrait: bool = False) -> None:
    """A4, fitted to the page's width, every page headed by the sheet's title and footed by the partner."""
    ws.set_paper(9)
    ws.set_margins(**MARGINS)
    if not portrait:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_header(f"&L{_code_safe(heading, 120)}", {"margin": 0.25})
    ws.set_footer(f"&L{_code_safe(footer, 80)}&CPage &P of &N", {"margin": 0.25})


def _code_safe(text: str, limit: int) -> str:
    """Text for a printed header or footer: '&' doubled, so that it is not read as a code."""
    return clip(text, limit).replace("&", "&&")
