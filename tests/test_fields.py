"""The registry of field types is the one list: the loader, the layout, the writer and validation read it."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from sheetkit.framework import fields
from sheetkit.common import findings
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.framework.fields import FIELD_TYPES, Checked, FieldType, framework_field_types
from sheetkit.common.text import as_text
from sheetkit.samples.filling import fill_workbook
from sheetkit.framework.file import FrameworkFileError, check_framework_file, load_framework
from sheetkit.returns.check import check_return
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.text import column_letters
from sheetkit.returns.reader import read_return
from sheetkit.roster.respondents import Respondent

DOCS = Path(__file__).resolve().parents[1] / "docs" / "framework-format.md"
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


def _with_field(tiny_framework_yaml: str, field: str) -> str:
    """The tiny framework with one more item field, given as a YAML flow mapping."""
    due = "    - {id: due, label: By when, type: date}\n"
    assert due in tiny_framework_yaml
    return tiny_framework_yaml.replace(due, due + f"    - {field}\n")


def _check_postcode(raw, choices, label) -> Checked:
    text = as_text(raw).strip().upper()
    if POSTCODE.match(text):
        return Checked(text)
    return Checked(text, False, "postcode-invalid", f"'{label}' holds '{text}', which is not a postcode; "
                                                    f"expected one such as AB1 2CD")


def test_a_framework_may_give_every_registry_type_but_sheetkit_s_own(tmp_path, tiny_framework_yaml):
    assert set(framework_field_types()) == {name for name, kind in FIELD_TYPES.items() if kind.in_frameworks}
    assert "choice" in FIELD_TYPES and "choice" not in framework_field_types()
    for name in framework_field_types():
        path = tmp_path / f"{name}.yaml"
        scale = ", scale: rating" if name == "rating" else ""
        path.write_text(_with_field(tiny_framework_yaml, f"{{id: extra, label: Extra, type: {name}{scale}}}"),
                        encoding="utf-8")
        assert check_framework_file(path) == [], name
        assert [f.type for f in load_framework(path).fields("item")][-1] == name
    path = tmp_path / "choice.yaml"
    path.write_text(_with_field(tiny_framework_yaml, "{id: extra, label: Extra, type: choice}"),
                    encoding="utf-8")
    (problem,) = [f for f in check_framework_file(path) if "type 'choice'" in f.message]
    assert problem.message.startswith("type 'choice' is not one of " + ", ".join(framework_field_types()))


def test_a_type_added_to_the_registry_is_loaded_laid_out_written_and_validated(tmp_path, tiny_framework_yaml,
                                                                               monkeypatch):
    """A postcode field: one registry entry (and, since its check reports a new problem, one catalogue
    entry). Nothing else is changed, and the framework loader, layout, writer and validation take it."""
    monkeypatch.setitem(FIELD_TYPES, "postcode", FieldType("postcode", "(postcode)", "answer", _check_postcode))
    monkeypatch.setitem(findings.CATALOGUE, "postcode-invalid", findings.Code(
        findings.ERROR, "A postcode cell holds something that is not a postcode.", "Ask for the postcode."))
    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(_with_field(tiny_framework_yaml,
                                                  "{id: site, label: Site postcode, type: postcode}"),
                                      encoding="utf-8")
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(folder))
    framework = load_framework(folder / "tiny.yaml")
    layout = plan_workbook(framework)
    cells = {a.key: a for a in layout.answers if a.field.type == "postcode"}
    assert sorted(cells) == ["item/1/site", "item/2/site"]

    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(out_dir=tmp_path / "built",
                                                                             round="2026 Q4", password="x"))
    workbook = built.files[0].workbook
    shown = [str(c.value) for ws in openpyxl.load_workbook(workbook).worksheets for row in ws.iter_rows()
             for c in row if c.value]
    assert any("Site postcode" in text and "(postcode)" in text for text in shown)

    filled = tmp_path / "filled.xlsx"
    fill_workbook(workbook, filled, {"item/1/site": "ab1 2cd", "item/2/site": "not known"})
    checked = check_return(read_return(str(filled)), framework)
    answers = {a.key: a for a in checked.answers}
    assert (answers["item/1/site"].value, answers["item/1/site"].usable) == ("AB1 2CD", True)
    assert answers["item/2/site"].usable is False
    (problem,) = [f for f in checked.findings if f.code == "postcode-invalid"]
    cell = cells["item/2/site"]
    assert (problem.sheet, problem.cell) == (cell.sheet, f"{column_letters(cell.col)}{cell.row + 1}")


def test_a_type_not_in_the_registry_is_refused_with_the_nearest_name(tmp_path, tiny_framework_yaml):
    path = tmp_path / "typo.yaml"
    path.write_text(_with_field(tiny_framework_yaml, "{id: extra, label: Extra, type: persn}"),
                    encoding="utf-8")
    with pytest.raises(FrameworkFileError, match="type 'persn' is not one of .*; did you mean 'person'"):
        load_framework(path)


def test_the_framework_format_documents_every_type_a_framework_may_give():
    if not DOCS.is_file():
        pytest.skip(f"{DOCS} is not in this checkout")
    text = DOCS.read_text(encoding="utf-8").split("Field types:", 1)[1]
    documented = re.findall(r"^\| `([a-z_]+)` \|", text.split("\n\n", 2)[1], flags=re.M)
    missing = [name for name in framework_field_types() if name not in documented]
    extra = [name for name in documented if name not in framework_field_types()]
    assert not missing and not extra, (f"docs/framework-format.md, table 'Field types': add rows for {missing}, "
                                       f"remove rows for {extra}")


def test_every_registered_type_s_style_exists():
    from sheetkit.xlsx.styles import add_formats

    class Book:
        def add_format(self, properties=None):
            return properties

    styles = add_formats(Book())
    assert all(kind.style in styles for kind in fields.FIELD_TYPES.values())
