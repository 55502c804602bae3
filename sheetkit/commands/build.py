"""`sheetkit build`: one locked workbook per respondent, a manifest, and optional email drafts.

Every file (workbooks, drafts, the manifest, the password file) is one output of a single
AllOrNothing: written beside its final name first and put in place only when all of them are
written and every target is known to be writable, so a failure, a locked manifest or Ctrl-C
leaves the folder exactly as it was. A folder that already holds an exercise grows: its
manifest gains the new respondents and its password is reused, and only the workbooks of the
respondents named are ever replaced (with --force).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import unicodedata
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING


from sheetkit.xlsx import check_xlsxwriter
from sheetkit.common import clock
from sheetkit.rounds.carry import carry_over
from sheetkit.workbook.prefill import Carried
from sheetkit.mail.emails import write_email
from sheetkit.common.errors import UsageError
from sheetkit.common.findings import Finding
from sheetkit.common import limits
from sheetkit.common.text import normalise_name
from sheetkit.roster.addresses import one_line
from sheetkit.framework.model import Framework
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import templates_dir
from sheetkit.common.own_files import MANIFEST, PASSWORD_FILE
from sheetkit.roster.manifest import (Entry, Manifest, Records, find_records, merge, read_manifest, read_password,
                                     write_manifest, write_password)
from sheetkit.common.progress import THRESHOLD as PROGRESS_THRESHOLD
from sheetkit.common.progress import progress as show_progress
from sheetkit.returns.reader import file_sha256
from sheetkit.roster.respondents import Respondent
from sheetkit.common.outputs import AllOrNothing
from sheetkit.common.sandbox import Failure, Limits, run_isolated
from sheetkit.workbook.template import TEMPLATES
from sheetkit.workbook.writer import WorkbookFacts

if TYPE_CHECKING:
    from sheetkit.rounds.model import PreviousRound


@dataclass
class BuildOptions:
    out_dir: Path  # the workbooks (and drafts) to send, nothing else
    deadline: str | None = None
    round: str = ""
    return_to: str = ""
    password: str | None = None
    emails: bool = False
    templates: str | None = None  # the user's folder of email and instruction templates
    force: bool = False
    progress: bool = False
    warnings: list[str] = field(default_factory=list)  # about the inputs, e.g. how the respondents list was read
    now: dt.datetime | None = None  # fixed for reproducible output (the samples); default: the clock
    previous: PreviousRound | None = None  # last round: each respondent's workbook follows up their answers
    prefill: bool = False  # start the answer cells with last round's values (else they start blank)
    records: Path | None = None  # the lead's manifest and password (default: the exercise folder, out_dir's parent)

    @property
    def today(self) -> dt.date:
        return self.now.date() if self.now else clock.today()


@dataclass
class BuiltFile:
    respondent: Respondent
    workbook: Path
    sha256: str
    build_id: str
    email: Path | None = None
    replaces: str = ""  # the build id of the workbook this one re-issues
    follows: str = ""  # the respondent's name in last round, when their workbook follows up their answers


@dataclass
class BuildResult:
    framework: Framework
    out_dir: Path
    files: list[BuiltFile]
    manifest: Path
    password_file: Path | None
    deadline: dt.date
    round: str
    listed: int = 0  # respondents in the manifest after this build
    records_note: str = ""  # when the records were found where an earlier sheetkit kept them
    warnings: list[str] = field(default_factory=list)
    exit_code: int = 0
    previous_round: str = ""  # the round the workbooks follow up, when built with --previous
    gone: list[str] = field(default_factory=list)  # last round's respondents not in this build's list
    previous_findings: list[Finding] = field(default_factory=list)  # what reading last round found

    def to_dict(self) -> dict:
        return {
            "framework": {"id": self.framework.id, "version": self.framework.version,
                          "fingerprint": self.framework.fingerprint},
            "out_dir": str(self.out_dir),
            "manifest": str(self.manifest),
            "password_file": str(self.password_file) if self.password_file else None,
            "round": self.round,
            "deadline": self.deadline.isoformat(),
            "respondents_in_manifest": self.listed,
            "warnings": self.warnings,
            "workbooks": [
                {"respondent": f.respondent.name, "file": str(f.workbook), "sha256": f.sha256,
                 "build_id": f.build_id, "replaces_build_id": f.replaces or None,
                 "email": str(f.email) if f.email else None, "follows_up": f.follows or None}
                for f in self.files
            ],
            "previous_round": self.previous_round or None,
            "not_in_this_round": self.gone,
            "previous_findings": [f.to_dict() for f in self.previous_findings],
        }

    def _follow_up_note(self, f: BuiltFile) -> str:
        if not self.previous_round:
            return ""
        if not f.follows:
            return f" (new since {self.previous_round}: blank workbook)"
        renamed = f" as '{f.follows}'" if f.follows != f.respondent.name else ""
        return f" (follows up {self.previous_round}{renamed})"

    def render(self) -> str:
        lines = [f"Warning: {w}" for w in self.warnings] + [f.render() for f in self.previous_findings]
        lines += [f"  {f.respondent.name}: {f.workbook.name}" + (f" (+ {f.email.name})" if f.email else "")
                  + (f" (re-issued; replaces build {f.replaces})" if f.replaces else "")
                  + self._follow_up_note(f) for f in self.files]
        if self.gone:
            lines.append(f"In {self.previous_round} but not in this list (no workbook built): {', '.join(self.gone)}")
        drafts = sum(1 for f in self.files if f.email)
        extra = f" and {drafts} email draft(s)" if drafts else ""
        lines.append(f"Built {len(self.files)} workbook(s){extra} for {self.framework.id} "
                     f"(round {self.round}, due {self.deadline.isoformat()}) in {self.out_dir}: everything in that "
                     f"folder is for sending to partners")
        kept = f"the manifest {self.manifest} (listing {self.listed} respondent(s); validate, ingest and chase find " \
               f"it beside the returns folder)"
        if self.password_file:
            kept += f" and the sheet protection password in {self.password_file}"
        lines.append(f"Your records, not for sending: {kept}")
        if self.records_note:
            lines.append(f"Note: {self.records_note}")
        return "\n".join(lines)


def build_workbooks(framework: Framework, respondents: list[Respondent], options: BuildOptions) -> BuildResult:
    """Build one workbook per respondent into options.out_dir and add them to the folder's manifest."""
    check_xlsxwriter()  # before anything is written: an untested XlsxWriter stops here, saying what to install
    options = _as_typed(options)
    out_dir = Path(options.out_dir)
    records = find_records(out_dir, options.records)
    kept = _existing_manifest(records.manifest, framework, options.round)
    deadline = _deadline(options, kept)
    respondents = [_as_recorded(person, kept) for person in respondents]
    names = {r.key: workbook_name(framework, r, options.round) for r in respondents}
    _refuse_name_clashes(respondents, names, kept)
    _refuse_overwrite(out_dir, kept, respondents, names, options.force)
    password, new_password = _exercise_password(records.password, kept, options.password)
    templates = str(templates_dir(options.templates) or "")
    built_at = (options.now.astimezone(dt.timezone.utc).replace(microsecond=0) if options.now else clock.utc_now()).isoformat()
    layout = plan_workbook(framework)
    salt = "" if options.now else secrets.token_hex(8)  # see build_id
    with _outputs(out_dir, records, respondents, names, options.emails, new_password) as outputs:
        outputs.check()  # a locked manifest or workbook is found now, before any workbook is built
        jobs = []
        for person in respondents:
            follows, carried = _carried(framework, person, options)
            facts = WorkbookFacts(person.name, person.organisation, person.email, options.round, deadline,
                                  options.return_to, build_id(framework, person, options.round, built_at,
                                                              _replaced(person, kept), salt), built_at, password,
                                  templates,
                                  carried.round if carried else "", prefilled=bool(carried and carried.values
                                                                                   and options.prefill))
            name = names[person.key]
            jobs.append((person, facts, outputs.temp(name), name,
                         outputs.temp(_email_name(name)) if options.emails else None, carried, follows))
        shared = (framework, layout, plan_workbook(framework, follow_up=True) if options.previous else None,
                  plan_workbook(framework, follow_up=True, still_true=True) if options.previous and options.prefill
                  else None)
        files = _run_jobs(shared, jobs, options.progress, outputs)
        entries = merge(kept.entries if kept else [],
                        [_entry(framework, f, names[f.respondent.key], options.round, deadline, built_at)
                         for f in files])
        outputs.write(MANIFEST, lambda temp: write_manifest(Path(temp), entries))
        if new_password:
            outputs.write(PASSWORD_FILE, lambda temp: write_password(Path(temp), framework.id, built_at, password))
    final = [replace(f, workbook=out_dir / names[f.respondent.key],
                     email=out_dir / _email_name(names[f.respondent.key]) if f.email else None,
                     replaces=_replaced(f.respondent, kept)) for f in files]
    previous = options.previous
    return BuildResult(framework, out_dir, final, records.manifest,
                       records.password if records.password.exists() else None, deadline, options.round,
                       listed=len(entries), records_note=records.note,
                       warnings=list(options.warnings) + (kept.warnings if kept else []),
                       previous_round=previous.round if previous else "",
                       gone=previous.gone([p.name for p in respondents]) if previous else [],
                       previous_findings=list(previous.findings) if previous else [])


