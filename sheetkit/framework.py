"""The framework model: sections, items, statements, scales and the response fields.

A framework is plain data. It is loaded and checked from YAML by
:mod:`sheetkit.framework_file`; everything downstream (the workbook layout, the writer,
the reader, validation, consolidation) works from these objects and their stable ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

FIELD_TYPES = ("rating", "text", "date", "person", "priority")
RESPONSE_LEVELS = ("framework", "section", "item", "statement")
PRIORITIES = ("High", "Medium", "Low")
DEFAULT_LABELS = {"section": "Section", "item": "Item", "statement": "Statement", "prompts": "Prompts",
                  "record": "Record"}


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    description: str

    @property
    def choice(self) -> str:
        """The text shown in the dropdown, e.g. '4 - Good'."""
        return f"{self.value} - {self.label}" if self.label else str(self.value)


@dataclass(frozen=True)
class Scale:
    id: str
    title: str
    origin: str
    levels: tuple[Level, ...]
    note: str = ""

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(level.choice for level in self.levels)

    @property
    def span(self) -> int:
        return max(self.values) - min(self.values)

    def level(self, value: int) -> Level | None:
        return next((level for level in self.levels if level.value == value), None)


@dataclass(frozen=True)
class ResponseField:
    """Something the respondent fills in: a rating, a text, a date, a person or a priority."""

    id: str
    label: str
    type: str
    level: str
    scale: str = ""
    evidence: tuple[str, ...] = ()
    required: bool = False


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
    id: str
    title: str
    statements: tuple[Statement, ...] = ()
    description: str = ""
    prompts: tuple[str, ...] = ()
    levels: tuple[ItemLevel, ...] = ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    description: str = ""
    illustrations: tuple[Illustration, ...] = ()


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
        "note": scale.note,
        "levels": [
            {"value": lv.value, "label": lv.label, "description": lv.description} for lv in scale.levels
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
    }


def _section_dict(section: Section, level_labels: dict[int, str]) -> dict:
    return {
        "id": section.id,
        "title": section.title,
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
