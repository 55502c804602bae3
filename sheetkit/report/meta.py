"""The consolidated workbook's hidden metadata sheet: which framework and round it compiles.

Written with every consolidated workbook and read back when that workbook is given as the
previous round (:mod:`sheetkit.rounds.load`), so the writer and the reader share these keys.
"""

from __future__ import annotations

import datetime as dt

from sheetkit import __version__
from sheetkit.common.own_files import CONSOLIDATED_FORMAT, CONSOLIDATED_META_KEYS, CONSOLIDATED_META_SHEET
from sheetkit.xlsx.cells import write_text
from sheetkit.consolidate.consolidation import Consolidation

NAME = CONSOLIDATED_META_SHEET


def write(wb, con: Consolidation, round_name: str, compiled_at: dt.datetime) -> None:
    """Add the hidden metadata sheet (key in column A, value in column B)."""
    ws = wb.add_worksheet(NAME)
    values = (CONSOLIDATED_FORMAT, con.framework.id, con.framework.version, con.framework.fingerprint, round_name,
              compiled_at.replace(microsecond=0).isoformat(), __version__)
    for row, (key, value) in enumerate(zip(CONSOLIDATED_META_KEYS, values)):
        write_text(ws, row, 0, key)
        write_text(ws, row, 1, value)
    ws.protect()
    ws.hide()
