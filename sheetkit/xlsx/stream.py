"""Stream very long tables into a finished workbook, far faster than cell-by-cell writing.

The consolidated workbook's Responses and Evidence sheets hold one row per answer: hundreds
of thousands of rows for a regional exercise. xlsxwriter writes their header, widths,
filters and frozen panes; this module then writes the data rows as sheet XML directly into
the saved file. Every value is written as an inline string (escaped by cells.cell_xml, exactly as the
format requires), a number or a date serial: never a formula, never a link.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

from sheetkit.common import limits
from .cells import _NEEDS_ESCAPE, cell_xml
from sheetkit.common.limits import TEXT_LIMIT
from sheetkit.common.text import column_letters
from .styles import WriteError

_EPOCH = dt.date(1899, 12, 30)
_PLAIN_LENGTH = TEXT_LIMIT // 2  # text this short fits a cell however its characters are counted
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


class Raw(str):
    """A cell already written as XML (made by a RowEncoder), put into a row as it is."""


class RowEncoder:
    """Turns rows of Python values into sheet XML, with the workbook's style indexes."""

    binary = False  # rows come out as text

    def __init__(self, text_style: int, integer_style: int, number_style: int, date_style: int, columns: int,
                 same_number: bool = False, number_styles: Sequence[int | None] | None = None):
        self.styles = (text_style, integer_style, number_style, date_style)
        self.refs = [column_letters(c) for c in range(columns)]
        # A column's own style for its numbers (a percentage, a count centred), where it has one.
        self.number_styles = list(number_styles) if number_styles and any(s is not None for s in number_styles) \
            else [None] * columns
        # Rows all given the same number (a mark, filled in later): a text met again is encoded once.
        self._seen: dict | None = {} if same_number else None

    def row(self, number: int, values: Sequence) -> str:
        """One row's XML; `values` may be (style index, values) to give its text another style."""
        text_s, int_s, num_s, date_s = self.styles
        if len(values) == 2 and isinstance(values[0], int) and isinstance(values[1], tuple):
            text_s, values = values
        cells = []
        for ref, value, own in zip(self.refs, values, self.number_styles):
            kind = type(value)
            if kind is str:  # most cells: plain text, most of it needing no escape
                if not value:
                    continue
                seen = self._seen
                if seen is not None and (ref, text_s, value) in seen:
                    cells.append(seen[(ref, text_s, value)])
                    continue
                text = value if len(value) <= _PLAIN_LENGTH and not _NEEDS_ESCAPE.search(value) else cell_xml(value)
                cell = f'<c r="{ref}{number}" s="{text_s}" t="inlineStr"><is>{_text_element(text)}</is></c>'
                if seen is not None:
                    seen[(ref, text_s, value)] = cell
                cells.append(cell)
            elif value is None:
                continue
            elif kind is int:
                cells.append(f'<c r="{ref}{number}" s="{int_s if own is None else own}"><v>{value}</v></c>')
            else:
                cell = self._other(ref, number, value, text_s, int_s if own is None else own,
                                   num_s if own is None else own, date_s)
                if cell:
                    cells.append(cell)
        return f'<row r="{number}">{"".join(cells)}</row>'

    @staticmethod
    def _other(ref: str, number, value, text_s, int_s, num_s, date_s) -> str:
        """A cell of any value other than plain text or a plain integer ('' for none)."""
        if value == "":
            return ""
        if isinstance(value, Raw):
            return value
        where = f"{ref}{number}"
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, int):
            return f'<c r="{where}" s="{int_s}"><v>{value}</v></c>'
        if isinstance(value, float):
            return f'<c r="{where}" s="{num_s}"><v>{value!r}</v></c>'
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            return f'<c r="{where}" s="{date_s}"><v>{(day - _EPOCH).days}</v></c>'
        return f'<c r="{where}" s="{text_s}" t="inlineStr"><is>{_text_element(cell_xml(str(value)))}</is></c>'

    def cell(self, number, column: int, value) -> str:
        """One cell's XML as row() writes it ('' for an empty value)."""
        xml = self.row(number, [None] * column + [value])
        return xml[xml.index(">") + 1:-len("</row>")]


def _text_element(text: str) -> str:
    """An inline string's <t>, marked to keep its spaces only when it starts or ends with one (as XlsxWriter
    writes its own inline strings)."""
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class EncodedRows:
    """Rows encoded ahead (see sheetkit.report.prepared), numbered as they are written: each row's
    ROW_MARK (a byte no cell's text can hold: cell_xml escapes control characters) becomes its number."""

    binary = True  # rows come out as bytes

    def row(self, number: int, encoded: bytes) -> bytes:
        return encoded.replace(ROW_MARK, b"%d" % number)


ROW_MARK = b"\x01"


def stream_rows(workbook: Path, tables: dict[str, tuple[int, Iterable[Sequence], RowEncoder]]) -> None:
    """Append rows to sheets of a saved workbook, in one pass over the file.

    `tables` maps a sheet part (e.g. 'xl/worksheets/sheet8.xml') to (the 1-based number of
    its first new row, the rows, their encoder).
    """
    temp = workbook.with_name(workbook.name + ".stream")
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename not in tables:
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            first_row, rows, encoder = tables[info.filename]
            xml = _DIMENSION.sub("", data.decode("utf-8"), count=1)  # the extent is no longer the header's
            head, tail = xml.split("</sheetData>", 1) if "</sheetData>" in xml else xml.split("<sheetData/>", 1)
            if "<sheetData" not in head:
                head += "<sheetData>"
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED  # a bare ZipInfo would be stored uncompressed
            # Level 1: these parts are large, and speed matters more than the last few per cent.
            setattr(entry, "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel", 1)
            with out.open(entry, "w", force_zip64=True) as part:
                part.write(head.encode("utf-8"))
                batch = []
                join = b"".join if encoder.binary else lambda rows: "".join(rows).encode("utf-8")
                for number, values in enumerate(rows, start=first_row):
                    if number > limits.SHEET_ROWS:
                        raise WriteError(f"internal error: {info.filename} would pass a sheet's last row "
                                         f"({limits.SHEET_ROWS:,}); nothing was saved")
                    batch.append(encoder.row(number, values))
                    if len(batch) >= 2000:
                        part.write(join(batch))
                        batch = []
                part.write(join(batch))
                part.write(("</sheetData>" + tail).encode("utf-8"))
    shutil.move(temp, workbook)
