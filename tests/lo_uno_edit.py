#!/usr/bin/python3
"""Change a workbook in a real LibreOffice, as a respondent who has the sheet password does, and save it.

Standalone: it does not import sheetkit. Run it with a Python that has LibreOffice's UNO
bridge (on Debian and Ubuntu, the system /usr/bin/python3 with the python3-uno package):

    /usr/bin/python3 tests/lo_uno_edit.py INPUT.xlsx EDITS.json OUT_BASENAME --password secret

EDITS.json is a list of edits, applied in order, or an object ``{"password": "...",
"reprotect": true, "seed": 0, "edits": [...]}``. Rows are numbered from 1 and columns are
letters, as a person sees them, and every address is read *at the time of that edit* (after
the edits before it). Each edit names its "op" and "sheet":

``sort_rows``          {"rows": [5, 17], "by": "D", "descending": true, "columns": ["A", "H"]}
    Data > Sort of whole table rows (columns default to A..the last used column) by one column.
``sort_single_column`` {"column": "C", "rows": [5, 34], "descending": false}
    Sorts only that column's cells, breaking the table's rows apart.
``insert_row``         {"before": 9, "count": 1, "texts": {"B": "...", "E": "..."}}
    Inserts whole rows above row 9, then types the texts into the first new row.
``insert_column``      {"before": "D", "count": 1, "texts": {"4": "...", "6": "..."}}
    Inserts whole columns left of D, then types the texts into the first new column.
``delete_row``         {"row": 3, "count": 1}
``delete_column``      {"column": "C", "count": 1}
``hide_column``        {"column": "G"}
``move_range``         {"range": "A6:I6", "to": "A38"}      (cut and paste: the cells move)
``clear``              {"range": "D5:H5"}    (select and press Delete: contents go, formats stay)
``type``               {"cell": "J6", "text": "..."} or {"cell": "J6", "value": 3}
``set_formula``        {"cell": "C40", "formula": "=NA()"}
``add_comment``        {"cell": "D5", "text": "..."}
``copy_sheet``         {"new_name": "Copy", "position": 3, "texts": {"E5": "..."}}
    Copies the sheet (position from 0; default: after it), then types the texts into the copy.
``add_sheet``          {"new_name": "Our notes", "position": 3}   (Sheet > Insert Sheet: an empty sheet)
``merge``              {"range": "D13:D14", "contents": "move"}
    Format > Merge and Unmerge Cells > Merge Cells. When the cells to be hidden hold something,
    LibreOffice asks what to do with it, and the tool answers as a person would: "move" (move
    the contents of the hidden cells into the first cell, joined by spaces), "keep" (keep them,
    hidden) or "empty" (empty them). That needs the plan's "dialogs": true (see below).
``draw_text_box``      {"cell": "F10", "text": "...", "anchor": "cell", "size": [5000, 2000]}
    Insert > Text Box, drawn over the cell (size in 1/100 mm), typed into, and anchored to the
    cell (or, with "anchor": "page", to the page).

An edit ``{"op": "...", "choose": true}`` (with or without "sheet") is made concrete by the
tool, from the document as it stands, the way a respondent picks what to change: the sheet
(one with a table, i.e. a "Ref" or "#" header above rows holding unlocked cells), a run of
adjacent answer rows to sort and an answer column to sort by, a row of the table to insert
before, an answer column to insert before, a framework-text column (not Ref) to delete, a
blank row or the table's last row to delete, an answer cell to comment on or overwrite with
=NA(), a place beside or below the table to type in, a table row to move below it. Texts
it types say "typed by edit N (op)". It draws from random.Random(f"{seed}:{N}"), so a run
is repeatable; the report shows the concrete edit with "chosen": true.

Text is put into cells through the API (XCell.setString), as pasting does: it is never
parsed as a number, date or formula.

With "dialogs": true in the plan, soffice runs on its display-less window system rather than
--headless (which cancels every dialog unseen), and the document is opened in a window, so
that a dialog (the merge question) opens and is answered through LibreOffice's UI test service. Sheets are unprotected with the password before their
first edit and, unless "reprotect" is false, protected again with it before saving (a copy
of a protected sheet too); LibreOffice then writes its own protection settings.

The JSON report on stdout::

    {"input": path, "libreoffice": "7.4.7.2",
     "edits":   [each edit as given, plus what it did (below), or "error"],
     "sheets":  [{"name", "index", "visible", "protected", "hidden_columns": ["G"] (up to
                  five beyond the last used column),
                  "comments": [{"cell": "D5", "text": "..."}]}],
     "cells":   [{"sheet", "cell", "type": "TEXT" | "VALUE" | "FORMULA",
                  "value": text, number, or a formula's result (null for an error),
                  "shown": the text Calc shows (a date as the cell formats it),
                  "formula": "=NA()" and "error": Calc's error code (0 if none), for formulas}],
     "tracked": [{"sheet", "cell", "type", "value", "shown"  (as in "cells", before the edits),
                  "now": where it is after the edits ("D7"), or null and
                  "lost": {"edit": index into "edits", "how": "deleted" | "overwritten" | "cleared"}}],
     "tracking_errors": [{"sheet", "cell", "now", "expected", "found"}],
     "outputs": {"xlsx": path, "ods": path}}

"cells" lists every non-empty cell of every sheet (hidden ones too), row by row, as the
document stood when it was saved. "tracked" follows every cell that held something in the
input, and every cell an edit typed into (those have "typed_by": the edit's index), through
the edits (a copied sheet's own cells are copies, not tracked); the tool checks that
each one's content is really found at "now" and lists any that is not under
"tracking_errors", which should stay empty. What each edit adds to its entry:

- sort_rows: "order", the original row numbers in their new order (order[0] is now in the
  first row of the range); "moved", {"<old row>": new row} for the rows that moved.
- sort_single_column: "order" as above, for that column's cells only; "before" and "after",
  the column's texts (as Calc shows them) top to bottom.
- insert_row / insert_column: "inserted", the new rows (numbers) or columns (letters);
  "typed", [{"cell", "text"}].
- delete_row / delete_column: "deleted", the rows or columns removed; "removed", the
  non-empty cells they held [{"cell", "shown"}] (addresses before the deletion).
- move_range: "moved", [{"from", "to", "shown"}] for the non-empty cells moved.
- clear: "removed", the non-empty cells it emptied [{"cell", "shown"}].
- type: "shown", what the cell shows afterwards.
- set_formula: "shown", "value" (null for an error) and "error" (Calc's code: 32767 is
  #N/A, 0 none).
- add_comment: "comment", the note's text as read back.
- copy_sheet: "index", where the copy went; "protected"; "sheets", the names in order.
- add_sheet: "index" and "sheets", as for copy_sheet.
- merge: "merged" (true once merged), "asked" (whether LibreOffice asked about the hidden
  cells), "removed" (the non-empty cells before the merge [{"cell", "shown"}]) and "shown", what
  the merged cell shows. Hidden cells whose content moved or was emptied are followed as lost
  ("how": "merged"), and so is the first cell's own content when text was moved into it; the
  merged text is followed as typed by this edit.
- draw_text_box: "shape" (its text, read back) and "anchor" (the cell it is anchored to, or
  null for the page).
- every edit on a protected sheet: "unprotected": true when this edit unprotected it.

Exit status: 0 done; 1 something failed (the report says what under "error", and the
failing edit has its own "error"; later edits are not applied and nothing is saved), or
"tracking_errors" is not empty (the files are saved); 2 bad command line; 3 timed out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    import uno
    from com.sun.star.lang import IllegalArgumentException
    from com.sun.star.awt import Point, Size
    from com.sun.star.table import CellAddress, CellRangeAddress, TableSortField
except ImportError:  # pragma: no cover - depends on the Python used
    sys.stderr.write("lo_uno_edit.py needs the LibreOffice UNO bridge (python3-uno); run it with the "
                     "system Python, e.g. /usr/bin/python3\n")
    sys.exit(2)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lo_uno_fill as lo  # noqa: E402  (its LibreOffice process handling, shared)

CONTENT_FLAGS = 1 | 2 | 4 | 16  # com.sun.star.sheet.CellFlags VALUE | DATETIME | STRING | FORMULA
OPS = ("sort_rows", "sort_single_column", "insert_row", "insert_column", "delete_row", "delete_column",
       "hide_column", "move_range", "clear", "type", "set_formula", "add_comment", "copy_sheet", "add_sheet",
       "merge", "draw_text_box")
SHEETLESS_OPS = ("copy_sheet", "add_sheet")  # edits that make a sheet rather than change one
MERGE_ANSWERS = {"move": "move-cells-radio", "keep": "keep-content-radio", "empty": "empty-cells-radio"}
DIALOG_SECONDS = 20


class EditError(lo.FillError):
    pass


# -- addresses ------------------------------------------------------------------------------
def col_index(letters: str) -> int:
    """Column index from zero of 'D'."""
    if not isinstance(letters, str) or not letters.isalpha() or len(letters) > 3:
        raise EditError(f"'{letters}' is not a column letter such as D")
    return lo.cell_position(f"{letters}1")[0]


def col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def address(col: int, row: int) -> str:
    """'D5' for column 3, row 4 (both from zero)."""
    return f"{col_letter(col)}{row + 1}"


def row_number(value) -> int:
    if not isinstance(value, int) or value < 1:
        raise EditError(f"'{value}' is not a row number (1 or more)")
    return value


def range_position(name: str) -> tuple[int, int, int, int]:
    """(first col, first row, last col, last row), from zero, of 'A6:I7'."""
    first, _, last = name.partition(":")
    c1, r1 = lo.cell_position(first)
    c2, r2 = lo.cell_position(last or first)
    return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)


# -- reading what the document holds -------------------------------------------------------
def non_empty(sheet) -> list[dict]:
    """Every non-empty cell of a sheet, row by row: type, value, shown text (formula and error)."""
    name, found = sheet.getName(), []
    for where in sheet.queryContentCells(CONTENT_FLAGS).getRangeAddresses():
        block = sheet.getCellRangeByPosition(where.StartColumn, where.StartRow, where.EndColumn, where.EndRow)
        for r, (formulas, data) in enumerate(zip(block.getFormulaArray(), block.getDataArray())):
            for c, (formula, value) in enumerate(zip(formulas, data)):
                if formula != "" or value != "":
                    col, row = where.StartColumn + c, where.StartRow + r
                    found.append(describe(sheet, name, col, row, formula, value))
    found.sort(key=lambda e: e.pop("_at"))
    return found


def describe(sheet, name: str, col: int, row: int, formula: str, value) -> dict:
    """One cell's entry in the report; only numbers and formulas need the cell itself."""
    entry = {"_at": (row, col), "sheet": name, "cell": address(col, row), "type": "TEXT", "value": value,
             "shown": value}
    if formula.startswith("=") or not isinstance(value, str):
        cell = sheet.getCellByPosition(col, row)
        entry["type"], entry["shown"] = cell.getType().value, cell.getString()
        if entry["type"] == "FORMULA":
            entry["formula"], entry["error"] = formula, cell.getError()
    return entry


