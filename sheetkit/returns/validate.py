"""Validation: a RawReturn checked against its framework's layout, giving answers and findings
(who sent it, and for which framework, is settled first by :mod:`sheetkit.returns.identity`).

Each check is a small function that appends findings; none stops at the first problem.
Values that fail a check are kept (marked not usable) so that nothing typed is lost, but
they are left out of the statistics.
"""

from __future__ import annotations

import copy
import difflib
from collections import Counter
from functools import lru_cache

from sheetkit.framework.fields import Checked, check_value
from sheetkit.common.text import as_text, clip
from sheetkit.common.findings import Finding
from sheetkit.common.verify import verified, verifying
from sheetkit.framework.model import Framework
from sheetkit.workbook.layout import (
    STILL_TRUE_FIELD,
    AnswerCell,
    COMMENT_FIELD,
    TextCell,
    WorkbookLayout,
    section_static_cells,
    unplaced_cell,
)
from sheetkit.workbook.plan import cell_for
from sheetkit.framework.keys import AnswerKey
from sheetkit.common.own_files import SHEET_LISTS, SHEET_META, SHEET_SCALE, SHEET_START
from sheetkit.common.text import cell_name
from .intact import INTACT_SHEETS
from .locate import SPLIT_PIECE, detect_sorts, norm
from .locked import Written, written
from .part_findings import SheetAnswers, report_lengths, report_parts
from sheetkit.workbook.start import start_static_cells
from .reader import RawReturn
from sheetkit.returns.model import Answer, CheckedReturn

