"""Answers a pre-filled follow-up workbook started with, told apart from this round's.

A workbook built with ``--previous --prefill`` (layout 3) records on its metadata sheet what each
answer cell started with, and asks beside each row of them 'Still true?'. An answer still
exactly as it started, whose row was not confirmed with 'Yes: still true', is last round's
view, not this round's: it is compiled with the status ``carried``, counted apart and left out
of this round's figures. A return in which every answer is as it started, nothing is confirmed
and nothing else was typed came back as it was sent (``return-unchanged``).

Carried actions are last round's actions by design (the Action plan marks them): an untouched
one is not marked carried, but it does count towards a return that came back unchanged.
"""

from __future__ import annotations

from sheetkit.common.findings import Finding
from sheetkit.common.own_files import PREFILLED_HEADING, SHEET_META
from sheetkit.framework.model import STILL_TRUE
from sheetkit.workbook.layout import STILL_TRUE_FIELD, WorkbookLayout
from sheetkit.workbook.prefill import prefilled_text
from .builds import returned_unchanged
from sheetkit.framework.fields import check_value
from .model import Answer, CheckedReturn
from .reader import RawReturn

CONFIRMED, CHANGED = STILL_TRUE
_SUFFIX = f"/{STILL_TRUE_FIELD.id}"


def read_prefilled(raw: RawReturn) -> dict[str, str]:
    """What each answer cell started with: the block below the keys of the metadata sheet ({} when none)."""
    grid = raw.sheets.get(SHEET_META, {})
    heading = next((r for (r, c), v in grid.items() if c == 0 and str(v).strip() == PREFILLED_HEADING), None)
    if heading is None:
        return {}
    rows = sorted({r for (r, _) in grid if r > heading})
    return {str(grid[(r, 0)]).strip(): prefilled_text(grid.get((r, 1), "")) for r in rows if (r, 0) in grid}


def settle_carried(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> None:
    """Mark the answers left as pre-filled and not confirmed, and reject a return sent back as it came."""
    prefilled = read_prefilled(raw)
    if not prefilled:
        return
    row_of = {a.key: row.confirm.key.removesuffix(_SUFFIX) for table in layout.tables for row in table.rows
              if row.confirm is not None for a in row.answers}
    untouched, said_changed = [], []
    for answer in checked.answers:
        start = prefilled.get(answer.key)
        if start is None or not _same(answer, start, layout.framework):
            continue
        untouched.append(answer)
        if answer.field.level == "action":
            continue
        choice = checked.confirmed.get(row_of.get(answer.key, ""), "")
        if choice == CONFIRMED:
            continue
        answer.carried = True
        if choice == CHANGED:
            said_changed.append(answer)
    if _as_sent(checked, untouched, prefilled):
        returned_unchanged(checked, f"every answer is as last round ({checked_round(raw)}) pre-filled it, no "
                                    f"'Still true?' was answered and nothing else was typed")
        return
    checked.carried = sum(1 for a in checked.answers if a.carried)
    checked.ratings_given = sum(1 for a in checked.answers if a.field.type == "rating" and a.usable and not a.carried)
    _report(checked, said_changed, checked_round(raw))


def _same(answer: Answer, start: str, framework) -> bool:
    """Whether an answer is what its cell started with, both read by the field's own rule (a rating
    by its level, a date as a date, a criterion by its id), whitespace folded."""
    if prefilled_text(answer.text) == start:
        return True
    return prefilled_text(answer.value) == prefilled_text(check_value(start, answer.field, framework).value)


def checked_round(raw: RawReturn) -> str:
    return raw.meta.get("previous_round", "") or "last round"


def _as_sent(checked: CheckedReturn, untouched: list, prefilled: dict[str, str]) -> bool:
    """Nothing typed: every answer untouched, no row confirmed, no sign-off, nothing outside the layout."""
    kept = {id(a) for a in untouched}
    others = [a for a in checked.answers if id(a) not in kept]
    return not others and not checked.confirmed and len(untouched) == len(prefilled)


def _report(checked: CheckedReturn, said_changed: list, last_round: str) -> None:
    changed = {id(a) for a in said_changed}
    carried = [a for a in checked.answers if a.carried and id(a) not in changed]
    by_sheet: dict[str, list] = {}
    for answer in carried:
        by_sheet.setdefault(answer.sheet, []).append(answer)
    for sheet, answers in by_sheet.items():
        cells = ", ".join(a.cell for a in answers[:12]) + (f" and {len(answers) - 12} more" if len(answers) > 12 else "")
        checked.findings.append(Finding("answer-carried", f"{len(answers)} answer(s) on this sheet are as {last_round} "
                                        f"pre-filled them and 'Still true?' beside them is blank ({cells}): they are "
                                        f"compiled as carried, not as this round's view", file=checked.file,
                                        sheet=sheet, cell=answers[0].cell))
    for answer in said_changed:
        checked.findings.append(Finding("answer-carried", f"'Still true?' says '{CHANGED}', but '{answer.field.label}' "
                                        f"is exactly as {last_round} pre-filled it; it is compiled as carried until "
                                        f"the new answer is typed in", file=checked.file, sheet=answer.sheet,
                                        cell=answer.cell))
