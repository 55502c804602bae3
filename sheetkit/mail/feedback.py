"""Each partner's feedback: their ratings beside the partnership's, before the summary is final.

For every accepted respondent, a small workbook (and an email draft carrying it) shows their
rating of every item beside the median and range of all ratings, marks the items where they
sit apart from the others, and lists the actions other partners proposed for the same items.
Its first sheet, and the email, say what it is for, who to reply to, by when and how to
propose a revised rating; which of the partner's ratings could not be counted and why (the
same facts a request for corrections gives, so the two never disagree); and what the figures
mean. Other partners are never named, and their evidence text is left out unless the lead
asks for it. Computed from the same consolidation as the consolidated workbook; drawn by
:mod:`sheetkit.mail.feedback_book`.

A partner who sits apart or is split on a rating, or rated an item the lead marks for discussion,
is asked to reply in the workbook itself: it carries the sheet 'Your reply' and a build id, as a
return does (:mod:`sheetkit.mail.feedback_reply`), and the letter and the email say how to fill it in.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path

from sheetkit.common import clock
from sheetkit.consolidate.actions import Action
from sheetkit.consolidate.consolidation import Consolidation, RatingRow
from sheetkit.roster.contacts import Contact, read_contacts
from sheetkit.common.text import clip
from sheetkit.returns.model import CheckedReturn
from .corrections import lead_only, needs_correction
from .drafts import Draft, fill_template, safe_file_name, sender_line, write_draft
from .feedback_book import (ACTION_COLUMNS, ACTIONS, DIFFER, EVIDENCE, EVIDENCE_COLUMNS, RATING_COLUMNS, RATINGS,
                            write_book)
from .feedback_reply import (FormWorkbook, ReplyRequest, add_reply, exercise_password, plan_request, replaced_ids,
                             write_reply_manifest)
from sheetkit.framework.model import item_caption, item_name
from sheetkit.common.outputs import AllOrNothing
from sheetkit.common.own_files import SHEET_REPLY
from sheetkit.roster.manifest import feedback_manifest_for
from sheetkit.common.text import normalise_name
from sheetkit.returns.reader import file_sha256

REPLY_DAYS = 14  # the reply-by date, when none is given: this many days after the feedback is written
ACTION_FIELDS = ("action", "actions")  # item answers the consolidation reads as actions: shown with the actions


@dataclass
class Comparison:
    """One rated thing: this respondent's rating beside everyone's."""

    row: RatingRow
    mine: int | None
    mine_text: str  # what they typed, when it was not on the scale
    others: list[int]
    apart: str = ""  # where the agreement rule puts them, in words; blank when they are with the others
    name: str = ""  # what is rated, as the workbook names it: 'Standard 1', 'Domain 2 as a whole'

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
    to_correct: int = 0  # answers of their return they must put right (as a request for corrections lists them)
    contact: str = ""  # who to reply to: the lead's address, or the one their workbook gave
    request: ReplyRequest | None = None  # what the workbook asks them to reply on (see .feedback_reply)

    @property
    def apart(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.apart]

    @property
    def not_counted(self) -> list[Comparison]:
        """Their ratings kept as typed but left out of every figure (a rating of '4.5' or 'Good')."""
        return [c for c in self.comparisons if c.mine is None and c.mine_text]


@dataclass(frozen=True)
class Reply:
    """The round the feedback is on, and when and how partners are asked to reply."""

    by: dt.date
    sender: str = ""  # the lead, for the drafts' From and Reply-To lines and as the contact
    round: str = ""


def reply_by(given: dt.date | None, written_at: dt.datetime) -> dt.date:
    """The date partners are asked to reply by: the one given, else REPLY_DAYS after the feedback is written
    (a weekday: a Saturday or Sunday moves to the Monday)."""
    if given:
        return given
    day = written_at.date() + dt.timedelta(days=REPLY_DAYS)
    return day + dt.timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def compare(con: Consolidation, respondent: str) -> list[Comparison]:
    """Every rated thing, with the respondent's rating, the others' and where the agreement rule puts them.

    Whether they sit apart, or in one camp of a split, is the consolidated workbook's own rule
    (sheetkit.consolidate.agreement), so a partner's feedback and the managers' summary never disagree.
    """
    out = []
    for row in con.ratings:
        others = [v for who, v in row.values.items() if who != respondent]
        comparison = Comparison(row, row.values.get(respondent), row.flagged.get(respondent, ""), others)
        comparison.apart = row.agreement.where(respondent)
        comparison.name = _rated(con, row)
        out.append(comparison)
    return out


def _rated(con: Consolidation, row: RatingRow) -> str:
    """What a rating rates, named as the respondent's workbook heads it."""
    fw = con.framework
    if row.level == "item":
        item = next((i for _, i in fw.items() if i.id == row.owner_id), None)
        return item_name(fw, item) if item else row.caption
    return f"{fw.labels['section']} {row.section_id} as a whole"


