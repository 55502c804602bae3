"""The returned-file formats, each declared once in :data:`FORMATS`, and what reading them needs
beyond the value library.

A :class:`FileFormat` says everything sheetkit knows about one format: the suffixes it is saved
with, the container its bytes start as and the members that tell it apart, the kind the report
names it by, how its values are opened, how its document properties are read, which reader finds
its notes (formulas with no result, error values, comments) and its parts (merged cells,
drawings, risky formulas, links, long texts), or that none can and which caveat a return in it
is accepted with, and whether it can carry macros. The folder walk, the reader and the checks
ask this registry; none of them names a format.

Document properties are read from the file's own parts: OOXML's docProps, ODF's meta.xml and,
for a return saved as "Excel 97-2003" (.xls), the OLE property streams, read with olefile.

Gnumeric writes .ods with its XML indented. python-calamine (0.9) stops at the whitespace
between the elements of a table row ("Expecting 'table-cell', found Text"), so such a file is
read from a copy whose table structure has that insignificant whitespace removed. Gnumeric
also writes a line break inside a cell as ``<text:line-break/>``, which python-calamine drops;
the copy writes each line as its own paragraph, as LibreOffice does. Other text is untouched.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Callable

from sheetkit.common.containers import MAGIC, OLE, ZIP, container_of  # noqa: F401 - the registry's face
from .cell_notes import read_cell_notes, read_ods_notes
from .parts import read_ods_parts, read_xlsx_parts

ENCRYPTED_STREAMS = frozenset({"EncryptionInfo", "EncryptedPackage"})  # an OLE file holding a workbook with a password
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
SMALL_MEMBER = 200  # a member read to tell formats apart (ODF's mimetype) is never larger


@dataclass(frozen=True)
class Members:
    """What telling a format apart may look at: the names of a container's members (a zip's parts,
    an OLE file's streams) and the bytes of a small member (b'' when it is missing or larger than
    SMALL_MEMBER)."""

    names: frozenset[str]
    small: Callable[[str], bytes] = lambda name: b""


@dataclass
class Properties:
    """A file's document properties: when and by whom it was last saved, who made it, and
    sheetkit's own (the `sheetkit_` custom properties, without that prefix)."""

    saved_at: dt.datetime | None = None
    saved_by: str = ""
    created_by: str = ""
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Caveat:
    """The finding a return in a format is accepted with: its code in the catalogue, and the message."""

    code: str
    message: str


@dataclass(frozen=True)
class FileFormat:
    """One returned-file format, declared once.

    `recognise` tells the format's files from other files of its `container`; `open(path, suffixes)`
    gives a python-calamine workbook (or one shaped like it: `sheet_names`, `get_sheet_by_name`)
    of the cached values; `properties(source, names)` reads the document properties from the open
    zip archive or OLE file. `notes` and `parts` read from the archive what the values do not show;
    None when the format keeps them where sheetkit cannot read them, and then `caveat` says so.
    `sheet_part` says which XML parts are sheets, whose extent the reader measures before any
    parser allocates for it; `merges_in_values` takes merged cells from the value library when
    there are no parts to read them from; `macros` says from the member names whether a file
    carries macros (None: the format's macros are not looked for).
    """

    suffixes: tuple[str, ...]
    container: str
    recognise: Callable[[Members], bool]
    open: Callable[[str, tuple[str, ...]], object]
    properties: Callable[[object, set[str]], Properties]
    notes: Callable[[zipfile.ZipFile, set[str]], dict] | None = None
    parts: Callable[[zipfile.ZipFile, set[str]], object] | None = None
    caveat: Caveat | None = None
    sheet_part: Callable[[bytes], bool] | None = None
    merges_in_values: bool = False
    macros: Callable[[frozenset[str]], bool] | None = None

    def open_values(self, path: str):
        """The file's values, opened as this format."""
        return self.open(path, self.suffixes)


def recognise(container: str, members: Members) -> str:
    """The kind of workbook a container's members make ('' when none of FORMATS is)."""
    return next((kind for kind, fmt in FORMATS.items() if fmt.container == container and fmt.recognise(members)), "")


def file_format(kind: str) -> FileFormat | None:
    """The format of that kind (None for '', the kind of a file that is no workbook)."""
    return FORMATS.get(kind)


def zip_members(archive: zipfile.ZipFile, names: set[str]) -> Members:
    """A zip archive's members, as recognise() reads them."""
    def small(name: str) -> bytes:
        if name not in names or archive.getinfo(name).file_size > SMALL_MEMBER:
            return b""
        return archive.read(name)
    return Members(frozenset(names), small)