def _as_typed(options: BuildOptions) -> BuildOptions:
    """--round and --return-to as people type them: line breaks folded, and no longer than a
    workbook can record (each is a document property)."""
    round_name, return_to = one_line(options.round), one_line(options.return_to)
    for option, value in (("--round", round_name), ("--return-to", return_to)):
        if len(value) > limits.PROPERTY_LIMIT:
            raise UsageError(f"{option} is {len(value):,} characters long; a workbook can record at most "
                             f"{limits.PROPERTY_LIMIT}, so shorten it")
    return replace(options, round=round_name, return_to=return_to)


def _outputs(out_dir: Path, records: Records, respondents: list[Respondent], names: dict[str, str], emails: bool,
             new_password: bool) -> AllOrNothing:
    """Every file the build writes, keyed by file name: put in place together, or not at all. The
    workbooks and drafts go to the send folder, the lead's records wherever `records` says."""
    outputs = AllOrNothing()
    for person in respondents:
        name = names[person.key]
        outputs.add(name, out_dir / name, f"the workbook for {person.name}", "--out", "folder")
        if emails:
            outputs.add(_email_name(name), out_dir / _email_name(name), f"the email draft for {person.name}", "--out",
                        "folder")
    outputs.add(MANIFEST, records.manifest, "the manifest", "--records", "folder")
    if new_password:
        outputs.add(PASSWORD_FILE, records.password, "the password file", "--records", "folder")
    return outputs


