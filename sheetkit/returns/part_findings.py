"""Findings on what a return holds beyond its values (read by :mod:`sheetkit.returns.parts`):
cells merged over answers, drawings and text boxes, formulas and links that could harm whoever
opens the return, and texts as long as a cell holds or longer.

Each gets a finding naming its sheet and cell (or the drawing's anchor), and its text is kept:
a drawing's text as unplaced, a formula or link in the finding. Nothing is compiled as an answer
it was not typed for: when LibreOffice's "move the contents of the hidden cells into the first
cell" may have joined several answers into one cell, that cell's text is kept as unplaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetkit.common.findings import Finding
from sheetkit.common.limits import TEXT_LIMIT
from sheetkit.common.text import as_text, cell_name, clip, utf16_length
from sheetkit.framework.fields import FIELD_TYPES
from sheetkit.framework.keys import AnswerKey
from sheetkit.workbook.layout import DRAWING_FIELD, UNPLACED_FIELD
from .model import Answer, CheckedReturn
from .reader import RawReturn

MERGE_CELLS_LOOKED_AT = 2_000  # a merge wider than this is judged by its corners and the answers in it
# What a value's check may have said about a cell whose text turns out not to be that answer's.
VALUE_CODES = frozenset(code for kind in FIELD_TYPES.values() for code in kind.codes) | {
    "cell-unreadable", "error-value", "text-too-long", "text-at-limit"}


@dataclass
class SheetAnswers:
    """Where one sheet's table and answers were found (what the part checks need of it)."""

    header_row: int
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # answer key -> (row, col)
    answer_columns: set[int] = field(default_factory=set)
    table_columns: set[int] = field(default_factory=set)


def report_parts(checked: CheckedReturn, raw: RawReturn, found: dict[str, SheetAnswers]) -> None:
    """Findings (and kept text) for every merged range over answers, drawing, risky formula and link."""
    parts = raw.parts
    for sheet, ranges in parts.merges.items():
        if sheet in found:
            for merged in ranges:
                _report_merge(checked, raw.sheets.get(sheet, {}), sheet, merged, found[sheet])
    for sheet, drawings in parts.drawings.items():
        _report_drawings(checked, sheet, drawings)
    for sheet, formulas in parts.formulas.items():
        for (row, col), why in sorted(formulas.items()):
            _report_formula(checked, sheet, cell_name(row, col), why)
    for sheet, links in parts.links.items():
        for (row, col), target in sorted(links.items()):
            checked.findings.append(Finding("cell-link", f"the cell links to {clip(target, 200)}; sheetkit keeps "
                                            f"its text, never the link", file=checked.file, sheet=sheet,
                                            cell=cell_name(row, col)))
    for what in parts.workbook:
        checked.findings.append(Finding("formula-unsafe", f"{what}; Excel may offer to update it, or run it, when "
                                        f"the return is opened", file=checked.file))


def report_lengths(checked: CheckedReturn) -> None:
    """Every text kept from the return that a cell cannot hold whole, or that fills a cell to its
    last character (the program that saved the file has probably cut it there)."""
    for answer in checked.answers:
        text = answer.text
        if len(text) * 2 < TEXT_LIMIT:  # too short to reach the limit, however it is counted
            continue
        length = utf16_length(text)  # a cell's limit counts UTF-16 units: an emoji takes two
        where = {"file": checked.file, "sheet": answer.sheet, "cell": answer.cell}
        if length > TEXT_LIMIT:
            checked.findings.append(Finding("text-too-long", f"'{answer.field.label}' holds {len(text):,} "
                                            f"characters; a cell holds {TEXT_LIMIT:,}. The full text is kept in the "
                                            f"Responses CSV", **where))
        elif length == TEXT_LIMIT:
            checked.findings.append(Finding("text-at-limit", f"'{answer.field.label}' holds {TEXT_LIMIT:,} "
                                            f"characters, exactly as many as a cell holds: the program that saved "
                                            f"the file has probably cut it there. It ends: "
                                            f"'...{text[-60:]}'", **where))


