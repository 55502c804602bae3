"""sheetkit benchmark: build and ingest against their floors, in one run.

    python3 benchmarks/run.py                      # N = 100 and 1000
    python3 benchmarks/run.py --n 100 --n 1000 --quick
    python3 benchmarks/run.py --n 5 --out /tmp/bench   # smoke run

For each N, with the bundled ``lga-cbo`` framework:

1. build     ``sheetkit.build.build_workbooks`` for N distinct respondents, timed;
   build floor  a bare XlsxWriter loop writing the same cell values (every string, number and
                formula sheetkit writes, read back from a reference workbook, with each
                respondent's name, organisation and email put in) to N files: no formats,
                validation, conditional formats, protection, properties or names.
2. fill      every answer cell of every workbook (all 30 action-plan rows included) with
             realistic text, ratings and dates, via openpyxl over all cores. Setup, not timed.
3. ingest    ``sheetkit.ingest.ingest_returns`` end to end on the N filled returns (read,
             validate, compile, write the consolidated workbook), in a fresh subprocess;
   read floor   python-calamine reading every cell of every sheet of every file, one process;
   pandas loop  ``pandas.read_excel(path, sheet_name=None)`` per file (default engine, openpyxl)
                and the answers concatenated into one long DataFrame.
4. memory    peak memory of ingest: the ingest process itself (VmHWM), its largest worker
             (RUSAGE_CHILDREN ru_maxrss) and the whole process tree (RSS and PSS summed over the
             tree, sampled every 50 ms from outside).
5. results   ratios printed, and written to results.json and RESULTS.md in --out (default: this
             folder).

Every timed contender runs in a fresh Python subprocess (this file with ``_task``), so each
starts equal: same interpreter, no warm heap, and its memory is its own. "seconds" is the work
alone, measured inside the subprocess after its imports; "wall_seconds" is the subprocess
from start to exit, interpreter start-up and imports included; "cpu_seconds" is user + system
time of the work, reaped child processes (ingest's reader workers, build's pool) included.
Targets use "seconds"; the same ratios on CPU seconds are recorded beside them because a
shared machine slows wall time (each task also records the 1-minute load average).

To measure another sheetkit tree (say a ``git archive`` of a commit), put it first on
PYTHONPATH and name it with SHEETKIT_BENCH_LABEL; results record the package's path and a
hash of its sources. ``--from-results results.json`` recomputes ratios and rewrites
RESULTS.md from stored figures without measuring anything.

``--quick`` runs the pandas loop on at most 100 files and scales its time linearly to N (marked
``"extrapolated": true`` in results.json). Nothing else changes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRAMEWORK = "lga-cbo"
ROUND = "2026"
PASSWORD = "x"
DEFAULT_NS = (100, 1000)
QUICK_PANDAS_FILES = 100
SAMPLE_INTERVAL = 0.05
RESULT_PREFIX = "BENCHMARK-RESULT "

# Targets, evaluated at the largest N (memory: largest N over smallest N).
TARGETS = {
    "ingest_over_read_floor": ("<=", 2.0),
    "pandas_over_ingest": (">=", 10.0),
    "build_over_build_floor": ("<=", 2.0),
    "ingest_memory_largest_over_smallest": ("<=", 1.5),
}

# Sentinels for the reference workbook the build floor copies its cell values from.
SENTINEL_NAME = "Zzrespondentzz Sentinel"
SENTINEL_ORG = "Zzorganisationzz Sentinel"
SENTINEL_EMAIL = "zzsentinel@example.org"


# -- respondents and answers -------------------------------------------------------------------
_AREAS = ["Northshire", "Eastborough", "Westvale", "Southmere", "Kingsford", "Ashby", "Bramley", "Caldwell",
          "Denholm", "Elmstead", "Fairhaven", "Glenridge", "Hartwell", "Ivybridge", "Juniper Vale"]
_SERVICES = ["Adult Social Care", "Housing", "Public Health", "Children's Services", "Commissioning",
             "ICB Partnership", "Voluntary Sector Forum", "Learning Disability Team", "Mental Health Services",
             "Carers' Support", "Market Development", "Quality Assurance"]
_FIRST = ["Alex", "Sam", "Priya", "Jordan", "Morgan", "Chen", "Fatima", "Owen", "Grace", "Tomasz", "Aisha", "Rhys"]
_LAST = ["Patel", "Jones", "Okafor", "Williams", "Nowak", "Evans", "Khan", "Murphy", "Li", "Davies", "Smith"]


def respondents(n: int) -> list:
    """N distinct, plausible respondents (deterministic)."""
    from sheetkit.respondents import Respondent

    rng = random.Random(20260101)
    people = []
    for i in range(n):
        area, service = _AREAS[i % len(_AREAS)], _SERVICES[(i // len(_AREAS)) % len(_SERVICES)]
        name = f"{service} {area} {i + 1:04d}"
        contact = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        email = f"{contact.split()[0].lower()}.{contact.split()[1].lower()}{i + 1}@{area.lower().replace(' ', '')}.gov.uk"
        people.append(Respondent(name, f"{area} Council", email, contact))
    return people


_ACTIONS = [
    "Publish a joint market position statement with health and housing",
    "Set up a provider forum that meets quarterly and reports to the board",
    "Agree shared outcome measures with the ICB and report them jointly",
    "Train commissioners in co-production and build it into every tender",
    "Review fee levels against the cost of care exercise and publish the method",
    "Recruit people with lived experience to the commissioning board",
    "Map unmet need for carers' breaks across the county",
    "Move home care contracts from time-and-task to outcomes",
    "Pool the equipment budget with health under section 75",
    "Run a workforce summit with providers on recruitment and retention",
    "Commission an independent review of the direct payments offer",
    "Build a shared data dashboard with housing and health partners",
]
_OWNERS = ["Head of Commissioning", "Market Development Manager", "Quality Lead", "Housing Strategy Lead",
           "ICB Partnership Manager", "Director of Adult Social Care", "Principal Social Worker"]
_RESOURCES = ["Existing team", "0.5 FTE analyst", "Joint funding with the ICB", "Better Care Fund allocation",
              "External facilitator, about 10 days", "Time from the provider forum chair"]
_MEASURES = ["Quarterly report to the board", "Survey of people using services", "Provider feedback survey",
             "Reduction in unmet hours of home care", "Number of co-produced service specifications",
             "Waiting times for assessment halved within a year"]


def full_answers(layout, rng: random.Random, lean: float) -> dict:
    """Every answer cell filled: sheetkit's realistic answers, then every action-plan row."""
    from sheetkit.filling import realistic_answers
    from sheetkit.framework import PRIORITIES
    from sheetkit.layout import ACTION_STATUSES

    answers = realistic_answers(layout, rng, lean, completeness=1.0)
    criteria = layout.criteria()
    for cell in layout.action_answers:
        if cell.key in answers:
            continue
        answers[cell.key] = {
            "criterion": lambda: rng.choice(criteria),
            "action": lambda: rng.choice(_ACTIONS),
            "owner": lambda: rng.choice(_OWNERS),
            "due": lambda: dt.datetime(2027, 1, 1) + dt.timedelta(days=rng.randrange(0, 540)),
            "priority": lambda: rng.choice(PRIORITIES),
            "resources": lambda: rng.choice(_RESOURCES),
            "measure": lambda: rng.choice(_MEASURES),
            "status": lambda: rng.choice(ACTION_STATUSES),
        }[cell.field.id]()
    missing = [c.key for c in layout.answers if c.key not in answers]
    if missing:
        raise RuntimeError(f"fill left {len(missing)} answer cell(s) empty, e.g. {missing[:3]}")
    return answers


