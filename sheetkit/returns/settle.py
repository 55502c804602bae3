"""The rules across returns: the round, the build each return came from, identical copies,
forwarded and swapped workbooks, which of several files speaks for a respondent, and who is
still to chase.

A return is the respondent's whose build id it carries (:mod:`sheetkit.returns.builds`); who
saved it is evidence of a forward, never of identity (:mod:`sheetkit.returns.people`).
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
from sheetkit.common.text import normalise_name
from .builds import Asked, Roster, settle_builds
from .model import ACCEPTED, DUPLICATE, REJECTED, SUPERSEDED, CheckedReturn
from .people import author, is_contact, person_key

_COPY_NAME = re.compile(r"^copy of |\bcopy\b|\(\d+\)\s*(\.\w+)?$|^kopie van ", re.IGNORECASE)


@dataclass
class Outcome:
    """What the rules decided beyond each return's own status."""

    round: str
    chase: list[str]
    chase_why: dict[str, str]
    preferred: list[str]
    findings: list[Finding]
    unusable: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # respondent -> (file, why) received


class Evidence:
    """Who is linked to which respondent: the manifest's contacts, and who saved which return."""

    def __init__(self, returns: list[CheckedReturn], roster: Roster | None):
        self.roster = roster
        self.saves: dict[str, dict[str, list[CheckedReturn]]] = {}  # person -> respondent key -> their saves
        self.savers: dict[str, set[str]] = {}  # respondent key -> everyone who saved one of their returns
        for ret in returns:
            if ret.status == ACCEPTED and author(ret):
                self.saves.setdefault(person_key(author(ret)), {}).setdefault(ret.respondent_key, []).append(ret)
                self.savers.setdefault(ret.respondent_key, set()).add(person_key(author(ret)))

    def contacts(self, key: str) -> tuple[str, ...]:
        entry = self.roster.asked.get(key) if self.roster else None
        return entry.contacts if entry else ()

    def contact_of(self, saver: str, besides: str) -> list[str]:
        """The respondents other than `besides` whose contact `saver` is, by the manifest."""
        if not self.roster:
            return []
        return sorted(k for k, e in self.roster.asked.items() if k != besides and is_contact(saver, e.contacts))

    def saved_for(self, saver: str, besides: str) -> list[str]:
        """The respondents other than `besides` whose returns were all saved by `saver` (so that a
        forwarded file, saved by someone else, never makes its saver look like its respondent's)."""
        person = person_key(saver)
        return sorted(k for k in self.saves.get(person, {}) if k != besides and self.savers[k] == {person})

    def linked_elsewhere(self, saver: str, key: str) -> bool:
        """Whether `saver` belongs to a respondent other than `key`: their contact, or the saver of their return."""
        return bool(saver) and not is_contact(saver, self.contacts(key)) and bool(
            self.contact_of(saver, key) or self.saved_for(saver, key))

    def name(self, key: str, returns: list[CheckedReturn]) -> str:
        if self.roster and key in self.roster.asked:
            return self.roster.asked[key].name
        return next((r.respondent for r in returns if r.respondent_key == key), key)


