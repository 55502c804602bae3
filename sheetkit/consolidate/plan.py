"""The plan a manager reads: every partner's actions, with identical and near-identical ones grouped.

Eight partners writing "Agree shared outcome measures with the ICB" make one entry of the
plan, proposed by eight, addressing the items each of them named, owned by whoever they said,
due by the earliest date given, at the highest priority given. Actions are the same when their
words are, once case, spacing and punctuation are set aside (:func:`actions.action_key`), and
near-identical when they differ by a slip or two: the same words apart from small ones ("the",
"with"...), or, for texts long enough for it to mean something, at least NEAR of their
characters in the same order (difflib's ratio). Texts are compared only with their neighbours
in two sortings (by words as written and by words in alphabetical order), so grouping stays
close to linear in the number of distinct texts; difflib is the standard library's and does
this well enough that no other dependency is needed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Iterable

from sheetkit.framework.model import PRIORITIES
from .actions import Action

NEAR = 0.92  # difflib ratio from which two long texts are one action written twice
LONG_ENOUGH = 24  # characters: shorter texts ("Train staff", "Train stuff") must match word for word
WINDOW = 6  # neighbours compared in each sorting
SMALL_WORDS = frozenset("a an and the of to for with in on by our we will be".split())


@dataclass
class PlanEntry:
    """One action of the plan, and everything the partners who proposed it said about it."""

    text: str  # as most of them wrote it
    proposals: int = 0
    partners: list[str] = field(default_factory=list)  # in the order partners are shown
    items: list[str] = field(default_factory=list)  # the items it addresses, in framework order
    sections: list[str] = field(default_factory=list)
    owners: Counter = field(default_factory=Counter)
    due: dt.date | None = None  # the earliest due date given
    unusable_due: list[str] = field(default_factory=list)  # due dates typed that are not dates ('n/a')
    priority: str = ""  # the highest priority given
    values: dict[str, Counter] = field(default_factory=dict)  # another column -> the values given, how often
    texts: Counter = field(default_factory=Counter)  # each wording, how often

    @property
    def priority_rank(self) -> int:
        return PRIORITIES.index(self.priority) if self.priority in PRIORITIES else len(PRIORITIES)

    def owner_text(self) -> str:
        """Every owner named, the most named first: 'Head of Commissioning (3); Quality Lead'."""
        return _counted(self.owners)

    def column_text(self, column_id: str) -> str:
        return _counted(self.values.get(column_id, Counter()))

    def due_text(self) -> str:
        """What the plan says about when: nothing, the earliest date, or the texts typed that are not dates."""
        return "; ".join(f"'{text}'" for text in self.unusable_due)


# Columns the plan shows in its own way (the rest are listed, each value with how often it was given).
OWN_WAY = ("criterion", "action", "owner", "due", "priority")


def build_plan(actions: Iterable[tuple[str, Action]], item_order: dict[str, int],
               partner_order: dict[str, int]) -> list[PlanEntry]:
    """The plan: `actions` ((partner, action) pairs) grouped, each entry in the order of the first item it
    addresses, then highest priority, then soonest due."""
    by_key: dict[str, PlanEntry] = {}
    for partner, action in actions:
        entry = by_key.setdefault(action.key, PlanEntry(action.action))
        _add(entry, partner, action)
    merged = _merge_near(by_key)
    for entry in merged:
        entry.text = max(entry.texts.items(), key=lambda kv: kv[1])[0]  # most often written; first seen on a tie
        entry.partners.sort(key=lambda p: partner_order.get(p, len(partner_order)))
        entry.items.sort(key=lambda i: item_order.get(i, len(item_order)))
    return sorted(merged, key=lambda e: (item_order.get(e.items[0], len(item_order)) if e.items else len(item_order),
                                        e.priority_rank, e.due or dt.date.max))


def first_actions(plan: list[PlanEntry], top: int) -> list[PlanEntry]:
    """The entries to start with: highest priority, soonest due, then the most partners behind them."""
    return sorted(plan, key=lambda e: (e.priority_rank, e.due or dt.date.max, -len(e.partners)))[:top]


def _add(entry: PlanEntry, partner: str, action: Action) -> None:
    entry.proposals += 1
    entry.texts[action.action] += 1
    if partner not in entry.partners:
        entry.partners.append(partner)
    if action.item and action.item not in entry.items:
        entry.items.append(action.item)
        if action.section and action.section not in entry.sections:
            entry.sections.append(action.section)
    if action.owner:
        entry.owners[action.owner] += 1
    if isinstance(action.due, dt.date):
        entry.due = min(entry.due or action.due, action.due)
    elif action.due:
        entry.unusable_due.append(str(action.due))
    if action.priority_rank < entry.priority_rank:
        entry.priority = action.priority
    for column_id, value in action.values.items():
        if column_id not in OWN_WAY and value not in (None, ""):
            entry.values.setdefault(column_id, Counter())[_shown(value)] += 1


def _shown(value) -> str:
    return value.strftime("%d %b %Y") if isinstance(value, dt.date) else str(value)


def _counted(counts: Counter) -> str:
    return "; ".join(text if n == 1 else f"{text} ({n})" for text, n in counts.most_common())


def _merge_near(by_key: dict[str, PlanEntry]) -> list[PlanEntry]:
    """The entries, those whose keys are near-identical merged into the first of them."""
    keys = list(by_key)
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    position = {k: n for n, k in enumerate(keys)}

    def join(a: str, b: str) -> None:
        first, second = sorted((root(a), root(b)), key=position.get)
        parent[second] = first

    words = {k: _content(k) for k in keys}
    sets = {k: frozenset(k.split()) for k in keys}
    same_words: dict[tuple[str, ...], str] = {}
    for key in keys:  # the same words but small ones: found by hashing, however far apart they sort
        if words[key] in same_words:
            join(same_words[words[key]], key)
        elif words[key]:
            same_words[words[key]] = key
    for ordering in (sorted(keys), sorted(keys, key=lambda k: sorted(k.split()))):
        for n, key in enumerate(ordering):
            matcher = None  # built once per key: difflib indexes its second text
            for other in ordering[n + 1:n + 1 + WINDOW]:
                if root(key) == root(other) or not _may_be_near(key, other, sets):
                    continue
                if matcher is None:
                    matcher = SequenceMatcher(None, "", key, autojunk=False)
                matcher.set_seq1(other)
                if matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR:
                    join(key, other)
    out: dict[str, PlanEntry] = {}
    for key in keys:
        top = root(key)
        if top == key:
            out[key] = by_key[key]
        else:
            _combine(out.setdefault(top, by_key[top]), by_key[key])
    return list(out.values())


def _may_be_near(a: str, b: str, sets: dict[str, frozenset[str]]) -> bool:
    """Cheap bounds first: both long enough, of like length, sharing most of their words."""
    la, lb = len(a), len(b)
    if min(la, lb) < LONG_ENOUGH or 2 * min(la, lb) < NEAR * (la + lb):
        return False
    wa, wb = sets.get(a) or frozenset(a.split()), sets.get(b) or frozenset(b.split())
    return 2 * len(wa & wb) >= min(len(wa), len(wb))


def near_identical(a: str, b: str) -> bool:
    """Whether two action keys are one action written twice: the same words but small ones, or long texts
    differing by a slip."""
    if _content(a) == _content(b) and _content(a):
        return True
    if not _may_be_near(a, b, {}):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR


def _content(key: str) -> tuple[str, ...]:
    return tuple(sorted(w for w in key.split() if w not in SMALL_WORDS))


def _combine(into: PlanEntry, other: PlanEntry) -> None:
    into.proposals += other.proposals
    into.texts.update(other.texts)
    into.partners += [p for p in other.partners if p not in into.partners]
    into.items += [i for i in other.items if i not in into.items]
    into.sections += [s for s in other.sections if s not in into.sections]
    into.owners.update(other.owners)
    if other.due is not None:
        into.due = min(into.due or other.due, other.due)
    into.unusable_due += other.unusable_due
    if other.priority_rank < into.priority_rank:
        into.priority = other.priority
    for column_id, counts in other.values.items():
        into.values.setdefault(column_id, Counter()).update(counts)
