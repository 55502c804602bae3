"""Accepted answers compiled into the tables a manager reads: the on-disk answer store, actions,
agreement between partners, ratings and section means.
"""

from .consolidation import Consolidation, RatingRow, consolidate
from .spool import AnswerSpool
from .actions import Action, actions_of
from .agreement import AgreementRule, Agreement, judge

__all__ = [
    "Consolidation",
    "RatingRow",
    "consolidate",
    "AnswerSpool",
    "Action",
    "actions_of",
    "AgreementRule",
    "Agreement",
    "judge",
]
