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

A national collection holds hundreds of thousands of distinct actions, so the grouping never
holds them at once. It reads from a source of actions (:class:`PlanSource`: the answer store,
which sorts on disk, or :class:`ListedActions` for actions in a list) in four passes, each in
an order the source sorts: each distinct text numbered in the order it first appears; the texts
by their words but small ones, by themselves, and by their words in alphabetical order, each
compared with its few neighbours as it arrives; and every action group by group, from which each
entry is made, handed to the source to keep, and let go. What stays in memory is a number for
each distinct text (which group it joined) and the entry being made.
"""

from __future__ import annotations

import datetime as dt
import json
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from sheetkit.framework.model import PRIORITIES
from .actions import Action

NEAR = 0.92  # difflib ratio from which two long texts are one action written twice
LONG_ENOUGH = 24  # characters: shorter texts ("Train staff", "Train stuff") must match word for word
WINDOW = 6  # neighbours compared in each sorting
SMALL_WORDS = frozenset("a an and the of to for with in on by our we will be".split())
# Joins a text's words sorted alphabetically into one string that sorts as the list of words does: it
# comes before every character a word can hold (action_key leaves only letters, digits and '_').
WORD_BREAK = "\x01"


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
    texts: Counter = field(default_factory=Counter)  # each wording, how often (while the entry is made)

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

# The orders a PlanSource sorts the distinct texts in (each text numbered by where it first appears):
SAME_WORDS = "same words"  # (number, content_of(text)) for texts with any words but small ones, by content, number
BY_TEXT = "by text"  # (number, text), by text
BY_WORDS = "by words"  # (number, text), by words_of(text), number


class PlanSource(Protocol):
    """Where the plan's actions come from, sorted as it asks, and where the finished entries are kept."""

    def number_texts(self) -> int:
        """Number each distinct action text (action_key) 0, 1, ... in the order it first appears among the
        actions by item (as All actions lists them); how many there are."""

    def texts_in(self, order: str) -> Iterator[tuple[int, str]]:
        """The numbered texts in one of the orders SAME_WORDS, BY_TEXT and BY_WORDS."""

    def grouped(self, groups: Sequence[int]) -> Iterator[tuple[int, int, str, Action]]:
        """(group, text number, partner, action) for every action, `groups[n]` being text n's group: by
        group, then text number, then as the actions by item come."""

    def keep_entries(self, entries: Iterable[tuple[PlanEntry, tuple]]) -> None:
        """Keep the entries, each with its place in the plan (a tuple to sort by)."""


class Comparisons(Protocol):
    """What two texts compared before were found to be (kept between runs: see sheetkit.returns.cache)."""

    def recall(self, earlier: str, later: str) -> bool | None:
        """Whether `later` was found near-identical to `earlier`; None when not compared before."""

    def remember(self, earlier: str, later: str, near: bool) -> None:
        """Keep what comparing `later` with `earlier` found."""


def plan_of(source: PlanSource, item_order: dict[str, int], partner_order: dict[str, int], top: int = 0,
            seen: Callable[[str, Action], None] | None = None,
            comparisons: Comparisons | None = None) -> list[PlanEntry]:
    """Group the source's actions into the plan and hand the source its entries, each with its place (see
    `place`); the `top` entries to start with (see `first_order`). `seen(partner, action)` is called once
    for every action, for what else is counted of them. Texts compared in an earlier run are not compared
    again when `comparisons` recalls them."""
    count = source.number_texts()
    groups = near_groups(count, source.texts_in(SAME_WORDS), source.texts_in(BY_TEXT), source.texts_in(BY_WORDS),
                         comparisons)
    grouped = source.grouped(groups)
    if seen is not None:
        grouped = _seeing(grouped, seen)
    first = _Smallest(top, first_order)
    source.keep_entries(first.passing((entry, place(entry, group, item_order))
                                      for group, entry in entries_of(grouped, partner_order, item_order)))
    return first.items()


def build_plan(actions: Iterable[tuple[str, Action]], item_order: dict[str, int],
               partner_order: dict[str, int]) -> list[PlanEntry]:
    """The plan of `actions` ((partner, action) pairs, in the order All actions lists them) as a list: each
    entry in the order of the first item it addresses, then highest priority, then soonest due."""
    source = ListedActions(actions)
    plan_of(source, item_order, partner_order)
    return source.entries


