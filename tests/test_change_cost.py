"""What a change costs: the README's 'Where a change goes, and what it costs' made checkable.

A new finding code is one entry in the catalogue and the check that emits it: the entry alone
makes it a finding, lists it in `sheetkit codes`, puts it in the README's table (which is that
command's output) and words it for respondents. No other table is keyed by finding code. (A
new field type is pinned in tests/test_fields.py, a new consolidated sheet by the registry in
report/workbook.py and tests/test_report.py.)
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetkit.cli import cli
from sheetkit.common import CATALOGUE, Finding
from sheetkit.common import findings
from sheetkit.mail import needs_correction, problems
from conftest import build, fill, random_answers
from sheetkit.framework.library import get_framework
from sheetkit.returns import CheckedReturn, check_return, collect_returns, read_return
from sheetkit.returns.file_formats import FORMATS, ZIP, Caveat, FileFormat, Properties
from sheetkit.returns.reader import inspect_file

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NEW = "number-out-of-range"


def _codes_table() -> str:
    """The README's table of finding codes: its rows, without the header."""
    section = README.split("\n## Finding codes\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def undocumented(readme_rows: str) -> list[str]:
    """Catalogue codes the README's table lacks (what the README test reports)."""
    return [code for code in CATALOGUE if f"| `{code}` |" not in readme_rows]


@pytest.fixture
def new_code(monkeypatch):
    """The change a developer makes: one catalogue entry, nothing else."""
    monkeypatch.setitem(CATALOGUE, NEW, findings.Code(
        findings.ERROR, "A number is outside the range its question allows.",
        "Ask the respondent for the figure they meant; the value is kept but not counted.",
        respondent="'{label}' holds '{value}', which is outside the range allowed; please type a number within it"))
    return NEW


def test_the_readme_table_of_codes_is_what_sheetkit_codes_prints():
    printed = CliRunner().invoke(cli, ["codes", "--markdown"]).output
    rows = "\n".join(line for line in printed.splitlines() if line.startswith("| `"))
    assert _codes_table() == rows, "paste the output of 'sheetkit codes --markdown' into the README's table"


def test_a_code_added_to_the_catalogue_alone_is_a_finding_listed_in_the_readme_table_and_worded(new_code):
    finding = Finding(new_code, "'Share reached' holds 140", file="housing.xlsx", sheet="1 Knowing", cell="D7")
    assert finding.is_error and finding.action.startswith("Ask the respondent") and finding.to_dict()["action"]
    printed = CliRunner().invoke(cli, ["codes", "--markdown"]).output
    row = next(line for line in printed.splitlines() if line.startswith(f"| `{new_code}` |"))
    assert "| error | A number is outside the range" in row
    assert undocumented(_codes_table()) == [new_code]  # the README test now asks for exactly this row
    assert undocumented(_codes_table() + "\n" + row) == []  # and the printed row is what it asks for
    ret = CheckedReturn("housing.xlsx", "0" * 64, respondent="Housing", findings=[finding])
    must, may = problems(ret, None)
    assert [p.render() for p in must] == ["Sheet '1 Knowing', cell D7: 'this cell' holds '', which is outside the "
                                          "range allowed; please type a number within it"]
    assert not may and needs_correction(ret)


def test_a_code_marked_lead_only_is_never_put_to_the_respondent(monkeypatch):
    monkeypatch.setitem(CATALOGUE, "two-leads", findings.Code(
        findings.ERROR, "Two leads claim the exercise.", "Agree who runs it.", lead_only=True))
    ret = CheckedReturn("housing.xlsx", "0" * 64, findings=[Finding("two-leads", "claimed twice", file="housing.xlsx")])
    assert problems(ret, None) == ([], []) and not needs_correction(ret)


def test_an_unknown_code_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="unknown finding code 'no-such-code'"):
        Finding("no-such-code", "x")


