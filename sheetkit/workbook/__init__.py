"""The respondent's workbook: its layout (one definition shared by the writer and the reader),
how a framework is planned into it, what it starts with, and how it is drawn.
"""

from .layout import WorkbookLayout, SheetTable, AnswerCell, TextCell, Row, Column
from sheetkit.framework.model import ACTION_STATUSES, ACTION_CLOSED
from .plan import plan_workbook, plan_for, cell_for
from .prefill import Carried
from .writer import WorkbookFacts, write_workbook

__all__ = [
    "WorkbookLayout",
    "SheetTable",
    "AnswerCell",
    "TextCell",
    "Row",
    "Column",
    "ACTION_STATUSES",
    "ACTION_CLOSED",
    "plan_workbook",
    "plan_for",
    "cell_for",
    "Carried",
    "WorkbookFacts",
    "write_workbook",
]
