"""The field types a response field can have, in one registry: everything a type does.

Each :class:`FieldType` says, for its answer cells, how they are labelled ("(pick)", "(date)",
"(type here)"), styled and sized; which dropdown entries they offer and which rule Excel
enforces as they are typed (the same rule and entries the reader checks again, since a pasted
value passes no validation); how a value read back is made usable, and which finding codes
that can report; what last round's value becomes when it is typed in again for the
respondent; and a plausible value for the samples and tests.

Adding a field type is one entry in :data:`FIELD_TYPES` (plus a row in the field types table of
docs/framework-format.md, which a test checks, and any new finding code in
sheetkit.common.findings.CATALOGUE): the framework loader, the layout, the writer, the reader,
the next round and the samples all read this registry.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from sheetkit.common import limits
from sheetkit.common.own_files import CRITERIA_NAME
from sheetkit.common.text import as_text, clip
from .model import (ACTION_STATUSES, PRIORITIES, REPLY_DECISIONS, STILL_TRUE, Framework, ResponseField, Scale,
                    criterion_choices)

_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?\s*$")
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))  # what a date cell accepts, typed or read back


@dataclass(frozen=True)
class Checked:
    """A value read back: usable or not, and if not, the finding's code and message."""

    value: object
    usable: bool = True
    code: str = ""
    message: str = ""


Check = Callable[[object, ResponseField, Framework], Checked]


def _no_choices(f: ResponseField, fw: Framework) -> tuple[str, ...]:
    return ()


def _list_rule(f: ResponseField, fw: Framework) -> dict | None:
    """A pick from the field's dropdown, with a prompt that lists the entries."""
    options = field_type(f).choices(f, fw)
    if not options:
        return None
    assert not any("," in o for o in options), f"a dropdown written as a list is split at commas: {options}"
    return {
        "validate": "list", "source": list(options),
        "input_title": clip(f.label, limits.TITLE_LIMIT),
        "input_message": clip("Pick one: " + ", ".join(options), limits.LABEL_LIMIT),
        "error_title": "Please pick from the list",
        "error_message": clip("Choose one of the values in the dropdown: " + "; ".join(options),
                              limits.ERROR_MESSAGE_LIMIT),
    }


def _no_rule(f: ResponseField, fw: Framework) -> dict | None:
    return None


def _prefill_text(value, f: ResponseField, fw: Framework):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return as_text(value) if value is not None else None


@dataclass(frozen=True)
class FieldType:
    """One kind of answer cell: everything sheetkit does with it, from the built workbook to the
    value read back and carried into the next round."""

    name: str
    hint: str  # shown after the label or header: what goes in the cell
    style: str  # the answer cell's style in sheetkit.xlsx.styles
    check: Check  # (value as read, field, framework) -> Checked
    choices: Callable[[ResponseField, Framework], tuple[str, ...]] = _no_choices  # the dropdown's entries
    excel_rule: Callable[[ResponseField, Framework], dict | None] = _no_rule  # XlsxWriter data validation
    prefill: Callable[[object, ResponseField, Framework], object] = _prefill_text  # last round's value, typed again
    sample: Callable[[random.Random, ResponseField, Framework, float], object] | None = None  # (rng, f, fw, lean)
    room: float = 32.0  # the least height, in points, of a row holding such a cell
    codes: tuple[str, ...] = ()  # the finding codes its check can report
    in_frameworks: bool = True  # a framework file may give it; False for sheetkit's own action fields only
    notes: tuple[str, ...] = field(default=(), compare=False)


# -- text, person ---------------------------------------------------------------------------------

def _check_text(raw, f: ResponseField, fw: Framework) -> Checked:
    return Checked(as_text(raw))


SAMPLE_PHRASES = (
    "Joint strategic needs assessment refreshed in 2026 and shared with partners.",
    "Market position statement published; providers engaged through quarterly forums.",
    "People with lived experience sit on the commissioning board.",
    "Outcome measures agreed with health but not yet reported jointly.",
    "Contract monitoring focuses on outputs; moving to outcomes is planned.",
    "Workforce data from the adult social care dataset informs fee setting.",
    "Co-production guidance adopted; practice is uneven across directorates.",
    "Pooled budget under section 75 covers reablement and equipment.",
    "Annual survey of carers shows rising satisfaction with respite.",
    "Board papers record quarterly reviews of commissioning intentions.",
    "Fee uplift agreed after open-book review with care home providers.",
    "Housing needs of older people mapped ward by ward last spring.",
    "Lived experience panel reviewed every new service specification.",
    "New dementia pathway commissioned jointly with primary care.",
    "Quality assurance visits now include people who use the service.",
    "Uptake of direct payments has fallen; an action plan is in draft.",
)
# Sixteen openers, so that answers drawn from them fall in no particular order down a column (a
# few openers would line up in alphabetical runs, which the reader takes for a column sorted alone).
_PEOPLE = ("Head of Commissioning", "Housing Strategy Lead", "ICB Partnership Manager", "Voluntary Sector Forum Chair",
           "Director of Adult Social Care")