def test_no_other_table_is_keyed_by_finding_code():
    """Each code's severity, meaning, action and respondent wording live in its catalogue entry alone."""
    keyed = []
    for path in (ROOT / "sheetkit").rglob("*.py"):
        if path.name == "findings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                codes = [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in CATALOGUE]
                if len(codes) >= 2:
                    keyed.append(f"{path.relative_to(ROOT)}:{node.lineno} {codes[:3]}")
    assert not keyed, f"a second table keyed by finding code: {keyed}"


def test_the_readme_names_what_each_change_costs():
    section = README.split("### Where a change goes, and what it costs\n", 1)[1].split("\n## ", 1)[0]
    for change in ("finding code", "field type", "action-plan column", "returned-file format", "consolidated sheet"):
        assert change in section, change
    for test in re.findall(r"`tests/(\w+\.py)::(\w+)`", section):
        assert re.search(rf"^def {test[1]}\(", (ROOT / "tests" / test[0]).read_text(encoding="utf-8"), re.M), test


# -- a new returned-file format -------------------------------------------------------------------
# A format is one entry in returns/file_formats.py's FORMATS. The test registers a toy format (a
# zip holding its sheets as JSON) in the registry for the test's length, and nothing else: the
# folder walk finds its files, the reader's safety checks, properties, values and caveat follow
# from the entry, and its return is checked answer for answer as the .xlsx it was made from.

READING_MODULES = sorted((ROOT / "sheetkit" / "returns").glob("*.py")) + [ROOT / "sheetkit" / "common" / "tables.py"]
REGISTRY = ROOT / "sheetkit" / "returns" / "file_formats.py"


class _ToySheet:
    """One sheet, shaped as python-calamine's sheets are."""

    def __init__(self, rows: list[list]):
        self.rows, self.total_height, self.total_width = rows, len(rows), max(map(len, rows), default=0)

    def to_python(self, skip_empty_area: bool = False) -> list[list]:
        return self.rows


class _ToyBook:
    """A toy workbook's values, shaped as python-calamine's workbooks are."""

    def __init__(self, path: str):
        with zipfile.ZipFile(path) as archive:
            self.sheets = json.loads(archive.read("toy/book.json"), object_hook=_from_json)
        self.sheet_names = list(self.sheets)

    def get_sheet_by_name(self, name: str) -> _ToySheet:
        return _ToySheet(self.sheets[name])


def _to_json(value):
    return {"iso": value.isoformat(), "type": type(value).__name__}


def _from_json(obj: dict):
    if set(obj) == {"iso", "type"}:
        return getattr(dt, obj["type"]).fromisoformat(obj["iso"])
    return obj


def _toy_properties(archive, names: set[str]) -> Properties:
    stored = json.loads(archive.read("toy/properties.json"))
    return Properties(saved_by=stored["saved_by"], meta=stored["meta"])


TOY = FileFormat((".toy",), ZIP, lambda members: "toy/book.json" in members.names,
                 lambda path, suffixes: _ToyBook(path), _toy_properties,
                 caveat=Caveat("format-limited", "the workbook was saved as a toy workbook; its values and "
                                                 "metadata were read, but not its comments"))


def _as_toy(source: Path, target: Path) -> Path:
    """The return at `source` (an .xlsx) saved again as a toy workbook: every value, and its properties."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(source))
    sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    with zipfile.ZipFile(source) as archive:
        properties = FORMATS["xlsx"].properties(archive, set(archive.namelist()))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("toy/book.json", json.dumps(sheets, default=_to_json))
        archive.writestr("toy/properties.json", json.dumps({"saved_by": "Harry Jones", "meta": properties.meta}))
    return target


@pytest.fixture
def toy_format(monkeypatch):
    """The change a developer makes: one entry in the formats' registry, nothing else."""
    monkeypatch.setitem(FORMATS, "toy", TOY)
    return TOY


