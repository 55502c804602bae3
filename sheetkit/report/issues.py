"""Issues: every finding, except that a superseded or duplicate file's findings are summarised in one line."""

from __future__ import annotations

from sheetkit.returns.model import DUPLICATE, SUPERSEDED
from .base import HEADER_ROW, Column, Report, footer, in_words, plural, print_setup, table, title

NAME = "Issues"
ABOUT = "Every problem found, with file, sheet and cell, what was expected and what to do; a draft that " \
        "was replaced is summarised in one line."
COLUMNS = (Column("Severity", 9), Column("Code", 20), Column("File", 40), Column("Sheet", 16), Column("Cell", 7),
           Column("Message", 70), Column("What to do", 45))


def rows(rep: Report) -> list[tuple]:
    not_counted = {r.file: r for r in rep.returns if r.status in (SUPERSEDED, DUPLICATE)}
    out, summarised = [], set()
    for finding in rep.findings:
        ret = not_counted.get(finding.file)
        if ret is None:
            out.append((finding.severity, finding.code, finding.file, finding.sheet, finding.cell,
                        in_words(finding.message), in_words(finding.action)))
        elif finding.file not in summarised:
            summarised.add(finding.file)
            others = sum(1 for x in rep.findings if x.file == finding.file) - 1
            out.append(("note", ret.status, finding.file, "", "", f"Not counted: {in_words(ret.reason)}."
                        + (f" Its {others} other findings are not listed." if others else ""),
                        "Nothing, unless this file is the one that should count."))
    return out


def write(rep: Report, ws) -> None:
    f = rep.formats
    found = rows(rep)
    title(ws, f, "Issues found", f"{plural(len(found), 'line')}. Errors are marked; a value that fails a check is kept "
          f"as typed and not counted.")
    last = table(ws, f, "Issues", COLUMNS, found, "Every problem found in the returns")
    ws.conditional_format(HEADER_ROW + 1, 0, last, 0, {"type": "cell", "criteria": "==", "value": '"error"',
                                                       "format": f["flag"]})
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