def place(entry: PlanEntry, group: int, item_order: dict[str, int]) -> tuple[int, int, str, int]:
    """Where an entry comes in the plan: in the order of the first item it addresses, then highest priority,
    then soonest due, then the order its group's first text first appeared (`group`). Due dates as ISO
    text, none as date.max's, so the answer store sorts them as Python does."""
    first = item_order.get(entry.items[0], len(item_order)) if entry.items else len(item_order)
    return first, entry.priority_rank, (entry.due or dt.date.max).isoformat(), group


def first_order(entry: PlanEntry, where: tuple) -> tuple:
    """How the entries to start with are chosen: highest priority, soonest due, the most partners behind
    them, then their place in the plan (`where`)."""
    return entry.priority_rank, entry.due or dt.date.max, -len(entry.partners), where


class _Smallest:
    """The `top` smallest of the (entry, place) pairs passing through, by `key`, holding at most 2 x top."""

    def __init__(self, top: int, key):
        self.top, self.key, self.kept = top, key, []

    def passing(self, pairs: Iterable[tuple[PlanEntry, tuple]]) -> Iterator[tuple[PlanEntry, tuple]]:
        for entry, where in pairs:
            if self.top:
                self.kept.append((self.key(entry, where), entry))
                if len(self.kept) >= 2 * self.top:
                    self.kept = self._smallest()
            yield entry, where

    def _smallest(self) -> list:
        return sorted(self.kept, key=lambda pair: pair[0])[:self.top]  # keys differ: each place is unique

    def items(self) -> list[PlanEntry]:
        return [entry for _, entry in self._smallest()]


def _seeing(grouped, seen):
    for row in grouped:
        seen(row[2], row[3])
        yield row


def entry_record(entry: PlanEntry) -> str:
    """A finished entry as JSON, to keep on disk: everything the plan shows of it (not its wordings, which
    were needed only to choose its text)."""
    return json.dumps([entry.text, entry.proposals, entry.partners, entry.items, entry.sections,
                       list(entry.owners.items()), entry.due.isoformat() if entry.due else None, entry.unusable_due,
                       entry.priority, {column: list(counts.items()) for column, counts in entry.values.items()}],
                      ensure_ascii=False, separators=(",", ":"))


def entry_from_record(record: str) -> PlanEntry:
    """The entry entry_record kept; the owners and values counted in the order they were first given."""
    text, proposals, partners, items, sections, owners, due, unusable, priority, values = json.loads(record)
    return PlanEntry(text, proposals, partners, items, sections, Counter(dict(owners)),
                     dt.date.fromisoformat(due) if due else None, unusable, priority,
                     {column: Counter(dict(counts)) for column, counts in values.items()})


def content_of(key: str) -> str:
    """An action text's words but small ones, sorted: equal for texts that differ only by small words."""
    return " ".join(_content(key))


def words_of(key: str) -> str:
    """An action text's words in alphabetical order, joined so that the strings sort as the lists would."""
    return WORD_BREAK.join(sorted(key.split()))


class ListedActions:
    """A PlanSource over actions in a list, sorted in memory: for a handful of actions."""

    def __init__(self, actions: Iterable[tuple[str, Action]]):
        self.actions = list(actions)
        self.entries: list[PlanEntry] = []
        self._numbers: dict[str, int] = {}

    def number_texts(self) -> int:
        for _, action in self.actions:
            self._numbers.setdefault(action.key, len(self._numbers))
        return len(self._numbers)

    def texts_in(self, order: str) -> Iterator[tuple[int, str]]:
        numbered = [(n, key) for key, n in self._numbers.items()]
        if order == SAME_WORDS:
            return iter(sorted(((n, content_of(key)) for n, key in numbered if _content(key)),
                               key=lambda pair: (pair[1], pair[0])))
        if order == BY_TEXT:
            return iter(sorted(numbered, key=lambda pair: pair[1]))
        return iter(sorted(numbered, key=lambda pair: (words_of(pair[1]), pair[0])))

    def grouped(self, groups: Sequence[int]) -> Iterator[tuple[int, int, str, Action]]:
        listed = [(groups[self._numbers[action.key]], self._numbers[action.key], partner, action)
                  for partner, action in self.actions]
        return iter(sorted(listed, key=lambda row: (row[0], row[1])))  # stable: as the actions came

    def keep_entries(self, entries: Iterable[tuple[PlanEntry, tuple]]) -> None:
        self.entries = [entry for entry, _ in sorted(entries, key=lambda pair: pair[1])]


