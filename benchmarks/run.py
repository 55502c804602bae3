"""sheetkit benchmark: build, validate, ingest and re-ingest against fair floors, in one run.

    python3 benchmarks/run.py                  # N = 1,000, 3,000 and 10,000 (about an hour on 2 cores)
    python3 benchmarks/run.py --n 1000         # one N
    python3 benchmarks/run.py --quick          # tiny N, for the test suite's smoke run

With the bundled ``lga-cbo`` framework, every answer cell of every workbook filled (391):

1. build       ``build_workbooks`` for N respondents (ms per return, wall and CPU);
   build floor  bare XlsxWriter, in-memory mode, one process, writing the same cell values
                (read back from a workbook sheetkit built) to each file, at the smallest N.
2. fill        every answer cell of the largest N's workbooks (and one more, the late
               return), with openpyxl over all cores. Setup, not timed. Each smaller N uses the
               first N of these files.
3. for each N:
   calamine     python-calamine reading every cell of every file, over all cores: the read floor;
   validate     ``validate_returns`` (read and check, write nothing);
   ingest       ``ingest_returns`` from cold (an empty re-ingest cache, which it fills);
   write floor  the fastest writer available (rustpy-xlsxwriter if installed, else XlsxWriter in
                constant-memory mode) writing every cell of the consolidated workbook ingest wrote;
                rustpy-xlsxwriter is not a sheetkit dependency: pip install it for the fairest floor;
   re-ingest    ``ingest_returns`` again after one new return arrives, with the cache;
   pandas       ``pandas.read_excel(sheet_name=None)`` per file and the answers melted into one
                long table (the usual hand-written loop), on at most PANDAS_SAMPLE files, scaled
                to N.
4. memory      peak RSS and PSS summed over each task's whole process tree (its workers too),
               sampled every 50 ms from outside.

Every timed task runs in a fresh subprocess (this file with ``_task``): "seconds" is the work
alone, after imports; "cpu_seconds" is user + system time, reaped worker processes included.
Results go to results.json and RESULTS.md in --out (default: this folder), with each target
stated as met or missed, by how much, and why.
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
DEFAULT_NS = (1000, 3000, 10000)
QUICK_NS = (4, 8)
PANDAS_SAMPLE = 200
REFERENCE_N = 1000  # the N the speed targets are judged at (the smallest measured, if 1,000 is not)
SAMPLE_INTERVAL = 0.05
KEPT_OUT_ROWS = 4 * (1_048_576 - 4)  # sheetkit.common.limits: four sheets of rows below a title and header
RESULT_PREFIX = "BENCHMARK-RESULT "

# measure: (how it compares, bound, what it is)
TARGETS = {
    "ingest_over_fair_floor": ("<=", 1.5, "ingest / fair floor (calamine on all cores + fastest writer)"),
    "validate_over_calamine": ("<=", 1.2, "validate / calamine read on all cores"),
    "reingest_over_cold": ("<=", 0.25, "re-ingest after one new return / cold ingest"),
    "memory_largest_over_smallest": ("<=", 1.2, "ingest peak memory (tree PSS), largest N / smallest N"),
    "build_cpu_over_bare": ("<=", 1.0, "build CPU per return / bare XlsxWriter (in memory, one process)"),
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
    from sheetkit.roster.respondents import Respondent

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
    from sheetkit.samples.filling import realistic_answers
    from sheetkit.framework.model import PRIORITIES
    from sheetkit.framework.model import ACTION_STATUSES
    from sheetkit.framework.model import criteria as criterion_ids

    answers = realistic_answers(layout, rng, lean, completeness=1.0)
    criteria = criterion_ids(layout.framework)
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
    from sheetkit.workbook.plan import plan_workbook
    from sheetkit.framework.library import get_framework

    layout = plan_workbook(get_framework(FRAMEWORK))
    _FILL_STATE["layout"] = layout
    _FILL_STATE["cells"] = {cell.key: cell for cell in layout.answers + layout.signoff_answers}


def _fill_one(job: tuple[str, str, int]) -> int:
    """Type a full set of answers into one built workbook, as sheetkit.samples.filling.fill_workbook does."""
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

    from sheetkit.commands.build import BuildOptions, build_workbooks
    from sheetkit.framework.library import get_framework
    from sheetkit.roster.respondents import Respondent

    result = build_workbooks(get_framework(FRAMEWORK), [Respondent(SENTINEL_NAME, SENTINEL_ORG, SENTINEL_EMAIL)],
                             BuildOptions(scratch, round=ROUND, password=PASSWORD, records=scratch))
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
    from sheetkit.commands.build import BuildOptions, build_workbooks
    from sheetkit.framework.library import get_framework

    framework = get_framework(FRAMEWORK)
    people = respondents(spec["n"])
    clock = Clock()
    result = build_workbooks(framework, people, BuildOptions(Path(spec["out_dir"]), round=ROUND, password=PASSWORD,
                                                             records=Path(spec["out_dir"])))
    return {**clock.stop(), "files": len(result.files)}


def task_build_floor(spec: dict) -> dict:
    """Bare XlsxWriter, in-memory mode, in one process: the same cell values, nothing else."""
    import xlsxwriter

    template = json.loads(Path(spec["template"]).read_text(encoding="utf-8"))
    people = respondents(spec["n"])
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    for i, person in enumerate(people):
        workbook = xlsxwriter.Workbook(str(out_dir / f"floor-{i:05d}.xlsx"), {"in_memory": True})
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
    return {**clock.stop(), "files": len(people), "cells_per_workbook": template["cells_per_workbook"]}


def _read_every_cell(path: str) -> int:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(path)
    return sum(len(row) for name in workbook.sheet_names for row in workbook.get_sheet_by_name(name).to_python())


def task_calamine(spec: dict) -> dict:
    """python-calamine reading every cell of every file, one process per core."""
    import multiprocessing as mp

    files = [str(p) for p in sorted(Path(spec["dir"]).glob("*.xlsx"))]
    jobs = os.cpu_count() or 1
    clock = Clock()
    with mp.get_context("fork").Pool(jobs) as pool:
        cells = sum(pool.imap_unordered(_read_every_cell, files, chunksize=8))
    return {**clock.stop(), "files": len(files), "cells": cells, "processes": jobs}


def task_validate(spec: dict) -> dict:
    from sheetkit.commands.ingest import IngestOptions
    from sheetkit.returns.check import validate_returns

    clock = Clock()
    report = validate_returns([spec["dir"]], IngestOptions())
    return {**clock.stop(), "files": len(report.returns), "errors": sum(1 for f in report.findings if f.is_error)}


def task_ingest(spec: dict) -> dict:
    from sheetkit.commands.ingest import IngestOptions, ingest_returns
    from sheetkit.returns.model import ACCEPTED

    out = Path(spec["out"])
    clock = Clock()
    report = ingest_returns([spec["dir"]], IngestOptions(out=out, cache=Path(spec["cache"])))
    timing = clock.stop()
    errors = sum(1 for f in report.findings if f.is_error)
    return {**timing, "exit_code": report.exit_code, "files": len(report.returns),
            "accepted": sum(1 for r in report.returns if r.status == ACCEPTED), "errors": errors,
            "warnings": len(report.findings) - errors, "consolidated_bytes": out.stat().st_size,
            "responses_rows": _responses_rows(out) if spec.get("verify") else None}


def _responses_rows(path: Path) -> int:
    """Rows of answers on the Responses sheet and any sheets continuing it (a check that ingest did the job)."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    total = 0
    for name in workbook.sheet_names:
        if name == "Responses" or name.startswith("Responses ("):
            rows = workbook.get_sheet_by_name(name).to_python()
            header = next(n for n, row in enumerate(rows) if "respondent" in row and "value" in row)
            total += sum(1 for row in rows[header + 1:] if any(v not in ("", None) for v in row))
    return total