def settle(returns: list[CheckedReturn], roster: Roster | None, prefer: Iterable[str] = (),
           skipped: dict[str, str] | None = None) -> Outcome:
    """Apply every rule across the returns, in order; statuses and findings are set on the returns.

    `skipped` names the files that were not read as returns, with what each is ("a PDF
    document"), so the chase list can say what arrived from whom."""
    preferred = set(prefer)
    round_name = settle_round(returns, roster.round if roster else "")
    findings = settle_builds(returns, roster, preferred)
    settle_duplicates(returns, roster, preferred)
    settle_forwards(returns, roster, preferred)
    settle_versions(returns, roster, preferred)
    chase, why, roster_findings, unusable = check_roster(returns, roster, skipped or {})
    used = [r.file for r in returns if r.file in preferred and r.status == ACCEPTED]
    return Outcome(round_name, chase, why, used, findings + roster_findings, unusable)


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
    """A workbook is its build's respondent's; one last saved by somebody who belongs to another
    respondent may have been forwarded and filled in for them (or two partners swapped workbooks).

    The rule, for each return on its own (so no pairing of swaps cancels out): the person who
    saved it is one of its respondent's contacts in the manifest, or nobody else's (a colleague),
    or else the evidence is stated. Being another respondent's contact in the manifest holds the
    return back (an error, unless preferred); so does being the one person who saved another
    respondent's returns, when this respondent's own are saved by someone else (its contact, or
    the saver of its other returns). Anything weaker is a warning (the lead pressing Save on
    several returns looks the same).
    """
    accepted = [r for r in returns if r.status == ACCEPTED]
    evidence = Evidence(accepted, roster)
    for ret in accepted:
        saver = author(ret)
        own = evidence.contacts(ret.respondent_key)
        if not saver or is_contact(saver, own):
            continue
        theirs = evidence.contact_of(saver, ret.respondent_key)
        if theirs:
            other = evidence.name(theirs[0], accepted)
            also = evidence.saves.get(person_key(saver), {}).get(theirs[0], [])
            _forwarded(ret, saver, theirs[0], f"who is the manifest's contact for {other}"
                       + (f" and saved {other}'s return {also[0].file}" if also else "") + _not_theirs(ret, own),
                       ret.file in preferred, other)
            continue
        saved = evidence.saved_for(saver, ret.respondent_key)
        if not saved:
            continue  # nobody else's: a colleague of the respondent, or a name nothing else mentions
        other = evidence.name(saved[0], accepted)
        shown = evidence.saves[person_key(saver)][saved[0]][0].file
        said = f"who also saved {other}'s return {shown}" + _not_theirs(ret, own)
        mine = [r for r in accepted if r.respondent_key == ret.respondent_key and r is not ret
                and author(r) and person_key(author(r)) != person_key(saver)]
        usual = usual_author(ret.respondent_key, mine, roster)
        if usual and usual != person_key(saver):
            besides = f", while {ret.respondent}'s return {mine[0].file} was saved by {author(mine[0])}" if mine else ""
            _forwarded(ret, saver, saved[0], said + besides, ret.file in preferred, other)
        else:
            ret.findings.append(Finding("return-forwarded", f"this workbook is {ret.respondent}'s (build "
                                        f"{ret.build_id or 'unknown'}) and was last saved by {saver}, {said}; check "
                                        f"that each respondent filled in their own (the lead or a coordinator "
                                        f"saving several returns looks the same)", file=ret.file, severity=WARNING))


def _not_theirs(ret: CheckedReturn, own: tuple[str, ...]) -> str:
    return f" and not {ret.respondent}'s ({', '.join(own)})" if own else ""


def _forwarded(ret: CheckedReturn, saver: str, other_key: str, evidence: str, preferred: bool, other: str) -> None:
    said = (f"this workbook is {ret.respondent}'s (build {ret.build_id or 'unknown'}, the build made for "
            f"{ret.respondent}), but it was last saved by {saver}, {evidence}")
    if preferred:
        ret.findings.append(Finding("return-forwarded", f"{said}; it is compiled as {ret.respondent}'s because "
                                    f"--prefer names it", file=ret.file, severity=WARNING))
        return
    ret.findings.append(Finding("return-forwarded", f"{said}. It may have been forwarded and filled in by {other} "
                                f"(or two partners swapped workbooks), so its answers are not compiled as "
                                f"{ret.respondent}'s. Ask {ret.respondent} who filled it in; if it is their own, "
                                f"run again with --prefer \"{ret.file}\"", file=ret.file))
    ret.reject(f"possibly filled in by {other} (saved by {saver})")


def settle_versions(returns: list[CheckedReturn], roster: Roster | None, preferred: set[str]) -> None:
    """Of several returns from one respondent, one is used; the others are superseded, with a
    ``return-conflict`` error whenever the evidence does not make the choice clear-cut."""
    accepted = [r for r in returns if r.status == ACCEPTED]
    evidence = Evidence(accepted, roster)
    groups: dict[str, list[CheckedReturn]] = {}
    for ret in accepted:
        groups.setdefault(ret.respondent_key, []).append(ret)
    for key, group in groups.items():
        if len(group) < 2:
            continue
        judge = _Judge(evidence, key, roster.asked.get(key) if roster else None, usual_author(key, group, roster))
        chosen = [r for r in group if r.file in preferred]
        ranked = sorted(group, key=lambda r: (r.file in preferred, judge.rank(r)), reverse=True)
        winner = ranked[0]
        for other in ranked[1:]:
            if chosen:
                _prefer(winner, other, both=other in chosen)
                continue
            doubt = judge.doubt(winner, other)
            if doubt:
                _conflict(winner, other, doubt)
            else:
                _supersede(winner, other, judge.why(winner, other))


