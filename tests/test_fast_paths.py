"""Every shortcut the reader takes gives exactly what its full path gives.

The intact-sheet path (sheetkit/returns/intact.py) is checked against the search on sheets
changed at random, cell by cell, row by row and column by column; the notes found from their
marks against the notes of every cell; the sorted-run test against the way it was first written.
The whole test suite also runs with SHEETKIT_VERIFY_FAST_PATHS set (tests/conftest.py), so every
return any test reads, edited in LibreOffice or not, is read both ways; the fast tier alone does not,
except for this module's tests, which always read both ways.
"""

from __future__ import annotations

import functools
import os
import random
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetkit.framework.library import get_framework
from sheetkit.returns import cell_notes, extent, intact, locate
from sheetkit.returns.validate import _static
from sheetkit.workbook.plan import plan_workbook

FRAMEWORKS = ["lga-cbo", "tlap-market"]


@functools.lru_cache(maxsize=None)
def _sheets(framework_id: str, follow_up: bool):
    """A layout and its blank sheets as read back, made when a test first asks (not at collection)."""
    layout = plan_workbook(get_framework(framework_id), follow_up=follow_up)
    return layout, intact._blank_sheets(layout)


@pytest.fixture(autouse=True)
def verifying(monkeypatch):
    """This module's tests compare both paths in every run, the fast tier's included."""
    if not os.environ.get("SHEETKIT_VERIFY_FAST_PATHS"):
        monkeypatch.setenv("SHEETKIT_VERIFY_FAST_PATHS", "1")  # a difference is raised (no log file to write)


LAYOUTS = [(f, follow_up) for f in FRAMEWORKS for follow_up in (False, True)]


def _filled(layout, table, grid: dict, rng: random.Random) -> dict:
    """The blank sheet with answers typed in, some of them awkward (a header's text, a blank)."""
    grid = dict(grid)
    headers = [c.header for c in table.columns]
    positions = [(a.row, a.col) for a in table.answers]
    if locate.is_action_plan(table):
        positions = [(table.header_row + n, a.col) for n in range(1, 12) for a in table.rows[0].answers]
    for position in positions:
        roll = rng.random()
        if roll < 0.6:
            grid[position] = rng.choice(["Good", "7", 7, 3.0, "Owner A", "2027-01-01", "n/a", "Yes"])
        elif roll < 0.65:
            grid[position] = rng.choice(headers)
        elif roll < 0.7:
            grid[position] = "  "
    return grid


MUTATIONS = ["answer", "fact", "header_text_in_answer", "cell_anywhere", "delete_cell", "swap_rows",
             "insert_row", "swap_columns", "change_locked", "same_value_other_type", "below_plan"]


def _mutate(table, grid: dict, static, rng: random.Random, kind: str) -> dict:
    grid = dict(grid)
    cells = sorted(grid)
    last_row = max(r for r, _ in cells)
    width = len(table.columns) + 2
    headers = [c.header for c in table.columns]
    refs = [r.ref for r in table.rows if r.ref]
    if kind == "answer" and table.answers:
        a = rng.choice(table.answers)
        grid[(a.row, a.col)] = rng.choice(["x", 5, "", "High", None])
    elif kind == "fact" and static:
        grid[rng.choice(sorted(static))] = rng.choice(headers + ["Anytown", 4])
    elif kind == "header_text_in_answer" and table.answers:
        for a in rng.sample(table.answers, min(len(table.answers), 3)):
            grid[(a.row, a.col)] = rng.choice(headers)
    elif kind == "cell_anywhere":
        grid[(rng.randrange(last_row + 3), rng.randrange(width))] = rng.choice(headers + refs + ["note", 1, 2.0])
    elif kind == "delete_cell" and cells:
        grid.pop(rng.choice(cells))
    elif kind == "swap_rows":
        a, b = rng.randrange(last_row + 1), rng.randrange(last_row + 1)
        row_a = {c: v for (r, c), v in grid.items() if r == a}
        row_b = {c: v for (r, c), v in grid.items() if r == b}
        grid = {p: v for p, v in grid.items() if p[0] not in (a, b)}
        grid.update({(b, c): v for c, v in row_a.items()})
        grid.update({(a, c): v for c, v in row_b.items()})
    elif kind == "insert_row":
        at = rng.randrange(last_row + 1)
        grid = {((r + 1 if r >= at else r), c): v for (r, c), v in grid.items()}
    elif kind == "swap_columns":
        a, b = rng.randrange(width), rng.randrange(width)
        grid = {(r, b if c == a else a if c == b else c): v for (r, c), v in grid.items()}
    elif kind == "change_locked" and cells:
        position = rng.choice(cells)
        value = grid[position]
        grid[position] = (value + " ") if isinstance(value, str) else "x"
    elif kind == "same_value_other_type" and cells:
        position = rng.choice(cells)
        value = grid[position]
        grid[position] = float(value) if isinstance(value, int) and not isinstance(value, bool) else \
            -0.0 if value == 0 else str(value)
    elif kind == "below_plan" and locate.is_action_plan(table):
        answer = rng.choice(table.rows[0].answers)
        grid[(last_row + rng.randrange(1, 4), answer.col)] = rng.choice(["More", 3, headers[0]])
    return grid


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LAYOUTS), st.integers(0, 50), st.integers(0, 2**32 - 1),
       st.lists(st.sampled_from(MUTATIONS), min_size=0, max_size=3))
