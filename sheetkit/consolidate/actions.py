"""Action-plan entries: what one return says it will do, from its answers.

An action comes either from a row of the respondent's Action plan sheet (the criterion it
addresses, the action, owner, due date, priority...) or from an item's own action questions;
either way it is one action, with a value for each of the action plan's columns
(:mod:`sheetkit.framework.action_plan`): an item's field fills the column whose role it plays
(see docs/framework-format.md), an Action plan row's cell the column it sits in. This module
turns one return's answers into entries; it reads and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from sheetkit.framework.action_plan import ColumnValues, column_for_role
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import PRIORITIES, Framework
from sheetkit.returns.model import Answer, answer_from_row, answer_orders
from sheetkit.workbook.layout import WorkbookLayout

# Answer levels whose answers can make up an action.
ACTION_LEVELS = ("action", "item")
_NOT_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class Action(ColumnValues):
    """One action from one return: its item, and its value in each action-plan column (by column id;
    a due date is a date, or the text typed when it is not one)."""

    section: str
    item: str
    values: Mapping[str, object] = field(default_factory=dict)
    source: str = ""  # where the respondent wrote it: 'Action plan row 3', 'Standard 4'
    flagged: str = ""  # values kept as typed but unusable, e.g. "due date 'n/a'"

    @property
    def due(self) -> dt.date | str:
        return self.get("due")

    @property
    def priority_rank(self) -> int:
        """High first, then Medium, Low, and anything else last."""
        return PRIORITIES.index(self.priority) if self.priority in PRIORITIES else len(PRIORITIES)

    @property
    def incomplete(self) -> bool:
        """No owner, or no usable due date."""
        return not self.owner or not isinstance(self.due, dt.date)

    @property
    def key(self) -> str:
        """The action's words as compared with other partners' (see action_key)."""
        return action_key(self.action)


def action_key(text: str) -> str:
    """An action's words with case, spacing and punctuation set aside: 'Agree shared outcome measures with
    the ICB.' and 'agree shared  outcome measures with the ICB' are the same action."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def actions_of(fw: Framework, answers: Iterable[Answer]) -> list[Action]:
    """Every action one return lists, in the order of its answers."""
    groups: dict[tuple[str, str], dict[str, Answer]] = {}
    for answer in answers:
        key = AnswerKey.parse(answer.key)
        if key.level in ACTION_LEVELS and answer.field.type != "rating":
            groups.setdefault((key.level, key.owner), {})[key.field] = answer
    section_of = {item.id: section.id for section, item in fw.items()}
    item_of = {st.id: item.id for _, item, st in fw.statements()}
    out = []
    for (level, owner), group in groups.items():
        by_column = _by_column(fw, level, group)
        action = by_column.get("action")
        if action is None:
            continue
        if level == "action":
            criterion = by_column.get("criterion")
            item = item_of.get(criterion.text, criterion.text) if criterion else ""
            source = f"Action plan row {owner}"
        else:
            item, source = owner, f"{fw.labels['item']} {owner}"
        values = {cid: (a.value if a.usable else a.text) for cid, a in by_column.items()}
        values.setdefault("criterion", item)  # an item's own action addresses the item
        flagged = [f"{a.field.label.lower()} '{a.text}'" for a in by_column.values() if not a.usable]
        out.append(Action(section_of.get(item, ""), item, values, source, "; ".join(flagged)))
    return out


def _by_column(fw: Framework, level: str, group: dict[str, Answer]) -> dict[str, Answer]:
    """A group's answers by action-plan column: an Action plan row's by the column they sit in, an item's by
    the column whose role its field plays (the first field with each role, as declared)."""
    if level == "action":
        return dict(group)
    out: dict[str, Answer] = {}
    for answer in group.values():
        column = column_for_role(fw.action_columns, answer.field.role)
        if column is not None:
            out.setdefault(column.id, answer)
    return out


def action_rows(layout: WorkbookLayout, actions: list[Action]) -> list[tuple]:
    """One return's actions as the answer store keeps them (without the return's number): the sort keys
    (seq, section, item, priority rank, due date to sort by), then the section, item, where it was written,
    the values not counted, the value in each action-plan column (see encode_values), the action's words
    as compared with other partners' (its key, by which the plan groups it) and its owner (as the Action
    counts sheet counts them)."""
    _, item_order, section_order = answer_orders(layout)
    rows = []
    for seq, a in enumerate(actions):
        day = a.due.isoformat() if isinstance(a.due, dt.date) else "9999-12-31"
        rows.append((seq, section_order.get(a.section, len(section_order)), item_order.get(a.item, len(item_order)),
                     a.priority_rank, day, a.section, a.item, a.source, a.flagged, encode_values(a.values), a.key,
                     a.owner))
    return rows


def actions_of_rows(layout: WorkbookLayout, rows: Iterable[tuple]) -> list[tuple]:
    """The actions one return's stored answer rows list, as :func:`action_rows` keeps them."""
    answers = [answer_from_row(layout, *row[2:9]) for row in rows if AnswerKey.level_of(row[2]) in ACTION_LEVELS]
    return action_rows(layout, actions_of(layout.framework, answers))


def encode_values(values: Mapping[str, object]) -> str:
    """An action's values as JSON: dates as {"date": "2027-01-31"}, so they come back as dates."""
    return json.dumps({k: {"date": v.isoformat()} if isinstance(v, dt.date) else v for k, v in values.items()},
                      ensure_ascii=False, separators=(",", ":"))


def decode_values(text: str) -> dict[str, object]:
    """The values encode_values kept."""
    return {k: dt.date.fromisoformat(v["date"]) if isinstance(v, dict) else v for k, v in json.loads(text).items()}
