"""The tools that change returns as respondents do: filling by label, and editing in LibreOffice.

tests/fill_by_label.py fills a built workbook by reading the labels a person sees;
tests/lo_uno_edit.py then unprotects its sheets with the password in a real LibreOffice,
sorts, inserts and deletes rows and columns, types outside the tables, copies a sheet,
adds a comment and an error formula, and saves as .xlsx and .ods. These tests check that
each edit really happened, in the saved files as openpyxl and python-calamine read them,
and that the tool's report says truly where every typed value went, so that tests of
reading can trust it. Edits the tool chooses itself ("choose") are tried on every bundled
framework and, through hypothesis, in random sequences on partly filled returns.

Without soffice or a Python that can import uno the LibreOffice tests are skipped, with
the reason; under CI=true they fail instead, since CI must run them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font, Protection
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils import get_column_letter as letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from conftest import BUNDLED, UNO_PYTHON, build, clean_env, libreoffice_or_skip
from sheetkit.common.own_files import SHEET_ACTIONS
from fill_by_label import fill_by_label, find_fields, followed, header_rows, text_of

HERE = Path(__file__).resolve().parent
EDIT = HERE / "lo_uno_edit.py"
RUN_SECONDS = 180
PLAN = SHEET_ACTIONS
COPY = "Copied standards"
LAST_ROW = 1048576
OPS = ("sort_rows", "sort_single_column", "insert_row", "insert_column", "delete_row", "delete_column",
       "hide_column", "move_range", "clear", "type", "set_formula", "add_comment", "copy_sheet")


# -- filling by label, without LibreOffice ---------------------------------------------------
def small_workbook(path: Path) -> Path:
    """A protected sheet as a person sees it: a title, a header row with Ref, two answer rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Answers"
    bold = Font(bold=True)
    sheet["A1"] = "Our standards"
    sheet["A1"].font = bold
    for col, text in zip("ABCDE", ["Ref", "Standard", "Rating (pick)", "Evidence", "Secret"]):
        sheet[f"{col}3"], sheet[f"{col}3"].font = text, bold
    for row, (ref, text) in enumerate([("1.1", "We plan"), ("1.2", "We review")], start=4):
        sheet[f"A{row}"], sheet[f"B{row}"] = ref, text
        for col in "CDE":
            sheet[f"{col}{row}"].protection = Protection(locked=False)
    sheet["B7"] = "Overall comment"
    sheet["B7"].font = bold
    sheet["C7"].protection = Protection(locked=False)
    sheet.column_dimensions["E"].hidden = True
    workbook.create_sheet("Lists")["A1"], workbook["Lists"]["A2"] = "Good", "Poor"
    workbook.defined_names["ratings"] = DefinedName("ratings", attr_text="Lists!$A$1:$A$2")
    rule = DataValidation(type="list", formula1="ratings")
    rule.add("C4:C5")
    sheet.add_data_validation(rule)
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526")
    dates.add("C7")
    sheet.add_data_validation(dates)
    sheet.protection.sheet = True
    workbook["Lists"].sheet_state = "hidden"
    workbook.save(path)
    return path


def test_fields_are_named_by_the_labels_a_person_reads(tmp_path):
    fields = {f.cell: f for f in find_fields(small_workbook(tmp_path / "small.xlsx"))}
    assert set(fields) == {"C4", "D4", "C5", "D5", "C7"}, "hidden column E and the hidden sheet are not offered"
    assert fields["D5"].key == ("Answers", "1.2", "We review", "Evidence")
    assert (fields["D5"].row_label, fields["C4"].row_label) == ("We review", "We plan")
    assert fields["C4"].choices == ("Good", "Poor"), "list behind a defined name"
    assert fields["C7"].key == ("Answers", None, "Overall comment", "Rating (pick)")
    assert fields["C7"].ref is None and fields["C7"].is_date


