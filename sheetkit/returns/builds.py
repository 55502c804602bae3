"""A return matched to the build it came from.

Every workbook carries the build id it was made with (on its hidden metadata sheet), and the
manifest records each respondent's build ids with the SHA-256 of the file sent. Together they
are a return's identity: a return is the respondent's whose build id it carries. A build id the
manifest has never seen is a workbook made for another exercise (another council's, say), and
a file whose bytes are those of the workbook sent came back unopened.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sheetkit.common.findings import WARNING, Finding
from sheetkit.common.own_files import SHEET_META, meta_cell
from sheetkit.common.text import normalise_name
from sheetkit.roster.manifest import Manifest
from .model import ACCEPTED, CheckedReturn


@dataclass(frozen=True)
class Asked:
    """One respondent as the manifest records them: what they were sent and how to reach them."""

    name: str
    files: tuple[str, ...] = ()
    build_id: str = ""  # the workbook they should fill in now
    replaced: tuple[str, ...] = ()  # build ids of workbooks that one replaced
    contacts: tuple[str, ...] = ()  # contact names and email addresses
    sha256s: tuple[str, ...] = ()  # the SHA-256 of each workbook file sent to them

    @property
    def builds(self) -> tuple[str, ...]:
        return tuple(b for b in (self.build_id, *self.replaced) if b)


@dataclass
class Roster:
    """Who was asked, for which round: the manifest as the rules need it."""

    path: str
    round: str = ""
    asked: dict[str, Asked] = field(default_factory=dict)  # by normalised respondent name

    def by_build(self) -> dict[str, Asked]:
        """Each build id the manifest records, with the respondent it was built for."""
        return {build: entry for entry in self.asked.values() for build in entry.builds}


def settle_builds(returns: list[CheckedReturn], roster: Roster | None, preferred: set[str]) -> list[Finding]:
    """Match each accepted return to its build: an unknown build is held back (unless preferred),
    a file returned as sent is rejected, and the respondent is the one the build was made for."""
    accepted = [r for r in returns if r.status == ACCEPTED]
    if roster is None:
        return [Finding("build-unknown", f"no manifest was given or found, so the build ids of the {len(accepted)} "
                        f"return(s) could not be checked against the workbooks this exercise sent; give the "
                        f"manifest.csv written by build with --manifest", severity=WARNING)] if accepted else []
    builds = roster.by_build()
    if not builds:
        return [Finding("build-unknown", f"the manifest {roster.path} records no build ids, so no return could be "
                        f"matched to the workbook it was built as; use the manifest.csv written by build",
                        file=roster.path, severity=WARNING)] if accepted else []
    for ret in accepted:
        entry = builds.get(ret.build_id)
        if entry is None:
            _unknown_build(ret, roster, ret.file in preferred)
        elif ret.sha256 and ret.sha256 in entry.sha256s:
            returned_unchanged(ret, f"this file is byte for byte the workbook sent to {entry.name} (build "
                               f"{ret.build_id}; its SHA-256 is the one the manifest {roster.path} records)")
        else:
            _named_by_build(ret, entry)
    return []


def returned_unchanged(ret: CheckedReturn, evidence: str) -> None:
    """Reject a return that is the workbook as it was sent. Its warnings (every rating blank, no
    sign-off) say nothing this one finding does not, so they go, and the correction request
    sent to the respondent asks for the one thing that matters."""
    ret.findings = [f for f in ret.findings if f.is_error]
    ret.findings.append(Finding("return-unchanged", f"{evidence}: it came back as it was sent, with nothing filled "
                                f"in, so nothing in it is compiled and {ret.respondent} is still to chase",
                                file=ret.file))
    ret.reject("returned unchanged")


def _unknown_build(ret: CheckedReturn, roster: Roster, preferred: bool) -> None:
    entry = roster.asked.get(ret.respondent_key)
    recorded = (f"the manifest records {entry.name}'s workbook as build {entry.build_id or 'unknown'}"
                if entry else f"the manifest records no workbook for {ret.respondent}")
    origin = _exercise(ret)
    where = {"file": ret.file, "sheet": SHEET_META, "cell": meta_cell("build_id")}
    carries = f"build id {ret.build_id}" if ret.build_id else "no build id"
    if preferred:
        ret.findings.append(Finding("build-unknown", f"the workbook carries {carries}, which the manifest "
                                    f"{roster.path} does not record ({recorded}); it was built for {origin}. It is "
                                    f"compiled as {ret.respondent}'s because --prefer names it", severity=WARNING,
                                    **where))
        return
    ret.findings.append(Finding("build-unknown", f"the workbook carries {carries}, which the manifest {roster.path} "
                                f"does not record ({recorded}): it was not built for this exercise but for "
                                f"{origin}. Its answers are not compiled; if it really is {ret.respondent}'s return "
                                f"for this exercise, run again with --prefer \"{ret.file}\"", **where))
    ret.reject(f"built for another exercise (build {ret.build_id or 'none'}, not in the manifest)")


def _exercise(ret: CheckedReturn) -> str:
    """The exercise a workbook says it belongs to, in the words of its own metadata."""
    parts = [f"{ret.respondent or 'an unnamed respondent'} in {ret.framework_id} round '{ret.round}'"]
    if ret.built_at:
        parts.append(f"built {ret.built_at}")
    if ret.return_to:
        parts.append(f"to be returned to {ret.return_to}")
    if ret.deadline:
        parts.append(f"by {ret.deadline}")
    return ", ".join(parts)


def _named_by_build(ret: CheckedReturn, entry: Asked) -> None:
    """The respondent is the one the build was made for, whatever the workbook's own name cell says."""
    if normalise_name(ret.respondent) == normalise_name(entry.name):
        ret.respondent = entry.name
        return
    ret.findings.append(Finding("respondent-renamed", f"the workbook names its respondent '{ret.respondent}', but "
                                f"its build id {ret.build_id} is the one the manifest records for '{entry.name}'; it "
                                f"is counted as {entry.name}'s", file=ret.file, sheet=SHEET_META,
                                cell=meta_cell("respondent")))
    ret.respondent = entry.name


