"""One odd cell never costs a return: every field type's reading rule, fed anything a cell can
hold, gives a value or a finding and never an exception; and it agrees with the rule Excel
enforces on the same cell, so a pasted value is held to what a typed one would be.

The registry (sheetkit.framework.fields.FIELD_TYPES) is iterated, so a type added later is
covered without touching these tests.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BUNDLED, build, fill
from sheetkit.common.findings import CATALOGUE
from sheetkit.framework import fields
from sheetkit.framework.fields import FIELD_TYPES, Checked, check_value, choices, excel_rule, prefill_value, rating_value
from sheetkit.framework.library import get_framework
from sheetkit.framework.model import ResponseField
from sheetkit.returns import validate as validate_module
from sheetkit.returns.check import check_return
from sheetkit.returns.reader import read_return
from sheetkit.workbook.plan import plan_workbook

FRAMEWORKS = {name: get_framework(name) for name in BUNDLED}

# What respondents and other programs put in cells: digits of other scripts, footnote marks,
# fractions, invisible and direction marks, odd spaces, error texts, formulas typed as text.
TRICKS = ["7¹", "⑦", "½", "٧", "７", "७", "𝟕", "Ⅶ", "7\u200b", "\u200f7", "\u200e7\u200e", "7\xa0", "\xa07",
          "\ufeff7", "7\u0301", "07", "+7", "-0", "7.0", "7,0", "1e1", "NaN", "inf", "-inf", "", " ", "\t",
          "#N/A", "#REF!", "Err:502", "=1+1", "=HYPERLINK(\"http://x\")", "n/a", "TRUE", "2026-12-31",
          "2026-02-30", "0000-01-01", "9999-12-31", "1/2/2026", "31.12.2026", "٢٠٢٦-١٢-٣١", "２０２６-１２-３１",
          "7 - Good", "7 – Good", "7 — Good", "High ", " high", "HIGH", "Medium\u200b", "7.3", "7.3 Joint",
          "\ud800", "a\x00b", "x" * 40_000, "٧" * 5_000, "9" * 5_000]
ODD_TEXT = st.text(alphabet=st.characters(categories=["Nd", "No", "Nl", "Cf", "Zs", "Mn", "Pd", "Sm"]), max_size=12)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10 ** 400), max_value=10 ** 400),
    st.floats(), st.text(), ODD_TEXT, st.sampled_from(TRICKS), st.dates(), st.datetimes(), st.times(),
    st.timedeltas(), st.text(min_size=1, max_size=3).map(lambda t: t * 12_000),
)


def _field(type_name: str, framework) -> ResponseField:
    """A field of the type, as a framework (or sheetkit's action plan) would declare it."""
    scale = framework.scales[0].id if type_name == "rating" else ""
    return ResponseField("probe", "Probe", type_name, "item", scale=scale)


def _entries(f: ResponseField, framework) -> tuple[str, ...]:
    return choices(f, framework)


@settings(max_examples=300, deadline=None)
@given(framework_id=st.sampled_from(BUNDLED), type_name=st.sampled_from(sorted(FIELD_TYPES)), raw=VALUES)
def test_every_type_s_check_gives_a_value_or_a_finding_never_an_exception(framework_id, type_name, raw):
    framework = FRAMEWORKS[framework_id]
    f = _field(type_name, framework)
    result = FIELD_TYPES[type_name].check(raw, f, framework)  # the type's own rule, not the guard around it
    assert isinstance(result, Checked)
    if result.usable:
        assert not result.code
    else:
        assert result.code in CATALOGUE and result.message
        assert result.code in FIELD_TYPES[type_name].codes, f"{type_name} reports {result.code} without declaring it"


@settings(max_examples=200, deadline=None)
@given(framework_id=st.sampled_from(BUNDLED), type_name=st.sampled_from(sorted(FIELD_TYPES)), raw=VALUES)
def test_a_value_the_check_accepts_is_one_the_cell_s_own_rule_admits(framework_id, type_name, raw):
    """Accepted means admitted by the cell's Excel rule: a list's entry (as the value is given back
    in the dropdown), a date inside the rule's range. A pasted value is held to the typed rule."""
    framework = FRAMEWORKS[framework_id]
    f = _field(type_name, framework)
    result = check_value(raw, f, framework)
    rule = excel_rule(f, framework)
    if not result.usable or rule is None:
        return
    if rule["validate"] == "list":
        assert prefill_value(result.value, f, framework) in _entries(f, framework), (raw, result)
    elif rule["validate"] == "date":
        assert isinstance(result.value, dt.date) and rule["minimum"] <= result.value <= rule["maximum"], (raw, result)
    elif rule["validate"] in ("decimal", "integer", "whole"):
        assert isinstance(result.value, (int, float)) and not isinstance(result.value, bool), (raw, result)
        assert rule["minimum"] <= result.value <= rule["maximum"], (raw, result)
    else:
        pytest.fail(f"no oracle for the {rule['validate']} rule of {type_name}; add one here")


@pytest.mark.parametrize("framework_id", BUNDLED)
@pytest.mark.parametrize("type_name", sorted(FIELD_TYPES))
def test_what_the_cell_s_own_rule_admits_is_accepted(framework_id, type_name):
    framework = FRAMEWORKS[framework_id]
    f = _field(type_name, framework)
    rule = excel_rule(f, framework)
    if rule is None:
        return
    if rule["validate"] == "list":
        admitted = list(_entries(f, framework))
    else:
        first, last = rule["minimum"], rule["maximum"]
        admitted = [first, last, first + (last - first) / 2, dt.datetime.combine(last, dt.time())]
        refused = [first - dt.timedelta(days=1), last + dt.timedelta(days=1), dt.date(1905, 7, 19)]
        assert not any(check_value(v, f, framework).usable for v in refused)
    assert admitted and all(check_value(v, f, framework).usable for v in admitted), type_name


def test_a_rating_is_a_level_typed_in_any_script_s_digits_and_nothing_else():
    levels = [(n, f"{n} - Level {n}") for n in range(1, 11)]
    assert [rating_value(v, levels) for v in ("7", "٧", "७", "７", "𝟕", " 7\xa0", "7\u200b", "\u200f7",
                                              "7 – Level 7", 7, 7.0)] == [7] * 11
    assert [rating_value(v, levels) for v in ("7¹", "⑦", "½", "Ⅶ", "7.5", "77", "0", True, 7.5, "9" * 5_000,
                                              10 ** 400, float("nan"), float("inf"))] == [None] * 13


def test_a_check_that_fails_on_a_value_becomes_a_finding_on_that_value(monkeypatch):
    """Whatever goes wrong inside a type's check stays with the one value, which is kept."""
    def explode(raw, f, framework):
        raise ValueError("invalid literal for int() with base 10: '7¹'")

    framework = FRAMEWORKS["lga-cbo"]
    monkeypatch.setitem(FIELD_TYPES, "rating", fields.FieldType("rating", "(pick)", "answer", explode,
                                                                fields._rating_choices, fields._rating_rule))
    result = check_value("7¹", _field("rating", framework), framework)
    assert (result.usable, result.code, result.value) == (False, "cell-unreadable", "7¹")
    assert "'Probe' holds '7¹'" in result.message and "expected one of: 1" in result.message


@pytest.fixture
def lga_return(tmp_path):
    """A filled lga-cbo return, and its layout's rating and evidence cells."""
    (built,) = build("lga-cbo", tmp_path / "built", names=("Housing",))
    layout = plan_workbook(get_framework("lga-cbo"))
    ratings = [a for a in layout.answers if a.field.type == "rating"]
    texts = [a for a in layout.answers if a.field.type == "text" and a.field.level != "action"]
    return built, layout, ratings, texts


def test_a_footnote_mark_in_a_rating_costs_only_that_rating(lga_return, tmp_path):
    built, layout, ratings, texts = lga_return
    typed = {ratings[0].key: "7¹", ratings[1].key: "٧", ratings[2].key: "3 - " + "x" * 5}
    typed.update({cell.key: f"Evidence {n}" for n, cell in enumerate(texts[:20])})
    checked = check_return(read_return(str(fill(built, tmp_path / "r.xlsx", typed))), layout.framework)
    answers = {a.key: a for a in checked.answers}
    assert checked.status == "accepted"
    assert (answers[ratings[0].key].usable, answers[ratings[0].key].text) == (False, "7¹")
    assert (answers[ratings[1].key].usable, answers[ratings[1].key].value) == (True, 7)
    (finding,) = [f for f in checked.findings if f.cell == ratings[0].cell and f.sheet == ratings[0].sheet]
    assert finding.code == "rating-out-of-scale" and "7¹" in finding.message
    assert all(answers[c.key].text == f"Evidence {n}" and answers[c.key].usable for n, c in enumerate(texts[:20]))


def test_a_fault_while_reading_one_sheet_keeps_its_cells_and_reads_the_others(lga_return, tmp_path, monkeypatch):
    built, layout, ratings, texts = lga_return
    typed = {cell.key: f"Evidence {n}" for n, cell in enumerate(texts)}
    path = fill(built, tmp_path / "r.xlsx", typed)
    broken = texts[0].sheet
    real = validate_module.detect_sorts  # run on every sheet, whichever path found its shape

    def locate(table, *args):
        if table.name == broken:
            raise RuntimeError("a fault in sheetkit")
        return real(table, *args)

    monkeypatch.setattr(validate_module, "detect_sorts", locate)
    checked = check_return(read_return(str(path)), layout.framework)
    assert checked.status == "accepted"
    (finding,) = [f for f in checked.findings if f.code == "sheet-unreadable"]
    assert finding.sheet == broken and "RuntimeError: a fault in sheetkit" in finding.message
    by_cell = {(a.sheet, a.cell): a for a in checked.answers}
    for n, cell in enumerate(texts):
        answer = by_cell[(cell.sheet, cell.cell)]
        assert answer.text == f"Evidence {n}"
        assert answer.field.level == ("unplaced" if cell.sheet == broken else cell.field.level), cell
