"""Many respondents' workbooks from one: built once for a stand-in, then patched where the respondent shows.

A first-round workbook differs from respondent to respondent only where it names them: their name,
organisation and email, and the workbook's build id, in the Start sheet's facts, the hidden
``_sheetkit`` sheet, the document properties and every sheet's footer. So for a batch of respondents
sharing everything else (framework, round, deadline, return-to, password, templates), one workbook is
built with stand-in values (marks no real value can hold), and each respondent's workbook is that
one with the stand-ins replaced, as the writer itself would have written the values, zipped as
XlsxWriter zips it: the same bytes as :func:`sheetkit.workbook.writer.write_workbook` would write.

That holds only where replacing the text is all the writer would have done differently, and
:meth:`Template.workbook_for` proves it before it patches: each value is plain text that every part
writes as it is (no control characters, no ``_x`` escapes, no space at either end, nothing fitted to
a cell); the Start sheet's rows are the height the stand-ins' are; the shared strings stay distinct
from each other and from every other string of the workbook (so none is stored once for two cells);
and which values are empty is as in the template. The metadata sheet's record of what sheetkit wrote
in locked cells (digests of the values, :mod:`sheetkit.returns.locked` reads them) is made again
from the values with the respondent's in place of the stand-ins, as the writer makes it. Otherwise, and for follow-up workbooks (which
carry last round's answers), the workbook is built in full. With ``SHEETKIT_VERIFY_FAST_PATHS`` every
patched workbook is compared with one built in full.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from sheetkit.common.own_files import written_cells, written_digest
from sheetkit.common.text import clip
from sheetkit.common.verify import difference, verifying
from sheetkit.xlsx.cells import _kept_inline, plain_text
from sheetkit.xlsx.text_fit import points_needed
from .layout import TEXT_FONT, WorkbookLayout
from .prefill import Carried
from .start import START_WIDTHS
from .writer import WorkbookFacts, write_workbook

# Stand-ins: characters of the Private Use Area, which no value a template patches may hold.
STAND_INS = {"respondent": "\ue000R\ue001", "organisation": "\ue000O\ue001", "email": "\ue000E\ue001",
             "build_id": "\ue000B\ue001"}
_STAND_IN = re.compile("\ue000[ROEB]\ue001")
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff\ue000-\uf8ff\ud800-\udfff]|_x|_X|^\s|\s$")
_SHARED_STRING = re.compile(rb"<si>(?:<t(?: [^>]*)?>([^<]*)</t>|<t/>)</si>")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # XlsxWriter's, in memory
TEMPLATE_AFTER = 2  # a template is made for the third workbook of a kind: fewer are built in full
SHEET_PART = re.compile(r"xl/worksheets/sheet\d+\.xml")


def _escaped(text: str) -> str:
    """Text as XlsxWriter writes it in an element's content (shared strings, properties, footers)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescaped(text: bytes) -> str:
    return text.decode("utf-8").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