def write_feedback(con: Consolidation, folder: Path, manifest: str | None = None, with_evidence: bool = False,
                   sender: str = "", written_at: dt.datetime | None = None, returns: list[CheckedReturn] = (),
                   reply: dt.date | None = None, round_name: str = "", discuss: frozenset[str] = frozenset(),
                   password: str | None = None, outputs: AllOrNothing | None = None) -> list[PartnerFeedback]:
    """Write a feedback workbook and email draft per respondent into `folder`, and the feedback's manifest,
    all of them or none.

    Each workbook asks its partner to reply, on its sheet 'Your reply', on the ratings where they sit
    apart or are split and on the items in `discuss` (see sheetkit.mail.feedback_reply), by `reply`
    (two weeks on, if not given). The files join `outputs`, the command's other outputs, and are put
    in place with them; without it they are put in place on their own. Either way a run that fails or
    is interrupted leaves the folder as it was (and takes away a folder made for it). The drafts come
    from `sender` (no From line when blank) and are dated `written_at` (now, if not given). `returns`
    are the accepted returns: what each must put right, and the address their workbook gave for replies.
    """
    if outputs is None:
        with AllOrNothing() as own:
            return write_feedback(con, folder, manifest, with_evidence, sender, written_at, returns, reply,
                                  round_name, discuss, password, own)
    written_at = written_at or clock.now()
    sender = sender_line(sender)
    round_name = round_name or next((r.round for r in returns if r.round), "")
    answer = Reply(reply_by(reply, written_at), sender, round_name)
    contacts = {c.key: c for c in read_contacts(Path(manifest))} if manifest else {}
    feedbacks = _gather(con, Path(folder), with_evidence, returns, sender)
    _ask_replies(con, feedbacks, Path(folder), contacts, written_at, answer, discuss,
                 exercise_password(manifest, password, con.framework, round_name))
    listing = feedback_manifest_for(Path(folder))  # a record of the lead's: beside the folder that is sent
    for fb in feedbacks:
        outputs.add(str(fb.workbook), fb.workbook, f"the feedback workbook for {fb.respondent}", "--feedback", "folder")
        outputs.add(str(fb.draft), fb.draft, f"the feedback email for {fb.respondent}", "--feedback", "folder")
    outputs.add(str(listing), listing, "the feedback's manifest", "--feedback", "folder")
    for fb in feedbacks:
        outputs.write(str(fb.workbook), lambda path: write_workbook(Path(path), con, fb, with_evidence,
                                                                    written_at, answer))
        contact = contacts.get(normalise_name(fb.respondent), Contact(fb.respondent))
        draft = replace(_draft(con, fb, contact, with_evidence, answer), date=written_at,
                        attachment=outputs.temp(str(fb.workbook)), attachment_name=fb.workbook.name)
        outputs.write(str(fb.draft), lambda path: write_draft(Path(path), draft))
    written = [(fb.request, fb.workbook.name, file_sha256(outputs.temp(str(fb.workbook)))) for fb in feedbacks]
    outputs.write(str(listing), lambda path: write_reply_manifest(Path(path), written, listing))
    return feedbacks


