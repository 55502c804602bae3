"""The framework model: sections, items, statements, scales and the response fields.

A framework is plain data. It is loaded and checked from YAML by
:mod:`sheetkit.framework.file`; everything downstream (the workbook layout, the writer,
the reader, validation, consolidation) works from these objects and their stable ids.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterator
from sheetkit.common.text import utf16_length
from sheetkit.common.limits import SHEET_NAME_LIMIT
from .action_plan import NO_ROLE, ROLES, SHEETKIT_COLUMNS, ActionColumn
from .keys import AnswerKey

RESPONSE_LEVELS = ("framework", "section", "item", "statement")
ACTION_STATUSES = ("Not started", "In progress", "Done", "Dropped")
# A pre-filled follow-up workbook's 'Still true?' beside last round's answers: the first entry confirms them.
# (No comma: a dropdown written as a literal list is split at commas.)
STILL_TRUE = ("Yes: still true", "No: I have changed it")
ACTION_CLOSED = ("Done", "Dropped")  # statuses that end an action: not carried to the next round
PRIORITIES = ("High", "Medium", "Low")
REPLY_DECISIONS = ("Keep", "Revise")  # a partner's reply to their feedback, on each rating asked about
ORIGINS = ("publisher", "sheetkit")
# What a field is to the action plan (ROLES: the criterion an action addresses, the action itself,
# who owns it, when it is due...; NO_ROLE: no part in actions, say a review date) is declared with
# the action plan's columns, in sheetkit.framework.action_plan.
UNDESCRIBED_LEVELS = "The source gives no description of what each point of this scale means."
DEFAULT_LABELS = {"section": "Section", "item": "Item", "statement": "Statement", "prompts": "Prompts",
                  "record": "Record"}


SHEET_NAME_FORBIDDEN = ":\\/?*[]"



def sheet_name_problem(name: str) -> str:
    """Why a text cannot be a sheet name in Excel, or '' when it can."""
    if not name.strip():
        return "it is blank"
    if utf16_length(name) > SHEET_NAME_LIMIT:
        return f"it is {utf16_length(name)} characters long; a sheet name holds at most {SHEET_NAME_LIMIT}"
    bad = sorted({ch for ch in name if ch in SHEET_NAME_FORBIDDEN or ord(ch) < 32})
    if bad:
        return f"it contains {' '.join(repr(ch) for ch in bad)}, which Excel forbids in sheet names"
    if name.startswith("'") or name.endswith("'"):
        return "it begins or ends with an apostrophe, which Excel forbids in sheet names"
    return ""


def derived_short_title(section_id: str, title: str, label: str, taken: frozenset[str] = frozenset()) -> str:
    """A legal short title for a section that gives none, not in `taken` (lower case): '<id> <title>'
    when that fits a tab, else '<label> <id>' (never a title cut short)."""
    mentions_id = re.search(rf"(^|\W){re.escape(section_id)}(\W|$)", title)
    candidates = [title if mentions_id else f"{section_id} {title}", f"{label} {section_id}", f"Section {section_id}"]
    candidates += [f"Section {section_id[:18]} ({n})" for n in range(2, 100)]
    for candidate in candidates:
        candidate = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in candidate)
        candidate = " ".join(candidate.split()).strip("'")
        if not sheet_name_problem(candidate) and candidate.lower() not in taken:
            return candidate
    return "Section"


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    description: str
    summary: str = ""

    @property
    def caption(self) -> str:
        """The level's name with the source's short description, e.g. 'Very good: Major strengths'."""
        return f"{self.label}: {self.summary}" if self.label and self.summary else self.label or self.summary

    @property
    def choice(self) -> str:
        """The text shown in the dropdown, e.g. '4 - Good' or '5 - Very good: Major strengths'."""
        return f"{self.value} - {self.caption}" if self.caption else str(self.value)


@dataclass(frozen=True)
class Scale:
    """A rating scale. ``origin`` says whose the scale is, ``label_origin`` whose the level labels are.

    ``guidance`` is the source's own advice on choosing a point, quoted; it matters most where
    the points carry no published descriptions (``described`` is then False).
    """

    id: str
    title: str
    origin: str
    levels: tuple[Level, ...]
    note: str = ""
    guidance: str = ""
    label_origin: str = "publisher"

    @property
    def described(self) -> bool:
        """True when every level has a description of what it means."""
        return all(level.description for level in self.levels)

    def unpublished(self, source: str) -> str:
        """What the Scale sheet and the rating's dropdown both say, once, of levels the publisher gives no
        meaning for ('' when every level has one, or the scale is sheetkit's own and says so)."""
        described = [level.value for level in self.levels if level.description]
        if self.origin != "publisher" or len(described) == len(self.levels):
            return ""
        if not described:
            return f"{source} gives no meaning for any level of this scale."
        listed = ", ".join(map(str, described[:-1])) + f" and {described[-1]}" if len(described) > 1 else described[0]
        return f"{source} describes only level{'s' if len(described) > 1 else ''} {listed}; it gives no meaning for the others."

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(level.choice for level in self.levels)

    @property
    def span(self) -> int:
        return max(self.values) - min(self.values)


@dataclass(frozen=True)
class ResponseField:
    """Something the respondent fills in: a rating, a text, a date, a person or a priority.

    ``origin`` is "sheetkit" when the source does not ask for the field; ``role`` is what the
    field is to the action plan (one of ROLES, or "none"), :func:`default_role` when not given.
    """

    id: str
    label: str
    type: str
    level: str
    scale: str = ""
    evidence: tuple[str, ...] = ()
    required: bool = False
    origin: str = "publisher"
    role: str = ""

    def __post_init__(self) -> None:
        if not self.role:
            object.__setattr__(self, "role", default_role(self.id, self.type))


def default_role(field_id: str, field_type: str) -> str:
    """The role of a field that declares none: how sheetkit has always read such fields."""
    if field_id in ("action", "actions") and field_type == "text":
        return "action"
    if field_type == "person":
        return "owner"
    if field_type == "date":
        return "due"
    return field_id if field_id in ROLES and field_id not in ("action", "owner", "due") else NO_ROLE


@dataclass(frozen=True)
class ItemLevel:
    value: int
    text: str


@dataclass(frozen=True)
class Statement:
    id: str
    text: str
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Illustration:
    level: int
    title: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """A rated unit. ``stem`` is wording its statements complete, e.g. 'The extent to which:'."""

    id: str
    title: str
    statements: tuple[Statement, ...] = ()
    description: str = ""
    prompts: tuple[str, ...] = ()
    levels: tuple[ItemLevel, ...] = ()
    stem: str = ""


@dataclass(frozen=True)
class Section:
    """A part of the framework. ``short_title`` names its tab, its link and it in every message."""

    id: str
    title: str
    items: tuple[Item, ...]
    description: str = ""
    illustrations: tuple[Illustration, ...] = ()
    short_title: str = ""
    stem: str = ""

    def __post_init__(self) -> None:
        if not self.short_title:
            object.__setattr__(self, "short_title", derived_short_title(self.id, self.title, "Section"))


@dataclass(frozen=True)
class Source:
    publisher: str
    year: int | None
    title: str
    published: str = ""
    notes: str = ""

    def citation(self) -> str:
        cite = f"{self.publisher} ({self.year or 'undated'}), {self.title}"
        return f"{cite}. {self.published}" if self.published else cite


@dataclass(frozen=True, eq=False)
class Framework:
    id: str
    title: str
    version: str
    source: Source
    scales: tuple[Scale, ...]
    responses: dict[str, tuple[ResponseField, ...]]
    sections: tuple[Section, ...]
    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    path: str = ""
    action_columns: tuple[ActionColumn, ...] = SHEETKIT_COLUMNS  # sheetkit's, then the file's own

    def action_column(self, column_id: str) -> ActionColumn:
        """The action plan's column `column_id` (KeyError when the plan has none)."""
        return self._action_plan[0][column_id]

    def action_fields(self, follow_up: bool = False) -> tuple[ResponseField, ...]:
        """The action plan's columns as the respondent's fields, in order (follow-up columns only when asked)."""
        return tuple(f for f, c in zip(self._action_plan[1], self.action_columns) if follow_up or not c.follow_up)

    def action_field(self, column_id: str) -> ResponseField:
        """The field behind the action plan's column `column_id`."""
        return self._action_plan[2][column_id]

    @cached_property
    def _action_plan(self):
        """(columns by id, their fields in order, fields by id), made once."""
        columns = {c.id: c for c in self.action_columns}
        fields = tuple(ResponseField(c.id, c.label, c.type, "action", origin=c.origin, role=c.role)
                       for c in self.action_columns)
        return columns, fields, {f.id: f for f in fields}

    def scale(self, scale_id: str) -> Scale:
        return next(scale for scale in self.scales if scale.id == scale_id)

    def fields(self, level: str) -> tuple[ResponseField, ...]:
        return self.responses.get(level, ())

    def items(self) -> Iterator[tuple[Section, Item]]:
        for section in self.sections:
            for item in section.items:
                yield section, item

    def statements(self) -> Iterator[tuple[Section, Item, Statement]]:
        for section, item in self.items():
            for statement in item.statements:
                yield section, item, statement

    def field_with_role(self, level: str, role: str) -> ResponseField | None:
        """The field at `level` ('item', 'action'...) playing `role` (one of ROLES), if any."""
        return next((f for f in self.fields(level) if f.role == role), None)

    def stem(self, section: Section, item: Item) -> str:
        """The wording an item's statements complete: the item's own stem, else its section's."""
        return item.stem or section.stem

    def item_rating_field(self) -> ResponseField | None:
        """The item-level rating (the rated unit's score), if the framework has one."""
        return next((f for f in self.fields("item") if f.type == "rating"), None)

    def _level_labels(self) -> dict[int, str]:
        rating = self.item_rating_field()
        if rating is None:
            return {}
        return {lv.value: lv.label for lv in self.scale(rating.scale).levels}

    def counts(self) -> dict[str, int]:
        return {
            "sections": len(self.sections),
            "items": sum(1 for _ in self.items()),
            "statements": sum(1 for _ in self.statements()),
        }

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the framework's wording, scales and structure (not of the file's bytes)."""
        content = self.to_dict(include_source=False)
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_dict(self, include_source: bool = True) -> dict:
        """The framework as JSON-ready data: the shape `sheetkit frameworks show --json` prints."""
        data = {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "labels": dict(self.labels),
            "scales": [_scale_dict(scale) for scale in self.scales],
            "responses": {
                level: [_field_dict(f) for f in self.fields(level)] for level in RESPONSE_LEVELS
            },
            "sections": [_section_dict(section, self._level_labels()) for section in self.sections],
        }
        own = [_column_dict(c) for c in self.action_columns if c not in SHEETKIT_COLUMNS]
        if own:  # only a file that adds columns says so, so every other framework's fingerprint stays as it was
            data["action_plan"] = own
        if include_source:
            data["source"] = {
                "publisher": self.source.publisher,
                "year": self.source.year,
                "title": self.source.title,
                "published": self.source.published,
                "notes": self.source.notes,
            }
            data["fingerprint"] = self.fingerprint
            data["counts"] = self.counts()
        return data


def _scale_dict(scale: Scale) -> dict:
    return {
        "id": scale.id,
        "title": scale.title,
        "origin": scale.origin,
        "label_origin": scale.label_origin,
        "note": scale.note,
        "guidance": scale.guidance,
        "levels": [
            {"value": lv.value, "label": lv.label, "summary": lv.summary, "description": lv.description}
            for lv in scale.levels
        ],
    }


def _field_dict(f: ResponseField) -> dict:
    return {
        "id": f.id,
        "label": f.label,
        "type": f.type,
        "scale": f.scale,
        "evidence": list(f.evidence),
        "required": f.required,
        "origin": f.origin,
        "role": f.role,
    }


def _column_dict(c: ActionColumn) -> dict:
    return {"id": c.id, "label": c.label, "type": c.type, "width": c.width, "carried": c.carry == "always"}


def _section_dict(section: Section, level_labels: dict[int, str]) -> dict:
    return {
        "id": section.id,
        "title": section.title,
        "short_title": section.short_title,
        "stem": section.stem,
        "description": section.description,
        "illustrations": [
            {"level": il.level, "title": il.title, "points": list(il.points)}
            for il in section.illustrations
        ],
        "items": [_item_dict(item, level_labels) for item in section.items],
    }


def _item_dict(item: Item, level_labels: dict[int, str]) -> dict:
    return {
        "id": item.id,
        "title": item.title,
        "stem": item.stem,
        "description": item.description,
        "prompts": list(item.prompts),
        "levels": [
            {"value": lv.value, "label": level_labels.get(lv.value, ""), "text": lv.text}
            for lv in item.levels
        ],
        "statements": [
            {"id": st.id, "text": st.text, "prompts": list(st.prompts)} for st in item.statements
        ],
    }


def item_caption(item: Item) -> str:
    """A readable caption for an item, even where the source's title is only '(a)'."""
    if len(item.title) >= 12 or not item.statements:
        return item.title
    text = item.statements[0].text
    short = text if len(text) <= 80 else text[:77].rsplit(" ", 1)[0] + "..."
    return f"{item.title} {short}".strip()