def test_filling_by_label_types_plausible_values_only_into_answer_cells(tmp_path):
    source = small_workbook(tmp_path / "small.xlsx")
    filled = fill_by_label(source, tmp_path / "filled.xlsx", seed=3)
    sheet = openpyxl.load_workbook(tmp_path / "filled.xlsx")["Answers"]
    assert re.fullmatch(r"[A-Z][a-z]+ evidence for 1\.1 / We plan / Evidence \[2\]",
                        filled.typed[("Answers", "1.1", "We plan", "Evidence")])
    assert filled.typed[("Answers", "1.2", "We review", "Rating (pick)")] in ("Good", "Poor")
    assert isinstance(filled.typed[("Answers", None, "Overall comment", "Rating (pick)")], dt.date)
    for (_, cell), value in filled.cells.items():
        found = sheet[cell].value
        assert (found.date() if isinstance(found, dt.datetime) else found) == value
    assert sheet["B4"].value == "We plan" and sheet["E4"].value is None
    assert filled.ambiguous == []


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_filling_by_label_fills_every_built_workbook(framework_id, tmp_path):
    source = build(framework_id, tmp_path, names=("Housing",))[0]
    filled = fill_by_label(source, tmp_path / "filled.xlsx", seed=1)
    assert len(filled.cells) == len(filled.fields) > 20
    texts = [v for v in filled.cells.values() if isinstance(v, str) and " evidence for " in v]
    assert len(texts) == len(set(texts)), "every typed text can be told apart"
    for f in filled.fields:
        value = filled.cells[(f.sheet, f.cell)]
        assert value in f.choices if f.choices else isinstance(value, dt.date) if f.is_date else value in texts
    before = openpyxl.load_workbook(source)
    after = openpyxl.load_workbook(tmp_path / "filled.xlsx")
    for sheet in before.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if (sheet.title, cell.coordinate) not in filled.cells:  # openpyxl keeps no empty text
                    assert after[sheet.title][cell.coordinate].value == (cell.value if cell.value != "" else None)


# -- LibreOffice ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def soffice() -> str:
    return libreoffice_or_skip()


def lo_edit(soffice: str, source: Path, edits: list, out_base: Path, password: str = "secret"):
    """Run tests/lo_uno_edit.py; (exit status, report)."""
    plan = out_base.parent / f"{out_base.name}.edits.json"
    plan.write_text(json.dumps(edits, ensure_ascii=False, indent=1), encoding="utf-8")
    run = subprocess.run([UNO_PYTHON, str(EDIT), "--soffice", soffice, "--password", password, "--timeout",
                          str(RUN_SECONDS), str(source), str(plan), str(out_base)],
                         capture_output=True, text=True, timeout=RUN_SECONDS + 30, env=clean_env())
    try:
        return run.returncode, json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"lo_uno_edit.py printed no report (exit {run.returncode}):\n{run.stdout[-2000:]}\n"
                    f"{run.stderr[-2000:]}")


