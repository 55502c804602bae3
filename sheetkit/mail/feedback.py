"""Each partner's feedback: their ratings beside the partnership's, before the summary is final.

For every accepted respondent, a small workbook (and an email draft carrying it) shows their
rating of every item beside the median and range of all ratings, marks the items where they
sit apart from the others, and lists the actions other partners proposed for the same items.
Other partners are never named, and their evidence text is left out unless the lead asks for
it. Computed from the same consolidation as the consolidated workbook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path

from sheetkit.common import clock
from sheetkit.consolidate.actions import Action
from sheetkit.consolidate.agreement import SPLIT, Agreement
from sheetkit.consolidate.consolidation import Consolidation, RatingRow
from sheetkit.xlsx.cells import TextWorkbook, fit_cell, write_text, write_value
from sheetkit.roster.contacts import Contact, read_contacts
from .drafts import Draft, fill_template, safe_file_name, sender_line, write_draft
from sheetkit.framework.model import item_caption
from sheetkit.common.outputs import AllOrNothing
from sheetkit.common.text import normalise_name
from sheetkit.xlsx.styles import WORKBOOK_OPTIONS, add_formats, strict_xlsxwriter

RATING_COLUMNS = ("Section", "Item", "Your rating", "Median of all", "Lowest", "Highest", "Partners rating it",
                  "Median of the others", "Where you sit")
ACTION_COLUMNS = ("Section", "Item", "Action proposed by another partner", "Due", "Priority")
WHERE = {"low": "apart: lower than every other partner", "high": "apart: higher than every other partner",
         "split low": "split: in the lower camp", "split high": "split: in the higher camp"}
ACTION_FIELDS = ("action", "actions")  # item answers the consolidation reads as actions: shown with the actions
EVIDENCE_COLUMNS = ("Section", "Item", "Question", "Another partner's answer")


@dataclass
class Comparison:
    """One rated thing: this respondent's rating beside everyone's."""

    row: RatingRow
    mine: int | None
    mine_text: str  # what they typed, when it was not on the scale
    others: list[int]
    apart: str = ""  # where the agreement rule puts them, in words; blank when they are with the others

    @property
    def others_median(self) -> float | None:
        return statistics.median(self.others) if self.others else None


@dataclass
class PartnerFeedback:
    """What one respondent is shown, and where it was written."""

    respondent: str
    comparisons: list[Comparison]
    actions: list[Action] = field(default_factory=list)
    evidence: list[tuple[str, str, str, str]] = field(default_factory=list)
    workbook: Path | None = None
    draft: Path | None = None

    @property
    def apart(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.apart]


def compare(con: Consolidation, respondent: str) -> list[Comparison]:
    """Every rated thing, with the respondent's rating, the others' and where the agreement rule puts them.

    Whether they sit apart, or in one camp of a split, is the consolidated workbook's own rule
    (sheetkit.consolidate.agreement), so a partner's feedback and the managers' summary never disagree.
    """
    out = []
    for row in con.ratings:
        others = [v for who, v in row.values.items() if who != respondent]
        comparison = Comparison(row, row.values.get(respondent), row.flagged.get(respondent, ""), others)
        comparison.apart = _where(row.agreement, respondent)
        out.append(comparison)
    return out


def _where(agreement: Agreement, respondent: str) -> str:
    if respondent in agreement.apart:
        return WHERE[agreement.apart[respondent]]
    if agreement.kind == SPLIT and respondent in agreement.low:
        return WHERE["split low"]
    if agreement.kind == SPLIT and respondent in agreement.high:
        return WHERE["split high"]
    return ""


def write_feedback(con: Consolidation, folder: Path, manifest: str | None = None, with_evidence: bool = False,
                   sender: str = "", written_at: dt.datetime | None = None) -> list[PartnerFeedback]:
    """Write a feedback workbook and email draft per respondent into `folder`, all of them or none.

    Every file is written beside its final name first and moved into place only when all are
    written, so a run that fails or is interrupted leaves the folder as it was. The drafts come
    from `sender` (no From line when blank) and are dated `written_at` (now, if not given).
    """
    written_at = written_at or clock.now()
    sender = sender_line(sender)
    contacts = {c.key: c for c in read_contacts(Path(manifest))} if manifest else {}
    feedbacks = _gather(con, Path(folder), with_evidence)
    outputs = AllOrNothing({str(p): p for fb in feedbacks for p in (fb.workbook, fb.draft)},
                           {str(fb.workbook): f"the feedback workbook for {fb.respondent}" for fb in feedbacks}
                           | {str(fb.draft): f"the feedback email for {fb.respondent}" for fb in feedbacks},
                           option="--feedback")
    with _removed_if_left_empty(Path(folder)):
        outputs.check()
        with outputs:
            for fb in feedbacks:
                outputs.write(str(fb.workbook), lambda path: write_workbook(Path(path), con, fb, with_evidence,
                                                                            written_at))
                contact = contacts.get(normalise_name(fb.respondent), Contact(fb.respondent))
                draft = replace(_draft(con, fb, contact, with_evidence, sender), date=written_at,
                                attachment=outputs.temporary(str(fb.workbook)), attachment_name=fb.workbook.name)
                outputs.write(str(fb.draft), lambda path: write_draft(Path(path), draft))
    return feedbacks


def _gather(con: Consolidation, folder: Path, with_evidence: bool) -> list[PartnerFeedback]:
    """What each respondent is shown, and the files it will be written to."""
    actions = list(con.store.actions(order="item"))
    evidence = list(con.store.evidence()) if with_evidence else []
    feedbacks, taken = [], set()
    for respondent in con.respondents:
        feedback = PartnerFeedback(
            respondent, compare(con, respondent),
            [a for who, a in actions if who != respondent],
            [(a.section_id, a.item_id, a.field.label, a.text) for who, a in evidence
             if who != respondent and a.field.id not in ACTION_FIELDS])
        name = _unique(safe_file_name(respondent), taken)
        feedback.workbook, feedback.draft = folder / f"feedback_{name}.xlsx", folder / f"feedback_{name}.eml"
        feedbacks.append(feedback)
    return feedbacks


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`...: two respondents whose names make the same file name (as 'A/B' and 'A-B' do,
    or names differing only in case on Windows and macOS) each keep their own files."""
    unique = name
    for n in range(2, len(taken) + 3):
        if unique.casefold() not in taken:
            break
        unique = f"{name} ({n})"
    taken.add(unique.casefold())
    return unique


