"""The lead's records of an exercise, kept in the folder its workbooks are built into.

``manifest.csv`` has one row per respondent sent a workbook: who (name, organisation, email,
contact, group: what ``chase`` and the comparison of groups need), which file with its SHA-256, the framework, round and
deadline, and the build id written inside the workbook. ``build`` writes it, ``ingest``,
``validate`` and ``chase`` read it, all through this module. The records only grow: a later
build into the same folder adds its respondents, and re-issuing a workbook keeps the build
ids it replaces in ``previous_build_ids``.

``protection-password.txt`` holds the one sheet-protection password of the exercise, so
that workbooks built later into the folder are locked with the same password.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path

from .respondents import Respondent
from sheetkit.common.text import normalise_name
from sheetkit.common.tables import read_table, unprotect, write_csv
from sheetkit.common.own_files import PASSWORD_FILE, PASSWORD_HEADER



@dataclass(frozen=True)
class Entry:
    """One respondent's row: the columns of manifest.csv, in order."""

    respondent: str
    organisation: str
    email: str
    contact: str
    group: str
    file: str
    sha256: str
    framework_id: str
    framework_version: str
    fingerprint: str
    round: str
    deadline: str
    built_at: str
    build_id: str
    previous_build_ids: str = ""  # build ids this workbook replaces, oldest first, separated by spaces

    @property
    def key(self) -> str:
        return normalise_name(self.respondent)


COLUMNS = tuple(f.name for f in fields(Entry))


@dataclass
class Manifest:
    """A manifest as read: where it is, its rows, and anything odd about how it was saved."""

    path: str
    entries: list[Entry]
    warnings: list[str]

    @property
    def framework_id(self) -> str:
        return next((e.framework_id for e in self.entries if e.framework_id), "")

    @property
    def round(self) -> str:
        return next((e.round for e in self.entries if e.round), "")

    @property
    def deadline(self) -> str:
        """The exercise's deadline: the one its first workbooks were built with (YYYY-MM-DD, or '')."""
        return next((e.deadline for e in self.entries if e.deadline), "")

    @property
    def respondents(self) -> list[str]:
        return [e.respondent for e in self.entries]

    @property
    def people(self) -> list[Respondent]:
        """Who was asked, with their contact details and group."""
        return [Respondent(e.respondent, e.organisation, e.email, e.contact, e.group) for e in self.entries]

    def entry(self, name: str) -> Entry | None:
        """The row of the respondent called `name` (compared ignoring case and spaces)."""
        key = normalise_name(name)
        return next((e for e in self.entries if e.key == key), None)


def read_manifest(path: str | Path) -> Manifest:
    """A manifest.csv written by build, also after Excel or LibreOffice re-saved it."""
    table = read_table(path, "respondent", "a sheetkit manifest (the manifest.csv written by build)")
    entries = [Entry(**{c: unprotect(row.get(c, "")) for c in COLUMNS})
               for _, row in table.rows if row.get("respondent")]
    return Manifest(str(path), entries, table.warnings)


def write_manifest(path: Path, entries: list[Entry]) -> None:
    """Write the manifest for people: UTF-8 with a byte-order mark, so Excel shows 'Ynys Môn' right."""
    write_csv(path, COLUMNS, [astuple(e) for e in entries])


def merge(kept: list[Entry], built: list[Entry]) -> list[Entry]:
    """The records grown by a build: new respondents added, re-issued ones keeping the ids they replace."""
    merged = list(kept)
    position = {e.key: n for n, e in enumerate(merged)}
    for entry in built:
        if entry.key not in position:
            position[entry.key] = len(merged)
            merged.append(entry)
            continue
        old = merged[position[entry.key]]
        history = " ".join(i for i in (old.previous_build_ids, old.build_id) if i)
        merged[position[entry.key]] = replace(entry, previous_build_ids=history)
    return merged


def read_password(folder: Path) -> str | None:
    """The exercise's password kept in `folder`, or None when none is kept there."""
    try:
        lines = (folder / PASSWORD_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    return lines[1].strip() if len(lines) > 1 and lines[1].strip() else None


def write_password(path: Path, framework_id: str, built_at: str, password: str) -> Path:
    """Keep the exercise's password in `path` (the folder's PASSWORD_FILE): its second line is the password."""
    path.write_text(f"{PASSWORD_HEADER}{framework_id} workbooks built {built_at}:\n{password}\n"
                    "Keep it to unprotect a returned workbook if you ever need to; respondents do not need it.\n"
                    "Workbooks built later into this folder use the same password.\n", encoding="utf-8")
    return path