def _email_name(workbook: str) -> str:
    """The draft that carries a workbook is named after it."""
    return Path(workbook).stem + ".eml"


def _carried(framework: Framework, person: Respondent, options: BuildOptions) -> tuple[str, Carried | None]:
    """(last round's name for this respondent, or ''; what last round brings into their workbook).
    A respondent new this round gets a blank workbook."""
    found = options.previous.respondent(person.name) if options.previous else None
    if found is None:
        return "", None
    carried = carry_over(plan_workbook(framework, follow_up=True), options.previous, found, options.prefill)
    return found.name, carried


def _entry(framework: Framework, f: BuiltFile, name: str, round_name: str, deadline: dt.date, built_at: str) -> Entry:
    person = f.respondent
    return Entry(person.name, person.organisation, person.email, person.contact, person.group, name,
                 f.sha256, framework.id, framework.version, framework.fingerprint, round_name, deadline.isoformat(),
                 built_at, f.build_id)


def _as_recorded(person: Respondent, kept: Manifest | None) -> Respondent:
    """A respondent re-issued by name alone keeps the name and details the manifest records for them."""
    entry = kept.entry(person.name) if kept else None
    if entry is None or person.organisation or person.email or person.contact or person.group:
        return person
    return kept.people[kept.entries.index(entry)]