def read_answers(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> None:
    """Find every answer by its row's Ref and label and its column's header, check each one,
    and keep (as unplaced) whatever was typed where no answer belongs.

    A fault while reading one sheet costs only that sheet: its cells are kept as unplaced with
    a `sheet-unreadable` finding, and the other sheets are read as usual. In verifying mode the
    return is read again with every sheet searched for (no intact-sheet path), and the two readings
    must give the same answers and findings."""
    full = copy.deepcopy(checked) if verifying() else None
    _read_answers(checked, raw, layout)
    if full is not None:
        with INTACT_SHEETS.searched():
            _read_answers(full, raw, layout)
        verified(lambda: _reading(full), _reading(checked), f"the reading of {checked.file}")


def _reading(checked: CheckedReturn) -> tuple:
    """What reading a return's answers settles about it, for comparing two readings."""
    return (checked.answers, checked.findings, checked.placed, checked.sign_off, checked.signed_off_by,
            checked.signed_off_on, checked.ratings_asked, checked.ratings_given)


def _read_answers(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> None:
    sheet_map = _match_sheets(checked, raw, layout)
    found: dict[str, SheetAnswers] = {}
    record = written(raw)
    INTACT_SHEETS.prime(layout, {table.name: _static(layout, table) for table in layout.tables})
    for table in layout.tables:
        actual = sheet_map.get(table.name)
        if actual is not None:
            _guarded(checked, raw, actual, lambda: _read_table(checked, raw, layout, table, actual, found, record))
    for built, actual in ((SHEET_SCALE, sheet_map.get(SHEET_SCALE)), (SHEET_LISTS, SHEET_LISTS)):
        if actual in raw.sheets:
            _guarded(checked, raw, actual, lambda: _read_fixed_sheet(checked, raw, built, actual, record))
    _read_extra_sheets(checked, raw, layout, sheet_map)
    report_parts(checked, raw, found)
    report_lengths(checked)
    checked.ratings_asked = sum(1 for c in layout.answers if c.field.type == "rating" and c.field.required)
    checked.ratings_given = sum(1 for a in checked.answers if a.field.type == "rating" and a.usable)
    _check_completeness(checked, layout, sheet_map)
    if not any(a.field.level not in ("unplaced", "signoff") for a in checked.answers):
        checked.findings.append(Finding("return-empty", "no answer cell has anything in it; the respondent may "
                                        "have sent back the blank workbook", file=checked.file))
    if layout.signoff_answers and not checked.signed_off_by:
        checked.findings.append(Finding("sign-off-missing", "nobody is named under 'Completed by' in the "
                                        "sign-off at the foot of the Start sheet", file=checked.file,
                                        sheet=sheet_map.get(SHEET_START, SHEET_START)))


def _read_table(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout, table, actual: str,
                found: dict[str, SheetAnswers], record: Written | None) -> None:
    """One sheet table's answers, checked, and everything else on the sheet kept and reported."""
    framework = layout.framework
    grid = raw.sheets.get(actual, {})
    texts = [t for t in layout.texts if t.sheet == table.name]
    static = _static(layout, table)
    # The shape (header row, columns, each answer's row) from the intact-sheet path when it can prove
    # the search's result, else searched for; everything below runs on both paths alike.
    located = detect_sorts(table, grid, INTACT_SHEETS.shape(table, grid, texts, static), _fits(framework))
    if record is not None:
        claimed = set(located.positions.values()) | set(located.unplaced) | set(located.found_texts) | set(
            located.edited)
        _report_typed_over(checked, actual, grid, record.typed_over(table.name, grid, set(grid) - claimed))
    _report_problems(checked, actual, located)
    _check_texts(checked, actual, texts, located, grid)
    cells = {a.key: a for a in table.answers + table.confirmations}
    for key, (row, col) in located.positions.items():
        checked.placed[key] = (actual, cell_name(row, col))
        value = grid.get((row, col))
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        cell = cells.get(key) or cell_for(layout, key)
        if _locked_action(cell, framework) and record is not None and record.typed_over(table.name, grid, [(row, col)]):
            _report_typed_over(checked, actual, grid, [(row, col)])  # locked: which action it carries is ours
            continue
        if cell.field == STILL_TRUE_FIELD:
            _confirmation(checked, cell, actual, cell_name(row, col), value, framework)
            continue
        answer = _answer(cell, actual, cell_name(row, col), value, framework, checked)
        if cell.field.level == "signoff":
            _sign_off(checked, answer)
        checked.answers.append(answer)
    notes = {p: n for p, n in raw.notes.get(actual, {}).items() if p not in static}
    _keep_unplaced(checked, actual, grid, located.unplaced, notes)
    _report_notes(checked, actual, notes, set(located.positions.values()))
    answer_headers = {c.header for c in table.columns if c.kind == "answer"}
    found[actual] = SheetAnswers(located.header_row, located.positions,
                                 {col for header, col in located.columns.items() if header in answer_headers},
                                 set(located.columns.values()))


def _read_fixed_sheet(checked: CheckedReturn, raw: RawReturn, built: str, actual: str, record: Written | None) -> None:
    """A sheet of sheetkit's own text alone (the Scale, the hidden lists): anything typed over it
    is reported and kept, and so are its comments."""
    grid = raw.sheets.get(actual, {})
    if record is not None:
        _report_typed_over(checked, actual, grid, record.typed_over(built, grid, set(grid)))
    _report_notes(checked, actual, raw.notes.get(actual, {}), set())


def _report_typed_over(checked: CheckedReturn, sheet: str, grid, positions: list[tuple[int, int]]) -> None:
    for row, col in positions:
        typed = clip(as_text(grid[(row, col)]), 80)
        checked.findings.append(Finding("locked-cell-changed", f"the locked cell holds '{typed}', which sheetkit did "
                                        f"not write there (typed over, or typed in a cell sheetkit left empty); it is "
                                        f"kept in Responses as unplaced", file=checked.file, sheet=sheet,
                                        cell=cell_name(row, col)))
    _keep_unplaced(checked, sheet, grid, positions, {}, report=False)


def _guarded(checked: CheckedReturn, raw: RawReturn, sheet: str, step) -> None:
    """Run the reading of one sheet; a fault in it is reported, and the sheet's cells are kept as
    unplaced rather than lost (what the step had added is taken back first)."""
    answers, findings, placed = len(checked.answers), len(checked.findings), dict(checked.placed)
    confirmed = dict(checked.confirmed)
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - a fault in sheetkit must not cost the respondent's return
        del checked.answers[answers:]
        del checked.findings[findings:]
        checked.placed, checked.confirmed = placed, confirmed
        keep_whole_sheet(checked, raw, sheet, exc)


def keep_whole_sheet(checked: CheckedReturn, raw: RawReturn, sheet: str, exc: Exception) -> None:
    """Every filled cell of a sheet kept as unplaced, with a `sheet-unreadable` finding saying why."""
    grid = raw.sheets.get(sheet, {})
    filled = sorted(p for p, v in grid.items() if not _blank(v))
    checked.findings.append(Finding("sheet-unreadable", f"sheetkit failed while reading this sheet "
                                    f"({type(exc).__name__}: {clip(str(exc), 120)}); its {len(filled)} filled cells "
                                    f"are kept in Responses as unplaced", file=checked.file, sheet=sheet))
    _keep_unplaced(checked, sheet, grid, filled, {}, report=False)


def _fits(framework: Framework):
    def fits(cell: AnswerCell, value) -> bool:
        return _check(cell, value, framework).usable
    return fits


def _static(layout: WorkbookLayout, table) -> set[tuple[int, int]]:
    if table.name == SHEET_START:
        return start_static_cells(layout)
    if table.section is not None:
        return section_static_cells(table)
    # the Action plan's title and notes: in column A, or (the first workbooks of layout 2) the notes in column B
    return {(0, 0), (1, 0), (2, 0), (1, 1), (2, 1)}


def _report_problems(checked: CheckedReturn, sheet: str, located) -> None:
    for problem in located.problems:
        checked.findings.append(Finding(problem.code, problem.message, file=checked.file, sheet=sheet,
                                        cell=problem.cell))


def _match_sheets(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> dict[str, str]:
    """Expected sheet name -> sheet found; one renamed sheet is recognised, missing ones reported."""
    present = set(raw.sheets)
    expected = layout.sheet_names
    missing = [name for name in expected if name not in present]
    extra = [name for name in raw.sheets if name not in expected and name not in _unread(layout)]
    sheet_map = {name: name for name in expected if name in present}
    if len(missing) == 1 and len(extra) == 1:
        sheet_map[missing[0]] = extra[0]
        checked.findings.append(Finding("sheet-renamed", f"sheet '{missing[0]}' was renamed '{extra[0]}'; its "
                                        f"answers were read from '{extra[0]}'", file=checked.file, sheet=extra[0]))
        return sheet_map
    for name in missing:
        checked.findings.append(Finding("sheet-missing", f"sheet '{name}' is missing, so its answers could not be "
                                        f"read", file=checked.file, sheet=name))
    return sheet_map


def _unread(layout: WorkbookLayout) -> set[str]:
    """Sheets sheetkit built that hold no answers, besides those the layout checks: its hidden sheets, and
    the information sheets of a partner's feedback."""
    return {SHEET_META, SHEET_LISTS, *layout.info_sheets}


def _read_extra_sheets(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout,
                       sheet_map: dict[str, str]) -> None:
    """Sheets sheetkit did not make (a copied sheet, a sheet of notes): everything on them is kept."""
    used = set(sheet_map.values()) | _unread(layout)
    for name, grid in raw.sheets.items():
        if name not in used:
            _guarded(checked, raw, name, lambda: _read_extra_sheet(checked, raw, name, grid))


def _read_extra_sheet(checked: CheckedReturn, raw: RawReturn, name: str, grid) -> None:
    filled = [(r, c) for (r, c), v in grid.items() if not _blank(v)]
    drawings = raw.parts.drawings.get(name, [])
    drawn = f" and {len(drawings)} drawings or text boxes" if drawings else ""
    checked.findings.append(Finding("extra-sheet", f"sheet '{name}' was not in the workbook sheetkit built "
                                    f"(added or copied); its {len(filled)} filled cells{drawn} were not read as "
                                    f"answers and are listed as unplaced", file=checked.file, sheet=name))
    _keep_unplaced(checked, name, grid, sorted(filled), raw.notes.get(name, {}), report=False)
    _report_notes(checked, name, raw.notes.get(name, {}), set())


def _keep_unplaced(checked: CheckedReturn, sheet: str, grid, positions, notes, report: bool = True) -> None:
    for row, col in positions:
        value = grid.get((row, col))
        cell = unplaced_cell(sheet, row, col)
        answer = Answer(cell.key, cell.field, "", "", "", sheet, cell.cell, value, as_text(value), usable=False)
        checked.answers.append(answer)
        if report and (row, col) not in notes:
            checked.findings.append(Finding("content-outside-layout", f"'{clip(as_text(value), 80)}' was typed "
                                            f"where no answer belongs (not beside a question sheetkit asked); it is "
                                            f"kept in Responses as unplaced", file=checked.file, sheet=sheet,
                                            cell=cell.cell))


def _report_notes(checked: CheckedReturn, sheet: str, notes, answers: set[tuple[int, int]]) -> None:
    for (row, col), (kind, text) in sorted(notes.items()):
        where = {"file": checked.file, "sheet": sheet, "cell": cell_name(row, col)}
        if kind == "formula":
            checked.findings.append(Finding("formula-without-value", f"the cell holds a formula ({clip(text, 60)}) "
                                            f"whose result was never saved, so its value cannot be read", **where))
        elif kind == "error":
            checked.findings.append(Finding("error-value", f"the cell shows the error {text}; it was not counted",
                                            **where))
        elif kind == "comment":
            on = "an answer" if (row, col) in answers else "a cell"
            checked.findings.append(Finding("cell-comment", f"a comment on {on}: '{clip(text, 200)}'", **where))
            cell = unplaced_cell(sheet, row, col)
            checked.answers.append(Answer(f"{cell.key}/comment", COMMENT_FIELD, "", "", "", sheet, cell.cell, text,
                                          text, usable=False))


def _check_texts(checked: CheckedReturn, sheet: str, texts: list[TextCell], located, grid) -> None:
    """Every piece of framework wording must still be on the sheet, wherever its row now is.
    A changed text is reported with what was found in its place; other text left in a locked
    column is kept as unplaced."""
    found = Counter(located.found_texts.values())
    shown: list[str] | None = None  # the columns read down: needed only for a text not found where it stood
    missing = []
    for text in texts:
        if text.header in located.missing_columns:
            continue
        key, former = norm(text.text), norm(text.former)
        if found[key] > 0:
            found[key] -= 1
        elif former and found[former] > 0:  # as a workbook built by an earlier layout shows it
            found[former] -= 1
        elif len(key) < SPLIT_PIECE:
            missing.append(text)
        else:
            shown = _columns_read_down(grid) if shown is None else shown
            if not any(key in column for column in shown):  # not split elsewhere
                missing.append(text)
    spare = {position: norm(value) for position, value in located.edited.items()}
    for text in missing:
        near = difflib.get_close_matches(norm(text.text), list(spare.values()), n=1, cutoff=0.0)
        position = next((p for p, v in spare.items() if near and v == near[0]), None)
        found_text = located.edited[position] if position else "(nothing: the text is gone)"
        code = "statement-changed" if text.what.startswith("statement") else "text-changed"
        checked.findings.append(Finding(code, f"the text of {text.what} was changed. Expected: "
                                        f"\"{clip(text.text)}\". Found: \"{clip(found_text)}\"",
                                        file=checked.file, sheet=sheet,
                                        cell=cell_name(*position) if position else text.cell))
        spare.pop(position, None)
    _keep_unplaced(checked, sheet, grid, sorted(spare), {})


def _confirmation(checked: CheckedReturn, cell: AnswerCell, sheet: str, where: str, value, framework: Framework) -> None:
    """A row's 'Still true?': kept as the choice it confirms the row's answers with; anything else
    typed there is reported and kept as unplaced, never lost."""
    result = check_value(value, cell.field, framework)
    if result.usable:
        checked.confirmed[cell.key.rsplit("/", 1)[0]] = result.value
        return
    checked.findings.append(Finding(result.code, result.message, file=checked.file, sheet=sheet, cell=where))
    position = unplaced_cell(sheet, cell.row, cell.col)
    checked.answers.append(Answer(AnswerKey.unplaced(sheet, where), position.field, "", "", "", sheet, where, value,
                                  as_text(value), usable=False))


def _columns_read_down(grid) -> list[str]:
    """Each column's texts, read down the column and joined: where framework wording split over several
    rows reads whole again."""
    columns: dict[int, list[str]] = {}
    for (row, col), value in sorted(grid.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if isinstance(value, str) and value.strip():
            columns.setdefault(col, []).append(norm(value))
    return [" ".join(texts) for texts in columns.values()]


def _sign_off(checked: CheckedReturn, answer: Answer) -> None:
    if answer.field.id == "completed_by":
        checked.signed_off_by = answer.text
    elif answer.field.id == "completed_on" and answer.usable:
        checked.signed_off_on = answer.value.isoformat()
    checked.sign_off[answer.field.id] = answer.text


def _locked_action(cell: AnswerCell, framework: Framework) -> bool:
    """An action-plan cell sheetkit writes and locks (which action of last round a row carries)."""
    return cell.field.level == "action" and framework.action_column(cell.field.id).locked


def _answer(cell: AnswerCell, sheet: str, where: str, value, framework: Framework, checked: CheckedReturn) -> Answer:
    answer = Answer(cell.key, cell.field, cell.section_id, cell.item_id, cell.statement_id, sheet, where,
                    value, value)
    result = _check(cell, value, framework)
    answer.value, answer.usable = result.value, result.usable
    if cell.field.type == "criterion":
        answer.raw = result.value  # the id, without the title the dropdown shows beside it
    if result.code:
        checked.findings.append(Finding(result.code, result.message, file=checked.file, sheet=sheet, cell=where))
    return answer


def _check(cell: AnswerCell, value, framework: Framework):
    if isinstance(value, str) and value.strip() in ERROR_LITERALS:
        return Checked(value, False, "error-value", f"the cell shows the error {value.strip()}; it was not counted")
    return check_value(value, cell.field, framework)


ERROR_LITERALS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR",
                            "Err:502", "Err:504", "Err:508", "Err:511", "Err:522"})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@lru_cache(maxsize=8)
def _answer_groups(layout: WorkbookLayout) -> dict[tuple[str, str], list[AnswerCell]]:
    """The layout's answer cells by (level, owner): an item's, a statement's, an action row's."""
    groups: dict[tuple[str, str], list[AnswerCell]] = {}
    for cell in layout.answers:
        key = cell.answer_key
        groups.setdefault((key.level, key.owner), []).append(cell)
    return groups


def _check_completeness(checked: CheckedReturn, layout: WorkbookLayout, sheet_map: dict[str, str]) -> None:
    by_key = {a.key: a for a in checked.answers}
    groups = _answer_groups(layout)
    statement_text_by_item: dict[str, bool] = {}
    for a in checked.answers:
        if a.field.level == "statement" and a.field.type == "text":
            statement_text_by_item[a.item_id] = True
    for (level, owner), cells in groups.items():
        if cells[0].sheet not in sheet_map:
            continue
        filled = {c.field.id: by_key.get(c.key) for c in cells}
        for cell in cells:
            if cell.key not in checked.placed:
                continue  # its row or column was not found: reported as such, never as a blank answer
            sheet, where = checked.placed[cell.key]
            answer = filled[cell.field.id]
            if cell.field.type == "rating" and cell.field.required and level != "action":
                if answer is None:
                    checked.findings.append(Finding("rating-missing", f"no rating given for '{cell.field.label}' "
                                                    f"({level} {owner})", file=checked.file, sheet=sheet, cell=where))
                elif answer.usable and cell.field.evidence and not _has_evidence(cell, filled, statement_text_by_item):
                    checked.findings.append(Finding("rating-without-evidence", f"rating given for {level} {owner} "
                                                    f"with no evidence in: {', '.join(cell.field.evidence)}",
                                                    file=checked.file, sheet=sheet, cell=where))
        _check_action(checked, level, owner, cells, filled)
    _check_extra_actions(checked, layout)


def _has_evidence(cell: AnswerCell, filled: dict, statement_text_by_item: dict[str, bool]) -> bool:
    for ref in cell.field.evidence:
        if filled.get(ref) is not None:
            return True
    return statement_text_by_item.get(cell.item_id, False) and cell.field.level == "item"


def _check_action(checked, level, owner, cells, filled) -> None:
    action_cell = next((c for c in cells if c.field.role == "action"), None)
    if action_cell is None or filled.get(action_cell.field.id) is None:
        return
    needed = [c for c in cells if c.field.role in ("owner", "due")]
    empty = [c for c in needed if filled.get(c.field.id) is None and c.key in checked.placed]
    if empty:
        what = " and ".join(f"'{c.field.label}'" for c in empty)
        sheet, where = checked.placed[empty[0].key]
        checked.findings.append(Finding("action-incomplete", f"an action is given but {what} is blank",
                                        file=checked.file, sheet=sheet, cell=where))


def _check_extra_actions(checked: CheckedReturn, layout: WorkbookLayout) -> None:
    """Actions typed below the rows the workbook was built with are read; check them as the others."""
    built = {c.key for c in layout.action_answers}
    extra: dict[str, dict[str, Answer]] = {}
    for a in checked.answers:
        if a.field.level == "action" and a.key not in built:
            extra.setdefault(AnswerKey.parse(a.key).owner, {})[a.field.id] = a
    for number, answers in extra.items():
        cells = [layout.action_cell(int(number), f) for f in ("action", "owner", "due")]
        _check_action(checked, "action", number, cells, {f: answers.get(f) for f in ("action", "owner", "due")})
