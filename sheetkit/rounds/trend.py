"""The trend: how this round compares with the last one. Plain data in, tables out; nothing is read or written.

Last round arrives as a :class:`sheetkit.rounds.load.PreviousRound` (each partner's answers in this
framework's ids, their actions, and the items that cannot be compared); this round as each
counted partner's answers by key. Averages are of every rating given in each round, as on the
Ratings sheet; a partner's change is the average of the ratings they gave in both rounds, now
less then, so a partner who joined or left moves the averages but never anyone's change.

Last round's actions, whether written on the Action plan or under an item, are followed up through
this round's action plan: a row carried from last round says so in its 'carried' answer (``"2026 Q4
#3"``: the round and the action's row; ``"2026 Q4 Standard 4"``: written under standard 4), and
reports its status, progress and any revised date there.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sheetkit.common.findings import Finding
from sheetkit.framework.action_plan import CARRIED
from sheetkit.framework.model import ACTION_CLOSED
from sheetkit.framework.model import item_caption
from sheetkit.common.own_files import SHEET_ACTIONS
from sheetkit.common.text import normalise_name
from sheetkit.framework.keys import AnswerKey

from .model import Agreed

if TYPE_CHECKING:
    from sheetkit.framework.model import Framework
    from .model import PreviousAction, PreviousRound
    from sheetkit.consolidate.spool import AnswerSpool

NOT_REPORTED = "not reported"
Answers = dict[str, object]  # answer key ("item/7/rating") -> value


@dataclass
class Move:
    """One partner on one row: the average of the ratings they gave in both rounds, then and now."""

    partner: str
    then: float
    now: float

    @property
    def change(self) -> float:
        return self.now - self.then


@dataclass
class TrendRow:
    """One rated thing (an item, a section's own rating, a section's items, or all items) in both rounds."""

    kind: str  # 'item', 'section rating', 'section' (its items together) or 'overall'
    section_id: str
    ref: str
    caption: str
    then: float | None = None
    now: float | None = None
    rated_then: int = 0  # partners who gave a rating here last round
    rated_now: int = 0
    moves: list[Move] = field(default_factory=list)  # partners who rated it in both rounds
    agreed: list[tuple[str, Agreed]] = field(default_factory=list)  # (partner, position agreed last round)

    @property
    def change(self) -> float | None:
        return None if self.then is None or self.now is None else self.now - self.then

    @property
    def same_partners_change(self) -> float | None:
        """The average change of the partners who rated it in both rounds: the like-for-like change."""
        return statistics.fmean(m.change for m in self.moves) if self.moves else None

    @property
    def same_then(self) -> float | None:
        """Last round's average of the partners who rated it in both rounds (each partner counted once)."""
        return statistics.fmean(m.then for m in self.moves) if self.moves else None

    @property
    def same_now(self) -> float | None:
        """This round's average of the same partners; same_now - same_then is same_partners_change."""
        return statistics.fmean(m.now for m in self.moves) if self.moves else None

    def moved_most(self) -> list[Move]:
        """The partner(s) whose rating changed most, either way; nobody when nobody's changed."""
        biggest = max((abs(m.change) for m in self.moves), default=0)
        return [m for m in self.moves if biggest and abs(m.change) == biggest]


@dataclass
class PartnerTrend:
    """One partner's overall change: their ratings given in both rounds, then and now."""

    name: str  # as this round names them; last round's name when they did not return
    previous_name: str  # as last round named them ('' if they are new)
    then: float | None
    now: float | None
    compared: int
    rated_then: int
    rated_now: int
    returned: bool = True

    @property
    def change(self) -> float | None:
        return self.now - self.then if self.compared else None

    @property
    def note(self) -> str:
        if not self.returned:
            return "no return this round"
        if not self.previous_name:
            return "new this round"
        if not self.compared and self.rated_then and not self.rated_now:
            return "no ratings this round"
        if not self.compared:
            return "nothing rated in both rounds"
        if normalise_name(self.name) != normalise_name(self.previous_name):
            return f"named '{self.previous_name}' last round"
        return ""


