"""A returned sheet whose shape is as another return's was: where its answers are, known without searching.

Searching a sheet for its header row, each column by its header and each answer by its row's Ref
and label (:func:`sheetkit.returns.locate.locate_shape`) is most of the work of checking a
return, and most returns come back with no row or column moved. So the search's result on one
sheet where it found nothing amiss is kept as a :class:`Reference`, and a later sheet of the same
table is given that result without a search when :func:`intact_shape` can prove the search would
find the same: every cell whose value the search reads holds the same value (of the same type),
and every other cell lies where its value cannot change what the search finds (an answer cell,
a fact above the header row, last round's answer beside this round's). On any other difference it
says "not sure" (None) and the sheet is searched. The values themselves are checked the same way
on both paths (sorted columns, every answer's own checks), and so is everything about the file that
is not a cell value.

Why the search then finds the same, step by step (``locate_shape``):

- the header row: the cells of the reference's header row are all compared. A row's count of
  header texts could only overtake it through cells whose values are not compared; the reference
  is refused when any row has enough such cells to do so, whatever their values;
- the columns: read from the header row, which is the same;
- each answer's row: found by the Ref and label cells, which are compared, over the rows down to
  the sheet's last, which is the same (the reference is refused unless its last row holds a
  compared cell, and no cell may lie beyond it);
- what is claimed as the layout's text, edited, or unplaced: every cell is either compared (so
  claimed as in the reference) or one the claim passes over whatever it holds;
- the Action plan's rows, numbered by which rows hold anything, are read from the sheet itself
  by the search's own step (:func:`sheetkit.returns.locate.place_actions`); its answer columns may
  then run on below the reference's rows.

Setting ``SHEETKIT_VERIFY_FAST_PATHS`` (:mod:`sheetkit.common.verify`) makes every sheet given a result this way searched as well,
and a difference an error (the test suite runs this way); and every return is then read a second time with
every sheet searched for (:meth:`IntactSheets.searched`), its answers and findings compared, so the checks
that follow the shape (merged cells, drawings, formulas, locked cells typed over, long texts...) are
compared too (:func:`sheetkit.returns.validate.read_answers`).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

from sheetkit.common.verify import difference, verifying
from sheetkit.workbook.layout import REF_HEADER, SheetTable, TextCell, WorkbookLayout
from .locate import Grid, Located, action_columns, is_action_plan, locate_shape, norm, place_actions

KEPT = 3  # references kept per table: returns saved by different programs differ in small ways


@dataclass(frozen=True)
class Reference:
    """One sheet's search result, and what any sheet must share with it to be given the same result."""

    table: SheetTable
    shape: Located
    locked: tuple[tuple[int, int], ...]  # the cells whose values the search reads, in order
    values: list  # their values
    types: list  # and the values' types
    floats: tuple[tuple[int, str], ...]  # (index, float.hex()) of float values: -0.0 equals 0.0 but reads '-0'
    allowed: frozenset[tuple[int, int]]  # the locked cells and those whose values the search passes over
    open_columns: frozenset[int]  # the Action plan's answer columns: any row below the header may hold one
    wanted: frozenset[str]  # the header texts
    facts: tuple[tuple[int, int], ...]  # the cells above the header row the writer fills (respondent, deadline...)
    room: dict[int, int]  # row -> how many header texts its facts may hold before the row could pass the header row


def learn(table: SheetTable, grid: Grid, static: set[tuple[int, int]], shape: Located) -> Reference | None:
    """A reference made from a sheet and the search's result on it, or None when it cannot serve as
    one: something was amiss on it, or cells the reference does not compare could move the header row."""
    header = shape.header_row
    if header != table.header_row or shape.problems or shape.unplaced or shape.edited or shape.missing_columns:
        return None
    actions = is_action_plan(table)
    open_columns = frozenset(action_columns(table, shape.columns)) if actions else frozenset()
    facts = {p for p in static if p[0] < header}
    free = _shown(table, grid, shape) | (set() if actions else set(shape.positions.values()))
    passed_over = facts | free
    locked = {p: v for p, v in grid.items()
              if p not in passed_over and not (p[1] in open_columns and p[0] > header)}
    if not actions and max((r for r, _ in grid), default=header) != max((r for r, _ in locked), default=header):
        return None  # the last row must be compared: the search reads every row down to it
    wanted = frozenset(norm(c.header) for c in table.columns)
    room = _header_room(header, wanted, locked, free, len(open_columns))
    if room is None:
        return None
    order = tuple(sorted(locked))
    values = [locked[p] for p in order]
    floats = tuple((n, v.hex()) for n, v in enumerate(values) if isinstance(v, float))
    tight = {r for r, _ in facts if room.get(r, 0) < sum(1 for q, _ in facts if q == r)}
    return Reference(table, shape.copy(), order, values, [type(v) for v in values], floats,
                     frozenset(locked) | frozenset(passed_over), open_columns, wanted,
                     tuple(sorted(p for p in facts if p[0] in tight)), {r: room.get(r, 0) for r in tight})


def _shown(table: SheetTable, grid: Grid, shape: Located) -> set[tuple[int, int]]:
    """Last round's answers shown beside this round's: the claim passes over them on rows whose Ref or
    label is the layout's (both compared)."""
    columns = shape.columns
    shown = [columns[c.header] for c in table.columns if c.kind == "previous" and c.header in columns]
    if not shown:
        return set()
    ref_col = columns.get(REF_HEADER)
    text_col = columns.get(table.columns[table.col("text")].header) if table.col("text") >= 0 else None
    refs = {norm(r.ref) for r in table.rows if r.ref}
    labels = {norm(a.label) for a in table.answers if a.label}
    last = max((r for r, _ in grid), default=shape.header_row)
    rows = [r for r in range(shape.header_row + 1, last + 1)
            if norm(grid.get((r, ref_col))) in refs or norm(grid.get((r, text_col))) in labels]
    return {(r, c) for r in rows for c in shown}


