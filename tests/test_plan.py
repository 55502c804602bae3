"""The Action plan's grouping: the same groups, entries and order however the actions are held, and never
every distinct action in memory at once.

The plan is grouped from the answer store a pass at a time (plan.plan_of over spool.StoredPlan), so
that its memory does not grow with a national collection's hundreds of thousands of distinct actions.
These tests hold it to the plan as it was first grouped, all in memory (`grouped_in_memory`, kept
here as the reference), on actions made to be awkward: identical, near-identical, slips, small words,
the same words in another order, short texts, texts with no words, letters that change when case is set
aside, dates typed that are not dates, and priorities that are not High, Medium or Low.
"""

from __future__ import annotations

import datetime as dt
import random
import tracemalloc
from collections import Counter
from difflib import SequenceMatcher

import pytest

from sheetkit.consolidate import Action, AnswerSpool, build_plan
from sheetkit.consolidate.actions import action_rows
from sheetkit.consolidate.plan import (LONG_ENOUGH, NEAR, SMALL_WORDS, WINDOW, PlanEntry, _add, _combine, content_of,
                                       plan_of, words_of)
from sheetkit.framework.library import get_framework
from sheetkit.returns.cache import KeptComparisons
from sheetkit.workbook.plan import plan_workbook

FW = get_framework("lga-cbo")
LAYOUT = plan_workbook(FW)
ITEMS = [item.id for _, item in FW.items()]
ITEM_ORDER = {item: n for n, item in enumerate(ITEMS)}


# -- the reference: the plan as it was first grouped, every distinct action in memory ---------------
def grouped_in_memory(actions, item_order, partner_order) -> list[PlanEntry]:
    """The plan grouped all in memory, as sheetkit first did it: one entry per distinct text, merged by a
    union-find over all of them."""
    by_key: dict[str, PlanEntry] = {}
    for partner, action in actions:
        _add(by_key.setdefault(action.key, PlanEntry(action.action)), partner, action)
    keys = list(by_key)
    parent = {k: k for k in keys}
    position = {k: n for n, k in enumerate(keys)}

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    def join(a, b):
        first, second = sorted((root(a), root(b)), key=position.get)
        parent[second] = first

    def content(k):
        return tuple(sorted(w for w in k.split() if w not in SMALL_WORDS))

    same = {}
    for key in keys:
        if content(key) in same:
            join(same[content(key)], key)
        elif content(key):
            same[content(key)] = key
    for ordering in (sorted(keys), sorted(keys, key=lambda k: sorted(k.split()))):
        for n, key in enumerate(ordering):
            for other in ordering[n + 1:n + 1 + WINDOW]:
                la, lb = len(key), len(other)
                wa, wb = set(key.split()), set(other.split())
                if (min(la, lb) < LONG_ENOUGH or 2 * min(la, lb) < NEAR * (la + lb)
                        or 2 * len(wa & wb) < min(len(wa), len(wb))):
                    continue
                matcher = SequenceMatcher(None, other, key, autojunk=False)
                if matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR:
                    join(key, other)
    out: dict[str, PlanEntry] = {}
    for key in keys:
        top = root(key)
        if top == key:
            out[key] = by_key[key]
        else:
            _combine(out[top], by_key[key])
    merged = list(out.values())
    for entry in merged:
        entry.text = max(entry.texts.items(), key=lambda kv: kv[1])[0]
        entry.partners.sort(key=lambda p: partner_order.get(p, len(partner_order)))
        entry.items.sort(key=lambda i: item_order.get(i, len(item_order)))
    return sorted(merged, key=lambda e: (item_order.get(e.items[0], len(item_order)) if e.items else len(item_order),
                                        e.priority_rank, e.due or dt.date.max))


def first_in_memory(plan: list[PlanEntry], top: int) -> list[PlanEntry]:
    return sorted(plan, key=lambda e: (e.priority_rank, e.due or dt.date.max, -len(e.partners)))[:top]


# -- awkward actions --------------------------------------------------------------------------
STEMS = ["Agree shared outcome measures with the ICB", "Review fee levels against the cost of care",
         "Co-produce the carers' strategy with carers", "Publish the market position statement by March",
         "Train staff", "Map unmet need", "Straße und Maße prüfen mit dem Team",  # casefold: 'ss'
         "Set up a provider forum for home care in the north", "..."]


