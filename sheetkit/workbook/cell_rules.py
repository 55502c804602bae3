"""What an answer cell accepts as it is typed in Excel or LibreOffice: a date cell takes dates
only, a dropdown cell one of its choices, and each says so in its prompt and its error message.
The same rules are checked again on ingest (see :mod:`sheetkit.framework.fields`), since a pasted value
passes no validation.
"""

from __future__ import annotations

import datetime as dt

from sheetkit.framework.model import Framework, ResponseField
from .layout import CRITERIA_NAME, choices
from sheetkit.common.text import clip
from sheetkit.common import limits


def validation_for(field: ResponseField, framework: Framework) -> dict | None:
    """The XlsxWriter data validation an answer cell of `field` carries (None: free text): a date
    between 2000 and 2100, or a pick from the field's dropdown, each with its prompt and error."""
    if field.type == "date":
        return {
            "validate": "date", "criteria": "between",
            "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
            "input_title": "Enter a date",
            "input_message": "Type a date such as 2026-12-31, or leave the cell blank.",
            "error_title": "Not a date",
            "error_message": "Please enter a real date, such as 2026-12-31. Leave it blank if there is none.",
        }
    if field.level == "action" and field.id == "criterion":
        return {
            "validate": "list", "source": f"={CRITERIA_NAME}",
            "input_title": "Which part does it address?",
            "input_message": "Pick the item or statement this action addresses.",
            "error_title": "Not in the list",
            "error_message": "Please pick one of the parts in the list.",
        }
    options = choices(field, framework)
    if not options:
        return None
    return {
        "validate": "list", "source": list(options),
        "input_title": clip(field.label, limits.TITLE_LIMIT),
        "input_message": _list_prompt(field, options, framework),
        "error_title": "Please pick from the list",
        "error_message": clip("Choose one of the values in the dropdown: " + "; ".join(options), limits.ERROR_MESSAGE_LIMIT),
    }

def _list_prompt(field: ResponseField, options: tuple[str, ...], framework: Framework) -> str:
    if field.type == "rating":
        scale = framework.scale(field.scale)
        summary = "; ".join(level.choice for level in scale.levels)
        return clip(f"Pick a level: {summary}. What each level means is on the Scale sheet.", limits.LABEL_LIMIT)
    return clip("Pick one: " + ", ".join(options), limits.LABEL_LIMIT)
