"""The workbook writer: draws one respondent's locked workbook from a WorkbookLayout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from string import Template

import xlsxwriter

from . import __version__
from .framework import Framework
from .layout import (
    ACTION_FIELDS,
    ACTION_HEADER_ROW,
    COL_PROMPTS,
    COL_REF,
    COL_TEXT,
    CRITERIA_NAME,
    HEADER_ROW,
    META_FORMAT,
    META_KEYS,
    META_LIST_COL,
    META_MAP_ROW,
    SHEET_ACTIONS,
    SHEET_META,
    SHEET_SCALE,
    SHEET_START,
    START_FIELDS_ROW,
    START_HELP_ROW,
    START_INFO_ROW,
    WIDTHS,
    AnswerCell,
    SectionSheet,
    WorkbookLayout,
    cell_name,
    choices,
    column_width,
)
from .library import template_text
from .styles import WORKBOOK_OPTIONS, add_formats, level_colour, ok, row_height, strict_xlsxwriter

PROTECT_OPTIONS = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
    "autofilter": True,
    "sort": True,
}
LIST_LITERAL_LIMIT = 255


@dataclass(frozen=True)
class WorkbookFacts:
    """What identifies one respondent's workbook."""

    respondent: str
    organisation: str
    email: str
    round: str
    deadline: dt.date
    return_to: str
    build_id: str
    built_at: str
    password: str
    templates: str = ""  # the user's template folder, if any (see library.templates_dir)

    def meta(self, framework: Framework) -> dict[str, str]:
        values = {
            "format": META_FORMAT,
            "framework_id": framework.id,
            "framework_version": framework.version,
            "fingerprint": framework.fingerprint,
            "framework_title": framework.title,
            "respondent": self.respondent,
            "organisation": self.organisation,
            "email": self.email,
            "round": self.round,
            "deadline": self.deadline.isoformat(),
            "return_to": self.return_to,
            "build_id": self.build_id,
            "built_at": self.built_at,
            "sheetkit_version": __version__,
        }
        assert tuple(values) == META_KEYS
        return values


def write_workbook(path: str, layout: WorkbookLayout, facts: WorkbookFacts) -> None:
    """Write one respondent workbook to `path`."""
    with strict_xlsxwriter():
        workbook = xlsxwriter.Workbook(path, WORKBOOK_OPTIONS)
        try:
            _Writer(workbook, layout, facts).write()
        finally:
            workbook.close()