def _ask_replies(con: Consolidation, feedbacks: list[PartnerFeedback], folder: Path, contacts: dict,
                 written_at: dt.datetime, answer: Reply, discuss: frozenset[str], password: str) -> None:
    """What each partner is asked to reply on, and their workbook's build id (a new one replacing the last)."""
    replaced = replaced_ids(feedback_manifest_for(folder), con.framework.id, answer.round)
    for fb in feedbacks:
        contact = contacts.get(normalise_name(fb.respondent), Contact(fb.respondent))
        fb.request = plan_request(con, fb.respondent, fb.comparisons, contact, answer.round or contact.round,
                                  written_at, answer.by, password, parseaddr(fb.contact)[1] or fb.contact, discuss,
                                  replaced.get(normalise_name(fb.respondent), ""))


def _gather(con: Consolidation, folder: Path, with_evidence: bool, returns: list[CheckedReturn] = (),
            sender: str = "") -> list[PartnerFeedback]:
    """What each respondent is shown, and the files it will be written to."""
    actions = list(con.store.actions(order="item"))
    evidence = list(con.store.evidence()) if with_evidence else []
    their = {normalise_name(r.respondent): r for r in returns}
    feedbacks, taken = [], set()
    for respondent in con.respondents:
        ret = their.get(normalise_name(respondent))
        feedback = PartnerFeedback(
            respondent, compare(con, respondent),
            [a for who, a in actions if who != respondent],
            [(a.section_id, a.item_id, a.field.label, a.text) for who, a in evidence
             if who != respondent and a.field.id not in ACTION_FIELDS],
            to_correct=_to_correct(ret), contact=sender or (ret.return_to if ret else ""))
        name = _unique(safe_file_name(respondent), taken)
        feedback.workbook, feedback.draft = folder / f"feedback_{name}.xlsx", folder / f"feedback_{name}.eml"
        feedbacks.append(feedback)
    return feedbacks


def _to_correct(ret: CheckedReturn | None) -> int:
    """How many answers a request for corrections would ask this respondent to put right."""
    if ret is None or not needs_correction(ret):
        return 0
    return sum(1 for f in ret.findings if f.is_error and not lead_only(f))


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


def write_workbook(path: Path, con: Consolidation, feedback: PartnerFeedback, with_evidence: bool,
                   written_at: dt.datetime, reply: Reply | None = None) -> None:
    """The feedback workbook: the letter, then ratings, where they differ, others' actions (and evidence if allowed)."""
    reply = reply or Reply(reply_by(None, written_at))
    ratings = [_rating_row(c) for c in feedback.comparisons]
    shared = [c for c in con.framework.action_columns if c.feedback and c.id != "action"]
    tables = [
        (RATINGS, f"Your ratings beside the partnership's: {feedback.respondent}", RATING_COLUMNS, ratings),
        (DIFFER, "Items where you sit apart from the other partners, or they are split", RATING_COLUMNS,
         [_rating_row(c) for c in feedback.apart]),
        (ACTIONS, "Actions other partners proposed (not named)",
         (*ACTION_COLUMNS, *((c.header, max(10.0, c.width)) for c in shared)),
         [(a.item, a.section, _item(con, a.item), a.action, *(a.get(c.id) for c in shared))
          for a in feedback.actions]),
    ]
    if with_evidence:
        tables.append((EVIDENCE, "What other partners wrote (not named)", EVIDENCE_COLUMNS,
                       [(i, s, _item(con, i), q, text) for s, i, q, text in feedback.evidence]))
    title = f"{con.framework.title}: feedback for {feedback.respondent}"
    request = feedback.request
    write_book(path, _letter(con, feedback, with_evidence, reply, written_at), title, tables,
               feedback.respondent, written_at, workbook_class=FormWorkbook,
               finish=(lambda wb, f: add_reply(wb, request, f)) if request is not None else None)


def _rating_row(c: Comparison) -> tuple:
    mine = c.mine if c.mine is not None else (f"'{c.mine_text}' (not on the scale)" if c.mine_text else "")
    return (c.row.owner_id if c.row.level == "item" else c.name.removesuffix(" as a whole"), c.row.section_id,
            c.row.caption, mine, c.row.stat("median"), c.row.stat("min"), c.row.stat("max"), c.row.count,
            c.others_median, c.apart)


