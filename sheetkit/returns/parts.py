"""What a returned workbook holds beyond its cells' values, read from the file's own parts.

A spreadsheet library hands back values; a respondent's workbook can hold more, and none of it
may go unmentioned: cells merged over answers (LibreOffice can move the hidden cells' text into
the first), drawings and text boxes, formulas and links a reader could be harmed by when the
lead opens the return (external references, DDE, ``HYPERLINK``, ``WEBSERVICE``...), and texts
longer than a cell holds, which are kept whole from the XML itself. :func:`read_xlsx_parts` and
:func:`read_ods_parts` read all of these from an .xlsx or .ods (already checked for size and DTDs
by the reader; the formats' registry in :mod:`.file_formats` says which reads which) whatever
path later reads the values, so every check of them always runs.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import fromstring, iterparse

from sheetkit.common.limits import TEXT_LIMIT
from sheetkit.common.text import utf16_length
from .cell_notes import Relationship, col_index, relationships, sheet_parts

Cells = dict[tuple[int, int], str]


@dataclass(frozen=True)
class Drawing:
    """A drawing object on a sheet: where it is anchored (row and column from zero; -1 when it is
    anchored to the page rather than a cell), what it is, and the text it shows."""

    row: int
    col: int
    kind: str  # 'text box', 'shape', 'picture', 'chart', 'drawing'
    text: str


@dataclass
class Parts:
    """A workbook's parts beyond its values, sheet by sheet (sheet name -> ...)."""

    merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # (row, col, last row, last col)
    drawings: dict[str, list[Drawing]] = field(default_factory=dict)
    formulas: dict[str, Cells] = field(default_factory=dict)  # formulas a reader could be harmed by, with why
    links: dict[str, Cells] = field(default_factory=dict)  # cells linking outside the workbook: the target
    long_texts: dict[str, Cells] = field(default_factory=dict)  # texts of a cell's limit or more, whole
    workbook: list[str] = field(default_factory=list)  # links of the workbook as a whole (external files, DDE)


# -- formulas a reader could be harmed by ---------------------------------------------------------

_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_RISKY_FUNCTION = re.compile(
    r"(?<![\w.])(?:_xlfn\.|_xlws\.|com\.microsoft\.|org\.openoffice\.)?"
    r"(HYPERLINK|WEBSERVICE|FILTERXML|RTD|CALL|REGISTER(?:\.ID)?|EXEC|DDE|IMPORTXML|IMPORTHTML|IMPORTDATA|"
    r"IMPORTFEED|IMPORTRANGE|IMAGE|ENCODEURL)\s*\(", re.IGNORECASE)
_EXTERNAL = re.compile(r"\[\d+\]|'?(?:file|https?|ftp|smb):/|\\\\[\w.]", re.IGNORECASE)
_DDE = re.compile(r"[\w.-]+\s*\|\s*'?")
_WHY = {"HYPERLINK": "opens a link", "WEBSERVICE": "fetches a web address", "FILTERXML": "reads fetched web data",
        "RTD": "starts a program on the reader's computer", "CALL": "calls code on the reader's computer",
        "REGISTER": "loads code on the reader's computer", "EXEC": "runs a program", "DDE": "runs a program (DDE)",
        "IMAGE": "fetches a picture from the web", "ENCODEURL": "builds a web address from the workbook's data"}


def risky_formula(formula: str) -> str:
    """Why a stored formula could harm whoever opens the workbook ('' when it cannot): it reaches
    outside the workbook (another file, a web address, a program through DDE) or is one of the
    functions that fetch, link or run code. Text inside quotes is the formula's data, not its code."""
    code = _QUOTED.sub('""', formula) if '"' in formula else formula
    upper = code.upper()
    found = _RISKY_FUNCTION.search(code) if any(name in upper for name in _RISKY_NAMES) else None
    if found:
        name = found.group(1).upper()
        return f"uses {name}, which {_WHY.get(name.split('.')[0], 'fetches data from outside the workbook')}"
    if "|" in code and _DDE.search(code):
        return "starts a program through DDE (a 'program|topic' reference)"
    if ("[" in code or ":/" in code or "\\\\" in code) and _EXTERNAL.search(code):
        return "refers to another file or a web address"
    return ""


_RISKY_NAMES = ("HYPERLINK", "WEBSERVICE", "FILTERXML", "RTD", "CALL", "REGISTER", "EXEC", "DDE", "IMPORT", "IMAGE",
                "ENCODEURL")


# -- .xlsx --------------------------------------------------------------------------------------