def _variant(rng: random.Random, stem: str) -> str:
    roll = rng.random()
    if roll < 0.25:
        return stem
    if roll < 0.4:  # case, spacing and punctuation
        return "  " + stem.upper().replace(" ", "  ") + "."
    if roll < 0.55 and len(stem) > 3:  # a slip of the keyboard
        at = rng.randrange(len(stem))
        return stem[:at] + rng.choice("aeiouxz") + stem[at + 1:]
    if roll < 0.65:  # a small word left out, or added
        words = stem.split()
        small = [n for n, w in enumerate(words) if w.casefold() in SMALL_WORDS]
        return " ".join(w for n, w in enumerate(words) if n != (small[0] if small else -1)) or "the"
    if roll < 0.75:  # the same words in another order
        words = stem.split()
        rng.shuffle(words)
        return " ".join(words)
    if roll < 0.85:  # another text altogether, near nothing
        return f"{stem} {rng.randrange(10 ** 6)} {rng.choice(['in Ashby', 'by 2028', 'with ﬁnance'])}"
    return f"{stem} for partner {rng.randrange(40)}"


def awkward_actions(rng: random.Random, partners: list[str], count: int) -> list[tuple[str, Action]]:
    owners = ["Head of Commissioning", "Quality Lead", "", "Jo Evans", "jo evans"]
    out = []
    for _ in range(count):
        item = rng.choice(ITEMS + ["", "99"])  # no item named, or one the framework does not have
        due = rng.choice([None, "n/a", "", dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(400)),
                          dt.date(9999, 12, 31)])
        values = {"criterion": item, "action": _variant(rng, rng.choice(STEMS)), "owner": rng.choice(owners),
                  "due": due, "priority": rng.choice(["High", "Medium", "Low", "", "Urgent"]),
                  "resources": rng.choice(["", "£2,000", "Staff time", dt.date(2027, 5, 1)]),
                  "measure": rng.choice(["", "Fewer complaints"])}
        section = next((s.id for s, i in FW.items() if i.id == item), "")
        out.append((rng.choice(partners), Action(section, item, values, f"Standard {item}", "")))
    return out


def _fields(entry: PlanEntry) -> tuple:
    """Everything the plan shows of an entry (its wordings are not shown, only the text chosen from them)."""
    return (entry.text, entry.proposals, entry.partners, entry.items, entry.sections, list(entry.owners.items()),
            entry.due, entry.unusable_due, entry.priority, {c: list(v.items()) for c, v in entry.values.items()},
            entry.owner_text(), entry.due_text(), [entry.column_text(c) for c in ("resources", "measure")])


def stored(actions: list[tuple[str, Action]], partners: list[str]):
    """The actions in an answer store, a return per partner; (the store, its actions as All actions lists
    them)."""
    store = AnswerSpool(LAYOUT)
    mine = {p: [a for who, a in actions if who == p] for p in partners}
    for ret, partner in enumerate(partners):
        store.add(ret, rows=[], actions=action_rows(LAYOUT, mine[partner]))
    store.accept(list(enumerate(partners)))
    return store, list(store.actions(order="item"))


@pytest.mark.parametrize("seed", range(6))
def test_the_plan_from_the_answer_store_is_the_plan_grouped_all_in_memory(seed):
    rng = random.Random(seed)
    partners = [f"Partner {n}" for n in rng.sample(range(30), 12)]
    order = {p: n for n, p in enumerate(partners)}
    store, actions = stored(awkward_actions(rng, partners, 400), partners)
    with store:
        expected = grouped_in_memory(actions, ITEM_ORDER, order)
        assert 20 < len(expected) < len({a.key for _, a in actions})  # some grouped, not all as one
        source = store.plan_source()
        first = plan_of(source, ITEM_ORDER, order, 5)
        assert [_fields(e) for e in source] == [_fields(e) for e in expected]
        assert source.count() == len(expected)
        assert [_fields(e) for e in first] == [_fields(e) for e in first_in_memory(expected, 5)]
        assert [_fields(e) for e in build_plan(actions, ITEM_ORDER, order)] == [_fields(e) for e in expected]


def _plan_with(comparisons, store, order) -> list[tuple]:
    source = store.plan_source()
    plan_of(source, ITEM_ORDER, order, 5, comparisons=comparisons)
    return [_fields(e) for e in source]