_ENUMERATOR = re.compile(r"^\(?[A-Za-z0-9]{1,3}[.)]?$")  # "(a)", "3.", "iv)": a title that only numbers the item


def item_name(framework: "Framework", item: Item) -> str:
    """How the workbook names an item in a heading: 'Standard 1' (from 'Standard 1: Good commissioning
    ...'), 'Essential feature (a)' (from the bare '(a)'), 'Challenge 1: Leadership' (from 'Leadership')."""
    label, title = framework.labels["item"], item.title.strip()
    if title.lower().startswith(label.lower()):
        return title.split(":", 1)[0].strip()
    if not title or _ENUMERATOR.match(title):
        return f"{label} {title or item.id}"
    return f"{label} {item.id}: {title}"


def numbers_only(item: Item) -> bool:
    """Whether an item's title only numbers it, as SWIA's '(a)' does: its heading then names what it is."""
    return bool(_ENUMERATOR.match(item.title.strip()))


def criteria(framework: "Framework") -> list[str]:
    """The ids an action can address: every item and statement id, in order."""
    ids: list[str] = []
    for _, item in framework.items():
        ids.append(item.id)
        ids += [st.id for st in item.statements if st.id != item.id]
    return list(dict.fromkeys(ids))


@lru_cache(maxsize=32)
def criterion_choices(framework: "Framework") -> tuple[str, ...]:
    """What the action plan's dropdown shows for each criterion: its id and a short title that tells it
    from the others ('1 Person-centred and focuses on outcomes', not '1 Standard 1: Good commissioning...')."""
    titles = _criterion_titles(framework)
    return tuple(f"{cid} {titles[cid]}".strip() for cid in criteria(framework))


