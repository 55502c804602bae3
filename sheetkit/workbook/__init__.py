"""The respondent's workbook: its layout (one definition shared by the writer and the reader),
how a framework is planned into it, what it starts with, and how it is drawn; and, planned and
drawn the same way, a partner's reply to their feedback.
"""

from .layout import WorkbookLayout, SheetTable, AnswerCell, TextCell, Row, Column
from sheetkit.framework.model import ACTION_STATUSES, ACTION_CLOSED
from .plan import plan_workbook, plan_for, cell_for
from .prefill import Carried
from .writer import FormWorkbook, WorkbookFacts, write_workbook
from .reply import ReplyLayout, plan_reply
from .reply_draw import draw_reply, seal, write_reply_workbook

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
    "FormWorkbook",
    "ReplyLayout",
    "plan_reply",
    "draw_reply",
    "seal",
    "write_reply_workbook",
]