def shown_in(sheet, first_col: int, first_row: int, last_col: int, last_row: int) -> list[dict]:
    """The non-empty cells of a block as [{"cell", "shown"}], row by row."""
    block = sheet.getCellRangeByPosition(first_col, first_row, last_col, last_row)
    found = []
    for r, row in enumerate(block.getDataArray()):
        for c, value in enumerate(row):
            if value != "":
                cell = sheet.getCellByPosition(first_col + c, first_row + r)
                found.append({"cell": address(first_col + c, first_row + r), "shown": cell.getString()})
    return found


def used_width(sheet) -> int:
    """Number of columns up to the last non-empty cell."""
    ends = [r.EndColumn for r in sheet.queryContentCells(CONTENT_FLAGS).getRangeAddresses()]
    return max(ends, default=0) + 1


def sheet_summary(sheet, index: int) -> dict:
    columns = sheet.getColumns()
    hidden = [col_letter(i) for i in range(min(used_width(sheet) + 5, columns.getCount()))
              if not columns.getByIndex(i).IsVisible]
    notes = sheet.getAnnotations()
    comments = []
    for i in range(notes.getCount()):
        note = notes.getByIndex(i)
        where = note.getPosition()
        comments.append({"cell": address(where.Column, where.Row), "text": note.getString()})
    return {"name": sheet.getName(), "index": index, "visible": bool(sheet.IsVisible),
            "protected": bool(sheet.isProtected()), "hidden_columns": hidden, "comments": comments}


