"""Nothing sheetkit writes can hurt its user: text stays text, inputs are never written to,
and an output is either written whole or not at all."""

from __future__ import annotations

import builtins
import csv
import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from click.testing import CliRunner

from conftest import build, fill, libreoffice_or_skip, random_answers
from sheetkit.xlsx.cells import TextWorkbook, _kept_inline, cell_xml, format_escape, plain_text, write_text
from sheetkit.common.text import printable_text
from sheetkit.cli import EXIT_CODES, cli
from sheetkit.common.errors import SheetkitError
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.text import column_letters
from sheetkit.framework.library import get_framework
from test_libreoffice import lo_fill

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
    rich string it made itself (XlsxWriter 3.3.1). No XlsxWriter issue reported this when it was
    found here (November 2026); its write_rich_string issues (#425, #475) are about real rich
    strings. If this test starts failing, XlsxWriter has changed and cells.TextWorksheet may be
    simplified.
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
    with pytest.raises(TypeError, match="sheetkit writes no rich text"):
        ws.write_rich_string(0, 1, "a", wb.add_format({"bold": True}), "b")
    wb.close()
    _assert_well_formed(path)
    assert _calamine_column(path) == HOSTILE + ["=1+1", "http://example.org"]
    ws = openpyxl.load_workbook(path).active
    for cell, text in zip(ws["A"], HOSTILE + ["=1+1", "http://example.org"]):
        assert cell.value == _openpyxl_reads(text, inline=constant_memory or _kept_inline(text))
    assert all(c.data_type == "s" for c in ws["A"]) and not ws._hyperlinks


def test_every_writer_puts_text_in_cells_through_write_text():
    """No module writes a cell's text another way, or opens a workbook that is not a TextWorkbook."""
    package = Path(__file__).resolve().parents[1] / "sheetkit"
    other_ways = re.compile(r"\.write_string\(|\.write_rich_string\(|\bws\.write\(|xlsxwriter\.Workbook\(|"
                            r"openpyxl\.Workbook\(")
    modules = [path for path in sorted(package.rglob("*.py")) if path.name != "cells.py"]
    found = [f"{path.relative_to(package)}:{n}: {line.strip()}" for path in modules
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if other_ways.search(line)]
    assert not found, found


def test_write_text_needs_a_text_workbook(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    with pytest.raises(TypeError, match="write_text needs a sheet of a cells.TextWorkbook"):
        write_text(wb.add_worksheet(), 0, 0, "text")
    wb.close()


def test_cell_xml_escapes_as_the_format_requires():
    """Every underscore that starts a literal _xHHHH_ is escaped, overlapping ones too (XlsxWriter
    escapes only the first of "_x005F_x0041_", which then reads back as "_x005FA"; compare
    rust_xlsxwriter issue #166 on the same escape)."""
    assert cell_xml("Ref _x0041_") == "Ref _x005F_x0041_"
    assert cell_xml("_x005F_x0041_") == "_x005F_x005F_x005F_x0041_"
    assert cell_xml("a\rb\x01<&>") == "a_x000D_b_x0001_&lt;&amp;&gt;"
    assert cell_xml("tab\tnew\nline") == "tab\tnew\nline"


def test_only_characters_xml_cannot_hold_are_replaced_and_said():
    assert plain_text("caf\udce9 \x01 _x0041_") == ("caf\\xe9 \x01 _x0041_", True)
    assert plain_text("café") == ("café", False)
    assert printable_text("caf\udce9\x1b[31m\tx\n") == "caf\\xe9\\x1b[31m\tx\n"


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
    soffice = libreoffice_or_skip()  # LibreOffice, driven through UNO, fills the returns
    root = tmp_path_factory.mktemp("hostile")
    names = ("<r>Spend < budget</r>", "Ref _x0041_", INJECTED_LINK)
    built = build("lga-cbo", root / "built", names=names)
    for path in built:
        _assert_well_formed(path)
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
        assert not links or ws.title == "Contents" or [link.location for link in links] == ["'Action plan'!A1"], \
            ws.title  # the Contents sheet's links, and the Dashboard's to the whole plan
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


@pytest.mark.libreoffice
@pytest.mark.parametrize("reader", ["calamine", "openpyxl", "libreoffice"])
def test_hostile_text_reads_back_exactly_from_the_consolidated_workbook(hostile_exercise, reader, tmp_path):
    out, typed, kinds = hostile_exercise
    _assert_well_formed(out)
    with zipfile.ZipFile(out) as z:
        names = [e.get("name") for e in ET.fromstring(z.read("xl/workbook.xml")).iter() if e.tag.endswith("}sheet")]
        for n, sheet_name in enumerate(names, start=1):
            elements = list(ET.fromstring(z.read(f"xl/worksheets/sheet{n}.xml")).iter())
            tags = {element.tag.rsplit("}", 1)[-1] for element in elements}
            assert not tags & {"f", "r", "rPr"}, (sheet_name, tags)  # no formula or rich text
            links = [e for e in elements if e.tag.endswith("}hyperlink")]
            # No link, except the Contents sheet's links to the workbook's own sheets and the Dashboard's to
            # the Action plan (no target outside the workbook).
            assert not links or sheet_name == "Contents" or (
                sheet_name == "Dashboard" and [e.get("location") for e in links] == ["'Action plan'!A1"]), sheet_name
            assert all(e.get("location") and not any(k.endswith("}id") for k in e.attrib) for e in links)
    sheets = {"calamine": _calamine_cells, "openpyxl": _openpyxl_cells,
              "libreoffice": lambda p: _libreoffice_cells(p, tmp_path / "lo")}[reader](out)
    readings = {  # what each reader shows for a text (openpyxl: as stored inline, or in shared strings)
        "calamine": lambda v: {v},
        "openpyxl": lambda v: {_openpyxl_reads(v, inline=True), _openpyxl_reads(v, inline=False)},
        "libreoffice": lambda v: {v.replace("\r\n", "\n")},  # LibreOffice's CSV: LF in cells
    }[reader]
    shown = {name: {v for row in rows for v in row} for name, rows in sheets.items()}
    everything = set().union(*shown.values())
    assert not {"Open", "y"} & everything  # no cell was planted
    # The Responses table's header is below the sheet's title and note.
    at = next(n for n, row in enumerate(sheets["Responses"]) if "respondent" in row and "value" in row)
    header = sheets["Responses"][at]
    who, value = header.index("respondent"), header.index("value")
    responses = {(row[who], row[value]) for row in sheets["Responses"][at + 1:]}
    elsewhere = set().union(*(v for name, v in shown.items() if name != "Responses"))
    for person, answers in typed.items():
        assert readings(person) & elsewhere, person
        assert readings(person) & shown["Dashboard"] and readings(person) & shown["Returns"], person
        for key, text in answers.items():
            assert {(p, t) for p in readings(person) for t in readings(text)} & responses, (person, key, text)
            if not key.startswith("framework/"):  # the one framework-wide answer is in Responses only
                assert readings(text) & elsewhere, (person, key, text)
    assert len(kinds) >= 8  # every kind of text answer of the framework was typed


# -- no input is ever written to ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_exercise(tmp_path_factory):
    """Two filled returns in a folder, with the build manifest and a framework folder beside them."""
    root = tmp_path_factory.mktemp("small")
    built = build("tlap-market", root / "built", names=("Housing", "Health"))
    returns = root / "returns"
    (returns / "late").mkdir(parents=True)
    fill(built[0], returns / built[0].name, random_answers("tlap-market", seed=1))
    fill(built[1], returns / "late" / built[1].name, random_answers("tlap-market", seed=2))
    (root / "frameworks").mkdir()
    return root


def _fingerprint(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _left(folder: Path) -> list[str]:
    """What is in `folder` besides the re-ingest cache (kept by design: it holds no output)."""
    return sorted(p.name for p in folder.iterdir() if not (p.is_dir() and p.name.endswith(".xlsx.cache")))


def _run(args: list[str]):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _ingest_args(root: Path, out, csv_path=None, *extra) -> list:
    args = ["--frameworks-dir", root / "frameworks", "ingest", root / "returns", "--manifest",
            root / "built" / "manifest.csv", "--out", out]
    return args + (["--csv", csv_path] if csv_path else []) + list(extra)


def _a_return(root: Path) -> Path:
    return next((root / "returns").glob("*.xlsx"))


@pytest.mark.parametrize("aim", ["out at a return", "csv at a return in a subfolder", "out new inside the folder",
                                 "csv at the manifest", "out and csv the same", "out through a symbolic link",
                                 "out through a hard link", "csv inside the frameworks folder",
                                 "out at a return given as a file", "feedback inside the returns folder"])
def test_outputs_aimed_at_inputs_are_refused(small_exercise, tmp_path, aim):
    root = small_exercise
    ret, late = _a_return(root), next((root / "returns" / "late").glob("*.xlsx"))
    elsewhere = tmp_path / "consolidated.xlsx"
    args = {
        "out at a return": _ingest_args(root, ret),
        "csv at a return in a subfolder": _ingest_args(root, elsewhere, late),
        "out new inside the folder": _ingest_args(root, root / "returns" / "consolidated.xlsx"),
        "csv at the manifest": _ingest_args(root, elsewhere, root / "built" / "manifest.csv"),
        "out and csv the same": _ingest_args(root, elsewhere, tmp_path / "." / "consolidated.xlsx"),
        "csv inside the frameworks folder": _ingest_args(root, elsewhere, root / "frameworks" / "r.csv"),
        "feedback inside the returns folder": _ingest_args(root, elsewhere, None, "--feedback", root / "returns" / "fb"),
    }.get(aim)
    if aim == "out through a symbolic link":
        if sys.platform == "win32":
            pytest.skip("making symbolic links needs an administrator on Windows")
        (tmp_path / "link.xlsx").symlink_to(ret)
        args = _ingest_args(root, tmp_path / "link.xlsx")
    elif aim == "out through a hard link":
        os.link(ret, tmp_path / "hard.xlsx")
        args = _ingest_args(root, tmp_path / "hard.xlsx")
    elif aim == "out at a return given as a file":
        args = ["ingest", ret, "--out", ret.parent / "late" / ".." / ret.name]
    before = _fingerprint(root)
    result = _run(args)
    assert result.exit_code == 2, result.output
    assert "Error: --" in result.output and "Nothing was written, and no input was changed." in result.output
    assert "Internal error" not in result.output
    assert _fingerprint(root) == before
    assert not elsewhere.exists()


def test_outputs_beside_the_returns_folder_are_written(small_exercise, tmp_path):
    root = small_exercise
    before = _fingerprint(root / "returns")
    result = _run(_ingest_args(root, tmp_path / "c.xlsx", tmp_path / "c.csv"))
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "c.xlsx").exists() and (tmp_path / "c.csv").exists()
    assert _fingerprint(root / "returns") == before
    assert _left(tmp_path) == ["c.csv", "c.xlsx"]  # no temporary file is left


# -- outputs are all or nothing -------------------------------------------------------------
def _locked(path_to_lock: Path):
    """os.replace as it fails on Windows when Excel holds the file open: it can be neither moved nor replaced."""
    real = os.replace

    def replace(src, dst):
        if path_to_lock in (Path(src), Path(dst)):
            raise PermissionError(errno.EACCES, "The process cannot access the file because it is being used by "
                                                "another process", str(src), None, str(dst))
        return real(src, dst)
    return replace


def test_an_output_locked_by_excel_is_reported_and_left_as_it_was(small_exercise, tmp_path, monkeypatch):
    out = tmp_path / "consolidated.xlsx"
    out.write_bytes(b"last week's workbook")
    monkeypatch.setattr(os, "replace", _locked(out))
    result = _run(_ingest_args(small_exercise, out, tmp_path / "r.csv"))
    assert result.exit_code == 4, result.output
    assert f"cannot write the consolidated workbook {out}: it is open in another program" in result.output
    assert "Close it in Excel" in result.output and "run again" in result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    assert out.read_bytes() == b"last week's workbook"
    assert _left(tmp_path) == ["consolidated.xlsx"]  # the CSV is not half the result


def test_a_read_only_output_is_reported_before_the_returns_are_read(small_exercise, tmp_path, monkeypatch):
    out = tmp_path / "consolidated.xlsx"
    out.write_bytes(b"kept")
    real_open = open

    def read_only(path, mode="r", *args, **kwargs):
        if Path(path) == out and mode != "rb":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only)
    cache = tmp_path / "cache"  # a return read is kept here: nothing kept, nothing read
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(cache))
    result = _run(_ingest_args(small_exercise, out))
    assert result.exit_code == 4, result.output
    assert "open in another program (such as Excel) or read-only" in result.output
    assert out.read_bytes() == b"kept"
    assert not cache.exists() or not any(cache.iterdir()), "the returns were read before the output was checked"


