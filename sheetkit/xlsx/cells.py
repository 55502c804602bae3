"""The one way text reaches a cell in any workbook sheetkit writes: as plain text, exactly.

Respondents' answers, names and file names, and framework text, are data. Whatever they
contain, they are written as a plain string: never a formula, a link, rich text or raw XML.

XlsxWriter takes any string that starts with ``<r>`` and ends with ``</r>`` for a rich string
it built itself, and copies it into the sheet (constant-memory mode) or the shared-strings
part unescaped, so such a text could plant cells, formulas or broken XML in the file.
:class:`TextWorkbook` makes every worksheet a :class:`TextWorksheet`, which writes those
strings escaped like any other text and refuses rich strings altogether.

The file format escapes characters XML cannot carry as ``_xHHHH_`` and a literal ``_xHHHH_``
as ``_x005F_xHHHH_``; :func:`cell_xml` does the same for the sheets written as XML directly.
Only characters no XML 1.0 document can hold in any form (unpaired surrogates, which only
arrive from undecodable file names or arguments) are replaced, by the \\xHH escape of the
byte they stand for (as reports show names); :func:`plain_text` says when
that happened so the caller can report it.
"""

from __future__ import annotations

import datetime as dt
import re

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from sheetkit.common.limits import TEXT_LIMIT
from .pinned import check_xlsxwriter
from .styles import WriteError

try:  # private: an XlsxWriter without them fails check_xlsxwriter() with what to install, before any write
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.worksheet import CellStringTuple
except ImportError:
    _preserve_whitespace = CellStringTuple = None
from sheetkit.common.text import encodable, utf16_length

CUT_MARKER = " [cut here: the full text is in the Responses CSV]"
_UNREPRESENTABLE = re.compile("[\ud800-\udfff]")
# The underscore of every "_xHHHH_" in the text, overlapping ones included ("_x005F_x0041_" has two).
_LITERAL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_OVERLAPPING_ESCAPES = re.compile("_x[0-9A-Fa-f]{4}_x[0-9A-Fa-f]{4}_")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_MARKUP = re.compile("[&<>]")
_NEEDS_ESCAPE = re.compile("[&<>_\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")
_UNPRINTABLE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_TEXT_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}



def fit_cell(value) -> str:
    """A value as cell text, cut (with a note saying so) to what a cell holds (32,767 UTF-16 units)."""
    text = "" if value is None else str(value)
    if len(text) * 2 <= TEXT_LIMIT or utf16_length(text) <= TEXT_LIMIT:
        return text
    budget, used = TEXT_LIMIT - len(CUT_MARKER), 0
    for end, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            return text[:end] + CUT_MARKER
    return text


def plain_text(value) -> tuple[str, bool]:
    """`value` as cell text (fitted to a cell) and whether characters XML cannot hold were replaced."""
    text = fit_cell(value)
    if not _UNREPRESENTABLE.search(text):
        return text, False
    return encodable(text), True



