"""Generators of hostile returns, for tests/test_hostile.py.

Every generator writes one file into a folder the test gives (a pytest tmp_path); nothing
here is committed. Most start from a genuine filled return and change one thing, so that the
file is otherwise exactly what sheetkit built. Large parts (the decompression bombs) are
written as a stream of pre-compressed deflate blocks: a 1 GB part costs a few MB of memory
and about a second to write.

Zips are written by hand (:func:`write_zip`) rather than with :mod:`zipfile`, so that a test
can make the headers say what it likes about an entry's size.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from sheetkit.common.text import column_letters

GB = 1 << 30

# -- zips written by hand ----------------------------------------------------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0


@dataclass
class Entry:
    """One zip member: its raw (already deflated) bytes, as segments, and what is true of it."""

    name: str
    segments: Iterable[bytes]
    crc: int
    size: int  # the true uncompressed size
    declared_size: int | None = None  # what the headers say, when they lie
    method: int = zipfile.ZIP_DEFLATED
    counted: dict | None = None  # for streamed entries: crc and size, known once written


def deflated(name: str, data: bytes) -> Entry:
    """A member holding `data`, deflated."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(name, [c.compress(data) + c.flush()], zlib.crc32(data), len(data))


def repeated(name: str, head: bytes, chunk: bytes, count: int, tail: bytes,
             declared_size: int | None = None, crc_of_declared: bool = False) -> Entry:
    """A member holding head + chunk * count + tail, without ever holding more than one chunk.

    The chunk is deflated once after a full flush, so its compressed bytes are the same every
    time and can simply be repeated; the segments are byte-aligned, and only the last one is
    final, so their concatenation is one valid deflate stream.
    """
    start = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = start.compress(head) + start.flush(zlib.Z_FULL_FLUSH)
    middle = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = middle.compress(chunk) + middle.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = end.compress(tail) + end.flush(zlib.Z_FINISH)
    limit = declared_size if crc_of_declared and declared_size is not None else None
    crc, seen = 0, 0
    for piece in _pieces(head, chunk, count, tail):
        if limit is not None and seen + len(piece) >= limit:
            crc = zlib.crc32(piece[: limit - seen], crc)
            break
        crc, seen = zlib.crc32(piece, crc), seen + len(piece)

    def segments():
        yield first
        for _ in range(count):
            yield block
        yield last

    size = len(head) + len(chunk) * count + len(tail)
    return Entry(name, segments(), crc, size, declared_size)


def _pieces(head: bytes, chunk: bytes, count: int, tail: bytes) -> Iterable[bytes]:
    yield head
    for _ in range(count):
        yield chunk
    yield tail


def streamed(name: str, pieces: Iterable[bytes], level: int = 1) -> Entry:
    """A member whose content is generated piece by piece (deflated and CRC'd on the way).

    The CRC and size are only known at the end, so they are filled in by :func:`write_zip`
    after the data is written (it patches the local header).
    """
    state = {"crc": 0, "size": 0}

    def segments():
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        for piece in pieces:
            state["crc"] = zlib.crc32(piece, state["crc"])
            state["size"] += len(piece)
            out = c.compress(piece)
            if out:
                yield out
        yield c.flush()

    return Entry(name, segments(), 0, 0, counted=state)


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """Write a plain (non-zip64) zip; sizes in both headers are `declared_size` if given."""
    central = []
    with open(path, "wb") as f:
        for e in entries:
            offset = f.tell()
            name = e.name.encode("utf-8")
            f.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, e.method, _DOS_TIME, _DOS_DATE,
                                0, 0, 0, len(name), 0))
            f.write(name)
            start = f.tell()
            for segment in e.segments:
                f.write(segment)
            csize = f.tell() - start
            if e.counted is not None:
                e.crc, e.size = e.counted["crc"], e.counted["size"]
            usize = e.size if e.declared_size is None else e.declared_size
            f.seek(offset + 14)
            f.write(struct.pack("<III", e.crc, csize, usize))
            f.seek(0, 2)
            central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, e.method, _DOS_TIME,
                                       _DOS_DATE, e.crc, csize, usize, len(name), 0, 0, 0, 0, 0, offset) + name)
        cd_offset = f.tell()
        for record in central:
            f.write(record)
        cd_size = f.tell() - cd_offset
        f.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), cd_size, cd_offset, 0))
    return path


