"""Every answer of a compiled round read back, typed, from its consolidated workbook or its responses CSV.

The Responses table (one row per answer; see :data:`sheetkit.common.own_files.RESPONSE_COLUMNS`)
is what an analyst starts from. :func:`read_responses` reads it from either file and gives
each value the type its field has: ids stay text exactly as written ("7.10" is not 7.1), a
counted rating is a whole number in the ``rating`` column and a counted date a date in the
``date`` column (both blank where the answer was flagged or is of another type), and the
``value`` column keeps every answer as text, as the respondent typed it.

With pandas installed (``pip install "sheetkit[analysis]"``) the result is a DataFrame: ids
and text as pandas' ``string`` type, ``rating`` as nullable integers (``Int64``), ``date`` as
dates (``datetime64``), and ``round``, ``respondent``, ``type`` and ``status`` as categories.
Without pandas it is a list of plain dicts, one per row, in the same column order.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit.common.errors import UsageError
from sheetkit.common.own_files import (
    CONSOLIDATED_META_SHEET,
    RESPONSE_COLUMNS,
    RESPONSES_SHEET,
    read_consolidated_meta,
)
from sheetkit.common.tables import unprotect

TYPED = ("rating", "date")  # the columns read_responses adds: each typed answer in a column of its type
COLUMNS = RESPONSE_COLUMNS + TYPED
CATEGORIES = ("round", "respondent", "type", "status")  # few distinct values, repeated on every row
NEEDED = ("respondent", "field", "value", "status", "key")  # what makes a table sheetkit's Responses
COUNTED = "ok"  # the status of an answer that was counted (not flagged, not unplaced)
ANALYSIS_EXTRA = 'pip install "sheetkit[analysis]"'
WHOLE_NUMBER = "[0-9]+"  # a rating's level as text


@dataclass
class ResponsesTable:
    """The Responses table as read: its columns' values as text (blank as ''), and its workbook's metadata."""

    path: Path
    columns: dict[str, list[str]]
    meta: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns["key"])


def read_responses(path: str | Path, as_frame: bool | None = None):
    """Every answer in a consolidated workbook (its Responses sheets) or a responses CSV, typed.

    Returns a pandas DataFrame when pandas is installed (or `as_frame` is True), else a list of
    dicts (or when `as_frame` is False); see the module's docstring for the columns and their
    types. A workbook's metadata (framework, version, round) is in the DataFrame's ``attrs``.
    Raises UsageError, naming the file and what to give instead, for anything else.

        >>> responses = sheetkit.read_responses("consolidated.xlsx")
        >>> ratings = responses[responses["type"] == "rating"]
        >>> ratings.pivot_table(index="section", columns="respondent", values="rating", observed=True)
    """
    pandas = _pandas(as_frame)
    table = read_table(Path(path))
    return _frame(pandas, table) if pandas else _rows(table)


def read_table(path: Path) -> ResponsesTable:
    """The Responses table of a consolidated workbook or a responses CSV, every value as text."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file; give a consolidated workbook (the .xlsx sheetkit ingest wrote) "
                         f"or the responses CSV (--csv)")
    with open(path, "rb") as handle:
        head = handle.read(4)
    table = _from_workbook(path) if head.startswith(b"PK\x03\x04") else _from_csv(path)
    if "type" not in table.columns:
        table.columns["type"] = _types_from_framework(table)
    return table


def _pandas(as_frame: bool | None):
    """pandas, when a DataFrame is wanted and can be made; None for plain rows."""
    if as_frame is False:
        return None
    try:
        import pandas
    except ImportError:
        if as_frame:
            raise UsageError(f"a DataFrame needs pandas, which is not installed: {ANALYSIS_EXTRA}, or ask "
                             f"for plain rows with as_frame=False") from None
        return None
    return pandas


# -- reading ---------------------------------------------------------------------------------

def _from_csv(path: Path) -> ResponsesTable:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a responses CSV written by sheetkit (it is not UTF-8 text); give the "
                         f"CSV that sheetkit ingest --csv wrote, or the consolidated workbook") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc}); if it is open in Excel, close it "
                         f"and try again") from None
    header = [h.strip() for h in rows[0]] if rows else []
    _check_header(path, header, "its first row")
    body = [[unprotect(v) for v in row] + [""] * (len(header) - len(row)) for row in rows[1:] if any(row)]
    return ResponsesTable(path, {name: [row[n] for row in body] for n, name in enumerate(header)})


