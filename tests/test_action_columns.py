"""The action plan's columns, declared once: a column a framework file adds is asked, read, compiled and carried.

sheetkit's own columns are declared in sheetkit/framework/action_plan.py, and a framework file
may add its own under `action_plan`. Adding one there changes no sheetkit file at all (adding one
to sheetkit's own list changes that one file, and the table in docs/framework-format.md); this
test adds one and follows it through: the respondent sees it on the Action plan, headed by its
label, and types into it as they read it; ingest reads it back; the consolidated Action plan and
All actions show it; and next round's workbook types last round's value onto the row that follows
the action up.
"""

from __future__ import annotations

import openpyxl
from fill_by_label import fill_by_label

from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.framework import check_framework_file
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent
from sheetkit.rounds.load import load_previous

COLUMN = """\
action_plan:
  - id: budget_code
    label: Budget code
    type: text
    width: 14
    carried: true
"""


def _table(path, sheet: str, first: str) -> tuple[list, list[list]]:
    rows = [list(r) for r in openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True)]
    header = next(n for n, r in enumerate(rows) if r and r[0] == first)
    return rows[header], [r for r in rows[header + 1:] if r and any(v not in (None, "") for v in r)]


def test_a_column_the_framework_adds_is_asked_read_compiled_and_carried(tiny_dir, tmp_path):
    (tiny_dir / "tiny.yaml").write_text((tiny_dir / "tiny.yaml").read_text(encoding="utf-8") + COLUMN,
                                        encoding="utf-8")
    framework = get_framework("tiny")
    built = build_workbooks(framework, [Respondent("Housing")], BuildOptions(
        out_dir=tmp_path / "built", round="2026 Q4", password="secret")).files[0].workbook
    filled = fill_by_label(built, tmp_path / "return.xlsx", seed=3,
                           only=lambda f: f.sheet == "Action plan" and f.ref == "1")
    typed = {f.column_header: filled.cells[(f.sheet, f.cell)] for f in filled.fields
             if (f.sheet, f.cell) in filled.cells}
    budget = typed["Budget code (type here)"]  # the column, as the respondent sees it
    out = tmp_path / "consolidated.xlsx"
    report = ingest_returns([str(tmp_path / "return.xlsx")], IngestOptions(out=out))
    assert [r.status for r in report.returns] == ["accepted"], report.render()
    header, rows = _table(out, "All actions", "Section")
    (row,) = rows
    assert row[header.index("Budget code")] == budget and row[header.index("Action")] == typed["Action (type here)"]
    header, rows = _table(out, "Action plan", "Refs")
    assert [r[header.index("Budget code")] for r in rows] == [budget]
    previous = load_previous(out, framework)
    follow_up = build_workbooks(framework, [Respondent("Housing")], BuildOptions(
        out_dir=tmp_path / "next round" / "workbooks", round="2027 Q4", password="secret", previous=previous)).files[0].workbook
    header, rows = _table(follow_up, "Action plan", "#")
    first = rows[0]
    assert first[header.index("From last round")] == "2026 Q4 #1"
    assert first[header.index("Budget code (type here)")] == budget
    assert first[header.index("Action (type here)")] == typed["Action (type here)"]


def test_a_column_must_not_take_a_header_or_an_id_the_plan_already_has(tiny_dir):
    clash = COLUMN.replace("id: budget_code", "id: owner").replace("label: Budget code", "label: Priority")
    (tiny_dir / "tiny.yaml").write_text((tiny_dir / "tiny.yaml").read_text(encoding="utf-8") + clash,
                                        encoding="utf-8")
    found = {(f.code, f.path) for f in check_framework_file(tiny_dir / "tiny.yaml")}
    assert found == {("id-duplicate", "action_plan[0].id"), ("id-duplicate", "action_plan[0].label")}
