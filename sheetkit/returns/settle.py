"""The rules across returns: the round, identical copies, forwarded workbooks, which of several
files speaks for a respondent, and who is still to chase.

Everything here works on plain objects (:class:`CheckedReturn` and :class:`Roster`), so the
rules are tested without files. A choice between versions is made only on the evidence the
files carry (build id, save time, who saved it, the answers); when that evidence does not
settle it, sheetkit says so with a ``return-conflict`` finding naming both files, and the
lead chooses with ``--prefer FILE``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from sheetkit.common.findings import WARNING, Finding
from sheetkit.common.own_files import SHEET_META, meta_cell
from .model import ACCEPTED, DUPLICATE, REJECTED, SUPERSEDED, CheckedReturn
from sheetkit.roster.manifest import Manifest
from dataclasses import asdict
from sheetkit.common.text import normalise_name

# names that say nothing about who filled a workbook in: the builder's own, and the defaults
# spreadsheet programs and shared machines use when no user name is set
NOT_AN_AUTHOR = frozenset({"", "sheetkit", "user", "windows user", "microsoft office user", "office user", "owner",
                           "admin", "administrator", "author", "unknown", "libreoffice", "openpyxl", "python"})
_COPY_NAME = re.compile(r"^copy of |\bcopy\b|\(\d+\)\s*(\.\w+)?$|^kopie van ", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """One respondent as the manifest records them: what they were sent and how to reach them."""

    name: str
    files: tuple[str, ...] = ()
    build_id: str = ""  # the workbook they should fill in now
    replaced: tuple[str, ...] = ()  # build ids of workbooks that one replaced
    contacts: tuple[str, ...] = ()  # contact names and email addresses


@dataclass
class Roster:
    """Who was asked, for which round: the manifest as the rules need it."""

    path: str
    round: str = ""
    asked: dict[str, Asked] = field(default_factory=dict)  # by normalised respondent name


@dataclass
class Outcome:
    """What the rules decided beyond each return's own status."""

    round: str
    chase: list[str]
    chase_why: dict[str, str]
    preferred: list[str]
    findings: list[Finding]


def settle(returns: list[CheckedReturn], roster: Roster | None, prefer: Iterable[str] = ()) -> Outcome:
    """Apply every rule across the returns, in order; statuses and findings are set on the returns."""
    preferred = set(prefer)
    round_name = settle_round(returns, roster.round if roster else "")
    settle_duplicates(returns, roster, preferred)
    settle_forwards(returns, roster, preferred)
    settle_versions(returns, roster, preferred)
    chase, why, findings = check_roster(returns, roster)
    used = [r.file for r in returns if r.file in preferred and r.status == ACCEPTED]
    return Outcome(round_name, chase, why, used, findings)


def settle_round(returns: list[CheckedReturn], expected: str = "") -> str:
    """The exercise's round (the manifest's, else the most common); returns for another are rejected."""
    candidates = [r for r in returns if r.status == ACCEPTED]
    if not expected:
        rounds = Counter(r.round for r in candidates)
        expected = rounds.most_common(1)[0][0] if rounds else ""
    for ret in candidates:
        if ret.round != expected:
            ret.findings.append(Finding(
                "round-mismatch", f"the workbook is from round '{ret.round}', but this exercise is round "
                f"'{expected}', so it is not counted; if it is the respondent's return for last round, ask them "
                f"for this round's, and to compare with last round, give last round's consolidated workbook as "
                f"--previous", file=ret.file, sheet=SHEET_META, cell=meta_cell("round")))
            ret.reject(f"round {ret.round}, expected {expected}")
    return expected


def settle_duplicates(returns: list[CheckedReturn], roster: Roster | None, preferred: set[str]) -> None:
    """Byte-identical files count once; the copy kept is the preferred one, else the name the
    manifest lists, else one not named like a copy ("Copy of ...", "... (2)")."""
    listed = {name for entry in roster.asked.values() for name in entry.files} if roster else set()
    by_hash: dict[str, list[CheckedReturn]] = {}
    for ret in returns:
        if ret.sha256:
            by_hash.setdefault(ret.sha256, []).append(ret)
    for copies in by_hash.values():
        if len(copies) < 2:
            continue
        kept = min(copies, key=lambda r: (r.file not in preferred, base_name(r.file) not in listed,
                                          bool(_COPY_NAME.search(base_name(r.file))), len(r.file), r.file))
        for ret in copies:
            if ret is kept:
                continue
            ret.status = DUPLICATE
            ret.reason = f"identical to {kept.file}"
            ret.findings.append(Finding("duplicate-file", f"this file is byte-for-byte identical to {kept.file}; "
                                        f"only that copy is used", file=ret.file))


