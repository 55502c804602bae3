"""Dashboard: the first screen a director reads, and a one-page A4 brief when printed.

At the top, one line per question a manager asks (returns, the overall rating, the lowest
items, where partners disagree and who sits apart, the actions, and next round what changed),
each wrapped to the sheet's width rather than running past the window. Below it, the sheet's
one table: the average rating of each section by partner; then the first actions of the plan
with what they address, their owners and due dates; then the widest disagreements with who sits
at each end, and beside them a chart of the table's numbers.
Nothing is merged: every text sits in one cell. The workbook stores the zoom at which the
top of the sheet fits a 1366x768 screen in LibreOffice or Excel, when 100% does not.
"""

from __future__ import annotations

import statistics
import textwrap

from sheetkit.common.text import clip
from sheetkit.consolidate.consolidation import TOP, Consolidation
from sheetkit.xlsx.text_fit import points_needed
from . import charts
from . import headline as words
from . import trend
from .action_plan import first_action_where, summary
from .base import Column, Report, fit_header, footer, plural, put, put_text, rating_colours, sheet_link, table, title

NAME = "Dashboard"
ABOUT = "The first screen and a one-page brief: returns, the overall rating, the lowest-rated items, where " \
        "partners disagree and who sits apart, the first actions, who has not returned and (with last round) " \
        "what changed; the average of each section by partner, as a table and a chart."
LABEL_W, TEXT_W, PARTNER_W, ALL_W = 19, 46, 9, 11  # ALL_W: wide enough for a due date in the lists below
MOST_PARTNERS = 16  # partners given a column each; with more, the table shows the lowest, median and highest
MIN_ZOOM = 70  # the smallest zoom stored: below it, the table shows the lowest, median and highest partner
DETAIL_CHARS = 30  # room the lists' detail (owners, who sits at each end) runs across, over the partner columns
SCREEN = (1268, 585)  # LibreOffice's grid at 100% in a 1366x768 window (menus, toolbars and tabs take the rest)
PIXELS = 1.12  # LibreOffice draws a column this much wider than Excel's 7 pixels a character
CHART_SIZE = (620, 330)


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    layout = _Layout(con)
    title(ws, f, f"{con.framework.title}: where we stand, {rep.round}")
    row, points = _brief(ws, f, rep, layout)
    heading = row + 2
    last = _heat_map(ws, f, con, layout, heading)
    points += 15 + sum(ws.row_sizes.get(r, [15])[0] for r in range(heading, last + 1))
    points += 15 + 15 + 30  # a blank row, the first actions' heading (with the link to the plan) and header
    row = _first_actions(ws, f, rep, layout, last + 2)
    _chart(ws, rep, layout, heading, last, row + 2)  # beside the list below the first screen, so never cut by it
    last = max(_disagreements(ws, f, con, layout, row + 2), row + 2 + CHART_SIZE[1] // 20)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.5)
    ws.print_area(0, 0, last, layout.chart_col + layout.chart_cols)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 1)
    ws.set_footer(footer(rep))
    ws.hide_gridlines(2)
    ws.set_zoom(layout.zoom(points))


