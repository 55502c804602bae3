"""Who to write to: each respondent in the build manifest, with the addresses that are usable
(one or several) and whatever else the email column held."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .addresses import one_line, parse_addresses
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
    bad_email: str = ""  # the email column, when it holds anything that is not an address
    addresses: tuple[tuple[str, str], ...] = ()  # (name typed with it, address), as parse_addresses gives them

    @property
    def key(self) -> str:
        return normalise_name(self.name)

    @property
    def addressee(self) -> str:
        return self.contact or self.name

    @property
    def recipients(self) -> tuple[tuple[str, str], ...]:
        """(name, address) for a draft's To: line: the name typed with an address, else the
        addressee when there is one address (several addresses are not all the contact's)."""
        return tuple((name or (self.addressee if len(self.addresses) == 1 else ""), address)
                     for name, address in self.addresses)


def read_contacts(path: Path) -> list[Contact]:
    """Every respondent of a manifest written by `sheetkit build`."""
    return [_contact(entry) for entry in read_manifest(path).entries]


def _contact(entry: Entry) -> Contact:
    parsed = parse_addresses(entry.email)
    try:
        deadline = dt.date.fromisoformat(entry.deadline)
    except ValueError:
        deadline = None
    return Contact(one_line(entry.respondent), one_line(entry.organisation),
                   "; ".join(address for _, address in parsed.found), one_line(entry.contact), entry.file,
                   entry.sha256, entry.framework_id, entry.round, deadline,
                   one_line(entry.email) if parsed.bad else "", parsed.found)