def test_an_intact_sheet_is_given_what_the_search_finds(which, table_number, seed, mutations):
    layout, sheets = _sheets(*which)
    table, blank = sheets[table_number % len(sheets)]
    rng = random.Random(seed)
    texts = [t for t in layout.texts if t.sheet == table.name]
    static = _static(layout, table)
    reference_grid = _filled(layout, table, blank, rng)
    reference = intact.learn(table, reference_grid, static, locate.locate_shape(table, reference_grid, texts, static))
    assert reference is not None, f"a freshly built {table.name} sheet can serve as a reference"
    grid = _filled(layout, table, blank, rng)
    for kind in mutations:
        grid = _mutate(table, grid, static, rng, kind)
    fast = intact.intact_shape(reference, grid)
    if fast is not None:
        assert fast == locate.locate_shape(table, grid, texts, static)


def test_a_moved_row_or_column_is_searched_for():
    """The shortcut says 'not sure' for the edits people make; only answers and facts may differ."""
    layout, sheets = _sheets("lga-cbo", False)
    table, blank = sheets[1]
    texts = [t for t in layout.texts if t.sheet == table.name]
    static = _static(layout, table)
    reference = intact.learn(table, blank, static, locate.locate_shape(table, blank, texts, static))
    assert intact.intact_shape(reference, blank) is not None
    rng = random.Random(4)
    for kind in ("swap_rows", "insert_row", "swap_columns", "change_locked", "cell_anywhere"):
        changed = _mutate(table, blank, static, rng, kind)
        while changed == blank:
            changed = _mutate(table, blank, static, rng, kind)
        assert intact.intact_shape(reference, changed) is None, kind


def test_verifying_mode_catches_a_wrong_shortcut(monkeypatch, tmp_path):
    """SHEETKIT_VERIFY_FAST_PATHS makes a shortcut that gives anything else an error, logged for the run."""
    layout, sheets = _sheets("lga-cbo", False)
    table, blank = sheets[1]
    texts = [t for t in layout.texts if t.sheet == table.name]
    static = _static(layout, table)
    log = tmp_path / "differences.log"
    monkeypatch.setenv("SHEETKIT_VERIFY_FAST_PATHS", str(log))
    sheets_seen = intact.IntactSheets()
    sheets_seen.shape(table, blank, texts, static)  # learnt
    wrong = locate.Located(header_row=table.header_row)
    monkeypatch.setattr(intact, "intact_shape", lambda reference, grid: wrong)
    with pytest.raises(AssertionError, match="differs from the search"):
        sheets_seen.shape(table, blank, texts, static)
    assert "differs from the search" in log.read_text(encoding="utf-8")


def _sorted_run_as_first_written(values: list) -> tuple[int, int] | None:
    texts = [v.strip() if isinstance(v, str) and v.strip()[:1].isalpha() else None for v in values]

    def in_order(a, b, order):
        if a is None or b is None:
            return False
        return a.casefold() < b.casefold() if order > 0 else a.casefold() > b.casefold()

    for order in (1, -1):
        start = 0
        for end in range(1, len(texts) + 1):
            if end < len(texts) and in_order(texts[end - 1], texts[end], order):
                continue
            if end - start >= locate.SORTED_RUN and not locate._enumerated(texts[start:end]) \
                    and not locate._numbered(texts[start:end]):
                return start, end
            start = end
    return None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 9), st.sampled_from(["", " ", "Alpha", "alpha", "Beta", "gamma",
                                                                         "Delta", "Action 1", "Action 2", "Action 10",
                                                                         "zeta", "Ärger", "eta", "Theta", "1st"]),
                          st.text(alphabet="abcAB ", min_size=1, max_size=4)), max_size=40))
