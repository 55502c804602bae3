"""Who is asked: respondents from a list (CSV or workbook) and/or the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sheetkit.common import limits
from sheetkit.common.errors import UsageError
from sheetkit.common.tables import read_table
from sheetkit.common.text import normalise_name
from .addresses import one_line, parse_addresses

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
        if not table.rows:
            raise UsageError(f"{table.path}, row 2 onwards: no respondent is listed under the header; put one "
                             f"respondent per row, with their name in the 'name' column")
    respondents += [(f"--respondent {n!r}", Respondent(one_line(n), source=f"--respondent {n!r}"))
                    for n in names]
    if not respondents:
        raise UsageError("no respondents given: use --respondents FILE (.csv, .xlsx or .ods) and/or --respondent NAME")
    seen: dict[str, str] = {}
    problems = [problem for where, person in respondents
                for problem in _address_problems(where, person) + _length_problems(where, person)]
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
    """A row as people type it: line breaks (Alt+Enter) and runs of spaces folded, several
    addresses in the email cell written as one list ('a@x.org; b@x.org')."""
    email = parse_addresses(row.get("email", ""))
    return Respondent(one_line(row.get("name", "")), one_line(row.get("organisation", "")),
                      email.text if not email.bad else one_line(row.get("email", "")),
                      one_line(row.get("contact", "")), one_line(row.get("group", "")), source)


def _length_problems(where: str, person: Respondent) -> list[str]:
    """Every workbook records its respondent's name, organisation and email as document properties,
    which hold at most 255 characters."""
    return [f"{where}, column '{column}': the text is {len(value):,} characters long; a workbook can record at "
            f"most {limits.PROPERTY_LIMIT}, so shorten it" for column in ("name", "organisation", "email", "contact",
                                                                        "group")
            if len(value := getattr(person, column)) > limits.PROPERTY_LIMIT]


def _address_problems(where: str, person: Respondent) -> list[str]:
    bad = parse_addresses(person.email).bad
    if not bad:
        return []
    return [f"{where}, column 'email': '{person.email}' holds {', '.join(repr(b) for b in bad)}, which "
            f"{'is not an email address' if len(bad) == 1 else 'are not email addresses'}; give one address or "
            f"several separated by ';' (such as a@council.gov.uk; b@council.gov.uk), or leave the cell blank"]