def _sample_text(rng: random.Random, f: ResponseField, fw: Framework, lean: float) -> str:
    return rng.choice(SAMPLE_PHRASES) + " " + rng.choice(SAMPLE_PHRASES).lower()


def _sample_person(rng: random.Random, f: ResponseField, fw: Framework, lean: float) -> str:
    return rng.choice(_PEOPLE)


# -- lists: priority, status ----------------------------------------------------------------------

def _check_list(raw, f: ResponseField, fw: Framework) -> Checked:
    choices = field_type(f).choices(f, fw)
    text = as_text(raw).strip()
    match = next((c for c in choices if c.lower() == text.lower()), None)
    if match is None:
        return Checked(text, False, "choice-invalid",
                       f"'{clip(text)}' is not one of {', '.join(choices)} for '{f.label}'")
    return Checked(match)


def _check_priority(raw, f: ResponseField, fw: Framework) -> Checked:
    checked = _check_list(raw, f, fw)
    if not checked.usable:
        return Checked(checked.value, False, "priority-invalid",
                       f"priority '{clip(as_text(raw))}' is not one of {', '.join(PRIORITIES)}")
    return checked


def _pick(rng: random.Random, f: ResponseField, fw: Framework, lean: float):
    return rng.choice(field_type(f).choices(f, fw))


# -- dates ------------------------------------------------------------------------------------------

def _check_date(raw, f: ResponseField, fw: Framework) -> Checked:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return _in_range(raw, f)
    text = as_text(raw)
    iso = _ISO_DATE.match(text)
    if iso:
        try:
            return _in_range(dt.date(int(iso[1]), int(iso[2]), int(iso[3])), f)
        except ValueError:
            pass
    if _AMBIGUOUS_DATE.match(text):
        return Checked(None, False, "date-ambiguous",
                       f"'{f.label}' holds the text '{text}', not a date; sheetkit does not guess whether it is "
                       f"day/month or month/day. Expected a date such as 2026-12-31")
    return Checked(None, False, "date-invalid",
                   f"'{f.label}' holds '{clip(text)}', which is not a date; expected a date such as 2026-12-31, "
                   f"or a blank cell")


def _in_range(day: dt.date, f: ResponseField) -> Checked:
    """A date the cell's own rule accepts; one outside it (a pasted 2027 is day 2027 of 1900) is reported."""
    first, last = DATE_RANGE
    if first <= day <= last:
        return Checked(day)
    return Checked(None, False, "date-out-of-range",
                   f"'{f.label}' holds the date {day.isoformat()}, outside the {first.year}-{last.year} the cell "
                   f"accepts (a number pasted into a date cell reads as a day counted from 1900); expected a date "
                   f"such as 2026-12-31")


def _date_rule(f: ResponseField, fw: Framework) -> dict:
    first, last = DATE_RANGE
    return {
        "validate": "date", "criteria": "between", "minimum": first, "maximum": last,
        "input_title": "Enter a date",
        "input_message": "Type a date such as 2026-12-31, or leave the cell blank.",
        "error_title": "Not a date",
        "error_message": "Please enter a real date, such as 2026-12-31. Leave it blank if there is none.",
    }


def _prefill_date(value, f: ResponseField, fw: Framework):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None  # text left in a date cell last round: shown beside the cell, not typed in again


def _sample_date(rng: random.Random, f: ResponseField, fw: Framework, lean: float) -> dt.datetime:
    return dt.datetime(2027, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))


# -- ratings ----------------------------------------------------------------------------------------

def rating_value(raw, levels: list[tuple[int, str]]) -> int | None:
    """The level a rating cell means: a level's number or its dropdown text ('4 - Good', '4 – Good').

    A number typed in the decimal digits of any script means that number: Arabic-Indic '٧' and
    full-width '７' are 7, as the person typing them meant. Superscript, subscript and circled
    digits, fractions and Roman numerals are not decimal digits ('7¹' is a 7 with a footnote
    mark, not a level), so they are not a level; nor is anything else. Invisible characters
    (zero-width spaces, direction marks) and spacing of any kind are ignored. Never raises.
    """
    values = {value for value, _ in levels}
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw in values else None
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and int(raw) in values else None
    if isinstance(raw, str):
        text = " ".join(_visible(raw).replace("\u2013", "-").replace("\u2014", "-").split())  # "4 – Good" from AutoCorrect
        by_choice = {choice.lower(): value for value, choice in levels}
        if text.lower() in by_choice:
            return by_choice[text.lower()]
        if text.isdecimal() and len(text) <= _LONGEST_LEVEL and int(text) in values:
            return int(text)
    return None


