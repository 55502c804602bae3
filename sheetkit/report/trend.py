"""Trend: this round against the last one, item by item and section by section.

Written from a :class:`sheetkit.rounds.trend.Trend` (ingest --previous); without one the sheet says how
to get it. Each partner's change is on Trend by partner; last round's actions and what became
of them on Actions followed up.
"""

from __future__ import annotations

from sheetkit.xlsx.styles import row_height
from sheetkit.rounds.trend import NOT_REPORTED, Trend, TrendRow, tenths
from .base import HEADER_ROW, Column, Report, footer, print_setup, put_text, table, title

NAME = "Trend"
ABOUT = "This round against the last (ingest --previous): each item's and section's average then and now, the " \
        "change, the change among partners who rated in both rounds, who moved most, and why an item is not compared."
COLUMNS = (Column("Section", 8), Column("Ref", 6), Column("Item", 50), Column("Last round", 9, "mean_top"),
           Column("This round", 9, "mean_top"), Column("Change", 8, "change"),
           Column("Same partners' change", 10, "change"), Column("Partners then → now", 10, "centre_text"),
           Column("Moved most (their change)", 34), Column("Carried, not confirmed", 10, "centre"))
ONE_PAGE = 30  # rows that still print legibly on one A4 page; longer tables run on, their header repeated
NO_PREVIOUS = "To compare with last round, run ingest again with --previous giving last round's consolidated " \
              "workbook (and --renames FILE for partners renamed, --item-map FILE if the framework's version changed)."


def write(rep: Report, ws) -> None:
    f, trend = rep.formats, rep.trend
    if trend is None:
        title(ws, f, "Trend: not compared with last round")
        _note(ws, f, NO_PREVIOUS)
        last = table(ws, f, "Trend", COLUMNS, [], "Change since last round")
        print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
        return
    title(ws, f, f"Trend: {rep.round} against {trend.previous_round}")
    _note(ws, f, f"Averages of every rating given in each round (last round: {trend.previous.source.name}). Same "
                 f"partners' change: the average change of the partners who rated in both rounds, so partners who "
                 f"joined or left move only the averages. Carried, not confirmed: ratings left as last round "
                 f"pre-filled them, not counted in This round. Each partner's own change: see Trend by partner.")
    rows = [_values(trend.overall)] + [v for s in trend.sections for v in _section_values(rep, trend, s)]
    rows += [_left_out(item) for item in trend.left_out if not item[0]]  # ids this version no longer has
    _count_carried(rep, rows)
    last = table(ws, f, "Trend", COLUMNS, rows, "Change since last round, by section and item")
    for n, values in enumerate(rows, start=HEADER_ROW + 1):
        if not values[1]:  # the overall and section rows in bold, so the items read as under their section
            put_text(ws, n, 2, values[2], f["label"])
    colour_changes(ws, f, HEADER_ROW + 1, last, (5, 6))
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
    if len(rows) <= ONE_PAGE:
        ws.fit_to_pages(1, 1)


def _count_carried(rep: Report, rows: list[list]) -> None:
    """Each row's ratings left as last round pre-filled them and not confirmed: shown, not counted in 'This round'."""
    by_item, by_section = {}, {}
    for row in rep.con.ratings:
        if row.level == "item":
            by_item[row.owner_id] = by_item.get(row.owner_id, 0) + len(row.carried)
        by_section[row.section_id] = by_section.get(row.section_id, 0) + len(row.carried)
    for values in rows:
        section, ref = values[0], values[1]
        count = by_item.get(ref) if ref else by_section.get(section) if section else sum(by_section.values())
        values.append(count or None)


def _note(ws, f, text: str) -> None:
    ws.merge_range(1, 0, 1, len(COLUMNS) - 1, "", f["note_wrap"])
    put_text(ws, 1, 0, text, f["note_wrap"])
    ws.set_row(1, row_height([(text, sum(c.width for c in COLUMNS), 10)]))


def _values(row: TrendRow) -> list:
    changes = [tenths(c) if c is not None else None for c in (row.change, row.same_partners_change)]
    return [row.section_id, row.ref, row.caption, row.then, row.now, *changes,
            f"{row.rated_then} → {row.rated_now}", _moved(row)]


def _left_out(item: tuple[str, str, str, str]) -> list:
    section, ref, caption, why = item
    return [section, ref, caption, None, None, None, None, "", f"Not compared with last round: {why}"]


def _section_values(rep: Report, trend: Trend, section: TrendRow) -> list[list]:
    """The section's own row, then its items (and those not compared) in the framework's order."""
    labels = rep.con.framework.labels
    whole = _values(section)
    named = section.caption.casefold().startswith(labels["section"].casefold())  # 'Theme 1: Analyse' says so
    title = section.caption if named else f"{labels['section']} {section.ref}: {section.caption}"
    whole[1], whole[2] = "", f"{title} (all its {labels['item'].lower()}s)"
    order = {item.id: n for n, (_, item) in enumerate(rep.con.framework.items())}
    rows = [(order.get(r.ref, len(order)), _values(r)) for r in trend.rows if r.section_id == section.section_id]
    rows += [(order.get(item[1], len(order)), _left_out(item)) for item in trend.left_out if item[0] == section.ref]
    return [whole] + [values for _, values in sorted(rows, key=lambda pair: pair[0])]


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


def colour_changes(ws, f, first: int, last: int, columns) -> None:
    """Rises in green, falls in red (the sign is always printed too)."""
    for col in columns:
        ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": ">", "value": "0",
                                                      "format": f["rose"]})
        ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": "<", "value": "0",
                                                      "format": f["fell"]})


def dashboard_lines(rep: Report) -> str:
    """The Dashboard's trend: 'Since 2025 Q4: overall 6.1 → 6.6 (+0.5); most improved: ...; fell most: ...'."""
    trend, con = rep.trend, rep.con
    overall = trend.overall
    said = f"Since {trend.previous_round}: "
    if overall.change is None:
        said += "no rating can be compared with last round."
    else:
        label = con.framework.labels["item"]
        counted = sum(r.kind == "item" for r in trend.rows)
        compared = f" on the {counted} {label.lower()}s compared" if trend.left_out else ""
        said += f"overall {overall.then:.1f} → {overall.now:.1f} ({signed(overall.change)}){compared}"
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
