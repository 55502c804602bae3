"""The benchmark runs end to end on a handful of workbooks and writes its results (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sheetkit.layout import plan_workbook
from sheetkit.library import get_framework

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"

pytest.importorskip("pandas")


def test_benchmark_smoke(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(RUN), "--n", "5", "--out", str(out), "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {"schema", "date", "command", "framework", "ns", "machine", "runs", "ratios", "targets",
            "build_floor_cells"} <= set(results)
    assert results["ns"] == [5]
    machine = results["machine"]
    assert {"nproc", "cpu_model", "ram_gib", "python", "libraries"} <= set(machine)
    assert {"sheetkit", "xlsxwriter", "openpyxl", "python-calamine", "pandas"} <= set(machine["libraries"])

    run = results["runs"]["5"]
    for part in ("build", "build_floor", "fill", "calamine_floor", "ingest", "pandas_loop"):
        assert run[part]["seconds"] > 0, part
        if part != "fill":
            assert {"wall_seconds", "cpu_seconds", "peak_rss_mb", "tree_peak_pss_mb"} <= set(run[part]), part
    assert run["build"]["files"] == run["build_floor"]["files"] == 5
    assert run["fill"]["files"] == 5
    layout = plan_workbook(get_framework(results["framework"]))
    every = len(layout.answers) + len(layout.signoff_answers)
    assert run["fill"]["answers_per_workbook"] == every  # every answer cell filled, the sign-off too
    assert run["ingest"]["accepted"] == 5 and run["ingest"]["exit_code"] == 0
    assert run["ingest"]["errors"] == 0
    assert run["ingest"]["responses_rows"] == 5 * every  # every answer reached the workbook
    assert run["calamine_floor"]["files"] == run["pandas_loop"]["files"] == 5
    assert {"tree_peak_pss", "tree_peak_rss", "parent_peak_rss", "max_worker_peak_rss"} <= set(run["ingest_memory_mb"])
    assert {"ingest_over_read_floor", "pandas_over_ingest", "build_over_build_floor"} <= set(run["ratios"])

    assert {"ingest_over_read_floor", "pandas_over_ingest", "build_over_build_floor",
            "ingest_memory_largest_over_smallest"} <= set(results["ratios"])
    assert results["ratios"]["ingest_memory_largest_over_smallest"] is None  # one N: no memory ratio
    assert set(results["targets"]) == {"ingest_over_read_floor", "pandas_over_ingest", "build_over_build_floor",
                                       "ingest_memory_largest_over_smallest"}
    markdown = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert "| 5 |" in markdown and "python-calamine" in markdown
    assert not list(tmp_path.glob("sheetkit-bench-*")), "the workbooks should be cleaned up"
