"""What every sheet writer of the consolidated workbook shares: the context, cells, tables and print set-up.

Each sheet has its title in A1, a one-line note in A2 and ONE named Excel table whose header
is on row 4, so a screen reader, a filter and a reader of any sheet find things in the same place.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from pathlib import Path
from typing import Iterable, Sequence

from xlsxwriter.utility import xl_range

from sheetkit.common import limits
from sheetkit.common.verify import verifying
from sheetkit.xlsx.cells import format_escape, plain_text, write_text
from sheetkit.common.text import encodable
from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.consolidate.moderation import Moderation
from sheetkit.common.findings import Finding
from sheetkit.xlsx.styles import ok, row_height
from sheetkit.common.tables import write_csv
from sheetkit.rounds.trend import Trend
from sheetkit.returns.model import CheckedReturn

HEADER_ROW = 3  # zero-based: title in A1, note in A2, a blank row, then the table's header
A4 = 9  # XlsxWriter's paper size number


@dataclass
class Column:
    """One column of a table: its header, width (characters) and cell style name."""

    header: str
    width: float = 12
    style: str = "text"


@dataclass
class TablePlan:
    """Where one table goes: the sheets it is split across, or a CSV when it is too long to hold sensibly."""

    size: int  # rows (a long table) or partner columns (a wide one)
    sheets: list[str]  # its sheet names: the registry's own, then "Name (2)", "Name (3)"...
    csv: Path | None = None  # where the table is, when it is kept out of the workbook
    write_to: Path | None = None  # where the workbook writer writes that CSV (None: written by another step)

    @property
    def kept_out(self) -> bool:
        return self.csv is not None


def rows_per_sheet() -> int:
    """Rows of a long table one sheet holds below its title and header."""
    return limits.SHEET_ROWS - (HEADER_ROW + 1)


def parts_needed(size: int, per_sheet: int) -> int:
    return max(1, -(-size // max(1, per_sheet)))


def part_names(name: str, parts: int) -> list[str]:
    """'Responses', 'Responses (2)', ...: each within a sheet name's 31 characters."""
    return [name] + [name[:31 - len(f" ({k})")].rstrip() + f" ({k})" for k in range(2, parts + 1)]


@dataclass
class Report:
    """Everything the sheet writers read; nothing here is changed by them except `streams`."""

    con: Consolidation
    returns: list[CheckedReturn]
    findings: list[Finding]
    round: str
    compiled_at: dt.datetime
    chase_why: dict[str, str] = field(default_factory=dict)  # partner -> why they are still chased
    trend: Trend | None = None  # this round against the last, when ingest was given --previous
    moderation: Moderation | None = None  # partners' replies to their feedback, when ingest was given --replies
    formats: dict = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)  # sheet key -> its name in this workbook
    # sheet name -> (first row number, the rows, their columns, whether rows are made tall enough to wrap,
    # and what the rows are: 'values', 'encoded' (sheetkit.report.encoded) or 'verified' (pairs of both))
    streams: dict[str, tuple[int, Iterable, Sequence[Column], bool, str]] = field(default_factory=dict)
    plans: dict[str, TablePlan] = field(default_factory=dict)  # sheet name -> its parts, or its CSV
    encoded: bool = False  # whether the answer store holds every long table's rows ready encoded
    stream_styles: dict[str, int] = field(default_factory=dict)  # style name -> number, once the workbook has them
    continued: dict[str, list] = field(default_factory=dict)  # sheet name -> the worksheets continuing it
    sheets: tuple = ()  # the sheet modules of this workbook, in order (the registry in report/workbook.py)
    workbook: object = None  # the workbook being written, for charts
    contact: str = ""  # who to ask about this workbook (the Cover names them)
    made_with: str = ""  # how this workbook was made: the command and its options (the Notes sheet says)

    def add_chart(self, spec: dict):
        """A new chart of this workbook (placed on a sheet with charts.insert)."""
        return self.workbook.add_chart(spec)

    @property
    def accepted(self) -> list[CheckedReturn]:
        from sheetkit.returns.model import ACCEPTED

        return [r for r in self.returns if r.status == ACCEPTED]


