"""What an answer cell accepts as it is typed in Excel or LibreOffice: a date cell takes dates
only, a dropdown cell one of its choices, and each says so in its prompt and its error message.
The same rules are checked again on ingest (see :mod:`sheetkit.fields`), since a pasted value
passes no validation.
"""

from __future__ import annotations

import datetime as dt

from .framework import Framework, ResponseField
from .layout import CRITERIA_NAME, choices


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
        "input_title": clip(field.label, 32),
        "input_message": _list_prompt(field, options, framework),
        "error_title": "Please pick from the list",
        "error_message": clip("Choose one of the values in the dropdown: " + "; ".join(options), 224),
    }

def _list_prompt(field: ResponseField, options: tuple[str, ...], framework: Framework) -> str:
    if field.type == "rating":
        scale = framework.scale(field.scale)
        summary = "; ".join(level.choice for level in scale.levels)
        return clip(f"Pick a level: {summary}. What each level means is on the Scale sheet.", 255)
    return clip("Pick one: " + ", ".join(options), 255)


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters with '...', for the short boxes Excel allows."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
