"""Nothing sheetkit writes can hurt its user: text stays text, inputs are never written to,
and an output is either written whole or not at all."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter

from conftest import build
from test_libreoffice import _soffice, _uno_missing, lo_fill
from sheetkit.cells import TextWorkbook, _kept_inline, cell_xml, format_escape, plain_text, printable_name, write_text
from sheetkit.ingest import IngestOptions, ingest_returns
from sheetkit.layout import column_letters, plan_workbook
from sheetkit.library import get_framework

INJECTED_LINK = ('<r><t>x</t></r></is></c><c r="A1" t="str"><f>HYPERLINK("http://evil.example","Open")</f>'
                 '<v>Open</v></c><c r="B1" t="inlineStr"><is><r><t>y</t></r>')
# The texts XlsxWriter would copy into the sheet as XML, and the texts the format must escape.
HOSTILE = [
    INJECTED_LINK,
    "<r>Spend < budget</r>",
    "<r><t>Looks like rich text</t></r>",
    "Ref _x0041_",
    "Tab\there, line\r\nbreak, bell\x07, <b>bold?</b> & _x005F_x0041_ end ",
]


# -- the upstream behaviour, kept as a reproduction ------------------------------------------
@pytest.mark.parametrize("constant_memory", [True, False])
def test_xlsxwriter_writes_text_shaped_like_rich_text_as_xml(tmp_path, constant_memory):
    """XlsxWriter copies a string starting <r> and ending </r> into the file unescaped.

    worksheet._write_cell (constant memory) and sharedstrings._write_si take such a string for a
    rich string it made itself. If this test starts failing, XlsxWriter has changed and
    cells.TextWorksheet may be simplified.
    """
    path = tmp_path / "upstream.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    wb.add_worksheet().write_string(0, 0, "<r>Spend < budget</r>")
    wb.close()
    part = "xl/worksheets/sheet1.xml" if constant_memory else "xl/sharedStrings.xml"
    with zipfile.ZipFile(path) as z, pytest.raises(ET.ParseError):
        ET.fromstring(z.read(part))


@pytest.mark.parametrize("constant_memory", [True, False])
def test_text_workbook_writes_every_text_as_plain_text(tmp_path, constant_memory):
    path = tmp_path / "plain.xlsx"
    wb = TextWorkbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet()
    for row, text in enumerate(HOSTILE + ["=1+1", "http://example.org"]):
        write_text(ws, row, 0, text)
    with pytest.raises(TypeError):
        ws.write_rich_string(0, 1, "a", wb.add_format({"bold": True}), "b")
    wb.close()
    _assert_well_formed(path)
    assert _calamine_column(path) == HOSTILE + ["=1+1", "http://example.org"]
    ws = openpyxl.load_workbook(path).active
    for cell, text in zip(ws["A"], HOSTILE + ["=1+1", "http://example.org"]):
        assert cell.value == _openpyxl_reads(text, inline=constant_memory or _kept_inline(text))
    assert all(c.data_type == "s" for c in ws["A"]) and not ws._hyperlinks


def test_write_text_needs_a_text_workbook(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    with pytest.raises(TypeError):
        write_text(wb.add_worksheet(), 0, 0, "text")
    wb.close()


def test_cell_xml_escapes_as_the_format_requires():
    assert cell_xml("Ref _x0041_") == "Ref _x005F_x0041_"
    assert cell_xml("_x005F_x0041_") == "_x005F_x005F_x005F_x0041_"
    assert cell_xml("a\rb\x01<&>") == "a_x000D_b_x0001_&lt;&amp;&gt;"
    assert cell_xml("tab\tnew\nline") == "tab\tnew\nline"


def test_only_characters_xml_cannot_hold_are_replaced_and_said():
    assert plain_text("caf\udce9 \x01 _x0041_") == ("caf\\xe9 \x01 _x0041_", True)
    assert plain_text("café") == ("café", False)
    assert printable_name("caf\udce9\n.xlsx") == "caf\\xe9\\x0a.xlsx"


# -- end to end: every kind of answer, through the consolidated workbook ---------------------
def _keys_by_kind(framework_id: str) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for cell in plan_workbook(get_framework(framework_id)).answers:
        if cell.field.type in ("text", "person"):
            kinds.setdefault(f"{cell.key.split('/')[0]} {cell.field.id}", []).append(cell.key)
    return kinds


@pytest.fixture(scope="module")
def hostile_exercise(tmp_path_factory):
    """Returns filled in LibreOffice whose respondents' names and every kind of text answer are hostile."""
    soffice = _soffice()
    if soffice is None or _uno_missing():
        pytest.skip(f"LibreOffice driven through UNO is needed to fill returns: {_uno_missing() or 'no soffice'}")
    root = tmp_path_factory.mktemp("hostile")
    names = ("<r>Spend < budget</r>", "Ref _x0041_", INJECTED_LINK)
    built = build("lga-cbo", root / "built", names=names)
    cells = {cell.key: cell for cell in plan_workbook(get_framework("lga-cbo")).answers}
    kinds = _keys_by_kind("lga-cbo")
    returns = root / "returns"
    returns.mkdir()
    typed = {}
    for n, path in enumerate(built):
        answers = {keys[0]: HOSTILE[(n + k) % len(HOSTILE)] for k, keys in enumerate(kinds.values())}
        plan = [{"sheet": cells[key].sheet, "cell": f"{column_letters(cells[key].col)}{cells[key].row + 1}",
                 "text": text, "how": "paste"} for key, text in dict(answers, **{"item/1/rating": "4"}).items()]
        lo_fill(soffice, path, {"locale": "en-GB", "cells": plan}, root / f"filled{n}")
        shutil.copy(root / f"filled{n}.xlsx", returns / path.name)
        typed[names[n]] = stored = _stored_text(returns / path.name, {key: cells[key] for key in answers})
        # LibreOffice keeps these exactly; it stores a typed CR LF as LF, and "_x005F_x0041_" ambiguously.
        assert {k: v for k, v in stored.items() if answers[k] in HOSTILE[:4]} == \
               {k: v for k, v in answers.items() if v in HOSTILE[:4]}
    out = root / "consolidated.xlsx"
    report = ingest_returns([str(returns)], IngestOptions(out=out, csv=root / "responses.csv"))
    assert report.out == out, report.render()
    return out, typed, sorted(kinds)