def parts(path: Path) -> dict[str, bytes]:
    """Every member of a (small, genuine) workbook, in order."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rebuild(src: Path, dst: Path, changes: dict[str, bytes | None] | None = None,
            extra: list[Entry] | None = None) -> Path:
    """Copy a workbook, replacing (or, with None, dropping) some parts and appending others."""
    changes = changes or {}
    members = parts(src)
    entries = [deflated(name, changes.get(name, data)) for name, data in members.items()
               if not (name in changes and changes[name] is None)]
    entries += [deflated(name, data) for name, data in changes.items() if name not in members and data is not None]
    replaced = {e.name for e in extra or []}
    entries = [e for e in entries if e.name not in replaced] + list(extra or [])
    return write_zip(dst, entries)


def with_part(src: Path, name: str, content_type: str, rel_type: str) -> dict[str, bytes]:
    """The changes that register a new part of the workbook (content type and relationship)."""
    members = parts(src)
    types = members["[Content_Types].xml"]
    override = f'<Override PartName="/{name}" ContentType="{content_type}"/>'.encode()
    types = types.replace(b"</Types>", override + b"</Types>")
    rels = members["xl/_rels/workbook.xml.rels"]
    target = name.removeprefix("xl/")
    rel = f'<Relationship Id="rIdHostile1" Type="{rel_type}" Target="{target}"/>'.encode()
    rels = rels.replace(b"</Relationships>", rel + b"</Relationships>")
    return {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels}


SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' \
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' \
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'

# -- files that are not workbooks --------------------------------------------------------


def csv_as_xlsx(dst: Path) -> Path:
    dst.write_text("respondent,rating,evidence\nHousing,3 - Good,Joint plans in place\n", encoding="utf-8")
    return dst


def empty(dst: Path) -> Path:
    dst.write_bytes(b"")
    return dst


def truncated(src: Path, dst: Path) -> Path:
    blob = src.read_bytes()
    dst.write_bytes(blob[: len(blob) // 2])
    return dst


# -- OLE compound files (old .xls, encrypted workbooks) -----------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal version-3 compound file (CFB) holding the given streams in the root storage.

    Each stream is padded to at least 4096 bytes so that it lives in ordinary sectors and no
    mini stream is needed. Sector 0 is the FAT, sector 1 the directory, then the streams.
    """
    sector = 512
    names = list(streams)
    assert len(names) <= 3, "one directory sector holds the root and three streams"
    data = [streams[n] + b"\x00" * max(0, 4096 - len(streams[n])) for n in names]
    data = [d + b"\x00" * (-len(d) % sector) for d in data]
    fat = [_FATSECT, _END]
    starts = []
    for d in data:
        count = len(d) // sector
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
    assert len(fat) <= sector // 4, "one FAT sector is enough for these tests"
    fat += [_FREE] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, _NOSTREAM, right, child,
                           b"\x00" * 16, 0, 0, 0, start, size)

    # Siblings as a right-leaning chain (valid as a red-black tree when all are black for olefile).
    directory = entry("Root Entry", 5, 1 if names else _NOSTREAM, _NOSTREAM, _END, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM
        directory += entry(name, 2, _NOSTREAM, right, starts[i], len(streams[name]))
    while len(directory) < sector:
        directory += entry("", 0, _NOSTREAM, _NOSTREAM, 0, 0)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x00" * 16,
                         0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    assert len(header) == sector
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(data)


def biff8_stub() -> bytes:
    """A BIFF8 workbook stream's opening: BOF (workbook globals) and EOF records."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    return bof + eof


def xls_as_xlsx(dst: Path) -> Path:
    """An Excel 97-2003 workbook (a compound file with a 'Workbook' stream) named .xlsx."""
    dst.write_bytes(compound_file({"Workbook": biff8_stub()}))
    return dst


def encrypted(src: Path, dst: Path, password: str = "secret") -> Path:
    """The genuine return encrypted with a password to open, as Excel does (ECMA-376 agile)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(src, "rb") as source, open(dst, "wb") as target:
        OOXMLFile(source).encrypt(password, target)
    return dst


# -- macros ------------------------------------------------------------------------------


def with_macros(src: Path, dst: Path) -> Path:
    """The genuine return with a VBA project added, as saving it as .xlsm in Excel would."""
    changes = with_part(src, "xl/vbaProject.bin", "application/vnd.ms-office.vbaProject",
                        "http://schemas.microsoft.com/office/2006/relationships/vbaProject")
    changes["[Content_Types].xml"] = changes["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    vba = compound_file({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nName="VBAProject"\r\n'})
    changes["xl/vbaProject.bin"] = vba
    return rebuild(src, dst, changes)


# -- XML attacks -------------------------------------------------------------------------

LAUGHS = (b'<!DOCTYPE {root} [\n <!ENTITY lol "lol">\n'
          + b"".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
                     for i in range(1, 10))
          + b"]>\n")
XXE = b'<!DOCTYPE {root} [\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
ENTITY_REF = {"laughs": b"&lol9;", "xxe": b"&xxe;"}


def inject_dtd(xml: bytes, attack: str, text_pattern: bytes) -> bytes:
    """Put a DTD before the root element and use its entity in the first text matching the pattern."""
    dtd = LAUGHS if attack == "laughs" else XXE
    decl = re.match(rb"\s*<\?xml[^>]*\?>\s*", xml)
    at = decl.end() if decl else 0
    root = re.search(rb"<([A-Za-z_][\w:.-]*)", xml[at:]).group(1)
    body = re.sub(text_pattern, lambda m: m.group(1) + ENTITY_REF[attack] + m.group(3), xml[at:], count=1)
    return xml[:at] + dtd.replace(b"{root}", root) + body


# part name -> the text in it that the entity replaces (groups: before, old text, after)
ATTACK_TARGETS = {
    "sheet": ("xl/worksheets/sheet1.xml", rb"(<t>)([^<]*)(</t>)"),
    "workbook": ("xl/workbook.xml", rb'(<sheet [^>]*?name=")([^"]*)(")'),
    "custom": ("docProps/custom.xml", rb'(name="sheetkit_respondent"[^>]*>\s*<vt:lpwstr>)([^<]*)(</vt:lpwstr>)'),
    "sharedStrings": ("xl/sharedStrings.xml", rb"(<t>)([^<]*)(</t>)"),
}


def xml_attack(src: Path, dst: Path, target: str, attack: str) -> Path:
    """The genuine return with a billion-laughs or external-entity DTD in one of its parts."""
    name, pattern = ATTACK_TARGETS[target]
    members = parts(src)
    changes: dict[str, bytes | None] = {}
    if name not in members:  # sheetkit's filled returns use inline strings: add a shared strings part
        changes.update(with_part(src, name, SST_TYPE, SST_REL))
        xml = SST_HEAD + b'<si><t>hello</t></si></sst>'
    else:
        xml = members[name]
    changes[name] = inject_dtd(xml, attack, pattern)
    assert b"<!ENTITY" in changes[name] and ENTITY_REF[attack] in changes[name]
    return rebuild(src, dst, changes)


# -- decompression bombs and oversized sheets ---------------------------------------------


def shared_strings_bomb(src: Path, dst: Path, size: int = GB, declared_size: int | None = None,
                        crc_of_declared: bool = False) -> Path:
    """A shared strings part that expands to `size` bytes (about 2 MB on disk for 1 GB).

    With `declared_size`, the zip headers (local and central) claim that size instead: a
    zip that lies about how large its member is. With `crc_of_declared`, the CRC is that of
    the first `declared_size` bytes, so a reader that stops at the declared size finds
    nothing wrong.
    """
    item = b"<si><t>" + b"lol " * 250 + b"</t></si>"  # 1,017 bytes, many items
    chunk = item * 1031  # about 1 MB
    tail = b"</sst>"
    count = max(1, (size - len(SST_HEAD) - len(tail)) // len(chunk))
    bomb = repeated("xl/sharedStrings.xml", SST_HEAD, chunk, count, tail, declared_size, crc_of_declared)
    return rebuild(src, dst, with_part(src, "xl/sharedStrings.xml", SST_TYPE, SST_REL), [bomb])


def _sheet_rows(rows: int, cols: int, with_refs: bool) -> Iterable[bytes]:
    yield SHEET_HEAD + b"<sheetData>"
    letters = [_col_letters(c) for c in range(cols)]
    for r in range(1, rows + 1):
        if with_refs:
            cells = b"".join(b'<c r="%s%d"><v>%d</v></c>' % (letters[c], r, c) for c in range(cols))
            yield b'<row r="%d">' % r + cells + b"</row>"
        else:
            yield b"<row>" + b"<c><v>1</v></c>" * cols + b"</row>"
    yield b"</sheetData></worksheet>"


def _col_letters(index: int) -> bytes:
    return column_letters(index).encode()


SCALE_SHEET = "xl/worksheets/sheet2.xml"  # the 'Scale' sheet: no answers, no checked texts


def many_cells(src: Path, dst: Path, rows: int = 15_000, cols: int = 200, with_refs: bool = True) -> Path:
    """The genuine return with its Scale sheet replaced by rows x cols numeric cells (3 million)."""
    sheet = streamed(SCALE_SHEET, _sheet_rows(rows, cols, with_refs))
    return rebuild(src, dst, extra=[sheet])


def far_cell(src: Path, dst: Path, with_dimension: bool = True) -> Path:
    """The genuine return with one cell at XFD1048576, the last cell a sheet can have."""
    dimension = b'<dimension ref="A1:XFD1048576"/>' if with_dimension else b""
    xml = (SHEET_HEAD + dimension + b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
           b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')
    return rebuild(src, dst, {SCALE_SHEET: xml})


def far_cell_without_refs(src: Path, dst: Path, rows: int = 1_048_576, cols: int = 16_384) -> Path:
    """Like :func:`far_cell`, but the far cell is reached by counting rows and cells, with no r="..."."""
    row_one = b"<row>" + b"<c/>" * (cols - 1) + b"<c><v>1</v></c></row>"
    pieces = [SHEET_HEAD + b"<sheetData>", row_one]
    pieces += [b"<row/>" * 4096] * ((rows - 2) // 4096)
    pieces += [b"<row/>" * ((rows - 2) % 4096), b"<row><c><v>1</v></c></row>", b"</sheetData></worksheet>"]
    return rebuild(src, dst, extra=[streamed(SCALE_SHEET, pieces, level=9)])


# -- genuine returns, edited -------------------------------------------------------------


def edit_with_openpyxl(src: Path, dst: Path, edit: Callable) -> Path:
    import openpyxl

    workbook = openpyxl.load_workbook(src)
    edit(workbook)
    workbook.save(dst)
    return dst


def statement_edited(src: Path, dst: Path, sheet: str, cell: str, text: str) -> Path:
    def edit(workbook):
        workbook[sheet][cell].value = text

    return edit_with_openpyxl(src, dst, edit)


def older_version(src: Path, dst: Path, version: str) -> Path:
    """The genuine return made to look built from another framework version (sheet and properties)."""
    from sheetkit.common.own_files import SHEET_META, meta_cell

    def edit(workbook):
        workbook[SHEET_META][meta_cell("framework_version")].value = version
        for prop in workbook.custom_doc_props.props:
            if prop.name == "sheetkit_framework_version":
                prop.value = version

    return edit_with_openpyxl(src, dst, edit)


# -- evasions of the pre-parse checks (holes; see test_hostile.py) ---------------------------


def with_sheets(src: Path, dst: Path, sheets: dict[str, bytes], part_names: list[str] | None = None) -> Path:
    """The genuine return with extra worksheets (name -> xml) added, each in its own part."""
    members = parts(src)
    workbook, types = members["xl/workbook.xml"], members["[Content_Types].xml"]
    rels = members["xl/_rels/workbook.xml.rels"]
    extra = []
    for i, (name, xml) in enumerate(sheets.items(), start=1):
        part = part_names[i - 1] if part_names else f"xl/worksheets/extra{i}.xml"
        workbook = workbook.replace(b"</sheets>", f'<sheet name="{name}" sheetId="{100 + i}" state="visible" '
                                                  f'r:id="rIdExtra{i}"/></sheets>'.encode())
        rels = rels.replace(b"</Relationships>", f'<Relationship Id="rIdExtra{i}" Type="http://schemas.openxml'
                                                 f'formats.org/officeDocument/2006/relationships/worksheet" '
                                                 f'Target="/{part}"/></Relationships>'.encode())
        types = types.replace(b"</Types>", f'<Override PartName="/{part}" ContentType="application/vnd.openxml'
                                           f'formats-officedocument.spreadsheetml.worksheet+xml"/></Types>'.encode())
        extra.append(deflated(part, xml))
    changes = {"xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types}
    return rebuild(src, dst, changes, extra)


def corner_sheet(last: str = "GR20000") -> bytes:
    """A sheet with two cells, at A1 and at `last`: tiny on disk, a full grid once read."""
    row = int(re.sub(r"[A-Z]", "", last))
    return (SHEET_HEAD + b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
            + f'<row r="{row}"><c r="{last}"><v>1</v></c></row>'.encode() + b"</sheetData></worksheet>")


def corner_sheets(src: Path, dst: Path, count: int) -> Path:
    """`count` extra sheets, each inside the allowed extent (GR20000) but 4 million cells once read."""
    return with_sheets(src, dst, {f"Extra {i}": corner_sheet() for i in range(1, count + 1)})


def far_cell_in_odd_part(src: Path, dst: Path) -> Path:
    """A sheet with a cell at XFD1048576 stored in a part not named xl/worksheets/*.xml."""
    return with_sheets(src, dst, {"Extra": corner_sheet("XFD1048576")}, ["xl/extra/data.bin"])


def padded_dtd(src: Path, dst: Path, target: str = "sheet", padding: int = 9000) -> Path:
    """A billion-laughs DTD pushed past the first 8 KB by a comment (allowed before a DOCTYPE)."""
    name, pattern = ATTACK_TARGETS[target]
    xml = parts(src)[name]
    attacked = inject_dtd(xml, "laughs", pattern)
    pad = b'<?xml version="1.0" encoding="UTF-8"?>\n<!--' + b" " * padding + b"-->\n"
    return rebuild(src, dst, {name: pad + attacked})


def zip_encrypted_flag(src: Path, dst: Path) -> Path:
    """The genuine return with the 'encrypted' flag set on every member (legacy zip encryption)."""
    write_zip(dst, [deflated(name, data) for name, data in parts(src).items()])
    blob = bytearray(dst.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = blob.find(signature)
        while at != -1:
            blob[at + flag_at] |= 0x01
            at = blob.find(signature, at + 4)
    dst.write_bytes(bytes(blob))
    return dst


def ods_repeated_grid(dst: Path, rows: int, cols: int) -> Path:
    """A 1 KB OpenDocument spreadsheet whose one cell is repeated over rows x cols."""
    content = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="Sheet1">'
               + f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type='
                 f'"float" office:value="1" table:number-columns-repeated="{cols}"><text:p>1</text:p>'
                 f'</table:table-cell></table:table-row>'.encode()
               + b"</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                b'<manifest:file-entry manifest:full-path="/" manifest:media-type='
                b'"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                b'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    stored = Entry("mimetype", [mimetype], zlib.crc32(mimetype), len(mimetype), method=zipfile.ZIP_STORED)
    return write_zip(dst, [stored, deflated("content.xml", content), deflated("META-INF/manifest.xml", manifest)])


def corrupt_part(src: Path, dst: Path, name: str = "docProps/custom.xml") -> Path:
    """The genuine return with one part's deflated bytes damaged (as a bad disk or download might)."""
    members = parts(src)
    entries = []
    for part, data in members.items():
        entry = deflated(part, data)
        if part == name:
            raw = bytearray(b"".join(entry.segments))
            raw[: min(len(raw), 64)] = b"\xff" * min(len(raw), 64)  # not a valid deflate block header
            entry.segments = [bytes(raw)]
        entries.append(entry)
    return write_zip(dst, entries)
