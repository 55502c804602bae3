"""The rules of a partner's reply to their feedback, beyond each cell's own: on each row, the choice (Keep or
Revise) and the revised rating must agree, and a revision should say why.

:func:`position` is the one reading of a row, used here to report and by the moderation
(:mod:`sheetkit.consolidate.moderation`) to decide which rating counts: a revised rating counts only
when Revise is picked beside it; anything less clear leaves the self-assessed rating standing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sheetkit.common.findings import Finding
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import REPLY_DECISIONS
from sheetkit.workbook.reply import DECISION, REASON, REVISED, ReplyLayout
from .model import Answer, CheckedReturn

KEEP, REVISE = REPLY_DECISIONS


@dataclass(frozen=True)
class Position:
    """What one row of a reply says about one rating."""

    decision: str  # KEEP, REVISE, or '' when none was picked (or what was typed is not a choice)
    revised: int | None  # the revised rating when it counts: REVISE picked beside a rating on the scale
    unclear: str  # why the choice and the revised rating disagree, in words; '' when they agree
    answered: bool  # whether anything was typed on the row


def position(row: dict[str, Answer]) -> Position:
    """The position a row of answers (by field id) takes."""
    chosen, rating = row.get(DECISION.id), row.get(REVISED)
    decision = chosen.value if chosen is not None and chosen.usable else ""
    given = rating is not None and rating.usable
    unclear = ""
    if decision == REVISE and rating is None:
        unclear = "Revise is picked but no revised rating is given"
    elif decision == KEEP and rating is not None:
        unclear = f"Keep is picked but a revised rating of '{rating.text}' is given"
    elif not decision and given:
        unclear = f"a revised rating of '{rating.text}' is given but neither Keep nor Revise is picked"
    revised = rating.value if decision == REVISE and given else None
    return Position(decision, revised, unclear, bool(row))


def reply_rows(checked: CheckedReturn) -> dict[str, dict[str, Answer]]:
    """A reply's answers by the rating they are about ('item/7/rating'), then by field id."""
    rows: dict[str, dict[str, Answer]] = {}
    for answer in checked.answers:
        key = AnswerKey.parse(answer.key)
        if key.level == "reply":
            rows.setdefault(key.rated, {})[key.field] = answer
    return rows


def check_reply(checked: CheckedReturn, layout: ReplyLayout) -> None:
    """Report rows whose choice and revised rating disagree, and revisions with no reason."""
    rows = reply_rows(checked)
    for rated in layout.asked:
        row = rows.get(rated.key, {})
        said = position(row)
        where = row.get(REVISED) or row.get(DECISION.id)
        if said.unclear:
            checked.findings.append(Finding(
                "reply-unclear", f"for {rated.caption} (Ref {rated.ref}), {said.unclear}, so the self-assessed rating "
                f"stands until the partner says which they meant", file=checked.file, sheet=where.sheet,
                cell=where.cell))
        elif said.revised is not None and not _text(row.get(REASON.id)):
            checked.findings.append(Finding(
                "revision-without-reason", f"the rating for {rated.caption} (Ref {rated.ref}) is revised to "
                f"{said.revised} with nothing under '{REASON.label}'", file=checked.file, sheet=where.sheet,
                cell=where.cell))


def _text(answer: Answer | None) -> str:
    return answer.text.strip() if answer is not None else ""
