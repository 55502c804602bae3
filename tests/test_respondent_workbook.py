"""The respondent's workbook as a person sees it: every answer beside its label, nothing cut,
the rating on the first screen, and a workbook filled by reading its labels compiled exactly.

These tests open the built files (not the layout object) and read them as a person does.
The framework's own field labels are the oracle for what a label should say.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import openpyxl
import pytest

from conftest import BUNDLED, build
from fill_by_label import fill_by_label, find_fields, text_of

from sheetkit.framework.model import RESPONSE_LEVELS
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.layout import ACTION_FIELDS, SIGNOFF_FIELDS
from sheetkit.xlsx.text_fit import points_needed
from sheetkit.framework.library import get_framework


@functools.lru_cache(maxsize=None)
def _fields(path):
    """The answer cells of a built workbook as its labels show them: read once per workbook, then shared."""
    return tuple(find_fields(path))


HINT = re.compile(r"\s*\((pick|type here|date|name or role)(; added by sheetkit)?\)\s*$")
SCREEN_PIXELS = 1366 - 60  # the window less Calc's row headers and scroll bar
MAX_ROW_POINTS = 409


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    return {fid: build(fid, out / fid, names=("Housing",))[0] for fid in BUNDLED}


def _labels(framework_id: str) -> dict[str, set[str]]:
    """Every field label the framework (and the action plan and sign-off) asks, by level."""
    fw = get_framework(framework_id)
    labels = {level: {f.label for f in fw.fields(level)} for level in RESPONSE_LEVELS}
    labels["signoff"] = {f.label for f in SIGNOFF_FIELDS}
    return labels


def _bare(text: str | None) -> str:
    return HINT.sub("", " ".join((text or "").split()))


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_every_answer_cell_sits_beside_or_under_its_label(built, framework_id):
    """For every unlocked cell: the label on its row, or the header above its column, is a field's label."""
    labels = set().union(*_labels(framework_id).values())
    action_headers = {"Which part it addresses", "Action", "Owner", "Due date", "Priority", "Resources needed",
                      "How success will be measured", "Status"}
    fields = _fields(built[framework_id])
    assert fields, "no answer cells found"
    for f in fields:
        named_by_row = _bare(f.row_label) in labels
        named_by_header = _bare(f.column_header) in labels | action_headers
        assert named_by_row or named_by_header, (f.sheet, f.cell, f.row_label, f.column_header)
        if HINT.search(f.row_label or "") is None and HINT.search(f.column_header or "") is None:
            pytest.fail(f"{f.sheet}!{f.cell}: neither its label nor its header says what goes in it")


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_a_workbook_filled_by_its_labels_is_compiled_under_those_labels(built, framework_id, tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    filled = fill_by_label(built[framework_id], returns / built[framework_id].name, seed=7)
    report = ingest_returns([str(returns)], IngestOptions(out=tmp_path / "c.xlsx", csv=tmp_path / "r.csv"))
    assert [r.status for r in report.returns] == ["accepted"]
    assert [f for f in report.findings if f.is_error] == []
    rows = _responses(tmp_path / "c.xlsx")
    fw = get_framework(framework_id)
    label_of = {(level, f.id): f.label for level in RESPONSE_LEVELS for f in fw.fields(level)}
    label_of.update({("signoff", f.id): f.label for f in SIGNOFF_FIELDS})
    label_of.update({("action", f.id): f.label for f in ACTION_FIELDS})
    by_field = {f: f for f in filled.fields}
    assert len(rows) == len(filled.cells)
    for f in by_field:
        row = rows.pop((f.sheet, f.cell))
        typed = filled.cells[(f.sheet, f.cell)]
        assert row["status"] == "ok", row
        label = _expected_label(f, label_of)
        got = next((lab for (lvl, fid), lab in label_of.items() if fid == row["field"]
                    and _owner_matches(lvl, row, f)), None)
        if label is not None:
            assert got == label, (f, row)
        assert _same_value(typed, row["value"]), (f, typed, row["value"])
    assert rows == {}


def _expected_label(f, label_of) -> str | None:
    """The field a person meant: the label on the row if it is a field's label, else the column's header."""
    row, header = _bare(f.row_label), _bare(f.column_header)
    labels = set(label_of.values())
    if row in labels:
        return row
    if header in labels:
        return header
    return None  # the action plan's columns, named by their headers only


def _owner_matches(level: str, row: dict, f) -> bool:
    ref = (f.ref or "").strip()
    if level == "statement":
        return row["statement"] == ref
    if level == "item":
        return row["item"] == ref and not row["statement"]
    if level == "section":
        return ref.endswith(f" {row['section']}")
    if level == "action":
        return f.sheet == "Action plan"
    return not row["item"] and not row["statement"]


def _same_value(typed, got) -> bool:
    if isinstance(typed, dt.date):
        return isinstance(got, dt.datetime) and got.date() == typed
    if isinstance(got, (int, float)) and isinstance(typed, str):
        return typed.split(" ", 1)[0] == str(got)  # a rating picked as '4 - Good' is level 4
    if isinstance(typed, str) and isinstance(got, str) and typed != got:
        return typed.split(" ", 1)[0] == got  # a criterion picked as '7.3 Joint strategies' is '7.3'
    return typed == got


def _responses(path: Path, field: str | None = None) -> dict[tuple[str, str], dict]:
    """Responses by (sheet, cell); comments (field 'comment') only when asked for by that field."""
    ws = openpyxl.load_workbook(path, read_only=True)["Responses"]
    rows = list(ws.iter_rows(values_only=True))
    at = next(n for n, row in enumerate(rows) if "sheet" in row and "cell" in row)  # the table's header, below the title
    header = list(rows[at])
    found = {}
    for r in rows[at + 1:]:
        row = dict(zip(header, r))
        if r[0] and (row["field"] == "comment") == (field == "comment"):
            found[(row["sheet"], row["cell"])] = row
    return found


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_no_text_is_cut_by_its_row(built, framework_id):
    """Every text cell fits its row: a stored height is tall enough, and no text needs more than 409 points."""
    wb = openpyxl.load_workbook(built[framework_id])
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value or not cell.alignment.wrap_text:
                    continue
                if cell.value.startswith("="):
                    continue  # a formula shows its short result ("3 of 12"), not its text
                width = ws.column_dimensions[cell.column_letter].width or 8.43
                size = cell.font.sz or 10
                need = points_needed(cell.value, width, int(size))
                assert need <= MAX_ROW_POINTS, (ws.title, cell.coordinate, need)
                stored = ws.row_dimensions[cell.row].height
                if stored is not None:
                    assert stored >= min(need, MAX_ROW_POINTS) - 0.5, (ws.title, cell.coordinate, stored, need)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_answer_rows_have_room_for_several_lines(built, framework_id):
    wb = openpyxl.load_workbook(built[framework_id])
    for f in _fields(built[framework_id]):
        row = int(re.sub(r"[A-Z]+", "", f.cell))
        height = wb[f.sheet].row_dimensions[row].height
        assert height is not None and height >= 30, (f.sheet, f.cell, height)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_the_first_rating_of_each_section_is_on_the_first_screen(built, framework_id):
    wb = openpyxl.load_workbook(built[framework_id])
    fields = _fields(built[framework_id])
    for ws in wb.worksheets[2:]:
        if ws.title in ("Action plan",) or ws.sheet_state != "visible":
            continue
        ratings = [f for f in fields if f.sheet == ws.title and f.choices]
        if not ratings:
            continue
        first = min(ratings, key=lambda f: (int(re.sub(r"[A-Z]+", "", f.cell)), f.cell))
        col = openpyxl.utils.column_index_from_string(re.sub(r"\d+", "", first.cell))
        pixels = sum(int((ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width or 8.43) * 7 + 5)
                     for c in range(1, col + 1))
        assert pixels <= SCREEN_PIXELS, (ws.title, first.cell, pixels)
        top = sum(ws.row_dimensions[r].height or 15 for r in range(1, int(re.sub(r"[A-Z]+", "", first.cell))))
        assert top <= 560, (ws.title, first.cell, top)  # about what a 768-pixel-high screen shows below the ribbon


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_no_column_stands_empty(built, framework_id):
    wb = openpyxl.load_workbook(built[framework_id])
    for ws in wb.worksheets[2:]:
        header_row = next((r for r in range(1, 10) if text_of(ws.cell(r, 1).value) in ("Ref", "#")), None)
        if header_row is None:
            continue
        for col in range(1, ws.max_column + 1):
            values = [ws.cell(r, col) for r in range(header_row + 1, ws.max_row + 1)]
            used = any(text_of(c.value) for c in values) or any(c.protection.locked is False for c in values)
            assert used, (ws.title, ws.cell(header_row, col).value)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_every_level_means_something_on_the_scale_sheet(built, framework_id):
    ws = openpyxl.load_workbook(built[framework_id])["Scale"]
    headers = {"Level (pick)", "What it means", "Level", "Where it comes from"}
    rows = list(ws.iter_rows(values_only=True))
    for level, meaning, *_ in rows:
        if isinstance(level, str) and re.match(r"^\d+( - |$)", level):
            assert meaning and meaning not in headers, (level, meaning)


def test_section_sheets_print_on_a4_landscape_at_a_legible_scale(built):
    for framework_id in BUNDLED:
        wb = openpyxl.load_workbook(built[framework_id])
        for ws in wb.worksheets[2:-2]:
            if ws.sheet_state != "visible":
                continue
            setup = ws.page_setup
            assert setup.paperSize == 9 and setup.orientation == "landscape", ws.title
            smallest = min((c.font.sz or 11 for row in ws.iter_rows() for c in row
                            if isinstance(c.value, str) and c.value and c.row > 4), default=11)
            assert (setup.scale or 100) * smallest / 100 >= 8, (ws.title, setup.scale, smallest)
            assert ws.print_title_rows, ws.title


def test_what_the_source_does_not_ask_is_shown_as_sheetkits_and_stems_are_shown(built):
    """Fields the source does not ask for say so where the respondent reads them; SWIA's stem
    'The extent to which:' stands with the features that complete it."""
    for framework_id in BUNDLED:
        fw = get_framework(framework_id)
        added = {f.label for level in RESPONSE_LEVELS for f in fw.fields(level) if f.origin == "sheetkit"}
        fields = _fields(built[framework_id])  # one reading of the workbook, as its labels show
        shown = {_bare(f.row_label) for f in fields} | {_bare(f.column_header) for f in fields}
        marked = {text for f in fields for text in (f.row_label, f.column_header)
                  if text and text.endswith("; added by sheetkit)")}
        for label in added:
            assert any(m.startswith(label) for m in marked), (framework_id, label)
        assert not any(m.startswith(label) for m in marked for label in shown - added), framework_id
    wb = openpyxl.load_workbook(built["swia-commissioning"])
    for ws in wb.worksheets[2:6]:
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert any("The extent to which:" in t for t in texts), ws.title


@pytest.mark.libreoffice
def test_answer_rows_grow_as_the_respondent_types(built, tmp_path):
    """Answer rows store a height (so labels show in full on opening) but not as a custom one, so
    Excel and LibreOffice fit them to what is typed; framework text rows keep their set height."""
    import shutil
    import subprocess
    import zipfile

    path = built["lga-cbo"]
    fields = find_fields(path)
    answer_rows = {(f.sheet, int(re.sub(r"[A-Z]+", "", f.cell))) for f in fields}
    wb = openpyxl.load_workbook(path)
    with zipfile.ZipFile(path) as archive:
        for n, ws in enumerate(wb.worksheets, start=1):
            xml = archive.read(f"xl/worksheets/sheet{n}.xml").decode()
            for number, attrs in re.findall(r'<row r="(\d+)"([^>]*)>', xml):
                if (ws.title, int(number)) in answer_rows:
                    assert 'ht="' in attrs and "customHeight" not in attrs, (ws.title, number, attrs)
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=180, check=True)
    with zipfile.ZipFile(tmp_path / f"{path.stem}.ods") as archive:
        content = archive.read("content.xml").decode()
    optimal = set(re.findall(r'style:name="(ro\d+)"[^>]*><style:table-row-properties[^>]*'
                             r'style:use-optimal-row-height="true"', content))
    sheet = re.search(r'<table:table table:name="1 Person-centred".*?</table:table>', content, re.S).group(0)
    rows, number = [], 0
    for style, repeat in re.findall(r'<table:table-row table:style-name="(ro\d+)"(?: table:number-rows-repeated="(\d+)")?',
                                    sheet):
        for _ in range(int(repeat or 1)):
            number += 1
            rows.append((number, style))
    growing = {n for n, style in rows if style in optimal}
    wanted = {n for s, n in answer_rows if s == "1 Person-centred"}
    assert wanted and wanted <= growing, sorted(wanted - growing)[:5]