_OPTIONS_IN_WORDS = (  # how a finding's advice reads in the workbook, where no command or option is named
    (re.compile(r'run again with --prefer ("[^"]*")'), r"compile again choosing \1 as the file to use"),
    (re.compile(r"run again with --prefer FILE naming the one to use"), "compile again choosing the one to use"),
    (re.compile(r"run again with --prefer FILE"), "compile again choosing it as the file to use"),
    (re.compile(r"choose with --prefer"), "choose which file to use"),
    (re.compile(r"the lead's --prefer"), "the lead's choice of file"),
    (re.compile(r"chosen with --prefer"), "chosen by the lead"),
    (re.compile(r"--prefer (also )?names"), r"the lead \1chose"),
    (re.compile(r"give last round's consolidated workbook to ingest as --previous"),
     "compile again with last round's consolidated workbook as last round"),
    (re.compile(r"--([a-z][a-z-]*)"), r"the '\1' setting"),
)


def in_words(text: str) -> str:
    """A finding's message or advice as the workbook shows it: options described, never named as flags."""
    if "--" not in str(text):
        return text
    for pattern, words in _OPTIONS_IN_WORDS:
        text = pattern.sub(words, text)
    return text


def plural(n: int, word: str, many: str = "") -> str:
    """'1 action', '96 actions', '2 criteria' (with `many` given)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def put_text(ws, row: int, col: int, text, fmt=None) -> None:
    """Write text as text, whatever it looks like (never a formula, link, rich text or number)."""
    write_text(ws, row, col, text, fmt)


def put(ws, row: int, col: int, value, f: dict, style: str = "text") -> None:
    """Write a value in the style its type calls for; text always as text."""
    if value is None or value == "":
        ws.write_blank(row, col, None, f[style])
    elif isinstance(value, bool):
        put_text(ws, row, col, "Yes" if value else "No", f[style])
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, f[style if style != "text" else
                                           ("number" if isinstance(value, float) else "integer")])
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value, f["date"])
    else:
        put_text(ws, row, col, value, f[style])


def title(ws, f: dict, text: str, note: str = "") -> None:
    """The sheet's title in A1 and a one-line note in A2."""
    put_text(ws, 0, 0, text, f["title"])
    ws.set_row(0, 24)
    if note:
        put_text(ws, 1, 0, note, f["intro"])


def note_lines(ws, f: dict, text: str, width: float) -> None:
    """A note longer than one line, under the title: wrapped to the table's `width` (characters) over A2 and A3,
    one line a cell, so nothing is merged (A3, the row above the header, takes whatever remains)."""
    lines = textwrap.wrap(text, int(width * 1.2)) or [""]
    put_text(ws, 1, 0, lines[0], f["intro"])
    if len(lines) > 1:
        put_text(ws, 2, 0, " ".join(lines[1:]), f["intro"])


def table(ws, f: dict, name: str, columns: Sequence[Column], rows: Sequence[Sequence], caption: str,
          first_row: int = HEADER_ROW, first_col: int = 0, heights: bool = True, filters: bool = True) -> int:
    """A named Excel table with its rows; returns the last row used. At least one (blank) row is kept.
    `filters`: whether its header has filter buttons."""
    last = first_row + max(len(rows), 1)
    _add_table(ws, f, name, columns, first_row, first_col, last, caption, filters)
    for r, values in enumerate(rows, start=first_row + 1):
        for c, (column, value) in enumerate(zip(columns, values), start=first_col):
            put(ws, r, c, value, f, column.style)
        if heights:
            ws.set_row(r, row_height([(str(v), col.width, 10) for col, v in zip(columns, values)
                                      if isinstance(v, str)]))
    return last


def fit_header(text: str, minimum: float, button: bool = True) -> float:
    """A column wide enough that its bold header breaks only between words (and clears a table's filter
    button), and at least `minimum`."""
    longest = max((len(word) for word in str(text).split()), default=0)
    return max(minimum, round(longest * 1.05 + 1.5 + (2.5 if button else 0), 1))