@dataclass
class FollowUp:
    """One of last round's actions and what this round's return says about it."""

    partner: str
    action: PreviousAction
    status: str = NOT_REPORTED  # as reported this round
    progress: str = ""
    revised_due: dt.date | str | None = None
    row: int | None = None  # this round's action plan row that carries it
    why: str = ""  # why it is not reported
    overdue: bool = False


@dataclass
class Trend:
    """Everything the Trend sheet, the Dashboard's trend lines and the CSV's last-round rows show."""

    previous: PreviousRound
    rows: list[TrendRow]  # items and sections' own ratings, in framework order
    sections: list[TrendRow]
    overall: TrendRow
    partners: list[PartnerTrend]
    actions: list[FollowUp]
    left_out: list[tuple[str, str, str, str]]  # section, item, caption, why
    names: dict[str, str]  # last round's partner key -> the name this round's tables use
    findings: list[Finding] = field(default_factory=list)

    @property
    def previous_round(self) -> str:
        return self.previous.round

    @property
    def settled(self) -> bool:
        """Whether last round's figures count ratings settled after its feedback (revised or agreed)."""
        return any(r.revised or r.agreed for r in self.previous.respondents.values())

    def improved(self) -> TrendRow | None:
        """The item whose like-for-like change rose most (None when none rose by at least the 0.1 shown); the
        first in framework order among equals."""
        rose = [r for r in self.rows if r.kind == "item" and tenths(r.same_partners_change) > 0]
        return max(rose, key=lambda r: r.same_partners_change, default=None)

    def fell(self) -> TrendRow | None:
        """The item whose like-for-like change fell most (None when none fell by at least the 0.1 shown)."""
        fell = [r for r in self.rows if r.kind == "item" and tenths(r.same_partners_change) < 0]
        return min(fell, key=lambda r: r.same_partners_change, default=None)

    @property
    def joined(self) -> list[str]:
        """Partners counted this round with no return last round (as this round names them)."""
        return [p.name for p in self.partners if p.returned and not p.previous_name]

    @property
    def left(self) -> list[str]:
        """Partners counted last round with no return this round (as last round named them)."""
        return [p.name for p in self.partners if not p.returned]

    def overdue(self) -> list[FollowUp]:
        return [a for a in self.actions if a.overdue]


def tenths(value: float | None) -> float:
    """A change as shown, to one decimal place (0.0 for none, never -0.0)."""
    return round(value, 1) + 0.0 if value is not None else 0.0


def compute_trend(framework: Framework, previous: PreviousRound, current: dict[str, Answers],
                  compiled_on: dt.date, files: dict[str, str] | None = None) -> Trend:
    """Compare this round's answers (`current`: partner -> answers) with last round's.

    `compiled_on` decides what is overdue; `files` (partner -> return file) locates findings.
    """
    pairing = _pair(previous, list(current))
    names = {key: previous.respondents[key].name for key in previous.respondents}
    names.update({key: name for name, key in pairing.items()})
    keys = _rating_keys(framework, previous.not_comparable)
    then = {key: _ratings(r.settled(), keys.all) for key, r in previous.respondents.items()}
    now = {name: _ratings(answers, keys.all) for name, answers in current.items()}
    pairs = list(pairing.items())

    def row(kind, section_id, ref, caption, wanted) -> TrendRow:
        return _row(kind, section_id, ref, caption, set(wanted), then, now, pairs)

    rows = [row(kind, sid, ref, caption, [k]) for kind, sid, ref, caption, k in keys.rows]
    for trend_row, (_, _, _, _, key) in zip(rows, keys.rows):
        trend_row.agreed = [(names[who], a) for who, r in previous.respondents.items() for k, a in r.agreed.items()
                            if k == key]
    sections = [row("section", s.id, s.id, s.title, keys.by_section[s.id]) for s in framework.sections]
    overall = row("overall", "", "", f"All {framework.labels['item'].lower()}s", keys.items)
    partners = _partners(previous, current, pairing, then, now, set(keys.items))
    actions, findings = _follow_ups(previous, current, pairing, compiled_on, files or {})
    left_out = _left_out(framework, previous.not_comparable)
    return Trend(previous, rows, sections, overall, partners, actions, left_out, names, findings)


