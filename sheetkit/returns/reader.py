"""The return reader: turns a returned file into plain data, safely.

Returned workbooks come from outside the council, so :func:`inspect_file` looks at the file
before any spreadsheet parser does (size, kind, encryption, macros, DTDs, part sizes, cells
far outside the layout). Only files that pass are parsed, with python-calamine, inside a
worker process with a memory and time limit (see :mod:`sheetkit.common.sandbox`). The result is a
:class:`RawReturn`: every sheet's values, the metadata and the file's facts. Nothing here
knows about frameworks; validation does that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .file_formats import (ENCRYPTED_STREAMS, OLE, ZIP, FileFormat, Members, Properties, container_of, file_format,
                           recognise, suffixes_text, zip_members)
from sheetkit.common.findings import Finding
from sheetkit.common.own_files import META_KEYS, REPLY_META_KEYS, SHEET_META
from sheetkit.common.text import column_letters
from .extent import content_extent
from .parts import Parts

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_MEMBERS = 500
MAX_PART_BYTES = 40 * 1024 * 1024
MAX_TOTAL_BYTES = 150 * 1024 * 1024
MAX_RATIO = 200
MAX_ROW = 20_000
MAX_COL = 200  # column GR; sheetkit workbooks use fewer than 20 columns
KEPT_PART_BYTES = 4 * 1024 * 1024  # parts up to this size are kept in memory between inspections
MAX_GRID_CELLS = 1_000_000  # all sheets' extents together; sheetkit workbooks span a few thousand cells
PEEKED_PART_BYTES = 1_000_000  # document properties read outside the workers' limits are at most this large

CENTRAL_ENTRY = b"PK\x01\x02"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<")  # however much space comes first
# What zipfile raises for damaged or odd archives: zlib.error for a damaged deflate stream,
# RuntimeError for members under legacy zip encryption.
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error)


@dataclass
class RawReturn:
    """What a returned file holds, before anything is judged."""

    path: str
    sha256: str
    kind: str = ""
    saved_at: dt.datetime | None = None
    saved_by: str = ""
    created_by: str = ""
    has_macros: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    # sheet name -> {(row, col): value}: every non-empty cell, in sheet order
    sheets: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict)
    # sheet name -> {(row, col): (kind, text)} for what the values do not show: a formula with no
    # stored result ('formula'), an error value ('error') or a comment ('comment')
    notes: dict[str, dict[tuple[int, int], tuple[str, str]]] = field(default_factory=dict)
    parts: Parts = field(default_factory=Parts)  # merged cells, drawings, risky formulas, links, long texts
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(f.is_error for f in self.findings)

    def value(self, sheet: str, row: int, col: int):
        cells = self.sheets.get(sheet)
        value = cells.get((row, col)) if cells else None
        return None if value == "" else value


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_return(path: str) -> RawReturn:
    """Inspect a file and, if it is safe, parse it. Never raises for a bad file.

    Every non-empty cell of every sheet is kept (a return spans a few thousand cells), so that
    nothing a respondent typed, wherever they typed it, is lost.
    """
    raw = inspect_file(path)
    if raw.readable:
        _parse(raw)
    return raw


def peek_framework_id(path: str) -> str:
    """The framework id in a file's document properties, without parsing the workbook ('' if none).

    This runs in the ingest process, outside the workers' limits, so it looks only at files
    inspect_file could accept, and it never raises: the worker reports what is wrong.
    """
    try:
        p = Path(path)
        if p.stat().st_size > MAX_FILE_BYTES:
            return ""
        with open(p, "rb") as handle:  # the central directory and the properties' parts: not the whole file
            if container_of(handle.read(8)) != ZIP or _declared_members(handle) > MAX_MEMBERS:
                return ""
            handle.seek(0)
            return _framework_id(handle)
    except Exception:  # noqa: BLE001 - a damaged or crafted file: the worker will say what is wrong
        pass
    return ""


def _declared_members(handle) -> int:
    """How many parts a zip's end record says it holds (more than allowed when there is no end record, or
    its central directory is larger than so many parts need), read before zipfile makes an object for each."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 65_557))  # the end record, and a comment of at most 65,535 bytes
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return MAX_MEMBERS + 1
    if int.from_bytes(tail[at + 12:at + 16], "little") > MAX_MEMBERS * 2048:
        return MAX_MEMBERS + 1  # a central directory too large for that many parts: zipfile would read it all
    return max(int.from_bytes(tail[at + 8:at + 10], "little"), int.from_bytes(tail[at + 10:at + 12], "little"))