def _existing_manifest(path: Path, framework: Framework, round_name: str) -> Manifest | None:
    """The exercise's manifest already kept, when it is the same exercise's; another exercise's is refused."""
    if not path.exists():
        return None
    kept = read_manifest(path)
    theirs = (kept.framework_id or framework.id, kept.round)
    if theirs != (framework.id, round_name):
        raise UsageError(f"{path} records the {theirs[0]} exercise, round '{theirs[1]}', not "
                         f"{framework.id} round '{round_name}'; build into another exercise folder (--out, or "
                         f"--records for the records), or give --round '{theirs[1]}' to add to that exercise")
    return kept


def _exercise_password(path: Path, kept: Manifest | None, chosen: str | None) -> tuple[str, bool]:
    """One password per exercise: the one kept in its records, the one chosen, or a new one (then True)."""
    stored = read_password(path)
    if stored is not None:
        if chosen is not None and chosen != stored:
            raise UsageError(f"the exercise's workbooks are locked with the password kept in {path}; every "
                             f"workbook of an exercise keeps that one password, so leave out --password (or build "
                             f"another exercise into another folder)")
        return stored, False
    if chosen is not None:
        return chosen, False
    if kept and kept.entries:
        raise UsageError(f"the exercise's workbooks were locked with a password chosen with --password (there is "
                         f"no {path}); give the same --password so the whole exercise keeps one password")
    return secrets.token_urlsafe(9), True


def _build_one(shared, job) -> BuiltFile:
    """In a worker (or here): one respondent's workbook and draft, into their temporary files."""
    framework, layout, follow_up, prefilled = shared
    person, facts, path, name, email, carried, follows = job
    TEMPLATES.write(str(path), prefilled if facts.prefilled else follow_up if carried else layout, facts,
                    carried)  # from a template where proved
    if email is not None:
        write_email(email, framework, person, facts, path, name)
    return BuiltFile(person, path, file_sha256(path), facts.build_id, email, follows=follows)


# Building trusted inputs needs neither a time nor a memory limit; the workers are stopped with the run.
BUILD_LIMITS = Limits(seconds=None, memory_bytes=0)


def _run_jobs(shared, jobs: list, progress: bool, outputs: AllOrNothing) -> list[BuiltFile]:
    """Build the workbooks, over every core when there are more than a handful (each is independent).

    The framework and its layouts go to each worker once, not with every workbook."""
    workers = min(os.cpu_count() or 1, len(jobs))
    if len(jobs) <= PROGRESS_THRESHOLD or workers < 2:
        return [_build_one(shared, job) for job in show_progress(jobs, progress, "Building workbooks")]
    built: list[BuiltFile | None] = [None] * len(jobs)
    with closing(run_isolated(_build_one, jobs, BUILD_LIMITS, shared=shared)) as results:
        for index, outcome in show_progress(results, progress, "Building workbooks", length=len(jobs)):
            if isinstance(outcome, Failure):
                _raise(outcome, jobs[index], outputs)
            built[index] = outcome
    return built


def _raise(failure: Failure, job, outputs: AllOrNothing) -> None:
    """What stopped a workbook being built, raised in the parent as it was raised in the worker."""
    person, name, email = job[0], job[3], job[4]
    about_draft = email is not None and getattr(failure.error, "filename", None) == str(email)
    with outputs.explained(_email_name(name) if about_draft else name):  # names the file, not its temporary one
        if failure.error is not None:
            raise failure.error
        raise RuntimeError(f"building the workbook for {person.name} failed: {failure.detail}")


