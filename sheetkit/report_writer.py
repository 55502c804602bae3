"""The consolidated workbook: what a manager opens to see where the council stands.

Written with xlsxwriter in constant-memory mode, so every sheet is written row by row, top
to bottom; respondents' text is always written as text (never a formula or a link).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from itertools import groupby
from typing import Iterable

import xlsxwriter

from .tables import csv_safe
from .consolidate import Consolidation, RatingRow
from .findings import Finding
from .layout import item_caption
from .sheet_stream import RowEncoder, fit_cell, stream_rows
from .styles import WORKBOOK_OPTIONS, add_formats, ok, row_height, strict_xlsxwriter
from .validate import ACCEPTED, CheckedReturn

SHEETS = ("Overview", "Ratings", "Action plan", "Evidence", "Record", "Returns", "Issues", "Responses")
RESPONSE_COLUMNS = ("respondent", "section", "item", "statement", "field", "value", "status", "file", "sheet", "cell")
MAX_CHART_RESPONDENTS = 12


def write_consolidated(path: str, con: Consolidation, returns: list[CheckedReturn], findings: list[Finding],
                       chase: list[str], round_name: str, expected: int | None, compiled_at: dt.datetime,
                       chase_why: dict[str, str] | None = None) -> None:
    """Write the consolidated workbook to `path`; `chase_why` says why each person is still chased."""
    options = dict(WORKBOOK_OPTIONS, constant_memory=True)
    with strict_xlsxwriter():
        wb = xlsxwriter.Workbook(path, options)
        try:
            f = add_formats(wb)
            sheets = {name: wb.add_worksheet(_record_title(con) if name == "Record" else name) for name in SHEETS}
            _overview(wb, sheets["Overview"], f, con, returns, round_name, expected, compiled_at)
            _ratings(sheets["Ratings"], f, con)
            _actions(sheets["Action plan"], f, con)
            _evidence(sheets["Evidence"], f, con)
            _record(sheets["Record"], f, con)
            _returns(sheets["Returns"], f, returns, chase, chase_why or {})
            _issues(sheets["Issues"], f, findings)
            _responses(sheets["Responses"], f, con)
            for ws in sheets.values():
                ws.set_paper(9)
                ws.set_landscape()
                ws.fit_to_pages(1, 0)
                ws.set_footer(f"&L{con.framework.id} {round_name}&CPage &P of &N&R&A")
            wb.set_properties({"title": f"{con.framework.title}: consolidated self-assessment {round_name}",
                               "author": "sheetkit", "created": compiled_at.replace(tzinfo=None)})
            for name in ("text", "integer", "number", "date", "header"):  # styles the streamed rows refer to
                f[name]._get_xf_index()
        finally:
            wb.close()
    _stream_long_tables(path, f, con, [r for r in returns if r.status == ACCEPTED])


def _record_title(con: Consolidation) -> str:
    return con.framework.labels.get("record") or "Record"


def _header(ws, f, row: int, headers: Iterable[str], widths: Iterable[int] | None = None) -> None:
    for col, text in enumerate(headers):
        ws.write_string(row, col, text, f["header"])
    if widths:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)


def _write_value(ws, row: int, col: int, value, f) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value))
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, f["number"] if isinstance(value, float) else f["integer"])
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value, f["date"])
    else:
        ws.write_string(row, col, fit_cell(value), f["text"])


# -- Overview -----------------------------------------------------------------------------
def _overview(wb, ws, f, con: Consolidation, returns: list[CheckedReturn], round_name: str,
              expected: int | None, compiled_at: dt.datetime) -> None:
    fw = con.framework
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 60)
    ws.set_column(2, 6, 14)
    ws.write_string(0, 0, f"{fw.title}: consolidated self-assessment", f["title"])
    accepted = [r for r in returns if r.status == ACCEPTED]
    facts = [
        ("Framework", f"{fw.title} (version {fw.version}), {fw.source.citation()}"),
        ("Round", round_name),
        ("Returns expected", str(expected) if expected is not None else "not known (no manifest given)"),
        ("Files received", str(len(returns))),
        ("Returns accepted", str(len(accepted))),
        ("Compiled", compiled_at.strftime("%d %B %Y %H:%M")),
    ]
    row = 2
    for label, value in facts:
        ws.write_string(row, 0, label, f["label"])
        ws.write_string(row, 1, value, f["text"])
        ws.set_row(row, row_height([(value, 60, 10)]))
        row += 1
    row += 1
    ws.write_string(row, 0, "Average rating by section", f["heading"])
    row += 1
    _header(ws, f, row, ["Section", "Title", "Average", "Items rated"])
    first = row + 1
    for section in fw.sections:
        row += 1
        rated = sum(r.count for r in con.item_rows() if r.section_id == section.id)
        ws.write_string(row, 0, section.id, f["text"])
        ws.write_string(row, 1, section.title, f["text"])
        _write_value(ws, row, 2, con.section_means.get(section.id), f)
        ws.write_number(row, 3, rated, f["integer"])
    last = row
    _section_chart(wb, ws, con, first, last, row_anchor=2)
    row += 2
    ws.write_string(row, 0, "Completion by respondent", f["heading"])
    row += 1
    _header(ws, f, row, ["Respondent", "Organisation", "Ratings given", "Ratings asked", "Complete", "Errors",
                         "Warnings"])
    for ret in accepted:
        row += 1
        ws.write_string(row, 0, ret.respondent, f["text"])
        ws.write_string(row, 1, ret.organisation, f["text"])
        ws.write_number(row, 2, ret.ratings_given, f["integer"])
        ws.write_number(row, 3, ret.ratings_asked, f["integer"])
        ws.write_number(row, 4, ret.completeness, f["percent"])
        ws.write_number(row, 5, ret.errors, f["integer"])
        ws.write_number(row, 6, ret.warnings, f["integer"])
    row += 2
    row = _respondent_section_table(wb, ws, f, con, row)
    row += 2
    ws.write_string(row, 0, "Average rating by item", f["heading"])
    row += 1
    _header(ws, f, row, ["Ref", "Item", "Average", "Count", "Divergent?"])
    for rating in con.item_rows():
        row += 1
        ws.write_string(row, 0, rating.owner_id, f["text"])
        ws.write_string(row, 1, rating.caption, f["text"])
        _write_value(ws, row, 2, rating.stat("mean"), f)
        ws.write_number(row, 3, rating.count, f["integer"])
        ws.write_string(row, 4, "Yes: see Ratings" if con.divergent(rating) else "", f["flag"] if con.divergent(rating) else f["text"])


def _section_chart(wb, ws, con: Consolidation, first: int, last: int, row_anchor: int) -> None:
    if last < first:
        return
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({
        "name": "Average rating",
        "categories": ["Overview", first, 1, last, 1],
        "values": ["Overview", first, 2, last, 2],
        "data_labels": {"value": True, "num_format": "0.0"},
    })
    chart.set_title({"name": "Average rating by section"})
    scale = _item_scale(con)
    if scale is not None:
        chart.set_x_axis({"min": min(scale.values), "max": max(scale.values), "major_unit": 1})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 300})
    alt = "Bar chart of the average rating of each section across all accepted returns."
    ok(ws.insert_chart(row_anchor, 8, chart, {"description": alt}), "the section chart")


def _respondent_section_table(wb, ws, f, con: Consolidation, row: int) -> int:
    fw = con.framework
    ws.write_string(row, 0, "Average rating by respondent and section", f["heading"])
    row += 1
    _header(ws, f, row, ["Respondent"] + [s.id for s in fw.sections])
    header_row = row
    people = con.respondents
    for person in people:
        row += 1
        ws.write_string(row, 0, person, f["text"])
        for col, section in enumerate(fw.sections, start=1):
            _write_value(ws, row, col, con.respondent_section_means[person].get(section.id), f)
    if people and len(people) <= MAX_CHART_RESPONDENTS and len(fw.sections) >= 3:
        chart = wb.add_chart({"type": "radar", "subtype": "marker"})
        for n in range(len(people)):
            r = header_row + 1 + n
            chart.add_series({"name": ["Overview", r, 0], "categories": ["Overview", header_row, 1, header_row, len(fw.sections)],
                              "values": ["Overview", r, 1, r, len(fw.sections)]})
        chart.set_title({"name": "Respondents by section"})
        scale = _item_scale(con)
        if scale is not None:
            chart.set_y_axis({"min": min(scale.values), "max": max(scale.values), "major_unit": 1})
        chart.set_size({"width": 620, "height": 380})
        alt = "Radar chart comparing each respondent's average rating in every section."
        ok(ws.insert_chart(header_row, 8, chart, {"description": alt}), "the respondents chart")
    return row


def _item_scale(con: Consolidation):
    rating = con.framework.item_rating_field()
    return con.framework.scale(rating.scale) if rating else None


# -- Ratings ------------------------------------------------------------------------------
def _ratings(ws, f, con: Consolidation) -> None:
    people = con.respondents
    stats = ["Mean", "Median", "Min", "Max", "Spread", "Count", "Divergent?", "Lowest", "Highest", "Not counted"]
    scale = _item_scale(con)
    stats += [f"Responses {c}" for c in scale.choices] if scale else []
    ws.write_string(0, 0, "Ratings by respondent", f["title"])
    ws.write_string(1, 0, f"Divergent: ratings spread over at least {con.divergence_threshold:.0%} of the scale. "
                          f"'Not counted' lists values that are not on the scale (see Issues).", f["subtitle"])
    headers = ["Section", "Ref", "Item", "Rating"] + people + stats
    _header(ws, f, 3, headers, [9, 8, 48, 20] + [12] * len(people) + [9, 9, 7, 7, 8, 7, 12, 24, 24, 24]
            + [10] * (len(stats) - 10))
    row = 3
    for rating in con.ratings:
        row += 1
        _rating_row(ws, f, row, rating, people, con)
    first_col, last_col = 4, 3 + len(people)
    if people and row > 3 and scale is not None:
        ws.conditional_format(4, first_col, row, last_col, {
            "type": "3_color_scale", "min_type": "num", "min_value": min(scale.values), "mid_type": "num",
            "mid_value": (min(scale.values) + max(scale.values)) / 2, "max_type": "num",
            "max_value": max(scale.values), "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"})
    ws.freeze_panes(4, 3)
    ws.autofilter(3, 0, max(row, 4), len(headers) - 1)


def _rating_row(ws, f, row: int, rating: RatingRow, people: list[str], con: Consolidation) -> None:
    ws.write_string(row, 0, rating.section_id, f["text"])
    ws.write_string(row, 1, rating.owner_id if rating.level == "item" else "", f["text"])
    ws.write_string(row, 2, rating.caption, f["text"])
    ws.write_string(row, 3, rating.field.label, f["text"])
    for col, person in enumerate(people, start=4):
        _write_value(ws, row, col, rating.values.get(person), f)
    col = 4 + len(people)
    for n, name in enumerate(("mean", "median", "min", "max", "spread")):
        _write_value(ws, row, col + n, rating.stat(name), f)
    ws.write_number(row, col + 5, rating.count, f["integer"])
    divergent = con.divergent(rating)
    low, high = rating.ends()
    ws.write_string(row, col + 6, "DIVERGENT" if divergent else "", f["flag"] if divergent else f["text"])
    ws.write_string(row, col + 7, ", ".join(low) if divergent else "", f["text"])
    ws.write_string(row, col + 8, ", ".join(high) if divergent else "", f["text"])
    ws.write_string(row, col + 9, "; ".join(f"{p}: {v}" for p, v in rating.flagged.items()), f["text"])
    scale = con.framework.scale(rating.field.scale)
    if scale is _item_scale(con):
        for n, level in enumerate(scale.levels, start=col + 10):
            ws.write_number(row, n, sum(1 for v in rating.values.values() if v == level.value), f["integer"])


# -- Action plan, evidence, record ---------------------------------------------------------
ACTION_HEADER_ROW = 3
ACTION_KEYS = ("respondent", "section", "item", "action", "owner", "due", "priority", "resources", "measure",
               "status", "source")


def _actions(ws, f, con: Consolidation) -> None:
    """The header; the rows are streamed in after the workbook is saved (see _stream_long_tables)."""
    ws.write_string(0, 0, "Action plan: every action from every return", f["title"])
    ws.write_string(1, 0, "Sorted by priority, then due date. Low ratings with no action follow the table.",
                    f["subtitle"])
    headers = ["Respondent", "Section", "Item", "Action", "Owner", "Due", "Priority", "Resources", "Measure",
               "Status", "Where"]
    _header(ws, f, ACTION_HEADER_ROW, headers, [24, 9, 9, 50, 20, 12, 10, 24, 30, 12, 22])
    ws.autofilter(ACTION_HEADER_ROW, 0, ACTION_HEADER_ROW + max(con.store.count_actions(), 1), len(headers) - 1)
    ws.freeze_panes(ACTION_HEADER_ROW + 1, 0)


def action_rows(con: Consolidation, heading_style: int):
    """Every action, then the items rated low with no action (as (style, values) for headings)."""
    for action in con.store.actions():
        yield tuple(action[key] for key in ACTION_KEYS)
    yield ()
    yield heading_style, ("Rated low with no action listed",)
    yield heading_style, ("Respondent", "Section", "Item", "Rating")
    yield from con.unactioned


EVIDENCE_HEADER_ROW = 2


def _evidence(ws, f, con: Consolidation) -> None:
    """The header; the rows are streamed in after the workbook is saved (see _stream_long_tables)."""
    ws.write_string(0, 0, "Evidence and narrative, by item", f["title"])
    _header(ws, f, EVIDENCE_HEADER_ROW, ["Item", "Respondent", "Question", "Answer", "Where"], [10, 24, 36, 90, 26])
    ws.autofilter(EVIDENCE_HEADER_ROW, 0, EVIDENCE_HEADER_ROW + max(con.store.count(evidence_only=True), 1), 4)
    ws.freeze_panes(EVIDENCE_HEADER_ROW + 1, 0)


def evidence_rows(con: Consolidation):
    for person, answer in con.store.evidence():
        yield (answer.item_id or answer.section_id, person, answer.field.label, answer.text,
               f"{answer.sheet}!{answer.cell}")


def _record(ws, f, con: Consolidation) -> None:
    """The source's own record: each item's and section's fields, respondent by respondent."""
    fw = con.framework
    item_fields = list(fw.fields("item"))
    section_fields = [x for x in fw.fields("section") if x.id not in {i.id for i in item_fields}]
    columns = {("item", x.id): n for n, x in enumerate(item_fields, start=4)}
    columns.update({("section", x.id): n for n, x in enumerate(section_fields, start=4 + len(item_fields))})
    ws.write_string(0, 0, f"{_record_title(con)}: as the framework records it", f["title"])
    headers = ["Section", "Ref", "Item", "Respondent"] + [x.label for x in item_fields + section_fields]
    _header(ws, f, 2, headers, [9, 8, 40, 22] + [30] * (len(headers) - 4))
    captions = {item.id: item_caption(item) for _, item in fw.items()}
    titles = {s.id: s.title for s in fw.sections}
    row = 2
    answers = ((p, a) for p, a in con.store.by_item() if a.field.level in ("item", "section"))
    for (person, owner, level), group in groupby(answers, key=lambda pa: (pa[0], pa[1].key.split("/")[1],
                                                                          pa[1].field.level)):
        group = [a for _, a in group]
        row += 1
        ws.write_string(row, 0, group[0].section_id, f["text"])
        if level == "item":
            ws.write_string(row, 1, owner, f["text"])
            ws.write_string(row, 2, captions.get(owner, owner), f["text"])
        else:
            ws.write_string(row, 2, f"{fw.labels['section']} summary: {titles.get(owner, owner)}", f["label"])
        ws.write_string(row, 3, person, f["text"])
        for answer in group:
            col = columns.get((level, answer.field.id))
            if col is not None:
                _write_value(ws, row, col, _shown(answer), f)
    ws.autofilter(2, 0, max(row, 3), len(headers) - 1)
    ws.freeze_panes(3, 4)


