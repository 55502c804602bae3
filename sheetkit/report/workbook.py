"""The one workbook writer: creates the sheets in registry order, runs each sheet's writer, then streams the long tables.

To add a sheet, write a module with NAME, ABOUT and ``write(report, worksheet)`` and list it
in SHEETS; the Contents sheet and the print set-up follow from the registry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..cells import TextWorkbook
from ..consolidate import Consolidation
from ..findings import Finding
from ..trend import Trend
from ..sheet_stream import RowEncoder, stream_rows
from ..styles import FONT, WORKBOOK_OPTIONS, add_formats, row_height, strict_xlsxwriter
from ..validate import CheckedReturn
from . import (action_counts, action_plan, contents, cover, dashboard, distribution, evidence, followed_up, groups,
               issues, meta, notes, ratings, record, responses, returns, trend, trend_partners, unactioned)
from .base import Report

SHEETS = (cover, contents, notes, dashboard, trend, trend_partners, ratings, distribution, groups, action_plan,
          action_counts, unactioned, followed_up, evidence, record, returns, issues, responses)

EXTRA_STYLES = {
    "headline": {"font_name": FONT, "font_size": 12, "text_wrap": True, "valign": "top"},
    "tile_label": {"font_name": FONT, "bold": True, "font_size": 10, "bg_color": "#DCE6F1", "top": 2,
                   "top_color": "#1F4E79", "valign": "top"},
    "tile_value": {"font_name": FONT, "bold": True, "font_size": 18, "bg_color": "#DCE6F1", "valign": "vcenter",
                   "align": "left"},
    "tile_detail": {"font_name": FONT, "font_size": 10, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "top"},
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


def sheet_name(module, con: Consolidation) -> str:
    """The sheet's name in this workbook (the record sheet is named as the framework names it)."""
    return module.name(con) if hasattr(module, "name") else module.NAME


def write_consolidated(path: str, con: Consolidation, returns: list[CheckedReturn], findings: list[Finding],
                       round_name: str, compiled_at: dt.datetime, chase_why: dict[str, str] | None = None,
                       trend: Trend | None = None) -> None:
    """Write the consolidated workbook to `path`; `chase_why` says why each partner is still chased, `trend`
    how this round compares with the last (ingest --previous)."""
    rep = Report(con, returns, findings, round_name, compiled_at, chase_why=chase_why or {}, trend=trend)
    with strict_xlsxwriter():
        wb = TextWorkbook(path, WORKBOOK_OPTIONS)
        try:
            rep.formats = add_formats(wb)
            rep.formats.update({name: wb.add_format(spec) for name, spec in EXTRA_STYLES.items()})
            rep.sheet_names = {m.__name__.rsplit(".", 1)[1]: sheet_name(m, con) for m in SHEETS}
            sheets = [(m, wb.add_worksheet(sheet_name(m, con))) for m in SHEETS]
            for module, ws in sheets:
                module.write(rep, ws)
            sheets[SHEETS.index(dashboard)][1].activate()
            meta.write(wb, con, round_name, compiled_at)
            wb.set_properties({"title": f"{con.framework.title}: consolidated self-assessment {round_name}",
                               "author": "sheetkit", "created": compiled_at.replace(tzinfo=None)})
            for name in ("text", "text_line", "integer", "number", "date"):  # styles the streamed rows refer to
                rep.formats[name]._get_xf_index()
        finally:
            wb.close()
    _stream(Path(path), rep, [name for _, name in ((m, sheet_name(m, con)) for m in SHEETS)])


def _stream(path: Path, rep: Report, names: list[str]) -> None:
    """Write the long tables' rows straight into the saved workbook (see sheetkit.sheet_stream)."""
    f = rep.formats
    tables = {}
    for name, (first_row, rows, columns, wrap) in rep.streams.items():
        text = f["text"] if wrap else f["text_line"]
        styles = (text.xf_index, f["integer"].xf_index, f["number"].xf_index, f["date"].xf_index)
        encoder = FittedRows(*styles, [c.width for c in columns]) if wrap else RowEncoder(*styles, len(columns))
        tables[f"xl/worksheets/sheet{names.index(name) + 1}.xml"] = (first_row, rows, encoder)
    stream_rows(path, tables)


class FittedRows(RowEncoder):
    """Rows tall enough for their wrapped text: spreadsheet programs do not grow them on opening."""

    def __init__(self, text_style: int, integer_style: int, number_style: int, date_style: int, widths: list[float]):
        super().__init__(text_style, integer_style, number_style, date_style, len(widths))
        self.widths = widths

    def row(self, number: int, values) -> str:
        xml = super().row(number, values)
        height = row_height([(v, w, 10) for v, w in zip(values, self.widths) if isinstance(v, str)])
        return xml.replace(f'<row r="{number}">', f'<row r="{number}" ht="{height:.1f}" customHeight="1">', 1)