def format_escape(text: str) -> str:
    """The file format's own escapes: ``_xHHHH_`` for control characters, ``_x005F_`` before a literal one."""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub("_x005F_", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def cell_xml(text: str) -> str:
    """Plain text escaped for a sheet's XML as the file format requires (``<t>`` content)."""
    text = fit_cell(text)
    if not _NEEDS_ESCAPE.search(text):  # most text: one scan, for speed on long tables
        return text
    text = format_escape(encodable(text))
    if _MARKUP.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class _Plain(str):
    """Marks a string kept out of the shared-strings table so it cannot be taken for rich text."""


def _kept_inline(text: str) -> bool:
    """Text the shared-strings part would write wrongly: taken for rich text, or escaped ambiguously."""
    return (text.startswith("<r>") and text.endswith("</r>")) or bool(_OVERLAPPING_ESCAPES.search(text))


# Worksheet methods that report a write they dropped (a cell past the sheet's last row or column,
# a text cut at 32,767 characters, a rule or range XlsxWriter refused) by returning -1, -2 or -3.
_CHECKED_METHODS = (
    "write", "write_string", "write_number", "write_blank", "write_formula", "write_datetime", "write_boolean",
    "write_url", "write_array_formula", "write_dynamic_array_formula", "write_row", "write_column",
    "merge_range", "set_row", "set_column", "set_row_pixels", "set_column_pixels", "add_table", "autofilter",
    "data_validation", "conditional_format", "write_comment", "insert_image", "insert_textbox", "print_area",
    "repeat_columns", "unprotect_range", "ignore_errors", "add_sparkline",
)
_CHECKED_WORKBOOK_METHODS = ("define_name", "set_custom_property")


def _checked(method):
    """`method`, raising WriteError instead of returning XlsxWriter's 'dropped' codes."""
    def call(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        if isinstance(result, int) and not isinstance(result, bool) and result < 0:
            where = f" on sheet {self.name!r}" if isinstance(self, Worksheet) else ""
            raise WriteError(f"internal error: XlsxWriter dropped {method.__name__}{args!r:.200}{where} "
                             f"(it returned {result}); nothing was saved")
        return result
    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


class TextWorksheet(Worksheet):
    """A worksheet that writes every string as escaped plain text and never writes rich text, and that
    raises WriteError for any write XlsxWriter drops rather than passing it silently."""

    # XlsxWriter's own version leaves "_x005F_x0041_" ambiguous (it escapes one underscore, not two).
    # It is also handed numbers (a validation's bounds), which pass unchanged, as in XlsxWriter.
    _escape_control_characters = staticmethod(lambda data: format_escape(data) if isinstance(data, str) else data)

    def _write_string(self, row, col, string, cell_format=None):
        if self.constant_memory or not _kept_inline(string):
            return super()._write_string(row, col, string, cell_format)
        # Shared-strings mode: keep the text in the cell itself, written as an escaped inline string.
        if self._check_dimensions(row, col):
            return -1
        self.table[row][col] = CellStringTuple(_Plain(string), cell_format)
        return 0

    def _xml_string_element(self, index, attributes=[]) -> None:
        if not isinstance(index, _Plain):
            return super()._xml_string_element(index, attributes)
        text = self._escape_control_characters(index)
        return self._xml_inline_string(text, _preserve_whitespace(text), attributes)

    def _xml_rich_inline_string(self, string, attributes=[]) -> None:
        # Constant-memory mode sends any "<r>...</r>" string here; sheetkit writes no rich text.
        return self._xml_inline_string(string, _preserve_whitespace(string), attributes)

    def _prepare_formula(self, formula, expand_future_functions=False):
        # XlsxWriter tries some 150 patterns, each ending in "(", on every formula and conditional
        # format value; one without "(" (a quoted choice, a number) is only stripped of "{", "=" and "}".
        if "(" in formula:
            return super()._prepare_formula(formula, expand_future_functions)
        formula = formula[1:] if formula.startswith("{") else formula
        formula = formula[1:] if formula.startswith("=") else formula
        return formula[:-1] if formula.endswith("}") else formula

    def write_rich_string(self, *args, **kwargs):
        raise TypeError("sheetkit writes no rich text; use cells.write_text")

    def _get_range_data(self, row_start, col_start, row_end, col_end):
        # A chart's cached values: XlsxWriter looks every text up as a shared-string index, but text kept
        # inline (see _write_string) is its own value.
        shared = self.str_table
        self.str_table = _InlineAware(shared)
        try:
            return super()._get_range_data(row_start, col_start, row_end, col_end)
        finally:
            self.str_table = shared


class _InlineAware:
    """The shared-strings table as a chart's cache reads it: an inline text is its own value."""

    def __init__(self, table):
        self.table = table

    def _get_shared_string(self, index):
        return str(index) if isinstance(index, _Plain) else self.table._get_shared_string(index)


class TextWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook whose sheets write text only as text (see the module docstring)."""

    worksheet_class = TextWorksheet

    def __init__(self, filename, options: dict | None = None):
        check_xlsxwriter()
        super().__init__(filename, dict(options or {}, **_TEXT_OPTIONS))


for _name in _CHECKED_METHODS:
    setattr(TextWorksheet, _name, _checked(getattr(Worksheet, _name)))
for _name in _CHECKED_WORKBOOK_METHODS:
    setattr(TextWorkbook, _name, _checked(getattr(xlsxwriter.Workbook, _name)))


def write_text(ws: TextWorksheet, row: int, col: int, text, fmt=None) -> bool:
    """Write `text` as a plain string, exactly (None: a blank cell). True if characters were replaced."""
    if not isinstance(ws, TextWorksheet):
        raise TypeError("write_text needs a sheet of a cells.TextWorkbook")
    if text is None:
        ws.write_blank(row, col, None, fmt)
        return False
    text, replaced = plain_text(text)
    ws.write_string(row, col, text, fmt)
    return replaced


def write_value(ws: TextWorksheet, row: int, col: int, value, formats: dict) -> bool:
    """Write a number, a date or text with the matching style from `formats`; see write_text."""
    if value is None or value == "":
        ws.write_blank(row, col, None)
    elif isinstance(value, bool) or not isinstance(value, (int, float, dt.date)):
        return write_text(ws, row, col, value, formats["text"])
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, formats["number"] if isinstance(value, float) else formats["integer"])
    else:
        ws.write_datetime(row, col, value, formats["date"])
    return False
