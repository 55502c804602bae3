"""The lead's records of an exercise: where they are kept, and what they say.

The records live in the exercise folder, the parent of the folder the workbooks are built into
(``build --out exercise/workbooks`` keeps them in ``exercise/``), so that the folder of
workbooks holds only what is sent to partners; ``--records DIR`` keeps them elsewhere. An
exercise built by an earlier sheetkit kept them beside the workbooks: they are read, and kept,
where they are. ``validate``, ``ingest`` and ``chase`` look for the manifest beside the returns
folder (``exercise/returns`` -> ``exercise/manifest.csv``), then inside it.

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

import os
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path

from .respondents import Respondent
from sheetkit.common.text import normalise_name
from sheetkit.common.tables import read_table, unprotect, write_csv
from sheetkit.common.errors import UsageError
from sheetkit.common.own_files import FEEDBACK_MANIFEST, MANIFEST, PASSWORD_FILE, PASSWORD_HEADER



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


def read_password(path: Path) -> str | None:
    """The exercise's password kept in the file `path`, or None when there is none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    return lines[1].strip() if len(lines) > 1 and lines[1].strip() else None


def write_password(path: Path, framework_id: str, built_at: str, password: str) -> Path:
    """Keep the exercise's password in the file `path`: its second line is the password itself."""
    path.write_text(f"{PASSWORD_HEADER}{framework_id} workbooks built {built_at}:\n{password}\n"
                    "Keep it to unprotect a returned workbook if you ever need to; respondents do not need it.\n"
                    "Workbooks built later into this exercise use the same password. Never send this file.\n",
                    encoding="utf-8")
    return path


@dataclass(frozen=True)
class Records:
    """Where an exercise's manifest and password file are (or will be written), and how that was decided."""

    manifest: Path
    password: Path
    note: str = ""  # said when an earlier sheetkit's records were found beside the workbooks


def exercise_folder(out_dir: Path) -> Path:
    """The exercise folder of a folder of workbooks: its parent (also for '--out .')."""
    return out_dir.parent if out_dir.name not in ("", ".", "..") else Path(os.path.abspath(out_dir)).parent


def find_records(out_dir: Path, chosen: Path | None = None) -> Records:
    """Where the records of the exercise built into `out_dir` are: in `chosen` (--records); else
    each file where it already is, in the exercise folder or (built by an earlier sheetkit)
    beside the workbooks, kept there; new records go to the exercise folder. Two copies that
    disagree are never guessed between."""
    if chosen is not None:
        return Records(chosen / MANIFEST, chosen / PASSWORD_FILE)
    new, old = exercise_folder(out_dir), out_dir
    found = {name: _one_of(new / name, old / name) for name in (MANIFEST, PASSWORD_FILE)}
    beside = [name for name, path in found.items() if path.parent == old and path.exists()]
    note = (f"{' and '.join(beside)} kept beside the workbooks in {old}, where an earlier sheetkit wrote "
            f"{'them' if len(beside) > 1 else 'it'}; move {'them' if len(beside) > 1 else 'it'} to {new} to keep "
            f"{old} for what is sent to partners" if beside else "")
    return Records(found[MANIFEST], found[PASSWORD_FILE], note)


def _one_of(new: Path, old: Path) -> Path:
    if new.exists() and old.exists() and not _same_content(new, old):
        raise UsageError(f"both {new} and {old} exist and differ, so sheetkit cannot tell which belongs to this "
                         f"exercise; keep one (the exercise folder's, {new}) or name the folder with --records DIR")
    return old if old.exists() and not new.exists() else new


def _same_content(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def find_manifest(paths: list[str]) -> tuple[str | None, str]:
    """The manifest of the returns in `paths` when none was given: beside each returns folder (in the
    exercise folder), else inside it; (None, '') when there is none. Two that disagree are refused:
    the lead names one with --manifest."""
    candidates: list[tuple[Path, str]] = []
    for given in paths:
        folder = Path(given) if Path(given).is_dir() else Path(given).parent
        for place, where in ((exercise_folder(folder), "beside"), (folder, "inside")):
            path = place / MANIFEST
            if path.is_file() and path.resolve() not in {c.resolve() for c, _ in candidates}:
                candidates.append((path, f"found {where} the returns folder {given}"))
    if not candidates:
        return None, ""
    distinct = [candidates[0][0]]
    for path, _ in candidates[1:]:
        if not any(_same_entries(path, kept) for kept in distinct):
            distinct.append(path)
    if len(distinct) > 1:
        raise UsageError(f"found {len(distinct)} manifests that disagree ({', '.join(map(str, distinct))}), so "
                         f"sheetkit will not guess which lists this exercise's respondents; name it with --manifest")
    return str(candidates[0][0]), candidates[0][1]


def feedback_manifest_for(feedback: Path) -> Path:
    """Where the feedback written into the folder `feedback` keeps its manifest: the exercise folder
    (beside the exercise's own manifest), so the folder of feedback holds only what is sent."""
    return exercise_folder(feedback) / FEEDBACK_MANIFEST


def find_feedback_manifest(replies: Path, feedback: Path | None = None) -> tuple[Path | None, str]:
    """The feedback's manifest for the replies in `replies` when none was given: beside the replies
    folder (in the exercise folder), else inside it, else where the feedback written into `feedback`
    keeps it; (None, '') when there is none. Two that disagree are refused: the lead names one with
    --replies-manifest."""
    folder = replies if replies.is_dir() else replies.parent
    places = [(exercise_folder(folder) / FEEDBACK_MANIFEST, f"found beside the replies folder {replies}"),
              (folder / FEEDBACK_MANIFEST, f"found inside the replies folder {replies}")]
    if feedback is not None:
        places.append((feedback_manifest_for(feedback), f"found beside the feedback folder {feedback}"))
    candidates: list[tuple[Path, str]] = []
    for path, how in places:
        if path.is_file() and path.resolve() not in {c.resolve() for c, _ in candidates}:
            candidates.append((path, how))
    if not candidates:
        return None, ""
    if any(not _same_entries(path, candidates[0][0]) for path, _ in candidates[1:]):
        raise UsageError(f"found {len(candidates)} feedback manifests that disagree "
                         f"({', '.join(str(p) for p, _ in candidates)}), so sheetkit will not guess which lists who "
                         f"was asked to reply; name it with --replies-manifest")
    return candidates[0]


def _same_entries(a: Path, b: Path) -> bool:
    return _same_content(a, b) or read_manifest(a).entries == read_manifest(b).entries