class Scene:
    """Where things are in a filled return, found from what its sheets show, the edits a
    respondent makes to it, and where those edits should leave things."""

    def __init__(self, path: Path, fields: list):
        workbook = openpyxl.load_workbook(path)
        rated = [f for f in fields if f.choices and f.ref and f.sheet != PLAN]
        self.part = max({f.sheet for f in rated}, key=lambda name: sum(f.sheet == name for f in rated))
        sheet = workbook[self.part]
        first = next(f for f in rated if f.sheet == self.part)
        self.rating = col_of(first.cell)
        answer_rows = {row_of(f.cell) for f in fields if f.sheet == self.part and col_of(f.cell) == self.rating}
        self.block = [row_of(first.cell)]  # adjacent answer rows: a section a respondent might sort
        while self.block[-1] + 1 in answer_rows:
            self.block.append(self.block[-1] + 1)
        assert len(self.block) >= 3, "a run of answer rows to sort"
        self.header = max(r for r in header_rows(sheet)  # the table's, not a section title's
                          if r < self.block[0] and any(text_of(c.value).lower() == "ref" for c in sheet[r]))
        self.headers = [text_of(c.value) for c in sheet[self.header]]
        answers = {col_of(f.cell) for f in fields if f.sheet == self.part}
        labels = [letter(n + 1) for n, t in enumerate(self.headers)
                  if t and t.lower() != "ref" and letter(n + 1) not in answers]
        assert len(labels) >= 2, "a statement column and a column of guidance to delete"
        self.statement, self.guidance = labels[0], labels[-1]
        no_answers = [r for r in range(self.block[-1] + 1, sheet.max_row + 2) if r not in answer_rows]
        self.deleted = next((r for r in no_answers if not text_of(sheet[f"A{r}"].value)), no_answers[0])
        self.note_row = no_answers[0]  # a row with nothing to answer, for a note in the new column
        self.deleted_cells = sum(bool(text_of(c.value)) for c in sheet[self.deleted]  # once guidance has gone
                                 if c.column_letter != self.guidance)
        self.guidance_cells = sum(bool(text_of(c.value)) for c in sheet[self.guidance])
        self.last_row = sheet.max_row
        plan = [f for f in fields if f.sheet == PLAN]
        self.plan_rows = sorted({row_of(f.cell) for f in plan})
        self.plan_cols = sorted({col_of(f.cell) for f in plan}, key=column_index_from_string)
        self.plan_refs = {r: text_of(workbook[PLAN][f"A{r}"].value) for r in self.plan_rows}
        self.scale_width = workbook["Scale"].max_column

    def edits(self) -> list[dict]:
        """The edits, with rows and columns as they are when each is made."""
        part, plan, first = self.part, PLAN, self.block[0]
        last_action, moved = self.plan_rows[-1], self.plan_rows[1]
        return [
            {"op": "sort_rows", "sheet": part, "rows": [first, self.block[-1]], "by": self.rating,       # 0
             "descending": True},
            {"op": "insert_row", "sheet": part, "before": self.insert_before,                             # 1
             "texts": {self.statement: "A standard of our own", self.rating: "typed in an inserted row"}},
            {"op": "insert_column", "sheet": part, "before": self.rating,                                 # 2
             "texts": {str(self.header): "Our notes", str(self.note_row + 1): "note typed in a new column"}},
            {"op": "delete_column", "sheet": part, "column": self.after_insert(self.guidance)},           # 3
            {"op": "delete_row", "sheet": part, "row": self.deleted + 1},                                 # 4
            {"op": "hide_column", "sheet": part, "column": self.final_column(self.statement)},           # 5
            {"op": "add_comment", "sheet": part, "cell": f"{self.final_column(self.rating)}{first}",
             "text": "Rating agreed at the team meeting"},                                                # 6
            {"op": "type", "sheet": part, "cell": self.beside, "text": "A note beside the table"},        # 7
            {"op": "type", "sheet": part, "cell": self.below, "text": "A note below the table"},          # 8
            {"op": "sort_single_column", "sheet": plan, "column": self.plan_cols[1],                       # 9
             "rows": [self.plan_rows[0], last_action]},
            {"op": "move_range", "sheet": plan, "range": f"A{moved}:{self.plan_cols[-1]}{moved}",          # 10
             "to": f"A{last_action + 11}"},
            {"op": "delete_row", "sheet": plan, "row": last_action},                                      # 11
            {"op": "type", "sheet": plan, "cell": f"{self.plan_cols[1]}{last_action + 3}",                # 12
             "text": "An action typed below the table"},
            {"op": "set_formula", "sheet": plan, "cell": self.formula, "formula": "=NA()"},               # 13
            {"op": "copy_sheet", "sheet": part, "new_name": COPY},                                        # 14
            {"op": "type", "sheet": COPY, "cell": f"{self.final_column(self.rating)}{first}",             # 15
             "text": "typed in the copied sheet"},
            {"op": "delete_column", "sheet": "Scale", "column": letter(self.scale_width + 1)},            # 16 empty
        ]

    @property
    def insert_before(self) -> int:
        return self.block[2]

    def after_insert(self, column: str) -> str:
        """A column's letter once a column is inserted before the rating."""
        index = column_index_from_string(column)
        return letter(index + (index >= column_index_from_string(self.rating)))

    def final_headers(self) -> list[str]:
        headers = list(self.headers)
        headers.insert(column_index_from_string(self.rating) - 1, "Our notes")
        headers.remove(self.headers[column_index_from_string(self.guidance) - 1])
        return headers

    def final_column(self, column: str) -> str:
        return letter(self.final_headers().index(self.headers[column_index_from_string(column) - 1]) + 1)

    def final_row(self, row: int) -> int:
        """Where a row of the section sheet is after the row inserted and the row deleted."""
        row += row >= self.insert_before
        return row - (row > self.deleted + 1)

    @property
    def beside(self) -> str:
        return f"{letter(len(self.final_headers()) + 2)}{self.block[0]}"

    @property
    def below(self) -> str:
        return f"{self.final_column(self.statement)}{self.last_row + 3}"

    @property
    def formula(self) -> str:
        return f"{self.plan_cols[1]}{self.plan_rows[-1] + 5}"

    @property
    def moved_to(self) -> int:
        return self.plan_rows[-1] + 10  # 11 below the last action, one up once it is deleted