def row_order(before: tuple, after: tuple, first_row: int) -> list[int]:
    """Original row numbers (from 1) of the rows now in the block, matching rows by content."""
    waiting: dict[tuple, list[int]] = {}
    for n, row in enumerate(before):
        waiting.setdefault(tuple(row), []).append(first_row + n + 1)
    return [waiting[tuple(row)].pop(0) for row in after]


# -- the edits ------------------------------------------------------------------------------
class Tracker:
    """Where each cell that held something before the edits is now, followed edit by edit."""

    def __init__(self, cells: list[dict]):
        self.cells = [dict(cell, _at=lo.cell_position(cell["cell"])) for cell in cells]

    def add(self, cell: dict, edit: int) -> None:
        self.cells.append(dict(cell, typed_by=edit, _at=lo.cell_position(cell["cell"])))

    def move(self, sheet: str, edit: int, where, how: str) -> None:
        """Apply where(col, row) -> (col, row), or None when the edit lost the cell, to a sheet's cells."""
        for cell in self.cells:
            if cell["sheet"] == sheet and cell["_at"] is not None:
                cell["_at"] = where(*cell["_at"])
                if cell["_at"] is None:
                    cell["lost"] = {"edit": edit, "how": how}

    def report(self, final: list[dict]) -> tuple[list[dict], list[dict]]:
        """The tracked cells with where they are now, and any whose content is not found there."""
        now = {(c["sheet"], c["cell"]): c for c in final}
        tracked, wrong = [], []
        for cell in self.cells:
            at = cell.pop("_at")
            cell["now"] = None if at is None else address(*at)
            tracked.append(cell)
            if at is None:
                continue
            found = now.get((cell["sheet"], cell["now"]))
            same = found is not None and found["type"] == cell["type"] and (
                cell["type"] == "FORMULA" or found["value"] == cell["value"])
            if not same:
                wrong.append({"sheet": cell["sheet"], "cell": cell["cell"], "now": cell["now"],
                              "expected": cell["shown"], "found": found and found["shown"]})
        return tracked, wrong


def shifted(start: int, count: int, axis: int):
    """where() for inserting `count` rows (axis 1) or columns (axis 0) at `start` (from zero)."""
    def where(col: int, row: int):
        at = [col, row]
        if at[axis] >= start:
            at[axis] += count
        return tuple(at)
    return where


def removed(start: int, count: int, axis: int):
    """where() for deleting `count` rows (axis 1) or columns (axis 0) from `start` (from zero)."""
    def where(col: int, row: int):
        at = [col, row]
        if start <= at[axis] < start + count:
            return None
        if at[axis] >= start + count:
            at[axis] -= count
        return tuple(at)
    return where


def reordered(first_col: int, last_col: int, first_row: int, order: list[int]):
    """where() for a sort of rows first_row.. of columns first_col..last_col into `order`."""
    new_row = {old - 1: first_row + n for n, old in enumerate(order)}

    def where(col: int, row: int):
        return (col, new_row.get(row, row)) if first_col <= col <= last_col else (col, row)
    return where


def overwritten(col: int, row: int):
    return lambda c, r: None if (c, r) == (col, row) else (c, r)