_LONGEST_LEVEL = 9  # digits: no scale has a level past a billion, and int() of a long digit string is slow


def _visible(text: str) -> str:
    """Text without invisible format characters (zero-width spaces and joiners, direction marks, BOM)."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _rating_choices(f: ResponseField, fw: Framework) -> tuple[str, ...]:
    return fw.scale(f.scale).choices


def _check_rating(raw, f: ResponseField, fw: Framework) -> Checked:
    levels = [(lv.value, lv.choice) for lv in fw.scale(f.scale).levels]
    value = rating_value(raw, levels)
    if value is None:
        return Checked(None, False, "rating-out-of-scale",
                       f"rating '{clip(as_text(raw))}' for '{f.label}' is not on the scale; expected one of: "
                       f"{', '.join(choice for _, choice in levels)}")
    return Checked(value)


def _rating_rule(f: ResponseField, fw: Framework) -> dict:
    rule = _list_rule(f, fw)
    rule["input_message"] = rating_prompt(fw.scale(f.scale), fw)
    return rule


def rating_prompt(scale: Scale, fw: Framework) -> str:
    """The rating dropdown's prompt: the levels, and what the Scale sheet says of their meanings,
    in the same words (whose scale it is; which levels the publisher gives no meaning for). The
    levels are shortened, never the note, when the prompt would pass Excel's 255 characters."""
    unpublished = scale.unpublished(fw.source.title)
    if scale.origin != "publisher":
        note = "This scale is sheetkit's: the source publishes none. What each level means is on the Scale sheet."
    elif unpublished:
        note = f"{unpublished} See the Scale sheet for how to choose."
    elif scale.label_origin != "publisher":
        note = "The level names are sheetkit's; what each level means, in the publisher's words, is on the Scale sheet."
    else:
        note = "What each level means is on the Scale sheet."
    for levels in (scale.choices, [f"{lv.value} - {lv.label}" if lv.label else str(lv.value) for lv in scale.levels],
                   [str(v) for v in scale.values]):
        prompt = f"Pick a level: {'; '.join(levels)}. {note}"
        if len(prompt) <= limits.LABEL_LIMIT:
            return prompt
    return clip(prompt, limits.LABEL_LIMIT)


def _prefill_rating(value, f: ResponseField, fw: Framework):
    """A rating comes back as its level's number and is given as that level's dropdown entry; a
    number that is no level of this round's scale is not typed in for the respondent."""
    levels = fw.scale(f.scale).levels
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _leading_number(value)
    return next((lv.choice for lv in levels if number is not None and lv.value == number), None)


def _leading_number(text) -> float | None:
    try:
        return float(str(text).split(" ", 1)[0])
    except ValueError:
        return None


def _sample_rating(rng: random.Random, f: ResponseField, fw: Framework, lean: float) -> str:
    """A level around a lean (-1 weak .. +1 strong)."""
    levels = fw.scale(f.scale).levels
    centre = (len(levels) - 1) * (0.5 + lean / 2)
    return levels[min(len(levels) - 1, max(0, round(rng.gauss(centre, 0.8))))].choice


# -- the action plan's criterion ------------------------------------------------------------------

def _criterion_choices(f: ResponseField, fw: Framework) -> tuple[str, ...]:
    return tuple(criterion_choices(fw))


def _check_criterion(raw, f: ResponseField, fw: Framework) -> Checked:
    """'7.3 Joint strategies' (as the dropdown shows it) or '7.3' -> '7.3'; anything else is not one
    of the dropdown's entries, kept as typed and reported."""
    text = as_text(raw).strip()
    head = text.split(" ", 1)[0]
    if head in _criterion_ids(fw):
        return Checked(head)
    return Checked(text, False, "choice-invalid",
                   f"'{clip(text)}' is not one of the parts listed for '{f.label}'; expected an entry of its "
                   f"dropdown, such as '{next(iter(criterion_choices(fw)), '')}'")


@lru_cache(maxsize=8)  # read again in every action row of every return
def _criterion_ids(fw: Framework) -> frozenset[str]:
    return frozenset({st.id for _, _, st in fw.statements()} | {item.id for _, item in fw.items()})


def _criterion_rule(f: ResponseField, fw: Framework) -> dict:
    # The entries sit on a hidden sheet behind a defined name: a typed list holds 255 characters at most.
    return {
        "validate": "list", "source": f"={CRITERIA_NAME}",
        "input_title": "Which part does it address?",
        "input_message": "Pick the item or statement this action addresses.",
        "error_title": "Not in the list",
        "error_message": "Please pick one of the parts in the list.",
    }


