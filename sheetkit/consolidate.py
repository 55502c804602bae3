"""Consolidation: accepted returns in, the tables a manager reads out. No files are touched."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from .framework import PRIORITIES, Framework, ResponseField
from .layout import WorkbookLayout, item_caption
from .validate import Answer, CheckedReturn

ACTION_COLUMNS = ("respondent", "section", "item", "action", "owner", "due", "priority", "resources",
                  "measure", "status", "source")


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
    actions: list[dict]
    unactioned: list[tuple[str, str, str, int]]  # respondent, section, item, rating
    evidence: list[tuple[str, str, str, str, str]]  # item id, respondent, field, text, where
    section_means: dict[str, float | None]
    respondent_section_means: dict[str, dict[str, float | None]]

    def divergent(self, row: RatingRow) -> bool:
        spread = row.stat("spread")
        scale = self.framework.scale(row.field.scale)
        return spread is not None and row.count > 1 and spread >= self.divergence_threshold * scale.span

    def item_rows(self) -> list[RatingRow]:
        return [r for r in self.ratings if r.level == "item"]

    def section_rows(self) -> list[RatingRow]:
        return [r for r in self.ratings if r.level == "section"]


def consolidate(layout: WorkbookLayout, returns: list[CheckedReturn], divergence: float = 0.5) -> Consolidation:
    """Compile accepted returns into ratings, actions and evidence tables."""
    fw = layout.framework
    respondents = [r.respondent for r in returns]
    ratings = _rating_rows(fw)
    by_key = {(r.level, r.owner_id, r.field.id): r for r in ratings}
    actions, evidence = [], []
    for ret in returns:
        rows: dict[str, dict] = {}
        for answer in ret.answers:
            level, owner, field_id = answer.key.split("/", 2)
            if answer.field.type == "rating" and (level, owner, field_id) in by_key:
                row = by_key[(level, owner, field_id)]
                if answer.usable:
                    row.values[ret.respondent] = answer.value
                else:
                    row.flagged[ret.respondent] = answer.text
            if level in ("action", "item") and answer.field.type != "rating":
                rows.setdefault(f"{level}/{owner}", {})[field_id] = answer
            if answer.field.type == "text" and level != "action":
                evidence.append((answer.item_id or answer.section_id, ret.respondent, answer.field.label,
                                 answer.text, f"{answer.sheet}!{answer.cell}"))
        actions += _actions(fw, ret.respondent, rows)
    actions.sort(key=_action_order)
    section_means, respondent_means = _section_means(fw, ratings, respondents)
    unactioned = _unactioned(fw, ratings, actions)
    order = {item.id: n for n, (_, item) in enumerate(fw.items())}
    evidence.sort(key=lambda e: (order.get(e[0], -1), respondents.index(e[1]) if e[1] in respondents else 0))
    return Consolidation(fw, respondents, ratings, divergence, actions, unactioned, evidence, section_means,
                         respondent_means)


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


def _actions(fw: Framework, respondent: str, rows: dict[str, dict]) -> list[dict]:
    section_of = {item.id: section.id for section, item in fw.items()}
    item_of = {st.id: item.id for _, item, st in fw.statements()}
    out = []
    for key, answers in rows.items():
        level, owner = key.split("/", 1)
        action = answers.get("action") or answers.get("actions")
        if action is None:
            continue
        if level == "action":
            criterion = answers.get("criterion")
            item = item_of.get(criterion.text, criterion.text) if criterion else ""
            source = f"Action plan row {owner}"
        else:
            item, source = owner, f"{fw.labels['item']} {owner}"
        due = next((a for a in answers.values() if a.field.type == "date"), None)
        out.append({
            "respondent": respondent,
            "section": section_of.get(item, ""),
            "item": item,
            "action": action.text,
            "owner": _text(next((a for a in answers.values() if a.field.type == "person"), None)),
            "due": due.value if due is not None and due.usable else (due.text if due else ""),
            "priority": _text(answers.get("priority")),
            "resources": _text(answers.get("resources")),
            "measure": _text(answers.get("measure")),
            "status": _text(answers.get("status")),
            "source": source,
        })
    return out


def _text(answer: Answer | None) -> str:
    return answer.text if answer is not None else ""


def _action_order(action: dict):
    rank = {p: n for n, p in enumerate(PRIORITIES)}
    due = action["due"] if isinstance(action["due"], dt.date) else dt.date.max
    return rank.get(action["priority"], len(PRIORITIES)), due, action["respondent"]


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


def _unactioned(fw: Framework, ratings: list[RatingRow], actions: list[dict]) -> list[tuple[str, str, str, int]]:
    """Items a respondent rated in the lowest third of the scale with no action listed for them."""
    acted = {(a["respondent"], a["item"]) for a in actions}
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