class Editor:
    """Applies edits to one open document, unprotecting each sheet before its first edit."""

    def __init__(self, doc, password: str, ui=None):
        self.doc, self.password, self.ui = doc, password, ui
        self.sheets = doc.getSheets()
        self.to_protect = [n for n in self.sheets.getElementNames() if self.sheets.getByName(n).isProtected()]
        self.tracker = Tracker([cell for sheet in self.all_sheets() for cell in non_empty(sheet)])
        self.edit = 0

    def all_sheets(self) -> list:
        return [self.sheets.getByIndex(i) for i in range(self.sheets.getCount())]

    def moved(self, sheet, where, how: str = "overwritten") -> None:
        self.tracker.move(sheet.getName(), self.edit, where, how)

    def put(self, sheet, col: int, row: int, text: str) -> dict:
        """Type text into a cell that an insertion or a copy has just made."""
        sheet.getCellByPosition(col, row).setString(str(text))
        self.follow(sheet, col, row)
        return {"cell": address(col, row), "text": str(text)}

    def follow(self, sheet, col: int, row: int) -> None:
        """Track a cell this edit has just filled, from here to the saved file."""
        cell = sheet.getCellByPosition(col, row)
        kind = cell.getType().value
        value = cell.getString() if kind == "TEXT" else None if cell.getError() else cell.getValue()
        entry = describe(sheet, sheet.getName(), col, row, cell.getFormula(), value)
        entry.pop("_at")
        self.tracker.add(entry, self.edit)

    def sheet(self, name: str, entry: dict):
        if not isinstance(name, str) or not self.sheets.hasByName(name):
            raise EditError(f"no sheet '{name}' (sheets: {', '.join(self.sheets.getElementNames())})")
        sheet = self.sheets.getByName(name)
        if sheet.isProtected():
            try:
                sheet.unprotect(self.password)
            except IllegalArgumentException:
                raise EditError(f"the password does not unprotect sheet '{name}'") from None
            entry["unprotected"] = True
        return sheet

    def apply(self, n: int, edit: dict, seed=0) -> dict:
        op, self.edit = edit.get("op"), n
        if op not in OPS:
            raise EditError(f"unknown op '{op}'; use one of {', '.join(OPS)}")
        if edit.get("choose"):
            edit = choose(self.sheets, edit, random.Random(f"{seed}:{n}"), n)
        entry = dict(edit)
        if op in SHEETLESS_OPS:
            getattr(self, op)(edit, entry)
        else:
            getattr(self, op)(self.sheet(edit.get("sheet"), entry), edit, entry)
        return entry

    def reprotect(self) -> None:
        for name in self.to_protect:
            sheet = self.sheets.getByName(name)
            if not sheet.isProtected():
                sheet.protect(self.password)

    # sorting
    def sort_rows(self, sheet, edit: dict, entry: dict) -> None:
        first, last = (row_number(r) - 1 for r in edit["rows"])
        left, right = edit.get("columns") or ["A", col_letter(used_width(sheet) - 1)]
        c1, c2 = col_index(left), col_index(right)
        block = sheet.getCellRangeByPosition(c1, first, c2, last)
        before = block.getFormulaArray()
        sort(block, col_index(edit["by"]) - c1, bool(edit.get("descending")))
        entry["order"] = row_order(before, block.getFormulaArray(), first)
        entry["moved"] = {str(old): first + n + 1 for n, old in enumerate(entry["order"]) if old != first + n + 1}
        self.moved(sheet, reordered(c1, c2, first, entry["order"]))

    def sort_single_column(self, sheet, edit: dict, entry: dict) -> None:
        first, last = (row_number(r) - 1 for r in edit["rows"])
        col = col_index(edit["column"])
        block = sheet.getCellRangeByPosition(col, first, col, last)
        before = block.getFormulaArray()
        entry["before"] = [sheet.getCellByPosition(col, r).getString() for r in range(first, last + 1)]
        sort(block, 0, bool(edit.get("descending")))
        entry["order"] = row_order(before, block.getFormulaArray(), first)
        entry["after"] = [sheet.getCellByPosition(col, r).getString() for r in range(first, last + 1)]
        self.moved(sheet, reordered(col, col, first, entry["order"]))

    # rows and columns
    def insert_row(self, sheet, edit: dict, entry: dict) -> None:
        row, count = row_number(edit["before"]) - 1, int(edit.get("count", 1))
        sheet.getRows().insertByIndex(row, count)
        self.moved(sheet, shifted(row, count, 1))
        entry["inserted"] = list(range(row + 1, row + count + 1))
        entry["typed"] = [self.put(sheet, col_index(col), row, text) for col, text in edit.get("texts", {}).items()]

    def insert_column(self, sheet, edit: dict, entry: dict) -> None:
        col, count = col_index(edit["before"]), int(edit.get("count", 1))
        sheet.getColumns().insertByIndex(col, count)
        self.moved(sheet, shifted(col, count, 0))
        entry["inserted"] = [col_letter(c) for c in range(col, col + count)]
        texts = edit.get("texts", {}).items()
        entry["typed"] = [self.put(sheet, col, row_number(int(r)) - 1, text) for r, text in texts]

    def delete_row(self, sheet, edit: dict, entry: dict) -> None:
        row, count = row_number(edit["row"]) - 1, int(edit.get("count", 1))
        entry["removed"] = shown_in(sheet, 0, row, max(used_width(sheet) - 1, 0), row + count - 1)
        sheet.getRows().removeByIndex(row, count)
        self.moved(sheet, removed(row, count, 1), "deleted")
        entry["deleted"] = list(range(row + 1, row + count + 1))

    def delete_column(self, sheet, edit: dict, entry: dict) -> None:
        col, count = col_index(edit["column"]), int(edit.get("count", 1))
        rows = max((r.EndRow for r in sheet.queryContentCells(CONTENT_FLAGS).getRangeAddresses()), default=0)
        entry["removed"] = shown_in(sheet, col, 0, col + count - 1, rows)
        sheet.getColumns().removeByIndex(col, count)
        self.moved(sheet, removed(col, count, 0), "deleted")
        entry["deleted"] = [col_letter(c) for c in range(col, col + count)]

    def hide_column(self, sheet, edit: dict, entry: dict) -> None:
        sheet.getColumns().getByIndex(col_index(edit["column"])).IsVisible = False

    def move_range(self, sheet, edit: dict, entry: dict) -> None:
        c1, r1, c2, r2 = range_position(edit["range"])
        to_col, to_row = lo.cell_position(edit["to"])
        cells = shown_in(sheet, c1, r1, c2, r2)
        source = CellRangeAddress(sheet.getRangeAddress().Sheet, c1, r1, c2, r2)
        sheet.moveRange(CellAddress(source.Sheet, to_col, to_row), source)

        def where(col: int, row: int):
            if c1 <= col <= c2 and r1 <= row <= r2:
                return col - c1 + to_col, row - r1 + to_row
            if to_col <= col <= to_col + c2 - c1 and to_row <= row <= to_row + r2 - r1:
                return None
            return col, row
        self.moved(sheet, where)
        entry["moved"] = []
        for cell in cells:
            col, row = lo.cell_position(cell["cell"])
            entry["moved"].append({"from": cell["cell"], "to": address(col - c1 + to_col, row - r1 + to_row),
                                   "shown": cell["shown"]})

    # cells
    def clear(self, sheet, edit: dict, entry: dict) -> None:
        c1, r1, c2, r2 = range_position(edit["range"])
        entry["removed"] = shown_in(sheet, c1, r1, c2, r2)
        sheet.getCellRangeByPosition(c1, r1, c2, r2).clearContents(CONTENT_FLAGS)  # XSheetOperation
        self.moved(sheet, lambda c, r: None if c1 <= c <= c2 and r1 <= r <= r2 else (c, r), "cleared")

    def type(self, sheet, edit: dict, entry: dict) -> None:
        col, row = lo.cell_position(edit["cell"])
        self.moved(sheet, overwritten(col, row))
        cell = sheet.getCellByPosition(col, row)
        if "value" in edit:
            cell.setValue(float(edit["value"]))
        else:
            cell.setString(str(edit["text"]))
        entry["shown"] = cell.getString()
        self.follow(sheet, col, row)

    def set_formula(self, sheet, edit: dict, entry: dict) -> None:
        col, row = lo.cell_position(edit["cell"])
        self.moved(sheet, overwritten(col, row))
        cell = sheet.getCellByPosition(col, row)
        cell.setFormula(edit["formula"])
        self.doc.calculateAll()
        error = cell.getError()
        entry.update(shown=cell.getString(), value=None if error else cell.getValue(), error=error)
        self.follow(sheet, col, row)

    def add_comment(self, sheet, edit: dict, entry: dict) -> None:
        col, row = lo.cell_position(edit["cell"])
        sheet.getAnnotations().insertNew(CellAddress(sheet.getRangeAddress().Sheet, col, row), str(edit["text"]))
        entry["comment"] = sheet.getCellByPosition(col, row).getAnnotation().getString()

    def copy_sheet(self, edit: dict, entry: dict) -> None:
        name, new_name = edit.get("sheet"), edit.get("new_name")
        self.sheet(name, {})  # only checks that it exists; copying needs no unprotecting
        names = list(self.sheets.getElementNames())
        if name in self.to_protect and not self.sheets.getByName(name).isProtected():
            self.sheets.getByName(name).protect(self.password)  # copied as a respondent would see it
        position = int(edit.get("position", names.index(name) + 1))
        self.sheets.copyByName(name, new_name, position)
        names = list(self.sheets.getElementNames())
        copy = self.sheets.getByName(new_name)
        entry.update(index=names.index(new_name), protected=bool(copy.isProtected()), sheets=names)
        if copy.isProtected():
            self.to_protect.append(new_name)
        if edit.get("texts"):
            copy = self.sheet(new_name, entry)
            entry["typed"] = [self.put(copy, *lo.cell_position(cell), text) for cell, text in edit["texts"].items()]


    def add_sheet(self, edit: dict, entry: dict) -> None:
        names = list(self.sheets.getElementNames())
        position = int(edit.get("position", len(names)))
        self.sheets.insertNewByName(str(edit["new_name"]), position)
        names = list(self.sheets.getElementNames())
        entry.update(index=names.index(edit["new_name"]), sheets=names)

    def merge(self, sheet, edit: dict, entry: dict) -> None:
        """Merge Cells as the menu does; LibreOffice asks about hidden cells that hold something."""
        c1, r1, c2, r2 = range_position(edit["range"])
        how = edit.get("contents", "move")
        if how not in MERGE_ANSWERS:
            raise EditError(f"'contents' must be one of {', '.join(MERGE_ANSWERS)}")
        block = sheet.getCellRangeByPosition(c1, r1, c2, r2)
        entry["removed"] = shown_in(sheet, c1, r1, c2, r2)
        first = sheet.getCellByPosition(c1, r1).getString()
        hidden = [c for c in entry["removed"] if lo.cell_position(c["cell"]) != (c1, r1)]
        entry["asked"] = bool(hidden)
        if hidden:
            self.merge_asking(sheet, block, how)
        else:
            block.merge(True)  # nothing to ask about: the menu merges at once
        entry["merged"], entry["shown"] = bool(block.getIsMerged()), sheet.getCellByPosition(c1, r1).getString()
        if not entry["merged"]:
            raise EditError(f"LibreOffice did not merge {edit['range']}")
        moved = hidden and how != "keep"
        gone = {lo.cell_position(c["cell"]) for c in hidden} if moved else set()
        if moved and how == "move" and first:
            gone.add((c1, r1))  # its own text is now part of the joined text
        self.moved(sheet, lambda c, r: None if (c, r) in gone else (c, r), "merged")
        if (c1, r1) in gone or (how == "move" and hidden and not first):
            self.follow(sheet, c1, r1)

    def merge_asking(self, sheet, block, how: str) -> None:
        if self.ui is None:
            raise EditError("LibreOffice asks what to do with the hidden cells' contents: run with "
                            "\"dialogs\": true in the plan")
        controller = self.doc.getCurrentController()
        controller.setActiveSheet(sheet)
        controller.select(block)
        self.ui.executeDialog(".uno:MergeCells")
        deadline = time.monotonic() + DIALOG_SECONDS
        while time.monotonic() < deadline:
            dialog = self.ui.getTopFocusWindow()
            if MERGE_ANSWERS[how] in dialog.getChildren():
                dialog.getChild(MERGE_ANSWERS[how]).executeAction("CLICK", ())
                dialog.getChild("ok").executeAction("CLICK", ())
                return
            time.sleep(0.2)
        raise EditError("LibreOffice did not ask about the hidden cells' contents")

    def draw_text_box(self, sheet, edit: dict, entry: dict) -> None:
        """Insert > Text Box over a cell: a text shape on the sheet's drawing page, typed into."""
        col, row = lo.cell_position(edit["cell"])
        cell = sheet.getCellByPosition(col, row)
        shape = self.doc.createInstance("com.sun.star.drawing.TextShape")
        width, height = edit.get("size", [6000, 2500])
        shape.setPosition(Point(cell.Position.X, cell.Position.Y))
        shape.setSize(Size(int(width), int(height)))
        sheet.getDrawPage().add(shape)
        shape.setString(str(edit["text"]))
        if edit.get("anchor", "cell") == "cell":
            shape.Anchor = cell
        anchor = shape.Anchor
        at = anchor.getCellAddress() if hasattr(anchor, "getCellAddress") else None
        entry.update(shape=shape.getString(), anchor=address(at.Column, at.Row) if at is not None else None)