def row_of(cell: str) -> int:
    return coordinate_from_string(cell)[1]


def col_of(cell: str) -> str:
    return coordinate_from_string(cell)[0]


@pytest.fixture(scope="module")
def edited(soffice, tmp_path_factory) -> dict:
    """A wales-commissioning return filled by label, then edited in one LibreOffice run."""
    out = tmp_path_factory.mktemp("edited")
    source = build("wales-commissioning", out, names=("Housing",))[0]
    filled = fill_by_label(source, out / "filled.xlsx", seed=7)
    scene = Scene(out / "filled.xlsx", filled.fields)
    status, report = lo_edit(soffice, out / "filled.xlsx", scene.edits(), out / "edited")
    assert "error" not in report, report["error"]
    assert status == 0 and report["tracking_errors"] == []
    return {"filled": filled, "scene": scene, "report": report, "xlsx": Path(report["outputs"]["xlsx"]),
            "ods": Path(report["outputs"]["ods"])}


def sheet_values(path: Path, sheet: str) -> dict[str, object]:
    """{cell: value} of a saved file's non-empty cells, as python-calamine reads them."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return {f"{letter(c + 1)}{r + 1}": v for r, row in enumerate(rows)
            for c, v in enumerate(row) if v != ""}


def assert_tracked_in_files(report: dict) -> int:
    """Every cell the report follows holds, in both saved files, what it held when it was typed."""
    workbook = openpyxl.load_workbook(report["outputs"]["xlsx"])
    ods = {name: sheet_values(Path(report["outputs"]["ods"]), name) for name in workbook.sheetnames}
    checked = 0
    for entry in report["tracked"]:
        if entry["now"] is None:
            continue
        found, other = workbook[entry["sheet"]][entry["now"]].value, ods[entry["sheet"]].get(entry["now"])
        where = (entry["sheet"], entry["cell"], entry["now"])
        if entry["type"] == "TEXT":
            assert found == entry["value"] == other, where
        elif entry["type"] == "VALUE":
            number = to_excel(found) if isinstance(found, dt.datetime) else found
            assert number == entry["value"], where
        else:
            assert str(found).startswith("="), where
        checked += 1
    return checked


def same(found, typed) -> bool:
    if isinstance(typed, dt.date):
        return isinstance(found, dt.date) and found.timetuple()[:3] == typed.timetuple()[:3]
    return found == typed


@pytest.mark.libreoffice
def test_every_typed_value_is_where_the_report_says(edited):
    """The report's "tracked" positions, checked against both saved files."""
    scene, report = edited["scene"], edited["report"]
    went = followed(edited["filled"], report)
    assert len(went) == len(edited["filled"].cells)
    workbook = openpyxl.load_workbook(edited["xlsx"])
    ods = {name: sheet_values(edited["ods"], name) for name in (scene.part, PLAN, "Start")}
    lost = {}
    for key, entry in went.items():
        if entry["now"] is None:
            lost[key] = entry["value"], entry["lost"]
            continue
        assert same(workbook[entry["sheet"]][entry["now"]].value, entry["value"]), entry
        assert same(ods[entry["sheet"]][entry["now"]], entry["value"]), entry
    # only what the deleted rows held: the last action's answers (one came there by the sort)
    assert len(lost) == len(scene.plan_cols) and all(how == {"edit": 11, "how": "deleted"} for _, how in lost.values())
    removed = {cell["shown"] for cell in report["edits"][11]["removed"]}
    assert {typed for typed, _ in lost.values() if isinstance(typed, str)} <= removed
    assert assert_tracked_in_files(report) > len(went)  # framework text and typed text alike