_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_FORMULA = re.compile(rb"<f(\s[^>]*)?(?:/>|>(.*?)</f>)", re.S)
_FORMULA_TAG = re.compile(rb"<f[\s/>]")  # where _FORMULA can match: it needs one of these after <f
_SHARED_INDEX = re.compile(rb'\bsi="(\d+)"')
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"')
_HYPERLINK = re.compile(rb"<hyperlink\b([^>]*)/?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_STRING_ITEM = re.compile(rb"<si>|<si\s")
_RUN_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')


def read_xlsx_parts(archive: zipfile.ZipFile, names: set[str]) -> Parts:
    """The parts of an .xlsx or .xlsm."""
    parts = Parts()
    long_strings = _long_shared_strings(archive, names)
    for sheet, part in sheet_parts(archive, names).items():
        data = archive.read(part)
        rels = relationships(archive, names, part)
        if b"<mergeCell" in data:
            parts.merges[sheet] = [_merge_range(m) for m in _MERGE.finditer(data)]
        if _FORMULA_TAG.search(data):  # not b"<f": every data validation's <formula1> holds that
            _xlsx_formulas(parts.formulas.setdefault(sheet, {}), data)
        if b"<hyperlink" in data:
            _xlsx_links(parts.links.setdefault(sheet, {}), data, rels)
        if long_strings or len(data) >= TEXT_LIMIT:
            _xlsx_long_texts(parts.long_texts.setdefault(sheet, {}), data, long_strings)
        for rel in rels:
            if rel.kind in ("drawing", "vmlDrawing") and not rel.external and rel.target in names:
                read = _drawing_objects if rel.kind == "drawing" else _vml_objects
                parts.drawings.setdefault(sheet, []).extend(read(archive.read(rel.target)))
    parts.workbook = [f"the part {name} links the workbook to another file" for name in sorted(names)
                      if name.startswith("xl/externalLinks/") and name.endswith(".xml")]
    parts.workbook += [f"the part {name} holds a data connection to a source outside the workbook"
                       for name in sorted(names) if name == "xl/connections.xml"]
    return _without_empty(parts)


def _merge_range(match: re.Match) -> tuple[int, int, int, int]:
    first_col, first_row = col_index(match.group(1)), int(match.group(2)) - 1
    if match.group(3):
        last_col, last_row = col_index(match.group(3)), int(match.group(4)) - 1
    else:
        last_col, last_row = first_col, first_row
    return min(first_row, last_row), min(first_col, last_col), max(first_row, last_row), max(first_col, last_col)


def _xlsx_formulas(found: Cells, data: bytes) -> None:
    """Cells whose stored formula a reader could be harmed by; a shared formula's cells share its text."""
    shared: dict[bytes, str] = {}
    pending: list[tuple[tuple[int, int], bytes]] = []
    for position, formula in _formula_cells(data):
        text = _xml_text(formula.group(2) or b"")
        index = _SHARED_INDEX.search(formula.group(1) or b"")
        if text and index:
            shared[index.group(1)] = text
        elif not text and index:
            pending.append((position, index.group(1)))
            continue
        why = risky_formula(text)
        if why:
            found[position] = f"{why}: ={text}"
    for position, index in pending:
        why = risky_formula(shared.get(index, ""))
        if why:
            found[position] = f"{why}: ={shared[index]}"


def _formula_cells(data: bytes):
    """(position, <f> match) for each cell with a formula, found from the formulas rather than by
    walking every cell: a return's sheets hold thousands of cells and a few formulas."""
    for formula in _FORMULA.finditer(data):
        ref = _REF.search(data, data.rfind(b"<c ", 0, formula.start()), formula.start())
        if ref:
            yield (int(ref.group(2)) - 1, col_index(ref.group(1))), formula


def _xlsx_links(found: Cells, data: bytes, rels: list[Relationship]) -> None:
    """Cells with a hyperlink to somewhere outside the workbook (a web page, a file)."""
    by_id = {rel.id: rel.target for rel in rels if rel.kind == "hyperlink" and rel.external}
    for match in _HYPERLINK.finditer(data):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTRIBUTE.findall(match.group(1))}
        target = by_id.get(_xml_text(attrs.get(b"id", b"")), "")
        ref = re.match(rb"\$?([A-Z]{1,3})\$?(\d+)", attrs.get(b"ref", b""))
        if target and ref:
            found[(int(ref.group(2)) - 1, col_index(ref.group(1)))] = target