class _Layout:
    """The Dashboard's columns: labels and refs, the text column, one per partner (or the lowest, median and
    highest when there are too many to show), and 'All partners'; the chart to the right of them."""

    def __init__(self, con: Consolidation):
        self.partners = heat_map_partners(con)
        self._columns(self.partners)
        if self.partners and SCREEN[0] / self.pixels() < MIN_ZOOM / 100:  # too many to read on one screen
            self.partners = []
            self._columns([])
        self.all_col = len(self.widths) - 1
        self.chart_col = self.all_col + 2
        self.chart_cols = int(CHART_SIZE[0] / 64) + 1  # default 8.43-character columns it spans

    def _columns(self, partners: list[str]) -> None:
        self.headers = partners or ["Lowest partner", "Median partner", "Highest partner"]
        least = DETAIL_CHARS / max(1, len(self.headers))  # the lists' details run across these columns
        self.widths = [LABEL_W, TEXT_W] + [fit_header(h, max(PARTNER_W, least), button=False)
                                           for h in self.headers] + [ALL_W]

    @property
    def detail_chars(self) -> int:
        """Characters a list's detail has before the last column stops it (it runs unwrapped over the partners')."""
        return int(sum(self.widths[2:self.all_col]) * 1.1)

    @property
    def text_chars(self) -> int:
        """Characters of a brief line: the columns right of the labels, at Arial 10 (cautiously)."""
        return int(sum(self.widths[1:]) * 1.2)

    def pixels(self) -> float:
        return sum((w * 7 + 5) * PIXELS for w in self.widths)

    def zoom(self, first_screen_points: float) -> int:
        """The zoom at which the columns, and the rows down to the first actions' heading, fit the screen."""
        wide = SCREEN[0] / self.pixels()
        tall = SCREEN[1] / (first_screen_points * 96 / 72)
        return max(MIN_ZOOM, min(100, int(min(wide, tall) * 100) // 5 * 5))


def heat_map_partners(con: Consolidation) -> list[str]:
    """The partners given a column of the table: all of them, when they fit the first screen."""
    return con.respondents if len(con.respondents) <= MOST_PARTNERS else []


def _brief(ws, f, rep: Report, layout: _Layout) -> tuple[int, float]:
    """The brief's lines from row 1: a bold label in the first column, the words wrapped to the sheet's width
    (one line a row, so that no text runs past the window and nothing is merged). Returns the last row and the
    height, in points, of the rows down to it."""
    con = rep.con
    since = rep.trend.previous_round if rep.trend else ""
    lines = words.brief(con, summary(con), since, trend.dashboard_lines(rep) if rep.trend else [])
    row, points = 0, 24.0
    for label, said in lines:
        for n, part in enumerate(textwrap.wrap(said, layout.text_chars) or [""]):
            row += 1
            if not n:
                put_text(ws, row, 0, label, f["brief_label"])
            put_text(ws, row, 1, part, f["brief"])
            ws.set_row(row, 15)
            points += 15
    return row, points


def _heat_map(ws, f, con: Consolidation, layout: _Layout, row: int) -> int:
    fw = con.framework
    section = fw.labels["section"]
    put_text(ws, row, 0, f"Average rating by {section.lower()} and partner", f["heading"])
    columns = [Column("Ref", LABEL_W), Column(section, TEXT_W)]
    columns += [Column(h, w, "mean") for h, w in zip(layout.headers, layout.widths[2:])]
    columns.append(Column("All partners", ALL_W, "mean"))
    rows = [[s.id, s.title] + _section_values(con, s.id, layout) + [con.section_means.get(s.id)]
            for s in fw.sections]
    rows.append(["", f"All {section.lower()}s"] + _overall_values(con, layout) + [con.overall])
    last = table(ws, f, "Dashboard_heat_map", columns, rows, f"Average rating by {section.lower()} and partner",
                 first_row=row + 1, filters=False)
    rating_colours(ws, con.scale, row + 2, 2, last, layout.all_col)
    return last


def _section_values(con: Consolidation, section_id: str, layout: _Layout) -> list:
    if layout.partners:
        return [con.respondent_section_means[p].get(section_id) for p in layout.partners]
    return _spread([m for p in con.respondents if (m := con.respondent_section_means[p].get(section_id)) is not None])


def _overall_values(con: Consolidation, layout: _Layout) -> list:
    by_partner: dict[str, list[int]] = {p: [] for p in con.respondents}
    for r in con.item_rows():
        for p, v in r.values.items():
            by_partner.setdefault(p, []).append(v)
    means = {p: statistics.fmean(v) if v else None for p, v in by_partner.items()}
    if layout.partners:
        return [means.get(p) for p in layout.partners]
    return _spread([m for m in means.values() if m is not None])


def _spread(means: list[float]) -> list:
    return [min(means), statistics.median(means), max(means)] if means else [None, None, None]


def _chart(ws, rep: Report, layout: _Layout, heading: int, last: int, at: int) -> None:
    """The table as a chart, on the right from row `at`: each section's average from all partners (columns),
    each partner's (markers)."""
    con = rep.con
    if con.scale is None or not con.respondents:
        return
    sheet, header = ws.get_name(), heading + 1
    rows = list(range(header + 1, last))  # the sections' rows: not the header, nor the 'All' row
    chart = rep.add_chart({"type": "column"})
    chart.add_series({"name": charts.name_cell(sheet, header, layout.all_col),
                      "categories": charts.cells(sheet, rows, 1), "values": charts.cells(sheet, rows, layout.all_col),
                      "fill": {"color": charts.BAR}, "border": {"color": charts.DARK}, "gap": 80})
    marked = layout.headers[:charts.MOST_MARKED]
    points = rep.add_chart({"type": "line"})
    for n, _ in enumerate(marked):
        points.add_series({"name": charts.name_cell(sheet, header, n + 2), "categories": charts.cells(sheet, rows, 1),
                           "values": charts.cells(sheet, rows, n + 2), **charts.marker_series(n)})
    if marked:
        chart.combine(points)
    section = con.framework.labels["section"].lower()
    charts.style(chart, chart_title(con), "Average rating", con.scale)
    alt = (f"Column chart: the average rating of each {section} from all partners, with each partner's own average "
           f"as a marker{'' if layout.partners else ' (the lowest, median and highest partner)'}. Its numbers are "
           f"the table 'Average rating by {section} and partner' above it. {chart_title(con)}.")
    charts.insert(ws, at, layout.chart_col, chart, alt, *CHART_SIZE)


def chart_title(con: Consolidation) -> str:
    """What the chart shows, as a finding: the strongest and weakest section, and who sits apart most."""
    ranked = con.ranked_sections()
    label = con.framework.labels["section"]
    if len(ranked) < 2:
        return f"Average rating by {label.lower()}"
    (best, high), (worst, low) = ranked[0], ranked[-1]
    said = (f"{words.section_title(con, best)} is rated highest ({high:.1f}) and {words.section_title(con, worst)} "
            f"lowest ({low:.1f})")
    apart = next(iter(con.apart_counts().items()), None)
    if apart and apart[1] > 1:
        said += f"; {apart[0]} sits apart on {apart[1]} {con.framework.labels['item'].lower()}s"
    return said


def _heading(ws, f, layout: _Layout, row: int, text: str, headers: dict[int, str]) -> int:
    """A list's heading, and its header cells in the columns given (the detail's, in column 2, running on
    unwrapped across the partner columns like the detail); the header's row."""
    put_text(ws, row, 0, text, f["heading"])
    for col in range(3, layout.all_col):
        ws.write_blank(row + 1, col, None, f["header_fill"])
    for col, header in headers.items():
        put_text(ws, row + 1, col, header, f["header_line"] if col == 2 else f["header"])
    ws.set_row(row + 1, 15)
    return row + 1


def _entry(ws, f, layout: _Layout, row: int, ref: str, text: str, detail: str = "", last=None,
           last_style: str = "text") -> float:
    """One line of a list: its ref, its text (wrapped in the text column), a detail running across the partner
    columns unwrapped, and a value in the last column; the row's height."""
    put_text(ws, row, 0, ref, f["text"])
    put_text(ws, row, 1, text, f["text"])
    if detail:
        put_text(ws, row, 2, detail, f["text_line"])
    if last is not None:
        put(ws, row, layout.all_col, last, f, last_style)
    height = max(15.0, points_needed(text, TEXT_W, 10), points_needed(ref, LABEL_W, 10))
    ws.set_row(row, height)
    return height


def _first_actions(ws, f, rep: Report, layout: _Layout, row: int) -> int:
    """The plan's first actions (highest priority, soonest due): what, for which item, at what priority, from
    how many partners, who owns it and when it is due."""
    con = rep.con
    label = con.framework.labels["item"]
    row = _heading(ws, f, layout, row, "First actions: highest priority, soonest due",
                   {0: "Refs, priority", 1: f"Action, and the {label.lower()} it addresses", 2: "Owners",
                    layout.all_col: "Due"})
    sheet_link(ws, rep, row - 1, 2, "action_plan", "The whole plan: Action plan")
    for entry in con.actions.first:
        row += 1
        where = first_action_where(con, entry, int(TEXT_W * 1.15))
        _entry(ws, f, layout, row, f"{', '.join(entry.items)}\n{entry.priority or 'no priority'}, "
                                   f"{plural(len(entry.partners), 'partner')}",
               f"{entry.text}\n{where}", _owners(entry, layout.detail_chars),
               entry.due or entry.due_text() or "(no date)", "date")
    if not con.actions.first:
        row += 1
        _entry(ws, f, layout, row, "", "No actions were listed")
    return row


def _owners(entry, budget: int) -> str:
    """The owners named, the most named first, as many as fit `budget` characters, then how many more."""
    named = [f"{name} ({n})" if n > 1 else name for name, n in entry.owners.most_common()]
    if not named:
        return "(no owner)"
    for shown in range(len(named), 0, -1):
        text = "; ".join(named[:shown]) + (f"; and {len(named) - shown} more" if shown < len(named) else "")
        if len(text) <= budget or shown == 1:
            return text
    return named[0]


def _disagreements(ws, f, con: Consolidation, layout: _Layout, row: int) -> int:
    label = con.framework.labels["item"]
    row = _heading(ws, f, layout, row, "Where partners disagree most",
                   {0: "Ref", 1: f"{label}, and who sits at each end"})
    found = con.disagreements(TOP)
    for d in found:
        row += 1
        _entry(ws, f, layout, row, d.owner_id, f"{d.caption}\n{d.ends_text()}")
    if not found:
        row += 1
        _entry(ws, f, layout, row, "", f"No {label.lower()} meets the rule for disagreement (see Notes)")
    return row
