"""Finding the layout's answers on a returned sheet, wherever the respondent left them.

The layout (:mod:`sheetkit.workbook.layout`) says, for each sheet table, the header text of every
column and, for every answer, the Ref and label of its row. :func:`locate_table` looks for
those on the sheet as returned: the header row wherever it now is, each column by its
header, each answer row by its Ref (and label, where several rows share a Ref). So a sort,
an inserted or deleted row or column, or a hidden column never moves an answer to another
key: an answer is either found where its own Ref and header meet, or reported.

What the layout does not account for (a note beside the table, a row added in the middle,
a value left in a column whose rows were sorted on their own) is returned as unplaced
cells, for the caller to report and keep.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from sheetkit.common.text import as_text, clip
from sheetkit.framework.model import PRIORITIES
from sheetkit.workbook.layout import NO_ANSWER, REF_HEADER, AnswerCell, SheetTable, TextCell
from sheetkit.framework.model import ACTION_STATUSES
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.common.text import cell_name
from sheetkit.framework.keys import AnswerKey

Grid = dict[tuple[int, int], object]


@dataclass
class Problem:
    """Something about the table's shape, before any value is judged."""

    code: str
    message: str
    cell: str = ""


@dataclass
class Located:
    """Where a table's answers are on the returned sheet, and what else is there."""

    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # answer key -> (row, col)
    unplaced: list[tuple[int, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sorted_columns: set[int] = field(default_factory=set)  # columns re-ordered on their own
    sorted_rows: dict[int, set[int]] = field(default_factory=dict)  # of those, the rows, where only a run moved
    found_texts: dict[tuple[int, int], str] = field(default_factory=dict)
    edited: dict[tuple[int, int], str] = field(default_factory=dict)  # other text in a locked column of a known row
    missing_columns: set[str] = field(default_factory=set)
    header_row: int = -1  # where the header row was found (-1: not found)
    columns: dict[str, int] = field(default_factory=dict)  # column header -> where it was found

    def copy(self) -> "Located":
        return Located(dict(self.positions), list(self.unplaced), list(self.problems), set(self.sorted_columns),
                       {c: set(rows) for c, rows in self.sorted_rows.items()}, dict(self.found_texts),
                       dict(self.edited), set(self.missing_columns), self.header_row, dict(self.columns))


@lru_cache(maxsize=1 << 16, typed=True)  # the same few thousand texts, compared again on every return
def norm(value) -> str:
    """Text compared for identity: whitespace folded, case kept."""
    return " ".join(as_text(value).split())


def locate_table(table: SheetTable, grid: Grid, texts: list[TextCell], static: set[tuple[int, int]],
                 fits: Callable[[AnswerCell, object], bool]) -> Located:
    """Locate one sheet table's answers in a returned sheet's cells.

    `static` holds the positions above the header row that the writer fills (titles, facts);
    `fits(answer, value)` says whether a value is of the kind its answer cell takes.

    The shape is searched for (:func:`locate_shape`), then the values are checked for a column
    sorted on its own (:func:`detect_sorts`).
    """
    return detect_sorts(table, grid, locate_shape(table, grid, texts, static), fits)


def detect_sorts(table: SheetTable, grid: Grid, located: Located,
                 fits: Callable[[AnswerCell, object], bool]) -> Located:
    """The located answers, less the values of any column sorted on its own (reported, and kept as unplaced)."""
    if located.header_row >= 0:
        _detect_single_column_sorts(table, grid, located.columns, located, fits)
    return located


def locate_shape(table: SheetTable, grid: Grid, texts: list[TextCell], static: set[tuple[int, int]]) -> Located:
    """The table's shape on the returned sheet, searched for: its header row, its columns by header,
    each answer by its row's Ref and label, and everything else claimed as the layout's text or unplaced."""
    located = Located()
    header_row = find_header_row(table, grid)
    if header_row is None:
        wanted = ", ".join(f"'{c.header}'" for c in table.columns)
        located.problems.append(Problem("table-not-found", f"the header row ({wanted}) was not found, so no "
                                        f"answer on this sheet could be placed"))
        located.unplaced = sorted(p for p, v in grid.items() if not _blank(v) and p not in static)
        return located
    located.header_row = header_row
    columns = located.columns = _column_map(table, grid, header_row, located)
    if is_action_plan(table):
        place_actions(table, grid, header_row, columns, located)
    else:
        _place_answers(table, grid, _row_index(table, grid, header_row, columns), columns, located)
    _claim(table, grid, header_row, columns, texts, static, located)
    return located


def is_action_plan(table: SheetTable) -> bool:
    """Whether the table is the Action plan, read as a table of rows rather than by Ref."""
    return table.name == SHEET_ACTIONS


def find_header_row(table: SheetTable, grid: Grid) -> int | None:
    """The row holding the most of the table's column headers (at least two, or the only one)."""
    wanted = {norm(c.header) for c in table.columns}
    counts: Counter[int] = Counter()
    for (r, _), value in grid.items():
        if isinstance(value, str) and norm(value) in wanted:
            counts[r] += 1
    if not counts:
        return None
    row, hits = max(counts.items(), key=lambda rc: (rc[1], -abs(rc[0] - table.header_row)))
    return row if hits >= min(2, len(wanted)) else None


def _column_map(table: SheetTable, grid: Grid, header_row: int, located: Located) -> dict[str, int]:
    found: dict[str, int] = {}
    for (r, c), value in sorted(grid.items(), key=lambda kv: kv[0][1]):
        if r == header_row and isinstance(value, str):
            found.setdefault(norm(value), c)
    columns = {}
    for column in table.columns:
        col = found.get(norm(column.header))
        if col is None:
            located.missing_columns.add(column.header)
            severity = "column-missing" if column.kind == "answer" else "column-missing-text"
            located.problems.append(Problem(severity, f"the column headed '{column.header}' is missing (deleted, "
                                            f"or its header was changed)"))
        else:
            columns[column.header] = col
    return columns


def _row_index(table: SheetTable, grid: Grid, header_row: int, columns: dict[str, int]) -> dict[str, list[int]]:
    """Ref -> the rows below the header that carry it (text of the Ref column, whitespace folded)."""
    ref_col = columns.get(table.columns[table.col("ref")].header) if table.col("ref") >= 0 else None
    index: dict[str, list[int]] = {}
    last = max((r for r, _ in grid), default=header_row)
    for r in range(header_row + 1, last + 1):
        ref = norm(grid.get((r, ref_col))) if ref_col is not None else ""
        index.setdefault(ref, []).append(r)
    return index


def _place_answers(table: SheetTable, grid: Grid, rows: dict[str, list[int]], columns: dict[str, int],
                   located: Located) -> None:
    text_col = columns.get(table.columns[table.col("text")].header) if table.col("text") >= 0 else None
    labels = {norm(a.label) for a in table.answers if a.label}
    seen_missing: set[tuple[str, str]] = set()
    for answer in table.answers + table.confirmations:
        col = columns.get(answer.header)
        row = _answer_row(answer, rows.get(norm(answer.ref), []), grid, text_col, labels, located)
        if row is None:
            if (answer.ref, answer.label) not in seen_missing:
                seen_missing.add((answer.ref, answer.label))
                what = f"Ref '{answer.ref}'" + (f" labelled '{answer.label}'" if answer.label else "")
                located.problems.append(Problem("row-missing", f"the row with {what} was not found (deleted, or "
                                                f"its Ref or label changed), so its answers could not be read"))
            continue
        if col is not None:
            located.positions[answer.key] = (row, col)


def _answer_row(answer: AnswerCell, candidates: list[int], grid: Grid, text_col, labels: set[str],
                located: Located) -> int | None:
    """The one row with the answer's Ref (and label); None, with a problem if it is ambiguous."""
    if answer.label:
        matching = [r for r in candidates if norm(grid.get((r, text_col))) == norm(answer.label)]
    else:
        matching = [r for r in candidates if norm(grid.get((r, text_col))) not in labels]
    if len(matching) > 1:
        located.problems.append(Problem("row-duplicated", f"{len(matching)} rows carry Ref '{answer.ref}'"
                                        + (f" and the label '{answer.label}'" if answer.label else "")
                                        + "; none of them was read as that answer", cell=cell_name(matching[1], 0)))
        return None
    return matching[0] if matching else None


def action_columns(table: SheetTable, columns: dict[str, int]) -> dict[int, str]:
    """The Action plan's answer columns as found: column -> field id."""
    answer_cols = {a.header: a.field.id for a in table.rows[0].answers}
    return {columns[h]: fid for h, fid in answer_cols.items() if h in columns}


def place_actions(table: SheetTable, grid: Grid, header_row: int, columns: dict[str, int],
                  located: Located) -> None:
    """Action-plan rows are read as a table, down to the last row with anything in an answer column."""
    cols = action_columns(table, columns)
    last = max((r for (r, c), v in grid.items() if c in cols and not _blank(v)), default=header_row)
    number = 0
    for r in range(header_row + 1, last + 1):
        if all(_blank(grid.get((r, c))) for c in cols):
            continue
        number += 1
        for c, field_id in cols.items():
            located.positions[AnswerKey.action(number, field_id)] = (r, c)


def _claim(table: SheetTable, grid: Grid, header_row: int, columns: dict[str, int], texts: list[TextCell],
           static: set[tuple[int, int]], located: Located) -> None:
    """Everything non-empty that is neither an answer nor the layout's own text is unplaced."""
    answers = set(located.positions.values())
    fixed = {norm(t.text) for t in texts} | {norm(t.former) for t in texts if t.former}
    fixed |= {norm(r.ref) for r in table.rows if r.ref}
    fixed |= {norm(a.label) for a in table.answers if a.label}
    locked_cols = {columns[c.header] for c in table.columns if c.kind != "answer" and c.header in columns}
    ref_col = columns.get(REF_HEADER)
    refs = {norm(r.ref) for r in table.rows if r.ref}
    shown = {columns[c.header] for c in table.columns if c.kind == "previous" and c.header in columns}
    text_col = columns.get(table.columns[table.col("text")].header) if table.col("text") >= 0 else None
    labels = {norm(a.label) for a in table.answers if a.label}
    # sheetkit's own words: headers drawn again over a block, headings, texts an earlier layout drew
    repeated = {norm(header) for r in table.rows for _, header in r.headers}
    repeated |= {norm(r.text) for r in table.rows if r.kind == "heading" and r.text} | set(map(norm, table.retired))
    wholes = whole_texts(texts)
    for (r, c), value in grid.items():
        if _blank(value) or (r, c) in answers:
            continue
        if r < header_row and (r, c) in static or r == header_row:
            continue
        if r > header_row and norm(value) in repeated:
            continue
        if r > header_row and c in shown and (norm(grid.get((r, ref_col))) in refs
                                              or norm(grid.get((r, text_col))) in labels):
            continue  # last round's answer, shown locked beside this round's on a row sheetkit drew
        if r > header_row and c in locked_cols and (norm(value) in fixed or c == columns.get(NO_ANSWER)
                                                    and _is_row_number(value)):
            located.found_texts[(r, c)] = norm(value)
            continue
        if r > header_row and c in locked_cols and len(norm(value)) >= SPLIT_PIECE and \
                any(norm(value) in whole for whole in wholes):
            continue  # a piece of framework wording that a workbook built with other widths split elsewhere
        if r < header_row and c in locked_cols and norm(value) in fixed:
            continue
        if r > header_row and c in locked_cols and norm(grid.get((r, ref_col))) in refs:
            located.edited[(r, c)] = as_text(value)  # framework text changed in place: judged by the text check
            continue
        located.unplaced.append((r, c))
    located.unplaced.sort()


SPLIT_PIECE = 60  # characters: wording this long is a statement's or guidance's, never a label repeated on many rows


def whole_texts(texts: list[TextCell]) -> list[str]:
    """Each piece of framework wording joined with the pieces it continues on: the whole text, as a
    column of a return shows it when its pieces are read one after another, whatever rows they are on."""
    wholes: dict[str, list[str]] = {}
    for text in sorted(texts, key=lambda t: (t.col, t.row)):
        wholes.setdefault(f"{text.what}|{text.col}", []).append(norm(text.text))
    return [" ".join(parts) for parts in wholes.values()]


def _detect_single_column_sorts(table: SheetTable, grid: Grid, columns: dict[str, int], located: Located,
                                fits: Callable[[AnswerCell, object], bool]) -> None:
    """A column that may have been re-ordered on its own: its values in sorted order and out of
    step with their rows. Only evidence no typing can leave (a rating moved onto another
    question's row and another answer onto a rating's row) sets values aside, as unplaced, with
    an error; an order typing can also leave (texts in alphabetical order, priorities High, Low,
    Medium, values gathered at one end) is a warning saying what looked sorted, and the values
    are read where they stand, so no respondent's value is dropped on a guess."""
    by_col: dict[int, list[tuple[int, AnswerCell]]] = {}
    for answer in table.answers:
        if answer.key in located.positions:
            r, c = located.positions[answer.key]
            by_col.setdefault(c, []).append((r, answer))
    if is_action_plan(table):
        by_col = _action_columns(located)
    locked = {columns[c.header] for c in table.columns if c.kind != "answer" and c.header in columns}
    by_col = {c: cells for c, cells in by_col.items() if c not in locked}  # a locked column is never sorted alone
    filled_per_row: Counter[int] = Counter()
    runs = {}
    for c, cells in by_col.items():
        cells.sort(key=lambda ra: ra[0])
        run = _sorted_text_run([grid.get((r, c)) for r, _ in cells])
        if run is not None:
            runs[c] = cells[run[0]:run[1]]
    for c, run in runs.items():
        # A column in sorted order is the key of a sort of whole rows only if the rows moved with it
        # (their Refs or numbers out of built order) and no other column came out sorted too.
        if _rows_in_built_order(table, grid, columns, run) or len(runs) > 1:
            first, last = (as_text(grid.get((run[n][0], c))) for n in (0, -1))
            _report_sorted(located, columns, c, run[0][0], f"{len(run)} different texts in alphabetical order, "
                           f"from '{clip(first, 40)}' to '{clip(last, 40)}', while the rows' own Refs or numbers "
                           f"stayed in order")
    for c, cells in by_col.items():
        if c in runs:
            continue
        values = [grid.get((r, c)) for r, _ in cells]
        if _out_of_natural_order(values) and _rows_in_built_order(table, grid, columns, cells):
            shown = list(dict.fromkeys(as_text(v).strip() for v in values if not _blank(v)))
            _report_sorted(located, columns, c, next(r for r, _ in cells if not _blank(grid.get((r, c)))),
                           f"its choices in alphabetical order ({', '.join(shown)}) rather than their own")
            continue
        window = _crossed_window(cells, c, grid, fits)
        if window:
            _report_sorted(located, columns, c, window[0], "", rows=window)
            continue
        filled = [i for i, v in enumerate(values) if not _blank(v)]
        if len(by_col) > 1 and len(filled) >= 3 and _gathered(filled, len(values)):
            if not filled_per_row:
                filled_per_row.update(r for (r, c) in located.positions.values() if not _blank(grid.get((r, c))))
            if any(filled_per_row[cells[i][0]] == 1 for i in filled) and _monotone([values[i] for i in filled]):
                end = "top" if filled[0] == 0 else "bottom"
                _report_sorted(located, columns, c, cells[filled[0]][0], f"its {len(filled)} values in order and "
                               f"gathered at the {end}, beside rows whose other answers are blank")
    for key, (r, c) in list(located.positions.items()):
        if c in located.sorted_columns and (c not in located.sorted_rows or r in located.sorted_rows[c]):
            del located.positions[key]
            if not _blank(grid.get((r, c))):
                located.unplaced.append((r, c))
    located.unplaced.sort()


SORTED_RUN = 7  # distinct free texts in exact order: about one chance in 5,040 when typed by hand


def _sorted_text_run(values: list) -> tuple[int, int] | None:
    """(start, end) of a run of SORTED_RUN or more adjacent, distinct texts in exact alphabetical
    order, as a sort of one column leaves them, or None. Numbers and dates are often typed in
    order, so only texts count; and a run that carries its own numbering in order ('Action 1',
    'Action 2', ...; 'AP10 ...' to 'AP16 ...' and a new action after them) is as typed, since a
    sort of mixed numbers would put 'Action 10' before 'Action 2'."""
    texts = [v.strip() if isinstance(v, str) and v.strip()[:1].isalpha() else None for v in values]
    folded = [t.casefold() if t is not None else None for t in texts]
    pairs = list(zip(folded, folded[1:]))
    for order in (1, -1):
        steps = [a is not None and b is not None and (a < b if order > 0 else a > b) for a, b in pairs]
        if sum(steps) < SORTED_RUN - 1:
            continue  # too few adjacent pairs in order for any run
        start = 0
        for end in [n + 1 for n, step in enumerate(steps) if not step] + [len(texts)]:
            if end - start >= SORTED_RUN and not _enumerated(texts[start:end]) and not _numbered(texts[start:end]):
                return start, end
            start = end
    return None


ORDERED_CHOICES = (PRIORITIES, ACTION_STATUSES)  # short lists whose own order is not alphabetical
ORDERED_RUN = 5


def _out_of_natural_order(values: list) -> bool:
    """Choices from one short ordered list (High, Medium, Low) standing in alphabetical order
    but not in their own: High, Low, Medium is how a sort of the column leaves them, never how
    a person ranks actions. Needs ORDERED_RUN filled cells and three different choices."""
    filled = [v.strip().casefold() for v in values if isinstance(v, str) and v.strip()]
    if len(filled) < ORDERED_RUN or len(set(filled)) < 3:
        return False
    for choices in ORDERED_CHOICES:
        rank = {choice.casefold(): n for n, choice in enumerate(choices)}
        if all(v in rank for v in filled):
            return _monotone(filled) and not _monotone([rank[v] for v in filled])
    return False


def _enumerated(texts: list[str]) -> bool:
    """Whether texts differ first at a number or letter that counts up (or down) in natural order."""
    folded = [t.casefold() for t in texts]
    prefix = os.path.commonprefix(folded).rstrip("0123456789")
    counters = [re.match(r"(\d+)|([a-z])(?![a-z])", t[len(prefix):]) for t in folded]
    if not all(counters):
        return False
    keys = [(int(m[1]), "") if m[1] else (0, m[2]) for m in counters]
    return all(a < b for a, b in zip(keys, keys[1:])) or all(a > b for a, b in zip(keys, keys[1:]))


_DIGITS = re.compile(r"(\d+)")


def _numbered(texts: list[str]) -> bool:
    """Whether texts number themselves in order: at least half hold a number, and compared with
    their numbers read as numbers ('AP9' before 'AP10') they stand in order, as a register is typed."""
    if sum(1 for t in texts if _DIGITS.search(t)) * 2 < len(texts):
        return False
    keys = [_natural(t) for t in texts]
    return keys == sorted(keys) or keys == sorted(keys, reverse=True)


def _natural(text: str) -> tuple:
    """A text's sort key with its numbers as numbers: 'AP10 x' -> ('ap', 10, ' x')."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text.casefold())
                 if part)


def _rows_in_built_order(table: SheetTable, grid: Grid, columns: dict[str, int], cells) -> bool:
    """Whether the rows of a run still stand in the order they were built in. A sort of whole rows
    moves their Refs (or action numbers) with the values; a sort of one column leaves them."""
    if is_action_plan(table):
        col = columns.get(NO_ANSWER)
        order = [grid.get((r, col)) for r, _ in cells] if col is not None else []
        order = [int(v) for v in order if _is_row_number(v)]
    else:
        built = {a.key: n for n, a in enumerate(table.answers)}
        order = [built[a.key] for _, a in cells if a is not None]
    return len(order) >= 2 and order == sorted(order)


def _crossed_window(cells, col: int, grid: Grid, fits) -> list[int] | None:
    """The rows of a run re-ordered on its own in a column that mixes ratings with other answers:
    a stretch of rows in sorted order where a rating row holds something that is not a rating
    and another question's row holds a rating. Every value in the stretch is then suspect."""
    ratings = [a for _, a in cells if a is not None and a.field.type == "rating"]
    if not ratings:
        return None
    rows = [(r, a, grid.get((r, col))) for r, a in cells if a is not None]
    # Each row judged once: a rating row holding a non-rating, another row holding a rating.
    wrong = [a.field.type == "rating" and not _blank(v) and not fits(a, v) for _, a, v in rows]
    if not any(wrong):
        return None
    moved = [a.field.type != "rating" and not _blank(v) and fits(ratings[0], v) for _, a, v in rows]
    if not any(moved):
        return None
    keys = [_sort_key(v) if not _blank(v) else None for _, _, v in rows]
    for start in range(len(rows)):
        for order in (1, -1):
            end = start + 1
            while end < len(rows) and keys[end] is not None and keys[end - 1] is not None and \
                    (keys[end - 1] <= keys[end] if order > 0 else keys[end - 1] >= keys[end]):
                end += 1
            if end - start >= 2 and any(wrong[start:end]) and any(moved[start:end]):
                return [r for r, _, _ in rows[start:end]]
    return None


def _action_columns(located: Located) -> dict[int, list[tuple[int, AnswerCell | None]]]:
    by_col: dict[int, list] = {}
    for (r, c) in located.positions.values():
        by_col.setdefault(c, []).append((r, None))
    return by_col


def _report_sorted(located: Located, columns: dict[str, int], col: int, first_row: int, looked: str,
                   rows: list[int] | None = None) -> None:
    """Report a column whose values look sorted on their own (`looked` says how), read where they
    stand; or, given `rows`, a run of its rows where ratings and other answers crossed, which no
    typing does, set aside."""
    header = next((h for h, c in columns.items() if c == col), f"column {col + 1}")
    if rows is None:
        located.problems.append(Problem(
            "column-looks-sorted", f"the column '{header}' may have been sorted on its own: it holds {looked}, "
            f"as such a sort leaves them. Its values were read where they stand; check that each still sits beside "
            f"its question", cell=cell_name(first_row, col)))
        return
    located.sorted_columns.add(col)
    located.sorted_rows[col] = set(rows)
    located.problems.append(Problem(
        "column-sorted-alone", f"the column '{header}' was sorted on its own: from row {first_row + 1} a rating "
        f"stands on another question's row and another answer on a rating's row, which typing never leaves, so the "
        f"{len(rows)} values there were set aside (kept as unplaced)", cell=cell_name(first_row, col)))


def _gathered(filled: list[int], total: int) -> bool:
    """Filled positions form one block at the start or the end, with at least one blank elsewhere."""
    if len(filled) == total:
        return False
    block = filled == list(range(filled[0], filled[0] + len(filled)))
    return block and (filled[0] == 0 or filled[-1] == total - 1)


def _sort_key(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, as_text(value).casefold())


def _monotone(values: list) -> bool:
    keys = [_sort_key(v) for v in values]
    return keys == sorted(keys) or keys == sorted(keys, reverse=True)


def _is_row_number(value) -> bool:
    """The action plan's own row numbers ('#'): whole numbers, nothing a person typed as text."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
