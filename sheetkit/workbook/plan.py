"""Planning a respondent workbook: a framework turned into its :class:`WorkbookLayout`.

:func:`plan_workbook` lays out each section's sheet (:mod:`sheetkit.workbook.section`), the
Start sheet (:mod:`sheetkit.workbook.start`) and the Action plan
(:func:`sheetkit.workbook.layout.plan_actions`); :func:`plan_for` gives the layout a built
workbook has, from its metadata (a partner's reply to their feedback included); :func:`cell_for` the cell behind any answer key.
"""

from __future__ import annotations

from functools import lru_cache

from sheetkit.common.own_files import LAYOUT_VERSION, RESERVED_SHEETS, layout_version
from sheetkit.common.text import cell_position
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import SHEET_NAME_FORBIDDEN, Framework, Section
from sheetkit.xlsx.text_fit import fit_units
from .layout import COMMENT_FIELD, DRAWING_FIELD, AnswerCell, TextCell, WorkbookLayout, plan_actions, unplaced_cell
from .reply import ReplyLayout, plan_from_meta
from .section import plan_section
from .start import plan_start


def plan_workbook(framework: Framework, follow_up: bool = False, still_true: bool = False) -> WorkbookLayout:
    """Lay out a respondent workbook for a framework (pure: no files are touched). A follow-up
    workbook adds a locked 'Last round' column beside the answers and the action plan's follow-up;
    one pre-filled with last round's answers (`still_true`) asks beside them whether they still hold.
    Each framework is planned once (however the arguments are spelt)."""
    return _planned(framework, bool(follow_up), bool(follow_up and still_true))


@lru_cache(maxsize=32)
def _planned(framework: Framework, follow_up: bool, still_true: bool) -> WorkbookLayout:
    texts: list[TextCell] = []
    taken = {name.lower() for name in RESERVED_SHEETS}
    still_true = still_true and follow_up
    sections = []
    for section in framework.sections:
        sections.append(plan_section(framework, section, section_sheet_name(section, taken), follow_up, texts,
                                     still_true))

    start = plan_start(framework, len(sections), follow_up, still_true)
    return WorkbookLayout(framework, sections, start, plan_actions(framework, follow_up), texts, follow_up,
                          still_true)


def plan_for(framework: Framework, meta: dict[str, str]) -> WorkbookLayout | ReplyLayout:
    """The layout a built workbook has, from its metadata: a partner's reply sheet when it is their
    feedback (see sheetkit.workbook.reply); otherwise, for layout 2 or later, a follow-up one when it
    names a previous round, asking 'Still true?' when it was pre-filled (layout 3 on). Layout 1
    workbooks carry their own map of answer cells instead (sheetkit.returns.legacy)."""
    reply = plan_from_meta(framework, meta)
    if reply is not None:
        return reply
    version = layout_version(meta) or LAYOUT_VERSION
    if version < 2:
        raise ValueError(f"layout {version} is not planned: read it from the map of cells it carries")
    return plan_workbook(framework, follow_up=bool(meta.get("previous_round")),
                         still_true=version >= 3 and meta.get("prefilled") == "yes")


def section_sheet_name(section: Section, taken: set[str]) -> str:
    """The section's tab: its short title (given, and checked, or derived by the framework model),
    made legal and unique however the framework was loaded."""
    base = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in section.short_title)
    base = fit_units(" ".join(base.split()).strip("'"), 31).strip() or f"Section {section.id}"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = fit_units(base, 31 - len(suffix)) + suffix, n + 1
    taken.add(name.lower())
    return name


def cell_for(layout: WorkbookLayout, key: str) -> AnswerCell:
    """The answer cell behind any answer key: the layout's own, an action beyond the built rows,
    or a cell typed outside the layout."""
    known = _cells_by_key(layout)
    if key in known:
        return known[key]
    parts = AnswerKey.parse(key)
    if parts.level == "action":
        return _action_cell(layout, int(parts.owner), parts.field)
    row, col = cell_position(parts.cell) or (0, 0)
    cell = unplaced_cell(parts.owner, row, col)
    if parts.is_comment or parts.is_drawing:
        return AnswerCell(key, parts.owner, row, col, COMMENT_FIELD if parts.is_comment else DRAWING_FIELD)
    return cell


@lru_cache(maxsize=1 << 14)  # the rows typed below the built ones, met again in every return
def _action_cell(layout: WorkbookLayout, number: int, field_id: str) -> AnswerCell:
    return layout.action_cell(number, field_id)


@lru_cache(maxsize=32)
def _cells_by_key(layout: WorkbookLayout) -> dict[str, AnswerCell]:
    return {c.key: c for c in layout.answers + layout.signoff_answers}
