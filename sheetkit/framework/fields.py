"""The field types a framework's response fields can have, in one registry.

Each :class:`FieldType` says how its cells are labelled ("(pick)", "(date)", "(type here)"),
styled and validated in the respondent's workbook, and how a value read back is made usable.
Adding a field type is one entry in :data:`FIELD_TYPES` plus its tests (and a row in the
field types table of docs/framework-format.md, which a test checks): the framework loader,
the layout, the writer and validation all read this registry. A type whose ``check`` reports
a new finding code also needs that code in sheetkit.common.findings.CATALOGUE; a dropdown type takes
its choices from sheetkit.workbook.layout.choices.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from .model import PRIORITIES
from sheetkit.common.text import as_text, clip

_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?\s*$")


@dataclass(frozen=True)
class Checked:
    """A value read back: usable or not, and if not, the finding's code and message."""

    value: object
    usable: bool = True
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class FieldType:
    """One kind of answer cell: how it is labelled, styled and validated, and who may use it."""

    name: str
    hint: str  # shown after the label or header: what goes in the cell
    style: str  # the answer cell's style in sheetkit.xlsx.styles
    check: Callable  # (text or value, choices, label) -> Checked
    in_frameworks: bool = True  # a framework file may give it; False for sheetkit's own action fields only



def _check_text(raw, choices, label) -> Checked:
    return Checked(as_text(raw))


def _check_list(raw, choices, label) -> Checked:
    text = as_text(raw).strip()
    match = next((c for c in choices if c.lower() == text.lower()), None)
    if match is None:
        return Checked(text, False, "choice-invalid",
                       f"'{clip(text)}' is not one of {', '.join(choices)} for '{label}'")
    return Checked(match)


def _check_priority(raw, choices, label) -> Checked:
    checked = _check_list(raw, PRIORITIES, label)
    if not checked.usable:
        return Checked(checked.value, False, "priority-invalid",
                       f"priority '{clip(as_text(raw))}' is not one of {', '.join(PRIORITIES)}")
    return checked


def _check_date(raw, choices, label) -> Checked:
    if isinstance(raw, dt.datetime):
        return Checked(raw.date())
    if isinstance(raw, dt.date):
        return Checked(raw)
    text = as_text(raw)
    iso = _ISO_DATE.match(text)
    if iso:
        try:
            return Checked(dt.date(int(iso[1]), int(iso[2]), int(iso[3])))
        except ValueError:
            pass
    if _AMBIGUOUS_DATE.match(text):
        return Checked(None, False, "date-ambiguous",
                       f"'{label}' holds the text '{text}', not a date; sheetkit does not guess whether it is "
                       f"day/month or month/day. Expected a date such as 2026-12-31")
    return Checked(None, False, "date-invalid",
                   f"'{label}' holds '{clip(text)}', which is not a date; expected a date such as 2026-12-31, "
                   f"or a blank cell")


def rating_value(raw, levels: list[tuple[int, str]]) -> int | None:
    """The level a rating cell means: a level's number or its dropdown text ('4 - Good', '4 – Good')."""
    values = {value for value, _ in levels}
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return int(raw) if float(raw).is_integer() and int(raw) in values else None
    if isinstance(raw, str):
        text = " ".join(raw.replace("\u2013", "-").replace("\u2014", "-").split())  # "4 – Good" from AutoCorrect
        by_choice = {choice.lower(): value for value, choice in levels}
        if text.lower() in by_choice:
            return by_choice[text.lower()]
        if text.isdigit() and int(text) in values:
            return int(text)
    return None


def _check_rating(raw, choices, label) -> Checked:
    levels = [(int(c.split(" ", 1)[0]), c) for c in choices]
    value = rating_value(raw, levels)
    if value is None:
        return Checked(None, False, "rating-out-of-scale",
                       f"rating '{clip(as_text(raw))}' for '{label}' is not on the scale; expected one of: "
                       f"{', '.join(choices)}")
    return Checked(value)


FIELD_TYPES: dict[str, FieldType] = {
    "rating": FieldType("rating", "(pick)", "answer", _check_rating),
    "text": FieldType("text", "(type here)", "answer", _check_text),
    "date": FieldType("date", "(date)", "answer_date", _check_date),
    "person": FieldType("person", "(name or role)", "answer", _check_text),
    "priority": FieldType("priority", "(pick)", "answer", _check_priority),
    "choice": FieldType("choice", "(pick)", "answer", _check_list, in_frameworks=False),
}


def framework_field_types() -> tuple[str, ...]:
    """The types a framework file's response fields may have, in the registry's order."""
    return tuple(name for name, kind in FIELD_TYPES.items() if kind.in_frameworks)


def field_type(f) -> FieldType:
    """The registry entry of a response field."""
    return FIELD_TYPES[f.type]