def test_the_sorted_run_is_found_as_before(values):
    assert locate._sorted_text_run(values) == _sorted_run_as_first_written(values)


CELLS = st.sampled_from([
    b'<c r="A1" t="e"><v>#N/A</v></c>', b'<c r="B2"><f>1/0</f></c>', b'<c r="C3" s="1"/>',
    b'<c r="D4" s="2"><f t="shared" si="0"/></c>', b'<c r="E5"><f>A1</f><v>3</v></c>',
    b'<c r="F6" t="inlineStr"><is><t>&lt;f&gt; t="e"</t></is></c>', b'<c\tr="G7"\nt="e"><v>#REF!</v></c>',
    b'<c r="H8" t="str"><f>CONCAT("a")</f><v></v></c>', b'<c r="I9"><v>1</v></c>', b'<c r="J10" t="e"/>',
    b'<c r="K11" t="s"><v>0</v></c>', b'<c r="Z1"><f/></c>',
])
AROUND = st.sampled_from([b"", b'<row r="1">', b"</row>", b'<dataValidation><formula1>"a,b"</formula1></dataValidation>',
                          b"<conditionalFormatting><cfRule><formula>A1&gt;0</formula></cfRule></conditionalFormatting>",
                          b'<cols><col min="1" max="2"/></cols>'])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(CELLS, AROUND), max_size=25))
def test_notes_from_their_marks_are_the_notes_of_every_cell(pieces):
    data = b"<worksheet><sheetData>" + b"".join(pieces) + b"</sheetData></worksheet>"
    assert cell_notes._formula_notes(data) == cell_notes._every_cell_noted(data)


@pytest.mark.slow  # the fast tier alone does not read twice (tests/conftest.py)
def test_the_suite_verifies_every_fast_path():
    assert os.environ.get("SHEETKIT_VERIFY_FAST_PATHS"), "tests/conftest.py should set SHEETKIT_VERIFY_FAST_PATHS"


# Returns holding what is not a cell value (tests/test_parts.py makes them as other programs save them):
# the checks of those run after the shape is found, on both paths alike.
ODD_CELLS = ["merged over answers", "text box", "risky formula", "link", "long text", "locked cell typed over"]


def _odd_return(kind: str, tmp_path):
    from conftest import build, fill
    from test_parts import DRAWING_REL, _drawn, inline, merge, patch, set_cell

    from sheetkit.common.text import cell_name
    from sheetkit.returns.cell_notes import sheet_parts

    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    layout = plan_workbook(get_framework("lga-cbo"))
    evidence = [a for a in layout.answers if a.field.level == "statement" and a.field.type == "text"]
    first, second = evidence[0], evidence[1]
    filled = fill(built, tmp_path / "filled.xlsx", {second.key: "second's own"})
    with zipfile.ZipFile(filled) as archive:
        part = sheet_parts(archive, set(archive.namelist()))[first.sheet]
    table = next(t for t in layout.tables if t.name == first.sheet)
    title = cell_name(*min(_static(layout, table)))  # a locked fact above the table
    changes = {
        "merged over answers": lambda xml: merge(set_cell(xml, first.cell, inline("joined text")),
                                                 f"{first.cell}:{second.cell}"),
        "risky formula": lambda xml: set_cell(xml, first.cell, '<f>HYPERLINK("http://x.example","See")</f><v>See</v>',
                                              kind="str"),
        "long text": lambda xml: set_cell(xml, first.cell, inline("x" * 40_000)),
        "locked cell typed over": lambda xml: set_cell(xml, title, inline("Typed over the title")),
        "link": lambda xml: xml.replace("</sheetData>", '</sheetData><hyperlinks><hyperlink ref="%s" r:id="rId7"/>'
                                        '</hyperlinks>' % first.cell, 1),
    }
    if kind == "text box":
        return patch(filled, tmp_path / "odd.xlsx", add=_drawn(part)), layout
    add = None
    if kind == "link":
        name = part.rsplit("/", 1)[-1]
        add = {f"xl/worksheets/_rels/{name}.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId7" Type="%s" Target="http://x.example/" TargetMode="External"/>'
            '</Relationships>' % DRAWING_REL.replace("drawing", "hyperlink"))}
    return patch(filled, tmp_path / "odd.xlsx", first.sheet, changes[kind], add=add), layout


