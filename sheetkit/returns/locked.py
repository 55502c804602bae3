"""Locked cells typed over: what sheetkit wrote outside the answer cells, checked again.

A respondent with the sheet password can type over anything: last round's answer shown beside
this round's, a fact on the Start sheet, a level on the Scale sheet. The workbook records, on its
metadata sheet, a digest of every value sheetkit wrote in each sheet's locked cells (and which
cells hold its own formulas, whose shown values change as the workbook is filled). A cell that
the layout's reading leaves aside, neither an answer nor framework wording it checks, must hold
one of those values; anything else was typed there and is reported, and kept as unplaced.
Returns from workbooks built before this record was kept are not checked this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetkit.common.own_files import COMPUTED_PREFIX, LOCKED_PREFIX, SHEET_META, written_digest
from sheetkit.common.text import cell_position
from .reader import RawReturn


@dataclass
class Written:
    """What the workbook says sheetkit wrote: per sheet (as built), the digests of its locked
    values and the cells holding its formulas."""

    digests: dict[str, set[str]] = field(default_factory=dict)
    computed: dict[str, set[tuple[int, int]]] = field(default_factory=dict)

    def typed_over(self, sheet: str, grid, positions) -> list[tuple[int, int]]:
        """Of `positions` on a built sheet, those holding a value sheetkit did not write there."""
        digests = self.digests.get(sheet)
        if digests is None:
            return []
        computed = self.computed.get(sheet, set())
        return sorted(p for p in positions if p not in computed and not _blank(grid.get(p))
                      and written_digest(grid[p]) not in digests)


def written(raw: RawReturn) -> Written | None:
    """The record of what sheetkit wrote, from the metadata sheet; None when the workbook has none."""
    grid = raw.sheets.get(SHEET_META, {})
    record = Written()
    rows: dict[int, list] = {}
    for (row, col), value in grid.items():
        rows.setdefault(row, []).append((col, value))
    for row in rows.values():
        cells = [str(v) for _, v in sorted(row)]
        head, rest = cells[0], " ".join(cells[1:])
        if head.startswith(LOCKED_PREFIX):
            record.digests[head[len(LOCKED_PREFIX):]] = set(rest.split())
        elif head.startswith(COMPUTED_PREFIX):
            record.computed[head[len(COMPUTED_PREFIX):]] = {p for p in map(cell_position, rest.split()) if p}
    return record if record.digests else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