def _letter(con: Consolidation, fb: PartnerFeedback, with_evidence: bool, reply: Reply,
            written_at: dt.datetime) -> list[tuple[str, str]]:
    """The first sheet, as (label, text) rows: what this is, what we ask, by when, how, and what it all means."""
    others = len(con.respondents) - 1
    contact = fb.contact or "the person who sent you this workbook"
    first = fb.comparisons[0].row.owner_id if fb.comparisons else "1"
    rows = [
        ("What this is", f"How {fb.respondent}'s ratings in the {reply.round} self-assessment compare with those of "
                         f"the {others} other partner(s) who returned it, before the summary for managers is final. "
                         f"No other partner is named" + (", and their evidence is shown without names."
                                                         if with_evidence else ", and their evidence is not shown.")),
        ("What we ask", _what_we_ask(fb)),
        ("Please reply by", reply.by.strftime("%A %d %B %Y")),
        ("Your contact", contact),
        ("How to reply", _how_to_reply(fb, contact, first)),
    ]
    rows += _not_counted_rows(fb)
    rows += [("What the figures mean", _meanings(con)),
             ("The sheets", f"'{RATINGS}': every rated item, your rating beside everyone's. '{DIFFER}': the items "
                            f"where you sit apart or the partners are split. '{ACTIONS}': what other partners "
                            f"propose to do about the same items." + (f" '{EVIDENCE}': what they wrote."
                                                                      if with_evidence else "")
                            + (f" '{SHEET_REPLY}': your reply, item by item." if _asks(fb) else "")),
             ("Compiled", f"{written_at.strftime('%d %B %Y, %H:%M')}, from the {len(con.respondents)} returns "
                          f"counted.")]
    return rows


def _asks(fb: PartnerFeedback) -> int:
    """How many ratings the workbook's reply sheet asks this partner about (0: it has none)."""
    return len(fb.request.layout.asked) if fb.request is not None else 0


def _what_we_ask(fb: PartnerFeedback) -> str:
    if not _asks(fb):
        return ("Look first at 'Your ratings'. If, having seen the others' ratings, you would now rate an item "
                "differently, please tell us; if your ratings stand, there is nothing you need to do.")
    return (f"Look first at '{DIFFER}'. Then, on the sheet '{SHEET_REPLY}', tell us for each of its {_asks(fb)} "
            f"item(s) (where you differ, or that we would like to discuss) whether you keep your rating or revise "
            f"it, and why.")


def _how_to_reply(fb: PartnerFeedback, contact: str, first: str) -> str:
    """How to reply: in the reply sheet's cells when the workbook has them, else in an email naming the Ref."""
    by_email = (f"giving the item's Ref (the first column of '{RATINGS}'), the rating you now propose and why, for "
                f"example: '{first}: 6, because ...'")
    if not _asks(fb):
        return (f"Reply to the email this workbook came with (or write to {contact}), {by_email}. If your ratings "
                f"stand, a line saying so is enough.")
    return (f"On the sheet '{SHEET_REPLY}', each row is one item, under its Ref: pick Keep or Revise; to revise, "
            f"pick your revised rating; say why, and add any evidence we should see. The yellow cells are yours to "
            f"fill in; the rest is locked. Then save this workbook and send it back to {contact}, attached to a "
            f"reply to the email it came with. Your self-assessment is kept as it is: what you say is shown beside "
            f"it. To revise a rating the sheet does not list, say so in that email, {by_email}.")


def _not_counted_rows(fb: PartnerFeedback) -> list[tuple[str, str]]:
    """What the partner must know about ratings left out, in the words a request for corrections uses."""
    rows = []
    if fb.not_counted:
        rows.append(("Ratings not counted", f"{_not_counted_list(fb)}: not on the scale, so left out of every figure "
                                            f"here and in the summary for managers. {PUT_RIGHT}"))
    elif fb.to_correct:
        rows.append(("Answers to put right", f"{fb.to_correct} of your answers could not be used as they are. "
                                             f"{PUT_RIGHT}"))
    return rows


PUT_RIGHT = ("Please put them right in your workbook and send it back (our request for corrections, if you have "
             "had one, lists each cell); they will then be counted.")