# -- filling (setup, parallel) ------------------------------------------------------------------
_FILL_STATE: dict = {}


def _fill_init() -> None:
    from sheetkit.layout import plan_workbook
    from sheetkit.library import get_framework

    layout = plan_workbook(get_framework(FRAMEWORK))
    _FILL_STATE["layout"] = layout
    _FILL_STATE["cells"] = {cell.key: cell for cell in layout.answers + layout.signoff_answers}


def _fill_one(job: tuple[str, str, int]) -> int:
    """Type a full set of answers into one built workbook, as sheetkit.filling.fill_workbook does."""
    import openpyxl

    source, target, seed = job
    layout, cells = _FILL_STATE["layout"], _FILL_STATE["cells"]
    rng = random.Random(seed)
    answers = full_answers(layout, rng, lean=rng.uniform(-0.8, 0.8))
    workbook = openpyxl.load_workbook(source)
    for key, value in answers.items():
        cell = cells[key]
        target_cell = workbook[cell.sheet].cell(row=cell.row + 1, column=cell.col + 1)
        target_cell.value = value
        if isinstance(value, str) and value.startswith("="):
            target_cell.data_type = "s"
    # Saved a little before now (so before the build's deadline, four weeks ahead), each at its own minute.
    saved = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    workbook.properties.modified = saved - dt.timedelta(minutes=seed % 10_000)
    workbook.save(target)
    return len(answers)