def build_id(framework: Framework, person: Respondent, round_name: str, built_at: str, replaces: str = "",
             salt: str = "") -> str:
    """A short id for one built workbook: a return is the respondent's whose build id it carries.

    `salt` is random for every real build, so two exercises (another council's, or another
    folder's) never make the same id for the same partner, round and second; a build with a fixed
    time (the samples) leaves it out and is the same whenever the same inputs are built. A
    re-issued workbook's id also depends on the id it replaces, so the two always differ.
    """
    seed = "\x1f".join((framework.fingerprint, person.key, round_name, built_at) + ((replaces,) if replaces else ())
                       + ((salt,) if salt else ()))
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def _deadline(options: BuildOptions, kept: Manifest | None) -> dt.date:
    """--deadline when given; else the deadline of the exercise the folder already holds; else four weeks on."""
    if options.deadline or not (kept and kept.deadline):
        return parse_deadline(options.deadline, options.today)
    try:
        recorded = dt.date.fromisoformat(kept.deadline)
    except ValueError:
        raise UsageError(f"{kept.path} records the deadline '{kept.deadline}', which is not a date (YYYY-MM-DD); "
                         f"give --deadline for the new workbooks") from None
    if recorded < options.today:
        raise UsageError(f"the exercise in {kept.path} has the deadline {recorded.isoformat()}, which has passed "
                         f"(today is {options.today.isoformat()}); give the new workbooks their own --deadline")
    return recorded


def parse_deadline(value: str | None, today: dt.date) -> dt.date:
    """YYYY-MM-DD, not in the past; four weeks from today when not given."""
    if not value:
        return today + dt.timedelta(days=28)
    try:
        deadline = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--deadline '{value}' is not a date; give it as YYYY-MM-DD, e.g. "
                         f"{(today + dt.timedelta(days=28)).isoformat()}") from None
    if deadline < today:
        raise UsageError(f"--deadline {deadline.isoformat()} is in the past (today is {today.isoformat()}); "
                         f"give a future date")
    return deadline


def workbook_name(framework: Framework, respondent: Respondent, round_name: str) -> str:
    """A safe, recognisable file name: framework, respondent and round."""
    parts = [framework.id, _slug(respondent.name), _slug(round_name)]
    return "_".join(p for p in parts if p)[:150] + ".xlsx"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()


def _refuse_name_clashes(respondents: list[Respondent], names: dict[str, str], kept: Manifest | None) -> None:
    """Two respondents whose workbooks would have one file name ("Carers' Centre" and "Carers
    Centre") are refused, both named, before anything is written; so is a new respondent whose
    file is already another respondent's in the manifest."""
    problems, first = [], {}
    owner = {e.file.casefold(): e.respondent for e in kept.entries} if kept else {}
    for person in respondents:
        name = names[person.key].casefold()
        where = f" ({person.source})" if person.source else ""
        if name in first:
            other = first[name]
            problems.append(f"'{other.name}'{f' ({other.source})' if other.source else ''} and '{person.name}'"
                            f"{where} would both be written as {names[person.key]}")
        elif name in owner and normalise_name(owner[name]) != person.key:
            problems.append(f"'{person.name}'{where} would be written as {names[person.key]}, which the manifest "
                            f"already records as the workbook of '{owner[name]}'")
        first.setdefault(name, person)
    if problems:
        raise UsageError("two respondents cannot share a workbook file, so nothing was built:\n  "
                         + "\n  ".join(problems) + "\nMake the names differ by more than punctuation, accents or "
                         "case (say 'Carers Centre North' and 'Carers Centre South').")


def _refuse_overwrite(out_dir: Path, kept: Manifest | None, respondents: list[Respondent],
                      names: dict[str, str], force: bool) -> None:
    """Without --force, nobody already sent a workbook (in the manifest or on disk) is built again."""
    if force:
        return
    sent = [f"{p.name} ({names[p.key]})" for p in respondents
            if (kept and kept.entry(p.name)) or (out_dir / names[p.key]).exists()]
    if sent:
        shown = ", ".join(sent[:5]) + (f" and {len(sent) - 5} more" if len(sent) > 5 else "")
        raise UsageError(f"{out_dir} already holds workbooks for {shown}; use --force to re-issue them (only "
                         f"theirs are replaced, and the manifest keeps the build ids they replace), or leave "
                         f"them out to add only new respondents")


def _replaced(person: Respondent, kept: Manifest | None) -> str:
    """The build id of the workbook `person` was sent before, if any."""
    entry = kept.entry(person.name) if kept else None
    return entry.build_id if entry else ""