def _not_counted_list(fb: PartnerFeedback) -> str:
    return "; ".join(f"'{clip(c.mine_text, 40)}' for {c.name}" for c in fb.not_counted)


def _meanings(con: Consolidation) -> str:
    """Median and 'apart' in a partner's words, with this framework's thresholds in points."""
    text = ("Median of all: the middle rating when every partner's rating of the item, yours included, is put in "
            "order (half are at or below it). Lowest and Highest: the lowest and highest rating any partner gave. "
            "Median of the others: the middle rating without yours. Only ratings on the scale are counted.")
    scale = con.scale
    if scale is None:
        return text
    apart, split = con.rule.points(con.rule.apart, scale), con.rule.points(con.rule.split, scale)
    return text + (f" Where you sit: 'apart' means you alone gave the lowest (or highest) rating, {apart} or more "
                   f"points from every other partner; 'split' means at least two partners rate the item {split} or "
                   f"more points below at least two others, and says which of the two groups you are in; blank "
                   f"means your rating sits with the others'.")


def _draft(con: Consolidation, feedback: PartnerFeedback, contact: Contact, with_evidence: bool,
           reply: Reply) -> Draft:
    apart = feedback.apart
    lines = [f"  - {c.row.caption}: you rated {c.mine} ({c.apart}); the others' median is "
             f"{_number(c.others_median)} (from {min(c.others)} to {max(c.others)})" for c in apart]
    counted = "the ratings we could count" if feedback.not_counted else "your ratings"
    values = {
        "addressee": contact.addressee, "respondent": feedback.respondent, "framework_title": con.framework.title,
        "round": contact.round or reply.round, "others": str(len(con.respondents) - 1),
        "workbook": feedback.workbook.name,
        "evidence_line": ("It also shows the evidence other partners gave, without their names." if with_evidence
                          else "It shows no other partner's evidence, and names no other partner."),
        "apart": (f"Of {counted}, on {len(apart)} item(s) you sit apart from the other partners, or they are split:"
                  f"\n\n" + "\n".join(lines)) if apart else f"Of {counted}, every one sits with the others'.",
        "not_counted": _not_counted_line(feedback),
        "reply": _reply_line(feedback, reply),
        "sender": parseaddr(reply.sender)[0] or "The commissioning team",
    }
    subject, body = fill_template("feedback.txt", values)
    return Draft(subject, body, contact.recipients, reply.sender, feedback.workbook)


def _not_counted_line(fb: PartnerFeedback) -> str:
    if fb.not_counted:
        return (f"We could not count {len(fb.not_counted)} of your ratings: {_not_counted_list(fb)} (not on the "
                f"scale). They are left out of every figure. {PUT_RIGHT}")
    if fb.to_correct:
        return f"{fb.to_correct} of your answers could not be used as they are. {PUT_RIGHT}"
    return ""


def _reply_line(fb: PartnerFeedback, reply: Reply) -> str:
    """How to reply, as the workbook's first sheet says it: in the reply sheet's cells, or by email."""
    by = reply.by.strftime("%A %d %B %Y")
    by_email = ("reply with the item's Ref (the first column of \"Your ratings\"), the rating you now propose and "
                "why")
    if not _asks(fb):
        return (f"Please reply by {by}. If, seeing this, you would rate an item differently, {by_email}. If your "
                f"ratings stand, a line saying so is enough; if you would rather talk it through, say so and we "
                f"will call.")
    return (f"Please reply by {by}, in the workbook itself: on its sheet '{SHEET_REPLY}', each of the {_asks(fb)} "
            f"item(s) where you differ (or that we would like to discuss) has a row, under the item's Ref, for your "
            f"reply: keep or revise your rating, say why, and add any evidence we should see. Save the workbook and "
            f"send it back attached to a reply to this email. Your self-assessment is kept as it is; what you say "
            f"is shown beside it. To revise a rating the sheet does not list, {by_email}. If you would rather talk "
            f"it through, say so and we will call.")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _item(con: Consolidation, item_id: str) -> str:
    return next((item_caption(item) for _, item in con.framework.items() if item.id == item_id), item_id)