def near_groups(count: int, same_words: Iterable[tuple[int, str]], by_text: Iterable[tuple[int, str]],
                by_words: Iterable[tuple[int, str]], comparisons: Comparisons | None = None) -> array:
    """Which group each of `count` numbered texts joins (the lowest number in the group): texts with the same
    words but small ones (`same_words`, sorted by those words), and near-identical neighbours in the two
    sortings, each compared with the WINDOW texts before it as it arrives (or recalled from `comparisons`)."""
    parent = array("q", range(count))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def join(a: int, b: int) -> None:
        first, second = sorted((root(a), root(b)))
        parent[second] = first

    run_words, run_first = None, 0
    for number, words in same_words:  # the same words but small ones: found by sorting, however far apart
        if words == run_words:
            join(run_first, number)
        else:
            run_words, run_first = words, number
    for ordering in (by_text, by_words):
        window: deque[_Neighbour] = deque(maxlen=WINDOW)
        for number, key in ordering:
            here = _Neighbour(number, key)
            for earlier in window:
                if root(earlier.number) != root(number) and earlier.near(here, comparisons):
                    join(earlier.number, number)
            window.append(here)
    for k in range(count):
        parent[k] = root(k)
    return parent


class _Neighbour:
    """A text in a sorting's window: its words, and difflib's index of it, made when first needed."""

    __slots__ = ("number", "key", "words", "_matcher")

    def __init__(self, number: int, key: str):
        self.number, self.key, self.words, self._matcher = number, key, frozenset(key.split()), None

    def near(self, later: "_Neighbour", comparisons: Comparisons | None = None) -> bool:
        """Whether `later` (after this text in the sorting) is this one written with a slip."""
        if not _may_be_near(self.key, later.key, self.words, later.words):
            return False
        known = comparisons.recall(self.key, later.key) if comparisons is not None else None
        if known is not None:
            return known
        if self._matcher is None:  # difflib indexes its second text: once for each text
            self._matcher = SequenceMatcher(None, "", self.key, autojunk=False)
        self._matcher.set_seq1(later.key)
        found = self._matcher.quick_ratio() >= NEAR and self._matcher.ratio() >= NEAR
        if comparisons is not None:
            comparisons.remember(self.key, later.key, found)
        return found


def entries_of(grouped: Iterable[tuple[int, int, str, Action]], partner_order: dict[str, int],
               item_order: dict[str, int]) -> Iterator[tuple[int, PlanEntry]]:
    """(group, entry) for each group of (group, text number, partner, action) rows sorted by group, then text
    number: each text's actions make an entry, and the group's later texts' entries join its first's."""
    group_entry = text_entry = None
    group = text = None
    for g, number, partner, action in grouped:
        if number != text:
            if text_entry is not group_entry:
                _combine(group_entry, text_entry)
            if g != group:
                if group_entry is not None:
                    yield group, _finished(group_entry, partner_order, item_order)
                group_entry = None
            text_entry = PlanEntry(action.action)
            group_entry = group_entry or text_entry
            group, text = g, number
        _add(text_entry, partner, action)
    if group_entry is not None:
        if text_entry is not group_entry:
            _combine(group_entry, text_entry)
        yield group, _finished(group_entry, partner_order, item_order)


def _finished(entry: PlanEntry, partner_order: dict[str, int], item_order: dict[str, int]) -> PlanEntry:
    entry.text = max(entry.texts.items(), key=lambda kv: kv[1])[0]  # most often written; first seen on a tie
    entry.texts = Counter()  # every wording was needed only to choose the text
    entry.partners.sort(key=lambda p: partner_order.get(p, len(partner_order)))
    entry.items.sort(key=lambda i: item_order.get(i, len(item_order)))
    return entry


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


def _may_be_near(a: str, b: str, wa: frozenset[str], wb: frozenset[str]) -> bool:
    """Cheap bounds first: both long enough, of like length, sharing most of their words."""
    la, lb = len(a), len(b)
    if min(la, lb) < LONG_ENOUGH or 2 * min(la, lb) < NEAR * (la + lb):
        return False
    return 2 * len(wa & wb) >= min(len(wa), len(wb))


def near_identical(a: str, b: str) -> bool:
    """Whether two action keys are one action written twice: the same words but small ones, or long texts
    differing by a slip."""
    if _content(a) == _content(b) and _content(a):
        return True
    if not _may_be_near(a, b, frozenset(a.split()), frozenset(b.split())):
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
