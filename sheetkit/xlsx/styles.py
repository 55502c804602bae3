"""Cell styles shared by every workbook sheetkit writes, and the xlsxwriter guard rails.

Answer cells are pale yellow with a border and say "(type here)" in their header, so
they are visibly distinct from locked text without relying on colour alone.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import xlsxwriter

from sheetkit.common.errors import SheetkitError

FONT = "Arial"
ANSWER_FILL = "#FFF7D6"
ANSWER_BORDER = "#BFA640"
HEADER_FILL = "#DCE6F1"
LOCKED_FILL = "#F2F2F2"
DATE_FORMAT = "d mmm yyyy"

STYLES: dict[str, dict] = {
    "title": {"bold": True, "font_size": 16, "font_name": FONT},
    "subtitle": {"italic": True, "font_size": 11, "font_name": FONT, "text_wrap": True, "valign": "top"},
    "note": {"italic": True, "font_size": 11, "font_name": FONT},
    "heading": {"bold": True, "font_size": 12, "font_name": FONT, "bottom": 1},
    "header": {"bold": True, "font_name": FONT, "bg_color": HEADER_FILL, "border": 1, "text_wrap": True,
               "valign": "top"},
    "label": {"bold": True, "font_name": FONT, "valign": "top", "text_wrap": True},
    "text": {"font_name": FONT, "text_wrap": True, "valign": "top"},
    "item": {"bold": True, "font_name": FONT, "text_wrap": True, "valign": "top", "bg_color": LOCKED_FILL, "top": 1},
    "ref": {"font_name": FONT, "valign": "top", "bold": True},
    "prompt": {"font_name": FONT, "text_wrap": True, "valign": "top", "font_color": "#404040", "font_size": 9},
    "muted": {"font_name": FONT, "valign": "top", "bg_color": LOCKED_FILL},
    # Last round's answers, shown beside this round's: locked, grey, smaller (not italic: a conditional
    # format can give a cell pasted into back its colours, but cannot take italics away).
    "previous": {"font_name": FONT, "text_wrap": True, "valign": "top", "bg_color": LOCKED_FILL, "font_size": 9,
                 "font_color": "#404040", "num_format": "@"},
    "previous_date": {"font_name": FONT, "valign": "top", "align": "left", "bg_color": LOCKED_FILL, "font_size": 9,
                      "font_color": "#404040", "num_format": DATE_FORMAT},
    "carried": {"font_name": FONT, "valign": "top", "bg_color": LOCKED_FILL, "bold": True, "text_wrap": True},
    # Answer cells are Text, so what is typed is kept as typed ("50%", "007", "=1+1" stay text).
    "answer": {"font_name": FONT, "text_wrap": True, "valign": "top", "bg_color": ANSWER_FILL, "border": 1,
               "border_color": ANSWER_BORDER, "locked": False, "num_format": "@"},
    "answer_date": {"font_name": FONT, "valign": "top", "bg_color": ANSWER_FILL, "border": 1,
                    "border_color": ANSWER_BORDER, "locked": False, "num_format": DATE_FORMAT},
    "number": {"font_name": FONT, "valign": "top", "num_format": "0.0"},
    "integer": {"font_name": FONT, "valign": "top", "num_format": "0"},
    "date": {"font_name": FONT, "valign": "top", "num_format": DATE_FORMAT},
    "percent": {"font_name": FONT, "valign": "top", "num_format": "0%"},
    "link": {"font_name": FONT, "font_color": "#0563C1", "underline": 1, "valign": "top"},
    "flag": {"font_name": FONT, "bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True,
             "valign": "top"},
}

# An answer cell's look again, as a conditional format over a whole table for every unlocked cell in it:
# a value pasted into an answer cell brings its source's look with it (a Last round cell's grey), but
# not its lock, so this puts the answer's look back over whatever was pasted.
ANSWER_LOOK = {"bg_color": ANSWER_FILL, "font_color": "#000000", "border": 1, "border_color": ANSWER_BORDER}

# Level colours from weakest (red) to strongest (green); a level's colour is picked by its
# position on the scale, so scales of any length get a sensible spread.
LEVEL_COLOURS = ["#F8696B", "#FA9473", "#FCBF7B", "#FFEB84", "#CCDD82", "#98CE7F", "#63BE7B"]

WORKBOOK_OPTIONS = {
    # Text is always text: nothing a respondent (or a CSV of respondents) wrote may become
    # a formula, a link or a number in a workbook sheetkit writes.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    # Each sheet's XML is built in memory rather than in a temporary file: a quarter less CPU per
    # respondent workbook; the consolidated workbook's long tables are streamed in after saving.
    "in_memory": True,
}


def level_colour(position: int, count: int) -> str:
    """The fill for the level at `position` (0-based) of `count` levels."""
    if count <= 1:
        return LEVEL_COLOURS[-1]
    index = round(position * (len(LEVEL_COLOURS) - 1) / (count - 1))
    return LEVEL_COLOURS[index]


def add_formats(workbook: xlsxwriter.Workbook) -> dict:
    return {name: workbook.add_format(spec) for name, spec in STYLES.items()}


class WriteError(SheetkitError):
    """xlsxwriter refused or warned about something: a defect, never to be ignored."""


def ok(result, what: str) -> None:
    """Treat any non-zero xlsxwriter return value as a failure."""
    if result not in (0, None):
        raise WriteError(f"could not write {what} (xlsxwriter returned {result})")


@contextmanager
def strict_xlsxwriter():
    """Turn every xlsxwriter warning into an error while writing."""
    with warnings.catch_warnings():
        # UserWarning only: XlsxWriter's own; a file left open by an interrupted write must stay quiet.
        warnings.simplefilter("error", UserWarning)
        try:
            yield
        except UserWarning as exc:
            raise WriteError(f"xlsxwriter warned: {exc}") from exc


def row_height(cells: list[tuple[str, float, int]], minimum: float = 15.0) -> float:
    """Points needed to show wrapped texts in full: cells are (text, column width, font size).

    Spreadsheet programs do not all grow rows for wrapped text on opening (LibreOffice keeps
    the stored height), so sheetkit sets heights itself from a character-width estimate.
    """
    height = minimum
    for text, width, size in cells:
        if not text:
            continue
        per_line = max(1, int(width * (10.5 / size)))
        text = str(text)
        if "\n" in text:
            lines = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        else:
            lines = max(1, -(-len(text) // per_line))
        height = max(height, lines * size * 1.32 + 4)
    return min(height, 409.0)  # the largest row height spreadsheets allow