# -- the upstream behaviour behind writer.FormWorksheet, kept as a reproduction ---------------
def _row_tags(path: Path) -> dict[int, str]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    return {int(number): attrs for number, attrs in re.findall(r'<row r="(\d+)"([^>]*)>', xml)}


@pytest.mark.parametrize("constant_memory", [True, False])
def test_xlsxwriter_marks_every_stored_row_height_as_custom(tmp_path, constant_memory):
    """XlsxWriter 3.3 writes customHeight="1" with every height set_row stores, and has no option to
    store a height without it; Excel and LibreOffice then never grow the row as text is typed.
    No XlsxWriter issue asks for such an option (searched November 2026; #762 and #817 explain
    why Excel keeps a set height). If this test fails, XlsxWriter has changed and
    writer.FormWorksheet's override of the row's start tag may go."""
    import xlsxwriter

    path = tmp_path / "upstream.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet()
    ws.set_row(0, 45)
    ws.write_string(0, 0, "an answer")
    wb.close()
    assert 'ht="45"' in _row_tags(path)[1] and 'customHeight="1"' in _row_tags(path)[1]


@pytest.mark.parametrize("constant_memory", [True, False])
def test_form_worksheet_stores_a_growing_row_s_height_without_the_custom_mark(tmp_path, constant_memory):
    from sheetkit.xlsx.cells import write_text
    from sheetkit.workbook.writer import FormWorkbook

    path = tmp_path / "form.xlsx"
    wb = FormWorkbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet()
    ws.growing_rows = {0}
    for row in (0, 1):
        ws.set_row(row, 45)
        write_text(ws, row, 0, "an answer")
    wb.close()
    rows = _row_tags(path)
    assert 'ht="45"' in rows[1] and "customHeight" not in rows[1]  # grows as the respondent types
    assert 'ht="45"' in rows[2] and 'customHeight="1"' in rows[2]  # framework text: the height stays