def _header_room(header: int, wanted: frozenset[str], locked: Grid, free: set, open_width: int) -> dict[int, int] | None:
    """Row -> how many more header texts it may hold and still not pass the header row (ties go to the
    header row, where the layout planned it), counting every answer cell as one; None when some row
    could pass it whatever the facts above the header say."""
    hits = Counter(r for (r, _), v in locked.items() if isinstance(v, str) and norm(v) in wanted)
    taken = Counter(r for r, _ in free)
    most = hits[header]
    if open_width > most:
        return None  # a row below every compared cell, filled in every answer column
    room = {}
    for r in (set(hits) | set(taken)) - {header}:
        room[r] = most - hits[r] - taken[r] - (open_width if r > header else 0)
        if room[r] < 0:
            return None
    return room


def intact_shape(reference: Reference, grid: Grid) -> Located | None:
    """The search's result on `grid`, when it is provably the reference's (see the module's note); else None."""
    keys = grid.keys()
    if not keys <= reference.allowed:
        header, open_columns = reference.shape.header_row, reference.open_columns
        if not open_columns or any(c not in open_columns or r <= header for r, c in keys - reference.allowed):
            return None
    got = list(map(grid.get, reference.locked))
    if got != reference.values or list(map(type, got)) != reference.types:
        return None
    if any(got[n].hex() != shown for n, shown in reference.floats):
        return None
    if reference.facts:
        hits = Counter(r for r, c in reference.facts if _is_header(grid.get((r, c)), reference.wanted))
        if any(n > reference.room[r] for r, n in hits.items()):
            return None  # facts that could move the header row: searched for
    located = reference.shape.copy()
    if reference.open_columns:
        located.positions = {}
        place_actions(reference.table, grid, located.header_row, located.columns, located)
    return located


def _is_header(value, wanted: frozenset[str]) -> bool:
    return isinstance(value, str) and norm(value) in wanted


class IntactSheets:
    """The references this process has learnt, a few per table, and the choice of path for each sheet."""

    def __init__(self):
        self._references: dict[int, tuple[SheetTable, list[Reference]]] = {}
        self._search_only = False
        self.given = 0  # sheets given a reference's result rather than searched (tests count them)

    @contextmanager
    def searched(self):
        """While this lasts, every sheet is searched for and nothing is learnt: the full path alone."""
        before, self._search_only = self._search_only, True
        try:
            yield
        finally:
            self._search_only = before

    def prime(self, layout: WorkbookLayout, statics: dict[str, set[tuple[int, int]]]) -> None:
        """In verifying mode: learn each table's reference from a blank workbook sheetkit builds, so that
        every sheet read is tried on the fast path (and checked against the search) from the first."""
        if not verifying() or all(self._known(table) for table in layout.tables):
            return
        for table, grid in _blank_sheets(layout):
            if not self._known(table):
                texts = [t for t in layout.texts if t.sheet == table.name]
                self._learn(table, grid, statics[table.name], locate_shape(table, grid, texts, statics[table.name]), [])

    def _known(self, table: SheetTable) -> bool:
        kept = self._references.get(id(table))
        return bool(kept and kept[0] is table and kept[1])

    def _learn(self, table: SheetTable, grid: Grid, static, located: Located, references: list[Reference]) -> None:
        learnt = learn(table, grid, static, located)
        if learnt is not None:
            self._references[id(table)] = (table, [learnt, *references][:KEPT])

    def shape(self, table: SheetTable, grid: Grid, texts: list[TextCell], static: set[tuple[int, int]]) -> Located:
        """The table's shape on `grid`: from a reference when it provably applies, else searched for."""
        if self._search_only:
            return locate_shape(table, grid, texts, static)
        kept = self._references.get(id(table))
        references = kept[1] if kept and kept[0] is table else []
        for reference in references:
            located = intact_shape(reference, grid)
            if located is not None:
                if verifying():
                    _verify(table, grid, texts, static, located)
                self.given += 1
                return located
        located = locate_shape(table, grid, texts, static)
        self._learn(table, grid, static, located, references)
        return located


def _verify(table: SheetTable, grid: Grid, texts: list[TextCell], static, located: Located) -> None:
    """In verifying mode: the search's own result must be the one given."""
    searched = locate_shape(table, grid, texts, static)
    if searched != located:
        differences = {name: (getattr(located, name), getattr(searched, name)) for name in located.__dataclass_fields__
                       if getattr(located, name) != getattr(searched, name)}
        difference(f"the intact-sheet path differs from the search on sheet '{table.name}': {differences}"[:4000])


def _blank_sheets(layout: WorkbookLayout) -> list[tuple[SheetTable, Grid]]:
    """Each table's sheet as sheetkit builds it, blank, read back as a return is."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    from sheetkit.workbook import ReplyLayout, WorkbookFacts, write_reply_workbook, write_workbook
    from .reader import read_return

    facts = WorkbookFacts("Blank", "", "", "", dt.date(2000, 1, 1), "", "0" * 16, "2000-01-01T00:00:00+00:00", "x",
                          previous_round="Last round" if layout.follow_up else "")
    with tempfile.TemporaryDirectory(prefix="sheetkit-blank-") as folder:
        path = Path(folder) / "blank.xlsx"
        # a partner's reply to their feedback is read with its own layout, drawn as its sheet is drawn
        write = write_reply_workbook if isinstance(layout, ReplyLayout) else write_workbook
        write(str(path), layout, facts)
        raw = read_return(str(path))
    return [(table, raw.sheets.get(table.name, {})) for table in layout.tables]


INTACT_SHEETS = IntactSheets()