@pytest.mark.parametrize("when", ["the workbook is saved", "the workbook is streamed", "the CSV is written"])
def test_a_full_disk_leaves_no_temporary_file(small_exercise, tmp_path, monkeypatch, when):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if when == "the workbook is saved":  # XlsxWriter wraps the error in its FileCreateError
        monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", full)
    elif when == "the workbook is streamed":
        monkeypatch.setattr(shutil, "move", full)
    else:  # the disk fills up once the CSV has some rows
        monkeypatch.setattr(builtins, "open", _filling_up(tmp_path / ".c.csv.*.partial"))
    result = _run(_ingest_args(small_exercise, tmp_path / "c.xlsx", tmp_path / "c.csv"))
    assert result.exit_code == 4, result.output
    assert "the disk is full. Free some space" in result.output
    assert _left(tmp_path) == []


def _filling_up(path: Path, room: int = 4096):
    """open() as it is on a disk with `room` bytes left, for the files `path` matches (its name may hold a *)."""
    real_open = builtins.open

    class Full:
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, text):
            self.written += len(text)
            if self.written > room:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(text)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    def opening(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        named = isinstance(file, (str, Path)) and Path(file).parent == path.parent and fnmatch(Path(file).name, path.name)
        return Full(handle) if named and "w" in mode else handle
    return opening


def test_other_file_errors_are_explained_not_internal(small_exercise, tmp_path, monkeypatch):
    real = os.replace

    def failing(src, dst):  # the disk reports an error as the outputs are moved into place
        if Path(dst).parent == tmp_path:
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    result = _run(_ingest_args(small_exercise, tmp_path / "c.xlsx"))
    assert result.exit_code == 4, result.output
    assert "Input/output error" in result.output and "Internal error" not in result.output
    assert _left(tmp_path) == []


# -- exit codes --------------------------------------------------------------------------------
def test_the_readme_lists_every_exit_code_the_cli_can_return():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    table = {int(code): text.strip() for code, text in re.findall(r"^\| \*\*(\d+)\*\* \|(.*)\|$", section, re.M)}
    assert table == {code: meaning for code, meaning in EXIT_CODES.items()}
    errors = [SheetkitError, *_subclasses(SheetkitError)]
    assert {e.exit_code for e in errors} <= set(EXIT_CODES)


def _subclasses(kind):
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# -- names that are not text ---------------------------------------------------------------
@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="only Linux file systems keep names that are not UTF-8")
@pytest.mark.slow  # ingest run twice as a new Python process
def test_a_name_that_is_not_text_is_shown_printably_everywhere(small_exercise, tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(small_exercise / "returns", returns)
    ret = _a_return(small_exercise)
    odd = os.path.join(os.fsencode(returns), b"caf\xe9 " + os.fsencode(ret.name))
    shutil.copy(ret, odd)
    os.unlink(returns / ret.name)
    args = ["ingest", returns, "--out", tmp_path / "c.xlsx", "--csv", tmp_path / "c.csv"]
    shown = {}
    for mode, extra in (("text", []), ("json", ["--json"])):
        result = subprocess.run([sys.executable, "-m", "sheetkit", *map(str, args), *extra], capture_output=True,
                                timeout=300)
        assert result.returncode in (0, 1), result.stderr.decode("utf-8", "replace")
        shown[mode] = result.stdout.decode("utf-8")  # valid UTF-8, or this raises
        assert "Internal error" not in shown[mode] + result.stderr.decode("utf-8")
    assert f"caf\\xe9 {ret.name}" in shown["text"]
    report = json.loads(shown["json"])
    assert any(r["file"].endswith(f"caf\\xe9 {ret.name}") for r in report["returns"])
    assert "name-not-text" in {f["code"] for f in report["findings"]}
    sheets = _calamine_cells(tmp_path / "c.xlsx")
    assert any("caf\\xe9 " in str(v) for row in sheets["Returns"] for v in row)
    odd_return = next(r for r in report["returns"] if r["file"].endswith(f"caf\\xe9 {ret.name}"))
    csv_text = (tmp_path / "c.csv").read_text(encoding="utf-8-sig")  # valid UTF-8, or this raises
    assert odd_return["status"] == "accepted" and f"caf\\xe9 {ret.name}" in csv_text
    _assert_well_formed(tmp_path / "c.xlsx")