@dataclass
class Template:
    """One workbook built for the stand-ins: its parts, in order, and what a patch must keep."""

    parts: list[tuple[str, bytes]]
    patched: set[str]  # the parts holding a stand-in
    other_strings: set[str]  # the workbook's shared strings other than the stand-ins' own and the records'
    heights: dict[str, float]  # facts field -> the height of its Start sheet row, with the stand-in
    # sheet -> (the digests of its locked values without a stand-in, those with one, and the texts
    # recording them on the metadata sheet, as in the template)
    records: dict[str, tuple[frozenset[str], list[str], list[str]]]

    @classmethod
    def make(cls, layout: WorkbookLayout, facts: WorkbookFacts) -> "Template | None":
        """The template for workbooks like `facts` (with its empty values empty), or None when this build
        of sheetkit names the respondent somewhere a patch cannot be proved to reach."""
        stand_in = replace(facts, **{k: STAND_INS[k] if getattr(facts, k) else "" for k in STAND_INS})
        with tempfile.TemporaryDirectory(prefix="sheetkit-template-") as folder:
            path = Path(folder) / "template.xlsx"
            written = write_workbook(str(path), layout, stand_in)
            with zipfile.ZipFile(path) as built:
                parts = [(info.filename, built.read(info.filename)) for info in built.infolist()]
        patched = {name for name, data in parts if _STAND_IN.search(data.decode("utf-8", "replace"))}
        for name in patched:
            text = dict(parts)[name].decode("utf-8")
            if SHEET_PART.fullmatch(name):
                marks = _STAND_IN.findall(text)
                footer = re.search(r"<oddFooter>[^<]*</oddFooter>", text)
                if marks != [STAND_INS["respondent"]] or not footer or STAND_INS["respondent"] not in footer.group():
                    return None  # a sheet names the respondent other than in its footer
            elif name not in ("xl/sharedStrings.xml", "docProps/core.xml", "docProps/custom.xml"):
                return None
        table = dict(parts).get("xl/sharedStrings.xml", b"")
        strings = [_unescaped(s) for s in _SHARED_STRING.findall(table)]
        if len(strings) != table.count(b"<si>"):
            return None  # a shared string this reading does not follow: none could be proved distinct
        records = _records(written)
        recorded = [text for _, _, texts in records.values() for text in texts]
        if len(set(recorded)) != len(recorded) or any(strings.count(text) != 1 or table.count(_element(text)) != 1
                                                       for text in recorded):
            return None  # a record not kept as one shared string of its own: it could not be replaced
        if records:
            patched.add("xl/sharedStrings.xml")
        return cls(parts, patched, {s for s in strings if not _STAND_IN.search(s)} - set(recorded),
                   {k: _height(STAND_INS[k]) for k in ("respondent", "organisation")}, records)

    def workbook_for(self, facts: WorkbookFacts) -> bytes | None:
        """The workbook for `facts` as the writer would write it, or None when that cannot be proved."""
        values = {k: getattr(facts, k) for k in STAND_INS}
        if any(_NOT_PLAIN.search(v) or _kept_inline(v) or plain_text(v) != (v, False) for v in values.values() if v):
            return None
        if any(values[k] and _height(values[k]) != self.heights[k] for k in self.heights):
            return None
        records = self._records_for({STAND_INS[k]: v for k, v in values.items()})
        if records is None:
            return None
        shared = [v for v in values.values() if v] + [f"Self-assessment workbook for {values['respondent']}"]
        shared += [new for old, new in records.items() if new != old]
        if len(set(shared)) != len(shared) or self.other_strings.intersection(shared):
            return None
        plain = {STAND_INS[k]: _escaped(v) for k, v in values.items()}
        footer = {STAND_INS["respondent"]: _escaped(clip(values["respondent"].replace("&", "&&"), 60))}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as archive:
            for name, data in self.parts:
                if name in self.patched:
                    marks = footer if SHEET_PART.fullmatch(name) else plain
                    data = _STAND_IN.sub(lambda m: marks[m.group()], data.decode("utf-8")).encode("utf-8")
                if name == "xl/sharedStrings.xml":
                    for old, new in records.items():
                        data = data.replace(_element(old), _element(new), 1)
                entry = zipfile.ZipInfo(name, _ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, data)
        return out.getvalue()

    def _records_for(self, values: dict[str, str]) -> dict[str, str] | None:
        """Each text recording a sheet's locked values in the template -> that text for a workbook whose
        stand-ins stand for `values` (None when the record would take another number of cells)."""
        renamed = {}
        for fixed, marked, texts in self.records.values():
            real = {written_digest(_STAND_IN.sub(lambda m: values[m.group()], value)) for value in marked}
            made = written_cells(fixed | real)
            if len(made) != len(texts):
                return None
            renamed.update(zip(texts, made))
        return renamed


def _records(written: dict[str, list]) -> dict[str, tuple[frozenset[str], list[str], list[str]]]:
    """For each sheet with a locked value holding a stand-in: the digests of its other locked values, the
    values holding one, and the texts of the cells recording them (see own_files.written_cells)."""
    records = {}
    for sheet, values in written.items():
        marked = [v for v in values if isinstance(v, str) and _STAND_IN.search(v)]
        if marked:
            fixed = frozenset(written_digest(v) for v in values if not (isinstance(v, str) and _STAND_IN.search(v)))
            records[sheet] = (fixed, marked, written_cells(written_digest(v) for v in values))
    return records


def _element(text: str) -> bytes:
    """A record's shared string as XlsxWriter writes it (digests and spaces: nothing to escape)."""
    return f"<t>{text}</t>".encode("ascii")


def _height(value: str) -> float:
    """The height the Start sheet gives the row of a fact (see write_start and _Writer.fit_row)."""
    return min(max(15.0, points_needed(value, START_WIDTHS[1], TEXT_FONT)), 409.0)


class Templates:
    """The templates this process has made, by everything but the respondent (the latest KEPT of them)."""

    KEPT = 8

    def __init__(self):
        self._made: dict[tuple, tuple[WorkbookLayout, Template | None]] = {}
        self._asked: dict[tuple, int] = {}

    def write(self, path: str, layout: WorkbookLayout, facts: WorkbookFacts, carried: Carried | None = None) -> None:
        """Write one respondent's workbook: patched from a template where that is proved the same, else in full."""
        data = None if carried is not None else self._patched(layout, facts)
        if data is None:
            write_workbook(path, layout, facts, carried)
            return
        if verifying():
            with tempfile.TemporaryDirectory(prefix="sheetkit-verify-") as folder:
                full = Path(folder) / "full.xlsx"
                write_workbook(str(full), layout, facts)
                if full.read_bytes() != data:
                    difference(f"the workbook patched from a template for {facts.respondent!r} differs from the one "
                               f"built in full")
        Path(path).write_bytes(data)

    def _patched(self, layout: WorkbookLayout, facts: WorkbookFacts) -> bytes | None:
        key = (id(layout), replace(facts, **{k: bool(getattr(facts, k)) for k in STAND_INS}))
        made = self._made.get(key)
        if made is None or made[0] is not layout:
            self._asked[key] = self._asked.get(key, 0) + 1
            if self._asked[key] <= TEMPLATE_AFTER:
                return None
            if len(self._made) >= self.KEPT:
                self._made.pop(next(iter(self._made)))
            made = self._made[key] = (layout, Template.make(layout, facts))  # the layout kept while its id is a key
        template = made[1]
        return template.workbook_for(facts) if template else None


TEMPLATES = Templates()
