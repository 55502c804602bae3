"""What a change costs: the README's 'Where a change goes, and what it costs' made checkable.

A new finding code is one entry in the catalogue and the check that emits it: the entry alone
makes it a finding, lists it in `sheetkit codes`, puts it in the README's table (which is that
command's output) and words it for respondents. No other table is keyed by finding code. (A
new field type is pinned in tests/test_fields.py, a new consolidated sheet by the registry in
report/workbook.py and tests/test_report.py.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetkit.cli import cli
from sheetkit.common import CATALOGUE, Finding
from sheetkit.common import findings
from sheetkit.mail import needs_correction, problems
from sheetkit.returns import CheckedReturn

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
