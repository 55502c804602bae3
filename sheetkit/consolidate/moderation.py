"""Moderation: partners' replies to their feedback beside their self-assessment, and which rating now counts.

Every rating a partner was asked to reply on, replied on, or that is contested (partners split, or
one apart, after the revisions) gets a row per partner who rated it: where they sat, what they
self-assessed, what they replied and the rating counted now. A revised rating counts only when the
reply picks Revise beside a rating on the scale (:func:`sheetkit.returns.replies.position`) and the
partner's return is counted; nothing of the self-assessment is overwritten: both are kept, on the
row and in the consolidation (:func:`sheetkit.consolidate.consolidation.with_revisions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetkit.common.findings import Finding
from sheetkit.common.text import as_text, normalise_name
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import Rated, rated_things
from sheetkit.returns.model import ACCEPTED, CheckedReturn
from sheetkit.returns.replies import REVISE, position, reply_rows
from sheetkit.workbook.reply import DECISION, EVIDENCE, REASON, REVISED
from .consolidation import Consolidation, RatingRow, with_revisions

NOT_ASKED, NO_REPLY, ROW_BLANK = "not asked", "no reply", "asked; this row left blank"


@dataclass
class ModerationRow:
    """One partner on one rated thing: self-assessed, replied, counted now."""

    rated: Rated
    partner: str
    where: str  # where the self-assessment put them ('apart: lower than every other partner'), or ''
    asked: bool
    self_value: int | None
    self_text: str  # the self-assessment as typed, when it is not on the scale
    decision: str = ""
    revised: str = ""  # the revised rating as typed
    reason: str = ""
    evidence: str = ""
    counted: int | None = None  # the rating counted now
    outcome: str = ""
    file: str = ""  # the reply it comes from, and where on it
    cells: str = ""

    @property
    def self_shown(self) -> object:
        return self.self_value if self.self_value is not None else (f"'{self.self_text}' (not on the scale)"
                                                                   if self.self_text else None)


@dataclass
class Moderation:
    """Every reply compiled, the ratings they revise, and what was typed outside the reply cells."""

    rows: list[ModerationRow]
    revised: dict[tuple[str, str], int]  # (partner, rating key) -> revised level, counted
    asked: list[str]  # partners asked to reply (the feedback's manifest), in its order
    replied: list[str]  # of all partners, those with a usable reply
    unplaced: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # partner, file, sheet, cell, text
    findings: list[Finding] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # reply files not used, each with its status and why


def moderate(con: Consolidation, replies: list[CheckedReturn], asked: list[str],
             discuss: frozenset[str] = frozenset()) -> tuple[Moderation, Consolidation]:
    """Compile the accepted `replies` against the self-assessed consolidation `con`: the Moderation, and the
    consolidation with the revised ratings counted. `asked` lists the partners asked to reply."""
    counted = {normalise_name(p): p for p in con.respondents}
    used = [r for r in replies if r.status == ACCEPTED]
    moderation = Moderation([], {}, list(asked), [r.respondent for r in used])
    moderation.unused = [f"{r.file} ({r.status}: {r.reason})" for r in replies if r.status != ACCEPTED]
    by_partner = {}
    for reply in used:
        partner = counted.get(reply.respondent_key)
        if partner is None:
            moderation.findings.append(Finding(
                "reply-unmatched", f"{reply.respondent} replied to their feedback, but no return of theirs is counted "
                f"this round, so their reply changes no rating; it is listed on the Moderation sheet",
                file=reply.file))
        by_partner[partner or reply.respondent] = reply
        moderation.unplaced += [(reply.respondent, reply.file, a.sheet, a.cell, a.text) for a in reply.answers
                                if AnswerKey.level_of(a.key) == "unplaced"]
    rows = {row.key: row for row in con.ratings}
    asked_keys = {normalise_name(p) for p in asked}
    for rated in rated_things(con.framework):
        row = rows[rated.key]
        for partner in _partners(con, row, by_partner):
            reply = by_partner.get(partner)
            asked_here = rated.key in (reply.asks if reply else ()) or (
                normalise_name(partner) in asked_keys and (bool(row.agreement.where(partner)) or rated.owner_id in discuss))
            moderation.rows.append(_row(rated, row, partner, reply, asked_here, partner in con.respondents,
                                        moderation.revised))
    revised_con = with_revisions(con, moderation.revised)
    contested = {r.key for r in revised_con.ratings if r.agreement.flagged}
    moderation.rows = [m for m in moderation.rows if m.asked or m.file or m.rated.key in contested
                       or m.rated.owner_id in discuss]
    return moderation, revised_con


def _partners(con: Consolidation, row: RatingRow, replies: dict[str, CheckedReturn]) -> list[str]:
    """Who rated the thing (in the order partners are shown), then anyone else who replied on it."""
    rated = [p for p in con.respondents if p in row.values or p in row.flagged]
    others = [p for p, reply in replies.items() if p not in rated and row.key in reply.asks]
    return rated + others


def _row(rated: Rated, row: RatingRow, partner: str, reply: CheckedReturn | None, asked: bool, counted: bool,
         revised: dict[tuple[str, str], int]) -> ModerationRow:
    out = ModerationRow(rated, partner, row.agreement.where(partner), asked, row.values.get(partner),
                        row.flagged.get(partner, ""))
    out.counted = out.self_value
    answers = reply_rows(reply).get(rated.key, {}) if reply else {}
    if not answers:
        out.outcome = (ROW_BLANK if reply and asked else NO_REPLY) if asked else NOT_ASKED
        return out
    out.file = reply.file
    out.cells = ", ".join(f"'{a.sheet}'!{a.cell}" for a in answers.values())
    out.decision, out.revised, out.reason, out.evidence = (_text(answers.get(f)) for f in
                                                          (DECISION.id, REVISED, REASON.id, EVIDENCE.id))
    said = position(answers)
    if said.unclear:
        out.outcome = f"unclear ({said.unclear}): the self-assessed rating stands"
    elif said.revised is None:
        out.outcome = _not_revised(said.decision, out.revised)
    elif not counted:
        out.outcome = "not counted: no return of theirs is counted this round"
    elif said.revised == out.self_value:
        out.outcome = "kept (revised to the same rating)"
    else:
        revised[(partner, rated.key)] = out.counted = said.revised
        out.outcome = f"revised from {out.self_shown if out.self_shown is not None else 'no rating'} to {said.revised}"
    return out


def _not_revised(decision: str, typed: str) -> str:
    if decision == REVISE:
        return f"not revised: the revised rating '{typed}' is not on the scale"
    if decision:
        return "kept"
    return "replied without picking Keep or Revise: the self-assessed rating stands"


def _text(answer) -> str:
    return as_text(answer.text) if answer is not None else ""
