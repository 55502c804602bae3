"""The next round: last round read as plain data, what it carries into this round's workbooks,
and this round compared with the last.
"""

from .model import PreviousRound, PreviousRespondent, PreviousAction
from .load import load_previous
from .carry import carry_over
from .trend import Trend, compute_trend, current_answers
from .responses import read_responses

__all__ = [
    "PreviousRound",
    "PreviousRespondent",
    "PreviousAction",
    "load_previous",
    "carry_over",
    "Trend",
    "compute_trend",
    "current_answers",
    "read_responses",
]
