"""The return reader: turns a returned file into plain data, safely.

Returned workbooks come from outside the council, so :func:`inspect_file` looks at the file
before any spreadsheet parser does (size, kind, encryption, macros, DTDs, part sizes, cells
far outside the layout). Only files that pass are parsed, with python-calamine, inside a
worker process with a memory and time limit (see :mod:`sheetkit.sandbox`). The result is a
:class:`RawReturn`: every sheet's values, the metadata and the file's facts. Nothing here
knows about frameworks; validation does that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .layout import META_KEYS, SHEET_META

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_MEMBERS = 500
MAX_PART_BYTES = 40 * 1024 * 1024
MAX_TOTAL_BYTES = 150 * 1024 * 1024
MAX_RATIO = 200
MAX_ROW = 20_000
MAX_COL = 200  # column GR; sheetkit workbooks use fewer than 20 columns
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_CELL_REF = re.compile(rb'<(?:c|row)\b[^>]*?\br="([A-Z]{0,3})(\d+)"')
_DIMENSION = re.compile(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')


@dataclass
class RawReturn:
    """What a returned file holds, before anything is judged."""

    path: str
    sha256: str
    kind: str = ""
    saved_at: dt.datetime | None = None
    saved_by: str = ""
    has_macros: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    # sheet name -> {(row, col): value}, only at the cells its framework's layout uses
    sheets: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(f.is_error for f in self.findings)

    def value(self, sheet: str, row: int, col: int):
        cells = self.sheets.get(sheet)
        value = cells.get((row, col)) if cells else None
        return None if value == "" else value


def find_returns(paths: list[str]) -> list[Path]:
    """Workbook-like files in the given files and folders (folders searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and _looks_like_return(p))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)  # the same file named twice is read once, named as given
    return list(unique.values())


def _looks_like_return(path: Path) -> bool:
    name = path.name
    if name.startswith(("~$", ".~lock", ".")):  # Excel and LibreOffice lock files, hidden files
        return False
    return path.suffix.lower() in WORKBOOK_SUFFIXES + (".csv",)


def read_return(path: str, frameworks_dirs: tuple[str, ...] = ()) -> RawReturn:
    """Inspect a file and, if it is safe, parse it. Never raises for a bad file.

    Only the cells its framework's layout uses are kept, so a thousand returns fit in
    memory as easily as ten.
    """
    raw = inspect_file(path)
    if raw.readable:
        _parse(raw, frameworks_dirs)
    return raw


def read_task(task: tuple[str, tuple[str, ...]]) -> RawReturn:
    """read_return for a worker process: task is (path, frameworks_dirs)."""
    return read_return(*task)


