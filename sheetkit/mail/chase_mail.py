"""The drafts of a chase: what each respondent is told, filled into the reminder and correction templates.

Templates (``templates/reminder.txt``, ``reminder-again.txt``, ``correction.txt``,
``correction-again.txt``, and for replies to feedback the same names starting ``reply-``) can be
replaced by files of the same name in the lead's own folder.
Their placeholders: ``$addressee $respondent $organisation $framework_title $round $deadline
$deadline_line $attachment_line $return_how $sender $history $received``, and for corrections also
``$return_file $problem_count $problems $fine $optional``; the reply templates also ``$reply_sheet``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from sheetkit.common.outputs import AllOrNothing
from sheetkit.roster.contacts import Contact
from .corrections import Problem, fine_sheets, problems
from .drafts import Draft, fill_template, safe_file_name, sender_line, write_draft
from sheetkit.framework.model import Framework
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.workbook.reply import plan_reply
from sheetkit.common.own_files import SHEET_REPLY
from sheetkit.returns.reader import file_sha256
from sheetkit.returns import ACCEPTED, CheckedReturn, base_name

REMINDER, CORRECTION, NOTHING = "reminder", "correction", "nothing to ask"
RETURN, REPLY = "return", "reply"  # what a case is about: the self-assessment, or the reply to its feedback
TEMPLATES = ("reminder.txt", "reminder-again.txt", "correction.txt", "correction-again.txt", "reply-reminder.txt",
             "reply-reminder-again.txt", "reply-correction.txt", "reply-correction-again.txt")


@dataclass
class Chased:
    """What chase decided for one respondent, and the draft it wrote."""

    contact: Contact
    kind: str
    why: str
    ret: CheckedReturn | None = None
    draft: Path | None = None
    attached: Path | None = None
    earlier: list[dt.date] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    optional: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    received: list[tuple[str, str]] = field(default_factory=list)  # files that arrived but are not the workbook
    about: str = RETURN

    @property
    def return_file(self) -> str:
        return self.ret.file if self.ret else ""

    @property
    def label(self) -> str:
        """The kind as the log and the summary name it: 'reminder', or for a reply to feedback 'reply reminder'."""
        return self.kind if self.about == RETURN else f"{REPLY} {self.kind}"

    @property
    def template(self) -> str:
        """The template's name without '.txt': 'reminder', 'reply-correction'..."""
        return self.kind if self.about == RETURN else f"{REPLY}-{self.kind}"

    def to_dict(self) -> dict:
        return {"respondent": self.contact.name, "email": self.contact.email, "kind": self.label, "why": self.why,
                "draft": str(self.draft) if self.draft else None,
                "attached": str(self.attached) if self.attached else None, "return_file": self.return_file,
                "earlier": [d.isoformat() for d in self.earlier],
                "problems": [_problem_dict(p) for p in self.problems],
                "optional": [_problem_dict(p) for p in self.optional], "notes": self.notes}

    def render(self) -> str:
        who = self.contact.name + (f" <{self.contact.email}>" if self.contact.email else " (no email address)")
        line = f"{self.label:<14} {who}: {self.why}"
        if self.earlier:
            line += f"; {'reminded' if self.kind == REMINDER else 'corrections asked'} on {spoken_dates(self.earlier)}"
        if self.draft:
            line += f" -> {self.draft.name}" + (" (workbook attached)" if self.attached else "")
        return "\n".join([line] + [f"{'':<15}{note}" for note in self.notes])


