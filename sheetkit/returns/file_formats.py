"""What the reader needs beyond .xlsx: old .xls workbooks and Gnumeric's indented .ods.

A return saved as "Excel 97-2003" (.xls) keeps its values and the metadata sheet, so it can be
read; its document properties live in OLE property streams, read here with olefile.

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

# whitespace-only text after a table or office element and before the next element: never
# content (cell text lives in text:p, where whitespace is kept untouched)
_STRUCTURE_GAP = re.compile(rb"(</?(?:table|office):[A-Za-z-]+[^>]*>)[ \t\r\n]+(?=<)")
_INDENTED_ROW = re.compile(rb"<table:table-row[^>]*>[ \t\r\n]+<")
_PARAGRAPH = re.compile(rb"(<text:p(?:\s[^>]*)?>)(.*?)</text:p>", re.DOTALL)
_LINE_BREAK = b"<text:line-break/>"


def ole_properties(ole) -> tuple[dt.datetime | None, str, str]:
    """(saved at, last saved by, author) from an OLE file's SummaryInformation stream."""
    try:
        meta = ole.get_metadata()
    except Exception:  # noqa: BLE001 - damaged property streams: the values are still readable
        return None, "", ""
    saved = meta.last_saved_time
    stamp = saved.replace(tzinfo=dt.timezone.utc) if isinstance(saved, dt.datetime) else None
    return stamp, _text(meta.last_saved_by), _text(meta.author)


def _text(value) -> str:
    if isinstance(value, bytes):
        for encoding in ("utf-8", "cp1252"):
            try:
                return value.decode(encoding).strip("\x00 ")
            except UnicodeDecodeError:
                continue
    return str(value or "").strip()


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


def open_workbook(path: str, kind: str):
    """A python-calamine workbook for the file, read from a normalised copy in memory if it needs one."""
    from python_calamine import CalamineWorkbook

    if kind == "ods":
        with zipfile.ZipFile(path) as archive:
            if needs_normalising(archive):
                return CalamineWorkbook.from_filelike(io.BytesIO(normalised_ods(archive)))
    if not path.lower().endswith("." + kind) or not _is_text(path):
        # no or the wrong extension, or a name that is not valid text (which calamine cannot open):
        # hand calamine the bytes and let it go by the content
        with open(path, "rb") as handle:
            return CalamineWorkbook.from_filelike(io.BytesIO(handle.read()))
    return CalamineWorkbook.from_path(path)


def _is_text(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
