"""The benchmark runs end to end on a handful of workbooks and writes its results (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"

pytest.importorskip("pandas")


def test_benchmark_smoke(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--out", str(out), "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["ns"] == [4, 16]
    assert {"nproc", "cpu_model", "ram_gib", "python", "libraries"} <= set(results["machine"])
    layout = plan_workbook(get_framework(results["framework"]))
    every = len(layout.answers) + len(layout.signoff_answers)
    assert results["answers_per_workbook"] == every  # every answer cell filled, the sign-off too
    assert results["fill"]["files"] == 17  # the largest N and the late return
    assert results["builds"]["4"]["files"] == 4 and results["builds"]["16"]["files"] == 17
    assert results["build_floor"]["files"] == 4
    for n in ("4", "16"):
        run = results["runs"][n]
        assert run["repeats"] == (2 if n == "4" else 1)  # the median of two runs at the reference N
        for part in ("calamine", "validate", "ingest", "write_floor", "reingest", "pandas", "sheets"):
            assert run[part]["seconds"] > 0, part
            assert {"cpu_seconds", "tree_peak_pss_mb", "tree_peak_rss_mb"} <= set(run[part]), part
        assert run["ingest"]["accepted"] == int(n) and run["ingest"]["errors"] == 0
        assert run["ingest"]["responses_rows"] == int(n) * every  # every answer reached the workbook
        assert run["reingest"]["accepted"] == int(n) + 1  # the late return counted too
        assert run["calamine"]["files"] == int(n) and run["pandas"]["files"] == int(n)
        assert run["write_floor"]["cells"] > 0
        assert {"responses", "evidence", "(consolidate)"} <= {k.split(" ")[0] for k in run["sheets"]["sheets"]} | \
            set(run["sheets"]["sheets"])
    assert set(results["targets"]) == {"ingest_over_fair_floor", "pandas_over_ingest", "validate_over_calamine",
                                       "reingest_over_cold", "build_cpu_over_bare", "ingest_memory_growth",
                                       "validate_memory_growth", "validate_memory_mb", "compile_growth"}
    assert all(t["met"] in (True, False) for key, t in results["targets"].items() if key != "compile_growth")
    assert results["compile_growth"]["ns"] == [4, 16]
    markdown = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert "| 16 |" in markdown and "python-calamine" in markdown and "re-ingest" in markdown
    assert not list(tmp_path.glob("sheetkit-bench-*")), "the workbooks should be cleaned up"
