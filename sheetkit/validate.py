"""Validation: a RawReturn checked against its framework's layout, giving answers and findings.

Each check is a small function that appends findings; none stops at the first problem.
Values that fail a check are kept (marked not usable) so that nothing typed is lost, but
they are left out of the statistics.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .findings import Finding
from .framework import PRIORITIES, Framework, ResponseField
from .layout import (
    META_FORMAT,
    SHEET_META,
    TEXT_LIMIT,
    AnswerCell,
    WorkbookLayout,
    choices,
    meta_cell,
)
from .reader import RawReturn
from .respondents import normalise_name

ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = "accepted", "rejected", "superseded", "duplicate"
_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?\s*$")


@dataclass(slots=True)
class Answer:
    """One non-empty answer cell, with its value made usable where it can be."""

    key: str
    field: ResponseField
    section_id: str
    item_id: str
    statement_id: str
    sheet: str
    cell: str
    raw: object
    value: object
    usable: bool = True

    @property
    def text(self) -> str:
        """The answer as the respondent sees it."""
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        return _as_text(self.raw)


@dataclass
class CheckedReturn:
    """A return after validation: who sent it, what it says, and what is wrong with it."""

    file: str
    sha256: str
    status: str = ACCEPTED
    respondent: str = ""
    organisation: str = ""
    round: str = ""
    framework_id: str = ""
    version: str = ""
    fingerprint: str = ""
    build_id: str = ""
    saved_at: dt.datetime | None = None
    saved_by: str = ""
    created_by: str = ""
    built_at: str = ""
    content: str = ""  # a digest of the answers: equal for two files that say the same
    file_time: dt.datetime | None = None  # the file system's time, when the workbook records none
    kind: str = ""
    answers: list[Answer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ratings_asked: int = 0
    ratings_given: int = 0
    reason: str = ""
    rows: list[tuple] = field(default_factory=list)  # the answers as spool rows, when sent from a worker

    @property
    def respondent_key(self) -> str:
        return normalise_name(self.respondent)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)

    @property
    def completeness(self) -> float:
        return self.ratings_given / self.ratings_asked if self.ratings_asked else 0.0

    def reject(self, reason: str) -> None:
        self.status = REJECTED
        self.reason = reason


def identify(raw: RawReturn) -> CheckedReturn:
    """The return's identity from its metadata; unreadable or foreign files are rejected."""
    checked = CheckedReturn(raw.path, raw.sha256, kind=raw.kind, saved_at=raw.saved_at, saved_by=raw.saved_by,
                            created_by=raw.created_by, findings=list(raw.findings))
    if not raw.readable:
        checked.reject(raw.findings[0].message)
        return checked
    meta = raw.meta
    if meta.get("format") != META_FORMAT or not meta.get("framework_id"):
        message = (f"no sheetkit metadata (sheet '{SHEET_META}' and document properties are missing or do not "
                   f"identify a framework); this is not a workbook built by sheetkit")
        checked.findings.append(Finding("not-sheetkit", message, file=raw.path, sheet=SHEET_META, cell="A1"))
        checked.reject("not built by sheetkit")
        return checked
    checked.respondent = meta.get("respondent", "")
    checked.organisation = meta.get("organisation", "")
    checked.round = meta.get("round", "")
    checked.framework_id = meta.get("framework_id", "")
    checked.version = meta.get("framework_version", "")
    checked.fingerprint = meta.get("fingerprint", "")
    checked.build_id = meta.get("build_id", "")
    checked.built_at = meta.get("built_at", "")
    _check_late(checked, meta.get("deadline", ""))
    if raw.has_macros:
        checked.findings.append(Finding("macros-ignored", f"the file is a {raw.kind} workbook with macros; only "
                                        f"cell values were read and no macro was run", file=raw.path))
    return checked


def _check_late(checked: CheckedReturn, deadline_text: str) -> None:
    try:
        deadline = dt.date.fromisoformat(deadline_text)
    except ValueError:
        return
    if checked.saved_at and checked.saved_at.date() > deadline:
        checked.findings.append(Finding("return-late", f"the workbook was last saved on "
                                        f"{checked.saved_at.date().isoformat()}, after the deadline of "
                                        f"{deadline.isoformat()}", file=checked.file, sheet=SHEET_META,
                                        cell=meta_cell("deadline")))