def fill_all(built: list[Path], filled_dir: Path, jobs: int) -> dict:
    import multiprocessing as mp

    filled_dir.mkdir(parents=True, exist_ok=True)
    work = [(str(p), str(filled_dir / p.name), 1000 + i) for i, p in enumerate(built)]
    started = time.perf_counter()
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(processes=jobs, initializer=_fill_init) as pool:
        counts = list(pool.imap_unordered(_fill_one, work, chunksize=max(1, min(16, len(work) // (jobs * 4) or 1))))
    return {"seconds": round(time.perf_counter() - started, 3), "workers": jobs, "files": len(counts),
            "answers_per_workbook": min(counts) if counts else 0, "answers_total": sum(counts)}


# -- build floor template --------------------------------------------------------------------
def cell_template(scratch: Path) -> dict:
    """Every value sheetkit writes into a workbook, read back from one it built (sentinel respondent)."""
    import openpyxl

    from sheetkit.build import BuildOptions, build_workbooks
    from sheetkit.library import get_framework
    from sheetkit.respondents import Respondent

    result = build_workbooks(get_framework(FRAMEWORK), [Respondent(SENTINEL_NAME, SENTINEL_ORG, SENTINEL_EMAIL)],
                             BuildOptions(scratch, round=ROUND, password=PASSWORD))
    workbook = openpyxl.load_workbook(result.files[0].workbook)
    sheets, counts = [], {"string": 0, "number": 0, "formula": 0, "personal": 0}
    for ws in workbook.worksheets:
        cells = []
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                if c.data_type == "f":
                    kind, value = "formula", str(c.value)
                elif c.data_type == "n":
                    kind, value = "number", c.value
                else:
                    kind, value = "string", str(c.value)
                personal = kind == "string" and any(s in value for s in (SENTINEL_NAME, SENTINEL_ORG, SENTINEL_EMAIL))
                counts[kind] += 1
                counts["personal"] += personal
                cells.append([c.row - 1, c.column - 1, kind, value, personal])
        sheets.append({"name": ws.title, "cells": cells})
    return {"sheets": sheets, "counts": counts, "cells_per_workbook": sum(len(s["cells"]) for s in sheets)}


# -- tasks (each runs in a fresh subprocess) ----------------------------------------------------------
class Clock:
    """Wall time and CPU time (this process and its reaped children: the ingest workers) of the work."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu_seconds()

    def stop(self) -> dict:
        return {"seconds": time.perf_counter() - self.wall, "cpu_seconds": round(_cpu_seconds() - self.cpu, 3)}


def _cpu_seconds() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def task_build(spec: dict) -> dict:
    from sheetkit.build import BuildOptions, build_workbooks
    from sheetkit.library import get_framework

    framework = get_framework(FRAMEWORK)
    people = respondents(spec["n"])
    clock = Clock()
    result = build_workbooks(framework, people, BuildOptions(Path(spec["out_dir"]), round=ROUND, password=PASSWORD))
    timing = clock.stop()
    return {**timing, "files": len(result.files),
            "bytes": sum(f.workbook.stat().st_size for f in result.files)}


def task_build_floor(spec: dict) -> dict:
    import xlsxwriter

    template = json.loads(Path(spec["template"]).read_text(encoding="utf-8"))
    people = respondents(spec["n"])
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    for i, person in enumerate(people):
        workbook = xlsxwriter.Workbook(str(out_dir / f"floor-{i:05d}.xlsx"))
        for sheet in template["sheets"]:
            ws = workbook.add_worksheet(sheet["name"])
            for row, col, kind, value, personal in sheet["cells"]:
                if kind == "string":
                    if personal:
                        value = (value.replace(SENTINEL_NAME, person.name).replace(SENTINEL_ORG, person.organisation)
                                 .replace(SENTINEL_EMAIL, person.email))
                    ws.write_string(row, col, value)
                elif kind == "number":
                    ws.write_number(row, col, value)
                else:
                    ws.write_formula(row, col, value, None, 0)
        workbook.close()
    timing = clock.stop()
    return {**timing, "files": len(people), "cells_per_workbook": template["cells_per_workbook"],
            "bytes": sum(p.stat().st_size for p in out_dir.glob("*.xlsx"))}


def task_ingest(spec: dict) -> dict:
    from sheetkit.ingest import IngestOptions, ingest_returns
    from sheetkit.validate import ACCEPTED

    out = Path(spec["out"])
    clock = Clock()
    report = ingest_returns([spec["dir"]], IngestOptions(out=out))
    timing = clock.stop()
    errors = sum(1 for f in report.findings if f.is_error)
    return {**timing, "exit_code": report.exit_code, "files": len(report.returns),
            "accepted": sum(1 for r in report.returns if r.status == ACCEPTED),
            "errors": errors, "warnings": len(report.findings) - errors,
            "consolidated_bytes": out.stat().st_size if out.exists() else 0,
            "responses_rows": _responses_rows(out) if spec.get("verify") else None}


def _responses_rows(path: Path) -> int | None:
    """Rows of answers in the consolidated workbook's Responses sheet (a check that ingest did the job)."""
    from python_calamine import CalamineWorkbook

    if not path.exists():
        return None
    workbook = CalamineWorkbook.from_path(str(path))
    if "Responses" not in workbook.sheet_names:
        return None
    rows = workbook.get_sheet_by_name("Responses").to_python()
    header = next(n for n, row in enumerate(rows) if "respondent" in row and "value" in row)  # below the title
    return sum(1 for row in rows[header + 1:] if any(v not in ("", None) for v in row))


def task_calamine(spec: dict) -> dict:
    from python_calamine import CalamineWorkbook

    files = sorted(Path(spec["dir"]).glob("*.xlsx"))
    clock = Clock()
    cells = 0
    for path in files:
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
    return {**clock.stop(), "files": len(files), "cells": cells}


def task_pandas(spec: dict) -> dict:
    import pandas as pd

    files = sorted(Path(spec["dir"]).glob("*.xlsx"))[: spec.get("limit") or None]
    clock = Clock()
    frames = []
    for path in files:
        book = pd.read_excel(path, sheet_name=None, header=None)
        meta = book["_sheetkit"]
        who = dict(zip(meta[0].astype(str), meta[1])).get("respondent")
        for name, df in book.items():
            if name in ("Start", "Scale", "_sheetkit") or len(df) < 5:
                continue
            header = [str(h) for h in df.iloc[3]]
            header = [h if header.index(h) == i else f"{h}.{i}" for i, h in enumerate(header)]
            body = df.iloc[4:].copy()
            body.columns = header
            wanted = [h for h in header[1:] if h.endswith(("(type here)", "(pick)"))] or header[1:]
            long = body.melt(id_vars=[header[0]], value_vars=wanted, var_name="field", value_name="value")
            long = long.dropna(subset=["value"]).rename(columns={header[0]: "ref"})
            long.insert(0, "sheet", name)
            long.insert(0, "respondent", who)
            frames.append(long)
    answers = pd.concat(frames, ignore_index=True)
    return {**clock.stop(), "files": len(files), "rows": int(len(answers)), "engine": "openpyxl (pandas default)"}


TASKS = {"build": task_build, "build_floor": task_build_floor, "ingest": task_ingest, "calamine": task_calamine,
         "pandas": task_pandas}


def _task_main(spec_json: str) -> None:
    import resource

    spec = json.loads(spec_json)
    result = TASKS[spec["task"]](spec)
    # The process's own peak is VmHWM: ru_maxrss of a process started with fork/vfork + exec starts
    # at the parent's peak (Linux carries it across exec), so it would report the benchmark's memory.
    # Children (the ingest reader workers) are forked without exec, so RUSAGE_CHILDREN is their own
    # peak RSS (pages shared with this process at fork included).
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_rss_mb"] = round(_vm_hwm_kb() / 1024, 1)
    result["children_peak_rss_mb"] = round(kids / 1024, 1)  # Linux: kilobytes
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _vm_hwm_kb() -> int:
    import resource

    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- running a task and watching its memory ----------------------------------------------------------
class TreeSampler(threading.Thread):
    """Peak RSS and PSS summed over a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _tree(self.pid)
            rss = pss = 0
            for pid in pids:
                r, p = _memory_kb(pid)
                rss, pss = rss + r, pss + p
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._halt.wait(SAMPLE_INTERVAL)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


def run_task(spec: dict) -> dict:
    log(f"  {spec['task']} ({spec.get('n', '')})...")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_task", json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONHASHSEED="0"))
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    lines = [ln for ln in out.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"task {spec['task']} failed (exit {proc.returncode}):\n{err[-4000:]}")
    result = json.loads(lines[-1][len(RESULT_PREFIX):])
    result["seconds"] = round(result["seconds"], 3)
    result["wall_seconds"] = round(wall, 3)
    result["tree_peak_rss_mb"] = round(sampler.peak_rss_kb / 1024, 1)
    result["tree_peak_pss_mb"] = round(sampler.peak_pss_kb / 1024, 1)
    result["tree_peak_processes"] = sampler.peak_processes
    result["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    log(f"    {result['seconds']:.2f} s (cpu {result['cpu_seconds']:.2f} s, wall {wall:.2f} s), peak "
        f"{result['peak_rss_mb']} MB, tree PSS {result['tree_peak_pss_mb']} MB, load {result['load_average_1min']}")
    return result


def best_of(spec: dict, repeat: int, before=None) -> dict:
    """Run a task `repeat` times; keep the fastest run, with every run's seconds listed."""
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(run_task(spec))
    best = min(runs, key=lambda r: r["seconds"])
    best = dict(best, samples=[r["seconds"] for r in runs])
    # Memory is the worst seen across repeats.
    for key in ("peak_rss_mb", "children_peak_rss_mb", "tree_peak_rss_mb", "tree_peak_pss_mb"):
        best[key] = max(r[key] for r in runs)
    return best


# -- the benchmark ------------------------------------------------------------------------------
def bench_one(n: int, work: Path, template_path: Path, args) -> dict:
    log(f"N = {n}")
    root = work / f"n{n}"
    if root.exists():
        shutil.rmtree(root)
    built, floor, filled = root / "built", root / "floor", root / "filled"
    out = {"n": n}

    def clean(path: Path):
        return lambda: shutil.rmtree(path, ignore_errors=True)

    out["build"] = best_of({"task": "build", "n": n, "out_dir": str(built)}, args.repeat, clean(built))
    out["build_floor"] = best_of({"task": "build_floor", "n": n, "out_dir": str(floor), "template": str(template_path)},
                                 args.repeat, clean(floor))
    built_files = sorted(built.glob("*.xlsx"))
    if len(built_files) != n:
        raise RuntimeError(f"build made {len(built_files)} workbooks, expected {n}")

    log(f"  filling {n} workbooks on {args.jobs} processes (setup, not timed against anything)...")
    out["fill"] = fill_all(built_files, filled, args.jobs)
    log(f"    {out['fill']['seconds']:.1f} s, {out['fill']['answers_per_workbook']} answers per workbook")
    shutil.rmtree(floor, ignore_errors=True)
    for path in filled.glob("*.xlsx"):  # every contender starts with the files in the page cache
        path.read_bytes()

    out["calamine_floor"] = best_of({"task": "calamine", "n": n, "dir": str(filled)}, args.repeat)
    consolidated = root / "consolidated.xlsx"
    out["ingest"] = best_of({"task": "ingest", "n": n, "dir": str(filled), "out": str(consolidated),
                             "verify": n <= 100}, args.repeat,
                            lambda: consolidated.unlink(missing_ok=True))
    if out["ingest"]["accepted"] != n or out["ingest"]["errors"]:
        raise RuntimeError(f"ingest accepted {out['ingest']['accepted']} of {n} returns with "
                           f"{out['ingest']['errors']} error(s): the fill is not clean")
    limit = min(n, QUICK_PANDAS_FILES) if args.quick else None
    pandas = run_task({"task": "pandas", "n": n, "dir": str(filled), "limit": limit})
    pandas["extrapolated"] = bool(limit and limit < n)
    if pandas["extrapolated"]:
        pandas["measured_seconds"], pandas["measured_files"] = pandas["seconds"], pandas["files"]
        pandas["seconds"] = round(pandas["seconds"] * n / pandas["files"], 3)
    out["pandas_loop"] = pandas

    if pandas["extrapolated"]:
        pandas["measured_cpu_seconds"] = pandas["cpu_seconds"]
        pandas["cpu_seconds"] = round(pandas["cpu_seconds"] * n / pandas["files"], 3)
    out["ratios"] = run_ratios(out)
    out["ingest_memory_mb"] = {
        "tree_peak_pss": out["ingest"]["tree_peak_pss_mb"],
        "tree_peak_rss": out["ingest"]["tree_peak_rss_mb"],
        "parent_peak_rss": out["ingest"]["peak_rss_mb"],
        "max_worker_peak_rss": out["ingest"]["children_peak_rss_mb"],
    }
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return out


def run_ratios(out: dict) -> dict:
    """Ratios of the work times, and the same of CPU seconds (less sensitive to a busy machine)."""
    ingest, floor, pandas = out["ingest"], out["calamine_floor"], out["pandas_loop"]
    build, build_floor = out["build"], out["build_floor"]
    return {
        "ingest_over_read_floor": _ratio(ingest["seconds"], floor["seconds"]),
        "pandas_over_ingest": _ratio(pandas["seconds"], ingest["seconds"]),
        "build_over_build_floor": _ratio(build["seconds"], build_floor["seconds"]),
        "cpu": {
            "ingest_over_read_floor": _ratio(ingest.get("cpu_seconds", 0), floor.get("cpu_seconds", 0)),
            "pandas_over_ingest": _ratio(pandas.get("cpu_seconds", 0), ingest.get("cpu_seconds", 0)),
            "build_over_build_floor": _ratio(build.get("cpu_seconds", 0), build_floor.get("cpu_seconds", 0)),
        },
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def summarise(runs: dict[int, dict]) -> tuple[dict, dict]:
    ns = sorted(runs)
    largest, smallest = runs[ns[-1]], runs[ns[0]]
    ratios = dict(largest["ratios"])
    ratios["cpu"] = dict(largest["ratios"].get("cpu", {}))
    ratios["at_n"] = ns[-1]
    if len(ns) > 1:
        mem = largest["ingest_memory_mb"], smallest["ingest_memory_mb"]
        ratios["ingest_memory_largest_over_smallest"] = _ratio(mem[0]["tree_peak_pss"], mem[1]["tree_peak_pss"])
        ratios["ingest_parent_memory_largest_over_smallest"] = _ratio(mem[0]["parent_peak_rss"], mem[1]["parent_peak_rss"])
        ratios["memory_ns"] = [ns[-1], ns[0]]
    else:
        ratios["ingest_memory_largest_over_smallest"] = None
        ratios["ingest_parent_memory_largest_over_smallest"] = None
        ratios["memory_ns"] = None
    targets = {}
    for key, (op, bound) in TARGETS.items():
        value = ratios.get(key)
        met = None if value is None else (value <= bound if op == "<=" else value >= bound)
        targets[key] = {"target": f"{op} {bound}", "value": value, "met": met}
    return ratios, targets


def machine() -> dict:
    from importlib import metadata

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for pkg in ("sheetkit", "xlsxwriter", "openpyxl", "python-calamine", "pandas", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    import sheetkit

    package = Path(sheetkit.__file__).resolve().parent
    commit = ""
    if package.parent == HERE.parent:  # the sheetkit of this checkout (not one put first on PYTHONPATH)
        try:
            commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                                    capture_output=True, text=True, timeout=10).stdout.strip()
            dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "sheetkit",
                                    "frameworks", "templates"], capture_output=True, text=True, timeout=10).stdout.strip()
            commit += " (with uncommitted changes to sheetkit/, frameworks/ or templates/)" if dirty else ""
        except (OSError, subprocess.SubprocessError):
            pass
    else:
        commit = os.environ.get("SHEETKIT_BENCH_LABEL", "")
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return {"nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu_model": cpu, "ram_gib": ram, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "libraries": versions, "git_commit": commit, "sheetkit_path": str(package),
            "sheetkit_source_sha256": digest.hexdigest()[:16]}


def write_markdown(path: Path, results: dict) -> None:
    m, runs, ratios, targets = results["machine"], results["runs"], results["ratios"], results["targets"]
    lines = [
        "# sheetkit benchmark results",
        "",
        f"Run {results['date']} with `{results['command']}` on framework `{results['framework']}`"
        f"{' (quick: pandas loop extrapolated from a sample)' if results['quick'] else ''}.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model'] or 'unknown CPU'}), {m['ram_gib']} GiB RAM, "
        f"Python {m['python']} ({m['platform']}); "
        + ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
        + (f"; sheetkit at {m['git_commit']}" if m.get("git_commit") else "")
        + (f" (sources {m['sheetkit_source_sha256']})" if m.get("sheetkit_source_sha256") else "") + ".",
        "",
        "Times are seconds of work inside a fresh subprocess (imports excluded); wall time, start-up "
        "included, in brackets. Each workbook has every answer cell filled "
        f"({next(iter(runs.values()))['fill']['answers_per_workbook']} answers).",
        "",
        "| N | build | build floor (bare XlsxWriter) | build / floor | ingest | read floor (calamine) "
        "| ingest / floor | pandas loop | pandas / ingest |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in runs.items():
        p = r["pandas_loop"]
        lines.append(
            f"| {n} | {r['build']['seconds']:.2f} ({r['build']['wall_seconds']:.2f}) "
            f"| {r['build_floor']['seconds']:.2f} ({r['build_floor']['wall_seconds']:.2f}) "
            f"| {r['ratios']['build_over_build_floor']:.2f}× "
            f"| {r['ingest']['seconds']:.2f} ({r['ingest']['wall_seconds']:.2f}) "
            f"| {r['calamine_floor']['seconds']:.2f} ({r['calamine_floor']['wall_seconds']:.2f}) "
            f"| {r['ratios']['ingest_over_read_floor']:.2f}× "
            f"| {p['seconds']:.2f}{' (extrapolated)' if p.get('extrapolated') else ''} "
            f"| {r['ratios']['pandas_over_ingest']:.2f}× |")
    lines += [
        "",
        "CPU seconds (user + system, the ingest reader workers included) and the machine's 1-minute load "
        "average before and after each task (the machine may be shared: a load above the 2 cores "
        "means the wall times above were slowed by other work).",
        "",
        "| N | build cpu | build floor cpu | build / floor (cpu) | ingest cpu | read floor cpu | ingest / floor (cpu) "
        "| pandas loop cpu | pandas / ingest (cpu) | load (build / ingest / pandas) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, r in runs.items():
        load = " / ".join("→".join(str(x) for x in r[k].get("load_average_1min", [])) for k in
                          ("build", "ingest", "pandas_loop"))
        cpu = r["ratios"]["cpu"]
        lines.append(f"| {n} | {r['build']['cpu_seconds']:.2f} | {r['build_floor']['cpu_seconds']:.2f} "
                     f"| {cpu['build_over_build_floor']:.2f}× "
                     f"| {r['ingest']['cpu_seconds']:.2f} | {r['calamine_floor']['cpu_seconds']:.2f} "
                     f"| {cpu['ingest_over_read_floor']:.2f}× "
                     f"| {r['pandas_loop']['cpu_seconds']:.2f} | {cpu['pandas_over_ingest']:.2f}× | {load} |")
    lines += [
        "",
        "Peak memory of ingest (MB): the whole process tree sampled every 50 ms (PSS: shared pages split "
        "between the processes sharing them; RSS: plain sum), the ingest process itself (VmHWM) and its "
        "largest reader worker (RUSAGE_CHILDREN ru_maxrss).",
        "",
        "| N | tree PSS | tree RSS | ingest process | largest worker | calamine floor process | pandas loop process |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in runs.items():
        mem = r["ingest_memory_mb"]
        lines.append(f"| {n} | {mem['tree_peak_pss']} | {mem['tree_peak_rss']} | {mem['parent_peak_rss']} "
                     f"| {mem['max_worker_peak_rss']} | {r['calamine_floor']['peak_rss_mb']} "
                     f"| {r['pandas_loop']['peak_rss_mb']} |")
    lines += ["", f"Targets (at N = {ratios['at_n']}; memory: N = {ratios['memory_ns'][0]} over N = "
                  f"{ratios['memory_ns'][1]})" if ratios["memory_ns"] else f"Targets (at N = {ratios['at_n']})",
              "", "| measure | target | measured | met | same on CPU seconds |", "|---|---|---:|---|---:|"]
    names = {"ingest_over_read_floor": "ingest / calamine read floor",
             "pandas_over_ingest": "pandas loop / ingest",
             "build_over_build_floor": "build / bare XlsxWriter floor",
             "ingest_memory_largest_over_smallest": "ingest peak memory (tree PSS), largest N / smallest N"}
    for key, t in targets.items():
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}×"
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        cpu = ratios.get("cpu", {}).get(key)
        lines.append(f"| {names[key]} | {t['target']}× | {value} | {met} | {'' if cpu is None else f'{cpu:.2f}×'} |")
    if ratios.get("ingest_parent_memory_largest_over_smallest") is not None:
        lines += ["", f"Ingest process alone (VmHWM), largest N / smallest N: "
                      f"{ratios['ingest_parent_memory_largest_over_smallest']:.2f}×."]
    lines += ["", "Raw figures, every sample and the settings are in `results.json`.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_task"]:
        _task_main(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="number of respondents (repeatable; default 100 and 1000)")
    parser.add_argument("--quick", action="store_true", help=f"pandas loop on at most {QUICK_PANDAS_FILES} files, "
                                                             f"scaled to N")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and RESULTS.md (default: benchmarks/)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the workbooks go (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each timed task; the fastest is kept")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the (untimed) filling")
    parser.add_argument("--keep", action="store_true", help="keep the workbooks")
    parser.add_argument("--from-results", type=Path, metavar="JSON",
                        help="measure nothing: recompute the ratios of a results.json and rewrite RESULTS.md beside it")
    args = parser.parse_args(argv)
    if args.from_results:
        results = json.loads(args.from_results.read_text(encoding="utf-8"))
        runs = {int(n): r for n, r in results["runs"].items()}
        for r in runs.values():
            r["ratios"] = run_ratios(r)
        ratios, targets = summarise(runs)
        results.update(ratios=ratios, targets=targets)
        args.from_results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_markdown(args.from_results.parent / "RESULTS.md", results)
        print(f"Rewrote {args.from_results} and {args.from_results.parent / 'RESULTS.md'}")
        return 0
    ns = sorted(set(args.n or DEFAULT_NS))
    if any(n < 1 for n in ns):
        parser.error("--n must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sheetkit-bench-", dir=args.workdir))
    command = "python3 benchmarks/run.py " + " ".join(argv)
    log(f"workbooks in {work}")
    try:
        template = cell_template(work / "reference")
        template_path = work / "cells.json"
        template_path.write_text(json.dumps(template), encoding="utf-8")
        log(f"build floor writes {template['cells_per_workbook']} cells per workbook {template['counts']}")
        runs = {}
        results = {"schema": 1, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                   "command": command.strip(), "framework": FRAMEWORK, "quick": args.quick, "repeat": args.repeat,
                   "ns": ns, "machine": machine(),
                   "build_floor_cells": {"per_workbook": template["cells_per_workbook"], **template["counts"]}}
        for n in ns:
            runs[n] = bench_one(n, work, template_path, args)
            ratios, targets = summarise(runs)
            results.update(runs={str(k): v for k, v in runs.items()}, ratios=ratios, targets=targets)
            (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_markdown(args.out / "RESULTS.md", results)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'N':>6} {'build/floor':>12} {'ingest/floor':>13} {'pandas/ingest':>14} {'ingest PSS MB':>14}")
    for n, r in runs.items():
        rt = r["ratios"]
        print(f"{n:>6} {rt['build_over_build_floor']:>11.2f}x {rt['ingest_over_read_floor']:>12.2f}x "
              f"{rt['pandas_over_ingest']:>13.2f}x {r['ingest_memory_mb']['tree_peak_pss']:>14}")
    print()
    for key, t in results["targets"].items():
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}x"
        print(f"  {key:<40} {value:>9}  target {t['target']:<7} {verdict}")
    print(f"\nWrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
