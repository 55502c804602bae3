"""Dashboard: the first page a director reads, on one A4 landscape page.

The headline and four tiles across the top; the heat map of sections by partners (the
sheet's one table, numbers in every cell) on the left, who has not returned and who sits
apart on the right; the five lowest-rated items and the five widest disagreements below.
"""

from __future__ import annotations

import statistics

from sheetkit.common import limits
from sheetkit.consolidate.consolidation import TOP, Consolidation
from sheetkit.xlsx.styles import row_height
from . import headline as words
from . import trend
from .base import Column, Report, footer, put, put_text, rating_colours, table, title

NAME = "Dashboard"
ABOUT = "The first page to read: the headline, returns, overall rating, a heat map of sections by partner, " \
        "the lowest-rated items, the widest disagreements and who has not returned."
REF_W, SECTION_W, PARTNER_W, GAP_W = 5, 24, 10, 2  # 10: room for a word like "Integrated"
RIGHT_W = (5, 34, 31)  # ref, item, detail
HEAT_ROW = 8  # the heat map's header row


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    partners = heat_map_partners(con)
    right = len(partners) + 4  # first column of the right-hand block, after a narrow gap column
    last_col = right + len(RIGHT_W) - 1
    title(ws, f, f"{con.framework.title}: where we stand, {rep.round}")
    _merged(ws, 1, 0, last_col, words.headline(con), f["headline"], 160)
    if rep.trend is not None:
        _merged(ws, 2, 0, last_col, " ".join(trend.dashboard_lines(rep)), f["headline"], 160)
    else:
        ws.set_row(2, 6)
    _tiles(ws, f, con, right, last_col)
    ws.set_row(6, 6)
    heat_last = _heat_map(ws, f, con)
    ws.set_column(right - 1, right - 1, GAP_W)
    for n, width in enumerate(RIGHT_W):
        ws.set_column(right + n, right + n, width)
    side_last = _side(ws, f, con, right)
    row = max(heat_last, side_last) + 2
    last = _lists(ws, f, con, row, right, len(partners))
    last = _first_actions(ws, f, con, last + 2, right, len(partners))
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.5)
    ws.print_area(0, 0, last, last_col)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 1)
    ws.set_footer(footer(rep))
    ws.hide_gridlines(2)


def _merged(ws, row: int, first: int, last: int, text: str, fmt, width: float) -> None:
    if last > first:
        ws.merge_range(row, first, row, last, "", fmt)
    put_text(ws, row, first, text, fmt)
    ws.set_row(row, row_height([(text, width, 11)]))