def sheet_link(ws, rep: "Report", row: int, col: int, key: str, text: str) -> None:
    """A visible link to another sheet of this workbook (`key`: its module's name, as in the registry)."""
    name = rep.sheet_names.get(key, "")
    if name:
        target = name.replace("'", "''")
        ws.write_url(row, col, f"internal:'{target}'!A1", rep.formats["link"], string=text, tip=f"Go to {name}")


def rating_colours(ws, scale, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    """Colour rating cells red (the scale's lowest) through yellow to green (its highest)."""
    if scale is None or last_col < first_col or last_row < first_row:
        return
    low, high = min(scale.values), max(scale.values)
    ok(ws.conditional_format(first_row, first_col, last_row, last_col, {
        "type": "3_color_scale", "min_type": "num", "min_value": low, "mid_type": "num",
        "mid_value": (low + high) / 2, "max_type": "num", "max_value": high,
        "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"}), "the rating colours")


def unique_headers(headers: Sequence[str]) -> list[str]:
    """Table headers as a table needs them: non-empty, one line, unique ignoring case (a partner may be
    called 'Mean')."""
    seen, out = set(), []
    for header in headers:
        text = " ".join(plain_text(header)[0].split())[:250] or "(blank)"  # Excel: a column name <= 255
        base, n = text, 2
        while text.casefold() in seen:
            text, n = f"{base} ({n})", n + 1
        seen.add(text.casefold())
        out.append(text)
    return out


def long_table(rep: Report, ws, name: str, columns: Sequence[Column], rows: Iterable[Sequence], count: int,
               caption: str, wrap: bool = True, print_rows: int | None = None,
               encoded: Iterable[bytes] | None = None) -> None:
    """A named table whose `count` rows are streamed in after the workbook is saved, set up to print.

    A table longer than a sheet holds goes on as many sheets as it needs (each with the header
    row), as the workbook's plan says; one longer still is kept out and written as CSV, with a
    note here saying where. With `wrap`, each row is made tall enough for its text; without,
    text stays on one line (for tables too long to print, where reading one row at a time is the
    use). `print_rows`: print only the rows above it. `encoded`: the same rows encoded ahead
    (sheetkit.report.encoded), written in their place (and, when verifying, compared with them).
    """
    plan = rep.plans.get(ws.get_name())
    if plan is not None and plan.kept_out:
        _kept_out(rep, ws, plan, columns, rows, count)
        return
    sheets = [ws, *rep.continued.get(ws.get_name(), [])]
    per_sheet = rows_per_sheet()
    kind = "values" if encoded is None else "verified" if verifying() else "encoded"
    source = iter(rows if kind == "values" else encoded if kind == "encoded" else zip_longest(encoded, rows))
    for k, sheet in enumerate(sheets):
        first = k * per_sheet
        size = min(per_sheet, count - first) if k < len(sheets) - 1 else max(0, count - first)
        if k:
            title(sheet, rep.formats, f"{caption} (continued)", f"Rows {first + 1:,} to {first + size:,} of "
                  f"{count:,}; the table starts on the sheet '{ws.get_name()}'.")
        # The last part takes whatever rows remain: the stream refuses rows past the sheet's end.
        part = source if k == len(sheets) - 1 else islice(source, size)
        last = _streamed_table(rep, sheet, name if not k else f"{name}_{k + 1}", columns, part, size, caption, wrap,
                               kind)
        print_setup(sheet, last, len(columns) - 1, footer(rep), print_rows=print_rows)


def _streamed_table(rep: Report, ws, name, columns, rows, count, caption, wrap, kind="values") -> int:
    rep.streams[ws.get_name()] = (HEADER_ROW + 2, rows, columns, wrap, kind)
    last = HEADER_ROW + max(count, 1)
    _add_table(ws, rep.formats, name, columns, HEADER_ROW, 0, HEADER_ROW + 1, caption)
    # XlsxWriter marks every cell of a table's range in a dict; for a streamed table of
    # hundreds of thousands of rows that costs seconds and memory, so the table is declared
    # one row deep and then given its real extent.
    spec = ws.tables[-1]
    spec["range"] = spec["a_range"] = spec["autofilter"] = xl_range(HEADER_ROW, 0, last, len(columns) - 1)
    return last


def fitted_row(xml: str, number, values, widths: list[float]) -> str:
    """A streamed row's XML made tall enough for its wrapped text: spreadsheet programs do not grow rows
    on opening."""
    height = row_height([(v, w, 10) for v, w in zip(values, widths) if isinstance(v, str)])
    return xml.replace(f'<row r="{number}">', f'<row r="{number}" ht="{height:.1f}" customHeight="1">', 1)


def _kept_out(rep: Report, ws, plan: TablePlan, columns, rows, count) -> None:
    """In place of a table too long to hold: where it is; and the table itself written to that CSV."""
    if plan.write_to is not None:
        write_table_csv(plan.write_to, [c.header for c in columns], rows)
    put_text(ws, HEADER_ROW, 0, kept_out_note(plan), rep.formats["text"])
    ws.set_column(0, 0, 110)
    print_setup(ws, HEADER_ROW, 0, footer(rep))


def kept_out_note(plan: TablePlan) -> str:
    """What the Contents, Notes and the sheet itself say about a table kept out of the workbook."""
    return (f"Not in this workbook: its {plan.size:,} rows would need more than {limits.MOST_PARTS} sheets of "
            f"{rows_per_sheet():,} rows. The whole table is in the CSV file {plan.csv.name}, beside this workbook.")


def write_table_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A table as CSV for people: dates as ISO text, cells a spreadsheet would run made safe."""
    write_csv(path, list(headers), ([encodable(v.isoformat() if isinstance(v, dt.date) else
                                               ("" if v is None else str(v))) for v in row] for row in rows))


DATE_WIDTH = 13  # '30 Sept 2027' in print, where fonts run wider than on screen: never '###'


def _add_table(ws, f, name, columns, first_row, first_col, last_row, caption, filters: bool = True) -> None:
    headers = unique_headers([c.header for c in columns])
    widths = [fit_header(h, max(c.width, DATE_WIDTH) if c.style == "date" else c.width, filters)
              for h, c in zip(headers, columns)]
    for c, width in enumerate(widths, start=first_col):
        ws.set_column(c, c, width)
    ok(ws.add_table(first_row, first_col, last_row, first_col + len(columns) - 1, {
        "name": name, "style": "Table Style Light 1", "title": caption, "autofilter": filters,
        "columns": [{"header": format_escape(h), "header_format": f["header"]} for h in headers],
    }), f"the table {name}")
    for c, header in enumerate(headers, start=first_col):  # the header cells again, through write_text
        put_text(ws, first_row, c, header, f["header"])
    ws.set_row(first_row, max(15.0, max(_header_lines(h, w - (2.5 if filters else 0))
                                        for h, w in zip(headers, widths)) * 13.2 + 4))


def _header_lines(text: str, width: float) -> int:
    """Lines a bold header takes in a column `width` characters wide, wrapping at spaces as spreadsheets do."""
    per_line, lines, used = max(1.0, width * 0.9), 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, 0
        used += len(word) + (1 if used else 0)
        lines += int(max(0, len(word) - 1) // per_line) if used == len(word) else 0
    return lines


def print_setup(ws, last_row: int, last_col: int, footer: str, fit_width: bool = True,
                repeat_cols: int = 0, print_rows: int | None = None) -> None:
    """A4 landscape, the table's header repeated on every page, the print area set, fitted to width."""
    ws.set_paper(A4)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.repeat_rows(HEADER_ROW)
    if repeat_cols:
        ws.repeat_columns(0, repeat_cols - 1)
    ws.print_area(0, 0, last_row if print_rows is None else print_rows, last_col)
    if fit_width:
        ws.fit_to_pages(1, 0)
    ws.set_footer(footer)
    ws.freeze_panes(HEADER_ROW + 1, repeat_cols)


def footer(rep: Report) -> str:
    """The page footer: framework and round, page number, sheet name."""
    label = f"{rep.con.framework.id} {rep.round}".replace("&", "&&")
    return f"&L{label}&CPage &P of &N&R&A"
