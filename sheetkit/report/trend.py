"""Trend: this round against the last one, item by item and section by section.

Written from a :class:`sheetkit.rounds.trend.Trend` (ingest --previous); without one the sheet says how
to get it. Each partner's change is on Trend by partner; last round's actions and what became
of them on Actions followed up.
"""

from __future__ import annotations

from sheetkit.rounds.trend import NOT_REPORTED, Trend, TrendRow, tenths
from . import charts
from .base import HEADER_ROW, Column, Report, footer, note_lines, print_setup, put_text, table, title

NAME = "Trend"
ABOUT = "This round against the last: each item's and section's average then and now, the " \
        "change, the change among partners who rated in both rounds, who moved most, what was agreed last round, and why an item is not compared."
COLUMNS = (Column("Section", 8), Column("Ref", 6), Column("Item", 44), Column("Last round", 9, "mean_top"),
           Column("This round", 9, "mean_top"), Column("Change", 8, "change"),
           Column("Same partners last round", 10, "mean_top"), Column("Same partners this round", 10, "mean_top"),
           Column("Same partners' change", 10, "change"), Column("Partners then → now", 10, "centre_text"),
           Column("Moved most (their change)", 32), Column("Agreed last round", 30),
           Column("Carried, not confirmed", 10, "centre"))
SAME_THEN, SAME_NOW, SAME_CHANGE = 6, 7, 8  # the like-for-like columns, which the chart draws
SETTLED = (" Last round's ratings are counted where they were settled after its feedback: the rating agreed at the "
           "challenge day (Agreed last round), else the one a partner revised to, else the self-assessment.")
ONE_PAGE = 30  # rows that still print legibly on one A4 page; longer tables run on, their header repeated
NEEDS_TREND = True  # written only when there is a last round to compare with


def write(rep: Report, ws) -> None:
    f, trend = rep.formats, rep.trend
    title(ws, f, f"Trend: {rep.round} against {trend.previous_round}")
    note_lines(ws, f, f"Averages of every rating given in each round (last round: {trend.previous.source.name}). Same "
                      f"partners: the partners who rated in both rounds, each counted once, so partners who joined or "
                      f"left move only the averages of all. Carried, not confirmed: ratings left as last round "
                      f"pre-filled them, not counted in This round. Each partner's own change: see Trend by partner."
                      + (SETTLED if trend.settled else ""),
               sum(c.width for c in COLUMNS))
    rows = [_values(trend.overall)] + [v for s in trend.sections for v in _section_values(rep, trend, s)]
    rows += [_left_out(item) for item in trend.left_out if not item[0]]  # ids this version no longer has
    _count_carried(rep, rows)
    last = table(ws, f, "Trend", COLUMNS, rows, "Change since last round, by section and item")
    for n, values in enumerate(rows, start=HEADER_ROW + 1):
        if not values[1]:  # the overall and section rows in bold, so the items read as under their section
            put_text(ws, n, 2, values[2], f["label"])
    colour_changes(ws, f, HEADER_ROW + 1, last, (5, SAME_CHANGE))
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
    if len(rows) <= ONE_PAGE:
        ws.fit_to_pages(1, 1)
    sections = [HEADER_ROW + 1 + n for n, values in enumerate(rows) if values[0] and not values[1]
                and values[SAME_THEN] is not None]
    if sections:
        _chart(rep, ws, sections)


def _count_carried(rep: Report, rows: list[list]) -> None:
    """Each row's ratings left as last round pre-filled them and not confirmed: shown, not counted in 'This round'."""
    by_item, by_section = {}, {}
    for row in rep.con.ratings:
        if row.level == "item":
            by_item[row.owner_id] = by_item.get(row.owner_id, 0) + len(row.still_carried)
        by_section[row.section_id] = by_section.get(row.section_id, 0) + len(row.still_carried)
    for values in rows:
        section, ref = values[0], values[1]
        count = by_item.get(ref) if ref else by_section.get(section) if section else sum(by_section.values())
        values.append(count or None)


def _chart(rep: Report, ws, sections: list[int]) -> None:
    """Beside the table: each section's average last round and this, among the partners who rated in both."""
    trend, sheet = rep.trend, ws.get_name()
    chart = rep.add_chart({"type": "column"})
    for col, colour in ((SAME_THEN, "#BFBFBF"), (SAME_NOW, charts.DARK)):
        chart.add_series({"name": charts.name_cell(sheet, HEADER_ROW, col),
                          "categories": charts.cells(sheet, sections, 0),
                          "values": charts.cells(sheet, sections, col), "fill": {"color": colour},
                          "border": {"color": "#404040"}, "gap": 80})
    label = rep.con.framework.labels["section"]
    charts.style(chart, chart_title(rep), "Average rating", rep.con.scale)
    chart.set_x_axis({"name": label, "num_font": {"name": charts.FONT, "size": 9},
                      "name_font": {"name": charts.FONT, "size": 9}})
    alt = (f"Column chart: for each {label.lower()} (by its number), the average rating last round ({trend.previous_round}) "
           f"and this round ({rep.round}), among the partners who rated it in both rounds, so partners joining or "
           f"leaving do not move it. Its numbers are the Trend table to its left (the 'Same partners' columns). "
           f"{chart_title(rep)}.")
    charts.insert(ws, HEADER_ROW, len(COLUMNS) + 1, chart, alt, max(520, 90 * len(sections) + 200), 360)


