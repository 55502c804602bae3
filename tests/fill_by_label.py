"""Fill a built workbook as a person does: by reading the labels they see, never by key.

A respondent looks at an empty, unlocked cell and decides what to type from the text on
its row to the left and the header above its column. This module does the same with
openpyxl alone (it does not import sheetkit), so a test can fill a workbook this way,
ingest it and check that each value landed in the field whose label it was typed beside.

- An **answer cell** is an unlocked cell on a visible sheet, in a visible row and column.
- Its **row label** is the text of the nearest non-empty locked cell to its left on the
  same row; its **ref** is the text in the "Ref" (or "#", "ID") column of that row, if a
  header row above names such a column.
- Its **column header** is the text in its column on the nearest header row above it: a
  row whose non-empty cells are locked and include at least two bold text cells, with no
  unlocked cell, whose cell in this column is bold, locked, non-empty text.
- A list-validated cell gets one of its dropdown entries, a date-validated cell a date,
  any other cell a distinctive text naming its ref, row label and header, numbered so
  that no two are the same.

``fill_by_label(source, target)`` returns a ``Filled``: every field found, what was typed
into each cell, and what was typed keyed by ``(sheet, ref, row label, column header)``
(the Ref alone does not name a field when several rows share it, one per question).
After tests/lo_uno_edit.py has changed the filled file, ``followed(filled, report)`` says
where each of those values is now.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

REF_HEADERS = ("ref", "#", "id")
LABEL_CHARS = 40  # how much of a long row label goes into a typed text
_QUOTED_LIST = re.compile(r'^"(.*)"$', re.S)


@dataclass(frozen=True)
class Field:
    """One answer cell, named as a person reads it."""

    sheet: str
    cell: str
    row_label: str | None
    ref: str | None
    column_header: str | None
    choices: tuple[str, ...] | None = None  # the dropdown's entries, for a list-validated cell
    is_date: bool = False

    @property
    def key(self) -> tuple[str, str | None, str | None, str | None]:
        """(sheet, ref, row label, column header): how a person would name the field."""
        return (self.sheet, self.ref, self.row_label, self.column_header)


@dataclass
class Filled:
    """What fill_by_label typed: by cell, and by the key a person reads (fields sharing a key are ambiguous)."""

    fields: list[Field]
    cells: dict[tuple[str, str], object] = field(default_factory=dict)
    typed: dict[tuple, object] = field(default_factory=dict)
    ambiguous: list[tuple] = field(default_factory=list)


def text_of(value) -> str:
    """A cell's value as the text a person reads: 4 not 4.0, '' for nothing."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_fields(source) -> list[Field]:
    """Every answer cell of every visible sheet, row by row, with the labels a person reads.

    `source` is a path or an openpyxl workbook (reading adds empty cells to it: don't save it).
    A file is read once for each content: the fields of bytes read before are given again.
    """
    if isinstance(source, openpyxl.Workbook):
        return _fields_of(source)
    return list(_fields_in(Path(source).read_bytes()))


def forget() -> None:
    """Let go of the fields kept for files read before."""
    _fields_in.cache_clear()


@functools.lru_cache(maxsize=32)
def _fields_in(content: bytes) -> tuple[Field, ...]:
    return tuple(_fields_of(openpyxl.load_workbook(io.BytesIO(content))))


def _fields_of(workbook) -> list[Field]:
    found = []
    for sheet in workbook.worksheets:
        if sheet.sheet_state == "visible":
            found.extend(sheet_fields(workbook, sheet))
    return found


def sheet_fields(workbook, sheet) -> list[Field]:
    validation = validations(workbook, sheet)
    headers = header_rows(sheet)
    fields = []
    for row in sheet.iter_rows():
        for cell in row:
            if cell.protection.locked or is_hidden(sheet, cell.row, cell.column_letter):
                continue
            header_row = next((r for r in reversed(headers) if r < cell.row and is_header(sheet.cell(r, cell.column))),
                              None)
            rule = validation.get(cell.coordinate, {})
            fields.append(Field(sheet.title, cell.coordinate, row_label(sheet, cell.row, cell.column),
                                ref_of(sheet, [r for r in headers if r <= (header_row or 0)], cell.row),
                                text_of(sheet.cell(header_row, cell.column).value) if header_row else None,
                                rule.get("choices"), rule.get("date", False)))
    return fields


def is_hidden(sheet, row: int, column: str) -> bool:
    return bool(sheet.row_dimensions[row].hidden or sheet.column_dimensions[column].hidden)


def is_header(cell) -> bool:
    return bool(cell.protection.locked and cell.font and cell.font.b and isinstance(cell.value, str)
                and cell.value.strip())


def header_rows(sheet) -> list[int]:
    """Rows that look like a table's header: bold locked texts, nothing to fill in."""
    rows = []
    for row in sheet.iter_rows():
        cells = [c for c in row if text_of(c.value) or not c.protection.locked]
        if cells and all(c.protection.locked for c in cells) and sum(map(is_header, cells)) >= 2:
            rows.append(row[0].row)
    return rows


