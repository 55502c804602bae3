"""Lists people keep in spreadsheets: read a table the way Excel and LibreOffice write it.

One function reads the respondents list and the build manifest. A CSV may be UTF-8 with or
without a byte-order mark, or Windows-1252 ("ANSI", what Excel's plain "CSV" choice writes
on a Windows PC in Britain); it may be separated by commas or by semicolons (what Excel
writes where the decimal mark is a comma). The separator is found from the header row, which
must hold the column the caller needs, never guessed from the data alone. A list kept as a
workbook is read from its first sheet, the header in the first row, whatever its name: a
workbook starts as a zip or an OLE file and a list saved as text does not (see
:func:`_is_workbook`), so the spreadsheet library is handed the one and the CSV reader the other.

CSVs written for people carry a byte-order mark, without which Excel reads UTF-8 as
Windows-1252 and "Ynys Môn" turns into "Ynys MÃ´n"; cells that a spreadsheet would run as a
formula are prefixed with an apostrophe, and :func:`unprotect` takes that prefix off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from .containers import container_of
from .errors import UsageError

SEPARATORS = ",;"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_BYTES = 20 * 1024 * 1024  # a list of respondents or a manifest is a few kilobytes


@dataclass
class Table:
    """The rows of a list, each a dict of lower-cased header to stripped text, with its row number."""

    path: Path
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    warnings: list[str] = field(default_factory=list)  # about the whole file; the caller names the file


def read_table(path: str | Path, required: str, what: str) -> Table:
    """Read a CSV or a workbook's first sheet whose header row holds the column `required`.

    `what` names the list in messages ("the respondents list"). Problems raise UsageError
    naming the file, the row and what to do.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"{path}: {path.stat().st_size // 2**20} MB is far larger than {what} can be; "
                             f"check that this is the right file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give the path of {what}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder; give the path of {what} (a .csv, .xlsx or .ods file)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc}); if it is open in Excel, close it "
                         f"and try again") from None
    if _is_workbook(data):
        return _from_workbook(path, data, required, what)
    text, warnings = _decode(path, data)
    return _from_text(path, text, required, what, warnings)


def _is_workbook(data: bytes) -> bool:
    """Whether a file is a workbook (a zip or an OLE file, by its first bytes) rather than text,
    which may hold any character, a zero byte included, in any of its cells."""
    return container_of(data[:8]) != ""


def _decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), []  # Excel's "Unicode text"
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        line = data[:utf8_error.start].count(b"\n") + 1
        raise UsageError(f"{path}, row {line}: the text is neither UTF-8 nor Windows-1252; open it in Excel "
                         f"or LibreOffice and save it as 'CSV UTF-8'") from None
    line = data[:utf8_error.start].count(b"\n") + 1
    return text, [f"not UTF-8 (first at row {line}), so it was read as Windows-1252 (Excel's plain "
                  f"'CSV'); check that accented names such as 'Môn' read correctly, and save it as "
                  f"'CSV UTF-8' to be sure"]


def _from_text(path: Path, text: str, required: str, what: str, warnings: list[str]) -> Table:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    separator = _separator(text, first_line, required)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as exc:
        raise UsageError(f"{path}: not a readable CSV ({exc}); open it in Excel or LibreOffice and save it "
                         f"as 'CSV UTF-8'") from None
    return _table(path, records, required, what, warnings, separator)


def _separator(text: str, first_line: str, required: str) -> str:
    """Comma or semicolon: the one that splits the header row into a row holding `required`."""
    fits = [s for s in SEPARATORS if required in _header(first_line, s)]
    if len(fits) == 1:
        return fits[0]
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=SEPARATORS).delimiter
    except csv.Error:
        sniffed = ","
    return sniffed if not fits or sniffed in fits else fits[0]


def _header(line: str, separator: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=separator), [])
    except csv.Error:
        return []
    return [_name(c) for c in cells]


def _name(cell) -> str:
    return " ".join(str(cell or "").split()).lower()


def _table(path: Path, records: list[list], required: str, what: str, warnings: list[str],
           separator: str = ",") -> Table:
    numbered = [(n, rec) for n, rec in enumerate(records, start=1) if any(_text(v) for v in rec)]
    if not numbered:
        raise UsageError(f"{path}: {what} is empty; it needs a header row with a '{required}' column")
    header_row, header = numbered[0]
    headers = [_name(c) for c in header]
    if required not in headers:
        found = ", ".join(repr(h) for h in headers if h) or "nothing"
        hint = ""
        if len(header) == 1 and any(s in str(header[0]) for s in ",;\t|"):
            hint = " (the header row is one cell: the columns may be separated by tabs or another character " \
                   "sheetkit does not read; save it as 'CSV UTF-8', which separates them with commas)"
        raise UsageError(f"{path}, row {header_row}: no '{required}' column (found: {found}){hint}; {what} "
                         f"needs a header row naming its columns, with at least '{required}'")
    rows = []
    for number, record in numbered[1:]:
        row = {h: _text(v) for h, v in zip(headers, record) if h}
        extra = [v for v in record[len(headers):] if _text(v)]
        if extra:
            where = f"column {_column_name(len(headers) + 1)}"
            raise UsageError(f"{path}, row {number}, {where}: more cells than the header row has columns "
                             f"({len(record)} for {len(headers)}); a value may contain a '{separator}' that is "
                             f"not inside quotes. Fix that row and try again")
        rows.append((number, row))
    return Table(path, headers, rows, warnings)


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    return "" if value is None else str(value).strip()


def _column_name(number: int) -> str:
    from .text import column_letters

    return column_letters(number - 1)


def _from_workbook(path: Path, data: bytes, required: str, what: str) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))  # by its content, whatever its name
        if not book.sheet_names:
            raise UsageError(f"{path}: the workbook has no sheets; {what} goes on its first sheet")
        records = book.get_sheet_by_index(0).to_python()
    except UsageError:
        raise
    except Exception as exc:  # calamine's errors have no common base class
        raise UsageError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc}); save it again "
                         f"from Excel or LibreOffice, or as 'CSV UTF-8'") from None
    return _table(path, records, required, what, [])


def unprotect(text: str) -> str:
    """Undo :func:`csv_safe`: the apostrophe put before a cell a spreadsheet would run, or before
    one that starts with an apostrophe already."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS + ("'",) else text


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula. A text that starts with an
    apostrophe gets one more, so that :func:`unprotect` gives back exactly what was written."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS or (text[:1] == "'" and text[1:2] in FORMULA_STARTS + ("'",)) \
        else text


def write_csv(path: Path, header: list[str] | tuple[str, ...], rows) -> None:
    """A CSV for people: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), formula-safe cells."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([csv_safe(v) for v in row] for row in rows)