def chart_title(rep: Report) -> str:
    """The chart's finding: the section that rose most, like for like, and the one that fell most or rose least."""
    moved = [s for s in rep.trend.sections if s.same_partners_change is not None]
    if not moved:
        return "No section can be compared like for like"
    label = rep.con.framework.labels["section"]
    up = max(moved, key=lambda s: s.same_partners_change)
    down = min(moved, key=lambda s: s.same_partners_change)
    rise, fall = tenths(up.same_partners_change), tenths(down.same_partners_change)
    said = [f"{label} {up.ref} rose most ({signed(rise)})" if rise > 0 else f"no {label.lower()} rose"]
    if fall < 0:
        said.append(f"{label} {down.ref} fell most ({signed(fall)})")
    elif down is not up:
        said.append(f"{label} {down.ref} rose least ({signed(fall)})")
    return "Like for like, " + "; ".join(said)


def _values(row: TrendRow) -> list:
    change, same = (tenths(c) if c is not None else None for c in (row.change, row.same_partners_change))
    return [row.section_id, row.ref, row.caption, row.then, row.now, change, row.same_then, row.same_now, same,
            f"{row.rated_then} → {row.rated_now}", _moved(row), _agreed(row)]


def _left_out(item: tuple[str, str, str, str]) -> list:
    section, ref, caption, why = item
    return [section, ref, caption, None, None, None, None, None, None, "", f"Not compared with last round: {why}", ""]


def _agreed(row: TrendRow) -> str:
    """The positions agreed on the item after last round's challenge day: 'Forum 4 (the new contracts count)'."""
    said = []
    for partner, agreed in row.agreed:
        rating = "" if agreed.rating is None else f" {agreed.rating}"
        said.append(f"{partner}{rating}" + (f" ({agreed.position})" if agreed.position else ""))
    return "; ".join(said)


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


def dashboard_lines(rep: Report) -> list[str]:
    """The Dashboard's trend, like for like first: what changed among the partners who rated in both rounds,
    then how partners joining or leaving moved the average of all ratings, then last round's actions."""
    trend, con = rep.trend, rep.con
    overall, label = trend.overall, con.framework.labels["item"]
    items = f"{label.lower()}s"
    if overall.change is None:
        return ["No rating can be compared with last round.", actions_phrase(trend)]
    counted = sum(r.kind == "item" for r in trend.rows)
    compared = f" on the {counted} {items} compared" if trend.left_out else ""
    lines = []
    if overall.same_partners_change is None:
        lines.append(f"No partner rated the same {items} in both rounds, so there is no like-for-like "
                     f"change{compared}.")
    else:
        up, down = trend.improved(), trend.fell()
        lines.append(
            f"Like for like ({_who_rated_both(len(overall.moves))}): overall "
            f"{overall.same_then:.1f} → {overall.same_now:.1f} ({signed(overall.same_partners_change)}){compared}; "
            + (f"most improved {label} {up.ref} ({signed(up.same_partners_change)})" if up else f"no {label.lower()} rose")
            + "; " + (f"fell most {label} {down.ref} ({signed(down.same_partners_change)})." if down
                      else f"no {label.lower()} fell."))
    moved = f"the average of all ratings moved {overall.then:.1f} → {overall.now:.1f} ({signed(overall.change)})"
    changed = _joined_and_left(trend)
    if changed:
        lines.append(f"{changed}, so {moved}.")
    elif overall.same_partners_change is None or tenths(overall.change) != tenths(overall.same_partners_change):
        lines.append(f"Counting every rating given, whoever gave it, {moved}.")
    lines.append(actions_phrase(trend))
    return lines


def _who_rated_both(n: int) -> str:
    return "the 1 partner who rated in both rounds" if n == 1 else f"the {n} partners who rated in both rounds"


def _joined_and_left(trend: Trend) -> str:
    """'Public Health did not return this round; Carers' Centre and Healthwatch Anytown are new', or ''."""
    said = []
    if trend.left:
        said.append(f"{_names(trend.left)} did not return this round")
    if trend.joined:
        said.append(f"{_names(trend.joined)} {'is' if len(trend.joined) == 1 else 'are'} new")
    return "; ".join(said)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def actions_phrase(trend: Trend) -> str:
    """'Last round's 14 actions: 5 done, 3 overdue, 2 not reported (see Actions followed up).'"""
    acts = trend.actions
    if not acts:
        return "Last round listed no actions."
    done = sum(1 for a in acts if a.status == "Done")
    unreported = sum(1 for a in acts if a.status == NOT_REPORTED)
    return (f"Last round's {len(acts)} action{'s' if len(acts) != 1 else ''}: {done} done, "
            f"{len(trend.overdue())} overdue, {unreported} not reported (see Actions followed up).")