def _framework_id(handle) -> str:
    """The framework id in an open zip's document properties ('' if none)."""
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            fmt = file_format(recognise(ZIP, zip_members(archive, names)))
            if fmt is not None:
                return fmt.properties(_Peeked(archive), names).meta.get("framework_id", "")
    except Exception:  # noqa: BLE001 - a damaged or crafted file: the worker will say what is wrong
        pass
    return ""


class _Peeked:
    """A zip archive whose parts read as empty when they are larger than document properties are."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive

    def read(self, name: str) -> bytes:
        return self.archive.read(name) if self.archive.getinfo(name).file_size < PEEKED_PART_BYTES else b""


def inspect_file(path: str) -> RawReturn:
    """Everything that can be learnt without a spreadsheet parser; findings for unsafe files."""
    p = Path(path)
    try:
        data_size = p.stat().st_size
        if data_size > MAX_FILE_BYTES:
            return _rejected(path, "", "file-too-large",
                             f"the file is {data_size / 1e6:.0f} MB; a return is well under 5 MB")
        blob = p.read_bytes()
    except OSError as exc:
        return _rejected(path, "", "file-unreadable", f"cannot read the file ({exc.strerror or exc})")
    raw = RawReturn(path, hashlib.sha256(blob).hexdigest())
    if not blob:
        return _fail(raw, "not-a-workbook", "the file is empty (0 bytes)")
    container = container_of(blob)
    if container == OLE:
        return _inspect_ole(raw, p)
    if container != ZIP:
        what = "text such as a CSV file" if _is_text(blob[:2048]) else "not a spreadsheet"
        return _fail(raw, "not-a-workbook", f"the file is {what}, not a workbook ({suffixes_text()})")
    if blob.count(CENTRAL_ENTRY) > MAX_MEMBERS:  # before zipfile builds an object for every entry
        return _fail(raw, "file-too-large", f"the file holds over {MAX_MEMBERS} parts; a workbook holds a few dozen")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            _inspect_zip(raw, _ReadOnce(archive))
    except _ZIP_ERRORS as exc:
        return _fail(raw, "file-unreadable", f"the file is damaged or truncated ({exc})")
    return raw


def _inspect_ole(raw: RawReturn, path: Path) -> RawReturn:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
            kind = "" if streams & ENCRYPTED_STREAMS else recognise(OLE, Members(frozenset(streams)))
            fmt = file_format(kind)
            properties = fmt.properties(ole, streams) if fmt else None
    except Exception as exc:  # olefile raises several types for damaged files
        return _fail(raw, "file-unreadable", f"the file is a damaged Office file ({exc})")
    if streams & ENCRYPTED_STREAMS:
        return _fail(raw, "password-protected", "the workbook is encrypted with a password to open")
    if fmt is None:
        return _fail(raw, "not-a-workbook", "the file is an Office document but not a workbook")
    raw.kind = kind
    _known(raw, fmt, streams, properties)
    return raw


def _inspect_zip(raw: RawReturn, archive: _ReadOnce) -> None:
    """What a zip-based file is, whether it is safe to read, and then its properties and notes."""
    members = archive.infolist()
    names = {m.filename for m in members}
    if not (_sizes_allowed(raw, members) and _kind_known(raw, archive, names) and _parts_safe(raw, archive, members)):
        return
    fmt = file_format(raw.kind)
    _known(raw, fmt, names, fmt.properties(archive, names))
    try:
        if fmt.notes:
            raw.notes = fmt.notes(archive, names)
        if fmt.parts:
            raw.parts = fmt.parts(archive, names)
    except Exception as exc:  # noqa: BLE001 - parts no spreadsheet program writes that way: the values still count
        raw.findings.append(Finding("parts-unreadable", f"the file's comments, merged cells, drawings and links "
                                    f"could not be read ({type(exc).__name__}: {str(exc)[:200]}), so any there are "
                                    f"not reported; its values were read", file=raw.path))


class _ReadOnce:
    """A zip archive whose parts are decompressed once, however many of the inspections read them."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive, self.parts = archive, {}

    def read(self, name: str) -> bytes:
        if name not in self.parts:
            self.parts[name] = self.archive.read(name)
        return self.parts[name]

    def open(self, name: str):
        return io.BytesIO(self.read(name)) if name in self.parts else self.archive.open(name)

    def __getattr__(self, name: str):
        return getattr(self.archive, name)