@pytest.mark.libreoffice
def test_every_value_is_found_again_by_its_labels(edited):
    """Read the edited file as a person does: each value is still beside its Ref and label and
    under its header, except in the column sorted on its own and the deleted row."""
    scene, report = edited["scene"], edited["report"]
    after = {f.key: f for f in find_fields(edited["xlsx"])}
    workbook = openpyxl.load_workbook(edited["xlsx"])
    broken = text_of(workbook[PLAN][f"{scene.plan_cols[1]}{scene.plan_rows[0] - 1}"].value)
    deleted = {t["cell"] for t in report["tracked"] if t.get("lost") and t["sheet"] == PLAN}
    found = 0
    for key, typed in edited["filled"].typed.items():
        place = next(f.cell for f in edited["filled"].fields if f.key == key)
        if (key[0] == PLAN and key[3] == broken) or (key[0] == PLAN and place in deleted):
            continue
        assert key in after, key
        assert same(workbook[key[0]][after[key].cell].value, typed), (key, after[key].cell)
        found += 1
    assert found >= len(edited["filled"].typed) - len(scene.plan_rows) - len(scene.plan_cols)


@pytest.mark.libreoffice
def test_sorting_a_section_moves_whole_rows(edited):
    scene, report = edited["scene"], edited["report"]
    sort = report["edits"][0]
    assert sorted(sort["order"]) == scene.block and sort["order"] != scene.block
    original = [t for t in report["tracked"] if t["sheet"] == scene.part and "typed_by" not in t]
    for old, new in sort["moved"].items():  # every cell of a moved row went with it
        cells = [t for t in original if row_of(t["cell"]) == int(old)]
        assert len(cells) >= 2 and {row_of(t["now"]) for t in cells} == {scene.final_row(new)}, old


@pytest.mark.libreoffice
def test_rows_and_columns_inserted_and_deleted(edited):
    scene, report = edited["scene"], edited["report"]["edits"]
    sheet = openpyxl.load_workbook(edited["xlsx"])[scene.part]
    headers = scene.final_headers()
    assert [text_of(c.value) for c in sheet[scene.header]][:len(headers)] == headers
    assert "Our notes" in headers and scene.headers[column_index_from_string(scene.guidance) - 1] not in headers
    row = scene.insert_before
    assert sheet[f"A{row}"].value is None
    assert sheet[f"{scene.final_column(scene.statement)}{row}"].value == "A standard of our own"
    assert sheet[f"{scene.final_column(scene.rating)}{row}"].value == "typed in an inserted row"
    notes = letter(headers.index("Our notes") + 1)
    assert sheet[f"{notes}{scene.final_row(scene.note_row)}"].value == "note typed in a new column"
    assert len(report[3]["removed"]) == scene.guidance_cells
    assert report[3]["removed"][0] == {"cell": f"{report[3]['column']}{scene.header}",
                                       "shown": scene.headers[column_index_from_string(scene.guidance) - 1]}
    assert report[4]["deleted"] == [scene.deleted + 1] and len(report[4]["removed"]) == scene.deleted_cells
    last = scene.plan_rows[-1]
    assert report[11]["removed"][0] == {"cell": f"A{last}", "shown": scene.plan_refs[last]}


@pytest.mark.libreoffice
def test_libreoffice_writes_an_empty_last_row_after_a_row_is_deleted(edited):
    """LibreOffice 7.4, saving .xlsx after a row was deleted, ends the sheet's data with an
    empty <row r="1048576"> (no cells in it) and a dimension reaching it, so openpyxl's
    read-only mode reports 1048576 rows while its normal mode, skipping the empty row, reports
    the real ones: a reader must take that row neither for content nor for a bomb. Sheets with
    no deleted row get none. After a column is deleted (and none inserted) it writes a <col>
    for the last column, 16384, and leaves the dimension alone."""
    scene = edited["scene"]
    with zipfile.ZipFile(edited["xlsx"]) as archive:
        names = openpyxl.load_workbook(edited["xlsx"], read_only=True).sheetnames
        parts = {name: archive.read(f"xl/worksheets/sheet{n + 1}.xml").decode() for n, name in enumerate(names)}
    for name in (scene.part, COPY, PLAN):
        last = re.search(rf'<row r="{LAST_ROW}"[^>]*>(.*?)</row>', parts[name])
        assert last and last[1] == "", name
        assert re.search(rf'<dimension ref="A1:[A-Z]+{LAST_ROW}"/>', parts[name]), name
    for name in ("Start", "Scale"):
        assert f'<row r="{LAST_ROW}"' not in parts[name]
    last_col = re.compile(r'<col [^>]*max="16384" min="16384"[^>]*/>')
    assert last_col.search(parts["Scale"]) and f'<dimension ref="A1:{letter(scene.scale_width)}' in parts["Scale"]
    assert not last_col.search(parts[scene.part]) and not last_col.search(parts["Start"])
    assert openpyxl.load_workbook(edited["xlsx"], read_only=True)[scene.part].max_row == LAST_ROW
    below = row_of(scene.below)  # the note below the table is the real last row
    assert openpyxl.load_workbook(edited["xlsx"])[scene.part].max_row == below