def suffixes() -> tuple[str, ...]:
    """Every suffix a returned workbook is saved with, in the order FORMATS declares them."""
    return tuple(dict.fromkeys(s for fmt in FORMATS.values() for s in fmt.suffixes))


def suffixes_text() -> str:
    """The suffixes for a message: '.xlsx, .xlsm, .ods, .xls, .xlsb'."""
    return ", ".join(suffixes())


# -- document properties --------------------------------------------------------------------------

_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_MODIFIED_BY = re.compile(rb"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>")
_ODS_DATE = re.compile(rb"<dc:date>([^<]+)</dc:date>")
_CREATOR = re.compile(rb"<dc:creator>([^<]*)</dc:creator>")
_ODS_SAVED_BY = _CREATOR
_ODS_CREATOR = re.compile(rb"<meta:initial-creator>([^<]*)</meta:initial-creator>")
_CUSTOM = re.compile(rb'<property[^>]*name="sheetkit_([a-z_]+)"[^>]*>\s*<vt:[a-z0-9]+>([^<]*)</vt:[a-z0-9]+>')
_ODS_CUSTOM = re.compile(rb'<meta:user-defined meta:name="sheetkit_([a-z_]+)"[^>]*>([^<]*)</meta:user-defined>')


def ooxml_properties(archive: zipfile.ZipFile, names: set[str]) -> Properties:
    """The properties of an .xlsx, .xlsm or .xlsb, from docProps/core.xml and docProps/custom.xml."""
    found = Properties()
    if "docProps/core.xml" in names:
        core = archive.read("docProps/core.xml")
        found.saved_at = _timestamp(_MODIFIED, core)
        found.saved_by = _first(_MODIFIED_BY, core)
        found.created_by = _first(_CREATOR, core)
    if "docProps/custom.xml" in names:
        custom = archive.read("docProps/custom.xml")
        found.meta = {k.decode(): unescape(v) for k, v in _CUSTOM.findall(custom)}
    return found


def ods_properties(archive: zipfile.ZipFile, names: set[str]) -> Properties:
    """The properties of an .ods, from meta.xml."""
    found = Properties()
    if "meta.xml" in names:
        meta = archive.read("meta.xml")
        found.saved_at = _timestamp(_ODS_DATE, meta)
        found.saved_by = _first(_ODS_SAVED_BY, meta)  # in ODF, dc:creator is whoever saved last
        found.created_by = _first(_ODS_CREATOR, meta)
        found.meta = {k.decode(): unescape(v) for k, v in _ODS_CUSTOM.findall(meta)}
    return found


def ole_properties(ole, streams: set[str]) -> Properties:
    """The properties of an OLE file (.xls) from its SummaryInformation stream: it has no custom ones."""
    try:
        meta = ole.get_metadata()
    except Exception:  # noqa: BLE001 - damaged property streams: the values are still readable
        return Properties()
    saved = meta.last_saved_time
    stamp = saved.replace(tzinfo=dt.timezone.utc) if isinstance(saved, dt.datetime) else None
    return Properties(stamp, _text(meta.last_saved_by), _text(meta.author))


def _text(value) -> str:
    if isinstance(value, bytes):
        for encoding in ("utf-8", "cp1252"):
            try:
                return value.decode(encoding).strip("\x00 ")
            except UnicodeDecodeError:
                continue
    return str(value or "").strip()


def _first(pattern: re.Pattern, blob: bytes) -> str:
    match = pattern.search(blob)
    return unescape(match.group(1)).strip() if match else ""


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


def unescape(value: bytes) -> str:
    """XML text as text: UTF-8 decoded (damaged bytes replaced) and its entities resolved."""
    from xml.sax.saxutils import unescape as resolve

    return resolve(value.decode("utf-8", errors="replace"), {"&quot;": '"', "&apos;": "'"})


# -- values ---------------------------------------------------------------------------------------

# whitespace-only text after a table or office element and before the next element: never
# content (cell text lives in text:p, where whitespace is kept untouched)
_STRUCTURE_GAP = re.compile(rb"(</?(?:table|office):[A-Za-z-]+[^>]*>)[ \t\r\n]+(?=<)")
_INDENTED_ROW = re.compile(rb"<table:table-row[^>]*>[ \t\r\n]+<")
_PARAGRAPH = re.compile(rb"(<text:p(?:\s[^>]*)?>)(.*?)</text:p>", re.DOTALL)
_LINE_BREAK = b"<text:line-break/>"


