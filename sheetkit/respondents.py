"""Who is asked: respondents from a CSV and/or the command line."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import UsageError

COLUMNS = ("name", "organisation", "email", "contact", "group")


@dataclass(frozen=True)
class Respondent:
    name: str
    organisation: str = ""
    email: str = ""
    contact: str = ""
    group: str = ""  # e.g. council, health, voluntary sector: the consolidated workbook compares groups

    @property
    def key(self) -> str:
        return normalise_name(self.name)


def normalise_name(name: str) -> str:
    """Names compare ignoring case and runs of spaces: 'Adult  Social care' = 'adult social care'."""
    return " ".join(str(name).split()).casefold()


def load_respondents(csv_path: str | None, names: Iterable[str] = ()) -> list[Respondent]:
    """Respondents from a CSV (column 'name' required) and repeated names; duplicates are refused."""
    respondents: list[tuple[str, Respondent]] = []
    if csv_path:
        respondents += _from_csv(Path(csv_path))
    respondents += [(f"--respondent {n!r}", Respondent(" ".join(n.split()))) for n in names]
    if not respondents:
        raise UsageError("no respondents given: use --respondents FILE.csv and/or --respondent NAME")
    seen: dict[str, str] = {}
    problems = []
    for where, person in respondents:
        if not person.name:
            problems.append(f"{where}: the name is empty; every respondent needs a name")
        elif person.key in seen:
            problems.append(f"{where}: '{person.name}' duplicates {seen[person.key]} (names are compared "
                            f"ignoring case and spaces); give each respondent a distinct name")
        else:
            seen[person.key] = where
    if problems:
        raise UsageError("the respondents list has problems, so nothing was built:\n  " + "\n  ".join(problems))
    return [person for _, person in respondents]


def _from_csv(path: Path) -> list[tuple[str, Respondent]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            headers = [h.strip().lower() for h in (reader.fieldnames or [])]
            if "name" not in headers:
                raise UsageError(f"{path}, row 1: no 'name' column (found: {', '.join(headers) or 'nothing'}); "
                                 f"the CSV needs a header row with at least 'name', and optionally "
                                 f"{', '.join(COLUMNS[1:])}")
            rows = []
            for number, raw in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                rows.append((f"{path}, row {number}",
                             Respondent(" ".join(row.get("name", "").split()), row.get("organisation", ""),
                                        row.get("email", ""), row.get("contact", ""),
                                        row.get("group", ""))))
            return rows
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give the path of the respondents CSV") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; save the respondents list as 'CSV UTF-8' and try again") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not a readable CSV ({exc})") from None