@pytest.mark.libreoffice
def test_hidden_column_comment_and_protection(edited):
    scene, report = edited["scene"], edited["report"]
    workbook = openpyxl.load_workbook(edited["xlsx"])
    sheet, summary = workbook[scene.part], report["sheets"][workbook.sheetnames.index(scene.part)]
    hidden, commented = report["edits"][5]["column"], report["edits"][6]["cell"]
    assert sheet.column_dimensions[hidden].hidden and summary["hidden_columns"] == [hidden]
    assert sheet[commented].comment.text == "Rating agreed at the team meeting"
    assert summary["comments"] == [{"cell": commented, "text": "Rating agreed at the team meeting"}]
    assert "Rating agreed at the team meeting" in zipfile.ZipFile(edited["ods"]).read("content.xml").decode()
    assert all(ws.protection.sheet for ws in workbook.worksheets), "every sheet protected again"
    assert report["edits"][0]["unprotected"] and report["edits"][9]["unprotected"]
    tables = re.findall(r"<table:table [^>]*>", zipfile.ZipFile(edited["ods"]).read("content.xml").decode())
    assert len(tables) == len(workbook.sheetnames) and all('table:protected="true"' in t for t in tables)


@pytest.mark.libreoffice
def test_text_typed_outside_the_tables(edited):
    scene = edited["scene"]
    part, plan = sheet_values(edited["xlsx"], scene.part), sheet_values(edited["ods"], PLAN)
    assert part[scene.beside] == "A note beside the table" and part[scene.below] == "A note below the table"
    assert plan[edited["report"]["edits"][12]["cell"]] == "An action typed below the table"


@pytest.mark.libreoffice
def test_a_single_column_sort_breaks_rows_apart(edited):
    scene = edited["scene"]
    sort = edited["report"]["edits"][9]
    assert sort["after"][:-1] == sorted(sort["before"], key=str.casefold)[:-1] != sort["before"][:-1]
    sheet = openpyxl.load_workbook(edited["xlsx"])[PLAN]
    number = re.compile(r"evidence for (\d+) / ")
    rows = scene.plan_rows[:1] + scene.plan_rows[2:-1]  # not the moved one nor the deleted one
    sorted_column, other = scene.plan_cols[1], scene.plan_cols[2]
    sorted_refs = [number.search(sheet[f"{sorted_column}{r}"].value)[1] for r in rows]
    other_refs = [number.search(sheet[f"{other}{r}"].value)[1] for r in rows]
    refs = [str(sheet[f"A{r}"].value) for r in rows]
    assert other_refs == refs, "the other columns keep their rows"
    assert sorted_refs != refs, "the sorted column no longer matches its rows"


@pytest.mark.libreoffice
def test_moved_row_formula_error_and_copied_sheet(edited):
    scene, report, filled = edited["scene"], edited["report"], edited["filled"]
    workbook = openpyxl.load_workbook(edited["xlsx"])
    plan, moved = workbook[PLAN], scene.plan_rows[1]
    owner = scene.plan_cols[2]
    label = text_of(plan[f"{owner}{scene.plan_rows[0] - 1}"].value)
    assert str(plan[f"A{scene.moved_to}"].value) == scene.plan_refs[moved]
    ref = scene.plan_refs[moved]
    assert plan[f"{owner}{scene.moved_to}"].value == filled.typed[(PLAN, ref, ref, label)]
    assert all(cell.value is None for cell in plan[moved]), "moved away, not copied"
    assert report["edits"][13] | {"shown": "#N/A", "error": 32767} == report["edits"][13]
    assert plan[scene.formula].value == "=NA()"
    assert openpyxl.load_workbook(edited["xlsx"], data_only=True)[PLAN][scene.formula].value == "#N/A"
    # python-calamine 0.9.1 reads a cached error as an empty cell, in .xlsx and .ods alike
    assert scene.formula not in sheet_values(edited["xlsx"], PLAN)
    assert scene.formula not in sheet_values(edited["ods"], PLAN)
    assert workbook.sheetnames.index(COPY) == workbook.sheetnames.index(scene.part) + 1 == report["edits"][14]["index"]
    copy = workbook[COPY]
    assert copy.protection.sheet and copy[report["edits"][15]["cell"]].value == "typed in the copied sheet"
    header = scene.final_row(scene.header)
    assert [c.value for c in copy[header]] == [c.value for c in workbook[scene.part][header]]