def _sizes_allowed(raw: RawReturn, members: list[zipfile.ZipInfo]) -> bool:
    """Whether the archive is of a size a return can be (False, with a finding, for a zip bomb)."""
    if len(members) > MAX_MEMBERS:
        _fail(raw, "file-too-large", f"the file holds {len(members)} parts; a workbook holds a few dozen")
        return False
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > MAX_PART_BYTES or (ratio > MAX_RATIO and m.file_size > 1_000_000):
            _fail(raw, "file-too-large", f"the part {m.filename} expands to {m.file_size / 1e6:.0f} MB "
                                         f"(ratio {ratio:.0f}:1); no return is that large")
            return False
    total = sum(m.file_size for m in members)
    if total > MAX_TOTAL_BYTES:
        _fail(raw, "file-too-large", f"the file expands to {total / 1e6:.0f} MB; no return is that large")
        return False
    if any(m.flag_bits & 0x1 for m in members):
        _fail(raw, "file-unreadable", "parts of the file are encrypted with zip encryption, which spreadsheet "
                                      "programs never use")
        return False
    return True


def _kind_known(raw: RawReturn, archive: zipfile.ZipFile, names: set[str]) -> bool:
    """Set the file's kind (one of the formats' registry); False, with a finding, if it is no workbook."""
    raw.kind = recognise(ZIP, zip_members(archive, names))
    if not raw.kind:
        _fail(raw, "not-a-workbook", "the file is a zip archive or another Office document, not a workbook")
    return bool(raw.kind)


def _known(raw: RawReturn, fmt: FileFormat, names: set[str], properties: Properties) -> None:
    """Whether a workbook carries macros, and its document properties, as its format reads them."""
    raw.has_macros = bool(fmt.macros and fmt.macros(frozenset(names)))
    raw.saved_at, raw.saved_by, raw.created_by = properties.saved_at, properties.saved_by, properties.created_by
    raw.meta.update(properties.meta)


def _parts_safe(raw: RawReturn, archive: _ReadOnce, members: list[zipfile.ZipInfo]) -> bool:
    """Whether every XML part is free of DTDs and the sheets' cells lie near the layout (else a finding)."""
    cells = 0
    is_sheet = file_format(raw.kind).sheet_part
    for m in members:
        if "/media/" in m.filename or m.filename.startswith("Pictures/"):
            continue  # images (an SVG may carry a DOCTYPE); no reader parses them
        with archive.archive.open(m) as handle:  # zipfile stops at the declared size and checks the CRC
            data = handle.read(m.file_size + 1)
        if len(data) <= min(m.file_size, KEPT_PART_BYTES) and m.filename.endswith((".xml", ".rels", ".vml")):
            archive.parts[m.filename] = data  # read once: the inspections after this one read it again
        if not _XML_START.match(data):
            continue  # not XML (vbaProject.bin and other binary parts)
        if _DTD.search(data):  # anywhere: comments may push a DOCTYPE past any fixed-size head
            _fail(raw, "file-unsafe", f"the part {m.filename} declares a DTD or entities, which spreadsheets "
                                      f"never write (an XML attack such as 'billion laughs' or an external entity)")
            return False
        if is_sheet and is_sheet(data):
            extent = _sheet_extent(raw, m.filename, data)
            if extent is None:
                return False
            cells += extent
            if cells > MAX_GRID_CELLS:
                _fail(raw, "file-too-large", f"the sheets span {cells:,} cells (up to {m.filename}); a return "
                                             f"spans a few thousand")
                return False
    return True


