"""Last round as plain data: what each respondent said and proposed, in this framework's ids
(read by :mod:`sheetkit.rounds.load`; used to carry answers forward and to compare rounds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from sheetkit.common.findings import Finding
from sheetkit.common.text import normalise_name
from sheetkit.framework.action_plan import ColumnValues


@dataclass(frozen=True)
class PreviousAction(ColumnValues):
    """One action a respondent proposed last round, on their Action plan sheet (its row) or under an item.

    ``where`` follows the round's name in the locked cell of the row that carries it this round:
    '#3' for Action plan row 3, 'Standard 4' for the action written under standard 4. ``values``
    holds its action-plan columns by id, in this framework's ids (a due date is a date or None)."""

    where: str
    values: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None  # its Action plan row, when it was written there

    @classmethod
    def on_row(cls, number: int, **values) -> "PreviousAction":
        """The action of Action plan row `number`."""
        return cls(f"#{number}", values, number)

    @property
    def origin(self) -> str:
        """Where it was written, in words: 'Action plan row 3', 'Standard 4'."""
        return f"Action plan row {self.row}" if self.row is not None else self.where

    @property
    def due(self) -> dt.date | None:
        due = self.values.get("due")
        return due if isinstance(due, dt.date) else None


@dataclass(frozen=True)
class Agreed:
    """The position agreed on one of a respondent's ratings after last round's challenge day."""

    rating: int | None  # the agreed level (None when only words were recorded)
    position: str = ""


@dataclass
class PreviousRespondent:
    """What one respondent said last round, and where their ratings were settled after it."""

    name: str  # as written last round
    answers: dict[str, object]  # answer key in this framework's ids -> value (float rating, date or text)
    actions: list[PreviousAction]
    revised: dict[str, int] = field(default_factory=dict)  # rating key -> the rating they revised to after feedback
    agreed: dict[str, Agreed] = field(default_factory=dict)  # rating key -> the position agreed at moderation

    def settled(self) -> dict[str, object]:
        """Their answers with each rating where it was settled: agreed at moderation, else as revised after
        their feedback, else as self-assessed."""
        out = dict(self.answers) | self.revised
        out |= {key: a.rating for key, a in self.agreed.items() if a.rating is not None}
        return out


@dataclass
class PreviousRound:
    """Last round: who answered what, and which items cannot be compared with this round."""

    source: Path
    round: str
    framework_id: str
    framework_version: str
    respondents: dict[str, PreviousRespondent]  # keyed by normalised name
    not_comparable: dict[str, str] = field(default_factory=dict)  # item id (this framework) -> why
    findings: list[Finding] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # normalised current name -> normalised previous

    def respondent(self, name: str) -> PreviousRespondent | None:
        """Last round's answers of the respondent called `name` this round (renames applied)."""
        key = normalise_name(name)
        return self.respondents.get(self.renames.get(key, key))

    def gone(self, names: Iterable[str]) -> list[str]:
        """Last round's respondents who are not among this round's `names`, as written last round."""
        here = {self.renames.get(normalise_name(n), normalise_name(n)) for n in names}
        return [p.name for key, p in self.respondents.items() if key not in here]