def roster(manifest: Manifest) -> Roster:
    """Who was asked, as the rules across returns need it, from the build manifest."""
    return Roster(manifest.path, manifest.round, _asked([asdict(e) for e in manifest.entries]))


def _asked(rows: list[dict]) -> dict[str, Asked]:
    """Each respondent's files, current and replaced build ids, contacts and file hashes, from the
    manifest rows.

    A respondent listed twice (re-issued) counts once; the row built last holds the current
    build, and any column naming earlier build ids (such as previous_build_id) is read too."""
    asked: dict[str, Asked] = {}
    for row in sorted(rows, key=lambda r: r.get("built_at") or ""):
        name = (row.get("respondent") or "").lstrip("'").strip()
        if not name:
            continue
        key = normalise_name(name)
        before = asked.get(key, Asked(name))
        current = (row.get("build_id") or "").strip()
        older = [i for column, value in row.items() if column and column != "build_id" and "build_id" in column
                 for i in re.split(r"[\s,;]+", value or "") if i]
        if before.build_id and before.build_id != current:
            older.append(before.build_id)
        contacts = [(row.get("contact") or "").lstrip("'").strip(),
                    *re.split(r"[\s,;]+", (row.get("email") or "").lstrip("'"))]
        asked[key] = Asked(before.name, _merged(before.files, [row.get("file") or ""]),
                           current or before.build_id, _merged(before.replaced, older),
                           _merged(before.contacts, contacts),
                           _merged(before.sha256s, [(row.get("sha256") or "").strip().lower()]))
    return asked


def _merged(old: tuple[str, ...], new: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*old, *(v for v in new if v)]))