def _shown(answer):
    if answer is None:
        return None
    if answer.usable and not isinstance(answer.value, str):
        return answer.value
    return answer.text


# -- Returns, issues, responses ----------------------------------------------------------
def _returns(ws, f, returns: list[CheckedReturn], chase: list[str], chase_why: dict[str, str]) -> None:
    ws.write_string(0, 0, "Returns register", f["title"])
    headers = ["File", "Respondent", "Organisation", "Status", "Why", "Complete", "Errors", "Warnings",
               "Saved", "SHA-256"]
    _header(ws, f, 2, headers, [44, 24, 20, 11, 40, 9, 7, 8, 18, 66])
    row = 2
    for ret in returns:
        row += 1
        values = [ret.file, ret.respondent, ret.organisation, ret.status, ret.reason,
                  ret.completeness if ret.status == ACCEPTED else None, ret.errors, ret.warnings,
                  ret.saved_at.replace(tzinfo=None) if ret.saved_at else None, ret.sha256]
        for col, value in enumerate(values):
            if col == 5 and value is not None:
                ws.write_number(row, col, value, f["percent"])
            else:
                _write_value(ws, row, col, value, f)
    ws.autofilter(2, 0, max(row, 3), len(headers) - 1)
    ws.freeze_panes(3, 0)
    row += 2
    ws.write_string(row, 0, f"Still to chase ({len(chase)})", f["heading"])
    for person in chase:
        row += 1
        ws.write_string(row, 0, person, f["text"])
        if person in chase_why:
            ws.write_string(row, 1, chase_why[person], f["text"])


