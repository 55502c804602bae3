"""The respondent's workbook as a person sees it: every answer beside its label, nothing cut,
the first answer on the first screen, and a workbook filled by reading its labels compiled exactly.

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

from conftest import BUNDLED, build, opened
from fill_by_label import fill_by_label, find_fields, text_of

from sheetkit.framework.model import RESPONSE_LEVELS
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.layout import SIGNOFF_FIELDS
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


def column_width(ws, col: int) -> float:
    """A column's width as stored: a file may give neighbouring columns of one width in one entry
    (<col min="3" max="4">), which openpyxl files under the first column's letter only."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43


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
    label_of.update({("action", f.id): f.label for f in fw.action_fields(follow_up=True)})
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
    ws = opened(path, read_only=True)["Responses"]
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
    wb = opened(built[framework_id])
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value or not cell.alignment.wrap_text:
                    continue
                if cell.value.startswith("="):
                    continue  # a formula shows its short result ("3 of 12"), not its text
                span = merged.get((cell.row, cell.column))
                columns = range(span.min_col, span.max_col + 1) if span else [cell.column]
                width = sum(column_width(ws, c) for c in columns)
                size = cell.font.sz or 11
                need = points_needed(cell.value, width, int(size))
                assert need <= MAX_ROW_POINTS, (ws.title, cell.coordinate, need)
                stored = ws.row_dimensions[cell.row].height or 15  # a row with no height of its own opens at 15
                assert stored >= min(need, MAX_ROW_POINTS) - 0.5, (ws.title, cell.coordinate, stored, need)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_answer_rows_have_room_for_several_lines(built, framework_id):
    wb = opened(built[framework_id])
    for f in _fields(built[framework_id]):
        row = int(re.sub(r"[A-Z]+", "", f.cell))
        height = wb[f.sheet].row_dimensions[row].height
        assert height is not None and height >= 30, (f.sheet, f.cell, height)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_the_first_answer_of_each_section_is_on_the_first_screen(built, framework_id):
    """What a rating rates comes first (tests/test_source_order.py), so the first thing to fill in
    must be in view without scrolling, unless only the first item's own wording stands before it
    (Wales's guidance on a standard is longer than a screen)."""
    wb = opened(built[framework_id])
    fields = _fields(built[framework_id])
    for ws in wb.worksheets[2:]:
        if ws.title in ("Action plan",) or ws.sheet_state != "visible":
            continue
        answers = [f for f in fields if f.sheet == ws.title]
        if not answers:
            continue
        first = min(answers, key=lambda f: (int(re.sub(r"[A-Z]+", "", f.cell)), f.cell))
        col = openpyxl.utils.column_index_from_string(re.sub(r"\d+", "", first.cell))
        pixels = sum(int(column_width(ws, c) * 7 + 5) for c in range(1, col + 1))
        assert pixels <= SCREEN_PIXELS, (ws.title, first.cell, pixels)
        first_row = int(re.sub(r"[A-Z]+", "", first.cell))
        top = sum(ws.row_dimensions[r].height or 15 for r in range(1, first_row))
        if top <= 560:  # about what a 768-pixel-high screen shows below the ribbon
            continue
        header = next(r for r in range(1, 10) if text_of(ws.cell(r, 1).value) == "Ref")
        above = sum(ws.row_dimensions[r].height or 15 for r in range(1, header + 1))
        item = text_of(ws.cell(header + 1, 1).value)
        refs = {text_of(ws.cell(r, 1).value) for r in range(header + 1, first_row)} - {""}
        assert above <= 200 and first.ref == item and all(r == item or r.startswith(item + ".") for r in refs), \
            (ws.title, first.cell, top, refs)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_no_column_stands_empty(built, framework_id):
    wb = opened(built[framework_id])
    for ws in wb.worksheets[2:]:
        header_row = next((r for r in range(1, 10) if text_of(ws.cell(r, 1).value) in ("Ref", "#")), None)
        if header_row is None:
            continue
        for col in range(1, ws.max_column + 1):
            values = [ws.cell(r, col) for r in range(header_row + 1, ws.max_row + 1)]
            used = any(text_of(c.value) for c in values) or any(c.protection.locked is False for c in values)
            assert used, (ws.title, ws.cell(header_row, col).value)


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_the_scale_sheet_shows_only_the_publishers_meanings(built, framework_id):
    """Each level's meaning is the scale's own description (the publisher's, or sheetkit's where the
    sheet says the scale is sheetkit's), blank where there is none; a scale with undescribed levels
    says so once, and the rating's dropdown prompt says the same."""
    fw = get_framework(framework_id)
    wb = opened(built[framework_id])
    rows = [[text_of(c.value) for c in row] for row in wb["Scale"].iter_rows()]
    texts = " ".join(" ".join(r) for r in rows)
    prompts = {dv.prompt for ws in wb.worksheets for dv in ws.data_validations.dataValidation if dv.prompt}
    for scale in fw.scales:
        for level in scale.levels:
            shown = next(r for r in rows if r and r[0] == level.choice)
            assert (shown[1] if len(shown) > 1 else "") == " ".join(level.description.split("\n")).strip() or \
                shown[1] == level.description, (level.choice, shown)
        unpublished = scale.unpublished(fw.source.title)
        if unpublished:
            assert texts.count(unpublished) == 1, unpublished
            assert any(unpublished in p for p in prompts), prompts
        if scale.origin == "sheetkit":
            assert "Added by sheetkit" in texts and any("sheetkit's" in p for p in prompts), prompts
    assert "A point between" not in texts and "point of the scale" not in texts