def sort(block, field: int, descending: bool) -> None:
    """Data > Sort of a block by one of its columns, no header row, formats moving with cells."""
    key = TableSortField()
    key.Field, key.IsAscending, key.IsCaseSensitive = field, not descending, False
    descriptor = [p for p in block.createSortDescriptor() if p.Name not in ("SortFields", "ContainsHeader")]
    descriptor += [lo.prop("SortFields", uno.Any("[]com.sun.star.table.TableSortField", (key,))),
                   lo.prop("ContainsHeader", False)]
    uno.invoke(block, "sort", (tuple(descriptor),))


# -- edits chosen at random, as a respondent might make them --------------------------------
class Table:
    """One sheet as a respondent sees its table: the Ref (or #) header, answer rows and columns."""

    def __init__(self, sheets, name: str):
        sheet = sheets.getByName(name)
        self.name, self.sheet_names = name, set(sheets.getElementNames())
        ends = sheet.queryContentCells(CONTENT_FLAGS).getRangeAddresses()
        self.width = max((r.EndColumn for r in ends), default=-1) + 1
        self.height = max((r.EndRow for r in ends), default=-1) + 1
        area = sheet.getCellRangeByPosition(0, 0, self.width + 2, self.height + 5)
        self.texts = [[str(v).strip() if v != "" else "" for v in row] for row in area.getDataArray()]
        self.unlocked = unlocked_cells(area)
        self.header = next((r for r, row in enumerate(self.texts) if any(t.lower() in ("ref", "#") for t in row)), None)
        self.rows, self.columns, self.ref = [], [], None
        if self.header is not None:
            self.ref = next(c for c, t in enumerate(self.texts[self.header]) if t.lower() in ("ref", "#"))
            self.rows = sorted({r for c, r in self.unlocked if r > self.header and self.texts[r][self.ref]})
            self.columns = sorted({c for c, r in self.unlocked if r in self.rows})

    def runs(self) -> list[list[int]]:
        """Runs of adjacent answer rows, the blocks a respondent would select to sort."""
        runs: list[list[int]] = []
        for r in self.rows:
            if runs and runs[-1][-1] == r - 1:
                runs[-1].append(r)
            else:
                runs.append([r])
        return [run for run in runs if len(run) > 1]

    def text_columns(self) -> list[int]:
        """Columns of framework text under a header (statements, guidance, prompts), not Ref."""
        return [c for c, t in enumerate(self.texts[self.header]) if t and c != self.ref and c not in self.columns]

    def blank_rows(self) -> list[int]:
        return [r for r in range(1, self.height) if not any(self.texts[r]) and not any(
            (c, r) in self.unlocked for c in range(self.width))]