@contextlib.contextmanager
def _removed_if_left_empty(folder: Path):
    """A folder made for a run that then failed is not left behind, empty."""
    existed = folder.exists()
    try:
        yield
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def write_workbook(path: Path, con: Consolidation, feedback: PartnerFeedback, with_evidence: bool,
                   written_at: dt.datetime) -> None:
    """The feedback workbook: ratings, where they differ, others' actions (and evidence if allowed)."""
    with strict_xlsxwriter():
        wb = TextWorkbook(str(path), WORKBOOK_OPTIONS)
        try:
            f = add_formats(wb)
            title = f"{con.framework.title}: {feedback.respondent}'s ratings beside the partnership's"
            _ratings_sheet(wb.add_worksheet("Your ratings"), f, title, feedback.comparisons)
            _ratings_sheet(wb.add_worksheet("Where you differ"), f, "Items where you sit apart from the other "
                           "partners, or they are split", feedback.apart)
            _table(wb.add_worksheet("Others' actions"), f, "Actions other partners proposed (not named)",
                   ACTION_COLUMNS, [(a.section, _item(con, a.item), a.action, a.due, a.priority)
                                    for a in feedback.actions], (22, 40, 70, 14, 10))
            if with_evidence:
                _table(wb.add_worksheet("Others' evidence"), f, "What other partners wrote (not named)",
                       EVIDENCE_COLUMNS, [(s, _item(con, i), q, text)
                                          for s, i, q, text in feedback.evidence], (22, 40, 24, 80))
            wb.set_properties({"title": title, "author": "sheetkit",
                               "created": written_at.astimezone(dt.timezone.utc).replace(tzinfo=None)})
        finally:
            wb.close()


def _ratings_sheet(ws, f, title: str, comparisons: list[Comparison]) -> None:
    rows = []
    for c in comparisons:
        mine = c.mine if c.mine is not None else (f"'{c.mine_text}' (not on the scale)" if c.mine_text else "")
        rows.append((c.row.section_id, c.row.caption, mine, c.row.stat("median"), c.row.stat("min"),
                     c.row.stat("max"), c.row.count, c.others_median, c.apart))
    _table(ws, f, title, RATING_COLUMNS, rows, (9, 60, 12, 10, 9, 9, 10, 12, 22))


def _table(ws, f, title: str, headers, rows, widths) -> None:
    write_text(ws, 0, 0, title, f["title"])
    for col, (text, width) in enumerate(zip(headers, widths)):
        ws.set_column(col, col, width)
        write_text(ws, 2, col, text, f["header"])
    for r, values in enumerate(rows, start=3):
        for col, value in enumerate(values):
            _cell(ws, r, col, value, f)
    ws.freeze_panes(3, 0)
    if not rows:
        write_text(ws, 3, 0, "None.", f["note"])


def _cell(ws, row: int, col: int, value, f) -> None:
    write_value(ws, row, col, fit_cell(value) if isinstance(value, str) else value, f)


def _draft(con: Consolidation, feedback: PartnerFeedback, contact: Contact, with_evidence: bool, sender: str) -> Draft:
    apart = feedback.apart
    lines = [f"  - {c.row.caption}: you rated {c.mine} ({c.apart}); the others' median is "
             f"{_number(c.others_median)} (from {min(c.others)} to {max(c.others)})" for c in apart]
    values = {
        "addressee": contact.addressee, "respondent": feedback.respondent, "framework_title": con.framework.title,
        "round": contact.round, "others": str(len(con.respondents) - 1), "workbook": feedback.workbook.name,
        "evidence_line": ("It also shows the evidence other partners gave, without their names." if with_evidence
                          else "It shows no other partner's evidence, and names no other partner."),
        "apart": (f"On {len(apart)} item(s) you sit apart from the other partners, or they are split:\n\n"
                  + "\n".join(lines)) if apart else "Your ratings sit with the others' on every item.",
        "sender": parseaddr(sender)[0] or "The commissioning team",
    }
    subject, body = fill_template("feedback.txt", values)
    return Draft(subject, body, contact.recipients, sender, feedback.workbook)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _item(con: Consolidation, item_id: str) -> str:
    return next((item_caption(item) for _, item in con.framework.items() if item.id == item_id), item_id)
