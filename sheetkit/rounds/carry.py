"""What last round contributes to a respondent's workbook for the next round.

A follow-up workbook (see ``plan_workbook(framework, follow_up=True)``) shows, locked beside
each answer, what the respondent answered last round, and lists last round's actions first
on the Action plan (those not Done or Dropped, whether written on the Action plan or under an item), each
marked in its locked 'From last round' cell ("2026 Q4 #3" for row 3 of last round's Action plan, "2026 Q4
Standard 4" for the action written under standard 4) and asking what became of it. With ``prefill`` the answer cells start with last round's values,
for the respondent to confirm or change; otherwise they start blank.

This module only decides values (a :class:`~sheetkit.workbook.prefill.Carried`); the writer draws
them where the layout puts them. Last
round itself is read by :mod:`sheetkit.rounds.load`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sheetkit.common.text import as_text
from sheetkit.workbook.layout import AnswerCell, WorkbookLayout
from sheetkit.framework.model import ACTION_CLOSED
from sheetkit.workbook.prefill import Carried
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.action_plan import CARRIED
from sheetkit.framework.fields import prefill_value

if TYPE_CHECKING:
    from .model import PreviousAction, PreviousRespondent, PreviousRound

SHOWN_LIMIT = 300  # characters of a text answer shown in its Last round cell
NOT_COMPARABLE = "not comparable ({why})"
AGREED = "agreed last round:"



def carry_over(layout: WorkbookLayout, previous: PreviousRound, person: PreviousRespondent,
               prefill: bool = False) -> Carried:
    """What `person`'s answers and actions of last round put into their workbook of this round."""
    shown: dict[str, object] = {}
    values: dict[str, object] = {}
    settled = person.settled()
    for cell in layout.framework_answers + [a for sheet in layout.sections for a in sheet.answers]:
        why = previous.not_comparable.get(cell.item_id)
        if why:
            shown[cell.key] = NOT_COMPARABLE.format(why=why)
        elif settled.get(cell.key) not in (None, ""):
            shown[cell.key] = _shown_settled(cell, person, layout)
            typed = prefill_value(settled[cell.key], cell.field, layout.framework)
            if prefill and typed is not None:
                values[cell.key] = typed
    still_open = [a for a in person.actions if a.status not in ACTION_CLOSED]
    carried = Carried(previous.round, shown, values, len(still_open))
    for number, action in enumerate(still_open, start=1):
        values.update(_action_values(layout, number, action, carried, prefill))
    return carried


def shown_value(cell: AnswerCell, value, layout: WorkbookLayout):
    """A previous value as its Last round cell shows it: a rating's level, a date, text clipped."""
    typed = prefill_value(value, cell.field, layout.framework)
    if isinstance(typed, dt.date):
        return typed
    text = " ".join(as_text(typed if typed is not None else value).split())
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1].rsplit(" ", 1)[0] + "\u2026"



def _shown_settled(cell: AnswerCell, person: PreviousRespondent, layout: WorkbookLayout):
    """Last round's answer as shown, and for a rating settled after the round, how: 'agreed last round'."""
    value = person.answers.get(cell.key)
    shown = shown_value(cell, value, layout) if value not in (None, "") else ""
    if cell.key not in person.revised and cell.key not in person.agreed:
        return shown
    words = [str(shown or "no rating")]
    if cell.key in person.revised:
        words.append(f"revised after feedback to {shown_value(cell, person.revised[cell.key], layout)}")
    agreed = person.agreed.get(cell.key)
    if agreed is not None:
        rating = shown_value(cell, agreed.rating, layout) if agreed.rating is not None else ""
        words.append(" ".join(w for w in (f"{AGREED} {rating}".strip(), f"({agreed.position})" if agreed.position
                                          else "") if w))
    text = "; ".join(words)
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1].rsplit(" ", 1)[0] + "\u2026"


def _action_values(layout: WorkbookLayout, number: int, action: PreviousAction, carried: Carried,
                   prefill: bool) -> dict[str, object]:
    """Row `number` of the Action plan: which of last round's actions it follows up, and that action's values
    in the columns carried (typed as the respondent would type or pick them)."""
    fw = layout.framework
    values = {CARRIED: carried.carried_label(action.where)}
    for column in fw.action_columns:
        if column.carried(prefill) and action.get(column.id) not in (None, ""):
            values[column.id] = prefill_value(action.get(column.id), fw.action_field(column.id), fw)
    return {AnswerKey.action(number, column_id): value for column_id, value in values.items()
            if value not in (None, "")}