def unlocked_cells(area) -> set[tuple[int, int]]:
    """(col, row) of every unlocked cell in a block, from its ranges of like formatting."""
    found = set()
    formats = area.getUniqueCellFormatRanges()
    for i in range(formats.getCount()):
        ranges = formats.getByIndex(i)
        if not ranges.getPropertyValue("CellProtection").IsLocked:
            found |= {(c, r) for a in ranges.getRangeAddresses() for c in range(a.StartColumn, a.EndColumn + 1)
                      for r in range(a.StartRow, a.EndRow + 1)}
    return found


def choose(sheets, edit: dict, rng: random.Random, n: int) -> dict:
    """A concrete edit of the kind `edit` names, on its sheet or on any sheet with a table."""
    op = edit["op"]
    names = [edit["sheet"]] if edit.get("sheet") else [
        sheets.getByIndex(i).getName() for i in range(sheets.getCount()) if sheets.getByIndex(i).IsVisible]
    rng.shuffle(names)
    tables = (t for t in (Table(sheets, name) for name in names) if t.rows and CHOOSERS[op][0](t))
    table = next(tables, None)  # the first that will do, in a random order: reading sheets is slow
    if table is None:
        raise EditError(f"no sheet where a respondent could make a '{op}' edit")
    chosen = {"op": op, "sheet": table.name, "chosen": True}
    chosen.update(CHOOSERS[op][1](table, rng, f"typed by edit {n} ({op})"))
    return chosen