@pytest.mark.libreoffice
def test_a_wrong_password_is_reported_and_nothing_is_saved(soffice, tmp_path):
    source = build("wales-commissioning", tmp_path, names=("Housing",))[0]
    edits = [{"op": "type", "sheet": PLAN, "cell": "C5", "text": "typed without the password"}]
    status, report = lo_edit(soffice, source, edits, tmp_path / "wrong", password="not the password")
    assert status == 1 and "password does not unprotect sheet" in report["error"]
    assert report["edits"][0]["error"].startswith("the password does not unprotect")
    assert not (tmp_path / "wrong.xlsx").exists() and not (tmp_path / "wrong.ods").exists()
    assert "outputs" not in report


@pytest.mark.libreoffice
@pytest.mark.parametrize("framework_id", BUNDLED)
def test_edits_chosen_at_random_are_made_and_followed(soffice, framework_id, tmp_path):
    """Every kind of edit, its sheet and cells chosen by the tool from what the sheet shows."""
    source = build(framework_id, tmp_path, names=("Housing",))[0]
    fill_by_label(source, tmp_path / "filled.xlsx", seed=11)
    ops = ["sort_rows", "insert_row", "insert_column", "delete_column", "delete_row", "sort_single_column",
           "type", "copy_sheet", "add_comment", "set_formula", "hide_column", "move_range", "clear"]
    assert sorted(ops) == sorted(OPS)
    plan = {"seed": framework_id, "edits": [{"op": op, "choose": True} for op in ops]}
    status, report = lo_edit(soffice, tmp_path / "filled.xlsx", plan, tmp_path / "edited")
    assert "error" not in report, report["error"]
    assert status == 0 and report["tracking_errors"] == []
    assert [e["op"] for e in report["edits"]] == ops and all(e["chosen"] for e in report["edits"])
    sort, single = report["edits"][0], report["edits"][5]
    assert sorted(sort["order"]) == list(range(sort["rows"][0], sort["rows"][1] + 1))
    assert len(single["order"]) == len(single["after"]) == single["rows"][1] - single["rows"][0] + 1
    typed = [t for t in report["tracked"] if "typed_by" in t]
    assert {t["typed_by"] for t in typed} >= {1, 2, 6, 7, 9}  # the edits that type something
    assert assert_tracked_in_files(report) > 200
    clear = report["edits"][12]  # the last edit, so its addresses are final
    assert clear["removed"] and not {(clear["sheet"], c["cell"]) for c in clear["removed"]} & {
        (c["sheet"], c["cell"]) for c in report["cells"]}
    copied = clear["sheet"] == report["edits"][7]["new_name"]  # a copy's own cells are not followed
    assert {t["lost"]["how"] for t in report["tracked"] if t.get("lost", {}).get("edit") == 12} == (
        set() if copied else {"cleared"})


@pytest.mark.libreoffice
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(framework_id=st.sampled_from(BUNDLED), ops=st.lists(st.sampled_from(OPS), min_size=3, max_size=10),
       seed=st.integers(0, 10_000), share=st.floats(0.3, 1.0))
def test_random_sequences_of_edits_are_followed(soffice, tmp_path_factory, framework_id, ops, seed, share):
    """Any sequence of edit kinds, on any partly filled return: made, and every cell followed."""
    out = tmp_path_factory.mktemp("sequence")
    source = build(framework_id, out, names=("Housing",))[0]
    rng = random.Random(seed)
    fill_by_label(source, out / "filled.xlsx", seed=seed, only=lambda _: rng.random() < share)
    plan = {"seed": seed, "edits": [{"op": op, "choose": True} for op in ops]}
    status, report = lo_edit(soffice, out / "filled.xlsx", plan, out / "edited")
    assert "error" not in report, (plan, report["error"])
    assert status == 0 and report["tracking_errors"] == []
    assert [e["op"] for e in report["edits"]] == ops
    assert assert_tracked_in_files(report) > 100
