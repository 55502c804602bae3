"""What a workbook's values do not show: formulas with no stored result, error values, comments.

python-calamine reads a cell's cached value only, so an error such as ``#N/A`` and a formula
whose result was never stored both read as empty, and comments are not read at all. This
module finds them in the .xlsx parts themselves (already checked for size and DTDs by the
reader), so that ingest can report them instead of losing them.
"""

from __future__ import annotations

import re
import zipfile
from posixpath import dirname, join, normpath
from xml.sax.saxutils import unescape

_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_REVERSED = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_CELL = re.compile(rb'<c\s([^>]*?)(?<!/)>(.*?)</c>', re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb'<v>([^<]*)</v>')
_COMMENT = re.compile(rb'<comment\b[^>]*?\bref="([A-Z]{1,3})(\d+)"[^>]*>(.*?)</comment>', re.S)
_TEXT = re.compile(rb'<t(?:\s[^>]*)?>([^<]*)</t>')

Notes = dict[str, dict[tuple[int, int], tuple[str, str]]]


def read_cell_notes(archive: zipfile.ZipFile, names: set[str]) -> Notes:
    """Sheet name -> {(row, col): (kind, text)}; kind is 'formula', 'error' or 'comment'."""
    notes: Notes = {}
    for sheet, part in _sheet_parts(archive, names).items():
        found: dict[tuple[int, int], tuple[str, str]] = {}
        data = archive.read(part)
        if b"<f" in data or b't="e"' in data:
            found.update(_formula_notes(data))
        for comments in _related(archive, names, part, "comments"):
            for (ref, text) in _comments(archive.read(comments)):
                found[ref] = ("comment", text)
        if found:
            notes[sheet] = found
    return notes


def _formula_notes(data: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    found = {}
    for attrs, body in _CELL.findall(data):
        ref = _REF.search(attrs)
        if ref is None:
            continue
        position = (int(ref.group(2)) - 1, _col(ref.group(1)))
        value = _VALUE.search(body)
        if _ERROR_TYPE.search(attrs):
            found[position] = ("error", _text(value.group(1)) if value else "#ERROR")
        elif b"<f" in body and (value is None or not value.group(1)):
            found[position] = ("formula", _text(re.sub(rb"</?f[^>]*>", b"", body.split(b"<v")[0])))
    return found


def _comments(data: bytes):
    for letters, number, body in _COMMENT.findall(data):
        text = "".join(_text(t) for t in _TEXT.findall(body))
        yield (int(number) - 1, _col(letters)), text


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name -> its part in the zip, from the workbook and its relationships."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = archive.read("xl/workbook.xml")
    sheets = [(n, r) for n, r in _SHEET.findall(workbook)] or [(n, r) for r, n in _SHEET_REVERSED.findall(workbook)]
    targets = _targets(archive.read("xl/_rels/workbook.xml.rels"))
    parts = {}
    for name, rel in sheets:
        target = targets.get(rel.decode())
        if target:
            part = _resolve("xl/workbook.xml", target)
            if part in names:
                parts[_text(name)] = part
    return parts


def _related(archive: zipfile.ZipFile, names: set[str], part: str, kind: str) -> list[str]:
    rels = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels")
    if rels not in names:
        return []
    return [p for p in (_resolve(part, t) for t in _targets(archive.read(rels)).values())
            if kind in p.rsplit("/", 1)[-1] and p in names]


def _targets(rels: bytes) -> dict[str, str]:
    pairs = {i.decode(): t.decode() for i, t in _REL.findall(rels)}
    pairs.update({i.decode(): t.decode() for t, i in _REL_REVERSED.findall(rels)})
    return pairs


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return normpath(join(dirname(source), target))


def _col(letters: bytes) -> int:
    number = 0
    for ch in letters.decode():
        number = number * 26 + ord(ch) - 64
    return number - 1


def _text(value: bytes) -> str:
    return unescape(value.decode("utf-8", errors="replace"), {"&quot;": '"', "&apos;": "'"})
