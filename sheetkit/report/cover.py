"""Cover: what this workbook is, the round, when it was compiled and from which files."""

from __future__ import annotations

from sheetkit import __version__
from .base import Column, Report, footer, plural, print_setup, table, title
from .headline import headline

NAME = "Cover"
ABOUT = "What this workbook is, the framework and round, when it was compiled and from which files."
COLUMNS = (Column("About", 24, "label"), Column("Detail", 110))


def write(rep: Report, ws) -> None:
    con, f = rep.con, rep.formats
    fw = con.framework
    title(ws, f, f"{fw.title}: consolidated self-assessment, {rep.round}",
          "Compiled by sheetkit from the partners' returned workbooks. Start with the Dashboard.")
    asked = f" of {plural(len(con.roster), 'partner')} asked" if con.roster else " (no manifest given, so who was asked is not known)"
    missing = ", ".join(p.name for p in con.missing) if con.roster else "Not known: no manifest was given"
    rows = [
        ("What this is", f"Every partner's self-assessment against {fw.title}, compiled into one workbook: "
                         f"where the partnership stands, where partners disagree, and what will be done."),
        ("In brief", headline(con)),
        ("Framework", f"{fw.title}, version {fw.version}"),
        ("Source", fw.source.citation()),
        ("Round", rep.round),
        ("Compiled", rep.compiled_at.strftime("%d %B %Y at %H:%M")),
        ("Returns counted", f"{len(con.respondents)}{asked}"),
        ("Not yet returned", missing or "Nobody: every partner asked has returned"),
        ("Compared with", f"Round {rep.trend.previous_round}, from {rep.trend.previous.source.name}: see Trend, "
                          f"Trend by partner and Actions followed up" if rep.trend else
                          "No earlier round was given, so this workbook compares nothing with last round"),
        ("Files read", f"{plural(len(rep.returns), 'file')}; each is listed with its status and SHA-256 on the "
                       f"Returns sheet"),
        ("Contact", rep.contact or "No contact was named when this workbook was compiled"),
        ("Where to start", "Dashboard: the first page to read. Contents links to every sheet; Notes defines "
                           "every measure and the rule for disagreement."),
        ("Produced by", f"sheetkit {__version__}"),
    ]
    last = table(ws, f, "Cover_facts", COLUMNS, rows, "About this workbook")
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))

