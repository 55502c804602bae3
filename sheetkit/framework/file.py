"""Reading and checking framework YAML files.

:func:`check_framework_file` reports every problem in a file at once, each with the line
and the YAML path, and "did you mean" for misspelt keys. :func:`load_framework` returns a
:class:`~sheetkit.framework.model.Framework` or raises :class:`FrameworkFileError` carrying those
findings.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from sheetkit.common.errors import SheetkitError
from sheetkit.common.findings import Finding
from .action_plan import SHEETKIT_COLUMNS, ActionColumn
from .model import (
    DEFAULT_LABELS,
    NO_ROLE,
    ORIGINS,
    ROLES,
    RESPONSE_LEVELS,
    Framework,
    Illustration,
    Item,
    ItemLevel,
    Level,
    ResponseField,
    Scale,
    Section,
    Source,
    Statement,
)
from .fields import framework_field_types
from .fit import misfits, short_titles
from .located_yaml import LocatedReader, join_path

KEYS = {
    "framework": {"format", "id", "title", "version", "source", "labels", "scales", "responses", "sections",
                  "action_plan"},
    "source": {"publisher", "year", "title", "published", "notes"},
    "labels": set(DEFAULT_LABELS),
    "scale": {"id", "title", "origin", "label_origin", "note", "guidance", "levels"},
    "scale_level": {"value", "label", "summary", "description"},
    "responses": set(RESPONSE_LEVELS),
    "field": {"id", "label", "type", "scale", "evidence", "required", "origin", "role"},
    "section": {"id", "title", "short_title", "stem", "description", "illustrations", "items"},
    "illustration": {"level", "title", "points"},
    "item": {"id", "title", "stem", "description", "prompts", "levels", "statements"},
    "item_level": {"value", "text"},
    "statement": {"id", "text", "prompts"},
    "action_column": {"id", "label", "type", "width", "carried"},
}
REQUIRED = {
    "framework": ("id", "title", "version", "source", "scales", "responses", "sections"),
    "source": ("publisher", "title"),
    "scale": ("id", "title", "origin", "levels"),
    "scale_level": ("value",),
    "field": ("id", "label", "type"),
    "section": ("id", "title", "items"),
    "illustration": ("level", "title", "points"),
    "item": ("id", "title"),
    "item_level": ("value", "text"),
    "statement": ("id", "text"),
    "action_column": ("id", "label", "type"),
}
COLUMN_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLUMN_WIDTHS = (6, 60)  # characters: narrower cannot show a date, wider pushes the plan off the page


class FrameworkFileError(SheetkitError):
    """A framework file could not be loaded; ``findings`` says every reason."""

    def __init__(self, path: str, findings: list[Finding]):
        self.path = path
        self.findings = findings
        lines = "\n".join(f"  {finding.render()}" for finding in findings)
        super().__init__(f"{path} is not a valid framework file:\n{lines}")


def load_framework(path: str | Path) -> Framework:
    """Load and check one framework file; raise FrameworkFileError listing every problem.

    A file read before with the same bytes gives the same (immutable) Framework again, so that
    what is worked out once per framework, such as its workbook's layout, is worked out once."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = ""  # the checker says why it cannot be read
    return _loaded(str(path), digest)  # findings name the file as it was given


@lru_cache(maxsize=64)
def _loaded(path: str, digest: str) -> Framework:
    checked = _Checker(path)
    framework = checked.run()
    if checked.findings or framework is None:
        raise FrameworkFileError(path, checked.findings)
    return framework


def check_framework_file(path: str | Path) -> list[Finding]:
    """Every problem in a framework file (an empty list when it is sound)."""
    checker = _Checker(str(path))
    checker.run()
    return checker.findings