def _cell(table: Table, rng: random.Random) -> str:
    return address(rng.choice(table.columns), rng.choice(table.rows))


def _sort_rows(t: Table, rng: random.Random, _text: str) -> dict:
    run = rng.choice(t.runs())
    return {"rows": [run[0] + 1, run[-1] + 1], "by": col_letter(rng.choice(t.columns)),
            "descending": rng.random() < 0.5}


def _sort_single_column(t: Table, rng: random.Random, _text: str) -> dict:
    run = rng.choice(t.runs())
    return {"column": col_letter(rng.choice(t.columns)), "rows": [run[0] + 1, run[-1] + 1],
            "descending": rng.random() < 0.5}


def _delete_row(t: Table, rng: random.Random, _text: str) -> dict:
    return {"row": rng.choice(t.blank_rows() + [t.rows[-1]]) + 1}


def _move_range(t: Table, rng: random.Random, _text: str) -> dict:
    row = rng.choice(t.rows) + 1
    return {"range": f"A{row}:{col_letter(max(t.width, 1) - 1)}{row}", "to": f"A{t.height + 3}"}


def _clear(t: Table, rng: random.Random, _text: str) -> dict:
    row = rng.choice(t.rows) + 1
    return {"range": f"{col_letter(t.columns[0])}{row}:{col_letter(t.columns[-1])}{row}"}


def _type(t: Table, rng: random.Random, text: str) -> dict:
    beside = address(t.width + rng.randint(0, 2), rng.choice(t.rows))
    below = address(rng.choice(range(max(t.width, 1))), t.height + rng.randint(1, 3))
    return {"cell": rng.choice([beside, below]), "text": text}


def _copy_sheet(t: Table, rng: random.Random, text: str) -> dict:
    n = 2
    while f"{t.name[:24]} ({n})" in t.sheet_names:
        n += 1
    return {"new_name": f"{t.name[:24]} ({n})", "texts": {_cell(t, rng): text}}


CHOOSERS = {  # op: (can it be done on this table?, choose its details)
    "sort_rows": (lambda t: t.runs(), _sort_rows),
    "sort_single_column": (lambda t: t.runs(), _sort_single_column),
    "insert_row": (lambda t: True, lambda t, rng, text: {
        "before": rng.choice(t.rows) + 1, "texts": {col_letter(rng.choice(t.columns)): text}}),
    "insert_column": (lambda t: True, lambda t, rng, text: {
        "before": col_letter(rng.choice(t.columns)), "texts": {str(t.header + 1): "Our notes",
                                                                str(rng.choice(t.rows) + 1): text}}),
    "delete_row": (lambda t: True, _delete_row),
    "delete_column": (lambda t: t.text_columns(), lambda t, rng, _text: {
        "column": col_letter(rng.choice(t.text_columns()))}),
    "hide_column": (lambda t: True, lambda t, rng, _text: {"column": col_letter(rng.choice(t.columns))}),
    "move_range": (lambda t: True, _move_range),
    "clear": (lambda t: True, _clear),
    "type": (lambda t: True, _type),
    "set_formula": (lambda t: True, lambda t, rng, _text: {"cell": _cell(t, rng), "formula": "=NA()"}),
    "add_comment": (lambda t: True, lambda t, rng, text: {"cell": _cell(t, rng), "text": text}),
    "copy_sheet": (lambda t: True, _copy_sheet),
}


