"""Do partners agree on an item? The rule that tells "one partner sits apart" from "partners are split".

A single partner far from everyone else is a different story from partners falling into
two camps: the first names one organisation to talk to, the second is a real disagreement.
The rule is stated in words by :meth:`AgreementRule.describe`, for the Notes sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sheetkit.framework.model import Scale

APART, SPLIT = "apart", "split"
WHERE = {"low": "apart: lower than every other partner", "high": "apart: higher than every other partner",
         "split low": "split: in the lower camp", "split high": "split: in the higher camp"}


@dataclass(frozen=True)
class AgreementRule:
    """Thresholds as shares of the scale's span (highest minus lowest level)."""

    apart: float = 0.33  # a lone partner at least this far from every other partner sits apart
    split: float = 0.5  # two or more partners at each end at least this far apart are split
    min_points: int = 2  # never fewer points than this, so short scales are not over-sensitive

    def points(self, share: float, scale: Scale) -> int:
        """A share of the scale as whole rating points (rounded up, at least min_points, at most the span)."""
        return max(1, min(scale.span, max(self.min_points, math.ceil(share * scale.span - 1e-9))))

    def describe(self, scale: Scale) -> str:
        apart, split = self.points(self.apart, scale), self.points(self.split, scale)
        return (f"One partner sits apart when they are the only one at the top or the bottom and their rating is "
                f"at least {apart} points from every other partner's ({self.apart:.0%} of the {scale.span}-point "
                f"span of the scale, at least {self.min_points}; needs 3 or more ratings). Partners are split when "
                f"at least two rate an item {split} or more points below at least two others ({self.split:.0%} of "
                f"the span; needs 4 or more ratings). Groups differ when two groups' average ratings are at least "
                f"{apart} points apart.")


@dataclass
class Agreement:
    """What the rule says about one item's ratings."""

    kind: str = ""  # '', APART or SPLIT
    apart: dict[str, str] = field(default_factory=dict)  # partner -> 'low' or 'high'
    low: list[str] = field(default_factory=list)  # who sits at the low end
    high: list[str] = field(default_factory=list)  # who sits at the high end

    @property
    def flagged(self) -> bool:
        return bool(self.kind)

    def where(self, partner: str) -> str:
        """Where the rule puts one partner, in the words their feedback uses; '' when they are with the others."""
        if partner in self.apart:
            return WHERE[self.apart[partner]]
        if self.kind == SPLIT and partner in self.low:
            return WHERE["split low"]
        if self.kind == SPLIT and partner in self.high:
            return WHERE["split high"]
        return ""

    def summary(self) -> str:
        """E.g. 'Voluntary Sector Forum sits apart (1; others 7-8)' or 'Split: 2 rate 2-3, 2 rate 7-8'."""
        if not self.kind:
            return ""
        if self.kind == SPLIT:
            return f"Split: {', '.join(self.low)} low; {', '.join(self.high)} high"
        return "; ".join(f"{name} sits apart ({side})" for name, side in self.apart.items())


def judge(values: dict[str, int], scale: Scale, rule: AgreementRule) -> Agreement:
    """Apply the rule to one item's ratings (partner -> value)."""
    result = Agreement()
    if len(values) < 2:
        return result
    ordered = sorted(values.values())
    result.low = [p for p, v in values.items() if v == ordered[0]]
    result.high = [p for p, v in values.items() if v == ordered[-1]]
    split_gap = rule.points(rule.split, scale)
    if len(ordered) >= 4 and ordered[-2] - ordered[1] >= split_gap:
        result.kind = SPLIT
        result.low = [p for p, v in values.items() if v <= ordered[1]]
        result.high = [p for p, v in values.items() if v >= ordered[-2]]
        return result
    apart_gap = rule.points(rule.apart, scale)
    if len(ordered) >= 3:
        if ordered[1] - ordered[0] >= apart_gap:
            result.apart[result.low[0]] = "low"
        if ordered[-1] - ordered[-2] >= apart_gap:
            result.apart[result.high[0]] = "high"
    if result.apart:
        result.kind = APART
    return result
