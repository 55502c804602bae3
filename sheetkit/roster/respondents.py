"""Who is asked: respondents from a list (CSV or workbook) and/or the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sheetkit.common.errors import UsageError
from sheetkit.common.tables import read_table
from sheetkit.common.text import normalise_name

COLUMNS = ("name", "organisation", "email", "contact", "group")


@dataclass(frozen=True)
class Respondent:
    name: str
    organisation: str = ""
    email: str = ""
    contact: str = ""
    group: str = ""  # e.g. council, health, voluntary sector: the consolidated workbook compares groups
    source: str = field(default="", compare=False)  # where the lead gave it: "respondents.csv, row 7"

    @property
    def key(self) -> str:
        return normalise_name(self.name)



@dataclass
class RespondentList:
    """Who is asked, and anything the lead should know about how the list was read."""

    people: list[Respondent]
    warnings: list[str] = field(default_factory=list)


def load_respondents(list_path: str | None, names: Iterable[str] = ()) -> RespondentList:
    """Respondents from a list (CSV, .xlsx or .ods; column 'name' required) and repeated names.

    Duplicates are refused.
    """
    respondents: list[tuple[str, Respondent]] = []
    warnings: list[str] = []
    if list_path:
        table = read_table(list_path, "name", "the respondents list")
        warnings = [f"{table.path}: {w}" for w in table.warnings]
        respondents += [(f"{table.path}, row {number}", _respondent(row, f"{table.path}, row {number}"))
                        for number, row in table.rows]
    respondents += [(f"--respondent {n!r}", Respondent(" ".join(n.split()), source=f"--respondent {n!r}"))
                    for n in names]
    if not respondents:
        raise UsageError("no respondents given: use --respondents FILE (.csv, .xlsx or .ods) and/or --respondent NAME")
    seen: dict[str, str] = {}
    problems = []
    for where, person in respondents:
        if not person.name:
            problems.append(f"{where}, column 'name': the name is empty; every respondent needs a name")
        elif person.key in seen:
            problems.append(f"{where}: '{person.name}' duplicates {seen[person.key]} (names are compared "
                            f"ignoring case and spaces); give each respondent a distinct name")
        else:
            seen[person.key] = where
    if problems:
        raise UsageError("the respondents list has problems, so nothing was built:\n  " + "\n  ".join(problems))
    return RespondentList([person for _, person in respondents], warnings)


def _respondent(row: dict[str, str], source: str) -> Respondent:
    return Respondent(" ".join(row.get("name", "").split()), row.get("organisation", ""),
                      row.get("email", ""), row.get("contact", ""), row.get("group", ""), source)