SHORT_TITLE = (30, 60)  # characters: a dropdown entry's title is at least the first, at most the second


def _criterion_titles(framework: Framework) -> dict[str, str]:
    texts: dict[str, str] = {}
    for _, item in framework.items():
        whole = item_caption(item) if len(item.title) >= 12 or not item.statements else \
            f"{item.title} {item.statements[0].text}"  # as item_caption, but not cut short
        texts.setdefault(item.id, _without_name(whole, item.id, framework.labels["item"]))
        for st in item.statements:
            texts.setdefault(st.id, _without_name(st.text, st.id, framework.labels["statement"]))
    return _distinct_starts(texts)


def _without_name(text: str, ident: str, label: str) -> str:
    """A title without the name the dropdown already shows: 'Standard 1: Good...' -> 'Good...'."""
    text = " ".join(text.replace(",", " ").split())
    for name in (f"{label} {ident}", ident):
        if text.lower().startswith(name.lower()) and text[len(name):len(name) + 1] in (":", ".", " ", "-"):
            rest = text[len(name):].lstrip(":.- ")
            return rest or text
    return text


def _distinct_starts(texts: dict[str, str]) -> dict[str, str]:
    """Each text cut at a word to the shortest start that tells it from every other (never shorter than
    SHORT_TITLE[0] characters, never longer than SHORT_TITLE[1]), marked '...' where it is cut."""
    least, most = SHORT_TITLE
    words = {key: text.split(" ") for key, text in texts.items()}
    starts = {}
    for key, own in words.items():
        others = [w for k, w in words.items() if k != key and w != own]
        n = 1
        while n < len(own) and (len(" ".join(own[:n])) < least
                                or any(other[:n] == own[:n] for other in others)):
            n += 1
        start = " ".join(own[:n])
        if len(start) > most:
            start = start[:most - 3].rsplit(" ", 1)[0]
            n = len(start.split(" "))
        starts[key] = start + ("..." if n < len(own) else "")
    return starts


@dataclass(frozen=True)
class Rated:
    """One rated thing of a framework: an item's rating field, or a section's own rating field."""

    level: str  # 'item' or 'section'
    section_id: str
    owner_id: str  # the item's id, or the section's
    caption: str
    field: ResponseField
    ref: str  # as the respondent's workbook shows it in the row's Ref cell

    @property
    def key(self) -> str:
        """The rating's answer key ('item/7/rating')."""
        return AnswerKey.of(self.level, self.owner_id, self.field.id)


def rated_things(framework: Framework) -> list[Rated]:
    """Every rated thing, in framework order: each item's ratings, then its section's own ratings."""
    found = []
    item_ratings = [f for f in framework.fields("item") if f.type == "rating"]
    section_ratings = [f for f in framework.fields("section") if f.type == "rating"]
    for section in framework.sections:
        for item in section.items:
            for f in item_ratings:
                caption = item_caption(item) + (f" ({f.label})" if len(item_ratings) > 1 else "")
                found.append(Rated("item", section.id, item.id, caption, f, item.id))
        for f in section_ratings:
            found.append(Rated("section", section.id, section.id, f"{section.title}: {f.label}", f,
                               f"{framework.labels['section']} {section.id}"))
    return found
