"""Notes: what every measure in the workbook means, which scales are whose, and how flagged values are treated."""

from __future__ import annotations

from sheetkit.consolidate.consolidation import TOP, Consolidation, low_limit
from . import ratings
from .base import Column, Report, footer, kept_out_note, print_setup, table, title

NAME = "Notes"
ABOUT = "What every measure means: mean, spread, counted, the disagreement rule, the scales, flagged values."
COLUMNS = (Column("Term", 26, "label"), Column("What it means here", 120))


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "Notes: how to read this workbook", "Every figure is calculated by sheetkit from the returns "
          "counted (see Returns); nothing is weighted.")
    terms = definitions(rep.con) + (TREND_TERMS if rep.trend else []) + (MODERATION_TERMS if rep.moderation else [])
    terms += sizes(rep)
    if rep.made_with:
        terms.append(("How this was made", rep.made_with))
    last = table(ws, f, "Notes", COLUMNS, terms, "Definitions of the measures used")
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))


def sizes(rep: Report) -> list[tuple[str, str]]:
    """A line for each table split across sheets or kept out of the workbook for its size."""
    rows = []
    for name, plan in rep.plans.items():
        if plan.kept_out:
            rows.append((f"{name}: kept out", kept_out_note(plan)))
        elif len(plan.sheets) > 1:
            what = "partners" if name == ratings.NAME else "rows"
            rows.append((f"{name}: split", f"{plan.size:,} {what} are more than one sheet holds, so the table "
                                           f"continues on {', '.join(repr(s) for s in plan.sheets[1:])}, each "
                                           f"with the header row."))
    return rows


TREND_TERMS = [
    ("Change since last round", "This round's average less last round's, each the average of every rating given "
                                "in that round. Items that cannot be compared (the Trend sheet says why) are left out "
                                "of both rounds, and so of the overall figure."),
    ("Same partners' change", "The average of the changes of the partners who rated an item (or a section's items) "
                              "in both rounds, each partner's change being the average of their ratings now less "
                              "then. A partner who joined or left moves the averages but not this."),
    ("Overdue", "One of last round's actions whose due date, or the revised date reported this round, is before the "
                "day this workbook was compiled, and whose status is not Done or Dropped. An action nobody carried "
                "into this round's action plan is 'not reported'."),
]


MODERATION_TERMS = [
    ("Revised after feedback", "A rating a partner revised in their reply to the feedback: Revise picked beside a "
                               "rating on the scale. It is shown and counted in place of their self-assessed rating "
                               "on Ratings, the Dashboard and every average; the self-assessed rating is kept on the "
                               "Moderation sheet and in Responses. A reply whose choice and rating disagree changes "
                               "nothing until the partner says which they meant."),
    ("Agreed position", "What the challenge day agreed on a partner's rating, typed by the lead into the Moderation "
                        "sheet's two yellow columns. The next round shows it to the partner as 'agreed last round' "
                        "and its Trend counts it as last round's rating."),
]


def definitions(con: Consolidation) -> list[tuple[str, str]]:
    """(term, definition) for every measure the workbook shows."""
    scale = con.scale
    rows = [
        ("Partner", "An organisation or team that was sent a workbook and returned it. Only returns with the "
                    "status 'accepted' on the Returns sheet are counted; superseded drafts and duplicates are not."),
        ("Counted", "A rating is counted when it is one of the scale's levels. A value that is not (a typed "
                    "'4.5', 'Good') is kept and shown as typed in 'Not counted' columns and on the Issues sheet, "
                    "and left out of every average, spread and count."),
        ("Mean", "The average of the ratings counted for an item (or a section, or a partner): their sum "
                 "divided by how many there are."),
        ("Median", "The middle rating counted for an item when the ratings are put in order (the average of "
                   "the two middle ones when there is an even number)."),
        ("Spread", "The highest rating counted for an item minus the lowest."),
        ("Overall rating", "The mean of every item rating counted, from every partner: each rating counts once."),
        ("Section average", "The mean of every item rating counted in the section, from every partner (on the "
                            "Dashboard's heat map: from one partner, or from all)."),
        ("Strongest and weakest", "The sections with the highest and the lowest section average."),
        ("Gaps", f"The {TOP} items with the lowest mean rating, lowest first; items of equal mean keep the "
                 f"framework's order."),
    ]
    if scale is not None:
        rows.append(("Sits apart, split, groups differ", con.rule.describe(scale)))
        rows.append(("Disagreements", f"Items where partners are split, then items where one partner sits "
                                      f"apart, widest spread first. The Dashboard lists the first {TOP}."))
        rows.append(("Rated low", f"A rating of {int(low_limit(scale))} or less: the lowest third of the scale. "
                                  f"'Rated low with no action' lists each such rating whose partner listed no "
                                  f"action for that item."))
    rows.append(("Actions without owner or date", "Actions whose owner is empty, or whose due date is empty or "
                                                  "not a date (for example 'n/a'); the text typed is kept."))
    for s in con.framework.scales:
        whose = ("published by " + con.framework.source.publisher if s.origin == "publisher"
                 else "added by sheetkit, because the source gives no scale of its own")
        levels = "; ".join(f"{lv.value}" + (f" {lv.label}" if lv.label else "") for lv in s.levels)
        note = f" {s.note}" if s.note else ""
        rows.append((f"Scale: {s.title}", f"This scale is {whose}. Levels: {levels}.{note}"))
    return rows