def _pair(previous: PreviousRound, current: list[str]) -> dict[str, str]:
    """This round's partner -> last round's key, for partners who returned both times (renames applied)."""
    key_of = {id(r): key for key, r in previous.respondents.items()}
    pairing, taken = {}, set()
    for name in current:
        found = previous.respondent(name)
        key = key_of.get(id(found)) if found is not None else None
        if key is not None and key not in taken:
            pairing[name] = key
            taken.add(key)
    return pairing


@dataclass
class _Keys:
    rows: list[tuple[str, str, str, str, str]]  # kind, section, ref, caption, answer key
    items: list[str]  # every comparable item rating key
    by_section: dict[str, list[str]]

    @property
    def all(self) -> set[str]:
        return {row[4] for row in self.rows}


def _rating_keys(fw: Framework, not_comparable: dict[str, str]) -> _Keys:
    rows, items, by_section = [], [], {}
    for section in fw.sections:
        by_section[section.id] = []
        for item in section.items:
            for f in fw.fields("item"):
                if f.type == "rating" and item.id not in not_comparable:
                    key = AnswerKey.item(item.id, f.id)
                    rows.append(("item", section.id, item.id, item_caption(item), key))
                    items.append(key)
                    by_section[section.id].append(key)
        for f in fw.fields("section"):
            if f.type == "rating":
                rows.append(("section rating", section.id, "", f"{section.title}: {f.label}",
                             AnswerKey.section(section.id, f.id)))
    return _Keys(rows, items, by_section)