def _report_merge(checked: CheckedReturn, grid, sheet: str, merged: tuple[int, int, int, int],
                  table: SheetAnswers) -> None:
    first_row, first_col, last_row, last_col = merged
    cells = _cells(merged)
    by_position = {position: key for key, position in table.positions.items()}
    covered = [p for p in cells if p in by_position]
    in_answers = [p for p in cells if p[1] in table.answer_columns and p[0] > table.header_row]
    if not covered and not in_answers:
        return
    where = cell_name(first_row, first_col) + (f":{cell_name(last_row, last_col)}" if cells[1:] else "")
    rest = [p for p in cells if p != (first_row, first_col)]
    hidden_filled = any(not _blank(grid.get(p)) for p in rest)
    in_table = [p for p in rest if p[1] in table.table_columns and p[0] > table.header_row]
    joined = (first_row, first_col) in by_position and (len(covered) > 1 or in_table) and not hidden_filled
    names = ", ".join(_answer_name(by_position[p]) for p in covered) or "an answer column"
    if joined and _unplace(checked, sheet, cell_name(first_row, first_col)):
        checked.findings.append(Finding("answers-merged", f"the cells {where} were merged over {names}; the merged "
                                        f"cell's text may hold what those cells held (LibreOffice can move it into the "
                                        f"first cell), so it was not read as an answer and is kept as unplaced",
                                        file=checked.file, sheet=sheet, cell=cell_name(first_row, first_col)))
        return
    checked.findings.append(Finding("cells-merged", f"the cells {where} were merged over {names}; each answer was "
                                    f"read from its own cell, including any hidden under the merge",
                                    file=checked.file, sheet=sheet, cell=cell_name(first_row, first_col)))


def _cells(merged: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """The cells of a merged range, row by row; a huge one by its corners only (answers it covers are
    found from their own positions)."""
    first_row, first_col, last_row, last_col = merged
    if (last_row - first_row + 1) * (last_col - first_col + 1) > MERGE_CELLS_LOOKED_AT:
        return list(dict.fromkeys([(first_row, first_col), (first_row, last_col), (last_row, first_col),
                                   (last_row, last_col)]))
    return [(r, c) for r in range(first_row, last_row + 1) for c in range(first_col, last_col + 1)]


def _answer_name(key: str) -> str:
    parts = AnswerKey.parse(key)
    return f"{parts.level} {parts.owner} {parts.field}".replace(" - ", " ")


def _unplace(checked: CheckedReturn, sheet: str, cell: str) -> bool:
    """Take the answer read from a cell out of the answers and keep its text as unplaced (with the
    findings its check gave, which were about another answer's value); False when it had none."""
    index = next((n for n, a in enumerate(checked.answers) if (a.sheet, a.cell) == (sheet, cell)
                  and a.field.level != "unplaced"), None)
    if index is None:
        return False
    answer = checked.answers[index]
    checked.answers[index] = Answer(AnswerKey.unplaced(sheet, cell), UNPLACED_FIELD, "", "", "", sheet, cell,
                                    answer.raw, as_text(answer.raw), usable=False)
    checked.findings = [f for f in checked.findings
                        if not ((f.sheet, f.cell) == (sheet, cell) and f.code in VALUE_CODES)]
    return True


def _report_drawings(checked: CheckedReturn, sheet: str, drawings) -> None:
    count: dict[str, int] = {}
    for drawing in drawings:
        cell = cell_name(drawing.row, drawing.col) if drawing.row >= 0 and drawing.col >= 0 else ""
        anchor = f"anchored at {cell}" if cell else "anchored to the page"
        kept = ""
        if drawing.text:
            at = cell or "A1"
            count[at] = count.get(at, 0) + 1
            key = AnswerKey.unplaced(sheet, at, drawing=count[at])
            checked.answers.append(Answer(key, DRAWING_FIELD, "", "", "", sheet, at, drawing.text, drawing.text,
                                          usable=False))
            kept = f" saying '{clip(drawing.text, 200)}'; its text is kept in Responses as unplaced"
        checked.findings.append(Finding("drawing-found", f"a {drawing.kind} {anchor}{kept or ' (no text)'}",
                                        file=checked.file, sheet=sheet, cell=cell))


def _report_formula(checked: CheckedReturn, sheet: str, cell: str, why: str) -> None:
    answer = next((a for a in checked.answers if (a.sheet, a.cell) == (sheet, cell)
                   and a.field.level != "unplaced"), None)
    if answer is not None:
        answer.usable = False
    shown = f"; its shown value '{clip(answer.text, 80)}' is kept, not counted" if answer is not None else ""
    checked.findings.append(Finding("formula-unsafe", f"the cell holds a formula that {clip(why, 300)}; do not open "
                                    f"the return in Excel before this is removed{shown}", file=checked.file,
                                    sheet=sheet, cell=cell))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
