"""Consolidation: accepted answers in, the tables and facts a manager reads out. Nothing is written.

One pass over the stored answers, return by return, gives the ratings by item and partner;
one pass over the stored actions gives the action counts. Whether partners agree is judged
by :mod:`sheetkit.consolidate.agreement`. The long tables (evidence, responses, actions) stay in the
answer store and are streamed from it when the workbook is written.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from .agreement import APART, Agreement, AgreementRule, judge
from sheetkit.framework.model import Framework, ResponseField, Scale
from sheetkit.framework.model import rated_things
from sheetkit.roster.respondents import Respondent
from sheetkit.common.text import normalise_name
from .plan import Comparisons, PlanEntry, plan_of
from .spool import AnswerSpool
from sheetkit.framework.keys import AnswerKey
from sheetkit.returns.model import CARRIED, OK

TOP = 5  # how many gaps and disagreements the Dashboard lists


@dataclass
class RatingRow:
    """One rated thing (an item's or a section's rating field) across partners."""

    level: str  # 'item' or 'section'
    section_id: str
    owner_id: str
    caption: str
    field: ResponseField
    values: dict[str, int] = field(default_factory=dict)  # partner -> level value
    flagged: dict[str, str] = field(default_factory=dict)  # partner -> kept but unusable text
    carried: dict[str, str] = field(default_factory=dict)  # partner -> last round's, left as pre-filled, not confirmed
    agreement: Agreement = field(default_factory=Agreement)
    group_means: dict[str, float] = field(default_factory=dict)
    groups_differ: bool = False
    self_assessed: dict[str, int | None] = field(default_factory=dict)  # partner -> their rating before they revised it

    @property
    def key(self) -> str:
        """The rating's answer key ('item/7/rating')."""
        return AnswerKey.of(self.level, self.owner_id, self.field.id)

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def still_carried(self) -> dict[str, str]:
        """The carried ratings (left as last round pre-filled them) a partner did not revise after their
        feedback: a revised one is counted, and shown beside what it replaced (see `self_assessed`)."""
        return {p: v for p, v in self.carried.items() if p not in self.self_assessed}

    def stat(self, name: str) -> float | None:
        vals = list(self.values.values())
        if not vals:
            return None
        return {"mean": statistics.fmean, "median": statistics.median, "min": min, "max": max,
                "spread": lambda v: max(v) - min(v)}[name](vals)

    def ends_text(self) -> str:
        """Who sits at each end, with their ratings, e.g. 'Forum 1; others 7-8'."""
        a = self.agreement
        if a.kind == APART:
            return "; ".join(f"{name} {self.values[name]}, others {_range(self._others(name))}"
                             for name in a.apart)
        if not self.values:
            return ""
        return f"{', '.join(a.low)} {_range([self.values[p] for p in a.low])}; " \
               f"{', '.join(a.high)} {_range([self.values[p] for p in a.high])}"

    def _others(self, name: str) -> list[int]:
        return [v for p, v in self.values.items() if p != name]