def row_label(sheet, row: int, column: int) -> str | None:
    """The nearest non-empty locked cell's text to the left of (row, column)."""
    for col in range(column - 1, 0, -1):
        cell = sheet.cell(row, col)
        if cell.protection.locked and text_of(cell.value):
            return text_of(cell.value)
    return None


def ref_of(sheet, header_rows: list[int], row: int) -> str | None:
    """The row's text in the column headed Ref (or # or ID), when it is locked: the column named so by
    the nearest of `header_rows` (those above the row's own header) that names one, as a block's
    repeated header names only the columns it heads again."""
    for header_row in reversed(header_rows):
        for cell in sheet[header_row]:
            if text_of(cell.value).lower() in REF_HEADERS:
                ref = sheet.cell(row, cell.column)
                return (text_of(ref.value) or None) if ref.protection.locked else None
    return None


def validations(workbook, sheet) -> dict[str, dict]:
    """{cell: {"choices": (...)} or {"date": True}} from the sheet's data validations."""
    found: dict[str, dict] = {}
    for rule in sheet.data_validations.dataValidation:
        if rule.type == "list":
            what = {"choices": list_entries(workbook, sheet, rule.formula1 or "")}
        elif rule.type == "date":
            what = {"date": True}
        else:
            continue
        for cells in str(rule.sqref).split():
            min_col, min_row, max_col, max_row = range_boundaries(cells)
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    found[f"{get_column_letter(c)}{r}"] = what
    return found


def list_entries(workbook, sheet, formula: str) -> tuple[str, ...]:
    """A dropdown's entries: a literal "a,b,c", a defined name or a range of cells."""
    quoted = _QUOTED_LIST.match(formula.strip())
    if quoted:
        return tuple(entry.strip() for entry in quoted[1].split(","))
    reference = formula.lstrip("=").strip()
    if reference in workbook.defined_names:
        destinations = list(workbook.defined_names[reference].destinations)
    else:
        name, _, cells = reference.rpartition("!")
        destinations = [(name.strip("'") or sheet.title, cells)]
    return tuple(text_of(c.value) for title, cells in destinations for row in workbook[title][cells.replace("$", "")]
                 for c in (row if isinstance(row, tuple) else (row,)) if text_of(c.value))


def plausible(field: Field, rng: random.Random, n: int):
    """What a person might put in the field: a dropdown entry, a date, or a text naming the field."""
    if field.choices:
        return rng.choice(field.choices)
    if field.is_date:
        return dt.date(2027, rng.randint(1, 12), rng.randint(1, 28))
    label, header = (field.row_label or "no label")[:LABEL_CHARS], (field.column_header or "no header")[:LABEL_CHARS]
    # a varied first word, as people's answers have, so the texts are in no particular order
    return f"{rng.choice(OPENERS)} evidence for {field.ref or '-'} / {label} / {header} [{n}]"


OPENERS = ("Agreed", "Board", "Clear", "Draft", "Early", "Full", "Good", "Half", "Initial", "Joint", "Known",
           "Local", "Mixed", "New", "Open", "Partial", "Quarterly", "Recent", "Shared", "Tested", "Useful",
           "Verified", "Weekly", "Yearly")


def fill_by_label(source: str | Path, target: str | Path, seed: int = 0,
                  only: Callable[[Field], bool] | None = None) -> Filled:
    """Copy `source` to `target` with a plausible value in every answer cell (or those `only` accepts)."""
    rng = random.Random(seed)
    filled = Filled(find_fields(source))
    workbook = openpyxl.load_workbook(source)
    counts: dict[tuple, int] = {}
    for field_ in filled.fields:
        counts[field_.key] = counts.get(field_.key, 0) + 1
    filled.ambiguous = [key for key, count in counts.items() if count > 1]
    for n, field_ in enumerate(f for f in filled.fields if only is None or only(f)):
        value = plausible(field_, rng, n + 1)
        workbook[field_.sheet][field_.cell].value = value
        filled.cells[(field_.sheet, field_.cell)] = value
        if counts[field_.key] == 1:
            filled.typed[field_.key] = value
    workbook.save(target)
    return filled


def followed(filled: Filled, report: dict) -> dict[tuple, dict]:
    """Where each value typed by label went, by key, from the report of tests/lo_uno_edit.py.

    {key: {"value": what was typed, "sheet", "cell": where it was typed, "now": where it is
    after the edits (None if lost), "lost": {"edit", "how"} or None}}, for unambiguous keys.
    """
    tracked = {(t["sheet"], t["cell"]): t for t in report["tracked"] if "typed_by" not in t}
    found = {}
    for field_ in filled.fields:
        if field_.key in filled.typed and (field_.sheet, field_.cell) in filled.cells:
            entry = tracked[(field_.sheet, field_.cell)]
            found[field_.key] = {"value": filled.typed[field_.key], "sheet": field_.sheet, "cell": field_.cell,
                                 "now": entry["now"], "lost": entry.get("lost")}
    return found
