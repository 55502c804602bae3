"""Writing .xlsx files safely: text that never becomes a formula, link or rich text, the styles
every workbook shares, XlsxWriter's silent failures turned into errors, room for text in a
cell, and long tables streamed into a finished workbook.
"""

from .cells import TextWorkbook, write_text, write_value, fit_cell
from .pinned import check_xlsxwriter, UntestedLibrary
from .styles import add_formats, strict_xlsxwriter, ok, WORKBOOK_OPTIONS
from .text_fit import points_needed, split_for_row, fit_units
from .stream import stream_rows

__all__ = [
    "TextWorkbook",
    "write_text",
    "write_value",
    "fit_cell",
    "add_formats",
    "strict_xlsxwriter",
    "ok",
    "WORKBOOK_OPTIONS",
    "points_needed",
    "split_for_row",
    "fit_units",
    "stream_rows",
    "check_xlsxwriter",
    "UntestedLibrary",
]
