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


def _check_postcode(raw, field, framework) -> Checked:
    text = as_text(raw).strip().upper()
    if POSTCODE.match(text):
        return Checked(text)
    return Checked(text, False, "postcode-invalid", f"'{field.label}' holds '{text}', which is not a postcode; "
                                                    f"expected one such as AB1 2CD")


def test_a_framework_may_give_every_registry_type_but_sheetkit_s_own(tmp_path, tiny_framework_yaml):
    assert set(framework_field_types()) == {name for name, kind in FIELD_TYPES.items() if kind.in_frameworks}
    assert {"criterion", "status"} <= set(FIELD_TYPES) and not {"criterion", "status"} & set(framework_field_types())
    for name in framework_field_types():
        path = tmp_path / f"{name}.yaml"
        scale = ", scale: rating" if name == "rating" else ""
        path.write_text(_with_field(tiny_framework_yaml, f"{{id: extra, label: Extra, type: {name}{scale}}}"),
                        encoding="utf-8")
        assert check_framework_file(path) == [], name
        assert [f.type for f in load_framework(path).fields("item")][-1] == name
    path = tmp_path / "status.yaml"
    path.write_text(_with_field(tiny_framework_yaml, "{id: extra, label: Extra, type: status}"),
                    encoding="utf-8")
    (problem,) = [f for f in check_framework_file(path) if "type 'status'" in f.message]
    assert problem.message.startswith("type 'status' is not one of " + ", ".join(framework_field_types()))


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


def _check_percent(raw, field, framework) -> Checked:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw <= 100:
        return Checked(raw)
    return Checked(None, False, "percent-invalid", f"'{field.label}' holds '{as_text(raw)}'; expected a number "
                                                   f"from 0 to 100")


def _percent_rule(field, framework) -> dict:
    return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
            "error_title": "Not a percentage", "error_message": "Type a number from 0 to 100."}


def test_a_number_type_with_a_range_is_one_entry_its_rule_written_and_checked_on_reading(
        tmp_path, tiny_framework_yaml, monkeypatch):
    """What a new field type costs: its registry entry (reading rule, Excel rule, sample) and its finding
    code; the same range is enforced by Excel as it is typed and checked again when read back."""
    monkeypatch.setitem(FIELD_TYPES, "percent", FieldType("percent", "(0 to 100)", "answer", _check_percent,
                                                          excel_rule=_percent_rule,
                                                          sample=lambda rng, f, fw, lean: rng.randrange(0, 101),
                                                          codes=("percent-invalid",)))
    monkeypatch.setitem(findings.CATALOGUE, "percent-invalid", findings.Code(
        findings.ERROR, "A percentage is not a number from 0 to 100.", "Ask for the figure meant.",
        respondent="'{label}' holds '{value}'; please type a number from 0 to 100"))
    folder = tmp_path / "frameworks"
    folder.mkdir()
    path = folder / "tiny.yaml"
    path.write_text(_with_field(tiny_framework_yaml, "{id: reach, label: Share reached, type: percent}"),
                    encoding="utf-8")
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(folder))
    framework = load_framework(path)
    layout = plan_workbook(framework)
    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(out_dir=tmp_path / "built",
                                                                             round="2026 Q4", password="x"))
    sheet = openpyxl.load_workbook(built.files[0].workbook)[layout.sections[0].name]
    cell = next(a for a in layout.answers if a.key == "item/1/reach")
    (rule,) = [dv for dv in sheet.data_validations.dataValidation if cell.cell in str(dv.sqref)]
    assert (rule.type, rule.operator or "between", rule.formula1, rule.formula2) == ("decimal", "between", "0", "100")
    filled = tmp_path / "filled.xlsx"
    fill_workbook(built.files[0].workbook, filled, {"item/1/reach": 40, "item/2/reach": 140})
    checked = check_return(read_return(str(filled)), framework)
    answers = {a.key: a for a in checked.answers}
    assert (answers["item/1/reach"].value, answers["item/1/reach"].usable) == (40, True)
    assert answers["item/2/reach"].usable is False
    (problem,) = [f for f in checked.findings if f.code == "percent-invalid"]
    assert problem.sheet == layout.sections[1].name


def test_a_date_cell_read_back_is_held_to_the_range_its_cell_enforces(tmp_path):
    """A year pasted into a date cell ('2027') is day 2027 counted from 1900, 1905-07-19: reported, not counted."""
    framework = load_framework(Path(__file__).resolve().parents[1] / "frameworks" / "lga-cbo.yaml")
    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(out_dir=tmp_path / "built",
                                                                             round="2026 Q4", password="x"))
    dates = [a for a in plan_workbook(framework).answers if a.field.type == "date"]
    filled = tmp_path / "filled.xlsx"
    fill_workbook(built.files[0].workbook, filled, {dates[0].key: 2027, dates[1].key: fields.DATE_RANGE[1]})
    checked = check_return(read_return(str(filled)), framework)
    answers = {a.key: a for a in checked.answers}
    assert answers[dates[0].key].usable is False and answers[dates[1].key].usable is True
    (problem,) = [f for f in checked.findings if f.code == "date-out-of-range"]
    assert (problem.sheet, problem.cell) == (dates[0].sheet, dates[0].cell)
    assert "1905-07-19" in problem.message