def _stored_text(path: Path, cells: dict) -> dict[str, str]:
    """The text of each answer cell as the return holds it (read as sheetkit reads: with calamine)."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    grids = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    return {key: grids[cell.sheet][cell.row][cell.col] for key, cell in cells.items()}


def _assert_well_formed(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(z.read(name))  # raises on malformed XML


def _calamine_column(path: Path) -> list:
    return [row[0] for row in python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()]


def _calamine_cells(path: Path) -> dict[str, list[list]]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _openpyxl_reads(text: str, inline: bool) -> str:
    """What openpyxl reads for `text` written as the format requires.

    openpyxl does not decode the format's _xHHHH_ escapes in inline strings at all, and in
    shared strings only drops "x005F_"; Excel, LibreOffice and calamine decode both.
    """
    stored = format_escape(text)
    return stored if inline else stored.replace("x005F_", "")


def _openpyxl_cells(path: Path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        # The only links are the Contents sheet's, each to a sheet of this workbook (openpyxl keeps a
        # loaded sheet's links on its cells, not in ws._hyperlinks).
        links = [c.hyperlink for row in ws.iter_rows() for c in row if c.hyperlink]
        assert all(link.target is None and link.location for link in links), ws.title
        assert not links or ws.title == "Contents", ws.title
        rows = []
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
            rows.append([cell.value for cell in row])
        sheets[ws.title] = rows
    return sheets


def _libreoffice_cells(path: Path, work: Path) -> dict[str, list[list]]:
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed")
    work.mkdir()
    # Separator ",", quote '"', UTF-8, all sheets (-1), one CSV per sheet.
    filter_ = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run([soffice, f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
                    "--convert-to", filter_, "--outdir", str(work), str(path)],
                   check=True, capture_output=True, timeout=300)
    sheets = {}
    for csv_file in work.glob(f"{path.stem}-*.csv"):
        with open(csv_file, newline="", encoding="utf-8") as handle:
            sheets[csv_file.stem[len(path.stem) + 1:]] = list(csv.reader(handle))
    assert sheets, "LibreOffice wrote no CSV"
    return sheets


@pytest.mark.parametrize("reader", ["calamine", "openpyxl", "libreoffice"])
def test_hostile_text_reads_back_exactly_from_the_consolidated_workbook(hostile_exercise, reader, tmp_path):
    out, typed, kinds = hostile_exercise
    _assert_well_formed(out)
    sheets = {"calamine": _calamine_cells, "openpyxl": _openpyxl_cells,
              "libreoffice": lambda p: _libreoffice_cells(p, tmp_path / "lo")}[reader](out)
    expected = {"calamine": lambda v: v, "openpyxl": lambda v: _openpyxl_reads(v, inline=True),
                "libreoffice": lambda v: v.replace("\r\n", "\n")}[reader]  # LibreOffice's CSV: LF in cells
    shown = {name: {v for row in rows for v in row} for name, rows in sheets.items()}
    everything = set().union(*shown.values())
    assert not {"Open", "y"} & everything  # no cell was planted
    responses = {(row[0], row[5]) for row in sheets["Responses"][1:]}
    elsewhere = set().union(*(v for name, v in shown.items() if name != "Responses"))
    for person, answers in typed.items():
        # Dashboard and Returns are written through shared strings, the long tables as inline strings.
        shared = _openpyxl_reads(person, inline=False) if reader == "openpyxl" else expected(person)
        assert shared in shown["Dashboard"] and shared in shown["Returns"], person
        for key, text in answers.items():
            assert (expected(person), expected(text)) in responses, (person, key, text)
            if not key.startswith("framework/"):  # the one framework-wide answer is in Responses only
                assert expected(text) in elsewhere, (person, key, text)
    assert len(kinds) >= 8  # every kind of text answer of the framework was typed