def test_lga_says_once_that_the_route_map_gives_no_meaning_for_its_levels(built):
    ws = opened(built["lga-cbo"])["Scale"]
    texts = [text_of(c.value) for row in ws.iter_rows() for c in row if text_of(c.value)]
    assert sum("gives no meaning for any level" in t for t in texts) == 1
    assert "What it means" not in texts  # no column of meanings the publisher never gave


def test_section_sheets_print_on_a4_landscape_at_a_legible_scale(built):
    for framework_id in BUNDLED:
        wb = opened(built[framework_id])
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
    wb = opened(built["swia-commissioning"])
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
    wb = opened(path)
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


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_the_action_plans_dropdown_tells_every_part_from_the_others(built, framework_id):
    """Each entry of 'Which part it addresses' (as the dropdown lists it) differs from the others in its
    words, not only in its number, and the column is wide enough to show it: LGA's twelve standards,
    which all begin 'Standard N: Good commissioning ...', once all read 'Standard 1: Good commissioning is...'."""
    fields = [f for f in find_fields(built[framework_id]) if f.sheet == "Action plan" and f.choices
              and f.column_header.startswith("Which part")]
    entries = fields[0].choices
    fw = get_framework(framework_id)
    same = {}  # a part whose whole wording is another's (Wales's standard and its one statement) is told by its number
    for _, item in fw.items():
        for st in item.statements:
            same[st.id] = item.id
    words = {}
    for entry in entries:
        ident, _, text = entry.partition(" ")
        assert text, entry
        words.setdefault(text, []).append(ident)
    for text, idents in words.items():
        assert len(idents) == 1 or len({same.get(i, i) for i in idents}) == 1, (text, idents)
    wb = opened(built[framework_id])
    col = re.sub(r"\d+", "", fields[0].cell)
    assert column_width(wb["Action plan"], openpyxl.utils.column_index_from_string(col)) >= 0.6 * max(map(len, entries))


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_every_printed_page_is_headed_by_what_its_sheet_holds(built, framework_id):
    """A section's pages carry its full title (its tab's short name alone would not say 'Domain 1:
    Person-centred and outcomes-focused'); the others their sheet's name; all the respondent's name."""
    wb = opened(built[framework_id])
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        expected = ws["A1"].value if ws.title not in ("Start", "Scale", "Action plan") else ws.title
        assert ws.oddHeader.left.text == expected, (ws.title, ws.oddHeader.left.text)
        assert ws.oddFooter.left.text == "Housing", ws.title