@pytest.mark.parametrize("seed", range(3))
def test_comparisons_kept_between_runs_give_the_same_plan_and_are_not_made_again(seed, tmp_path):
    """A re-ingest recalls what comparing the texts found last time instead of comparing them again; a
    late return's texts are compared, with their neighbours only; a changed file is ignored with a finding."""
    rng = random.Random(seed)
    partners = [f"Partner {n}" for n in rng.sample(range(30), 12)]
    order = {p: n for n, p in enumerate(partners)}
    every = awkward_actions(rng, partners, 400)
    late = partners[-1]
    store, actions = stored([(p, a) for p, a in every if p != late], partners[:-1])
    with store:
        expected = [_fields(e) for e in grouped_in_memory(actions, ITEM_ORDER, order)]
        first = KeptComparisons(tmp_path / "cache", FW)
        assert _plan_with(first, store, order) == expected
        assert first.made > 50 and first.recalled == 0
        first.keep()
        again = KeptComparisons(tmp_path / "cache", FW)
        assert _plan_with(again, store, order) == expected
        assert again.made == 0 and again.recalled == first.made
        again.keep()
    store, actions = stored(every, partners)
    with store:
        expected = [_fields(e) for e in grouped_in_memory(actions, ITEM_ORDER, order)]
        with_late = KeptComparisons(tmp_path / "cache", FW)
        assert _plan_with(with_late, store, order) == expected
        assert 0 < with_late.made < with_late.recalled
        with_late.keep()
        kept = with_late.path.read_bytes()
        with_late.path.write_bytes(kept[:-1] + bytes([kept[-1] ^ 1]))
        changed = KeptComparisons(tmp_path / "cache", FW)
        assert _plan_with(changed, store, order) == expected
        assert changed.recalled == 0 and [f.code for f in changed.findings] == ["cache-ignored"]


def test_words_in_alphabetical_order_sort_as_lists_of_words():
    keys = ["ab c", "abc", "ab", "a b", "b a", "", "ab ab", "z", "é a", "e a", "ss a", "ß"]
    assert sorted(keys, key=words_of) == sorted(keys, key=lambda k: sorted(k.split()))
    assert content_of("agree the plan with the icb") == content_of("agree plan icb") == "agree icb plan"


# -- never every distinct action at once ----------------------------------------------------------
class MadeOnDemand:
    """A PlanSource of `count` distinct short actions, one per partner in turn, each made only when read, in
    every order the plan asks (text n is 'task 0000n', so every sorting is by n); entries kept are counted
    and let go. It notes how many actions were read when the first entry arrived."""

    def __init__(self, count: int):
        self.count, self.read, self.kept, self.read_at_first = count, 0, 0, None

    def number_texts(self) -> int:
        return self.count

    def texts_in(self, order):
        return ((n, f"task {n:07d}") for n in range(self.count))

    def grouped(self, groups):
        for n in range(self.count):
            self.read += 1
            yield groups[n], n, f"Partner {n % 50}", Action("1", ITEMS[n % len(ITEMS)], {
                "action": f"Task {n:07d}", "owner": f"Owner {n}", "due": dt.date(2027, 1, 1) + dt.timedelta(n % 300),
                "priority": ("High", "Medium", "Low")[n % 3], "resources": f"Budget line {n}"})

    def keep_entries(self, entries) -> None:
        for _ in entries:
            if self.read_at_first is None:
                self.read_at_first = self.read
            self.kept += 1


@pytest.mark.slow  # 30,000 actions under tracemalloc, with the growth tests
def test_grouping_holds_one_entry_at_a_time_not_every_distinct_action():
    count = 30_000
    source = MadeOnDemand(count)
    partners = {f"Partner {n}": n for n in range(50)}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        first = plan_of(source, ITEM_ORDER, partners, 5)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert source.kept == count and len(first) == 5
    # Each entry is handed on as soon as its group's actions have been read (one more read shows the group ended).
    assert source.read_at_first <= 2
    # A group number for each distinct text (8 bytes each) is all that grows with them: holding every entry, or
    # every text, would take many times more (an entry alone takes over a kilobyte).
    assert peak < 8 * count + 1_000_000, f"grouping {count:,} distinct actions took {peak:,} bytes at its peak"