def _range(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


@dataclass
class ActionCounts:
    """What the partners' actions add up to: each action a partner wrote counts once, wherever they wrote it
    (on the Action plan sheet or under an item), here and on every sheet that counts actions."""

    total: int = 0
    high: int = 0
    incomplete: int = 0  # without an owner or a usable due date
    by_item: Counter = field(default_factory=Counter)
    acted: set[tuple[str, str]] = field(default_factory=set)  # (partner, item)
    partners: int = 0  # how many partners listed any
    used: set[str] = field(default_factory=set)  # the action-plan columns any action gives a value in
    # the actions grouped, identical or near-identical as one: the entries in order, read from the answer
    # store each time the plan is gone through
    plan: Iterable[PlanEntry] = ()
    distinct: int = 0  # how many different actions the plan holds
    first: list[PlanEntry] = field(default_factory=list)  # the plan's highest priority, soonest due


@dataclass
class Consolidation:
    framework: Framework
    respondents: list[str]  # partners whose returns are counted, in the order shown
    ratings: list[RatingRow]
    rule: AgreementRule
    actions: ActionCounts
    unactioned: list[tuple[str, str, str, int]]  # partner, section, item, rating
    section_means: dict[str, float | None]
    respondent_section_means: dict[str, dict[str, float | None]]
    store: AnswerSpool
    roster: list[Respondent] = field(default_factory=list)  # who was asked (empty: not known)
    groups: dict[str, str] = field(default_factory=dict)  # partner -> group
    chase: list[str] | None = None  # who is still to chase, as the exercise's rules decided; None: from roster

    def item_rows(self) -> list[RatingRow]:
        return [r for r in self.ratings if r.level == "item"]

    @property
    def scale(self) -> Scale | None:
        """The item rating scale, the one the headline figures are on."""
        rating = self.framework.item_rating_field()
        return self.framework.scale(rating.scale) if rating else None

    @property
    def missing(self) -> list[Respondent]:
        """Who was asked and has no counted return (the chase list, with contacts from the roster)."""
        if self.chase is None:
            counted = {normalise_name(name) for name in self.respondents}
            return [person for person in self.roster if person.key not in counted]
        known = {person.key: person for person in self.roster}
        return [known.get(normalise_name(name), Respondent(name)) for name in self.chase]

    @property
    def overall(self) -> float | None:
        """The mean of every item rating given (each rating counts once)."""
        values = [v for row in self.item_rows() for v in row.values.values()]
        return statistics.fmean(values) if values else None

    def ranked_sections(self) -> list[tuple[str, float]]:
        """(section id, mean), strongest first; sections nobody rated are left out."""
        rated = [(sid, mean) for sid, mean in self.section_means.items() if mean is not None]
        return sorted(rated, key=lambda pair: -pair[1])

    def gaps(self, top: int = TOP) -> list[RatingRow]:
        """The lowest-rated items (by mean), in framework order among equals."""
        rated = [r for r in self.item_rows() if r.count]
        return sorted(rated, key=lambda r: r.stat("mean"))[:top]

    def disagreements(self, top: int | None = TOP) -> list[RatingRow]:
        """Items the rule flags: splits first, then widest spread, in framework order among equals."""
        flagged = [r for r in self.item_rows() if r.agreement.flagged]
        ranked = sorted(flagged, key=lambda r: (r.agreement.kind != "split", -r.stat("spread")))
        return ranked if top is None else ranked[:top]

    def apart_counts(self) -> dict[str, int]:
        """Partner -> on how many items they alone sit apart, most first."""
        counts = Counter(name for r in self.item_rows() for name in r.agreement.apart)
        return dict(counts.most_common())

    def group_names(self) -> list[str]:
        return sorted(set(self.groups.values()))

    @property
    def revised(self) -> int:
        """How many ratings partners revised after their feedback (counted in place of their self-assessment)."""
        return sum(len(r.self_assessed) for r in self.ratings)


def consolidate(store: AnswerSpool, respondents: list[str], rule: AgreementRule | None = None,
                roster: Sequence[Respondent] = (), chase: list[str] | None = None,
                comparisons: Comparisons | None = None) -> Consolidation:
    """Compile the accepted answers in `store` into ratings, agreement, action counts and section means
    (the Action plan's texts compared, or recalled from `comparisons`)."""
    fw = store.layout.framework
    rule = rule or AgreementRule()
    ratings = _rating_rows(fw)
    by_key = {AnswerKey.of(r.level, r.owner_id, r.field.id): r for r in ratings}
    for respondent, key, value, text, status in store.values(by_key):
        row = by_key[key]
        if status == CARRIED:  # left as last round pre-filled it: shown, never counted
            row.carried[respondent] = text
        elif status == OK:
            row.values[respondent] = value
        else:
            row.flagged[respondent] = text
    groups = _groups(roster, respondents)
    _judge(fw, ratings, rule, groups)
    counts = _count_actions(store, fw, respondents, comparisons)
    section_means, respondent_means = _section_means(fw, ratings, respondents)
    return Consolidation(fw, respondents, ratings, rule, counts, _unactioned(fw, ratings, counts.acted),
                         section_means, respondent_means, store, list(roster), groups,
                         list(chase) if chase is not None and roster else None)


def with_revisions(con: Consolidation, revised: dict[tuple[str, str], int]) -> Consolidation:
    """The consolidation with ratings partners revised after their feedback counted in place of their
    self-assessed ones; `revised` maps (partner, rating key) to the revised level. Each row keeps the
    self-assessed ratings it replaced (in `self_assessed`), so both can be shown; agreement, section
    averages and low ratings are worked out again from the ratings now counted."""
    rows = []
    for row in con.ratings:
        new = replace(row, values=dict(row.values), flagged=dict(row.flagged), carried=dict(row.carried),
                      agreement=Agreement(), self_assessed={})
        for partner in con.respondents:
            if (partner, row.key) in revised:
                new.self_assessed[partner] = row.values.get(partner)
                new.values[partner] = revised[(partner, row.key)]
                new.flagged.pop(partner, None)
        rows.append(new)
    _judge(con.framework, rows, con.rule, con.groups)
    section_means, respondent_means = _section_means(con.framework, rows, con.respondents)
    return replace(con, ratings=rows, section_means=section_means, respondent_section_means=respondent_means,
                   unactioned=_unactioned(con.framework, rows, con.actions.acted))


def _judge(fw: Framework, ratings: list[RatingRow], rule: AgreementRule, groups: dict[str, str]) -> None:
    """Whether partners agree on each row, and whether groups differ."""
    for row in ratings:
        scale = fw.scale(row.field.scale)
        row.agreement = judge(row.values, scale, rule)
        row.group_means, row.groups_differ = _group_means(row.values, groups, rule.points(rule.apart, scale))


def _rating_rows(fw: Framework) -> list[RatingRow]:
    return [RatingRow(r.level, r.section_id, r.owner_id, r.caption, r.field) for r in rated_things(fw)]


def _groups(roster: Sequence[Respondent], respondents: list[str]) -> dict[str, str]:
    group_of = {person.key: person.group for person in roster if person.group}
    return {name: group_of[normalise_name(name)] for name in respondents if normalise_name(name) in group_of}


def _group_means(values: dict[str, int], groups: dict[str, str], gap: int) -> tuple[dict[str, float], bool]:
    by_group: dict[str, list[int]] = {}
    for person, value in values.items():
        if person in groups:
            by_group.setdefault(groups[person], []).append(value)
    means = {g: statistics.fmean(v) for g, v in sorted(by_group.items())}
    return means, len(means) > 1 and max(means.values()) - min(means.values()) >= gap


def _count_actions(store: AnswerSpool, fw: Framework, respondents: list[str],
                   comparisons: Comparisons | None = None) -> ActionCounts:
    counts = ActionCounts()
    listed = set()

    def seen(respondent, action) -> None:
        counts.total += 1
        counts.high += action.priority_rank == 0
        counts.incomplete += action.incomplete
        counts.by_item[action.item] += 1
        counts.acted.add((respondent, action.item))
        listed.add(respondent)
        counts.used.update(k for k, v in action.values.items() if v not in (None, ""))

    item_order = {item.id: n for n, (_, item) in enumerate(fw.items())}
    plan = store.plan_source()
    counts.first = plan_of(plan, item_order, {name: n for n, name in enumerate(respondents)}, TOP, seen, comparisons)
    counts.plan, counts.distinct = plan, plan.count()
    counts.partners = len(listed)
    return counts


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


def low_limit(scale: Scale) -> float:
    """Ratings at or below this are 'rated low': the lowest third of the scale."""
    return min(scale.values) + scale.span / 3


def _unactioned(fw: Framework, ratings: list[RatingRow], acted: set[tuple[str, str]]) -> list[tuple[str, str, str, int]]:
    """Items a partner rated low with no action listed for them."""
    out = []
    for row in ratings:
        if row.level != "item":
            continue
        limit = low_limit(fw.scale(row.field.scale))
        for person, value in row.values.items():
            if value <= limit and (person, row.owner_id) not in acted:
                out.append((person, row.section_id, row.owner_id, value))
    return out
