"""Accepted answers compiled into the tables a manager reads: the on-disk answer store, actions,
agreement between partners, ratings and section means.
"""

from .consolidation import Consolidation, RatingRow, consolidate
from .spool import AnswerSpool
from .actions import Action, action_key, actions_of
from .plan import Comparisons, PlanEntry, build_plan, near_identical
from .agreement import AgreementRule, Agreement, judge

__all__ = [
    "Consolidation",
    "RatingRow",
    "consolidate",
    "AnswerSpool",
    "Action",
    "actions_of",
    "action_key",
    "Comparisons",
    "PlanEntry",
    "build_plan",
    "near_identical",
    "AgreementRule",
    "Agreement",
    "judge",
]
