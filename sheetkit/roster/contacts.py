"""Who to write to: each respondent in the build manifest, with an address that is usable or blank."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from .manifest import Entry, read_manifest
from sheetkit.common.text import normalise_name


@dataclass(frozen=True)
class Contact:
    """One respondent's manifest row, read for writing to them."""

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
    """Every respondent of a manifest written by `sheetkit build`."""
    return [_contact(entry) for entry in read_manifest(path).entries]


def _contact(entry: Entry) -> Contact:
    address = parseaddr(entry.email)[1]
    good = "@" in address and "." in address.rpartition("@")[2]
    try:
        deadline = dt.date.fromisoformat(entry.deadline)
    except ValueError:
        deadline = None
    return Contact(entry.respondent, entry.organisation, address if good else "", entry.contact, entry.file,
                   entry.sha256, entry.framework_id, entry.round, deadline, "" if good else entry.email)