def _sheet_extent(raw: RawReturn, part: str, data: bytes) -> int | None:
    """The rows x columns of a sheet's cells that hold something, or None (with a finding) if any
    is far outside a sheetkit layout. Empty and merely styled cells do not count: LibreOffice
    writes a styled empty row 1048576 after a row is deleted, and no reader allocates for it.
    Rows and cells without r="..." are counted, as readers do."""
    last_row, last_col = content_extent(data, MAX_ROW, MAX_COL)
    if last_row > MAX_ROW or last_col > MAX_COL:
        _fail(raw, "file-too-large", f"the part {part} has a value at {_col_letters(last_col)}{last_row} or beyond, "
                                     f"far outside the workbook's layout; no return uses cells there")
        return None
    return last_row * last_col


def _col_letters(number: int) -> str:
    """'A' for column number 1 (counted from one, as in sheet XML); 'A' for 0 too."""
    return column_letters(max(number, 1) - 1)


def _parse(raw: RawReturn) -> None:
    """Read the values with python-calamine (cached results only: no formula ever runs)."""
    try:
        fmt = file_format(raw.kind)
        workbook = fmt.open_values(raw.path)
        sheets, cells = {}, 0
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            cells += sheet.total_height * sheet.total_width
            if cells > MAX_GRID_CELLS:  # .ods repeated cells, and anything the checks before parsing missed
                _fail(raw, "file-too-large", f"the sheets span {cells:,} cells (sheet '{name}' is "
                                             f"{sheet.total_height:,} rows by {sheet.total_width:,} columns); "
                                             f"a return spans a few thousand")
                return
            sheets[name] = sheet.to_python(skip_empty_area=False)
            if fmt.merges_in_values:  # no parts to read them from: the reading library's own list
                _merges_in_values(raw, name, sheet)
    except Exception as exc:  # calamine raises its own error types for damaged content
        _fail(raw, "file-unreadable", f"the workbook could not be read ({type(exc).__name__}: {exc})")
        return
    meta_rows = sheets.get(SHEET_META)
    if meta_rows:
        known = META_KEYS + REPLY_META_KEYS
        sheet_meta = {str(r[0]): _meta_text(r[1]) for r in meta_rows[: len(known)]
                      if len(r) > 1 and str(r[0]) in known}
        raw.meta.update(sheet_meta)
    for name, rows in sheets.items():
        raw.sheets[name] = {(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row)
                            if value != "" and value is not None}
    for name, texts in raw.parts.long_texts.items():
        grid = raw.sheets.get(name, {})
        for position, text in texts.items():
            if isinstance(grid.get(position), str):
                grid[position] = text  # whole, from the file itself, whatever the reading library kept
    for name, notes in raw.notes.items():
        grid = raw.sheets.setdefault(name, {})
        for position, (kind, text) in notes.items():
            if kind == "error" and position not in grid:
                grid[position] = text  # calamine reads an error value as empty; keep it as the respondent saw it


def _merges_in_values(raw: RawReturn, name: str, sheet) -> None:
    merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in getattr(sheet, "merged_cell_ranges", None) or []]
    if merged:
        raw.parts.merges[name] = merged


def _meta_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def _fail(raw: RawReturn, code: str, message: str) -> RawReturn:
    raw.findings.append(Finding(code, message, file=raw.path))
    return raw


def _rejected(path: str, sha: str, code: str, message: str) -> RawReturn:
    return _fail(RawReturn(path, sha), code, message)
