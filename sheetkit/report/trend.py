"""Trend: this round against the last one, item by item and section by section, and each partner's change.

Written from a :class:`sheetkit.trend.Trend` (ingest --previous); without one the sheet says how
to get it. Last round's actions and what became of them are on the Actions followed up sheet.
"""

from __future__ import annotations

from ..styles import row_height
from ..trend import NOT_REPORTED, Trend, TrendRow
from .base import HEADER_ROW, Column, Report, footer, put, put_text, table, title

NAME = "Trend"
ABOUT = "This round against the last (ingest --previous): each item's and section's average then and now, the " \
        "change, who moved most, each partner's own change, and the items that cannot be compared."
COLUMNS = (Column("Section", 8), Column("Ref", 6), Column("Item", 44), Column("Last round", 9, "mean"),
           Column("This round", 9, "mean"), Column("Change", 8, "change"), Column("Same partners' change", 10, "change"),
           Column("Partners then → now", 10, "centre_text"), Column("Moved most (their change)", 34))
PARTNER_COLUMNS = (Column("Partner", 44), Column("Last round", 9, "mean"), Column("This round", 9, "mean"),
                   Column("Change", 8, "change"), Column("Ratings compared", 10, "centre"),
                   Column("Ratings then → now", 10, "centre_text"), Column("Note", 34))
PARTNER_COL = 2  # the partners' table sits under the Item column, sharing its widths


def write(rep: Report, ws) -> None:
    f, trend = rep.formats, rep.trend
    if trend is None:
        title(ws, f, "Trend: not compared with last round",
              "To compare with last round, run ingest again with --previous giving last round's consolidated "
              "workbook (with --renames FILE for partners renamed, --item-map FILE if the framework's version "
              "changed).")
        last = table(ws, f, "Trend", COLUMNS, [], "Change since last round")
        _print(ws, rep, last)
        return
    label = rep.con.framework.labels["item"].lower()
    title(ws, f, f"Trend: {rep.round} against {trend.previous_round}",
          f"Averages of every rating given in each round. 'Same partners' change': the average change of the "
          f"partners who rated in both rounds (partners who joined or left move only the averages). Last round: "
          f"{trend.previous.source.name}.")
    rows = [_values(trend.overall)] + [v for s in trend.sections for v in _section_values(trend, s)]
    last = table(ws, f, "Trend", COLUMNS, rows, "Change since last round, by section and item")
    _mark_rows(ws, f, rows)
    _colour_changes(ws, f, HEADER_ROW + 1, last, (5, 6))
    last = _partners(ws, f, trend, last + 2)
    last = _left_out(ws, f, trend, last + 2, label)
    _print(ws, rep, last)


def _print(ws, rep: Report, last: int) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.print_area(0, 0, last, len(COLUMNS) - 1)
    ws.fit_to_pages(1, 0)
    ws.set_footer(footer(rep))
    ws.freeze_panes(HEADER_ROW + 1, 0)


def _values(row: TrendRow) -> list:
    return [row.section_id, row.ref, row.caption, row.then, row.now, row.change, row.same_partners_change,
            f"{row.rated_then} → {row.rated_now}", _moved(row)]


def _section_values(trend: Trend, section: TrendRow) -> list[list]:
    whole = _values(section)
    whole[1], whole[2] = "", f"{section.ref} {section.caption}: all its items"
    return [whole] + [_values(r) for r in trend.rows if r.section_id == section.section_id]


def _moved(row: TrendRow) -> str:
    most = row.moved_most()
    if not row.moves:
        return "nobody rated it in both rounds"
    if not most:
        return "nobody's rating changed"
    return "; ".join(f"{m.partner} {signed(m.change)} ({_num(m.then)} → {_num(m.now)})" for m in most)


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def signed(value: float) -> str:
    """'+0.5', '−0.8' (a true minus sign, as printed), '0.0'."""
    text = f"{abs(value):.1f}"
    return "0.0" if text == "0.0" else ("+" if value > 0 else "\u2212") + text


def _mark_rows(ws, f, rows: list[list]) -> None:
    """The overall and section rows in bold, so the items read as under their section."""
    for n, values in enumerate(rows, start=HEADER_ROW + 1):
        if not values[1]:
            put_text(ws, n, 2, values[2], f["label"])


def _colour_changes(ws, f, first: int, last: int, columns) -> None:
    for col in columns:
        ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": ">", "value": "0",
                                                      "format": f["rose"]})
        ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": "<", "value": "0",
                                                      "format": f["fell"]})


def _partners(ws, f, trend: Trend, row: int) -> int:
    put_text(ws, row, PARTNER_COL, "Each partner's change: their average over the ratings they gave in both rounds",
             f["heading"])
    rows = [[p.name, p.then, p.now, p.change, p.compared or None, f"{p.rated_then} → {p.rated_now}", p.note]
            for p in trend.partners]
    last = table(ws, f, "Trend_partners", PARTNER_COLUMNS, rows, "Each partner's change since last round",
                 first_row=row + 1, first_col=PARTNER_COL)
    _colour_changes(ws, f, row + 2, last, (PARTNER_COL + 3,))
    return last


def _left_out(ws, f, trend: Trend, row: int, label: str) -> int:
    put_text(ws, row, 0, f"Left out of the trend: {label}s that cannot be compared with last round", f["heading"])
    if not trend.left_out:
        put_text(ws, row + 1, 0, f"None: every {label} is compared.", f["text"])
        return row + 1
    row += 1
    for col, text in enumerate(("Section", "Ref", "Item")):
        put_text(ws, row, col, text, f["header"])
    ws.merge_range(row, 3, row, len(COLUMNS) - 1, "", f["header"])
    put_text(ws, row, 3, "Why it is left out", f["header"])
    for section, item, caption, why in trend.left_out:
        row += 1
        for col, value in enumerate((section, item, caption)):
            put(ws, row, col, value, f)
        ws.merge_range(row, 3, row, len(COLUMNS) - 1, "", f["text"])
        put_text(ws, row, 3, why, f["text"])
        ws.set_row(row, row_height([(caption, COLUMNS[2].width, 10), (why, 70, 10)]))
    return row


def dashboard_lines(rep: Report) -> str:
    """The Dashboard's trend: 'Since 2025 Q4: overall 6.1 → 6.6 (+0.5); most improved: ...; fell most: ...'."""
    trend, con = rep.trend, rep.con
    overall = trend.overall
    said = f"Since {trend.previous_round}: "
    if overall.change is None:
        said += "no rating can be compared with last round."
    else:
        said += f"overall {overall.then:.1f} → {overall.now:.1f} ({signed(overall.change)})"
        label = con.framework.labels["item"]
        up, down = trend.improved(), trend.fell()
        said += f"; most improved: {label} {up.ref} ({signed(up.change)})" if up else f"; no {label.lower()} rose"
        said += f"; fell most: {label} {down.ref} ({signed(down.change)})." if down else \
            f"; no {label.lower()} fell."
    return said + " " + actions_phrase(trend)


def actions_phrase(trend: Trend) -> str:
    """'Last round's 14 actions: 5 done, 3 overdue, 2 not reported (see Actions followed up).'"""
    acts = trend.actions
    if not acts:
        return "Last round listed no actions."
    done = sum(1 for a in acts if a.status == "Done")
    unreported = sum(1 for a in acts if a.status == NOT_REPORTED)
    return (f"Last round's {len(acts)} action{'s' if len(acts) != 1 else ''}: {done} done, "
            f"{len(trend.overdue())} overdue, {unreported} not reported (see Actions followed up).")