def check_roster(returns: list[CheckedReturn], roster: Roster | None, skipped: dict[str, str] | None = None
                 ) -> tuple[list[str], dict[str, str], list[Finding], dict[str, list[tuple[str, str]]]]:
    """Warn about respondents nobody asked; list those asked with nothing usable, and why: what
    arrived from them (matched by the workbook's build, else by the file's name) and why it could
    not be used."""
    if roster is None:
        return [], {}, [], {}
    for ret in returns:
        if ret.status == ACCEPTED and ret.respondent_key not in roster.asked:
            ret.findings.append(Finding("respondent-unknown", f"respondent '{ret.respondent}' is not in the manifest "
                                        f"{roster.path}", file=ret.file, sheet=SHEET_META,
                                        cell=meta_cell("respondent")))
    replied = {r.respondent_key for r in returns if r.status in (ACCEPTED, SUPERSEDED)}
    unusable: dict[str, list[tuple[str, str]]] = {}
    for ret in returns:
        if ret.status == REJECTED:
            key = ret.respondent_key if ret.respondent else whose_file(ret.file, roster)
            unusable.setdefault(key, []).append((ret.file, ret.reason))
    for file, what in (skipped or {}).items():
        unusable.setdefault(whose_file(file, roster), []).append((file, f"it is {what}, not the workbook"))
    chase, why, findings, received_by = [], {}, [], {}
    for key, entry in roster.asked.items():
        if key in replied:
            continue
        chase.append(entry.name)
        received = unusable.get(key, [])
        if received:
            received_by[entry.name] = received
        if received:
            reasons = "; ".join(f"{file} ({reason})" for file, reason in received)
            unchanged = all(r == "returned unchanged" for _, r in received)
            why[entry.name] = (f"returned unchanged: {', '.join(file for file, _ in received)}" if unchanged
                               else f"received but rejected: {reasons}")
            message = (f"'{entry.name}' sent {len(received)} file(s) but none could be used ({reasons}); nothing of "
                       f"theirs was compiled")
        else:
            why[entry.name] = "nothing received"
            message = f"'{entry.name}' was sent a workbook but no return from them was found"
        findings.append(Finding("no-return", message, file=roster.path))
    return chase, why, findings, received_by


def whose_file(file: str, roster: Roster) -> str:
    """The respondent a file that could not be read as their workbook is from, by its name ('' when
    it says nothing certain): named as their workbook was ("lga-cbo_housing_2026-q4.pdf", "Copy of
    ....csv"), else naming exactly one respondent ("Housing return.pdf")."""
    stem = _words(_COPY_NAME.sub(" ", base_name(file).rsplit(".", 1)[0]))
    if not stem:
        return ""
    for key, entry in roster.asked.items():
        if any(stem == _words(name.rsplit(".", 1)[0]) for name in entry.files):
            return key
    named = [key for key, entry in roster.asked.items() if _words(entry.name) and
             f" {_words(entry.name)} " in f" {stem} "]
    # "Public Health" names one respondent, not "Health" too
    named = [k for k in named if not any(k != o and f" {_words(roster.asked[k].name)} " in
                                         f" {_words(roster.asked[o].name)} " for o in named)]
    return named[0] if len(named) == 1 else ""


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", normalise_name(text).replace("'", "")))


