"""The one workbook writer: creates the sheets in registry order, runs each sheet's writer, then streams the long tables.

To add a sheet, write a module with NAME, ABOUT and ``write(report, worksheet)`` and list it
in SHEETS; the Contents sheet and the print set-up follow from the registry.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

from sheetkit.common import limits
from sheetkit.xlsx.cells import TextWorkbook
from sheetkit.consolidate.consolidation import Consolidation
from sheetkit.consolidate.moderation import Moderation
from sheetkit.common.findings import Finding
from sheetkit.rounds.trend import Trend
from sheetkit.common.verify import difference
from sheetkit.xlsx.stream import EncodedRows, RowEncoder, stream_rows
from sheetkit.xlsx.styles import FONT, WORKBOOK_OPTIONS, add_formats, strict_xlsxwriter
from sheetkit.returns.model import CheckedReturn
from . import (
    action_counts,
    action_plan,
    all_actions,
    contents,
    cover,
    dashboard,
    distribution,
    evidence,
    followed_up,
    groups,
    issues,
    meta,
    moderation,
    notes,
    ratings,
    record,
    responses,
    returns,
    trend,
    trend_partners,
    unactioned,
)
from .base import Report, TablePlan, fitted_row, part_names, parts_needed, rows_per_sheet
from sheetkit.common.own_files import CONSOLIDATED_AUTHOR, CONSOLIDATED_TITLE

SHEETS = (cover, contents, notes, dashboard, trend, trend_partners, ratings, moderation, distribution, groups,
          action_plan, all_actions, action_counts, unactioned, followed_up, evidence, record, returns, issues, responses)

EXTRA_STYLES = {
    "brief_label": {"font_name": FONT, "bold": True, "font_color": "#1F4E79", "valign": "top"},
    "brief": {"font_name": FONT, "valign": "top"},
    "header_line": {"bold": True, "font_name": FONT, "bg_color": "#DCE6F1", "top": 1, "bottom": 1, "left": 1,
                    "valign": "top"},
    "header_fill": {"font_name": FONT, "bg_color": "#DCE6F1", "top": 1, "bottom": 1},  # one line, not wrapped: the Dashboard wraps its lines itself
    "link": {"font_name": FONT, "font_color": "#0563C1", "underline": 1, "valign": "top"},
    "heading": {"bold": True, "font_size": 12, "font_name": FONT},
    "intro": {"font_name": FONT, "font_size": 10},  # the line under a title: plain, not italic, for legibility
    "text_line": {"font_name": FONT, "valign": "top"},  # one line per row: for the longest tables
    "mean": {"font_name": FONT, "valign": "vcenter", "num_format": "0.0", "align": "center"},
    "count": {"font_name": FONT, "valign": "vcenter", "num_format": "0;-0;", "align": "center"},
    "centre": {"font_name": FONT, "valign": "vcenter", "num_format": "0", "align": "center"},
    "mean_top": {"font_name": FONT, "valign": "top", "num_format": "0.0", "align": "center"},
    "centre_text": {"font_name": FONT, "valign": "top", "align": "center"},
    "change": {"font_name": FONT, "valign": "top", "num_format": "+0.0;-0.0;0.0", "align": "center"},
    "note_wrap": {"font_name": FONT, "font_size": 10, "text_wrap": True, "valign": "top"},
    "rose": {"font_color": "#006100", "bg_color": "#C6EFCE"},  # conditional: a change up
    "fell": {"font_color": "#9C0006", "bg_color": "#FFC7CE"},  # conditional: a change down
}


STREAM_STYLES = ("text", "text_line", "integer", "number", "date")  # the styles the streamed rows refer to


def workbook_formats(wb) -> dict:
    """Every style of the consolidated workbook, made in `wb`."""
    formats = add_formats(wb)
    formats.update({name: wb.add_format(spec) for name, spec in EXTRA_STYLES.items()})
    return formats


def _stream_styles(formats: dict) -> dict[str, int]:
    """The style numbers of the streamed rows, given first (so they are the same in every consolidated
    workbook, and rows encoded where returns are read can carry them)."""
    return {name: formats[name]._get_xf_index() for name in STREAM_STYLES}


@lru_cache(maxsize=1)
def stream_style_numbers() -> dict[str, int]:
    """The numbers every consolidated workbook gives the streamed rows' styles (see _stream_styles)."""
    with strict_xlsxwriter():
        wb = TextWorkbook(io.BytesIO(), WORKBOOK_OPTIONS)
        numbers = _stream_styles(workbook_formats(wb))
        wb.fileclosed = True  # never saved
    return numbers


def sheets_of(trend: Trend | None) -> tuple:
    """The sheets of this workbook, in order: the trend's only when there is a last round to compare with."""
    return tuple(m for m in SHEETS if trend is not None or not getattr(m, "NEEDS_TREND", False))


def sheet_name(module, con: Consolidation) -> str:
    """The sheet's name in this workbook (the record sheet is named as the framework names it)."""
    return module.name(con) if hasattr(module, "name") else module.NAME


def plan_tables(con: Consolidation, out: Path | None = None, csv: Path | None = None) -> dict[str, TablePlan]:
    """How each long or wide table fits Excel's limits: the sheets it is split across, or (past
    limits.MOST_PARTS sheets) the CSV beside `out` it is kept in instead. A kept-out Responses
    table is the Responses CSV: `csv`, or a file beside `out` when none was asked for."""
    plans = {}
    for module in SHEETS:
        name = sheet_name(module, con)
        if hasattr(module, "length"):
            size = module.length(con)
            parts = parts_needed(size, rows_per_sheet())
            if parts > limits.MOST_PARTS:
                where = csv if module is responses and csv else _beside(out, name)
                plans[name] = TablePlan(size, [name], where)
                continue
        elif hasattr(module, "partner_columns"):
            size = len(con.respondents)
            parts = parts_needed(size, module.partner_columns(con))
        else:
            continue
        plans[name] = TablePlan(size, part_names(name, parts))
    return plans


