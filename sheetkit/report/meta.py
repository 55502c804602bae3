"""The consolidated workbook's hidden metadata sheet: which framework and round it compiles.

Written with every consolidated workbook and read back when that workbook is given as the
previous round (:mod:`sheetkit.previous`), so the writer and the reader share these keys.
"""

from __future__ import annotations

import datetime as dt

from .. import __version__
from ..cells import write_text
from ..consolidate import Consolidation

NAME = "_sheetkit"
FORMAT = "sheetkit-consolidated/1"
KEYS = ("format", "framework_id", "framework_version", "fingerprint", "round", "compiled_at", "sheetkit_version")


def write(wb, con: Consolidation, round_name: str, compiled_at: dt.datetime) -> None:
    """Add the hidden metadata sheet (key in column A, value in column B)."""
    ws = wb.add_worksheet(NAME)
    values = (FORMAT, con.framework.id, con.framework.version, con.framework.fingerprint, round_name,
              compiled_at.replace(microsecond=0).isoformat(), __version__)
    for row, (key, value) in enumerate(zip(KEYS, values)):
        write_text(ws, row, 0, key)
        write_text(ws, row, 1, value)
    ws.protect()
    ws.hide()


def read(rows: list[list]) -> dict[str, str]:
    """The metadata as written, from the sheet's rows; {} when the rows are not sheetkit's."""
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in rows if len(r) >= 2 and str(r[0]).strip() in KEYS}
    return meta if meta.get("format") == FORMAT else {}