def check_framework(checked: CheckedReturn, framework: Framework, known_ids: set[str]) -> None:
    """Reject a return built from another framework, version or wording."""
    where = {"file": checked.file, "sheet": SHEET_META}
    if checked.framework_id not in known_ids:
        checked.findings.append(Finding("framework-unknown", f"the workbook is for framework "
                                        f"'{checked.framework_id}', which sheetkit does not have; this exercise "
                                        f"uses '{framework.id}'", cell=meta_cell("framework_id"), **where))
        checked.reject(f"unknown framework ({checked.framework_id})")
    elif checked.framework_id != framework.id:
        checked.findings.append(Finding("framework-mismatch", f"the workbook is for '{checked.framework_id}' but "
                                        f"this exercise uses '{framework.id}'", cell=meta_cell("framework_id"), **where))
        checked.reject(f"another framework ({checked.framework_id})")
    elif checked.version != framework.version:
        checked.findings.append(Finding("version-mismatch", f"the workbook was built from version "
                                        f"'{checked.version}' of {framework.id}; the current version is "
                                        f"'{framework.version}'", cell=meta_cell("framework_version"), **where))
        checked.reject(f"framework version {checked.version}, expected {framework.version}")
    elif checked.fingerprint != framework.fingerprint:
        checked.findings.append(Finding("fingerprint-mismatch", f"the workbook's framework fingerprint "
                                        f"{checked.fingerprint[:12]}... differs from {framework.id} version "
                                        f"{framework.version} ({framework.fingerprint[:12]}...): its wording was "
                                        f"changed without a new version", cell=meta_cell("fingerprint"), **where))
        checked.reject("framework wording differs")


