"""How far a worksheet's cells with content reach, read from its XML without building the sheet.

The reader measures every returned sheet this way before any spreadsheet library opens it, so a
file declaring a value a million rows down is refused rather than allocated. Empty and merely
styled cells do not count.
"""

from __future__ import annotations

import re

from sheetkit.common.verify import verified

_SHEET_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF_ATTR = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{0,3})\$?(\d*)["']""")


def content_extent(data: bytes, max_row: int, max_col: int) -> tuple[int, int]:
    """(last row, last column), counted from one, of the cells with content in a worksheet's XML.

    Past either limit the count may stop early: the result is then only known to be beyond it.
    """
    quick = _quick_extent(data)
    if quick is None:
        return _walked_extent(data, max_row, max_col)
    if quick[0] <= max_row and quick[1] <= max_col:  # past a limit the walk stops early: no equal result
        verified(lambda: _walked_extent(data, max_row, max_col), quick, "a sheet's extent")
    return quick


def _walked_extent(data: bytes, max_row: int, max_col: int) -> tuple[int, int]:
    """(last row, last column) of the cells with content, counting rows and cells without r="...",
    as readers do; the walk stops once either passes its limit."""
    row = col = last_row = last_col = 0
    for match in _SHEET_ELEMENT.finditer(data):
        ref = _REF_ATTR.search(match.group(2))
        if match.group(1) == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and ref.group(1):
            col = col_number(ref.group(1).upper().decode())
            row = int(ref.group(2)) if ref.group(2) else row
        else:
            col += 1
        if not match.group(2).rstrip().endswith(b"/"):  # a cell with content
            last_row, last_col = max(last_row, row), max(last_col, col)
        if last_row > max_row or last_col > max_col:
            break
    return last_row, last_col


_NAMESPACED = re.compile(rb":(?:row|c)[\s/>]")  # a prefixed <x:row> or <x:c>, or text that looks like one
_ROW_WITHOUT_REF = re.compile(rb'<row(?=[\s/>])(?!\s[^>]*?\br="\d+")')
_CELL_WITHOUT_REF = re.compile(rb'<c(?=[\s/>])(?!\s[^>]*?\br="[A-Z]{1,3}\d+")')
_CONTENT_CELLS = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*(?<!/)>')  # not closed at once (<c .../>)


def _quick_extent(data: bytes) -> tuple[int, int] | None:
    """(last row, last column) of the cells with content when every <row> and <c> carries a plain
    r="..." (as every spreadsheet program writes them); None when any does not, or may not.

    Each search finds one kind of element only, so the scanner skips ahead to its next tag: this
    runs on every sheet of every return."""
    if _NAMESPACED.search(data) or _ROW_WITHOUT_REF.search(data) or _CELL_WITHOUT_REF.search(data):
        return None
    full = _CONTENT_CELLS.findall(data)
    if not full:
        return 0, 0
    last_row = max(map(int, {number for _, number in full}))
    widest = max({letters for letters, _ in full}, key=lambda letters: (len(letters), letters))
    return last_row, col_number(widest.decode())


def col_number(letters: str) -> int:
    """1 for column A, 28 for AB (counted from one, as in sheet XML)."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number