def open_consolidated(path: Path, named: str, wanted: str):
    """A consolidated workbook sheetkit ingest wrote, opened, and its metadata; refused, `named` as the
    user gave it and `wanted` saying what to give instead, when it is not one."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for files it cannot open
        raise UsageError(f"{named}: cannot be read as a workbook ({exc}); {wanted}") from None
    meta = {}
    if CONSOLIDATED_META_SHEET in book.sheet_names:
        meta = read_consolidated_meta(book.get_sheet_by_name(CONSOLIDATED_META_SHEET).to_python())
    if not meta:
        raise UsageError(f"{named}: not a consolidated workbook written by sheetkit (it has no "
                         f"'{CONSOLIDATED_META_SHEET}' sheet); {wanted}")
    return book, meta


def _from_workbook(path: Path) -> ResponsesTable:
    book, meta = open_consolidated(path, str(path), "give the workbook sheetkit ingest wrote, or its responses CSV")
    columns: dict[str, list[str]] = {}
    for name in responses_sheets(book.sheet_names):
        found = responses_grid(book.get_sheet_by_name(name).to_python())
        if found is None:
            raise UsageError(f"{path}, sheet '{name}': no Responses table here (a table too long for a workbook "
                             f"is kept in a CSV file beside it, which this sheet names); give that CSV file instead")
        header, rows = found
        for n, column in enumerate(header):
            columns.setdefault(column, []).extend(cell_text(row[n]) if n < len(row) else "" for row in rows)
    return ResponsesTable(path, columns, meta)


def responses_sheets(sheet_names: list[str]) -> list[str]:
    """The sheets a workbook's Responses table is on: 'Responses', then 'Responses (2)'..., in order."""
    return [name for name in sheet_names if name == RESPONSES_SHEET or name.startswith(RESPONSES_SHEET + " (")]


def responses_grid(grid: list[list]) -> tuple[list[str], list[list]] | None:
    """(the header, the rows with a respondent) of one Responses sheet's cells; None when it holds no table
    (a table kept out of the workbook leaves a note in its place)."""
    at = next((n for n, row in enumerate(grid) if all(c in row for c in NEEDED)), None)
    if at is None:
        return None
    header = [str(c).strip() for c in grid[at]]
    who = header.index("respondent")
    return header, [row for row in grid[at + 1:] if len(row) > who and row[who] not in ("", None)]


def _check_header(path: Path, header: list[str], where: str) -> None:
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise UsageError(f"{path}: not a responses table written by sheetkit ({where} has no column "
                         f"{', '.join(repr(c) for c in missing)}); give the CSV that sheetkit ingest --csv wrote, "
                         f"or the consolidated workbook")


def cell_text(value) -> str:
    """A Responses cell as the text it shows: a whole number without '.0', a date as 2027-03-31."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _types_from_framework(table: ResponsesTable) -> list[str]:
    """Each row's field type, for a table written before Responses had a `type` column: looked up in the
    framework its workbook names (a CSV names none, so it cannot be typed)."""
    from sheetkit.framework import get_framework
    from sheetkit.workbook import cell_for, plan_workbook

    if not table.meta:
        raise UsageError(f"{table.path}: this responses CSV was written by an earlier sheetkit and does not say "
                         f"each answer's type; read its consolidated workbook instead, or compile the returns "
                         f"again with sheetkit ingest --csv")
    layout = plan_workbook(get_framework(table.meta["framework_id"]), follow_up=True)
    return [cell_for(layout, key).field.type if key else "" for key in table.columns["key"]]


# -- typing ----------------------------------------------------------------------------------

def typed(type_name: str, status: str, value: str):
    """(rating, date) of one answer: its level if it is a counted rating, its day if a counted date."""
    if status != COUNTED:
        return None, None
    if type_name == "rating":
        return (int(value) if re.fullmatch(WHOLE_NUMBER, value.strip()) else None), None
    if type_name == "date":
        try:
            return None, dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None, None
    return None, None


def _rows(table: ResponsesTable) -> list[dict]:
    columns = table.columns
    rows = []
    for n in range(len(table)):
        row = {c: (columns[c][n] if c in columns else "") or None for c in RESPONSE_COLUMNS}
        rating, day = typed(row["type"] or "", row["status"] or "", row["value"] or "")
        row.update(rating=rating, date=day)
        rows.append(row)
    return rows


def _frame(pd, table: ResponsesTable):
    """The table as a DataFrame with the dtypes the module's docstring lists (the same rules as typed())."""
    n = len(table)
    data = {c: pd.Series(table.columns.get(c, [""] * n), dtype="string").replace("", pd.NA) for c in RESPONSE_COLUMNS}
    counted = data["status"].eq(COUNTED).fillna(False)
    value = data["value"].str.strip()
    ratings = counted & data["type"].eq("rating").fillna(False) & value.str.fullmatch(WHOLE_NUMBER).fillna(False)
    dates = counted & data["type"].eq("date").fillna(False)
    data["rating"] = pd.to_numeric(value.where(ratings), errors="coerce").astype("Int64")
    data["date"] = pd.to_datetime(value.str.slice(0, 10).where(dates), format="%Y-%m-%d", errors="coerce")
    for column in CATEGORIES:  # in the order the table has them: this round before last, say
        data[column] = pd.Categorical(data[column], categories=data[column].dropna().unique())
    frame = pd.DataFrame(data, columns=list(COLUMNS))
    frame.attrs.update(table.meta)
    return frame
