"""Reading a workbook of layout 1, the first release's: one table per section, each answer at a
fixed cell that the workbook's own metadata sheet lists under 'answer cells' (key, sheet, cell).

The map travels inside the workbook, so no planner of that layout is kept: each listed cell is
read, checked by today's rule for its field, and kept under its key, as that release read it.
The respondent could type only into those cells (everything else was locked); anything found
elsewhere outside the framework's own columns is kept as unplaced and reported, never lost.
"""

from __future__ import annotations

from sheetkit.common.findings import Finding
from sheetkit.common.own_files import SHEET_ACTIONS, SHEET_LISTS, SHEET_META, SHEET_SCALE, SHEET_START
from sheetkit.common.text import as_text, cell_position
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.workbook.plan import cell_for
from .model import CheckedReturn
from .reader import RawReturn
from .validate import _answer, _keep_unplaced

MAP_HEADING = "answer cells"
HEADER_ROW = 3  # every table's header row in layout 1 (rows 0-2: title, description, blank)
LOCKED_COLUMNS = 3  # Ref, the framework's wording and its prompts, on every section sheet


def answer_map(raw: RawReturn) -> list[tuple[str, str, str]]:
    """(key, sheet, cell) of every answer cell, as the workbook lists them."""
    grid = raw.sheets.get(SHEET_META, {})
    heading = next((r for (r, c), v in grid.items() if c == 0 and str(v).strip() == MAP_HEADING), None)
    if heading is None:
        return []
    rows = sorted({r for (r, c) in grid if r > heading and c == 0})
    return [(str(grid[(r, 0)]), str(grid.get((r, 1), "")), str(grid.get((r, 2), ""))) for r in rows]


def read_layout_1(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> None:
    """Every listed answer cell read and checked; a missing sheet, a changed statement and anything
    typed elsewhere reported."""
    cells = answer_map(raw)
    if not cells:
        checked.findings.append(Finding("not-sheetkit", f"the workbook says it is of sheetkit's first layout, but its "
                                        f"sheet '{SHEET_META}' lists no answer cells, so none could be read",
                                        file=checked.file, sheet=SHEET_META))
        checked.reject("layout 1 without its list of answer cells")
        return
    sheets = list(dict.fromkeys(sheet for _, sheet, _ in cells))
    for sheet in sheets:
        if sheet not in raw.sheets:
            checked.findings.append(Finding("sheet-missing", f"sheet '{sheet}' is missing, so its answers could not "
                                            f"be read", file=checked.file, sheet=sheet))
    taken: dict[str, set[tuple[int, int]]] = {}
    for key, sheet, where in cells:
        position = cell_position(where)
        if sheet not in raw.sheets or position is None:
            continue
        taken.setdefault(sheet, set()).add(position)
        value = raw.value(sheet, *position)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        checked.placed[key] = (sheet, where)
        checked.answers.append(_answer(cell_for(layout, key), sheet, where, value, layout.framework, checked))
    _check_statements(checked, raw, layout, cells)
    _keep_what_else(checked, raw, taken, set(sheets))
    ratings = [key for key, _, _ in cells if cell_for(layout, key).field.type == "rating"]
    checked.ratings_asked = sum(1 for key in ratings if cell_for(layout, key).field.required)
    checked.ratings_given = sum(1 for a in checked.answers if a.field.type == "rating" and a.usable)
    for key in ratings:
        if key not in checked.placed and cell_for(layout, key).field.required:
            sheet, where = next((s, w) for k, s, w in cells if k == key)
            if sheet in raw.sheets:
                checked.findings.append(Finding("rating-missing", f"no rating given for "
                                                f"'{cell_for(layout, key).field.label}' ({key.rsplit('/', 1)[0]})",
                                                file=checked.file, sheet=sheet, cell=where))
    if not any(a.field.level != "unplaced" for a in checked.answers):
        checked.findings.append(Finding("return-empty", "no answer cell has anything in it; the respondent may "
                                        "have sent back the blank workbook", file=checked.file))


def _check_statements(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout,
                      cells: list[tuple[str, str, str]]) -> None:
    """Each statement's wording is still in its sheet's wording column."""
    sheet_of = {key.split("/")[1]: sheet for key, sheet, _ in cells if key.startswith("statement/")}
    for _, item, statement in layout.framework.statements():
        sheet = sheet_of.get(statement.id, sheet_of.get(item.id))
        grid = raw.sheets.get(sheet or "", None)
        if grid is None:
            continue
        shown = {" ".join(as_text(v).split()) for (r, c), v in grid.items() if c == 1}
        if " ".join(statement.text.split()) not in shown:
            checked.findings.append(Finding("statement-changed", f"the text of statement {statement.id} was changed. "
                                            f"Expected: \"{statement.text[:200]}\"", file=checked.file, sheet=sheet))


def _keep_what_else(checked: CheckedReturn, raw: RawReturn, taken: dict[str, set[tuple[int, int]]],
                    answer_sheets: set[str]) -> None:
    """What was typed outside the listed cells and the framework's own columns: kept, and reported."""
    fixed = {SHEET_START, SHEET_SCALE, SHEET_META, SHEET_LISTS}
    for sheet, grid in raw.sheets.items():
        if sheet in fixed:
            continue
        if sheet not in answer_sheets:
            filled = sorted(p for p, v in grid.items() if as_text(v).strip())
            checked.findings.append(Finding("extra-sheet", f"sheet '{sheet}' was not in the workbook sheetkit built "
                                            f"(added or copied); its {len(filled)} filled cells were not read as "
                                            f"answers and are listed as unplaced", file=checked.file, sheet=sheet))
            _keep_unplaced(checked, sheet, grid, filled, {}, report=False)
            continue
        mine = taken.get(sheet, set())
        locked = 1 if sheet == SHEET_ACTIONS else LOCKED_COLUMNS  # the Action plan's column A numbers its rows
        outside = sorted((r, c) for (r, c), v in grid.items() if as_text(v).strip() and (r, c) not in mine
                         and r > HEADER_ROW and c >= locked)
        _keep_unplaced(checked, sheet, grid, outside, {})