# -- main -----------------------------------------------------------------------------------
def load_edits(path: str, password: str | None) -> dict:
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    if isinstance(plan, list):
        plan = {"edits": plan}
    if not isinstance(plan, dict) or not isinstance(plan.get("edits"), list):
        raise EditError("the edits must be a list or an object with 'edits'")
    plan["password"] = password if password is not None else plan.get("password", "")
    for n, edit in enumerate(plan["edits"]):
        if not isinstance(edit, dict) or edit.get("op") not in OPS or not (
                edit.get("sheet") or edit.get("choose") or edit.get("op") in SHEETLESS_OPS):
            raise EditError(f"edits[{n}] needs an 'op' (one of {', '.join(OPS)}) and a 'sheet' (or 'choose')")
    return plan


def run(args: argparse.Namespace, report: dict) -> None:
    """Edit and save as the arguments say, recording everything in `report` as it goes."""
    plan = load_edits(args.edits, args.password)
    source = Path(args.input).resolve()
    if not source.is_file():
        raise EditError(f"no such file: {source}")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in lo.FILTERS]
    if unknown:
        raise EditError(f"unknown format(s) {', '.join(unknown)}; use xlsx and/or ods")
    work = Path(tempfile.mkdtemp(prefix="lo-uno-edit-"))
    lo._our_dirs.append(work)
    dialogs = bool(plan.get("dialogs"))
    office = lo.Office(args.soffice, args.locale, work, dialogs=dialogs)
    report.update(input=str(source), edits=[])
    try:
        private = work / ("input" + source.suffix.lower())
        shutil.copyfile(source, private)
        office.start()
        report["libreoffice"] = str(office.setting("/org.openoffice.Setup/Product", "ooSetupVersionAboutBox"))
        doc = office.desktop.loadComponentFromURL(private.as_uri(), "_default" if dialogs else "_blank", 0, (
            lo.prop("Hidden", not dialogs), lo.prop("MacroExecutionMode", 0), lo.prop("UpdateDocMode", 0)))
        if doc is None:
            raise EditError(f"LibreOffice could not open {source.name}")
        ui = office.ctx.ServiceManager.createInstanceWithContext("org.libreoffice.uitest.UITest",
                                                                 office.ctx) if dialogs else None
        apply_all(Editor(doc, plan["password"], ui), plan, report)
        save(doc, formats, Path(args.out_basename).resolve(), work, report)
        doc.close(True)
    finally:
        office.close()
        shutil.rmtree(work, ignore_errors=True)


def apply_all(editor: Editor, plan: dict, report: dict) -> None:
    for n, edit in enumerate(plan["edits"]):
        try:
            report["edits"].append(editor.apply(n, edit, plan.get("seed", 0)))
        except Exception as exc:  # a bad edit or a UNO refusal: say which, apply nothing after it
            message = str(exc) if isinstance(exc, EditError) else f"{type(exc).__name__}: {exc}"
            report["edits"].append(dict(edit, error=message))
            raise EditError(f"edits[{n}] ({edit.get('op')} on '{edit.get('sheet')}'): {message}") from None
    if plan.get("reprotect", True):
        editor.reprotect()
    sheets = editor.all_sheets()
    report["sheets"] = [sheet_summary(sheet, i) for i, sheet in enumerate(sheets)]
    report["cells"] = [cell for sheet in sheets for cell in non_empty(sheet)]
    report["tracked"], report["tracking_errors"] = editor.tracker.report(report["cells"])


def save(doc, formats: list[str], out_base: Path, work: Path, report: dict) -> None:
    report["outputs"] = {}
    out_base.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        saved = work / f"output.{fmt}"
        doc.storeToURL(saved.as_uri(), (lo.prop("FilterName", lo.FILTERS[fmt]), lo.prop("Overwrite", True)))
        target = out_base.with_name(out_base.name + f".{fmt}")
        shutil.move(str(saved), target)
        report["outputs"][fmt] = str(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="the workbook to change (.xlsx or .ods); it is not changed")
    parser.add_argument("edits", help="JSON: the edits to apply, in order")
    parser.add_argument("out_basename", help="where to save, without extension: .xlsx and .ods are added")
    parser.add_argument("--password", help="the sheet password (else the edits file's 'password')")
    parser.add_argument("--soffice", default=os.environ.get("SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice")
    parser.add_argument("--locale", default="en-GB", help="LibreOffice's locale")
    parser.add_argument("--formats", default="xlsx,ods", help="comma-separated: xlsx, ods")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the whole run")
    args = parser.parse_args(argv)

    def give_up():
        sys.stdout.write(json.dumps({"error": f"timed out after {args.timeout:.0f} s"}) + "\n")
        sys.stdout.flush()
        for pid in lo._our_groups:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for folder in lo._our_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(3)

    watchdog = threading.Timer(args.timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    report: dict = {}
    try:
        run(args, report)
        status = 1 if report.get("tracking_errors") else 0
    except lo.FillError as exc:
        report["error"], status = str(exc), 1
    except Exception as exc:  # a UNO failure, e.g. soffice crashed: report it, never hang
        report["error"], status = f"{type(exc).__name__}: {exc}", 1
    finally:
        watchdog.cancel()
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