def read_answers(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> None:
    """Check sheets and statements, then read and check every answer cell."""
    sheet_map = _match_sheets(checked, raw, layout)
    _check_texts(checked, raw, layout, sheet_map)
    framework = layout.framework
    for cell in layout.answers:
        actual = sheet_map.get(cell.sheet)
        if actual is None:
            continue
        value = raw.value(actual, cell.row, cell.col)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        answer = _answer(cell, actual, value, framework, checked)
        checked.answers.append(answer)
    checked.ratings_asked = sum(1 for c in layout.answers if c.field.type == "rating" and c.field.required)
    checked.ratings_given = sum(1 for a in checked.answers if a.field.type == "rating" and a.usable)
    _check_completeness(checked, layout, sheet_map)
    if not checked.answers:
        checked.findings.append(Finding("return-empty", "no answer cell has anything in it; the respondent may "
                                        "have sent back the blank workbook", file=checked.file))


def _match_sheets(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout) -> dict[str, str]:
    """Expected sheet name -> sheet found; one renamed sheet is recognised, missing ones reported."""
    present = set(raw.sheets)
    expected = layout.sheet_names
    missing = [name for name in expected if name not in present]
    extra = [name for name in raw.sheets if name not in expected and name != SHEET_META]
    sheet_map = {name: name for name in expected if name in present}
    if len(missing) == 1 and len(extra) == 1:
        sheet_map[missing[0]] = extra[0]
        checked.findings.append(Finding("sheet-renamed", f"sheet '{missing[0]}' was renamed '{extra[0]}'; its "
                                        f"answers were read from '{extra[0]}'", file=checked.file, sheet=extra[0]))
        return sheet_map
    for name in missing:
        hint = f" (sheets found that sheetkit did not make: {', '.join(extra)})" if extra else ""
        checked.findings.append(Finding("sheet-missing", f"sheet '{name}' is missing, so its answers could not be "
                                        f"read{hint}", file=checked.file, sheet=name))
    return sheet_map


def _check_texts(checked: CheckedReturn, raw: RawReturn, layout: WorkbookLayout, sheet_map: dict[str, str]) -> None:
    for text in layout.texts:
        actual = sheet_map.get(text.sheet)
        if actual is None:
            continue
        found = raw.value(actual, text.row, text.col)
        if _squash(found) != _squash(text.text):
            checked.findings.append(Finding(
                "statement-changed",
                f"the text of {text.what} was changed. Expected: \"{_clip(text.text)}\". Found: "
                f"\"{_clip(_as_text(found))}\"",
                file=checked.file, sheet=actual, cell=text.cell))


def _answer(cell: AnswerCell, sheet: str, value, framework: Framework, checked: CheckedReturn) -> Answer:
    answer = Answer(cell.key, cell.field, cell.section_id, cell.item_id, cell.statement_id, sheet, cell.cell,
                    value, value)
    problem = _normalise(answer, framework)
    if problem:
        code, message = problem
        checked.findings.append(Finding(code, message, file=checked.file, sheet=sheet, cell=cell.cell))
    return answer


def _normalise(answer: Answer, framework: Framework) -> tuple[str, str] | None:
    """Turn the raw cell value into a usable value; return (code, message) if it is not."""
    f, raw = answer.field, answer.raw
    if f.type == "rating":
        return _normalise_rating(answer, framework)
    if f.type == "date":
        return _normalise_date(answer)
    text = _as_text(raw)
    answer.value = text
    if len(text) > TEXT_LIMIT:
        return "text-too-long", (f"'{f.label}' holds {len(text):,} characters; a cell holds {TEXT_LIMIT:,}. The "
                                 f"full text is kept in the Responses CSV")
    if f.type == "priority":
        match = next((p for p in PRIORITIES if p.lower() == text.strip().lower()), None)
        if match is None:
            answer.usable = False
            return "priority-invalid", f"priority '{_clip(text)}' is not one of {', '.join(PRIORITIES)}"
        answer.value = match
    if f.type == "choice":
        options = choices(f, framework)  # () for the criterion: any id is kept, as typed
        if options and text.strip() not in options:
            answer.usable = False
            return "choice-invalid", f"'{_clip(text)}' is not one of {', '.join(options)} for '{f.label}'"
    return None


def _normalise_rating(answer: Answer, framework: Framework) -> tuple[str, str] | None:
    scale = framework.scale(answer.field.scale)
    raw = answer.raw
    value = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = int(raw) if float(raw).is_integer() and int(raw) in scale.values else None
    elif isinstance(raw, str):
        text = " ".join(raw.replace("\u2013", "-").replace("\u2014", "-").split())  # "4 – Good" from Word
        by_choice = {c.lower(): lv.value for c, lv in zip(scale.choices, scale.levels)}
        value = by_choice.get(text.lower())
        if value is None and text.isdigit() and int(text) in scale.values:
            value = int(text)
    if value is None:
        answer.usable = False
        answer.value = None
        return "rating-out-of-scale", (f"rating '{_clip(_as_text(raw))}' for '{answer.field.label}' is not on the "
                                       f"scale; expected one of: {', '.join(scale.choices)}")
    answer.value = value
    return None


def _normalise_date(answer: Answer) -> tuple[str, str] | None:
    raw = answer.raw
    if isinstance(raw, dt.datetime):
        answer.value = raw.date()
        return None
    if isinstance(raw, dt.date):
        answer.value = raw
        return None
    text = _as_text(raw)
    iso = _ISO_DATE.match(text)
    if iso:
        try:
            answer.value = dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            return None
        except ValueError:
            pass
    answer.usable = False
    answer.value = None
    if _AMBIGUOUS_DATE.match(text):
        return "date-ambiguous", (f"'{answer.field.label}' holds the text '{text}', not a date; sheetkit does not "
                                  f"guess whether it is day/month or month/day. Expected a date such as 2026-12-31")
    return "date-invalid", (f"'{answer.field.label}' holds '{_clip(text)}', which is not a date; expected a date "
                            f"such as 2026-12-31, or a blank cell")


def _check_completeness(checked: CheckedReturn, layout: WorkbookLayout, sheet_map: dict[str, str]) -> None:
    by_key = {a.key: a for a in checked.answers}
    groups: dict[tuple[str, str], list[AnswerCell]] = {}
    for cell in layout.answers:
        level, owner, _ = cell.key.split("/", 2)
        groups.setdefault((level, owner), []).append(cell)
    statement_text_by_item: dict[str, bool] = {}
    for a in checked.answers:
        if a.field.level == "statement" and a.field.type == "text":
            statement_text_by_item[a.item_id] = True
    for (level, owner), cells in groups.items():
        if cells[0].sheet not in sheet_map:
            continue
        filled = {c.field.id: by_key.get(c.key) for c in cells}
        for cell in cells:
            answer = filled[cell.field.id]
            if cell.field.type == "rating" and cell.field.required and level != "action":
                if answer is None:
                    checked.findings.append(Finding("rating-missing", f"no rating given for '{cell.field.label}' "
                                                    f"({level} {owner})", file=checked.file,
                                                    sheet=sheet_map[cell.sheet], cell=cell.cell))
                elif answer.usable and cell.field.evidence and not _has_evidence(cell, filled, statement_text_by_item):
                    checked.findings.append(Finding("rating-without-evidence", f"rating given for {level} {owner} "
                                                    f"with no evidence in: {', '.join(cell.field.evidence)}",
                                                    file=checked.file, sheet=sheet_map[cell.sheet], cell=cell.cell))
        _check_action(checked, level, owner, cells, filled, sheet_map)


def _has_evidence(cell: AnswerCell, filled: dict, statement_text_by_item: dict[str, bool]) -> bool:
    for ref in cell.field.evidence:
        if filled.get(ref) is not None:
            return True
    return statement_text_by_item.get(cell.item_id, False) and cell.field.level == "item"


def _check_action(checked, level, owner, cells, filled, sheet_map) -> None:
    action_cell = next((c for c in cells if c.field.id in ("action", "actions") and c.field.type == "text"), None)
    if action_cell is None or filled.get(action_cell.field.id) is None:
        return
    needed = [c for c in cells if c.field.type in ("person", "date")]
    empty = [c for c in needed if filled.get(c.field.id) is None]
    if empty:
        what = " and ".join(f"'{c.field.label}'" for c in empty)
        checked.findings.append(Finding("action-incomplete", f"an action is given but {what} is blank",
                                        file=checked.file, sheet=sheet_map[action_cell.sheet],
                                        cell=empty[0].cell))


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as the respondent saw it
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _squash(value) -> str:
    return " ".join(_as_text(value).split())


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