def test_a_format_added_to_the_registry_alone_is_found_read_and_checked(toy_format, tmp_path):
    framework = get_framework("ipc-audit")
    built = build("ipc-audit", tmp_path / "built", names=("Housing",))[0]
    returns = tmp_path / "returns"
    returns.mkdir()
    filled = fill(built, tmp_path / "housing.xlsx", random_answers("ipc-audit", seed=3))
    _as_toy(filled, returns / "housing.toy")
    (returns / "damaged.toy").write_text("not a workbook at all")  # its suffix alone makes it one to read

    with collect_returns([str(returns)]) as found:
        assert sorted(f.name for f in found.files) == ["damaged.toy", "housing.toy"] and not found.findings
        raws = {Path(f.name).name: read_return(f.path) for f in found.files}
    assert [f.code for f in raws["damaged.toy"].findings] == ["not-a-workbook"]
    assert ".toy" in raws["damaged.toy"].findings[0].message  # the message lists what sheetkit reads

    raw = raws["housing.toy"]
    assert (raw.kind, raw.saved_by, raw.readable) == ("toy", "Harry Jones", True)
    checked = check_return(raw, framework)
    original = check_return(read_return(str(filled)), framework)
    assert checked.status == original.status == "accepted" and checked.respondent == "Housing"
    assert checked.answers and checked.answers == original.answers
    assert [f.code for f in checked.findings if f.code not in {g.code for g in original.findings}] == \
        ["format-limited"]


def test_no_module_that_reads_returns_names_a_format_the_registry_declares():
    """The folder walk, the reader and the checks ask the registry; so a new format touches only it
    (and a parser module of its own, and pyproject.toml for a library)."""
    from sheetkit.returns.file_formats import MAGIC, ODS_MIME

    declared = {k for k in FORMATS} | {s for f in FORMATS.values() for s in f.suffixes}
    declared |= {f.caveat.code for f in FORMATS.values() if f.caveat}
    declared |= set(MAGIC.values()) | {ODS_MIME}  # how formats are told apart (their parsers read their own parts)
    named = []
    for path in READING_MODULES:
        if path == REGISTRY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and node.value in declared:
                named.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not named, f"ask sheetkit.returns.file_formats instead of naming a format: {named}"


def test_every_format_whose_notes_or_parts_go_unread_says_so_in_a_caveat():
    unsaid = [kind for kind, fmt in FORMATS.items() if (fmt.notes is None or fmt.parts is None) and fmt.caveat is None]
    assert not unsaid, f"give these formats a caveat, or readers of their notes and parts: {unsaid}"
    assert all(fmt.caveat.code in CATALOGUE for fmt in FORMATS.values() if fmt.caveat)


def test_a_return_in_a_format_that_hides_its_notes_is_accepted_with_the_format_s_caveat(tmp_path):
    """.xlsb keeps comments and error values in binary parts sheetkit does not read: said, never silent."""
    built = build("ipc-audit", tmp_path / "built", names=("Housing",))[0]
    raw = read_return(str(fill(built, tmp_path / "housing.xlsx", random_answers("ipc-audit", seed=3))))
    assert [f.code for f in check_return(raw, None).findings] == []
    raw.kind = "xlsb"
    assert [f.code for f in check_return(raw, None).findings] == ["format-limited"]
    raw.kind = "xls"
    assert [f.code for f in check_return(raw, None).findings] == ["old-format"]


def test_an_excel_binary_workbook_is_told_from_an_xlsx_by_its_parts(tmp_path):
    built = build("ipc-audit", tmp_path / "built", names=("Housing",))[0]
    for name, extra in (("plain.xlsb", {}), ("macros.xlsb", {"xl/vbaProject.bin": b"\x00"})):
        target = tmp_path / name
        with zipfile.ZipFile(built) as source, zipfile.ZipFile(target, "w") as out:
            for info in source.infolist():
                data = source.read(info)
                out.writestr(info.filename.replace("xl/workbook.xml", "xl/workbook.bin"), data)
            for part, data in extra.items():
                out.writestr(part, data)
        raw = inspect_file(str(target))
        assert (raw.kind, raw.has_macros, raw.readable) == ("xlsb", bool(extra), True)
        assert raw.meta["respondent"] == "Housing" and not raw.notes  # its properties are OOXML's; notes unread