def _prefill_criterion(value, f: ResponseField, fw: Framework):
    """Last round's id given as the dropdown shows it ('7.3' -> '7.3 Joint strategies')."""
    text = as_text(value).strip()
    entries = {choice.split(" ", 1)[0]: choice for choice in criterion_choices(fw)}
    return entries.get(text, text) or None


FIELD_TYPES: dict[str, FieldType] = {
    "rating": FieldType("rating", "(pick)", "answer", _check_rating, _rating_choices, _rating_rule, _prefill_rating,
                        _sample_rating, codes=("rating-out-of-scale",)),
    "text": FieldType("text", "(type here)", "answer", _check_text, sample=_sample_text, room=64.0),
    "date": FieldType("date", "(date)", "answer_date", _check_date, excel_rule=_date_rule, prefill=_prefill_date,
                      sample=_sample_date, codes=("date-invalid", "date-ambiguous", "date-out-of-range")),
    "person": FieldType("person", "(name or role)", "answer", _check_text, sample=_sample_person),
    "priority": FieldType("priority", "(pick)", "answer", _check_priority, lambda f, fw: PRIORITIES, _list_rule,
                          sample=_pick, codes=("priority-invalid",)),
    "status": FieldType("status", "(pick)", "answer", _check_list, lambda f, fw: ACTION_STATUSES, _list_rule,
                        sample=_pick, codes=("choice-invalid",), in_frameworks=False),
    "decision": FieldType("decision", "(pick)", "answer", _check_list, lambda f, fw: REPLY_DECISIONS, _list_rule,
                          sample=_pick, codes=("choice-invalid",), in_frameworks=False),
    "criterion": FieldType("criterion", "(pick)", "answer", _check_criterion, _criterion_choices, _criterion_rule,
                           _prefill_criterion, _pick, codes=("choice-invalid",), in_frameworks=False),
    "confirmation": FieldType("confirmation", "(pick)", "answer", _check_list, lambda f, fw: STILL_TRUE, _list_rule,
                              sample=_pick, codes=("choice-invalid",), in_frameworks=False),
}


def framework_field_types() -> tuple[str, ...]:
    """The types a framework file's response fields may have, in the registry's order."""
    return tuple(name for name, kind in FIELD_TYPES.items() if kind.in_frameworks)


def field_type(f: ResponseField) -> FieldType:
    """The registry entry of a response field."""
    return FIELD_TYPES[f.type]


def choices(f: ResponseField, framework: Framework) -> tuple[str, ...]:
    """The dropdown entries of a field, or () for free text and dates."""
    return field_type(f).choices(f, framework)


def excel_rule(f: ResponseField, framework: Framework) -> dict | None:
    """The data validation Excel enforces on the field's cells as they are typed (None: free text)."""
    return field_type(f).excel_rule(f, framework)


def check_value(raw, f: ResponseField, framework: Framework) -> Checked:
    """A value read back from the field's cell, checked by the same rule the cell enforces.

    Never raises: a check that fails on an odd value gives a `cell-unreadable` finding with the
    value kept as typed (not counted), so one cell never costs the rest of the return.
    """
    try:
        return field_type(f).check(raw, f, framework)
    except Exception as exc:  # noqa: BLE001 - any fault while judging one value stays with that value
        return Checked(raw, False, "cell-unreadable",
                       f"'{f.label}' holds '{clip(_shown(raw))}', which sheetkit could not check "
                       f"({type(exc).__name__}); expected {expectation(f, framework)}. The value is kept as typed "
                       f"and not counted")


def expectation(f: ResponseField, framework: Framework) -> str:
    """What a field's cell accepts, in words, from the entries and rule its cell is built with."""
    try:
        options = choices(f, framework)
        rule = excel_rule(f, framework) or {}
    except Exception:  # noqa: BLE001 - only for a message; the field's own check reports the problem
        return "what the cell's label asks for"
    if options:
        return "one of: " + clip(", ".join(options), 160)
    if rule.get("validate") == "date":
        return f"a date from {rule['minimum']:%Y-%m-%d} to {rule['maximum']:%Y-%m-%d}, such as 2026-12-31"
    return "text"


def _shown(value) -> str:
    try:
        return as_text(value)
    except Exception:  # noqa: BLE001 - a value even str() fails on is shown by its kind
        return f"<a {type(value).__name__} value>"


def prefill_value(value, f: ResponseField, framework: Framework):
    """Last round's value as the respondent would type or pick it in the field this round (None: it cannot be)."""
    return field_type(f).prefill(value, f, framework)


def sample_value(rng: random.Random, f: ResponseField, framework: Framework, lean: float = 0.0):
    """A plausible answer for the field (lean: -1 weak .. +1 strong, for ratings)."""
    sample = field_type(f).sample or _sample_text
    return sample(rng, f, framework, lean)