# -- evidence ------------------------------------------------------------------------------
def usual_author(key: str, own: list[CheckedReturn], roster: Roster | None) -> str:
    """The person key of whoever usually saves this respondent's returns (`own`, theirs): the
    manifest's contact when one of them saved a return, else the one author most returns share,
    else the manifest's contact; '' when nothing says."""
    people = Counter(person_key(author(r)) for r in own if author(r))
    entry = roster.asked.get(key) if roster else None
    contacts = [c for c in entry.contacts if person_key(c)] if entry else []
    for person in people:
        if is_contact(person, contacts):
            return person
    ranked = people.most_common(2)
    if len(ranked) == 1 or (len(ranked) == 2 and ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return person_key(contacts[0]) if contacts else ""


def base_name(file: str) -> str:
    """The file's own name, without its folder or the container it came in."""
    return re.split(r"[/\\]| » ", file)[-1]


def when(ret: CheckedReturn) -> dt.datetime | None:
    return ret.saved_at or ret.file_time


class _Judge:
    """Which of one respondent's returns to use, and whether the evidence leaves doubt."""

    def __init__(self, evidence: Evidence, key: str, entry: Asked | None, usual: str):
        self.evidence, self.key, self.entry, self.usual = evidence, key, entry, usual
        self.contacts = evidence.contacts(key)

    def generation(self, ret: CheckedReturn) -> tuple[int, str]:
        """How recent the workbook's build is: the manifest's current build first, then by build time."""
        if self.entry and self.entry.build_id:
            if ret.build_id == self.entry.build_id:
                return 2, ret.built_at
            if ret.build_id in self.entry.replaced:
                return 0, ret.built_at
        return 1, ret.built_at

    def elsewhere(self, ret: CheckedReturn) -> bool:
        return self.evidence.linked_elsewhere(author(ret), self.key)

    def rank(self, ret: CheckedReturn):
        """Re-issued build first; then a save by nobody else's person; then (when the manifest names
        no contacts) the usual author's save; then the later save."""
        stamp = when(ret) or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        by_usual = self.contacts or (bool(self.usual) and person_key(author(ret)) == self.usual)
        return self.generation(ret), not self.elsewhere(ret), bool(by_usual), stamp, -len(ret.file), ret.file

    def colleagues(self, a: str, b: str) -> bool:
        """Two different savers who are both this respondent's people: the manifest names its
        contacts, and neither belongs to another respondent (a colleague revising the return)."""
        return bool(self.contacts) and not self.evidence.linked_elsewhere(a, self.key) and \
            not self.evidence.linked_elsewhere(b, self.key)

    def doubt(self, winner: CheckedReturn, other: CheckedReturn) -> str:
        """Why the choice between two returns is not clear-cut ('' when it is)."""
        if winner.content and winner.content == other.content:
            return ""
        newer_build = self.generation(winner) > self.generation(other)
        later = _later(other, winner)
        if newer_build and later:
            return (f"{winner.file} is from the re-issued workbook (build {winner.build_id}), but {other.file}, from "
                    f"the earlier build {other.build_id}, was saved after it")
        a, b = author(winner), author(other)
        if a and b and person_key(a) != person_key(b) and not self.colleagues(a, b):
            return f"they were last saved by different people ({a} and {b}){self._links(a, b)}"
        if not newer_build and not later and not _later(winner, other):
            if when(winner) and when(other):
                return f"both record the same save time ({stamps(when(winner), None)[0]})"
            return "they do not both record when they were saved"
        if self.usual and a and person_key(a) != self.usual and (not self.contacts or self.elsewhere(winner)):
            return (f"{winner.file}, the later one, was saved by {a}, who does not usually save "
                    f"{winner.respondent}'s returns")
        return ""

    def _links(self, *savers: str) -> str:
        said = []
        for saver in savers:
            theirs = self.evidence.contact_of(saver, self.key) or self.evidence.saved_for(saver, self.key)
            if theirs:
                said.append(f"{saver} also belongs to {', '.join(self.evidence.name(k, []) for k in theirs)}")
        return f"; {'; '.join(said)}" if said else ""

    def why(self, winner: CheckedReturn, other: CheckedReturn) -> str:
        if winner.content and winner.content == other.content:
            return "holds the same answers"
        if self.generation(winner) > self.generation(other):
            return (f"is from the re-issued workbook (build {winner.build_id}, which replaces build "
                    f"{other.build_id or 'unknown'})")
        newer, older = stamps(when(winner), when(other))
        a, b = author(winner), author(other)
        if a and b and person_key(a) != person_key(b):
            return (f"was saved later ({newer}, by {a}) than this one ({older}, by {b}); {a} is not named in the "
                    f"manifest for another respondent and saved no other respondent's return, so this is taken "
                    f"as a colleague at {winner.respondent} revising it (if it is not, run again with --prefer "
                    f"\"{other.file}\")")
        return f"was saved later ({newer}) than this one ({older})"


def _later(a: CheckedReturn, b: CheckedReturn) -> bool:
    """True when `a` was saved strictly after `b` (both times known)."""
    ta, tb = when(a), when(b)
    return bool(ta and tb and ta > tb)


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
