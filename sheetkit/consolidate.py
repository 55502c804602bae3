"""Consolidation: accepted answers in, the tables a manager reads out. No files are touched.

One pass over the answers, return by return, gives the ratings by item and respondent and
the action plan; the long tables (evidence, responses) are streamed from the answer store
when the workbook is written, so memory does not grow with the number of returns.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from itertools import groupby
from typing import Iterable

from .framework import PRIORITIES, Framework, ResponseField
from .layout import item_caption
from .spool import AnswerSpool
from .validate import Answer


@dataclass
class RatingRow:
    """One rated thing (an item's or a section's rating field) across respondents."""

    level: str  # 'item' or 'section'
    section_id: str
    owner_id: str
    caption: str
    field: ResponseField
    values: dict[str, int] = field(default_factory=dict)  # respondent -> level value
    flagged: dict[str, str] = field(default_factory=dict)  # respondent -> kept but unusable text

    @property
    def count(self) -> int:
        return len(self.values)

    def stat(self, name: str) -> float | None:
        vals = list(self.values.values())
        if not vals:
            return None
        return {"mean": statistics.fmean, "median": statistics.median, "min": min, "max": max,
                "spread": lambda v: max(v) - min(v)}[name](vals)

    def ends(self) -> tuple[list[str], list[str]]:
        """Respondents at the lowest and at the highest rating."""
        if not self.values:
            return [], []
        low, high = min(self.values.values()), max(self.values.values())
        return ([r for r, v in self.values.items() if v == low], [r for r, v in self.values.items() if v == high])


@dataclass
class Consolidation:
    framework: Framework
    respondents: list[str]
    ratings: list[RatingRow]
    divergence_threshold: float
    unactioned: list[tuple[str, str, str, int]]  # respondent, section, item, rating
    section_means: dict[str, float | None]
    respondent_section_means: dict[str, dict[str, float | None]]
    store: AnswerSpool

    def divergent(self, row: RatingRow) -> bool:
        spread = row.stat("spread")
        scale = self.framework.scale(row.field.scale)
        return spread is not None and row.count > 1 and spread >= self.divergence_threshold * scale.span

    def item_rows(self) -> list[RatingRow]:
        return [r for r in self.ratings if r.level == "item"]


def consolidate(store: AnswerSpool, respondents: list[str], divergence: float = 0.5) -> Consolidation:
    """Compile the accepted answers in `store` into ratings and the action plan."""
    fw = store.layout.framework
    ratings = _rating_rows(fw)
    by_key = {(r.level, r.owner_id, r.field.id): r for r in ratings}
    acted: set[tuple[str, str]] = set()
    position = {name: n for n, name in enumerate(respondents)}
    for respondent, answers in groupby(store.by_return(summary_only=True), key=lambda pair: pair[0]):
        groups: dict[str, dict[str, Answer]] = {}
        for _, answer in answers:
            level, owner, field_id = answer.key.split("/", 2)
            row = by_key.get((level, owner, field_id))
            if row is not None:
                if answer.usable:
                    row.values[respondent] = answer.value
                else:
                    row.flagged[respondent] = answer.text
            elif level in ("action", "item"):
                groups.setdefault(f"{level}/{owner}", {})[field_id] = answer
        for action in _actions(fw, respondent, groups):
            acted.add((respondent, action["item"]))
            rank = {p: n for n, p in enumerate(PRIORITIES)}.get(action["priority"], len(PRIORITIES))
            store.add_action(position[respondent], rank, action)
    section_means, respondent_means = _section_means(fw, ratings, respondents)
    return Consolidation(fw, respondents, ratings, divergence, _unactioned(fw, ratings, acted), section_means,
                         respondent_means, store)


def _rating_rows(fw: Framework) -> list[RatingRow]:
    rows = []
    for section in fw.sections:
        for item in section.items:
            for f in fw.fields("item"):
                if f.type == "rating":
                    rows.append(RatingRow("item", section.id, item.id, item_caption(item), f))
        for f in fw.fields("section"):
            if f.type == "rating":
                rows.append(RatingRow("section", section.id, section.id, f"{section.title}: {f.label}", f))
    return rows


def _actions(fw: Framework, respondent: str, groups: dict[str, dict[str, Answer]]) -> Iterable[dict]:
    section_of = {item.id: section.id for section, item in fw.items()}
    item_of = {st.id: item.id for _, item, st in fw.statements()}
    for key, answers in groups.items():
        level, owner = key.split("/", 1)
        by_role: dict[str, Answer] = {}
        for answer in answers.values():
            by_role.setdefault(answer.field.role, answer)  # the first field with a role, as declared
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
        yield {
            "respondent": respondent,
            "section": section_of.get(item, ""),
            "item": item,
            "action": action.text,
            "owner": _text(by_role.get("owner")),
            "due": due.value if due is not None and due.usable else (due.text if due else ""),
            **{role: _text(by_role.get(role)) for role in ("priority", "resources", "measure", "status")},
            "source": source,
        }


def _text(answer: Answer | None) -> str:
    return answer.text if answer is not None else ""


def _section_means(fw: Framework, ratings: list[RatingRow], respondents: list[str]):
    overall, per_respondent = {}, {r: {} for r in respondents}
    for section in fw.sections:
        rows = [r for r in ratings if r.level == "item" and r.section_id == section.id]
        values = [v for r in rows for v in r.values.values()]
        overall[section.id] = statistics.fmean(values) if values else None
        for person in respondents:
            mine = [r.values[person] for r in rows if person in r.values]
            per_respondent[person][section.id] = statistics.fmean(mine) if mine else None
    return overall, per_respondent


def _unactioned(fw: Framework, ratings: list[RatingRow], acted: set[tuple[str, str]]) -> list[tuple[str, str, str, int]]:
    """Items a respondent rated in the lowest third of the scale with no action listed for them."""
    out = []
    for row in ratings:
        if row.level != "item":
            continue
        scale = fw.scale(row.field.scale)
        low_limit = min(scale.values) + scale.span / 3
        for person, value in row.values.items():
            if value <= low_limit and (person, row.owner_id) not in acted:
                out.append((person, row.section_id, row.owner_id, value))
    return out