@dataclass
class _Checker(LocatedReader):
    keys: ClassVar[dict[str, set[str]]] = KEYS
    required: ClassVar[dict[str, tuple[str, ...]]] = REQUIRED
    where: dict[int, str] = field(default_factory=dict)  # id() of a parsed object -> its YAML path

    def run(self) -> Framework | None:
        data = self._read()
        if data is None:
            return None
        framework = self._framework(data)
        return framework if not self.findings else None

    def _framework(self, data: dict) -> Framework | None:
        self._mapping(data, "", "framework")
        fmt = data.get("format", 1)
        if fmt != 1:
            self._add("value-invalid", "format", f"format {fmt!r} is not supported; this sheetkit reads format 1")
        fw_id = self._text(data, "id", "")
        if fw_id and not _valid_id(fw_id):
            self._add("value-invalid", "id", f"id '{fw_id}' must use lower-case letters, digits and '-' only")
        source = self._source(data.get("source"))
        labels = dict(DEFAULT_LABELS)
        if data.get("labels") is not None and self._mapping(data["labels"], "labels", "labels") is not None:
            labels.update({k: self._text(data["labels"], k, "labels") for k in data["labels"] if k in DEFAULT_LABELS})
        scales = self._scales(self._list(data, "scales", ""))
        responses = self._responses(data.get("responses"), {s.id: s for s in scales})
        sections = self._sections(self._list(data, "sections", ""), scales, responses, labels["section"])
        if not sections and "sections" in data:
            self._add("value-invalid", "sections", "a framework needs at least one section")
        columns = self._action_columns(self._list(data, "action_plan", ""))
        version = data.get("version")
        framework = Framework(
            id=fw_id,
            title=self._text(data, "title", ""),
            version="" if version is None else str(version),
            source=source,
            scales=tuple(scales),
            responses=responses,
            sections=tuple(sections),
            labels=labels,
            path=self.file,
            action_columns=SHEETKIT_COLUMNS + columns,
        )
        given = {sec.get("id") and str(sec["id"]).strip() for sec in self._list(data, "sections", "")
                 if isinstance(sec, dict) and sec.get("short_title")}
        for misfit in misfits(framework, given):
            self._add(misfit.code, join_path(self.where.get(id(misfit.owner), ""), misfit.key), misfit.message)
        return framework

    def _source(self, data: Any) -> Source:
        if data is None or self._mapping(data, "source", "source") is None:
            return Source("", 0, "")
        return Source(
            publisher=self._text(data, "publisher", "source"),
            year=self._int(data, "year", "source") or None,
            title=self._text(data, "title", "source"),
            published=self._text(data, "published", "source"),
            notes=self._text(data, "notes", "source"),
        )

    def _scales(self, raw: list) -> list[Scale]:
        scales, seen = [], set()
        if not raw:
            self._add("key-missing", "scales", "a framework needs at least one rating scale")
        for i, data in enumerate(raw):
            path = f"scales[{i}]"
            if self._mapping(data, path, "scale") is None:
                continue
            scale_id = self._text(data, "id", path)
            if scale_id in seen:
                self._add("id-duplicate", join_path(path, "id"), f"scale id '{scale_id}' is used twice")
            seen.add(scale_id)
            origin = self._origin(data, "origin", path)
            note = self._text(data, "note", path)
            if origin == "sheetkit" and not note:
                self._add("key-missing", path, "a scale sheetkit adds needs a 'note' saying why")
            levels = self._scale_levels(data, path, scale_id)
            if len(levels) < 2:
                self._add("value-invalid", join_path(path, "levels"), "a scale needs at least two levels")
            described = [bool(lv.description) for lv in levels]
            if any(described) and not all(described):
                self._add("key-missing", join_path(path, "levels"), f"some levels of scale '{scale_id}' have a description "
                          "and some do not; describe every level, or none when the source describes none")
            elif levels and not any(described) and origin == "sheetkit":
                self._add("key-missing", join_path(path, "levels"), f"scale '{scale_id}' is sheetkit's own, so each level "
                          "needs a 'description' saying what it means")
            scale = Scale(scale_id, self._text(data, "title", path), origin, tuple(levels), note,
                          self._text(data, "guidance", path), self._origin(data, "label_origin", path))
            self.where[id(scale)] = path
            scales.append(scale)
        return scales

    def _scale_levels(self, data: dict, path: str, scale_id: str) -> list[Level]:
        levels, values = [], set()
        for j, lv in enumerate(self._list(data, "levels", path)):
            lpath = f"{path}.levels[{j}]"
            if self._mapping(lv, lpath, "scale_level") is None:
                continue
            value = self._int(lv, "value", lpath)
            if value in values:
                self._add("id-duplicate", join_path(lpath, "value"), f"level value {value} appears twice in scale '{scale_id}'")
            values.add(value)
            for key in ("label", "summary"):
                if "," in self._text(lv, key, lpath):
                    self._add("value-invalid", join_path(lpath, key), f"a level {key} may not contain a comma (dropdowns split on commas)")
            level = Level(value, self._text(lv, "label", lpath), self._text(lv, "description", lpath),
                          self._text(lv, "summary", lpath))
            self.where[id(level)] = lpath
            levels.append(level)
        return levels

    def _origin(self, data: dict, key: str, path: str) -> str:
        origin = self._text(data, key, path) or "publisher"
        if origin not in ORIGINS:
            self._add("value-invalid", join_path(path, key), f"{key} must be 'publisher' or 'sheetkit', found '{origin}'")
        return origin

    def _responses(self, data: Any, scales: dict[str, Scale]) -> dict[str, tuple[ResponseField, ...]]:
        result: dict[str, tuple[ResponseField, ...]] = {level: () for level in RESPONSE_LEVELS}
        if data is None or self._mapping(data, "responses", "responses") is None:
            return result
        for level in RESPONSE_LEVELS:
            fields, seen = [], set()
            for i, raw in enumerate(self._list(data, level, "responses")):
                path = f"responses.{level}[{i}]"
                if self._mapping(raw, path, "field") is None:
                    continue
                field_id = self._text(raw, "id", path)
                if field_id in seen:
                    self._add("id-duplicate", join_path(path, "id"), f"field id '{field_id}' is used twice at {level} level")
                seen.add(field_id)
                ftype = self._text(raw, "type", path)
                types = framework_field_types()
                if ftype and ftype not in types:
                    near = difflib.get_close_matches(ftype, types, n=1)
                    hint = f"; did you mean '{near[0]}'?" if near else ""
                    self._add("value-invalid", join_path(path, "type"), f"type '{ftype}' is not one of {', '.join(types)}{hint}")
                scale = self._text(raw, "scale", path)
                if ftype == "rating" and scale not in scales:
                    known = ", ".join(sorted(scales)) or "none defined"
                    self._add("scale-unknown", join_path(path, "scale"), f"rating field '{field_id}' names scale '{scale}'; scales: {known}")
                required = raw.get("required", ftype == "rating")
                made = ResponseField(field_id, self._text(raw, "label", path), ftype, level, scale,
                                     self._texts(raw, "evidence", path), bool(required),
                                     self._origin(raw, "origin", path), self._role(raw, path, ftype))
                self.where[id(made)] = path
                fields.append(made)
            result[level] = tuple(fields)
            self._check_roles(level, result[level], [raw.get("role") for raw in self._list(data, level, "responses")
                                                     if isinstance(raw, dict)])
        self._check_evidence_refs(result)
        return result

    def _role(self, raw: dict, path: str, ftype: str) -> str:
        role = self._text(raw, "role", path)
        if role and role not in ROLES + (NO_ROLE,):
            near = difflib.get_close_matches(role, ROLES, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            self._add("value-invalid", join_path(path, "role"), f"role '{role}' is not one of {', '.join(ROLES)} or "
                      f"'{NO_ROLE}'{hint}")
            return NO_ROLE
        wanted = {"action": "text", "due": "date"}.get(role)
        if wanted and ftype and ftype != wanted:
            self._add("value-invalid", join_path(path, "role"), f"a field with role '{role}' must have type '{wanted}', "
                      f"not '{ftype}'")
        return role

    def _check_roles(self, level: str, fields: tuple[ResponseField, ...], declared: list) -> None:
        """A declared role may not be another field's too (undeclared ones keep sheetkit's old reading)."""
        for i, (f, given) in enumerate(zip(fields, declared)):
            clash = next((other for j, (other, other_given) in enumerate(zip(fields, declared))
                          if j != i and other.role == f.role and (not other_given or j < i)), None)
            if given and f.role != NO_ROLE and clash is not None:
                self._add("id-duplicate", f"responses.{level}[{i}].role", f"fields '{clash.id}' and '{f.id}' "
                          f"both have role '{f.role}' at {level} level; give one of them 'role: {NO_ROLE}'")

    def _check_evidence_refs(self, responses: dict[str, tuple[ResponseField, ...]]) -> None:
        statement_ids = {f.id for f in responses["statement"]}
        for level, fields in responses.items():
            own_ids = {f.id for f in fields}
            for i, f in enumerate(fields):
                for ref in f.evidence:
                    if ref not in own_ids and ref not in statement_ids:
                        self._add("field-unknown", f"responses.{level}[{i}].evidence",
                                  f"'{ref}' is not a field at {level} or statement level")

    def _action_columns(self, raw: list) -> tuple[ActionColumn, ...]:
        """The framework's own Action plan columns, after sheetkit's; each checked as the reader will need it."""
        ids = {c.id for c in SHEETKIT_COLUMNS}
        labels = {c.label.casefold(): c.id for c in SHEETKIT_COLUMNS}
        types = [t for t in framework_field_types() if t != "rating"]  # a rating needs a scale an action has not
        columns = []
        for i, data in enumerate(raw):
            path = f"action_plan[{i}]"
            if self._mapping(data, path, "action_column") is None:
                continue
            column_id, label, ftype = (self._text(data, key, path) for key in ("id", "label", "type"))
            if column_id and not COLUMN_ID.match(column_id):
                self._add("value-invalid", join_path(path, "id"), f"column id '{column_id}' must start with a "
                          "lower-case letter and use only lower-case letters, digits and '_' (at most 40)")
            elif column_id in ids:
                self._add("id-duplicate", join_path(path, "id"), f"column id '{column_id}' is already a column of "
                          f"the action plan ({', '.join(c.id for c in SHEETKIT_COLUMNS)}, and those above)")
            if label and label.casefold() in labels:
                self._add("id-duplicate", join_path(path, "label"), f"the label '{label}' already heads the action "
                          f"plan's '{labels[label.casefold()]}' column; the reader finds columns by their headers, so "
                          "give this one another label")
            if ftype and ftype not in types:
                self._add("value-invalid", join_path(path, "type"), f"type '{ftype}' is not one of {', '.join(types)}")
            ids.add(column_id)
            labels[label.casefold()] = column_id
            column = ActionColumn(column_id, label, ftype, width=self._width(data, path),
                                  carry="always" if self._flag(data, "carried", path) else "")
            self.where[id(column)] = path
            columns.append(column)
        return tuple(columns)

    def _width(self, data: dict, path: str) -> float:
        width = data.get("width", 16)
        low, high = COLUMN_WIDTHS
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not low <= width <= high:
            self._add("value-invalid", join_path(path, "width"), f"width must be a number of characters from {low} "
                      f"to {high}, found {width!r}")
            return 16
        return float(width)

    def _flag(self, data: dict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self._add("value-invalid", join_path(path, key), f"'{key}' must be true or false, found {value!r}")
            return False
        return value

    def _sections(self, raw: list, scales: list[Scale], responses: dict, label: str) -> list[Section]:
        rating = next((f for f in responses["item"] if f.type == "rating"), None)
        scale_values = set()
        if rating is not None:
            scale_values = next((set(s.values) for s in scales if s.id == rating.scale), set())
        seen: dict[str, set[str]] = {"section": set(), "item": set(), "statement": set()}
        parts = []
        for i, data in enumerate(raw):
            path = f"sections[{i}]"
            if self._mapping(data, path, "section") is None:
                continue
            section_id = self._unique_id(data, path, "section", seen)
            items = [
                self._item(item, f"{path}.items[{j}]", seen, scale_values)
                for j, item in enumerate(self._list(data, "items", path))
            ]
            illustrations = []
            for j, il in enumerate(self._list(data, "illustrations", path)):
                ipath = f"{path}.illustrations[{j}]"
                if self._mapping(il, ipath, "illustration") is not None:
                    illustrations.append(Illustration(self._int(il, "level", ipath), self._text(il, "title", ipath),
                                                      self._texts(il, "points", ipath)))
            parts.append((path, section_id, self._text(data, "title", path), self._text(data, "short_title", path),
                          tuple(i for i in items if i is not None), self._text(data, "description", path),
                          tuple(illustrations), self._text(data, "stem", path)))
        names = short_titles([(section_id, title, given) for _, section_id, title, given, *_ in parts], label)
        sections = []
        for (path, section_id, title, _, items, description, illustrations, stem), name in zip(parts, names):
            section = Section(section_id, title, items, description, illustrations, name, stem)
            self.where[id(section)] = path
            sections.append(section)
        return sections

    def _item(self, data: Any, path: str, seen: dict, scale_values: set[int]) -> Item | None:
        if self._mapping(data, path, "item") is None:
            return None
        item_id = self._unique_id(data, path, "item", seen)
        levels = []
        for k, lv in enumerate(self._list(data, "levels", path)):
            lpath = f"{path}.levels[{k}]"
            if self._mapping(lv, lpath, "item_level") is None:
                continue
            value = self._int(lv, "value", lpath)
            if scale_values and value not in scale_values:
                self._add("level-outside-scale", join_path(lpath, "value"),
                          f"level {value} of item '{item_id}' is not on the rating scale ({', '.join(map(str, sorted(scale_values)))})")
            levels.append(ItemLevel(value, self._text(lv, "text", lpath)))
        statements = []
        for k, st in enumerate(self._list(data, "statements", path)):
            spath = f"{path}.statements[{k}]"
            if self._mapping(st, spath, "statement") is None:
                continue
            statements.append(Statement(self._unique_id(st, spath, "statement", seen),
                                        self._text(st, "text", spath), self._texts(st, "prompts", spath)))
        return Item(item_id, self._text(data, "title", path), tuple(statements),
                    self._text(data, "description", path), self._texts(data, "prompts", path), tuple(levels),
                    self._text(data, "stem", path))

    def _unique_id(self, data: dict, path: str, kind: str, seen: dict[str, set[str]]) -> str:
        raw = data.get("id")
        value = "" if raw is None else str(raw).strip()
        if value and value in seen[kind]:
            self._add("id-duplicate", join_path(path, "id"), f"{kind} id '{value}' is used twice; ids must be unique")
        if value:
            seen[kind].add(value)
        return value


def _valid_id(value: str) -> bool:
    return all(ch.islower() or ch.isdigit() or ch == "-" for ch in value) and value[:1].isalnum()
