"""`sheetkit chase`: reminders and correction requests as email drafts, and a log of them.

The returns are validated as `sheetkit validate` does; then each respondent in the manifest
is in one of three states: nothing usable received (a reminder, with their own workbook
attached again), a return that needs putting right (a correction request, cell by cell, in
their words), or nothing to ask. Drafts go into a folder named after the day; ``chase.csv``
beside it records every draft, so the next run can say "reminded on 3 December" and use the
firmer wording of the ``-again`` templates. Nothing is sent.

The drafts, the drafts of an earlier run that day which this run replaces, and the log are
one AllOrNothing: a locked ``chase.csv`` (or draft), a failure or Ctrl-C leaves the folder
exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from sheetkit.common import clock
from sheetkit.mail.chase_mail import CORRECTION, NOTHING, REMINDER, REPLY, RETURN, Chased, Mailer
from sheetkit.roster.contacts import Contact, read_contacts
from sheetkit.roster.manifest import find_feedback_manifest, find_manifest
from sheetkit.mail.corrections import lead_only, needs_correction
from sheetkit.common.errors import UsageError
from sheetkit.common.outputs import AllOrNothing
from sheetkit.framework.model import Framework
from sheetkit.returns.outcome import CheckOptions
from sheetkit.returns.outcome import IngestReport
from sheetkit.returns.check import validate_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.common.text import normalise_name
from sheetkit.common.tables import read_table, unprotect, write_csv
from sheetkit.returns.model import ACCEPTED, REJECTED, CheckedReturn
from sheetkit.common.own_files import FEEDBACK_MANIFEST, REPLY_KIND

LOG = "chase.csv"
LOG_COLUMNS = ("date", "respondent", "email", "kind", "draft", "return_file", "attached")


@dataclass
class ChaseOptions:
    manifest: Path | None  # None: the one beside (or inside) the returns folder
    out_dir: Path
    emails_from: str = ""
    today: dt.date | None = None
    templates: Path | None = None
    workbooks: Path | None = None  # where the built workbooks are (default: beside the manifest, or a folder beside it)
    attach: bool = True
    framework_id: str | None = None
    prefer: tuple[str, ...] = ()  # the lead's choice among a respondent's files, as for validate
    frameworks_dirs: tuple[str, ...] = ()
    progress: bool = False
    replies: Path | None = None  # the folder of partners' replies to their feedback, to chase too
    replies_manifest: Path | None = None  # the feedback's manifest (None: the one beside the replies folder)


@dataclass
class ChaseResult:
    framework: Framework
    today: dt.date
    drafts_dir: Path
    log: Path
    chased: list[Chased]
    unmatched: list[str]
    exit_code: int = 0
    manifest: Path | None = None
    manifest_found: str = ""
    replies_chased: bool = False  # whether replies to the feedback were chased too (--replies)
    replies_manifest: Path | None = None  # the feedback's manifest, when replies were chased
    replies_manifest_found: str = ""

    @property
    def replies(self) -> dict[str, list[str]] | None:
        """Who was asked to reply to their feedback, who replied, who is reminded (None: replies not chased)."""
        if not self.replies_chased:
            return None
        cases = [c for c in self.chased if c.about == REPLY]
        return {"asked": [c.contact.name for c in cases],
                "replied": [c.contact.name for c in cases if c.ret is not None and c.ret.status == ACCEPTED],
                "reminded": [c.contact.name for c in cases if c.kind == REMINDER]}

    def to_dict(self) -> dict:
        return {"framework": self.framework.id, "today": self.today.isoformat(), "manifest": str(self.manifest),
                "drafts_dir": str(self.drafts_dir),
                "log": str(self.log), "respondents": [c.to_dict() for c in self.chased],
                "no_email": [c.contact.name for c in self.chased if c.draft and not c.contact.email],
                "unmatched": self.unmatched, "replies": self.replies}

    def render(self) -> str:
        lines = [c.render() for c in self.chased]
        if self.replies is not None:
            replies = self.replies
            lines.append(f"Replies to the feedback: {len(replies['asked'])} partner(s) asked to reply "
                         f"({', '.join(replies['asked']) or 'nobody'}); replied: {', '.join(replies['replied']) or 'nobody'};"
                         f" reminded: {', '.join(replies['reminded']) or 'nobody'}")
        missing = [c.contact.name for c in self.chased if c.draft and not c.contact.email]
        if missing:
            lines.append(f"No email address for {', '.join(missing)}: type it into the To: line of the draft before "
                         f"sending, and add it to the manifest's email column for next time.")
        lines += [f"Not matched to anyone in the manifest: {note}" for note in self.unmatched]
        drafts = sum(1 for c in self.chased if c.draft)
        lines.append(f"{drafts} draft(s) written to {self.drafts_dir} (nothing was sent); log: {self.log}")
        lines.append(f"Manifest: {self.manifest}" + (f" ({self.manifest_found})" if self.manifest_found else ""))
        if self.replies_manifest is not None:
            lines.append(f"Feedback's manifest: {self.replies_manifest}"
                         + (f" ({self.replies_manifest_found})" if self.replies_manifest_found else ""))
        return "\n".join(lines)


def chase(paths: list[str], options: ChaseOptions) -> ChaseResult:
    """Validate the returns in `paths` and draft a reminder or correction for everyone who needs one."""
    today = options.today or clock.today()
    options, found, replies_found = _with_manifest(paths, options)
    contacts = read_contacts(options.manifest)
    if not contacts:
        raise UsageError(f"{options.manifest} lists no respondents; give the manifest.csv written by build")
    _refuse_out_inside_returns([*paths, *([str(options.replies)] if options.replies else [])], options.out_dir)
    log_path = options.out_dir / LOG
    drafts_dir = options.out_dir / today.isoformat()
    with AllOrNothing() as outputs:
        outputs.add(LOG, log_path, "the chase log", "--out", "folder")  # a locked log is found before any reading
        outputs.check_folder(drafts_dir, "the day's drafts", "--out")
        history = read_log(log_path, before=today)
        report = _validate(paths, options)
        framework = report.framework if report and report.framework else get_framework(
            options.framework_id or contacts[0].framework_id, options.frameworks_dirs)
        mailer = Mailer(framework, plan_workbook(framework), today, drafts_dir, outputs, options.emails_from,
                        options.templates, options.workbooks, options.attach, options.manifest.parent)
        for draft in _drafts_of_the_day(log_path, today):  # replaced by this run's, or taken away
            outputs.remove(str(draft), draft, "an earlier draft of the day", "--out")
        chased = [_chased(_decide(contact, report.returns if report else [],
                                  report.unusable.get(contact.name, []) if report else []), history, mailer)
                  for contact in contacts]
        unmatched = _unmatched(report, contacts) if report else []
        if options.replies is not None:
            reply_contacts, replies = _replies(options, framework)
            mailer = replace(mailer, workbooks=None, records=options.replies_manifest.parent)
            chased += [_chased(_decide(contact, replies.returns if replies else [],
                                       replies.unusable.get(contact.name, []) if replies else [], REPLY),
                               history, mailer)
                       for contact in reply_contacts]
            unmatched += _unmatched(replies, reply_contacts) if replies else []
        outputs.write(LOG, lambda temp: write_log(Path(temp), log_path, today, chased))
    return ChaseResult(framework, today, drafts_dir, log_path, chased, unmatched, manifest=options.manifest,
                       manifest_found=found, replies_chased=options.replies is not None,
                       replies_manifest=options.replies_manifest, replies_manifest_found=replies_found)


def _with_manifest(paths: list[str], options: ChaseOptions) -> tuple[ChaseOptions, str, str]:
    """The options with the manifest: --manifest, else the one beside (or inside) the returns folder;
    with --replies, the feedback's manifest too: --replies-manifest, else the one beside (or inside)
    the replies folder. Also how each was found ('' when given)."""
    how = replies_how = ""
    if options.manifest is None:
        found, how = find_manifest(list(paths))
        if found is None:
            raise UsageError(f"no manifest.csv beside or inside {', '.join(paths)}: give the manifest.csv written by "
                             f"build with --manifest")
        options = replace(options, manifest=Path(found))
    if options.replies is not None and options.replies_manifest is None:
        found, replies_how = find_feedback_manifest(Path(options.replies))
        if found is None:
            raise UsageError(f"--replies needs the feedback's manifest, and there is no {FEEDBACK_MANIFEST} beside or "
                             f"inside {options.replies}: give the one ingest --feedback wrote (in the exercise folder) "
                             f"with --replies-manifest; it lists who was asked to reply")
        options = replace(options, replies_manifest=found)
    return options, how, replies_how


def _chased(case: Chased, history: dict, mailer: Mailer) -> Chased:
    """A case with the drafts sent before of its kind, and its own draft written when it asks for something."""
    case.earlier = sorted({d for d, kind in history.get(case.contact.key, []) if kind == case.label})
    if case.kind != NOTHING:
        mailer.write(case)
    return case


def _replies(options: ChaseOptions, framework: Framework) -> tuple[list[Contact], IngestReport | None]:
    """Who was asked to reply to their feedback (the feedback's manifest), and their replies checked."""
    contacts = read_contacts(options.replies_manifest)
    if not _files_in(Path(options.replies)):
        return contacts, None
    report = validate_returns([str(options.replies)], CheckOptions(
        manifest=str(options.replies_manifest), framework_id=framework.id, frameworks_dirs=options.frameworks_dirs,
        prefer=options.prefer, progress=options.progress, expect=REPLY_KIND))
    return contacts, report


def _validate(paths: list[str], options: ChaseOptions) -> IngestReport | None:
    """The validation report, or None when no return has arrived yet (everyone is reminded)."""
    if not any(_files_in(Path(p)) for p in paths):
        return None
    return validate_returns(list(paths), CheckOptions(manifest=str(options.manifest), framework_id=options.framework_id,
                                                       frameworks_dirs=options.frameworks_dirs, prefer=options.prefer,
                                                       progress=options.progress, keep_answers=False))


def _files_in(path: Path) -> bool:
    """Whether `path` is a file or a folder with any file in it (hidden ones and lock files aside)."""
    if path.is_file():
        return True
    return any(p.is_file() and not p.name.startswith((".", "~$")) for p in path.rglob("*"))


def _decide(contact: Contact, returns: list[CheckedReturn], received: list[tuple[str, str]] = (),
            about: str = RETURN) -> Chased:
    """Reminder, correction or nothing, from this respondent's returns (or replies to their feedback);
    `received` are the files that arrived from them but could not be used (a PDF, a CSV), with why."""
    mine = [r for r in returns if r.respondent_key == contact.key]
    usable = [r for r in mine if r.status == ACCEPTED]
    rejected = [r for r in mine if r.status == REJECTED]
    what = "reply" if about == REPLY else "return"
    if usable:
        ret = usable[0]
        errors = sum(1 for f in ret.findings if f.is_error and not lead_only(f))
        settle = [f"settle first: {f.message}" for f in ret.findings if f.is_error and lead_only(f)]
        if needs_correction(ret):
            case = Chased(contact, CORRECTION, f"{what} {Path(ret.file).name} has {errors or 'no'} error(s) to put "
                                               f"right" + ("" if errors else " (it is empty)"), ret, about=about)
        else:
            warnings = sum(1 for f in ret.findings if not f.is_error)
            case = Chased(contact, NOTHING, f"{what} {Path(ret.file).name} accepted"
                          + (f", {warnings} warning(s) for you to judge" if warnings else ""), ret, about=about)
        case.notes += settle
        return case
    held = [f"settle first: {f.message}" for r in rejected for f in r.findings if f.is_error and lead_only(f)]
    fixable = [r for r in rejected if needs_correction(r)]
    if fixable:
        ret = fixable[-1]
        case = Chased(contact, CORRECTION, f"{what} {Path(ret.file).name} received but rejected: {ret.reason}", ret,
                      about=about)
    elif received:  # files that are not the workbook: say what arrived and why it could not be used
        shown = "; ".join(f"{file} ({why})" for file, why in received)
        asked = "asked to reply; " if about == REPLY else ""
        case = Chased(contact, REMINDER, f"{asked}received but unusable: {shown}", received=list(received),
                      about=about)
    else:  # nothing received, or only files held back for the lead to settle
        asked = "asked to reply; " if about == REPLY else ""
        case = Chased(contact, REMINDER, asked + ("nothing usable received" if rejected else "nothing received"),
                      about=about)
    case.notes += held
    return case


def _unmatched(report: IngestReport, contacts: list[Contact]) -> list[str]:
    """Returns nobody in the manifest can be given: unknown senders and unreadable files."""
    known = {c.key for c in contacts}
    notes = []
    for ret in report.returns:
        name = Path(ret.file).name
        if ret.respondent and ret.respondent_key not in known and ret.status in (ACCEPTED, REJECTED):
            notes.append(f"{ret.file} is from '{ret.respondent}', who is not in the manifest; reply to its sender "
                         f"yourself")
        elif not ret.respondent and ret.status == REJECTED:
            same = [c.name for c in contacts if c.file and c.file == name]
            hint = f" (its name is that of {same[0]}'s workbook)" if same else ""
            notes.append(f"{ret.file} could not be read ({ret.reason}){hint}; find out who sent it and ask them "
                         f"to resend")
    return notes


def _refuse_out_inside_returns(paths: list[str], out_dir: Path) -> None:
    out = out_dir.resolve()
    for raw in paths:
        folder = Path(raw).resolve()
        if folder.is_dir() and (out == folder or folder in out.parents):
            raise UsageError(f"--out {out_dir} is inside the returns folder {raw}; write the drafts elsewhere, so "
                             f"they are not read as returns")


def read_log(path: Path, before: dt.date) -> dict[str, list[tuple[dt.date, str]]]:
    """Earlier drafts by respondent key: [(date, kind)], only those dated before `before`."""
    history: dict[str, list[tuple[dt.date, str]]] = {}
    for number, row in _log_rows(path):
        try:
            when = dt.date.fromisoformat(row.get("date", ""))
        except ValueError:
            raise UsageError(f"{path}, row {number}: the date '{row.get('date')}' is not YYYY-MM-DD; correct or "
                             f"delete the row") from None
        if when < before:
            history.setdefault(normalise_name(unprotect(row.get("respondent", ""))), []).append((when, row.get("kind", "")))
    return history


def write_log(target: Path, log: Path, today: dt.date, chased: list[Chased]) -> None:
    """Write to `target` the rows of `log` from earlier days, then this run's drafts in place of today's
    (UTF-8 with BOM, for Excel)."""
    kept = [[unprotect(row.get(c, "")) for c in LOG_COLUMNS] for _, row in _log_rows(log)
            if row.get("date") != today.isoformat()]
    new = [[today.isoformat(), c.contact.name, c.contact.email, c.label, f"{c.draft.parent.name}/{c.draft.name}",
            c.return_file, c.attached.name if c.attached else ""] for c in chased if c.draft]
    write_csv(target, LOG_COLUMNS, kept + new)


def _drafts_of_the_day(log: Path, today: dt.date) -> list[Path]:
    """The drafts an earlier run wrote today: none is left for someone who no longer needs it."""
    drafts = []
    for _, row in _log_rows(log):
        draft = log.parent / unprotect(row.get("draft", ""))
        if row.get("date") == today.isoformat() and draft.suffix == ".eml" and draft.parent.name == today.isoformat():
            drafts.append(draft)
    return [d for d in drafts if d.is_file()]


def _log_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        return []
    return read_table(path, "respondent", "the chase log (chase.csv)").rows