def _long_shared_strings(archive: zipfile.ZipFile, names: set[str]) -> dict[int, str]:
    """Shared strings of a cell's limit or longer (index -> the whole text); others are not decoded."""
    part = "xl/sharedStrings.xml"
    if part not in names or archive.getinfo(part).file_size < TEXT_LIMIT:
        return {}
    data = archive.read(part)
    starts = [m.start() for m in _STRING_ITEM.finditer(data)] + [len(data)]
    found = {}
    for index, (start, end) in enumerate(zip(starts, starts[1:])):
        if end - start >= TEXT_LIMIT:  # a text of that many characters takes at least that many bytes
            text = _string_item_text(data[start:end])
            if utf16_length(text) >= TEXT_LIMIT:
                found[index] = text
    return found


def _string_item_text(item: bytes) -> str:
    """The text of a shared or inline string: its runs' texts, without phonetic guides."""
    item = _PHONETIC.sub(b"", item)
    return _unescaped("".join(_xml_text(t) for t in _RUN_TEXT.findall(item)))


def _xlsx_long_texts(found: Cells, data: bytes, long_strings: dict[int, str]) -> None:
    """Cells whose text is a cell's limit or longer, read whole from the sheet's XML: shared strings
    (found by their index), inline strings and formulas' text results."""
    for start, end in _long_spans(data):
        cell_start = data.rfind(b"<c ", 0, start)
        ref, kind = _REF.search(data, cell_start, start), _TYPE.search(data, cell_start, start)
        if ref and kind:
            body = data[start:end]
            text = _string_item_text(body) if kind.group(1) == b"inlineStr" else _xml_text(body)
            if utf16_length(text) >= TEXT_LIMIT:
                found[(int(ref.group(2)) - 1, col_index(ref.group(1)))] = _unescaped(text)
    if long_strings:
        wanted = b"|".join(str(index).encode() for index in long_strings)
        for value in re.finditer(rb"<v>(" + wanted + rb")</v>", data):
            cell_start = data.rfind(b"<c ", 0, value.start())
            ref, kind = _REF.search(data, cell_start, value.start()), _TYPE.search(data, cell_start, value.start())
            if ref and kind and kind.group(1) == b"s":
                found[(int(ref.group(2)) - 1, col_index(ref.group(1)))] = long_strings[int(value.group(1))]


def _long_spans(data: bytes):
    """(start, end) of each inline string (<is>...</is>) and formula result (<v>...</v>) at least a
    cell's limit long in bytes, found with plain searches: few cells come near the limit."""
    if len(data) < TEXT_LIMIT:
        return
    for opening, closing, kind in ((b"<is>", b"</is>", b"inlineStr"), (b"<v>", b"</v>", b't="str"')):
        if kind not in data:
            continue
        end = 0
        while (start := data.find(opening, end)) >= 0:
            end = data.find(closing, start)
            if end < 0:
                break
            if end - start >= TEXT_LIMIT:
                yield start + len(opening), end