def _tiles(ws, f, con: Consolidation, right: int, last_col: int) -> None:
    split = max(1, (right - 1) // 3)
    spans = [(0, split), (split + 1, right - 2), (right, right + 1), (right + 2, last_col)]
    for (label, value, detail), (first, last) in zip(words.tiles(con), spans):
        for row, text, style in ((3, label, "tile_label"), (4, value, "tile_value"), (5, detail, "tile_detail")):
            if last > first:
                ws.merge_range(row, first, row, last, "", f[style])
            put_text(ws, row, first, text, f[style])
    ws.set_row(4, 26)
    ws.set_row(5, 40)


def _heat_map(ws, f, con: Consolidation) -> int:
    fw, partners = con.framework, heat_map_partners(con)
    too_many = "" if partners or not con.respondents else \
        f" (all partners together: {len(con.respondents):,} columns would not fit a sheet; see Ratings)"
    put_text(ws, HEAT_ROW - 1, 0, f"Average rating by {fw.labels['section'].lower()} and partner{too_many}",
             f["heading"])
    columns = [Column("Ref", REF_W), Column(fw.labels["section"], SECTION_W)]
    columns += [Column(p, PARTNER_W, "mean") for p in partners] + [Column("All partners", 11, "mean")]  # wide enough for a due date below
    rows = [[s.id, s.title] + [con.respondent_section_means[p].get(s.id) for p in partners]
            + [con.section_means.get(s.id)] for s in fw.sections]
    overall = [_mean([v for r in con.item_rows() for q, v in r.values.items() if q == p]) for p in partners]
    rows.append(["", f"All {fw.labels['section'].lower()}s"] + overall + [con.overall])
    last = table(ws, f, "Dashboard_heat_map", columns, rows, "Average rating by section and partner",
                 first_row=HEAT_ROW)
    if partners:
        rating_colours(ws, con.scale, HEAT_ROW + 1, 2, last, len(partners) + 2)
    return last


def heat_map_partners(con: Consolidation) -> list[str]:
    """The partners given a column of the heat map: all of them, when they fit on a sheet beside the rest."""
    return con.respondents if len(con.respondents) + 4 + len(RIGHT_W) <= limits.SHEET_COLUMNS else []


def _mean(values):
    return statistics.fmean(values) if values else None


def _side(ws, f, con: Consolidation, right: int) -> int:
    """Who has not returned (with contact and email), and who sits apart."""
    row = HEAT_ROW - 1
    put_text(ws, row, right, "Not yet returned", f["heading"])
    row += 1
    _pair(ws, f["header"], row, right, "Partner", "Contact and email")
    missing = con.missing if con.roster else []
    for person in missing:
        row += 1
        contact = " · ".join(x for x in (person.contact, person.email) if x) or "no contact given"
        _pair(ws, f["text"], row, right, person.name, contact)
    if not missing:
        row += 1
        _pair(ws, f["text"], row, right, "Nobody: every partner asked has returned" if con.roster
              else "Not known: no manifest was given", "")
    return row


def _pair(ws, fmt, row: int, right: int, name: str, detail: str) -> None:
    ws.merge_range(row, right, row, right + 1, "", fmt)
    put_text(ws, row, right, name, fmt)
    put_text(ws, row, right + 2, detail, fmt)


def _lists(ws, f, con: Consolidation, row: int, right: int, n_partners: int) -> int:
    """The lowest-rated items (left) and the widest disagreements (right), side by side."""
    label = con.framework.labels["item"]
    put_text(ws, row, 0, f"Lowest-rated {label.lower()}s (gaps)", f["heading"])
    put_text(ws, row, right, "Where partners disagree most", f["heading"])
    row += 1
    item_last = n_partners + 1
    _header_cells(ws, f, row, [(0, "Ref"), (1, label), (item_last + 1, "Mean")], item_last)
    _right_header(ws, f, row, right, ("Ref", label, "Who sits at each end"))
    gaps, disagreements = con.gaps(TOP), con.disagreements(TOP)
    for n in range(max(len(gaps), len(disagreements), 1)):
        row += 1
        texts = []
        if n < len(gaps):
            g = gaps[n]
            put_text(ws, row, 0, g.owner_id, f["text"])
            _merge_text(ws, f, row, 1, item_last, g.caption)
            put(ws, row, item_last + 1, g.stat("mean"), f, "number")
            texts.append((g.caption, SECTION_W + PARTNER_W * n_partners, 10))
        if n < len(disagreements):
            d = disagreements[n]
            _right_row(ws, f, row, right, (d.owner_id, d.caption, d.ends_text()))
            texts += [(d.caption, RIGHT_W[1], 10), (d.ends_text(), RIGHT_W[2], 10)]
        if n == 0 and not disagreements:
            put_text(ws, row, right + 1, "No item meets the rule (see Notes)", f["text"])
        ws.set_row(row, row_height(texts))
    return row


def _first_actions(ws, f, con: Consolidation, row: int, right: int, n_partners: int) -> int:
    """The first actions to chase: highest priority, soonest due, across the full width."""
    put_text(ws, row, 0, "First actions: highest priority, soonest due", f["heading"])
    row += 1
    item_last = n_partners + 1
    _header_cells(ws, f, row, [(0, "Ref"), (1, "Action"), (item_last + 1, "Due")], item_last)
    _pair(ws, f["header"], row, right, "Owner", "Partner (priority)")
    for entry in con.actions.first:
        row += 1
        put_text(ws, row, 0, ", ".join(entry.items), f["text"])
        _merge_text(ws, f, row, 1, item_last, entry.text)
        put(ws, row, item_last + 1, entry.due, f, "text")
        _pair(ws, f["text"], row, right, entry.owner_text() or "(no owner)", f"{', '.join(entry.partners)} ({entry.priority or 'none'})")
        ws.set_row(row, row_height([(entry.text, SECTION_W + PARTNER_W * n_partners, 10)]))
    if not con.actions.first:
        row += 1
        _merge_text(ws, f, row, 1, item_last, "No actions were listed")
    return row


def _merge_text(ws, f, row, first, last, text) -> None:
    if last > first:
        ws.merge_range(row, first, row, last, "", f["text"])
    put_text(ws, row, first, text, f["text"])


def _header_cells(ws, f, row, cells, item_last) -> None:
    for col, text in cells:
        if col == 1 and item_last > 1:
            ws.merge_range(row, 1, row, item_last, "", f["header"])
        put_text(ws, row, col, text, f["header"])


def _right_header(ws, f, row, right, texts) -> None:
    for n, text in enumerate(texts):
        put_text(ws, row, right + n, text, f["header"])


def _right_row(ws, f, row, right, texts) -> None:
    for n, text in enumerate(texts):
        put_text(ws, row, right + n, text, f["text"])
