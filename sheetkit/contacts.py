"""Who to write to: each respondent in the build manifest with their address and workbook."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from .errors import UsageError
from .respondents import normalise_name


@dataclass(frozen=True)
class Contact:
    """One respondent as the manifest records them."""

    name: str
    organisation: str = ""
    email: str = ""
    contact: str = ""
    file: str = ""
    sha256: str = ""
    framework_id: str = ""
    round: str = ""
    deadline: dt.date | None = None
    bad_email: str = ""  # what the email column held when it was not an address

    @property
    def key(self) -> str:
        return normalise_name(self.name)

    @property
    def addressee(self) -> str:
        return self.contact or self.name


def read_contacts(path: Path) -> list[Contact]:
    """Every respondent row of a manifest written by `sheetkit build`."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"cannot read the manifest {path} ({exc}); give the manifest.csv written by build") from None
    if not rows or "respondent" not in rows[0]:
        raise UsageError(f"{path}, row 1: not a sheetkit manifest (no 'respondent' column); give the manifest.csv "
                         f"written by build")
    return [_contact(row) for row in rows if (row.get("respondent") or "").strip()]


def _contact(row: dict) -> Contact:
    value = {k: _plain(v) for k, v in row.items() if k}
    address = parseaddr(value.get("email", ""))[1]
    good = "@" in address and "." in address.rpartition("@")[2]
    try:
        deadline = dt.date.fromisoformat(value.get("deadline", ""))
    except ValueError:
        deadline = None
    return Contact(value["respondent"], value.get("organisation", ""), address if good else "",
                   value.get("contact", ""), value.get("file", ""), value.get("sha256", ""),
                   value.get("framework_id", ""), value.get("round", ""), deadline,
                   "" if good else value.get("email", ""))


def _plain(text: str | None) -> str:
    """A manifest value as written, without the quote that keeps a spreadsheet from running it."""
    text = (text or "").strip()
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text