@pytest.mark.parametrize("kind", ODD_CELLS)
def test_a_return_with_odd_cells_reads_the_same_given_its_shape_as_searched(kind, tmp_path):
    """The intact-sheet path is taken on such a return, and every finding the full path makes is made."""
    from sheetkit.returns.check import check_return
    from sheetkit.returns.reader import read_return

    path, layout = _odd_return(kind, tmp_path)
    given = intact.INTACT_SHEETS.given
    fast = check_return(read_return(str(path)), layout.framework)  # (verifying mode compares both readings too)
    assert intact.INTACT_SHEETS.given > given, "no sheet was given its shape"
    with intact.INTACT_SHEETS.searched():
        full = check_return(read_return(str(path)), layout.framework)
    assert [(a.key, a.sheet, a.cell, a.text, a.usable) for a in fast.answers] == \
        [(a.key, a.sheet, a.cell, a.text, a.usable) for a in full.answers]
    assert fast.findings == full.findings
    expected = {"merged over answers": "cells-merged", "text box": "drawing-found", "risky formula": "formula-unsafe",
                "link": "cell-link", "long text": "text-too-long", "locked cell typed over": "locked-cell-changed"}
    assert expected[kind] in {f.code for f in fast.findings}


def test_verifying_mode_compares_whole_readings(monkeypatch, tmp_path):
    """A shortcut whose shape passes but whose reading differs (here: a step run on one path only) is caught."""
    from sheetkit.returns import validate
    from sheetkit.returns.check import check_return
    from sheetkit.returns.reader import read_return

    path, layout = _odd_return("long text", tmp_path)
    log = tmp_path / "differences.log"
    monkeypatch.setenv("SHEETKIT_VERIFY_FAST_PATHS", str(log))
    real = validate.report_lengths
    monkeypatch.setattr(validate, "report_lengths",
                        lambda checked: None if intact.INTACT_SHEETS._search_only else real(checked))
    check_return(read_return(str(path)), layout.framework)
    assert "the reading of" in log.read_text(encoding="utf-8")


def _quick_extent_as_first_written(data: bytes):
    """The quick extent as first written: every <row> and <c> counted, and those with a plain r="..." counted."""
    import re

    rows = re.findall(rb'<row\s[^>]*?\br="(\d+)"', data)
    cells = re.findall(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?(/?)>', data)
    if len(rows) + len(cells) != len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)[\s/>]", data)):
        return None
    full = [(letters, int(number)) for letters, number, closed in cells if not closed]
    last_row = max((number for _, number in full), default=0)
    widest = max((letters for letters, _ in full), key=lambda letters: (len(letters), letters), default=b"")
    return last_row, extent.col_number(widest.decode()) if widest else 0


EXTENT_PIECES = st.sampled_from([
    b'<row r="3">', b'<row r="12" spans="1:4">', b'<row>', b'<row\tr="7"/>', b"</row>", b'<x:row r="2">',
    b'<c r="A1"><v>1</v></c>', b'<c r="AB40" s="1"/>', b'<c s="2" r="D9" t="inlineStr"><is><t>x</t></is></c>',
    b'<c r="C3"></c>', b'<c><v>2</v></c>', b'<c/>', b'<c r="ZZ7" t="s"><v>0</v></c>', b'<x:c r="B2"><v>3</v></x:c>',
    b'<c\nr="E5"\n/>', b'<c r="F6" x-r="ZZZ1"><v>1</v></c>', b'<cols><col min="1" max="30"/></cols>',
    b'<dataValidation sqref="A1:A9"><formula1>"a,b"</formula1></dataValidation>', b'<c r="a1"><v>1</v></c>',
    b'<c r="G20001"><v>1</v></c>', b"<t>Note:c and a :row </t>",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(EXTENT_PIECES, max_size=25))
def test_the_quick_extent_is_found_as_before_and_as_walked(pieces):
    """Where the quick extent answers, it answers as first written; where it declines (text that looks like
    a prefixed element, say), the walk gives what the first version did. Both agree with the walk."""
    data = b"<worksheet><sheetData>" + b"".join(pieces) + b"</sheetData></worksheet>"
    quick, before = extent._quick_extent(data), _quick_extent_as_first_written(data)
    walked = extent._walked_extent(data, 20_000, 200)
    assert quick is None or quick == before
    within = (quick or before or walked)[0] <= 20_000 and (quick or before or walked)[1] <= 200
    if within and b"x-r=" not in data:  # the walk reads r="..." only after a space
        assert extent.content_extent(data, 20_000, 200) == walked == (before or walked)
