"""Contents: a link to every sheet, with what it shows."""

from __future__ import annotations

from .base import HEADER_ROW, Column, Report, footer, kept_out_note, print_setup, table, title

NAME = "Contents"
ABOUT = "This list: every sheet, with a link and what it shows."
COLUMNS = (Column("Sheet", 26), Column("What it shows", 110))


def write(rep: Report, ws) -> None:
    f = rep.formats
    title(ws, f, "Contents", "Select a sheet's name to go to it.")
    entries = []
    for module in rep.sheets:
        name = rep.sheet_names[module.__name__.rsplit(".", 1)[1]]
        plan = rep.plans.get(name)
        if plan is not None and plan.kept_out:
            entries.append((name, f"{module.ABOUT} {kept_out_note(plan)}"))
            continue
        parts = plan.sheets if plan is not None else [name]
        entries.append((name, module.ABOUT + (f" Split across {len(parts)} sheets: too long for one." if
                                              len(parts) > 1 else "")))
        entries += [(more, f"{name}, continued (part {k} of {len(parts)}).") for k, more in enumerate(parts[1:], 2)]
    last = table(ws, f, "Contents", COLUMNS, entries, "Contents: every sheet and what it shows")
    for row, (name, _) in enumerate(entries, start=HEADER_ROW + 1):
        target = name.replace("'", "''")
        ws.write_url(row, 0, f"internal:'{target}'!A1", f["link"], string=name, tip=f"Go to {name}")
    print_setup(ws, last, len(COLUMNS) - 1, footer(rep))