def settle_forwards(returns: list[CheckedReturn], roster: Roster | None, preferred: set[str]) -> None:
    """A workbook last saved by someone who belongs to another respondent may have been forwarded
    and filled in for them: it is held back (unless preferred) when its own respondent's usual
    author is someone else, and noted when nothing tells the two apart."""
    accepted = [r for r in returns if r.status == ACCEPTED]
    by_key: dict[str, list[CheckedReturn]] = {}
    for ret in accepted:
        by_key.setdefault(ret.respondent_key, []).append(ret)
    belongs = _people_of(accepted, roster)
    usual_without: dict[tuple[str, str], str] = {}  # (respondent, person) -> usual author in their other saves

    def usual_besides(key: str, person: str) -> str:
        if (key, person) not in usual_without:
            rest = [r for r in by_key.get(key, ()) if person_key(author(r)) != person]
            usual_without[(key, person)] = usual_author(key, rest, roster)
        return usual_without[(key, person)]

    for ret in accepted:
        person = person_key(author(ret))
        if not person or ret.file in preferred:
            continue
        others = sorted(k for k in belongs.get(person, ()) if k != ret.respondent_key
                        and usual_besides(k, person) in ("", person))
        if not others:
            continue
        usual = usual_author(ret.respondent_key, [r for r in by_key[ret.respondent_key] if r is not ret], roster)
        if usual == person:
            continue
        other = _name(others[0], by_key, roster)
        whose = _describe_owner(others[0], person, by_key, roster)
        if usual:
            ret.findings.append(Finding("return-forwarded", f"this workbook was built for {ret.respondent} but "
                                        f"last saved by {author(ret)}, {whose}; it may have been forwarded and "
                                        f"filled in for {other}, so it is not compiled as {ret.respondent}'s. If "
                                        f"{ret.respondent} did send it, run again with --prefer \"{ret.file}\"",
                                        file=ret.file))
            ret.reject(f"possibly filled in for {other} (saved by {author(ret)})")
        else:
            ret.findings.append(Finding("return-forwarded", f"this workbook was built for {ret.respondent} and "
                                        f"last saved by {author(ret)}, {whose}; check that each respondent "
                                        f"filled in their own", file=ret.file, severity=WARNING))


def settle_versions(returns: list[CheckedReturn], roster: Roster | None, preferred: set[str]) -> None:
    """Of several returns from one respondent, one is used; the others are superseded, with a
    ``return-conflict`` error whenever the evidence does not make the choice clear-cut."""
    accepted = [r for r in returns if r.status == ACCEPTED]
    groups: dict[str, list[CheckedReturn]] = {}
    for ret in accepted:
        groups.setdefault(ret.respondent_key, []).append(ret)
    for key, group in groups.items():
        if len(group) < 2:
            continue
        entry = roster.asked.get(key) if roster else None
        usual = usual_author(key, group, roster)
        chosen = [r for r in group if r.file in preferred]
        ranked = sorted(group, key=lambda r: (r.file in preferred, _rank(r, entry, usual)), reverse=True)
        winner = ranked[0]
        for other in ranked[1:]:
            if chosen:
                _prefer(winner, other, both=other in chosen)
                continue
            doubt = _doubt(winner, other, entry, usual)
            if doubt:
                _conflict(winner, other, doubt)
            else:
                _supersede(winner, other, _why(winner, other, entry))


def check_roster(returns: list[CheckedReturn], roster: Roster | None) -> tuple[list[str], dict[str, str], list[Finding]]:
    """Warn about respondents nobody asked; list those asked with nothing usable, and why."""
    if roster is None:
        return [], {}, []
    for ret in returns:
        if ret.status == ACCEPTED and ret.respondent_key not in roster.asked:
            ret.findings.append(Finding("respondent-unknown", f"respondent '{ret.respondent}' is not in the manifest "
                                        f"{roster.path}", file=ret.file, sheet=SHEET_META,
                                        cell=meta_cell("respondent")))
    replied = {r.respondent_key for r in returns if r.status in (ACCEPTED, SUPERSEDED)}
    by_key: dict[str, list[CheckedReturn]] = {}
    by_name: dict[str, list[CheckedReturn]] = {}  # an unreadable file is known only by its name
    for ret in returns:
        if ret.status == REJECTED:
            by_key.setdefault(ret.respondent_key, []).append(ret)
            by_name.setdefault(base_name(ret.file), []).append(ret)
    chase, why, findings = [], {}, []
    for key, entry in roster.asked.items():
        if key in replied:
            continue
        chase.append(entry.name)
        found = by_key.get(key, []) + [r for name in entry.files for r in by_name.get(name, ())]
        rejected = list({id(r): r for r in found}.values())
        if rejected:
            reasons = "; ".join(f"{r.file} ({r.reason})" for r in rejected)
            why[entry.name] = f"received but rejected: {reasons}"
            message = (f"'{entry.name}' sent {len(rejected)} file(s) but none could be used ({reasons}); nothing of "
                       f"theirs was compiled")
        else:
            why[entry.name] = "nothing received"
            message = f"'{entry.name}' was sent a workbook but no return from them was found"
        findings.append(Finding("no-return", message, file=roster.path))
    return chase, why, findings


