"""What a workbook's values do not show: formulas with no stored result, error values, comments.

python-calamine reads a cell's cached value only, so an error such as ``#N/A`` and a formula
whose result was never stored both read as empty, and comments are not read at all. This
module finds them in the .xlsx parts themselves (already checked for size and DTDs by the
reader), so that ingest can report them instead of losing them.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from posixpath import dirname, join, normpath
from xml.etree.ElementTree import fromstring
from xml.sax.saxutils import unescape

from sheetkit.common.verify import verified

_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_REVERSED = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_CELL = re.compile(rb'<c\s([^>]*?)(?<!/)>(.*?)</c>', re.S)
_SPACE = (b" ", b"\t", b"\r", b"\n")
_FORMULA_NEXT = _SPACE + (b">", b"/")
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb'<v>([^<]*)</v>')
_COMMENT = re.compile(rb'<comment\b[^>]*?\bref="([A-Z]{1,3})(\d+)"[^>]*>(.*?)</comment>', re.S)
_TEXT = re.compile(rb'<t(?:\s[^>]*)?>([^<]*)</t>')

Notes = dict[str, dict[tuple[int, int], tuple[str, str]]]


def read_cell_notes(archive: zipfile.ZipFile, names: set[str]) -> Notes:
    """Sheet name -> {(row, col): (kind, text)}; kind is 'formula', 'error' or 'comment'."""
    notes: Notes = {}
    for sheet, part in sheet_parts(archive, names).items():
        found: dict[tuple[int, int], tuple[str, str]] = {}
        data = archive.read(part)
        marked = _formula_notes(data)
        verified(lambda: _every_cell_noted(data), marked, f"the formula and error notes of {part}")
        found.update(marked)
        for comments in _related(archive, names, part, "comments"):
            for (ref, text) in _comments(archive.read(comments)):
                found[ref] = ("comment", text)
        if found:
            notes[sheet] = found
    return notes


def _formula_notes(data: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """Formulas with no stored result and error values, found from each formula or error mark back to its
    cell: a sheet holds thousands of cells and a few formulas (a data validation's <formula1> is no mark)."""
    found = {}
    end = 0
    for mark in _marks(data):
        if mark < end:
            continue  # inside the cell just read
        start = _cell_start(data, mark)
        cell = _CELL.match(data, start) if start >= 0 else None
        if cell is None or cell.end() <= mark:
            continue  # not inside a cell (a mark in some other element)
        end = cell.end()
        _note(found, *cell.groups())
    return found


def _marks(data: bytes) -> list[int]:
    """Where a formula element (<f>, <f .../>) or an error type (t="e") starts, in order."""
    marks = []
    for needle, fits in ((b"<f", lambda at: data[at + 2:at + 3] in _FORMULA_NEXT),
                         (b't="e"', lambda at: data[at - 1:at] in _SPACE)):
        at = data.find(needle)
        while at >= 0:
            if fits(at):
                marks.append(at)
            at = data.find(needle, at + 1)
    return sorted(marks)


def _every_cell_noted(data: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """The same notes from every cell of the sheet: the full path the marks shortcut."""
    found = {}
    for attrs, body in _CELL.findall(data):
        _note(found, attrs, body)
    return found


def _cell_start(data: bytes, before: int) -> int:
    """Where the cell element holding position `before` starts (-1 if none does)."""
    at = before
    while True:
        at = data.rfind(b"<c", 0, at)
        if at < 0 or data[at + 2:at + 3] in _SPACE:
            return at


def _note(found: dict, attrs: bytes, body: bytes) -> None:
    """The note of one cell: an error value, or a formula whose result was never stored."""
    ref = _REF.search(attrs)
    if ref is None:
        return
    position = (int(ref.group(2)) - 1, col_index(ref.group(1)))
    value = _VALUE.search(body)
    if _ERROR_TYPE.search(attrs):
        found[position] = ("error", _text(value.group(1)) if value else "#ERROR")
    elif b"<f" in body and (value is None or not value.group(1)):
        found[position] = ("formula", _text(re.sub(rb"</?f[^>]*>", b"", body.split(b"<v")[0])))


def _comments(data: bytes):
    for letters, number, body in _COMMENT.findall(data):
        text = "".join(_text(t) for t in _TEXT.findall(body))
        yield (int(number) - 1, col_index(letters)), text


def sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name -> its part in the zip, from the workbook and its relationships."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = archive.read("xl/workbook.xml")
    sheets = [(n, r) for n, r in _SHEET.findall(workbook)] or [(n, r) for r, n in _SHEET_REVERSED.findall(workbook)]
    targets = _targets(archive.read("xl/_rels/workbook.xml.rels"))
    found = {}
    for name, rel in sheets:
        target = targets.get(rel.decode())
        if target:
            part = _resolve("xl/workbook.xml", target)
            if part in names:
                found[_text(name)] = part
    return found


def _related(archive: zipfile.ZipFile, names: set[str], part: str, kind: str) -> list[str]:
    return [r.target for r in relationships(archive, names, part)
            if not r.external and kind in r.target.rsplit("/", 1)[-1] and r.target in names]


@dataclass(frozen=True)
class Relationship:
    """One link from a part to another part (resolved to its name in the zip) or, when external,
    to a web address or file outside it; `kind` is the last word of its type ('drawing')."""

    id: str
    kind: str
    target: str
    external: bool


def relationships(archive: zipfile.ZipFile, names: set[str], part: str) -> list[Relationship]:
    """The relationships a part declares in its .rels part (none when it has no such part)."""
    rels = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels")
    if rels not in names:
        return []
    found = []
    for element in fromstring(archive.read(rels)):
        target = element.get("Target", "")
        external = element.get("TargetMode", "") == "External"
        found.append(Relationship(element.get("Id", ""), element.get("Type", "").rsplit("/", 1)[-1],
                                  target if external else _resolve(part, target), external))
    return found


def _targets(rels: bytes) -> dict[str, str]:
    pairs = {i.decode(): t.decode() for i, t in _REL.findall(rels)}
    pairs.update({i.decode(): t.decode() for t, i in _REL_REVERSED.findall(rels)})
    return pairs


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return normpath(join(dirname(source), target))


def col_index(letters: bytes) -> int:
    """0 for column A, 27 for AB."""
    number = 0
    for ch in letters.decode():
        number = number * 26 + ord(ch) - 64
    return number - 1


def _text(value: bytes) -> str:
    return unescape(value.decode("utf-8", errors="replace"), {"&quot;": '"', "&apos;": "'"})


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CALCEXT_NS = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MAX_REPEAT = 20_000  # LibreOffice repeats empty rows and cells to the sheet's end; nothing is noted there


def read_ods_notes(archive: zipfile.ZipFile, names: set[str]) -> Notes:
    """The same notes for an .ods: error values, formulas with no result and annotations."""
    from xml.etree.ElementTree import iterparse

    if "content.xml" not in names:
        return {}
    notes: Notes = {}
    sheet, row, col = "", -1, 0
    with archive.open("content.xml") as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag
            if event == "start" and tag == f"{{{_TABLE_NS}}}table":
                sheet, row = element.get(f"{{{_TABLE_NS}}}name", ""), -1
            elif event == "start" and tag == f"{{{_TABLE_NS}}}table-row":
                row, col = row + 1, 0
            elif event == "end" and tag == f"{{{_TABLE_NS}}}table-row":
                row += min(int(element.get(f"{{{_TABLE_NS}}}number-rows-repeated", "1")), _MAX_REPEAT) - 1
                element.clear()
            elif event == "end" and tag in (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"):
                note = _ods_note(element)
                if note:
                    notes.setdefault(sheet, {})[(row, col)] = note
                col += min(int(element.get(f"{{{_TABLE_NS}}}number-columns-repeated", "1")), _MAX_REPEAT)
    return notes


def _ods_note(cell) -> tuple[str, str] | None:
    annotation = cell.find(f"{{{_OFFICE_NS}}}annotation")
    if annotation is not None:
        text = "\n".join("".join(p.itertext()) for p in annotation.iter(f"{{{_TEXT_NS}}}p"))
        return ("comment", text)
    formula = cell.get(f"{{{_TABLE_NS}}}formula")
    if formula is None:
        return None
    shown = "".join("".join(p.itertext()) for p in cell.iter(f"{{{_TEXT_NS}}}p"))
    if cell.get(f"{{{_CALCEXT_NS}}}value-type") == "error":
        return ("error", shown or "#ERROR")
    if cell.get(f"{{{_OFFICE_NS}}}value-type") is None:
        return ("formula", formula)
    return None
