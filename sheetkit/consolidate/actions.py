"""Action-plan entries: what one return says it will do, from its answers.

An action comes either from a row of the respondent's Action plan sheet (the criterion it
addresses, the action, owner, due date, priority...) or from an item's own action fields;
each part is found by its field's role (see docs/framework-format.md), not by its id.
This module turns one return's answers into entries; it reads and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Iterable

from sheetkit.framework.model import PRIORITIES, Framework
from sheetkit.returns.model import Answer, answer_from_row, answer_orders
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.framework.keys import AnswerKey

# Answer levels whose answers can make up an action.
ACTION_LEVELS = ("action", "item")


@dataclass(frozen=True)
class Action:
    """One action from one return; `due` is a date, or the text typed when it is not one."""

    section: str
    item: str
    action: str
    owner: str = ""
    due: dt.date | str = ""
    priority: str = ""
    resources: str = ""
    measure: str = ""
    status: str = ""
    source: str = ""
    flagged: str = ""  # values kept as typed but unusable, e.g. "due date 'n/a'"

    @property
    def priority_rank(self) -> int:
        """High first, then Medium, Low, and anything else last."""
        return PRIORITIES.index(self.priority) if self.priority in PRIORITIES else len(PRIORITIES)

    @property
    def incomplete(self) -> bool:
        """No owner, or no usable due date."""
        return not self.owner or not isinstance(self.due, dt.date)


ACTION_COLUMNS = tuple(f.name for f in fields(Action))


def actions_of(fw: Framework, answers: Iterable[Answer]) -> list[Action]:
    """Every action one return lists, in the order of its answers."""
    groups: dict[tuple[str, str], dict[str, Answer]] = {}
    for answer in answers:
        level, owner, field_id = AnswerKey.parse(answer.key).parts
        if level in ACTION_LEVELS and answer.field.type != "rating":
            groups.setdefault((level, owner), {})[field_id] = answer
    section_of = {item.id: section.id for section, item in fw.items()}
    item_of = {st.id: item.id for _, item, st in fw.statements()}
    out = []
    for (level, owner), group in groups.items():
        by_role: dict[str, Answer] = {}
        for answer in group.values():
            by_role.setdefault(answer.field.role, answer)  # the first field with each role, as declared
        action = by_role.get("action")
        if action is None:
            continue
        if level == "action":
            criterion = by_role.get("criterion")
            item = item_of.get(criterion.text, criterion.text) if criterion else ""
            source = f"Action plan row {owner}"
        else:
            item, source = owner, f"{fw.labels['item']} {owner}"
        due = by_role.get("due")
        flagged = [f"{a.field.label.lower()} '{a.text}'" for a in group.values() if not a.usable]
        out.append(Action(
            section=section_of.get(item, ""), item=item, action=action.text, owner=_text(by_role.get("owner")),
            due=(due.value if due.usable else due.text) if due is not None else "",
            priority=_text(by_role.get("priority")), resources=_text(by_role.get("resources")),
            measure=_text(by_role.get("measure")), status=_text(by_role.get("status")), source=source,
            flagged="; ".join(flagged)))
    return out


def _text(answer: Answer | None) -> str:
    return answer.text if answer is not None else ""


def action_rows(layout: WorkbookLayout, actions: list[Action]) -> list[tuple]:
    """One return's actions as the answer store keeps them (without the return's number): the sort keys
    (seq, section, item, priority rank, due date to sort by, due day), then every field of the action."""
    _, item_order, section_order = answer_orders(layout)
    rows = []
    for seq, a in enumerate(actions):
        day = a.due.isoformat() if isinstance(a.due, dt.date) else None
        rows.append((seq, section_order.get(a.section, len(section_order)),
                     item_order.get(a.item, len(item_order)), a.priority_rank, day or "9999-12-31", day,
                     *(getattr(a, name) if name != "due" else (None if day else a.due) for name in ACTION_COLUMNS)))
    return rows


def action_from_row(day: str | None, values) -> Action:
    """The action a stored row stands for: its due day (ISO, or None) and its fields in ACTION_COLUMNS order."""
    action = dict(zip(ACTION_COLUMNS, values))
    action["due"] = dt.date.fromisoformat(day) if day else (action["due"] or "")
    return Action(**action)


def actions_of_rows(layout: WorkbookLayout, rows: Iterable[tuple]) -> list[tuple]:
    """The actions one return's stored answer rows list, as :func:`action_rows` keeps them."""
    answers = [answer_from_row(layout, *row[2:9]) for row in rows if AnswerKey.level_of(row[2]) in ACTION_LEVELS]
    return action_rows(layout, actions_of(layout.framework, answers))