# -- evidence ------------------------------------------------------------------------------
def author(ret: CheckedReturn) -> str:
    """Who last saved the return, as the file records it ('' when it records no one useful)."""
    name = (ret.saved_by or "").strip()
    return "" if name.lower() in NOT_AN_AUTHOR else name


def person_key(name: str) -> str:
    """A person's name or email address, compared loosely: 'Ann Smith', 'smith, ann' and
    'ann.smith@council.gov.uk' are the same person."""
    text = name.strip().lower()
    if "@" in text:
        text = text.split("@", 1)[0]
    return " ".join(sorted(re.findall(r"[^\W_\d]+", text)))


def usual_author(key: str, own: list[CheckedReturn], roster: Roster | None) -> str:
    """The person key of whoever usually saves this respondent's returns (`own`, theirs): the
    manifest's contact when one of them saved a return, else the one author most returns share,
    else the manifest's contact; '' when nothing says."""
    people = Counter(person_key(author(r)) for r in own if author(r))
    entry = roster.asked.get(key) if roster else None
    contacts = [person_key(c) for c in entry.contacts if person_key(c)] if entry else []
    for person in people:
        if person in contacts:
            return person
    ranked = people.most_common(2)
    if len(ranked) == 1 or (len(ranked) == 2 and ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return contacts[0] if contacts else ""


def base_name(file: str) -> str:
    """The file's own name, without its folder or the container it came in."""
    return re.split(r"[/\\]| » ", file)[-1]


def when(ret: CheckedReturn) -> dt.datetime | None:
    return ret.saved_at or ret.file_time


def _people_of(returns: list[CheckedReturn], roster: Roster | None) -> dict[str, set[str]]:
    """Person key -> the respondents whose returns they saved or whose contact they are."""
    belongs: dict[str, set[str]] = {}
    for ret in returns:
        if author(ret):
            belongs.setdefault(person_key(author(ret)), set()).add(ret.respondent_key)
    for key, entry in (roster.asked.items() if roster else ()):
        for contact in entry.contacts:
            if person_key(contact):
                belongs.setdefault(person_key(contact), set()).add(key)
    return belongs


def _describe_owner(key: str, person: str, by_key: dict[str, list[CheckedReturn]], roster: Roster | None) -> str:
    theirs = [r.file for r in by_key.get(key, ()) if person_key(author(r)) == person]
    if theirs:
        return f"who also saved {_name(key, by_key, roster)}'s return {theirs[0]}"
    return f"the manifest's contact for {_name(key, by_key, roster)}"


def _name(key: str, by_key: dict[str, list[CheckedReturn]], roster: Roster | None) -> str:
    if roster and key in roster.asked:
        return roster.asked[key].name
    return by_key[key][0].respondent if by_key.get(key) else key


def _generation(ret: CheckedReturn, entry: Asked | None) -> tuple[int, str]:
    """How recent the workbook's build is: the manifest's current build first, then by build time."""
    if entry and entry.build_id:
        if ret.build_id == entry.build_id:
            return 2, ret.built_at
        if ret.build_id in entry.replaced:
            return 0, ret.built_at
    return 1, ret.built_at


def _rank(ret: CheckedReturn, entry: Asked | None, usual: str):
    stamp = when(ret) or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    by_usual = bool(usual) and person_key(author(ret)) == usual
    return _generation(ret, entry), by_usual, stamp, -len(ret.file), ret.file


def _doubt(winner: CheckedReturn, other: CheckedReturn, entry: Asked | None, usual: str) -> str:
    """Why the choice between two returns is not clear-cut ('' when it is)."""
    if winner.content and winner.content == other.content:
        return ""
    newer_build = _generation(winner, entry) > _generation(other, entry)
    later = _later(other, winner)
    if newer_build and later:
        return (f"{winner.file} is from the re-issued workbook (build {winner.build_id}), but {other.file}, from "
                f"the earlier build {other.build_id}, was saved after it")
    a, b = person_key(author(winner)), person_key(author(other))
    if a and b and a != b:
        return f"they were last saved by different people ({author(winner)} and {author(other)})"
    if not newer_build and not later and not _later(winner, other):
        if when(winner) and when(other):
            return f"both record the same save time ({stamps(when(winner), None)[0]})"
        return "they do not both record when they were saved"
    if usual and a and a != usual:
        return (f"{winner.file}, the later one, was saved by {author(winner)}, who does not usually save "
                f"{winner.respondent}'s returns")
    return ""


def _later(a: CheckedReturn, b: CheckedReturn) -> bool:
    """True when `a` was saved strictly after `b` (both times known)."""
    ta, tb = when(a), when(b)
    return bool(ta and tb and ta > tb)


def _why(winner: CheckedReturn, other: CheckedReturn, entry: Asked | None) -> str:
    if winner.content and winner.content == other.content:
        return "holds the same answers"
    if _generation(winner, entry) > _generation(other, entry):
        return (f"is from the re-issued workbook (build {winner.build_id}, which replaces build "
                f"{other.build_id or 'unknown'})")
    newer, older = stamps(when(winner), when(other))
    return f"was saved later ({newer}) than this one ({older})"


def stamps(a: dt.datetime | None, b: dt.datetime | None) -> tuple[str, str]:
    """Two times written so that different times never look the same (seconds when needed)."""
    pattern = "%Y-%m-%d %H:%M"
    if a and b and a != b and a.strftime(pattern) == b.strftime(pattern):
        pattern = "%Y-%m-%d %H:%M:%S"
    return tuple(t.strftime(pattern) if t else "unknown" for t in (a, b))  # type: ignore[return-value]


def _describe(ret: CheckedReturn, shown: str) -> str:
    return (f"{ret.file} (last saved by {author(ret) or 'no name recorded'}, at {shown}, "
            f"build {ret.build_id or 'unknown'})")


def _supersede(winner: CheckedReturn, other: CheckedReturn, why: str) -> None:
    other.status = SUPERSEDED
    other.reason = f"replaced by {winner.file}"
    other.findings.append(Finding("superseded", f"{other.respondent} sent more than one return; {winner.file} "
                                  f"{why}, so it is used instead", file=other.file))


def _conflict(winner: CheckedReturn, other: CheckedReturn, doubt: str) -> None:
    shown_w, shown_o = stamps(when(winner), when(other))
    other.status = SUPERSEDED
    other.reason = f"conflicts with {winner.file}; choose with --prefer"
    other.findings.append(Finding("return-conflict", f"{other.respondent} sent more than one return and the choice "
                                  f"is not clear-cut: {doubt}. {_describe(winner, shown_w)}; "
                                  f"{_describe(other, shown_o)}. sheetkit used {winner.file} for now; to use this "
                                  f"one instead, run again with --prefer \"{other.file}\"", file=other.file))


def _prefer(winner: CheckedReturn, other: CheckedReturn, both: bool) -> None:
    if both:
        other.status = SUPERSEDED
        other.reason = f"--prefer also names {winner.file}"
        other.findings.append(Finding("return-conflict", f"--prefer names both {winner.file} and {other.file} for "
                                      f"{other.respondent}; only {winner.file} was used. Name one file per "
                                      f"respondent", file=other.file))
        return
    _supersede(winner, other, "was chosen with --prefer")



def roster(manifest: Manifest) -> Roster:
    """Who was asked, as the rules across returns need it, from the build manifest."""
    return Roster(manifest.path, manifest.round, _asked([asdict(e) for e in manifest.entries]))


def _asked(rows: list[dict]) -> dict[str, Asked]:
    """Each respondent's files, current and replaced build ids and contacts, from the manifest rows.

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
        contacts = [(row.get(c) or "").lstrip("'").strip() for c in ("contact", "email")]
        asked[key] = Asked(before.name, _merged(before.files, [row.get("file") or ""]),
                           current or before.build_id, _merged(before.replaced, older),
                           _merged(before.contacts, contacts))
    return asked


def _merged(old: tuple[str, ...], new: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*old, *(v for v in new if v)]))
