"""Groups: each group of partners' average rating of every item, and whether the groups differ."""

from __future__ import annotations

from .base import HEADER_ROW, Column, Report, footer, print_setup, rating_colours, table, title

NAME = "Groups"
ABOUT = "The average rating of each group of partners (from the 'group' column of the respondents list) for " \
        "every item, and whether the groups differ."


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    groups = con.group_names()
    members = {g: sorted(p for p, x in con.groups.items() if x == g) for g in groups}
    note = ("; ".join(f"{g} ({len(members[g])})" for g in groups) + ". Who is in each group: see Returns."
            if groups else
            "No groups were given: add a 'group' column to the respondents CSV before building the workbooks.")
    title(ws, f, "Ratings by group of partners", note)
    cols = [Column("Section", 8), Column("Ref", 6), Column("Item", 44)]
    cols += [Column(g, 11, "mean") for g in groups] + [Column("Groups differ", 9)]
    rows = [[r.section_id, r.owner_id if r.level == "item" else "", r.caption]
            + [r.group_means.get(g) for g in groups] + ["Yes" if r.groups_differ else ""] for r in con.ratings]
    last = table(ws, f, "Groups", cols, rows, "Average rating by group of partners")
    rating_colours(ws, con.scale, HEADER_ROW + 1, 3, last, 2 + len(groups))
    print_setup(ws, last, len(cols) - 1, footer(rep))