def needs_normalising(archive: zipfile.ZipFile) -> bool:
    """True for an .ods whose table rows are indented (as Gnumeric writes them)."""
    try:
        with archive.open("content.xml") as handle:
            head = handle.read(4_000_000)
    except KeyError:
        return False
    return bool(_INDENTED_ROW.search(head))


def normalised_ods(archive: zipfile.ZipFile) -> bytes:
    """The bytes of a copy of an .ods with the whitespace between its table elements removed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "content.xml":
                data = _PARAGRAPH.sub(_split_lines, _STRUCTURE_GAP.sub(rb"\1", data))
            out.writestr(info.filename, data, compress_type=info.compress_type)
    return buffer.getvalue()


def _split_lines(match: re.Match) -> bytes:
    """A paragraph with line breaks as one paragraph per line, as LibreOffice writes it (calamine
    drops <text:line-break/>, so the lines would run together); left alone if it has styled runs."""
    start, body = match.group(1), match.group(2)
    if _LINE_BREAK not in body or b"<text:span" in body:
        return match.group(0)
    return start + body.replace(_LINE_BREAK, b"</text:p>" + start) + b"</text:p>"


def open_workbook(path: str, suffixes: tuple[str, ...]):
    """A python-calamine workbook for the file; `suffixes` are its format's."""
    from python_calamine import CalamineWorkbook

    if not path.lower().endswith(suffixes) or not _is_text(path):
        # no or the wrong extension, or a name that is not valid text (which calamine cannot open):
        # hand calamine the bytes and let it go by the content
        with open(path, "rb") as handle:
            return CalamineWorkbook.from_filelike(io.BytesIO(handle.read()))
    return CalamineWorkbook.from_path(path)


def open_ods(path: str, suffixes: tuple[str, ...]):
    """A python-calamine workbook for an .ods, read from a normalised copy in memory if it needs one."""
    from python_calamine import CalamineWorkbook

    with zipfile.ZipFile(path) as archive:
        if needs_normalising(archive):
            return CalamineWorkbook.from_filelike(io.BytesIO(normalised_ods(archive)))
    return open_workbook(path, suffixes)


def _is_text(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- the registry ---------------------------------------------------------------------------------

def _ooxml(part: str, with_vba: bool) -> Callable[[Members], bool]:
    """An OOXML workbook whose workbook part is `part`, with a VBA project (.xlsm) or without (.xlsx)."""
    return lambda members: part in members.names and any(n.endswith("vbaProject.bin") for n in members.names) == with_vba


def _macros(names: frozenset[str]) -> bool:
    return any("vbaProject" in n or n.startswith("Basic/") for n in names)  # Excel's VBA project, LibreOffice's Basic


def _ods(members: Members) -> bool:
    return "mimetype" in members.names and members.small("mimetype").strip() == ODS_MIME


def _xls(members: Members) -> bool:
    return bool({"Workbook", "Book"} & members.names)


def _worksheet(data: bytes) -> bool:
    return b"sheetData" in data  # a worksheet, wherever it is stored


# Kind -> format. The kind is what the report's `kind` names a return by; the order is the order
# of the suffixes in messages. A file is of the first format whose `recognise` holds.
FORMATS: dict[str, FileFormat] = {
    "xlsx": FileFormat((".xlsx",), ZIP, _ooxml("xl/workbook.xml", with_vba=False), open_workbook, ooxml_properties,
                       notes=read_cell_notes, parts=read_xlsx_parts, sheet_part=_worksheet, macros=_macros),
    "xlsm": FileFormat((".xlsm",), ZIP, _ooxml("xl/workbook.xml", with_vba=True), open_workbook, ooxml_properties,
                       notes=read_cell_notes, parts=read_xlsx_parts, sheet_part=_worksheet, macros=_macros),
    "ods": FileFormat((".ods",), ZIP, _ods, open_ods, ods_properties, notes=read_ods_notes, parts=read_ods_parts,
                      macros=_macros),
    "xls": FileFormat((".xls",), OLE, _xls, open_workbook, ole_properties, merges_in_values=True,
                      caveat=Caveat("old-format", "the workbook was saved as .xls (Excel 97-2003); its values and "
                                                  "metadata were read, but that format can cut answers longer than "
                                                  "255 characters")),
    "xlsb": FileFormat((".xlsb",), ZIP, lambda members: "xl/workbook.bin" in members.names, open_workbook,
                       ooxml_properties, macros=_macros,
                       caveat=Caveat("format-limited", "the workbook was saved as .xlsb (Excel Binary Workbook); its "
                                                       "values and metadata were read, but not its comments, error "
                                                       "values, formulas, merged cells, drawings or links")),
}
