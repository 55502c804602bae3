"""Whether a framework's names and labels fit where a workbook shows them.

A section's short title becomes a sheet tab, so it must be a legal, unique sheet name that
does not clash with the sheets every workbook has; a dropdown holds at most 255 characters
of choices; labels appear in headers and input prompts. These checks run on the parsed
framework, before any workbook is built, so a user's framework that cannot fit gets a
located finding from ``sheetkit frameworks check`` instead of failing at build or ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .model import Framework, derived_short_title, sheet_name_problem
from sheetkit.common.own_files import RESERVED_SHEETS
from sheetkit.common.limits import LABEL_LIMIT



@dataclass(frozen=True)
class Misfit:
    """One thing that cannot fit: the object it belongs to, the key at fault and why."""

    owner: object
    key: str
    code: str
    message: str


def short_titles(sections: list[tuple[str, str, str]], label: str) -> list[str]:
    """The short title of each (id, title, given short title): the given one, else a derived one
    that is legal and clashes with no other title or reserved sheet."""
    taken = {name.lower() for name in RESERVED_SHEETS} | {given.lower() for _, _, given in sections if given}
    names = []
    for section_id, title, given in sections:
        name = given or derived_short_title(section_id, title, label, frozenset(taken))
        taken.add(name.lower())
        names.append(name)
    return names


def misfits(framework: Framework, given_titles: set[str]) -> Iterator[Misfit]:
    """Every name or label of the framework that cannot be shown where the workbook puts it."""
    yield from _short_title_misfits(framework, given_titles)
    for level in framework.responses:
        for f in framework.fields(level):
            if len(f.label) > LABEL_LIMIT:
                yield Misfit(f, "label", "value-invalid", f"the label of field '{f.id}' is {len(f.label)} characters; "
                             f"headers and input prompts show at most {LABEL_LIMIT}: shorten it")
    for column in framework.action_columns:
        if len(column.label) > LABEL_LIMIT:
            yield Misfit(column, "label", "value-invalid", f"the label of the action plan's column '{column.id}' is "
                         f"{len(column.label)} characters; headers show at most {LABEL_LIMIT}: shorten it")
    for scale in framework.scales:
        yield from _scale_misfits(framework, scale)


def _short_title_misfits(framework: Framework, given_titles: set[str]) -> Iterator[Misfit]:
    seen: dict[str, str] = {}
    reserved = {name.lower(): name for name in RESERVED_SHEETS}
    for section in framework.sections:
        name = section.short_title
        problem = sheet_name_problem(name) if section.id in given_titles else ""
        if problem:
            yield Misfit(section, "short_title", "value-invalid",
                         f"short title '{name}' of section '{section.id}' cannot name a sheet: {problem}")
        elif name.lower() in reserved:
            yield Misfit(section, "short_title", "value-invalid",
                         f"short title '{name}' of section '{section.id}' is the name of the workbook's "
                         f"'{reserved[name.lower()]}' sheet; choose another")
        elif name.lower() in seen:
            yield Misfit(section, "short_title", "id-duplicate",
                         f"short title '{name}' of section '{section.id}' is also used by section "
                         f"'{seen[name.lower()]}' (sheet names ignore case); give each its own")
        seen.setdefault(name.lower(), section.id)


def _scale_misfits(framework: Framework, scale) -> Iterator[Misfit]:
    listed = ",".join(scale.choices)
    if len(listed) > LABEL_LIMIT:
        yield Misfit(scale, "levels", "value-invalid",
                     f"the choices of scale '{scale.id}' take {len(listed)} characters; a dropdown holds at most "
                     f"{LABEL_LIMIT}: shorten the level labels or summaries")
    headings = {scale.title.lower()} | {f.label.lower() for level in framework.responses
                                        for f in framework.fields(level) if f.scale == scale.id}
    for level in scale.levels:
        if level.description and level.description.lower() in headings:
            yield Misfit(level, "description", "value-invalid",
                         f"level {level.value} of scale '{scale.id}' is described only by a heading "
                         f"('{level.description}'); leave the description out when the source gives none, "
                         f"and put its rating guidance in the scale's 'guidance'")