def _issues(ws, f, findings: list[Finding]) -> None:
    ws.write_string(0, 0, "Issues found", f["title"])
    headers = ["Severity", "Code", "File", "Sheet", "Cell", "Message", "What to do"]
    _header(ws, f, 2, headers, [9, 22, 40, 24, 7, 80, 50])
    row = 2
    for finding in findings:
        row += 1
        values = [finding.severity, finding.code, finding.file, finding.sheet, finding.cell, finding.message,
                  finding.action]
        for col, value in enumerate(values):
            ws.write_string(row, col, fit_cell(value), f["flag"] if col == 0 and finding.is_error else f["text"])
    ws.autofilter(2, 0, max(row, 3), len(headers) - 1)
    ws.freeze_panes(3, 0)


def response_rows(con: Consolidation, accepted: list[CheckedReturn]):
    """The tidy long table: one row per non-empty answer of every accepted return."""
    files = {ret.respondent: ret.file for ret in accepted}
    for person, a in con.store.by_return():
        value = a.value if a.usable and not isinstance(a.value, str) else a.text
        yield (person, a.section_id, a.item_id, a.statement_id, a.field.id, value,
               response_status(a), files.get(person, ""), a.sheet, a.cell)


def response_status(answer) -> str:
    """'ok', 'flagged' (kept, not counted) or 'unplaced' (typed where no answer belongs, or a comment)."""
    if answer.field.level == "unplaced":
        return "unplaced"
    return "ok" if answer.usable else "flagged"