class _Writer:
    def __init__(self, workbook: xlsxwriter.Workbook, layout: WorkbookLayout, facts: WorkbookFacts):
        self.wb = workbook
        self.layout = layout
        self.fw = layout.framework
        self.facts = facts
        self.fmt = add_formats(workbook)
        self.level_formats = {}
        self.pending: dict = {}  # field -> its answer cells on the sheet being written

    def write(self) -> None:
        start = self.wb.add_worksheet(SHEET_START)
        scale = self.wb.add_worksheet(SHEET_SCALE)
        sections = [(self.wb.add_worksheet(s.name), s) for s in self.layout.sections]
        actions = self.wb.add_worksheet(SHEET_ACTIONS)
        meta = self.wb.add_worksheet(SHEET_META)
        self._write_meta(meta)
        self._write_start(start)
        self._write_scale(scale)
        for ws, sheet in sections:
            self._write_section(ws, sheet)
        self._write_actions(actions)
        for prop, value in self.facts.meta(self.fw).items():
            ok(self.wb.set_custom_property(f"sheetkit_{prop}", value), f"document property {prop}")
        self.wb.set_properties({"title": f"{self.fw.title}: {self.facts.respondent}",
                                "subject": f"Self-assessment, {self.facts.round}",
                                "author": "sheetkit", "comments": f"Built by sheetkit {__version__}",
                                "created": dt.datetime.fromisoformat(self.facts.built_at).replace(tzinfo=None)})
        start.activate()

    # -- sheets -------------------------------------------------------------------------
    def _write_meta(self, ws) -> None:
        for row, (key, value) in enumerate(self.facts.meta(self.fw).items()):
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
        ws.write_string(META_MAP_ROW - 1, 0, "answer cells")
        for row, answer in enumerate(self.layout.answers, start=META_MAP_ROW):
            ws.write_string(row, 0, answer.key)
            ws.write_string(row, 1, answer.sheet)
            ws.write_string(row, 2, answer.cell)
        criteria = self.layout.criteria()
        for row, criterion in enumerate(criteria):
            ws.write_string(row, META_LIST_COL, criterion)
        first, last = cell_name(0, META_LIST_COL), cell_name(len(criteria) - 1, META_LIST_COL)
        ref = f"'{SHEET_META}'!${first[0]}${first[1:]}:${last[0]}${last[1:]}"
        ok(self.wb.define_name(CRITERIA_NAME, f"={ref}"), "the list of criteria")
        ws.hide()
        self._protect(ws)

    def _write_start(self, ws) -> None:
        f, facts = self.fmt, self.facts
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 95)
        ws.set_column(2, 4, 16)
        ws.write_string(0, 0, self.fw.title, f["title"])
        ws.write_string(1, 0, f"Self-assessment workbook for {facts.respondent}", f["note"])
        info = [
            ("Framework", f"{self.fw.title} (version {self.fw.version})"),
            ("Source", self.fw.source.citation()),
            ("Respondent", facts.respondent),
            ("Organisation", facts.organisation),
            ("Assessment round", facts.round),
            ("Please return by", facts.deadline.strftime("%A %d %B %Y")),
            ("Return to", facts.return_to),
        ]
        for row, (label, value) in enumerate(info, start=START_INFO_ROW):
            ws.write_string(row, 0, label, f["label"])
            ws.write_string(row, 1, value, f["text"])
        ws.write_string(START_HELP_ROW - 1, 0, "How to fill it in", f["heading"])
        help_text = Template(template_text("instructions.txt", facts.templates)).safe_substitute(
            return_to=facts.return_to or "the person who sent it", deadline=facts.deadline.strftime("%d %B %Y"))
        ws.write_string(START_HELP_ROW, 0, "Instructions", f["label"])
        ws.write_string(START_HELP_ROW, 1, help_text.strip(), f["text"])
        ws.set_row(START_HELP_ROW, row_height([(help_text.strip(), 95, 10)]))
        ws.set_row(START_INFO_ROW + 1, row_height([(self.fw.source.citation(), 95, 10)]))
        row = START_FIELDS_ROW
        if self.layout.framework_answers:
            ws.write_string(row - 1, 0, "Overall", f["heading"])
            for answer in self.layout.framework_answers:
                ws.write_string(answer.row, 0, answer.field.label, f["label"])
                self._answer_cell(ws, answer)
            row = self.layout.framework_answers[-1].row + 1
        self._write_completion(ws, row + 1)
        self._print_setup(ws, portrait=True)
        self._protect(ws)

    def _write_completion(self, ws, row: int) -> None:
        f = self.fmt
        ws.write_string(row, 0, "Completion so far", f["heading"])
        headers = ["Part", "What it covers", "Ratings given", "Ratings asked", "Evidence given"]
        for col, text in enumerate(headers):
            ws.write_string(row + 1, col, text, f["header"])
        for n, sheet in enumerate(self.layout.sections, start=row + 2):
            answers = [a for r in sheet.rows for a in r.answers]
            ratings = [a for a in answers if a.field.type == "rating"]
            evidence = [a for a in answers if a.field.type == "text"]
            ws.write_string(n, 0, sheet.name, f["text"])
            ws.write_string(n, 1, sheet.section.title, f["text"])
            ws.write_formula(n, 2, _counta(ratings), f["integer"], 0)
            ws.write_number(n, 3, len(ratings), f["integer"])
            ws.write_formula(n, 4, _counta(evidence), f["integer"], 0)

    def _write_scale(self, ws) -> None:
        f = self.fmt
        ws.set_column(0, 0, 20)
        ws.set_column(1, 1, 100)
        ws.write_string(0, 0, "The rating scale", f["title"])
        row = 2
        for scale in self.fw.scales:
            origin = ("Published with the framework." if scale.origin == "publisher"
                      else "Added by sheetkit: the framework publishes no scale. " + scale.note)
            ws.write_string(row, 0, scale.title, f["heading"])
            ws.write_string(row + 1, 0, "Where it comes from", f["label"])
            ws.write_string(row + 1, 1, origin, f["text"])
            ws.write_string(row + 2, 0, "Level", f["header"])
            ws.write_string(row + 2, 1, "What it means", f["header"])
            row += 3
            for position, level in enumerate(scale.levels):
                colour = self._level_format(position, len(scale.levels))
                ws.write_string(row, 0, level.choice, colour)
                ws.write_string(row, 1, level.description, f["text"])
                ws.set_row(row, row_height([(level.description, 100, 10)]))
                row += 1
            row += 1
        if any(item.levels for _, item in self.fw.items()):
            ws.write_string(row, 0, "Each challenge also has its own statement for every level, shown beside it "
                                    "on its sheet.", f["subtitle"])
        self._print_setup(ws, portrait=True)
        self._protect(ws)

    def _write_section(self, ws, sheet: SectionSheet) -> None:
        f, labels = self.fmt, self.fw.labels
        ws.set_column(COL_REF, COL_REF, WIDTHS["ref"])
        ws.set_column(COL_TEXT, COL_TEXT, WIDTHS["text"])
        ws.set_column(COL_PROMPTS, COL_PROMPTS, WIDTHS["prompts"])
        for field in sheet.columns:
            col = sheet.field_col(field)
            ws.set_column(col, col, column_width(field))
        title = sheet.section.title
        if not title.lower().startswith(labels["section"].lower()):
            title = f"{labels['section']} {sheet.section.id}: {title}"
        ws.write_string(0, 0, title, f["title"])
        if sheet.section.description:
            ws.write_string(1, COL_TEXT, sheet.section.description, f["subtitle"])
            ws.set_row(1, row_height([(sheet.section.description, WIDTHS["text"], 11)]))
        headers = ["Ref", labels["statement"], labels["prompts"]]
        headers += [f"{field.label} (type here)" if field.type != "rating" else f"{field.label} (pick)"
                    for field in sheet.columns]
        for col, text in enumerate(headers):
            ws.write_string(HEADER_ROW, col, text, f["header"])
        ws.set_row(HEADER_ROW, row_height([(h, 20, 10) for h in headers[3:]] + [("x", 9, 10)], 30))
        row = HEADER_ROW + 1
        for line in sheet.rows:
            self._write_row(ws, row, line, sheet)
            row += 1
        ws.freeze_panes(HEADER_ROW + 1, COL_TEXT + 1)
        ws.autofilter(HEADER_ROW, 0, row - 1, len(headers) - 1)
        self._print_setup(ws, repeat_row=HEADER_ROW)
        self._protect(ws)

    def _write_row(self, ws, row: int, line, sheet: SectionSheet) -> None:
        f = self.fmt
        style = {"item": f["item"], "answers": f["label"], "summary-heading": f["heading"],
                 "summary": f["label"]}.get(line.kind, f["text"])
        ws.write_string(row, COL_REF, line.ref, f["ref"] if line.kind != "item" else f["item"])
        ws.write_string(row, COL_TEXT, line.text, style)
        if line.kind != "summary":
            heading_only = line.kind == "item" and not line.answers
            ws.write_string(row, COL_PROMPTS, line.prompts, f["item"] if heading_only else f["prompt"])
        if line.kind in ("statement", "item", "answers"):
            used = {a.col for a in line.answers}
            for field in sheet.columns:
                col = sheet.field_col(field)
                if col not in used:
                    ws.write_blank(row, col, None, f["muted"])
        for answer in line.answers:
            self._answer_cell(ws, answer)
        prompts_width = WIDTHS["prompts"]
        cells = [(line.text, WIDTHS["text"], 10), (line.prompts, prompts_width, 9)]
        ws.set_row(row, row_height(cells, minimum=32.0 if line.answers else 15.0))

    def _write_actions(self, ws) -> None:
        f = self.fmt
        ws.write_string(0, 0, "Action plan", f["title"])
        ws.write_string(1, 1, "What will you do, who will do it, by when, and how will you know it worked? "
                              "One action per row.", f["subtitle"])
        ws.set_column(0, 0, 5)
        widths = {"criterion": 14, "action": 48, "owner": 22, "due": 14, "priority": 12, "resources": 30,
                  "measure": 36, "status": 14}
        ws.write_string(ACTION_HEADER_ROW, 0, "#", f["header"])
        for col, field in enumerate(ACTION_FIELDS, start=1):
            ws.set_column(col, col, widths[field.id])
            ws.write_string(ACTION_HEADER_ROW, col, field.label, f["header"])
        for answer in self.layout.action_answers:
            if answer.col == 1:
                ws.write_number(answer.row, 0, answer.row - ACTION_HEADER_ROW, f["ref"])
            self._answer_cell(ws, answer)
        last = self.layout.action_answers[-1]
        ws.freeze_panes(ACTION_HEADER_ROW + 1, 0)
        ws.autofilter(ACTION_HEADER_ROW, 0, last.row, len(ACTION_FIELDS))
        self._print_setup(ws, repeat_row=ACTION_HEADER_ROW)
        self._protect(ws)

    # -- cells --------------------------------------------------------------------------
    def _answer_cell(self, ws, answer: AnswerCell) -> None:
        """Write an empty, unlocked answer cell; its validation is added with its field's others."""
        style = self.fmt["answer_date"] if answer.field.type == "date" else self.fmt["answer"]
        ok(ws.write_blank(answer.row, answer.col, None, style), f"answer cell {answer.cell}")
        self.pending.setdefault(answer.field, []).append(answer)

    def _apply_validations(self, ws) -> None:
        """One validation (and one set of level colours) per field and sheet, over all its cells."""
        for field, answers in self.pending.items():
            options = self._validation(field)
            if options is None:
                continue
            cells = " ".join(a.cell for a in answers)
            first = answers[0]
            ok(ws.data_validation(first.row, first.col, first.row, first.col, dict(options, multi_range=cells)),
               f"the validation of '{first.sheet}' {cells[:40]}")
            if field.type == "rating":
                choices_ = options["source"]
                for position, choice in enumerate(choices_):
                    ok(ws.conditional_format(first.row, first.col, first.row, first.col, {
                        "type": "cell", "criteria": "==", "value": _quote(choice), "multi_range": cells,
                        "format": self._level_format(position, len(choices_)),
                    }), f"the level colours of '{first.sheet}'")
        self.pending = {}

    def _validation(self, field) -> dict | None:
        if field.type == "date":
            return {
                "validate": "date", "criteria": "between",
                "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
                "input_title": "Enter a date",
                "input_message": "Type a date such as 2026-12-31, or leave the cell blank.",
                "error_title": "Not a date",
                "error_message": "Please enter a real date, such as 2026-12-31. Leave it blank if there is none.",
            }
        if field.id == "criterion" and field.level == "action":
            criteria = self.layout.criteria()
            source = criteria if len(",".join(criteria)) <= LIST_LITERAL_LIMIT else f"={CRITERIA_NAME}"
            return {
                "validate": "list", "source": source,
                "input_title": "Which part does it address?",
                "input_message": "Pick the id of the standard, item or statement this action addresses.",
                "error_title": "Not a criterion",
                "error_message": "Please pick one of the ids in the list.",
            }
        if field.type in ("rating", "priority", "choice"):
            options = choices(field, self.fw)
            return {
                "validate": "list", "source": list(options),
                "input_title": _clip(field.label, 32),
                "input_message": self._list_prompt(field, options),
                "error_title": "Please pick from the list",
                "error_message": _clip("Choose one of the values in the dropdown: " + "; ".join(options), 224),
            }
        return None

    def _list_prompt(self, field, options) -> str:
        if field.type == "rating":
            scale = self.fw.scale(field.scale)
            summary = "; ".join(level.choice for level in scale.levels)
            return _clip(f"Pick a level: {summary}. Full descriptions are on the Scale sheet.", 255)
        return _clip("Pick one: " + ", ".join(options), 255)

    def _level_format(self, position: int, count: int):
        key = (position, count)
        if key not in self.level_formats:
            self.level_formats[key] = self.wb.add_format(
                {"bg_color": level_colour(position, count), "font_name": "Arial", "valign": "top"})
        return self.level_formats[key]

    # -- sheet settings ---------------------------------------------------------------------
    def _protect(self, ws) -> None:
        """Protect a finished sheet (and add the validations of its answer cells)."""
        self._apply_validations(ws)
        ws.protect(self.facts.password, PROTECT_OPTIONS)

    def _print_setup(self, ws, repeat_row: int | None = None, portrait: bool = False) -> None:
        ws.set_paper(9)  # A4
        if not portrait:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)
        who = self.facts.respondent.replace("&", "&&")
        ws.set_footer(f"&L{_clip(who, 60)}&CPage &P of &N&R{_clip(self.fw.id, 40)}")


def _counta(answers: list[AnswerCell]) -> str:
    """=COUNTA over scattered cells, in groups under Excel's 255-argument limit."""
    if not answers:
        return "=0"
    groups = [answers[i:i + 200] for i in range(0, len(answers), 200)]
    parts = ["COUNTA(" + ",".join(f"'{a.sheet}'!{a.cell}" for a in group) + ")" for group in groups]
    return "=" + "+".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
