"""Moderation: every reply to the feedback beside the self-assessment, the rating counted now, and two columns
the lead fills in with the position agreed at the challenge day, which the next round reads back.

Written from a :class:`sheetkit.consolidate.moderation.Moderation` (ingest --replies); without one the
sheet says how to get it. The columns the next round reads (partner, key and the two agreed columns)
are named in :mod:`sheetkit.common.own_files`, so the writer and the reader cannot disagree.
"""

from __future__ import annotations

from sheetkit.common.own_files import AGREED_POSITION, AGREED_RATING, MODERATION_COUNTED, MODERATION_KEY, \
    MODERATION_PARTNER, MODERATION_SHEET
from sheetkit.consolidate.moderation import Moderation, ModerationRow
from .base import Column, Report, footer, plural, print_setup, table, title

NAME = MODERATION_SHEET
ABOUT = ("Every reply to the feedback beside the self-assessment: what each partner asked kept or "
         "revised, why, the evidence they added and the rating counted now; and two columns for the position "
         "agreed at the challenge day, which the next round carries.")
COLUMNS = (Column("Section", 8), Column("Ref", 6), Column("Item", 34), Column(MODERATION_PARTNER, 18),
           Column("Where they sat", 16), Column("Asked to reply", 8), Column("Self-assessed", 10, "centre_text"),
           Column("Keep or revise", 9), Column("Revised rating", 9, "centre_text"), Column(MODERATION_COUNTED, 9, "centre"),
           Column("Why", 34), Column("Evidence added", 34), Column("Outcome", 24), Column("Reply (file and cells)", 24),
           Column(AGREED_RATING, 12, "answer"), Column(AGREED_POSITION, 34, "answer"), Column(MODERATION_KEY, 16))
NO_REPLIES = ("No replies were compiled. When partners send back their feedback workbooks, save them into one folder "
              "and compile the returns again with that folder as the replies, naming the feedback folder (or its "
              "manifest.csv) too.")
OUTSIDE = "typed outside the reply cells: read it and move what matters by hand"


def write(rep: Report, ws) -> None:
    f, moderation = rep.formats, rep.moderation
    if moderation is None:
        title(ws, f, "Moderation: no replies compiled", NO_REPLIES)
        last = table(ws, f, "Moderation", COLUMNS, [], "Replies to the feedback")
        print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
        return
    title(ws, f, "Moderation: replies to the feedback, and the positions agreed", note(rep, moderation))
    rows = [values(m) for m in moderation.rows] + [_outside(entry) for entry in moderation.unplaced]
    last = table(ws, f, "Moderation", COLUMNS, rows, "Replies to the feedback beside the self-assessment")
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep), repeat_cols=4)


def note(rep: Report, moderation: Moderation) -> str:
    """Who was asked, who replied, how many ratings were revised, and what the lead fills in."""
    asked, replied = moderation.asked, moderation.replied
    waiting = [p for p in asked if p not in replied]
    said = (f"{len(replied)} of {len(asked)} partners asked {'has' if len(replied) == 1 else 'have'} replied" if asked
            else f"{plural(len(replied), 'partner')} replied")
    said += f" (not yet: {', '.join(waiting)})" if waiting else ""
    said += f"; reply files not used: {'; '.join(moderation.unused)} (see Issues)" if moderation.unused else ""
    return (f"{said}; {plural(rep.con.revised, 'rating')} revised, and counted in place of the self-assessment on "
            f"Ratings and the Dashboard. After the challenge day, type the agreed rating and position in the two "
            f"yellow columns: the next round, built and compiled with this workbook as last round, carries them as "
            f"'agreed last round'.")


def values(m: ModerationRow) -> list:
    r = m.rated
    return [r.section_id, r.ref if r.level == "item" else "", r.caption, m.partner, m.where, "Yes" if m.asked else "",
            m.self_shown, m.decision, m.revised, m.counted, m.reason, m.evidence, m.outcome,
            f"{m.file}: {m.cells}" if m.file else "", None, None, r.key]


def _outside(entry: tuple[str, str, str, str, str]) -> list:
    partner, file, sheet, cell, text = entry
    return ["", "", "", partner, "", "", None, "", "", None, text, "", OUTSIDE, f"{file}: '{sheet}'!{cell}",
            None, None, ""]

