"""Long-table rows encoded ahead (by :mod:`sheetkit.report.prepared`), made ready for the workbook.

A block holds one return's rows of one table, separated by ROW_SEPARATOR, with marks where the
writer fills in what only it knows: the file's name as the folder shows it (FILE_MARK, Responses
only) and each row's number (sheetkit.xlsx.stream.ROW_MARK). (The style numbers are the same in
every consolidated workbook: see sheetkit.report.workbook.stream_style_numbers.) No cell's text
can hold a mark: the encoder writes control characters escaped (_x0001_).
"""

from __future__ import annotations

from typing import Iterable, Iterator

from sheetkit.xlsx.stream import ROW_MARK, RowEncoder

STYLES = ("text", "integer", "number", "date")  # the styles a RowEncoder takes, in order
FILE_MARK = "\x02"  # a Responses row's file cell
ROW_SEPARATOR = b"\x00"


def numbered(blocks: Iterable[tuple[str, bytes]], styles: dict[str, int], text_style: str,
             files: dict[str, str] | None = None, file_column: int = 0, columns: int = 0) -> Iterator[bytes]:
    """The rows of stored blocks, in order, with (given `files`, partner -> file name) each Responses row's
    file cell, in the styles `styles` gives (the text style being `text_style`); each row still holds
    ROW_MARK for its number (see sheetkit.xlsx.stream.EncodedRows)."""
    numbers = [styles[text_style if name == "text" else name] for name in STYLES]
    file_cells: dict[str, bytes] = {}
    for partner, block in blocks:
        if files is not None:
            if partner not in file_cells:
                file_cells[partner] = _file_cell(files.get(partner, ""), numbers, file_column, columns)
            block = block.replace(FILE_MARK.encode(), file_cells[partner])
        if block:  # a return with no rows in the table stores an empty block
            yield from block.split(ROW_SEPARATOR)


def _file_cell(file: str, numbers: list[int], column: int, columns: int) -> bytes:
    """The file's cell of a Responses row, as the encoder writes it ('' for no file: no cell)."""
    encoder = RowEncoder(*numbers, columns)
    return encoder.cell(ROW_MARK.decode(), column, file).encode("utf-8")