def _beside(out: Path | None, name: str) -> Path:
    if out is None:
        raise ValueError(f"the {name} table is too long for a workbook and no output folder was given for its CSV")
    return out.with_name(f"{out.stem} - {name}.csv")


def write_consolidated(path: str, con: Consolidation, returns: list[CheckedReturn], findings: list[Finding],
                       round_name: str, compiled_at: dt.datetime, chase_why: dict[str, str] | None = None,
                       plans: dict[str, TablePlan] | None = None, trend: Trend | None = None,
                       moderation: Moderation | None = None, contact: str = "", made_with: str = "") -> None:
    """Write the consolidated workbook to `path`; `chase_why` says why each partner is still chased, `trend`
    how this round compares with the last (ingest --previous), `moderation` the partners' replies to their
    feedback (ingest --replies; `con` then counts the revised ratings), `contact` who to ask about it,
    `made_with` how it was made.

    `plans` (from plan_tables) says how the long tables fit; by default they are split across
    sheets as needed, and one too long for that is refused."""
    rep = Report(con, returns, findings, round_name, compiled_at, chase_why=chase_why or {},
                 plans=plan_tables(con) if plans is None else plans, trend=trend, moderation=moderation,
                 contact=contact, made_with=made_with, encoded=con.store.encoded_complete())
    modules = sheets_of(trend)
    with strict_xlsxwriter():
        wb = TextWorkbook(path, WORKBOOK_OPTIONS)
        try:
            rep.formats = workbook_formats(wb)
            rep.stream_styles.update(_stream_styles(rep.formats))
            rep.workbook = wb
            rep.sheets = modules
            rep.sheet_names = {m.__name__.rsplit(".", 1)[1]: sheet_name(m, con) for m in modules}
            sheets = []
            for module in modules:  # each sheet, then the sheets continuing it
                name = sheet_name(module, con)
                sheets.append((module, wb.add_worksheet(name)))
                more = rep.plans[name].sheets[1:] if name in rep.plans else []
                rep.continued[name] = [wb.add_worksheet(extra) for extra in more]
            for module, ws in sheets:
                module.write(rep, ws)
            sheets[modules.index(dashboard)][1].activate()
            for _, _, columns, _, _ in rep.streams.values():
                _number_styles(rep.formats, columns)  # numbered before the styles are saved
            meta.write(wb, con, round_name, compiled_at)
            wb.set_properties({"title": f"{con.framework.title}: {CONSOLIDATED_TITLE} {round_name}",
                               "author": CONSOLIDATED_AUTHOR, "created": compiled_at.replace(tzinfo=None)})
            parts = {ws.get_name(): f"xl/worksheets/sheet{n}.xml" for n, ws in enumerate(wb.worksheets(), start=1)}
        finally:
            wb.close()
    _stream(Path(path), rep, parts)


def _stream(path: Path, rep: Report, parts: dict[str, str]) -> None:
    """Write the long tables' rows straight into the saved workbook (see sheetkit.xlsx.stream)."""
    f = rep.formats
    tables = {}
    for name, (first_row, rows, columns, wrap, kind) in rep.streams.items():
        text = f["text"] if wrap else f["text_line"]
        styles = (text.xf_index, f["integer"].xf_index, f["number"].xf_index, f["date"].xf_index)
        own = _number_styles(f, columns)
        encoder = FittedRows(*styles, [c.width for c in columns], own) if wrap else \
            RowEncoder(*styles, len(columns), number_styles=own)
        encoder = {"values": encoder, "encoded": EncodedRows(), "verified": _Verified(encoder, name)}[kind]
        tables[parts[name]] = (first_row, rows, encoder)
    stream_rows(path, tables)


class _Verified(EncodedRows):
    """Rows encoded ahead, each checked against the row encoded here from its values (verifying mode)."""

    def __init__(self, full: RowEncoder, sheet: str):
        self.full, self.sheet = full, sheet

    def row(self, number: int, pair) -> bytes:
        encoded, values = pair
        made = super().row(number, encoded) if encoded is not None else None
        expected = self.full.row(number, values).encode("utf-8") if values is not None else None
        if made != expected:
            difference(f"the row encoded ahead for sheet '{self.sheet}', row {number}, differs from the row encoded "
                       f"from its values: {made!r:.1500} != {expected!r:.1500}")
        return made


def _number_styles(f: dict, columns) -> list[int | None]:
    """Each streamed column's own style for numbers (its Column.style, other than text and dates), or None."""
    return [f[c.style]._get_xf_index() if c.style not in ("text", "date") and c.style in f else None
            for c in columns]


class FittedRows(RowEncoder):
    """Rows tall enough for their wrapped text: spreadsheet programs do not grow them on opening."""

    def __init__(self, text_style: int, integer_style: int, number_style: int, date_style: int, widths: list[float],
                 number_styles=None):
        super().__init__(text_style, integer_style, number_style, date_style, len(widths),
                         number_styles=number_styles)
        self.widths = widths

    def row(self, number: int, values) -> str:
        return fitted_row(super().row(number, values), number, values, self.widths)
