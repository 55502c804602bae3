"""Filling built workbooks programmatically, as a respondent would in a spreadsheet program.

Used to make the sample returns, by the benchmarks and by the tests. Answers are given by
stable key (``item/7/rating``), never by cell, so a filled return follows the layout.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from pathlib import Path

import openpyxl

from sheetkit.common import clock
from sheetkit.framework.fields import sample_value
from sheetkit.framework.model import Framework
from sheetkit.workbook.layout import AnswerCell, WorkbookLayout
from sheetkit.workbook.plan import plan_for


def fill_workbook(source: str | Path, target: str | Path, answers: dict[str, object],
                  saved_at: dt.datetime | None = None) -> None:
    """Copy `source` to `target` with the answers typed into their cells (values as given).

    Values are written as data: a string is always stored as text, even one starting
    with '=', just as a spreadsheet stores what a person types into a text cell. The file
    records `saved_at` as its 'last saved' time (sheetkit's clock when not given).
    """
    workbook = openpyxl.load_workbook(source)
    meta = _read_meta(workbook)
    from sheetkit.framework.library import get_framework

    layout = plan_for(get_framework(meta["framework_id"]), meta)
    confirmations = [c for table in layout.tables for c in table.confirmations]  # 'Still true?': key + '/still_true'
    cells = {cell.key: cell for cell in layout.answers + layout.signoff_answers + confirmations}
    for key, value in answers.items():
        cell = cells[key]
        target_cell = workbook[cell.sheet].cell(row=cell.row + 1, column=cell.col + 1)
        target_cell.value = value
        if isinstance(value, str) and value.startswith("="):
            target_cell.data_type = "s"  # typed text, not a formula
    workbook.save(target)
    stamp_saved_at(Path(target), saved_at or clock.utc_now())


def stamp_saved_at(path: Path, saved_at: dt.datetime) -> None:
    """Set the 'last saved' time a spreadsheet program records (openpyxl always writes the system clock's)."""
    if saved_at.tzinfo:
        saved_at = saved_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    stamp = saved_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=saved_at.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, data)  # fixed entry times: the same answers give the same bytes


def _read_meta(workbook) -> dict[str, str]:
    from sheetkit.common.own_files import SHEET_META

    sheet = workbook[SHEET_META]
    return {str(row[0].value): str(row[1].value) for row in sheet.iter_rows(max_col=2) if row[0].value}


def realistic_answers(layout: WorkbookLayout, rng: random.Random, lean: float = 0.0,
                      completeness: float = 1.0) -> dict[str, object]:
    """Plausible answers for every answer cell: ratings around a lean (-1 weak .. +1 strong)."""
    fw = layout.framework
    answers: dict[str, object] = {}
    for cell in layout.answers + layout.signoff_answers:
        if rng.random() > completeness:
            continue
        value = _plausible(cell, fw, layout, rng, lean)
        if value is not None:
            answers[cell.key] = value
    return answers


def _plausible(cell: AnswerCell, fw: Framework, layout: WorkbookLayout, rng: random.Random, lean: float):
    f = cell.field
    if f.level == "signoff":
        return {"completed_by": "Head of Commissioning", "role": "Commissioning lead",
                "completed_on": dt.datetime(2026, 12, 1), "approved_by": "Director of Adult Social Care"}[f.id]
    if f.level == "action":
        return _action_value(cell, layout, rng)
    if f.role == "action":  # an item's own action, as people write one
        return rng.choice(ACTION_STEMS) + rng.choice(ACTION_ENDS)
    return sample_value(rng, f, fw, lean)


def _action_value(cell: AnswerCell, layout: WorkbookLayout, rng: random.Random):
    """What people write in an Action plan row (the first four rows), from the column's own samples where it
    has them, else its type's."""
    if cell.answer_key.number > 4:
        return None
    column = layout.framework.action_column(cell.field.id)
    if column.locked:
        return None  # sheetkit's own
    if column.samples:
        return rng.choice(column.samples)
    return sample_value(rng, cell.field, layout.framework)


# An item's own action: what to do, then with whom or by when. Two picks of eight, as an item's text
# answer makes, so the sample ratings drawn after them stay as they were.
ACTION_STEMS = ("Agree shared outcome measures", "Publish a joint market position statement",
                "Set up a provider forum that meets quarterly", "Train commissioners in co-production",
                "Review fee levels against the cost of care exercise", "Co-produce the carers' strategy",
                "Map unmet need with the needs assessment team", "Add social value questions to every tender")
ACTION_ENDS = (" with the ICB", " with the ICB.", "", " with health and housing", " by March 2027",
               " across the partnership", " with people who use services", " with providers")
