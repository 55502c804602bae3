"""At Excel's real row limit: a consolidation of 2,700 full returns (1,055,700 answers) written and read back.

The answers are put straight into the answer store (copies of one real return's, under 2,700
names), so no 2,700 files need building; the workbook is then written as ingest writes it and
read back with python-calamine and with LibreOffice, which must both see every row.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from conftest import clean_env, libreoffice_or_skip
from sheetkit.common import limits
from sheetkit.consolidate.consolidation import consolidate
from sheetkit.returns.check import check_return
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.returns.reader import read_return
from sheetkit.report import write_consolidated
from sheetkit.report.responses import response_rows
from sheetkit.consolidate.spool import AnswerSpool
from sheetkit.returns.model import answer_rows
from sheetkit.returns.model import ACCEPTED

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo" / "returns" / \
    "lga-cbo_adult-social-care_2026-q4.xlsx"
HEADER = 3


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    framework = get_framework("lga-cbo")
    layout = plan_workbook(framework)
    checked = check_return(read_return(str(SAMPLE)), framework)
    assert checked.status == ACCEPTED
    rows = answer_rows(layout, 0, checked.answers)
    per_sheet = limits.SHEET_ROWS - HEADER - 1
    n = per_sheet // len(rows) + 2  # just past one sheet
    store = AnswerSpool(layout)
    returns = []
    for i in range(n):
        store.add(i, rows=rows)
        returns.append(checked.__class__(f"return {i:05d}.xlsx", f"{i:064x}", respondent=f"Partner {i:05d}",
                                         framework_id=framework.id, version=framework.version))
    store.accept([(i, r.respondent) for i, r in enumerate(returns)])
    con = consolidate(store, [r.respondent for r in returns])
    out = tmp_path_factory.mktemp("big") / "big.xlsx"
    import datetime as dt

    write_consolidated(str(out), con, returns, [], "2026", dt.datetime(2026, 12, 1))
    expected = [list(row) for row in response_rows(con, returns, "2026")]
    store.close()
    return out, expected, per_sheet


def test_calamine_reads_every_row_across_the_split(big):
    out, expected, per_sheet = big
    assert len(expected) > per_sheet
    book = CalamineWorkbook.from_path(str(out))
    first, second = (book.get_sheet_by_name(n).to_python() for n in ("Responses", "Responses (2)"))
    assert len(first) == limits.SHEET_ROWS  # the first sheet full to its last row
    assert first[HEADER] == second[HEADER]
    got = first[HEADER + 1:] + second[HEADER + 1:]
    assert len(got) == len(expected)
    for row, want in zip(got, expected):
        assert [_plain(v) for v in row] == [_plain(v) for v in want]


def test_libreoffice_reads_every_row_across_the_split(big, tmp_path):
    soffice = libreoffice_or_skip(uno=False)
    out, expected, per_sheet = big
    sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    counted = {}
    for name in ("Responses", "Responses (2)"):
        # Token 12 of the CSV filter: the one sheet (1-based) to write.
        spec = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheets.index(name) + 1}"
        folder = tmp_path / name.replace(" ", "_")
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                        "--convert-to", spec, "--outdir", str(folder), str(out)], check=True, timeout=1800,
                       capture_output=True, env=clean_env())
        (written,) = folder.glob("*.csv")
        with open(written, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        counted[name] = rows[HEADER + 1:]
    got = counted["Responses"] + counted["Responses (2)"]
    assert len(got) == len(expected)
    assert got[per_sheet - 1][0] == expected[per_sheet - 1][0] and got[per_sheet][0] == expected[per_sheet][0]
    assert [r[0] for r in got] == [r[0] for r in expected]  # every row, each partner's in place


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return "" if value is None else value
