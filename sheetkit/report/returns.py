"""Returns: every file read and every partner asked, with status, completeness and contact."""

from __future__ import annotations

import datetime as dt

from sheetkit.common.text import normalise_name
from sheetkit.returns.model import ACCEPTED
from .base import Column, Report, footer, in_words, plural, print_setup, table, title

NAME = "Returns"
ABOUT = "Every file read (group, status and why, completeness, answers carried from last round and not confirmed, " \
        "errors, when saved, who signed it off, SHA-256) " \
        "and every partner asked who has not returned, with contact and email."
COLUMNS = (Column("Partner", 22), Column("Organisation", 18), Column("Group", 12), Column("Status", 11), Column("Why", 30),
           Column("File", 36), Column("Ratings given", 8, "centre"), Column("Ratings asked", 8, "centre"),
           Column("Complete", 9, "percent"), Column("Carried, not confirmed", 10, "centre"),
           Column("Errors", 7, "centre"), Column("Warnings", 8, "centre"),
           Column("Saved", 12, "date"), Column("Signed off by", 18), Column("Signed off on", 12, "date"),
           Column("Contact", 16), Column("Email", 26), Column("SHA-256", 66))


def write(rep: Report, ws) -> None:
    f = rep.formats
    con = rep.con
    asked = {p.key: p for p in con.roster}
    rows = []
    for ret in rep.returns:
        person = asked.get(normalise_name(ret.respondent or ""))
        counted = ret.status == ACCEPTED
        rows.append([ret.respondent, ret.organisation, person.group if person else "", ret.status, in_words(ret.reason),
                     ret.file,
                     ret.ratings_given if counted else None, ret.ratings_asked if counted else None,
                     ret.completeness if counted else None, ret.carried if counted else None, ret.errors, ret.warnings,
                     ret.saved_at.replace(tzinfo=None) if ret.saved_at else None,
                     ret.signed_off_by, _day(ret.signed_off_on),
                     person.contact if person else "", person.email if person else "", ret.sha256])
    for person in con.missing:
        why = in_words(rep.chase_why.get(person.name, "no return found"))
        rows.append([person.name, person.organisation, person.group, "not returned", why, "",
                     None, None, None, None,
                     None, None, None, "", None, person.contact, person.email, ""])
    missing = len(con.missing)
    title(ws, f, "Returns register", f"{plural(len(rep.returns), 'file')} read; {plural(len(con.respondents), 'return')} "
          f"counted" + (f"; {plural(missing, 'partner')} asked {'has' if missing == 1 else 'have'} not returned"
                        if con.roster else "") + ".")
    last = table(ws, f, "Returns", COLUMNS, rows, "Every file read and every partner asked")
    print_setup(ws, last, len(COLUMNS) - 2, footer(rep))


def _day(text: str) -> dt.date | None:
    """The sign-off date as a date cell ('' when none was given as a date)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