def _ratings(answers: Answers, keys: set[str]) -> dict[str, float]:
    """The counted ratings among `answers`: numbers only (a rating kept as typed text is not counted)."""
    return {k: float(v) for k, v in answers.items()
            if k in keys and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _row(kind, section_id, ref, caption, wanted: set[str], then, now, pairs) -> TrendRow:
    def given(by_person):
        return {p: [v for k, v in r.items() if k in wanted] for p, r in by_person.items()}

    before, after = given(then), given(now)
    moves = []
    for name, key in pairs:
        both = [k for k in wanted if k in then[key] and k in now[name]]
        if both:
            moves.append(Move(name, statistics.fmean(then[key][k] for k in both),
                              statistics.fmean(now[name][k] for k in both)))
    return TrendRow(kind, section_id, ref, caption, _mean(before), _mean(after),
                    sum(1 for v in before.values() if v), sum(1 for v in after.values() if v), moves)


def _mean(by_person: dict[str, list[float]]) -> float | None:
    values = [v for vs in by_person.values() for v in vs]
    return statistics.fmean(values) if values else None


def _partners(previous, current, pairing, then, now, items: set[str]) -> list[PartnerTrend]:
    """This round's partners in their order, then last round's who did not return."""
    out = []
    for name in current:
        mine = {k: v for k, v in now[name].items() if k in items}
        key = pairing.get(name)
        before = {k: v for k, v in then[key].items() if k in items} if key else {}
        both = [k for k in mine if k in before]
        out.append(PartnerTrend(name, previous.respondents[key].name if key else "",
                                statistics.fmean(before[k] for k in both) if both else None,
                                statistics.fmean(mine[k] for k in both) if both else None,
                                len(both), len(before), len(mine)))
    paired = set(pairing.values())
    for key, respondent in previous.respondents.items():
        if key not in paired:
            before = [k for k in then[key] if k in items]
            out.append(PartnerTrend(respondent.name, respondent.name, None, None, 0, len(before), 0, returned=False))
    return out


def _follow_ups(previous, current, pairing, compiled_on, files) -> tuple[list[FollowUp], list[Finding]]:
    """Each of last round's actions with what this round's action plan reports on it."""
    name_of = {key: name for name, key in pairing.items()}
    out, findings = [], []
    carried = {}
    for name, answers in current.items():
        carried[name], found = _carried_rows(name, answers, files.get(name, ""))
        findings += found
    for key, respondent in previous.respondents.items():
        name = name_of.get(key)
        for action in respondent.actions:
            follow = FollowUp(name or respondent.name, action)
            found = carried[name].pop(_tag(f"{previous.round} {action.where}"), None) if name else None
            if action.status in ACTION_CLOSED:  # finished last round, so not carried (sheetkit.rounds.carry)
                follow.status, follow.why = action.status, f"{action.status.lower()} by {previous.round}: not carried"
            elif found is not None:
                _report(follow, current[name], found[0])
            else:
                follow.why = "not carried into this round's action plan" if name else "no return this round"
            follow.overdue = _overdue(follow, compiled_on)
            out.append(follow)
    for name, rows in carried.items():
        findings += [_unknown_carried(previous, name, text, row, files.get(name, "")) for row, text in rows.values()]
    return out, findings


def _tag(text) -> str:
    return " ".join(str(text).split()).casefold()


def _carried_rows(name: str, answers: Answers, file: str) -> tuple[dict[str, tuple[int, str]], list[Finding]]:
    """Carried text (compared ignoring case and spaces) -> (this round's action plan row, the text as typed);
    a second row carrying the same action is reported."""
    rows, findings = {}, []
    carried = [AnswerKey.parse(k) for k in answers if AnswerKey.level_of(k) == "action"]
    for key in sorted((k for k in carried if k.field == CARRIED), key=lambda k: k.number):
        number, text = key.number, str(answers[str(key)])
        first = rows.get(_tag(text))
        if first is not None:
            findings.append(Finding(
                "carried-action-unknown", f"{name}'s action plan rows {first[0]} and {number} both carry '{text}'; "
                f"row {first[0]} is the one shown on the Trend sheet. Ask {name} which row reports on it",
                file=file, sheet=SHEET_ACTIONS))
        elif _tag(text):
            rows[_tag(text)] = (number, text)
    return rows, findings


def _unknown_carried(previous, name: str, text: str, row: int, file: str) -> Finding:
    return Finding("carried-action-unknown", f"{name}'s action plan row {row} says it carries '{text}', but "
                   f"last round's workbook ({previous.source.name}, round {previous.round}) lists no such action "
                   f"for {name}; its status is not shown on the Trend sheet. Check the row with {name}",
                   file=file, sheet=SHEET_ACTIONS)


def _report(follow: FollowUp, answers: Answers, row: int) -> None:
    """What this round's carried `row` says; a row left blank reports nothing."""
    follow.row = row
    follow.status = str(answers.get(AnswerKey.action(row, "status"), "") or "")
    follow.progress = str(answers.get(AnswerKey.action(row, "progress"), "") or "")
    follow.revised_due = answers.get(AnswerKey.action(row, "revised_due"))
    if not (follow.status or follow.progress or follow.revised_due):
        follow.status, follow.why = NOT_REPORTED, "carried into this round's action plan, but left blank"


def _overdue(follow: FollowUp, today: dt.date) -> bool:
    """Due (or due again, by the revised date) before today, and neither done nor dropped."""
    revised = follow.revised_due if isinstance(follow.revised_due, dt.date) else None
    due = revised or follow.action.due
    return isinstance(due, dt.date) and due < today and follow.status not in ACTION_CLOSED


def _left_out(fw: Framework, not_comparable: dict[str, str]) -> list[tuple[str, str, str, str]]:
    where = {item.id: (section.id, item_caption(item)) for section, item in fw.items()}
    out = []
    for item, why in not_comparable.items():
        section, caption = where.get(item, ("", "(not in this version of the framework)"))
        out.append((section, item, caption, why))
    return out


def current_answers(store: AnswerSpool, partners: list[str]) -> dict[str, Answers]:
    """Each counted partner's ratings and action-plan answers, as compute_trend takes them (a partner whose
    return holds none is still there: they returned).

    A rating that is not counted is left out; any other answer not usable as typed (a revised
    date of 'n/a') is kept as its text, so it is shown rather than lost.
    """
    out: dict[str, Answers] = {name: {} for name in partners}
    for partner, answer in store.by_return(summary_only=True):
        mine = out.setdefault(partner, {})
        if answer.usable:
            mine[answer.key] = answer.value
        elif answer.field.type != "rating":
            mine[answer.key] = answer.text
    return out