@dataclass
class Mailer:
    """Writes the drafts of one chase run, each as one of the run's outputs (put in place with the log)."""

    framework: Framework
    layout: WorkbookLayout
    today: dt.date
    folder: Path
    outputs: AllOrNothing
    sender: str = ""
    templates: Path | None = None
    workbooks: Path | None = None  # the folder holding the built workbooks (--workbooks)
    attach: bool = True
    records: Path | None = None  # the manifest's folder: the workbooks are beside it, or in a folder beside it

    def __post_init__(self) -> None:
        self.sender = sender_line(self.sender)
        for name in TEMPLATES:  # a broken template stops the run before any draft is written
            fill_template(name, {}, self.templates)

    def write(self, case: Chased) -> None:
        """Fill the case's template and write its draft; notes say what the lead must still do."""
        contact = case.contact
        if case.kind == CORRECTION:
            case.problems, case.optional = problems(case.ret, self._layout(case))
        wants_workbook = case.kind == REMINDER or case.ret.status != ACCEPTED
        if wants_workbook and self.attach:
            case.attached = self._workbook(case)
        name = f"{case.template}{'-again' if case.earlier else ''}.txt"
        subject, body = fill_template(name, self._values(case), self.templates)
        if not contact.email:
            case.notes.append(f"no email address in the manifest{_held(contact)}: add it to the draft's To: line")
        elif contact.bad_email:
            case.notes.append(f"written to {contact.email} only: the manifest's email column holds "
                              f"'{contact.bad_email}', part of which is not an address")
        draft = Draft(subject, body, contact.recipients, self.sender, case.attached)
        path = self.folder / f"{case.template}_{safe_file_name(contact.name)}.eml"
        self.outputs.add(str(path), path, f"the {case.label} draft for {contact.name}", "--out", "folder")
        self.outputs.write(str(path), lambda temp: write_draft(Path(temp), draft))
        case.draft = path

    def _layout(self, case: Chased):
        """The layout the case's workbook has: the return's, or the reply sheet its feedback asked about."""
        return plan_reply(self.framework, case.ret.asks) if case.about == REPLY else self.layout

    def _values(self, case: Chased) -> dict[str, str]:
        contact = case.contact
        address = parseaddr(self.sender)
        values = {
            "addressee": contact.addressee, "respondent": contact.name, "organisation": contact.organisation,
            "framework_title": self.framework.title, "round": contact.round,
            "deadline": f"{contact.deadline.day} {contact.deadline:%B %Y}" if contact.deadline else "soon",
            "deadline_line": self._deadline_line(contact.deadline),
            "attachment_line": self._attachment_line(case),
            "return_how": "reply to this email with the workbook attached"
                          + (f" (or send it to {address[1]})" if address[1] else ""),
            "sender": address[0] or "The commissioning team",
            "history": _history(case),
            "received": _received(case),
            "reply_sheet": SHEET_REPLY,
        }
        if case.kind == CORRECTION:
            values.update(self._correction_values(case))
        return values

    def _correction_values(self, case: Chased) -> dict[str, str]:
        must, may = case.problems, case.optional
        return {
            "return_file": Path(case.ret.file).name,
            "problem_count": "one thing needs" if len(must) == 1 else f"{len(must)} things need",
            "problems": "\n".join(f"  - {p.render()}" for p in must),
            "fine": self._fine(case),
            "optional": ("These are optional, but would help if you have time:\n\n"
                         + "\n".join(f"  - {p.render()}" for p in may)) if may and not _empty(case) else "",
        }

    def _fine(self, case: Chased) -> str:
        """What the respondent need not touch."""
        if case.ret.status != ACCEPTED:
            return "Because of this we could not use that file at all, so none of its answers are counted yet."
        if _empty(case):
            return ""
        fine = fine_sheets(self._layout(case), case.problems)
        if not fine:
            return "Everything else we read is fine; please change only the cells listed."
        return (f"Everything else we read is fine, including the sheets {_quoted(fine)}: {case.ret.ratings_given} "
                f"of {case.ret.ratings_asked} ratings given. Please change only the cells listed.")

    def _deadline_line(self, deadline: dt.date | None) -> str:
        if deadline is None:
            return "Please send it back as soon as you can."
        days = (deadline - self.today).days
        if days > 1:
            return f"The deadline is {_long_date(deadline)}, in {days} days."
        if days >= 0:
            return f"The deadline is {_long_date(deadline)}{' (today)' if days == 0 else ' (tomorrow)'}."
        late = -days
        return (f"The deadline was {_long_date(deadline)}, so it is now overdue by {late} day{'s' if late > 1 else ''}; "
                f"please send it as soon as you can.")

    def _attachment_line(self, case: Chased) -> str:
        if case.attached and case.kind == REMINDER:
            return f"Your workbook ({case.attached.name}) is attached again, in case the first email went astray."
        if case.attached:
            return f"A fresh copy of your workbook ({case.attached.name}) is attached: please copy your answers into it."
        if case.kind == REMINDER or case.ret.status != ACCEPTED:
            return ("If you cannot find the workbook we sent you, reply to this email and we will send it again."
                    if case.kind == REMINDER else "Please reply to this email and we will send you a fresh workbook.")
        return ""

    def _workbook(self, case: Chased) -> Path | None:
        """The respondent's own built workbook, only if it is byte for byte the one the manifest
        records: in --workbooks, else beside the manifest or in a folder beside it (exercise/workbooks)."""
        contact = case.contact
        if not contact.file:
            case.notes.append("the manifest names no workbook file, so none is attached")
            return None
        name = Path(contact.file).name  # a file of that name in those folders, never elsewhere
        folders = [self.workbooks] if self.workbooks else _beside(self.records or Path("."))
        found = [folder / name for folder in folders if (folder / name).is_file()]
        if not found:
            where = self.workbooks or f"{self.records or '.'} or the folders in it"
            case.notes.append(f"workbook not attached: {name} not found in {where} (name the build folder with "
                              f"--workbooks)")
            return None
        same = [path for path in found if not contact.sha256 or file_sha256(path) == contact.sha256]
        if not same:
            case.notes.append(f"workbook not attached: {found[0]} is not the file built for them (its SHA-256 differs "
                              f"from the manifest's); it may be a filled-in copy")
            return None
        return same[0]


def _beside(folder: Path) -> list[Path]:
    """The manifest's folder, then the folders in it (where build put the workbooks: exercise/workbooks)."""
    try:
        inner = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        inner = []
    return [folder, *inner]


def spoken_dates(days: list[dt.date]) -> str:
    """'3 December' or '3 December and 10 December'."""
    return " and ".join(f"{d.day} {d:%B}" for d in days)


def _empty(case: Chased) -> bool:
    return any(p.finding.code == "return-empty" for p in case.problems)


def _history(case: Chased) -> str:
    if not case.earlier:
        return ""
    when = spoken_dates(case.earlier)
    what = "your reply to the feedback" if case.about == REPLY else "the workbook"
    if case.kind == REMINDER:
        return f"We wrote to you about this on {when}, and have still not received {what}."
    return f"We wrote to you on {when} about {'your reply' if case.about == REPLY else 'your return'}; this is " \
           f"about the latest version we have."


def _received(case: Chased) -> str:
    """What arrived from the respondent that was not the workbook, and what to send instead."""
    said = [f"Your file {base_name(file)} arrived, but {why}, so we could "
            f"not use it." for file, why in case.received]
    return " ".join(said + ["Please send the workbook itself (the .xlsx file)."]) if said else ""


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _quoted(names: list[str]) -> str:
    shown = [f"'{n}'" for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _held(contact: Contact) -> str:
    return f" (its email column holds '{contact.bad_email}')" if contact.bad_email else ""


def _problem_dict(p: Problem) -> dict:
    return {"code": p.finding.code, "sheet": p.sheet, "cell": p.cell, "question": p.question, "text": p.render()}