def task_write_floor(spec: dict) -> dict:
    """The fastest writer available writing every cell of the consolidated workbook, sheet by sheet."""
    from python_calamine import CalamineWorkbook

    source = CalamineWorkbook.from_path(spec["consolidated"])
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    writer, write = _fastest_writer()
    seconds = cpu = 0.0
    cells = 0
    for n, name in enumerate(source.sheet_names):
        rows = source.get_sheet_by_name(name).to_python()  # loading is not timed
        cells += sum(len(r) for r in rows)
        clock = Clock()
        write(rows, str(out_dir / f"sheet-{n:02d}.xlsx"))
        timing = clock.stop()
        seconds, cpu = seconds + timing["seconds"], cpu + timing["cpu_seconds"]
        del rows
    return {"seconds": seconds, "cpu_seconds": round(cpu, 3), "cells": cells, "writer": writer}


def _fastest_writer():
    """rustpy-xlsxwriter (Rust) when installed, else XlsxWriter's constant-memory mode."""
    try:
        import rustpy_xlsxwriter
    except ImportError:
        import xlsxwriter

        def write(rows, path):
            workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
            ws = workbook.add_worksheet()
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value in ("", None):
                        continue
                    if isinstance(value, str):
                        ws.write_string(r, c, value)
                    elif isinstance(value, (int, float)):
                        ws.write_number(r, c, value)
                    else:
                        ws.write_datetime(r, c, value)
            workbook.close()
        return "XlsxWriter (constant memory)", write

    def write(rows, path):
        # rustpy-xlsxwriter writes the keys as a header row: it stands in for the sheet's first row.
        width = max((len(r) for r in rows), default=0)
        keys = [f"c{i}" for i in range(width)]
        rustpy_xlsxwriter.write_worksheet([dict(zip(keys, row)) for row in rows[1:]], path)
    return "rustpy-xlsxwriter", write


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
    return {**clock.stop(), "files": len(files), "rows": int(len(answers))}