def _unescaped(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _drawing_objects(data: bytes) -> list[Drawing]:
    """The anchored objects of a DrawingML part (xl/drawings/drawingN.xml)."""
    found = []
    for anchor in fromstring(data):
        name = _local(anchor.tag)
        if not name.endswith("Anchor"):
            continue
        row = col = -1
        start = next((child for child in anchor if _local(child.tag) == "from"), None)
        if start is not None:
            cells = {_local(child.tag): (child.text or "").strip() for child in start}
            row, col = int(cells.get("row") or -1), int(cells.get("col") or -1)
        kinds = [_local(e.tag) for e in anchor.iter()]
        what = next((k for k in ("pic", "graphicFrame", "sp", "grpSp", "cxnSp") if k in kinds), "")
        paragraphs = ["".join(t.text or "" for t in p.iter() if _local(t.tag) == "t")
                      for p in anchor.iter() if _local(p.tag) == "p"]
        text = "\n".join(paragraphs).strip()
        described = [e.get("descr", "") for e in anchor.iter() if _local(e.tag) == "cNvPr" and e.get("descr")]
        kind = {"pic": "picture", "graphicFrame": "chart", "sp": "text box" if text else "shape",
                "grpSp": "group of shapes", "cxnSp": "line"}.get(what, "drawing")
        found.append(Drawing(row, col, kind, text or "\n".join(described)))
    return found


_VML_SHAPE = re.compile(rb"<v:shape\b.*?</v:shape>", re.S)
_VML_TYPE = re.compile(rb'<x:ClientData\b[^>]*\bObjectType="([^"]*)"')
_VML_ANCHOR = re.compile(rb"<x:Anchor>([^<]*)</x:Anchor>")
_VML_TEXT = re.compile(rb"<v:textbox\b[^>]*>(.*?)</v:textbox>", re.S)
_TAG = re.compile(rb"<br\s*/?>|</(?:p|div)>", re.I)


def _vml_objects(data: bytes) -> list[Drawing]:
    """Legacy (VML) drawing objects other than comments' notes, which are read as comments."""
    found = []
    for shape in _VML_SHAPE.findall(data):
        kind = _VML_TYPE.search(shape)
        if kind and kind.group(1) == b"Note":
            continue
        anchor = _VML_ANCHOR.search(shape)
        numbers = [int(n) for n in re.findall(rb"\d+", anchor.group(1))] if anchor else []
        row, col = (numbers[2], numbers[0]) if len(numbers) >= 4 else (-1, -1)
        body = _VML_TEXT.search(shape)
        html_text = re.sub(rb"\s+", b" ", body.group(1)) if body else b""  # as HTML: line ends are spaces
        lines = _xml_text(re.sub(rb"<[^>]+>", b"", _TAG.sub(b"\n", html_text))).split("\n")
        label = kind.group(1).decode(errors="replace").lower() if kind else "shape"
        found.append(Drawing(row, col, f"form control ({label})" if kind else "shape",
                             "\n".join(line.strip() for line in lines if line.strip())))
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_text(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", errors="replace"))


def _without_empty(parts: Parts) -> Parts:
    for name in ("merges", "drawings", "formulas", "links", "long_texts"):
        setattr(parts, name, {sheet: v for sheet, v in getattr(parts, name).items() if v})
    return parts


# -- .ods -----------------------------------------------------------------------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_XLINK = "http://www.w3.org/1999/xlink"
_MAX_REPEAT = 20_000  # as the reader caps .ods repeats: nothing is merged, drawn or linked out there
_SHAPES = {"frame", "custom-shape", "rect", "ellipse", "line", "polyline", "polygon", "path", "g", "connector",
           "caption", "measure", "control", "circle", "regular-polygon"}


def read_ods_parts(archive: zipfile.ZipFile, names: set[str]) -> Parts:
    """The same parts of an .ods, from one pass over content.xml. A shape LibreOffice stores with
    the page rather than a cell is placed at the cell under its top left corner, worked out from
    the sheet's column widths and row heights."""
    parts = Parts()
    if "content.xml" not in names:
        return parts
    sizes: dict[str, float] = {}  # column and row styles -> width or height, in cm
    sheet, row, col = "", -1, 0
    grid = _Grid()
    with archive.open("content.xml") as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{{{_TABLE}}}table":
                    sheet, row, grid = element.get(f"{{{_TABLE}}}name", ""), -1, _Grid()
                elif tag == f"{{{_TABLE}}}table-row":
                    row, col = row + 1, 0
                continue
            if tag == f"{{{_STYLE}}}style":
                _style_size(element, sizes)
            elif tag == f"{{{_TABLE}}}table-column":
                grid.add_column(sizes.get(element.get(f"{{{_TABLE}}}style-name", ""), _DEFAULT_WIDTH),
                                int(element.get(f"{{{_TABLE}}}number-columns-repeated", "1")))
            elif tag == f"{{{_TABLE}}}table-row":
                repeat = min(int(element.get(f"{{{_TABLE}}}number-rows-repeated", "1")), _MAX_REPEAT)
                grid.add_row(sizes.get(element.get(f"{{{_TABLE}}}style-name", ""), _DEFAULT_HEIGHT), repeat)
                row += repeat - 1
                element.clear()
            elif tag in (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"):
                _ods_cell(parts, sheet, row, col, element)
                col += min(int(element.get(f"{{{_TABLE}}}number-columns-repeated", "1")), _MAX_REPEAT)
            elif tag == f"{{{_TABLE}}}shapes":
                grid.page_shapes = [shape for shape in element if _local(shape.tag) in _SHAPES]
            elif tag == f"{{{_TABLE}}}table":
                parts.drawings.setdefault(sheet, []).extend(grid.place(shape) for shape in grid.page_shapes)
            elif tag == f"{{{_TABLE}}}dde-links":
                parts.workbook.append("the workbook holds DDE links, which start programs when it is opened")
    return _without_empty(parts)


_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
_DEFAULT_WIDTH, _DEFAULT_HEIGHT = 2.258, 0.452  # cm: LibreOffice's default column width and row height
_UNITS = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72, "pc": 2.54 / 6, "px": 2.54 / 96}
_LENGTH = re.compile(r"\s*(-?[\d.]+)\s*([a-z]*)")


def _length(text: str | None) -> float | None:
    """A length such as '2.258cm' or '1in' in centimetres; None when it is not one."""
    match = _LENGTH.fullmatch(text or "")
    if not match:
        return None
    try:
        return float(match.group(1)) * _UNITS.get(match.group(2) or "cm", 1.0)
    except ValueError:
        return None


def _style_size(style, sizes: dict[str, float]) -> None:
    for properties in style:
        size = properties.get(f"{{{_STYLE}}}column-width") or properties.get(f"{{{_STYLE}}}row-height")
        if _length(size) is not None:
            sizes[style.get(f"{{{_STYLE}}}name", "")] = _length(size)


class _Grid:
    """A sheet's column widths and row heights, to find the cell under a point on its page."""

    def __init__(self):
        self.columns: list[tuple[float, int]] = []  # (width, how many)
        self.rows: list[tuple[float, int]] = []
        self.page_shapes: list = []

    def add_column(self, width: float, count: int) -> None:
        self.columns.append((width, count))

    def add_row(self, height: float, count: int) -> None:
        self.rows.append((height, count))

    def place(self, shape) -> Drawing:
        """The shape, anchored at the cell under its top left corner (-1, -1 when it cannot be told)."""
        x, y = _length(shape.get(f"{{{_SVG}}}x")), _length(shape.get(f"{{{_SVG}}}y"))
        drawing = _ods_drawing(shape, -1, -1)
        if x is None or y is None:
            return drawing
        return Drawing(_index(self.rows, y, _DEFAULT_HEIGHT), _index(self.columns, x, _DEFAULT_WIDTH), drawing.kind,
                       drawing.text)


def _index(spans: list[tuple[float, int]], at: float, default: float) -> int:
    """Which of the runs of equal spans (then spans of the default size, past the last the sheet
    lists) a distance falls in, counted from zero. Sizes and positions are stored rounded (to 0.001
    cm), so a corner within that rounding of a cell's edge, summed over the cells before it, is
    taken to lie on the edge, in the cell after it."""
    index, start = 0, 0.0
    for size, count in [*spans, (default, 1 << 30)]:
        if size > 0 and at < start + size * count:
            inside = int((at - start) // size)
            nearly = (start + (inside + 1) * size) - at < _ROUNDING * (index + inside + 2)
            return index + inside + (1 if nearly and inside + 1 < count else 0)
        index, start = index + count, start + size * count
    return index


_ROUNDING = 0.0006  # cm: half the 0.001 cm to which sizes are stored, and a little


def _ods_cell(parts: Parts, sheet: str, row: int, col: int, cell) -> None:
    columns = int(cell.get(f"{{{_TABLE}}}number-columns-spanned", "1"))
    rows = int(cell.get(f"{{{_TABLE}}}number-rows-spanned", "1"))
    if columns > 1 or rows > 1:
        parts.merges.setdefault(sheet, []).append((row, col, row + rows - 1, col + columns - 1))
    formula = cell.get(f"{{{_TABLE}}}formula")
    if formula:
        text = formula.split(":", 1)[1] if formula[:3] in ("of:", "oo") else formula
        why = risky_formula(text.lstrip("="))
        if why:
            parts.formulas.setdefault(sheet, {})[(row, col)] = f"{why}: {text}"
    for child in cell:
        name = _local(child.tag)
        if name in _SHAPES and child.tag.startswith(f"{{{_DRAW}}}"):
            parts.drawings.setdefault(sheet, []).append(_ods_drawing(child, row, col))
        elif child.tag == f"{{{_TEXT}}}p":
            target = next((a.get(f"{{{_XLINK}}}href", "") for a in child.iter(f"{{{_TEXT}}}a")
                           if not a.get(f"{{{_XLINK}}}href", "#").startswith("#")), "")
            if target:
                parts.links.setdefault(sheet, {})[(row, col)] = target


def _ods_drawing(shape, row: int, col: int) -> Drawing:
    kinds = {_local(e.tag) for e in shape.iter()}
    text = "\n".join("".join(p.itertext()) for p in shape.iter(f"{{{_TEXT}}}p")).strip()
    if "image" in kinds:
        kind = "picture"
    elif "object" in kinds or "object-ole" in kinds:
        kind = "chart"
    elif "text-box" in kinds or text:
        kind = "text box"
    else:
        kind = "shape"
    if not text:
        text = "\n".join(e.text or "" for e in shape.iter() if _local(e.tag) in ("title", "desc") and e.text).strip()
    return Drawing(row, col, kind, text)
