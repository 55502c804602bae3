"""What last round contributes to a respondent's workbook for the next round.

A follow-up workbook (see ``plan_workbook(framework, follow_up=True)``) shows, locked beside
each answer, what the respondent answered last round, and lists last round's actions first
on the Action plan (those not Done or Dropped), each marked in its locked 'From last round' cell (e.g. "2026 Q4 #3") and
asking what became of it. With ``prefill`` the answer cells start with last round's values,
for the respondent to confirm or change; otherwise they start blank.

This module only decides values (a :class:`~sheetkit.workbook.prefill.Carried`); the writer draws
them where the layout puts them. Last
round itself is read by :mod:`sheetkit.rounds.load`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sheetkit.common.text import as_text
from sheetkit.workbook.layout import ACTION_CLOSED, AnswerCell, WorkbookLayout
from sheetkit.workbook.prefill import Carried
from sheetkit.framework.keys import AnswerKey

if TYPE_CHECKING:
    from .model import PreviousAction, PreviousRespondent, PreviousRound

SHOWN_LIMIT = 300  # characters of a text answer shown in its Last round cell
NOT_COMPARABLE = "not comparable ({why})"



def carry_over(layout: WorkbookLayout, previous: PreviousRound, person: PreviousRespondent,
               prefill: bool = False) -> Carried:
    """What `person`'s answers and actions of last round put into their workbook of this round."""
    shown: dict[str, object] = {}
    values: dict[str, object] = {}
    for cell in layout.framework_answers + [a for sheet in layout.sections for a in sheet.answers]:
        why = previous.not_comparable.get(cell.item_id)
        if why:
            shown[cell.key] = NOT_COMPARABLE.format(why=why)
        elif person.answers.get(cell.key) not in (None, ""):
            value = person.answers[cell.key]
            shown[cell.key] = shown_value(cell, value, layout)
            typed = typed_value(cell, value, layout)
            if prefill and typed is not None:
                values[cell.key] = typed
    still_open = [a for a in person.actions if a.status not in ACTION_CLOSED]
    carried = Carried(previous.round, shown, values, len(still_open))
    choices = {choice.split(" ", 1)[0]: choice for choice in layout.criterion_choices()}  # id -> as the dropdown shows it
    for number, action in enumerate(still_open, start=1):
        values.update(_action_values(choices, number, action, carried, prefill))
    return carried


def shown_value(cell: AnswerCell, value, layout: WorkbookLayout):
    """A previous value as its Last round cell shows it: a rating's level, a date, text clipped."""
    typed = typed_value(cell, value, layout)
    if isinstance(typed, dt.date):
        return typed
    text = " ".join(as_text(typed if typed is not None else value).split())
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1].rsplit(" ", 1)[0] + "\u2026"


def typed_value(cell: AnswerCell, value, layout: WorkbookLayout):
    """A previous value as the respondent would have typed or picked it this round (None: it cannot be).

    A rating comes back as its level's number and is given as that level's dropdown entry;
    a rating that is no level of this round's scale is not typed in for the respondent.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if cell.field.type == "date":
        return None  # text left in a date cell last round: shown, not typed in again
    if cell.field.type == "rating":
        levels = layout.framework.scale(cell.field.scale).levels
        number = value if isinstance(value, (int, float)) else _number(value)
        return next((lv.choice for lv in levels if number is not None and lv.value == number), None)
    return as_text(value) if value is not None else None


def _number(text) -> float | None:
    try:
        return float(str(text).split(" ", 1)[0])
    except ValueError:
        return None


def _action_values(choices: dict[str, str], number: int, action: PreviousAction, carried: Carried,
                   prefill: bool) -> dict[str, object]:
    """Row `number` of the Action plan: last round's action, and with `prefill` its last status."""
    values = {"carried": carried.carried_label(action.number),
              "criterion": choices.get(action.criterion, action.criterion), "action": action.action,
              "owner": action.owner, "due": action.due, "priority": action.priority,
              "status": action.status if prefill else None}
    return {AnswerKey.action(number, field_id): value for field_id, value in values.items() if value not in (None, "")}