def _responses(ws, f, con: Consolidation) -> None:
    """The header; the rows are streamed in after the workbook is saved (see _stream_long_tables)."""
    _header(ws, f, 0, RESPONSE_COLUMNS, [24, 9, 9, 10, 18, 60, 9, 40, 24, 7])
    ws.autofilter(0, 0, max(con.store.count(), 1), len(RESPONSE_COLUMNS) - 1)
    ws.freeze_panes(1, 0)


def _stream_long_tables(path: str, f, con: Consolidation, accepted: list[CheckedReturn]) -> None:
    """Write the rows of the two longest tables straight into the saved workbook."""
    def encoder(columns: int) -> RowEncoder:
        return RowEncoder(f["text"].xf_index, f["integer"].xf_index, f["number"].xf_index, f["date"].xf_index,
                          columns)

    part = "xl/worksheets/sheet{}.xml".format
    stream_rows(Path(path), {
        part(SHEETS.index("Action plan") + 1): (ACTION_HEADER_ROW + 2, action_rows(con, f["header"].xf_index),
                                                encoder(len(ACTION_KEYS))),
        part(SHEETS.index("Evidence") + 1): (EVIDENCE_HEADER_ROW + 2, evidence_rows(con), encoder(5)),
        part(SHEETS.index("Responses") + 1): (2, response_rows(con, accepted), encoder(len(RESPONSE_COLUMNS))),
    })


def write_responses_csv(path: str, con: Consolidation, accepted: list[CheckedReturn]) -> None:
    """The Responses table as CSV, full-length text, safe to open in a spreadsheet."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESPONSE_COLUMNS)
        for values in response_rows(con, accepted):
            writer.writerow([csv_safe(v.isoformat() if isinstance(v, dt.date) else v) for v in values])