TASKS = {"build": task_build, "build_floor": task_build_floor, "calamine": task_calamine, "validate": task_validate,
         "ingest": task_ingest, "write_floor": task_write_floor, "pandas": task_pandas}


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


# -- the benchmark ------------------------------------------------------------------------------
def link_first(filled: list[Path], n: int, folder: Path) -> Path:
    """A folder holding the first `n` filled returns (hard links: no copying)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in filled[:n]:
        _link(path, folder / path.name)
    return folder


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def bench_n(n: int, filled: list[Path], root: Path, args) -> dict:
    """Read, validate, ingest, write floor, re-ingest and pandas at one N."""
    log(f"N = {n}")
    here = root / f"n{n}"
    shutil.rmtree(here, ignore_errors=True)
    returns = link_first(filled, n, here / "returns")
    for path in returns.glob("*.xlsx"):  # every contender starts with the files in the page cache
        path.read_bytes()
    out, cache = here / "consolidated.xlsx", here / "cache"
    r = {"n": n}
    r["calamine"] = run_task({"task": "calamine", "dir": str(returns)})
    r["validate"] = run_task({"task": "validate", "dir": str(returns)})
    r["ingest"] = run_task({"task": "ingest", "dir": str(returns), "out": str(out), "cache": str(cache),
                            "verify": n <= 100})
    # Errors are counted, not refused: a random fill now and then puts seven distinct texts of a
    # column in alphabetical order, which ingest rightly reports as a column sorted on its own.
    if r["ingest"]["accepted"] != n:
        raise RuntimeError(f"ingest accepted {r['ingest']['accepted']} of {n} returns: the fill is not clean")
    r["write_floor"] = run_task({"task": "write_floor", "consolidated": str(out), "out_dir": str(here / "floor")})
    shutil.rmtree(here / "floor", ignore_errors=True)
    _link(filled[n], returns / filled[n].name)  # one late return arrives
    r["reingest"] = run_task({"task": "ingest", "dir": str(returns), "out": str(out), "cache": str(cache)})
    pandas = run_task({"task": "pandas", "dir": str(returns), "limit": min(n, PANDAS_SAMPLE)})
    pandas["measured_seconds"], pandas["extrapolated"] = pandas["seconds"], pandas["files"] < n
    pandas["seconds"] = round(pandas["seconds"] * n / pandas["files"], 3)
    r["pandas"] = pandas
    r["ratios"] = ratios_at(r)
    if not args.keep:
        shutil.rmtree(here, ignore_errors=True)
    return r


def ratios_at(r: dict) -> dict:
    n = r["n"]
    floor = r["calamine"]["seconds"] + r["write_floor"]["seconds"]
    return {
        "fair_floor_seconds": round(floor, 3),
        "ingest_over_fair_floor": _ratio(r["ingest"]["seconds"], floor),
        "validate_over_calamine": _ratio(r["validate"]["seconds"], r["calamine"]["seconds"]),
        "reingest_over_cold": _ratio(r["reingest"]["seconds"], r["ingest"]["seconds"]),
        "pandas_over_ingest": _ratio(r["pandas"]["seconds"], r["ingest"]["seconds"]),
        "ms_per_return": {part: round(1000 * r[part]["seconds"] / n, 2)
                          for part in ("calamine", "validate", "ingest", "reingest", "pandas")},
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def summarise(results: dict) -> None:
    """The targets: speed at the reference N, memory across the Ns, build CPU per return."""
    runs = {int(n): r for n, r in results["runs"].items()}
    ns = sorted(runs)
    ref = REFERENCE_N if REFERENCE_N in runs else ns[0]
    values = {key: runs[ref]["ratios"][key] for key in ("ingest_over_fair_floor", "validate_over_calamine",
                                                         "reingest_over_cold")}
    values["memory_largest_over_smallest"] = (_ratio(runs[ns[-1]]["ingest"]["tree_peak_pss_mb"],
                                                     runs[ns[0]]["ingest"]["tree_peak_pss_mb"])
                                              if len(ns) > 1 else None)
    builds, floor = results["builds"], results["build_floor"]
    ref_build = builds[str(ref)] if str(ref) in builds else builds[str(ns[0])]
    values["build_cpu_over_bare"] = _ratio(ref_build["cpu_seconds"] / ref_build["files"],
                                           floor["cpu_seconds"] / floor["files"])
    results["reference_n"] = ref
    results["targets"] = {}
    for key, (op, bound, what) in TARGETS.items():
        value = values[key]
        met = None if value is None else (value <= bound if op == "<=" else value >= bound)
        results["targets"][key] = {"what": what, "target": f"{op} {bound}", "value": value, "met": met,
                                   "by": None if value is None else round(value / bound, 3)}


# Why each target is met or missed, from what these measurements and profiles show.
WHY = {
    "ingest_over_fair_floor": "The floor only parses cells and writes cells. Per return, ingest also inspects the "
                              "file before parsing it (sizes, DTDs, macros, encryption), finds each answer by its "
                              "row's Ref and label and its column's header, checks every answer (about 20 ms of CPU "
                              "per return in the reader workers, against about 1.3 ms for calamine's parse), spools the answers "
                              "and keeps the return in the re-ingest cache; then it writes some 16 sheets, the long "
                              "tables encoded row by row in Python (about three times the Rust writer's time).",
    "validate_over_calamine": "The same per-return inspection, location and checks as ingest, in the reader "
                              "workers: about fifteen times the CPU of calamine's parse of the same file.",
    "reingest_over_cold": "Returns already seen are not read again, but the answer spool is refilled from the "
                          "cache and the whole consolidated workbook is written again, every Responses row "
                          "included: that writing is about half of a cold ingest. Keeping each return's long-table "
                          "rows ready-encoded in the cache would be the next step.",
    "memory_largest_over_smallest": "Answers are spooled to disk and nothing is held per answer, but the workbook "
                                    "itself grows with N: Ratings and the Dashboard's heat map have a column per "
                                    "partner and Returns a row per return, held by XlsxWriter until it saves.",
    "build_cpu_over_bare": "The floor writes only the cell values; build also writes styles, dropdown "
                           "validations, conditional formats, sheet protection, the criteria list, defined names "
                           "and properties, and fits row heights. Wall time is lower than CPU time: build uses "
                           "every core.",
}


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
    m, runs, targets = results["machine"], results["runs"], results["targets"]
    writer = next(iter(runs.values()))["write_floor"]["writer"]
    lines = [
        "# sheetkit benchmark results", "",
        f"Run {results['date']} with `{results['command']}` on framework `{results['framework']}`, every "
        f"answer cell filled ({results['answers_per_workbook']} answers per return).", "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model'] or 'unknown CPU'}), {m['ram_gib']} GiB RAM, "
        f"Python {m['python']} ({m['platform']}); "
        + ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
        + (f"; sheetkit at {m['git_commit']}" if m.get("git_commit") else "") + ". The machine is shared: "
        "the 1-minute load average before and after each task is in results.json.", "",
        "Milliseconds per return (seconds of work in brackets; each task in a fresh subprocess, imports "
        "excluded). The fair floor is python-calamine reading every cell of every return on all "
        f"cores plus {writer} writing every cell of the consolidated workbook ingest wrote.", "",
        "| N | validate | ingest (cold) | re-ingest (+1 return) | calamine, all cores | write floor | fair floor "
        "| ingest / floor | validate / calamine | re-ingest / cold | pandas loop | pandas / ingest |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in runs.items():
        per, rt, n = r["ratios"]["ms_per_return"], r["ratios"], int(n)
        cell = lambda part: f"{per[part]:.1f} ({r[part]['seconds']:.1f} s)"  # noqa: E731
        lines.append(f"| {n:,} | {cell('validate')} | {cell('ingest')} | {cell('reingest')} | {cell('calamine')} "
                     f"| {r['write_floor']['seconds']:.1f} s | {rt['fair_floor_seconds']:.1f} s "
                     f"| {rt['ingest_over_fair_floor']:.2f}× | {rt['validate_over_calamine']:.2f}× "
                     f"| {rt['reingest_over_cold']:.2f}× | {cell('pandas')}"
                     f"{' (from ' + str(r['pandas']['files']) + ' files)' if r['pandas']['extrapolated'] else ''} "
                     f"| {rt['pandas_over_ingest']:.1f}× |")
    lines += ["", "Peak memory (MB), summed over each task's whole process tree (its reader workers too), "
              "sampled every 50 ms: PSS (shared pages split between the processes sharing them) and RSS.", "",
              "| N | ingest PSS | ingest RSS | ingest processes | re-ingest PSS | validate PSS | consolidated workbook "
              "| errors found |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in runs.items():
        i = r["ingest"]
        lines.append(f"| {int(n):,} | {i['tree_peak_pss_mb']} | {i['tree_peak_rss_mb']} | {i['tree_peak_processes']} "
                     f"| {r['reingest']['tree_peak_pss_mb']} | {r['validate']['tree_peak_pss_mb']} "
                     f"| {i['consolidated_bytes'] / 1e6:.0f} MB | {i['errors']} |")
    floor = results["build_floor"]
    lines += ["", f"Build: milliseconds per workbook (wall, and CPU with the build's worker processes), against "
                  f"bare XlsxWriter in in-memory mode in one process writing the same "
                  f"{floor['cells_per_workbook']} cell values and nothing else (no styles, validation, "
                  f"protection, names or properties), measured at N = {floor['files']:,}: "
                  f"{1000 * floor['seconds'] / floor['files']:.1f} ms wall, "
                  f"{1000 * floor['cpu_seconds'] / floor['files']:.1f} ms CPU per workbook"
                  + (f" (builds measured {results['builds_measured']}, at {results['builds_commit']}, in the run "
                     f"that filled these returns)" if results.get("builds_measured") else "") + ".", "",
              "| N | build wall | build CPU | build CPU / bare XlsxWriter CPU |", "|---:|---:|---:|---:|"]
    for n, b in results["builds"].items():
        cpu = b["cpu_seconds"] / b["files"]
        lines.append(f"| {int(n):,} | {1000 * b['seconds'] / b['files']:.1f} | {1000 * cpu:.1f} "
                     f"| {cpu / (floor['cpu_seconds'] / floor['files']):.2f}× |")
    lines += ["", f"Targets (speed at N = {results['reference_n']:,}; memory: largest N over smallest)", "",
              "| measure | target | measured | met | by how much | why |", "|---|---|---:|---|---:|---|"]
    for key, t in targets.items():
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}×"
        met = "n/a" if t["met"] is None else ("met" if t["met"] else "**missed**")
        by = "" if t["by"] is None else (f"{(1 - t['by']) * 100:.0f}% under" if t["met"] else
                                         f"{(t['by'] - 1) * 100:.0f}% over")
        lines.append(f"| {t['what']} | {t['target']}× | {value} | {met} | {by} | {WHY.get(key, '')} |")
    kept = [n for n in runs if int(n) * results["answers_per_workbook"] > KEPT_OUT_ROWS]
    if kept:
        lines += ["", f"At N = {', '.join(f'{int(n):,}' for n in kept)} the Responses table needs more than four "
                      f"sheets, so ingest writes it as a CSV file beside the workbook (with a table-kept-out "
                      f"warning); the write floor writes only the workbook's cells, so ingest / floor overstates "
                      f"there."]
    lines += ["", "'Errors found' are columns ingest reported as sorted on their own: the random fill now and "
                  "then leaves seven distinct texts of a column in alphabetical order, as a sort would.",
              "", "Raw figures, CPU times, load averages and settings are in `results.json`.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_task"]:
        _task_main(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="number of returns (repeatable; default 1,000, "
                                                               "3,000 and 10,000)")
    parser.add_argument("--quick", action="store_true", help=f"tiny N ({', '.join(map(str, QUICK_NS))}): a smoke run")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and RESULTS.md (default: benchmarks/)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the workbooks go (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the (untimed) filling")
    parser.add_argument("--keep", action="store_true", help="keep the workbooks")
    parser.add_argument("--reuse", type=Path, metavar="WORKDIR",
                        help="measure again on the filled returns a run with --keep left in WORKDIR, taking its "
                             "build figures from the results.json in --out")
    parser.add_argument("--from-results", type=Path, metavar="JSON",
                        help="measure nothing: rewrite RESULTS.md beside a results.json from its figures")
    args = parser.parse_args(argv)
    if args.from_results:
        results = json.loads(args.from_results.read_text(encoding="utf-8"))
        summarise(results)
        write_markdown(args.from_results.parent / "RESULTS.md", results)
        return 0
    ns = sorted(set(args.n or (QUICK_NS if args.quick else DEFAULT_NS)))
    if any(n < 1 for n in ns):
        parser.error("--n must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.reuse or Path(tempfile.mkdtemp(prefix="sheetkit-bench-", dir=args.workdir))
    log(f"workbooks in {work}")
    try:
        results = run_all(ns, work, args)
        results["command"] = ("python3 benchmarks/run.py " + " ".join(argv)).strip()
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_markdown(args.out / "RESULTS.md", results)
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(work, ignore_errors=True)
    for key, t in results["targets"].items():
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}x"
        print(f"  {t['what']:<70} {value:>8}  target {t['target']:<7} {verdict}")
    print(f"\nWrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'}")
    return 0


def run_all(ns: list[int], work: Path, args) -> dict:
    """Build at each N, fill the largest N's workbooks and one more, then measure each N."""
    if args.reuse:
        return remeasure(ns, work, args)
    template = cell_template(work / "reference")
    template_path = work / "cells.json"
    template_path.write_text(json.dumps(template), encoding="utf-8")
    results = {"schema": 2, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
               "framework": FRAMEWORK, "ns": ns, "machine": machine(), "builds": {}, "runs": {}}
    largest = ns[-1]
    for n in ns:  # the largest N's build (one more workbook: the late return) is the one filled
        built = work / f"built-{n}"
        count = n + 1 if n == largest else n
        results["builds"][str(n)] = run_task({"task": "build", "n": count, "out_dir": str(built)})
        if n != largest:
            shutil.rmtree(built, ignore_errors=True)
    floor_n = ns[0]
    results["build_floor"] = run_task({"task": "build_floor", "n": floor_n, "out_dir": str(work / "floor"),
                                       "template": str(template_path)})
    shutil.rmtree(work / "floor", ignore_errors=True)
    built = sorted((work / f"built-{largest}").glob("*.xlsx"))
    log(f"  filling {len(built)} workbooks on {args.jobs} processes (setup, not timed)...")
    fill = fill_all(built, work / "filled", args.jobs)
    shutil.rmtree(work / f"built-{largest}", ignore_errors=True)
    results["fill"], results["answers_per_workbook"] = fill, fill["answers_per_workbook"]
    filled = sorted((work / "filled").glob("*.xlsx"))
    return measure_each(ns, filled, work, args, results)


def measure_each(ns: list[int], filled: list[Path], work: Path, args, results: dict) -> dict:
    """Each N measured on the filled returns, the results saved after each (a long run can be stopped)."""
    for n in ns:
        results["runs"][str(n)] = bench_n(n, filled, work, args)
        summarise(results)
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def remeasure(ns: list[int], work: Path, args) -> dict:
    """Each N measured again on the returns a kept run filled, with that run's build figures."""
    earlier = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
    results = {key: earlier[key] for key in ("schema", "framework", "builds", "build_floor", "fill",
                                             "answers_per_workbook")}
    results.update(date=dt.datetime.now().astimezone().isoformat(timespec="seconds"), ns=ns, machine=machine(),
                   runs={}, builds_measured=earlier["date"], builds_commit=earlier["machine"].get("git_commit"))
    filled = sorted((work / "filled").glob("*.xlsx"))
    return measure_each(ns, filled, work, args, results)


if __name__ == "__main__":
    sys.exit(main())