def peek_framework_id(path: str) -> str:
    """The framework id in a file's document properties, without parsing the workbook ('' if none)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for part, pattern in (("docProps/custom.xml", _CUSTOM), ("meta.xml", _ODS_CUSTOM)):
                info = archive.getinfo(part) if part in archive.namelist() else None
                if info is not None and info.file_size < 1_000_000:
                    found = dict(pattern.findall(archive.read(part)))
                    if b"framework_id" in found:
                        return _unescape(found[b"framework_id"])
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        pass
    return ""


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
    if blob.startswith(OLE_MAGIC):
        return _inspect_ole(raw, p)
    if not blob.startswith(ZIP_MAGIC):
        what = "text such as a CSV file" if _is_text(blob[:2048]) else "not a spreadsheet"
        return _fail(raw, "not-a-workbook", f"the file is {what}, not an .xlsx or .ods workbook")
    try:
        with zipfile.ZipFile(p) as archive:
            _inspect_zip(raw, archive)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        return _fail(raw, "file-unreadable", f"the file is damaged or truncated ({exc})")
    return raw


def _inspect_ole(raw: RawReturn, path: Path) -> RawReturn:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
    except Exception as exc:  # olefile raises several types for damaged files
        return _fail(raw, "file-unreadable", f"the file is a damaged Office file ({exc})")
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        return _fail(raw, "password-protected", "the workbook is encrypted with a password to open")
    if "Workbook" in streams or "Book" in streams:
        return _fail(raw, "not-a-workbook", "the file is an old-style .xls workbook (Excel 97-2003), "
                                            "not the .xlsx workbook sheetkit built")
    return _fail(raw, "not-a-workbook", "the file is an Office document but not a workbook")


def _inspect_zip(raw: RawReturn, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    names = {m.filename for m in members}
    if len(members) > MAX_MEMBERS:
        _fail(raw, "file-too-large", f"the file holds {len(members)} parts; a workbook holds a few dozen")
        return
    total = sum(m.file_size for m in members)
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > MAX_PART_BYTES or (ratio > MAX_RATIO and m.file_size > 1_000_000):
            _fail(raw, "file-too-large", f"the part {m.filename} expands to {m.file_size / 1e6:.0f} MB "
                                         f"(ratio {ratio:.0f}:1); no return is that large")
            return
    if total > MAX_TOTAL_BYTES:
        _fail(raw, "file-too-large", f"the file expands to {total / 1e6:.0f} MB; no return is that large")
        return
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        raw.kind = "xlsm" if any(n.endswith("vbaProject.bin") for n in names) else "xlsx"
    elif "mimetype" in names and archive.read("mimetype").strip() == ODS_MIME:
        raw.kind = "ods"
    else:
        _fail(raw, "not-a-workbook", "the file is a zip archive or another Office document, not a workbook")
        return
    raw.has_macros = raw.kind == "xlsm" or any("vbaProject" in n or n.startswith("Basic/") for n in names)
    for m in members:
        if m.filename.endswith((".xml", ".rels", ".vml")) and not _xml_is_plain(archive, m):
            _fail(raw, "file-unsafe", f"the part {m.filename} declares a DTD or entities, which spreadsheets "
                                      f"never write (an XML attack such as 'billion laughs' or an external entity)")
            return
    if raw.kind in ("xlsx", "xlsm"):
        _check_sheet_extent(raw, archive, [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")])
        _read_ooxml_properties(raw, archive, names)
    else:
        _read_ods_properties(raw, archive, names)


def _xml_is_plain(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """True unless the part declares a DTD or entities (they must come before the root element)."""
    with archive.open(member) as handle:
        head = handle.read(8192)
    return b"<!DOCTYPE" not in head.upper() and b"<!ENTITY" not in head.upper()


def _check_sheet_extent(raw: RawReturn, archive: zipfile.ZipFile, sheet_parts: list[str]) -> None:
    """Refuse sheets with cells far outside any sheetkit layout (they make readers allocate the grid)."""
    for part in sheet_parts:
        with archive.open(part) as handle:
            data = handle.read(MAX_PART_BYTES + 1)
        refs = _DIMENSION.findall(data[:4096]) + _CELL_REF.findall(data)
        for letters, digits in refs:
            row, col = int(digits), _col_number(letters.decode())
            if row > MAX_ROW or col > MAX_COL:
                _fail(raw, "file-too-large", f"the part {part} has a cell at {letters.decode()}{row}, far outside "
                                             f"the workbook's layout; no return uses cells there")
                return


def _col_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_MODIFIED_BY = re.compile(rb"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>")
_ODS_DATE = re.compile(rb"<dc:date>([^<]+)</dc:date>")
_CUSTOM = re.compile(rb'<property[^>]*name="sheetkit_([a-z_]+)"[^>]*>\s*<vt:[a-z0-9]+>([^<]*)</vt:[a-z0-9]+>')
_ODS_CUSTOM = re.compile(rb'<meta:user-defined meta:name="sheetkit_([a-z_]+)"[^>]*>([^<]*)</meta:user-defined>')


def _read_ooxml_properties(raw: RawReturn, archive: zipfile.ZipFile, names: set[str]) -> None:
    if "docProps/core.xml" in names:
        core = archive.read("docProps/core.xml")
        raw.saved_at = _timestamp(_MODIFIED, core)
        by = _MODIFIED_BY.search(core)
        raw.saved_by = _unescape(by.group(1)) if by else ""
    if "docProps/custom.xml" in names:
        custom = archive.read("docProps/custom.xml")
        raw.meta.update({k.decode(): _unescape(v) for k, v in _CUSTOM.findall(custom)})


def _read_ods_properties(raw: RawReturn, archive: zipfile.ZipFile, names: set[str]) -> None:
    if "meta.xml" in names:
        meta = archive.read("meta.xml")
        raw.saved_at = _timestamp(_ODS_DATE, meta)
        raw.meta.update({k.decode(): _unescape(v) for k, v in _ODS_CUSTOM.findall(meta)})


def _timestamp(pattern: re.Pattern, blob: bytes) -> dt.datetime | None:
    match = pattern.search(blob)
    if not match:
        return None
    text = match.group(1).decode(errors="replace").strip().replace("Z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _unescape(value: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(value.decode("utf-8", errors="replace"), {"&quot;": '"', "&apos;": "'"})


def _parse(raw: RawReturn, frameworks_dirs: tuple[str, ...]) -> None:
    """Read the values with python-calamine (cached results only: no formula ever runs)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(raw.path)
        sheets = {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                  for name in workbook.sheet_names}
    except Exception as exc:  # calamine raises its own error types for damaged content
        _fail(raw, "file-unreadable", f"the workbook could not be read ({type(exc).__name__}: {exc})")
        return
    meta_rows = sheets.get(SHEET_META)
    if meta_rows:
        sheet_meta = {str(r[0]): _meta_text(r[1]) for r in meta_rows[: len(META_KEYS)] if len(r) > 1 and r[0]}
        raw.meta.update(sheet_meta)
    positions = _layout_positions(raw.meta.get("framework_id", ""), frameworks_dirs)
    for name, rows in sheets.items():
        raw.sheets[name] = {(r, c): rows[r][c] for r, c in positions if r < len(rows) and c < len(rows[r])
                            and rows[r][c] != ""}


_POSITIONS: dict[tuple[str, tuple[str, ...]], frozenset[tuple[int, int]]] = {}


def _layout_positions(framework_id: str, frameworks_dirs: tuple[str, ...]) -> frozenset[tuple[int, int]]:
    """Every (row, col) that any sheet of the framework's layout reads; empty if the framework is unknown."""
    key = (framework_id, tuple(frameworks_dirs))
    if key not in _POSITIONS:
        from .errors import SheetkitError
        from .layout import plan_workbook
        from .library import get_framework

        try:
            layout = plan_workbook(get_framework(framework_id, frameworks_dirs))
        except SheetkitError:
            _POSITIONS[key] = frozenset()
        else:
            cells = [(a.row, a.col) for a in layout.answers] + [(t.row, t.col) for t in layout.texts]
            _POSITIONS[key] = frozenset(cells)
    return _POSITIONS[key]


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
