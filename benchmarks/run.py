"""sheetkit benchmark: build, validate, ingest and re-ingest against fair floors, in one run.

    python3 benchmarks/run.py                  # N = 1,000, 4,000 and 10,000 (about half an hour on 2 cores)
    python3 benchmarks/run.py --n 1000         # one N
    python3 benchmarks/run.py --quick          # tiny N, for the test suite's smoke run

With the bundled ``lga-cbo`` framework, every answer cell of every workbook filled as people fill
them (every respondent in their own words, with their own few action owners: see ``Voice``):

1. build       ``build_workbooks`` for N respondents (ms per return, wall and CPU);
   build floor  bare XlsxWriter, in-memory mode, one process, writing the same cell values
                (read back from a workbook sheetkit built) to each file, at the smallest N.
2. fill        every answer cell of the largest N's workbooks (and one more, the late
               return), with openpyxl over all cores. Setup, not timed. Each smaller N uses the
               first N of these files.
3. for each N (at N = 1,000, each timed task ``--repeat`` times, the median reported):
   calamine     python-calamine reading every cell of every file, over all cores: the read floor;
   validate     ``validate_returns`` (read and check, write nothing);
   ingest       ``ingest_returns`` from cold (an empty re-ingest cache, which it fills);
   write floor  the fastest writer available (rustpy-xlsxwriter if installed, else XlsxWriter in
                constant-memory mode) writing every cell of the consolidated workbook ingest wrote;
                rustpy-xlsxwriter is not a sheetkit dependency: pip install it for the fairest floor;
   re-ingest    ``ingest_returns`` again after one new return arrives, with the cache;
   sheets       ingest once more from the cache, timing each consolidated sheet's compiling, so
                that its growth from N to 4N can be held to n log n;
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
import math
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
DEFAULT_NS = (1000, 4000, 10000)
QUICK_NS = (4, 16)
PANDAS_SAMPLE = 200
REFERENCE_N = 1000  # the N the speed targets are judged at (the smallest measured, if 1,000 is not)
SAMPLE_INTERVAL = 0.05
KEPT_OUT_ROWS = 4 * (1_048_576 - 4)  # sheetkit.common.limits: four sheets of rows below a title and header
RESULT_PREFIX = "BENCHMARK-RESULT "

# measure: (how it compares, bound, what it is)
TARGETS = {
    "ingest_over_fair_floor": ("<=", 1.5, "ingest / fair floor (calamine on all cores + fastest writer), wall"),
    "pandas_over_ingest": (">=", 5.0, "pandas read_excel loop / ingest, wall"),
    "validate_over_calamine": ("<=", 2.0, "validate / calamine read on all cores, wall"),
    "reingest_over_cold": ("<=", 0.2, "re-ingest after one new return / cold ingest, wall"),
    "build_cpu_over_bare": ("<=", 1.0, "build CPU per return / bare XlsxWriter (in memory, one process)"),
    "ingest_memory_growth": ("<=", 1.2, "ingest peak memory (tree PSS), largest N / N = 1,000"),
    "validate_memory_growth": ("<=", 1.2, "validate peak memory (tree PSS), largest N / N = 1,000"),
    "validate_memory_mb": ("<=", 200.0, "validate peak memory (tree PSS, MB) at the largest N"),
    "compile_growth": ("<=", 1.0, "compiling, every consolidated sheet: time at 4N / (4 n log 4n / n log n)"),
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


# Texts as people write them. Every respondent writes in their own words about their own
# people and places, so across a regional or national collection almost every evidence text,
# action and owner is distinct; within one return the same few people own most actions, and
# some answers repeat ("See above", a paragraph pasted into two boxes), as they do in real returns.
_GIVEN = ["Alex", "Sam", "Priya", "Jordan", "Morgan", "Chen", "Fatima", "Owen", "Grace", "Tomasz", "Aisha", "Rhys",
          "Bethan", "Kwame", "Siobhan", "Imran", "Lucy", "Mateusz", "Nia", "Oluwaseun", "Harriet", "Deepak", "Ewan",
          "Zara", "Callum", "Amara", "Gareth", "Hannah", "Yusuf", "Eleanor", "Tariq", "Megan", "Dylan", "Rosa",
          "Farah", "Connor", "Ines", "Joseph", "Kiran", "Leah", "Marcus", "Nadia", "Patrick", "Ruth", "Simon",
          "Thandiwe", "Usman", "Victoria", "Wei", "Yasmin"]
_FAMILY = ["Patel", "Jones", "Okafor", "Williams", "Nowak", "Evans", "Khan", "Murphy", "Li", "Davies", "Smith",
           "Hughes", "Ahmed", "Campbell", "Kowalski", "Mensah", "O'Brien", "Roberts", "Singh", "Taylor", "Walsh",
           "Begum", "Clarke", "Fraser", "Gallagher", "Hussain", "Ibrahim", "Jenkins", "Kaur", "Lewis", "MacLeod",
           "Nwosu", "Owusu", "Price", "Quinn", "Rahman", "Stewart", "Thomas", "Uddin", "Vaughan", "Wright", "Young",
           "Zielinski", "Adeyemi", "Bennett", "Chaudhry", "Doherty", "Ellis", "Fernandes", "Grant"]
_ROLES = ["Head of Commissioning", "Market Development Manager", "Quality Lead", "Housing Strategy Lead",
          "ICB Partnership Manager", "Director of Adult Social Care", "Principal Social Worker",
          "Commissioning Officer", "Contracts Manager", "Carers Lead", "Public Health Consultant",
          "Provider Relationship Manager", "Business Intelligence Analyst", "Co-production Lead",
          "Head of Finance (Care)", "Workforce Development Lead", "Learning Disability Lead",
          "Mental Health Commissioner", "Programme Manager", "Assistant Director, Strategy"]
_OPENINGS = ["Our joint strategic needs assessment", "The market position statement", "The commissioning board",
             "Our co-production group", "The provider forum", "The carers' strategy", "The quality assurance team",
             "The section 75 agreement", "Our outcomes framework", "The home care tender",
             "The learning disability partnership board", "Contract monitoring", "The workforce plan",
             "The cost of care exercise", "Our housing with care programme", "The direct payments review",
             "The reablement service", "The prevention strategy", "Our engagement with people who use services",
             "The integrated care partnership"]
_VERBS = ["was refreshed", "was published", "was reviewed with partners", "now reports quarterly",
          "was co-produced with people with lived experience", "is being rewritten", "was agreed by cabinet",
          "has not yet been tested", "was signed off by the board", "is out to consultation",
          "was evaluated independently", "has stalled since the restructure", "was extended for a year"]
_DETAILS = ["{n} providers took part", "{n} people replied to the survey", "fees rose by {p}%",
            "waiting lists fell by {p}%", "{n} care homes are now rated good", "unmet hours fell to {n} a week",
            "{n} carers had a break last year", "{p}% of plans were reviewed on time",
            "{n} staff were trained", "spend on prevention is {p}% of the budget", "{n} complaints were upheld",
            "{p}% of people said they had choice and control"]
_SINCE = ["in {year}", "last spring", "this financial year", "since April {year}", "after the {year} inspection",
          "in the {area} locality", "across {area}", "with the {area} ICB place team", "in March {year}"]
_AFTER = ["", "", " Evidence: board minutes, {month} {year}.", " The next review is due in {month} {year}.",
          " Partners disagree on how far this has gone.", " See the {area} annual report, page {n}.",
          " More work is needed with the voluntary sector.", " This is reported to scrutiny twice a year."]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "September", "October", "November"]
_ACTION_VERBS = ["Publish", "Agree", "Review", "Co-produce", "Recommission", "Pilot", "Evaluate", "Map",
                 "Set up", "Extend", "Rewrite", "Train staff in", "Pool the budget for", "Consult on"]
_ACTION_OBJECTS = ["the market position statement", "a carers' breaks offer", "outcome measures for home care",
                   "the learning disability day services", "fee levels for nursing care", "a provider forum",
                   "the direct payments support service", "an extra care housing scheme", "the prevention offer",
                   "the reablement pathway", "shared data on unmet need", "a workforce academy with providers",
                   "the advocacy contract", "supported living for autistic adults", "the equipment service"]
_ACTION_WITH = ["with the ICB", "with housing", "with people with lived experience", "with providers",
                "with the voluntary sector", "with public health", "with the {area} place board", "across the county"]
_RESOURCES = ["Existing team", "An analyst for {n} hours a month", "Joint funding with the ICB, about £{k}k",
              "Better Care Fund, £{k}k", "External facilitator, about {n} days", "Time from the provider forum chair",
              "£{k}k from the market sustainability fund", "{n} days of finance support"]
_MEASURES = ["Quarterly report to the {area} board", "Survey of people using services ({n} replies)",
             "Provider feedback survey, {month}", "Unmet home care hours down {p}%", "{n} co-produced specifications",
             "Assessment waits halved by {month} {year}", "{p}% of reviews on time", "Fewer than {n} complaints a year"]
_REPEATS = ["See above.", "As above", "N/A", "Not applicable to our service", "To follow", "See the action plan",
            "No change since the last self-assessment"]


class Voice:
    """How one respondent writes: their own people and places, and their habits of repeating themselves."""

    def __init__(self, rng: random.Random, number: int):
        self.rng, self.number = rng, number
        self.area = _AREAS[number % len(_AREAS)]
        self.people = [self._person() for _ in range(rng.randint(4, 12))]
        self.said: list[str] = []

    def _person(self) -> str:
        rng = self.rng
        return f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}, {rng.choice(_ROLES)}"

    def _fill(self, pattern: str) -> str:
        rng = self.rng
        return pattern.format(n=rng.randint(2, 480), p=rng.randint(3, 60), k=rng.randint(5, 900),
                              year=rng.choice((2024, 2025, 2026)), month=rng.choice(_MONTHS), area=self.area)

    def owner(self) -> str:
        """Mostly the partner's own few people; now and then someone else, or a role alone."""
        roll = self.rng.random()
        if roll < 0.10:
            return self.rng.choice(_ROLES)
        if roll < 0.20:
            return self._person()
        return self.rng.choice(self.people)

    def evidence(self) -> str:
        """A distinct paragraph; now and then a stock phrase, or one of the respondent's own texts again."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return rng.choice(_REPEATS)
        if roll < 0.09 and self.said:
            return rng.choice(self.said)
        text = (f"{rng.choice(_OPENINGS)} {rng.choice(_VERBS)} {self._fill(rng.choice(_SINCE))}; "
                f"{self._fill(rng.choice(_DETAILS))}.{self._fill(rng.choice(_AFTER))}")
        self.said.append(text)
        return text

    def action(self) -> str:
        rng = self.rng
        return f"{rng.choice(_ACTION_VERBS)} {rng.choice(_ACTION_OBJECTS)} {self._fill(rng.choice(_ACTION_WITH))} " \
               f"by {rng.choice(_MONTHS)} {rng.choice((2027, 2028))}"

    def resources(self) -> str:
        return self._fill(self.rng.choice(_RESOURCES))

    def measure(self) -> str:
        return self._fill(self.rng.choice(_MEASURES))


def full_answers(layout, rng: random.Random, lean: float, number: int = 0) -> dict:
    """Every answer cell filled, every text in the respondent's own words (see Voice)."""
    from sheetkit.framework.model import PRIORITIES
    from sheetkit.framework.model import ACTION_STATUSES, criteria as criteria_of
    from sheetkit.samples.filling import realistic_answers

    voice = Voice(rng, number)
    answers = realistic_answers(layout, rng, lean, completeness=1.0)
    criteria = criteria_of(layout.framework)
    for cell in layout.answers + layout.signoff_answers:
        f = cell.field
        if f.level == "signoff":
            if f.type != "date":
                answers[cell.key] = voice.people[0] if f.id != "approved_by" else voice.people[-1]
        elif f.level == "action":
            answers[cell.key] = {
                "criterion": lambda: rng.choice(criteria),
                "action": voice.action,
                "owner": voice.owner,
                "due": lambda: dt.datetime(2027, 1, 1) + dt.timedelta(days=rng.randrange(0, 540)),
                "priority": lambda: rng.choice(PRIORITIES),
                "resources": voice.resources,
                "measure": voice.measure,
                "status": lambda: rng.choice(ACTION_STATUSES),
            }[f.id]()
        elif f.type == "person":
            answers[cell.key] = voice.owner()
        elif f.type == "text":
            answers[cell.key] = voice.evidence()
    missing = [c.key for c in layout.answers if c.key not in answers]
    if missing:
        raise RuntimeError(f"fill left {len(missing)} answer cell(s) empty, e.g. {missing[:3]}")
    _break_alphabetical_runs(layout, answers, rng)
    return answers


def _break_alphabetical_runs(layout, answers: dict, rng: random.Random, run: int = 7) -> None:
    """People do not type seven answers down a column in alphabetical order, but random texts now and then
    fall that way, and ingest rightly reports such a column as sorted on its own: swap one pair in each."""
    columns: dict[tuple[str, int], list] = {}
    for cell in layout.answers:
        columns.setdefault((cell.sheet, cell.col), []).append(cell)
    for cells in columns.values():
        cells.sort(key=lambda c: c.row)
        for _ in range(100):
            texts = [str(answers.get(c.key, "")).strip().casefold() for c in cells]
            start = next((i for i in range(len(texts) - run + 1) if _ordered(texts[i:i + run])), None)
            if start is None:
                break
            a, b = cells[start + rng.randrange(run)], cells[start + rng.randrange(run)]
            answers[a.key], answers[b.key] = answers[b.key], answers[a.key]


def _ordered(texts: list[str]) -> bool:
    pairs = list(zip(texts, texts[1:]))
    return all(x < y for x, y in pairs) or all(x > y for x, y in pairs)


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
    answers = full_answers(layout, rng, lean=rng.uniform(-0.8, 0.8), number=seed)
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
    report = validate_returns([spec["dir"]], IngestOptions(keep_answers=False))  # as the validate command reads
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


def task_sheets(spec: dict) -> dict:
    """Ingest again with every return in the re-ingest cache, timing compiling sheet by sheet: each
    sheet's writer and the streaming of its rows (CPU seconds of this process)."""
    import sheetkit.consolidate.consolidation as consolidation
    import sheetkit.report.workbook as workbook
    import sheetkit.xlsx.stream as stream
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    times: dict[str, float] = {}
    label = ["(outside any sheet)"]

    def timed(name, func):
        def run(*args, **kwargs):
            started = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.process_time() - started
        return run

    def labelled_rows(name, rows):
        for row in rows:
            label[0] = name
            yield row

    def row_timed(func):
        def row(self, number, values):
            started = time.process_time()
            try:
                return func(self, number, values)
            finally:
                times[label[0]] = times.get(label[0], 0.0) + time.process_time() - started
        return row

    for module in workbook.SHEETS:
        module.write = timed(module.__name__.rsplit(".", 1)[1], module.write)
    for encoder in (stream.RowEncoder, stream.EncodedRows, workbook.FittedRows):
        encoder.row = row_timed(encoder.row)
    original_stream = workbook._stream

    def streamed(path, rep, parts):
        for name, (first, rows, columns, wrap, kind) in list(rep.streams.items()):
            base = name.split(" (")[0].lower().replace(" ", "_")
            rep.streams[name] = (first, labelled_rows(f"{base} rows", rows), columns, wrap, kind)
        return original_stream(path, rep, parts)

    workbook._stream = timed("(streaming, in all)", streamed)
    consolidation.consolidate = timed("(consolidate)", consolidation.consolidate)
    out = Path(spec["out"])
    clock = Clock()
    report = ingest_returns([spec["dir"]], IngestOptions(out=out, cache=Path(spec["cache"])))
    timing = clock.stop()
    rows = {k: v for k, v in times.items() if k.endswith(" rows")}
    times["(zip and file)"] = times.pop("(streaming, in all)", 0.0) - sum(rows.values())
    return {**timing, "files": len(report.returns), "sheets": {k: round(v, 4) for k, v in sorted(times.items())}}


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
         "ingest": task_ingest, "write_floor": task_write_floor, "pandas": task_pandas, "sheets": task_sheets}


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
    """Read, validate, ingest, write floor, re-ingest, pandas and compiling sheet by sheet at one N; at the
    reference N each timed task runs `--repeat` times and its median run is the one reported."""
    log(f"N = {n}")
    here = root / f"n{n}"
    shutil.rmtree(here, ignore_errors=True)
    returns = link_first(filled, n, here / "returns")
    for path in returns.glob("*.xlsx"):  # every contender starts with the files in the page cache
        path.read_bytes()
    out = here / "consolidated.xlsx"
    repeats = args.repeat if n == args.reference else 1
    runs: dict[str, list] = {}
    for k in range(repeats):
        cache = here / f"cache-{k}"
        for part, spec in (("calamine", {"task": "calamine", "dir": str(returns)}),
                           ("validate", {"task": "validate", "dir": str(returns)}),
                           ("ingest", {"task": "ingest", "dir": str(returns), "out": str(out), "cache": str(cache),
                                       "verify": n <= 100})):
            runs.setdefault(part, []).append(run_task(spec))
        # Errors are counted, not refused: a random fill now and then puts seven distinct texts of a
        # column in alphabetical order, which ingest rightly reports as a column sorted on its own.
        if runs["ingest"][-1]["accepted"] != n:
            raise RuntimeError(f"ingest accepted {runs['ingest'][-1]['accepted']} of {n} returns: the fill is not clean")
        if k == 0:
            runs["write_floor"] = [run_task({"task": "write_floor", "consolidated": str(out),
                                             "out_dir": str(here / "floor")})]
            shutil.rmtree(here / "floor", ignore_errors=True)
        late = returns / filled[n].name
        _link(filled[n], late)  # one late return arrives
        runs.setdefault("reingest", []).append(run_task({"task": "ingest", "dir": str(returns), "out": str(out),
                                                         "cache": str(cache)}))
        if k == 0:
            runs["sheets"] = [run_task({"task": "sheets", "dir": str(returns), "out": str(out),
                                        "cache": str(cache)})]
        late.unlink()
        shutil.rmtree(cache, ignore_errors=True)
        pandas = run_task({"task": "pandas", "dir": str(returns), "limit": min(n, PANDAS_SAMPLE)})
        pandas["measured_seconds"], pandas["extrapolated"] = pandas["seconds"], pandas["files"] < n
        pandas["seconds"] = round(pandas["seconds"] * n / pandas["files"], 3)
        runs.setdefault("pandas", []).append(pandas)
    r = {"n": n, "repeats": repeats}
    for part, measured in runs.items():
        r[part] = _median_run(measured)
        if len(measured) > 1:
            r[part]["all_seconds"] = [m["seconds"] for m in measured]
    r["ratios"] = ratios_at(r)
    if not args.keep:
        shutil.rmtree(here, ignore_errors=True)
    return r


def _median_run(measured: list[dict]) -> dict:
    """The run with the median time (the lower of the middle two for an even count)."""
    ordered = sorted(measured, key=lambda m: m["seconds"])
    return dict(ordered[(len(ordered) - 1) // 2])


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
    """The targets: speed at the reference N, memory across the Ns, build CPU per return, compiling's growth."""
    runs = {int(n): r for n, r in results["runs"].items()}
    ns = sorted(runs)
    ref = REFERENCE_N if REFERENCE_N in runs else ns[0]
    values = {key: runs[ref]["ratios"][key] for key in ("ingest_over_fair_floor", "validate_over_calamine",
                                                         "reingest_over_cold", "pandas_over_ingest")}
    for task in ("ingest", "validate"):
        values[f"{task}_memory_growth"] = (_ratio(runs[ns[-1]][task]["tree_peak_pss_mb"],
                                                  runs[ref][task]["tree_peak_pss_mb"]) if ns[-1] != ref else None)
    values["validate_memory_mb"] = runs[ns[-1]]["validate"]["tree_peak_pss_mb"]
    builds, floor = results["builds"], results["build_floor"]
    ref_build = builds[str(ref)] if str(ref) in builds else builds[str(ns[0])]
    values["build_cpu_over_bare"] = _ratio(ref_build["cpu_seconds"] / ref_build["files"],
                                           floor["cpu_seconds"] / floor["files"])
    results["compile_growth"] = compile_growth(runs, results.get("answers_per_workbook") or 1)
    values["compile_growth"] = results["compile_growth"]["worst"] if results["compile_growth"] else None
    results["reference_n"] = ref
    results["targets"] = {}
    for key, (op, bound, what) in TARGETS.items():
        value = values[key]
        met = None if value is None else (value <= bound if op == "<=" else value >= bound)
        results["targets"][key] = {"what": what, "target": f"{op} {bound:g}", "value": value, "met": met,
                                   "by": None if value is None else round(value / bound, 3)}


SHORTEST_JUDGED = 0.05  # seconds: a sheet compiled faster than this at N is too quick to time its growth


def compile_growth(runs: dict, answers: int) -> dict | None:
    """Each sheet's compiling time at the first pair of Ns a factor of four apart, over what n log n in
    answers allows for that growth; the worst of them."""
    pair = next(((a, b) for a in sorted(runs) for b in sorted(runs) if b == 4 * a and "sheets" in runs[a]
                 and "sheets" in runs[b]), None)
    if pair is None:
        return None
    small, large = (runs[n]["sheets"]["sheets"] for n in pair)
    n = pair[0] * answers
    allowed = 4 * math.log(4 * n) / math.log(n)
    sheets = {name: {"seconds": [small[name], large.get(name, 0.0)],
                     "growth": round(large.get(name, 0.0) / small[name], 2),
                     "over_n_log_n": round(large.get(name, 0.0) / small[name] / allowed, 2)}
              for name in small if small[name] >= SHORTEST_JUDGED}
    worst = max((v["over_n_log_n"] for v in sheets.values()), default=None)
    return {"ns": list(pair), "allowed_growth": round(allowed, 2), "sheets": sheets, "worst": worst,
            "too_quick_to_judge": sorted(name for name in small if small[name] < SHORTEST_JUDGED)}


# Why each target is met or missed, from what these measurements and profiles show (filled in from the
# run's own figures where they are quoted).
WHY = {
    "ingest_over_fair_floor": "Per return, ingest inspects the file before any parser opens it (sizes, DTDs, "
                              "macros, encryption, cells far outside the layout), parses it, finds and checks every "
                              "answer, and encodes its long-table rows, all in the reader workers: {worker_ms} ms of "
                              "CPU per return against calamine's {calamine_ms} ms. After the readers, on one core, "
                              "the Action plan's near-identical actions are grouped (each distinct text compared "
                              "with its neighbours in two sortings by difflib: about half of a re-ingest's time "
                              "under the profiler at N = 1,000) and the whole workbook is written and compressed.",
    "pandas_over_ingest": "The pandas loop reads each file with openpyxl and melts its sheets: {pandas_ms} ms a return "
                          "on one core, against ingest's {ingest_ms} ms on two.",
    "validate_over_calamine": "The same inspection, location and checks as ingest, in the reader workers: "
                              "{validate_cpu_ms} ms of CPU a return against calamine's {calamine_ms} ms. Inspecting "
                              "the file before parsing it (every part decompressed and scanned for DTDs, every "
                              "sheet's extent measured) alone costs about as much as calamine's parse.",
    "reingest_over_cold": "Returns already seen are taken from the cache with their rows ready encoded, so the "
                          "re-ingest reads one file; the rest is loading {n} signed entries, grouping the Action "
                          "plan's near-identical actions again (the comparisons of texts seen before recalled "
                          "from the cache, the new return's made with difflib) and writing and compressing the "
                          "whole workbook again.",
    "build_cpu_over_bare": "The floor writes only the cell values; build also writes styles, dropdown validations, "
                           "conditional formats, sheet protection, the criteria list, defined names and properties, "
                           "and fits every row's height to its text.",
    "ingest_memory_growth": "Answers are spooled to disk and each return's rows stream into the workbook, but the "
                            "sheets with a column or a row per partner (Ratings, the Dashboard's heat map, Returns, "
                            "Issues) are held by XlsxWriter until it saves.",
    "validate_memory_growth": "validate keeps, for each return, only its findings and the answers they point at.",
    "validate_memory_mb": "validate keeps, for each return, only its findings and the answers they point at.",
    "compile_growth": "Every consolidated sheet is compiled by sorted queries and one pass over what they return.",
}


def _why(key: str, results: dict) -> str:
    runs, ref = results["runs"], str(results["reference_n"])
    r = runs[ref]
    n = int(ref)
    figures = {
        "n": f"{n:,}",
        "calamine_ms": f"{1000 * r['calamine']['cpu_seconds'] / n:.1f}",
        "worker_ms": f"{1000 * r['ingest']['cpu_seconds'] / n:.1f}",
        "validate_cpu_ms": f"{1000 * r['validate']['cpu_seconds'] / n:.1f}",
        "pandas_ms": f"{1000 * r['pandas']['seconds'] / n:.1f}",
        "ingest_ms": f"{1000 * r['ingest']['seconds'] / n:.1f}",
    }
    return WHY.get(key, "").format(**figures)


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
    ref = results["reference_n"]
    lines = [
        "# sheetkit benchmark results", "",
        f"Run {results['date']} with `{results['command']}` on framework `{results['framework']}`, every "
        f"answer cell filled ({results['answers_per_workbook']} answers per return) as people fill them: every "
        f"respondent writes in their own words and names their own few action owners, so almost every text and "
        f"owner across the returns is distinct (benchmarks/run.py, `Voice`).", "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model'] or 'unknown CPU'}), {m['ram_gib']} GiB RAM, "
        f"Python {m['python']} ({m['platform']}); "
        + ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
        + (f"; sheetkit at {m['git_commit']}" if m.get("git_commit") else "") + ". The machine is shared: "
        f"the 1-minute load average before and after each task is in results.json (median over this run: "
        f"{_median_load(results):.1f} on {m['nproc']} CPUs).", "",
        f"Milliseconds per return, wall time (seconds of work in brackets; each task in a fresh subprocess, imports "
        f"excluded; at N = {ref:,} the median of {runs[str(ref)].get('repeats', 1)} runs). The fair floor is "
        f"python-calamine reading every cell of every return on all cores plus {writer} writing every cell of the "
        f"consolidated workbook ingest wrote.", "",
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
    lines += ["", "CPU milliseconds per return (the task's process and its reader workers):", "",
              "| N | validate | ingest (cold) | re-ingest | calamine |", "|---:|---:|---:|---:|---:|"]
    for n, r in runs.items():
        cpu = lambda part: f"{1000 * r[part]['cpu_seconds'] / int(n):.1f}"  # noqa: E731
        lines.append(f"| {int(n):,} | {cpu('validate')} | {cpu('ingest')} | {cpu('reingest')} | {cpu('calamine')} |")
    lines += ["", "Peak memory (MB), summed over each task's whole process tree (its reader workers too), "
              "sampled every 50 ms: PSS (shared pages split between the processes sharing them) and RSS.", "",
              "| N | ingest PSS | ingest RSS | ingest processes | re-ingest PSS | validate PSS | validate RSS "
              "| consolidated workbook | errors found |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in runs.items():
        i, v = r["ingest"], r["validate"]
        lines.append(f"| {int(n):,} | {i['tree_peak_pss_mb']} | {i['tree_peak_rss_mb']} | {i['tree_peak_processes']} "
                     f"| {r['reingest']['tree_peak_pss_mb']} | {v['tree_peak_pss_mb']} | {v['tree_peak_rss_mb']} "
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
    growth = results.get("compile_growth")
    if growth:
        small, large = growth["ns"]
        lines += ["", f"Compiling, sheet by sheet (CPU seconds of the writing process, every return taken from the "
                      f"re-ingest cache), at N = {small:,} and N = {large:,}: n log n in answers allows "
                      f"{growth['allowed_growth']}× for four times the returns. Sheets compiled in under "
                      f"{SHORTEST_JUDGED} s at N = {small:,} are listed in results.json but too quick to judge: "
                      f"{', '.join(growth['too_quick_to_judge']) or 'none'}.", "",
                  f"| sheet (and its streamed rows) | N = {small:,} | N = {large:,} | growth | over n log n |",
                  "|---|---:|---:|---:|---:|"]
        for name, g in sorted(growth["sheets"].items(), key=lambda kv: -kv[1]["seconds"][1]):
            lines.append(f"| {name} | {g['seconds'][0]:.2f} | {g['seconds'][1]:.2f} | {g['growth']:.2f}× "
                         f"| {g['over_n_log_n']:.2f} |")
    lines += ["", f"Targets (speed at N = {ref:,}; memory: largest N over N = {ref:,})", "",
              "| measure | target | measured | met | by how much | why |", "|---|---|---:|---|---:|---|"]
    for key, t in targets.items():
        unit = " MB" if key == "validate_memory_mb" else "×"
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}{unit}"
        met = "n/a" if t["met"] is None else ("met" if t["met"] else "**missed**")
        by = _by(t)
        lines.append(f"| {t['what']} | {t['target']}{unit} | {value} | {met} | {by} | {_why(key, results)} |")
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


def _by(t: dict) -> str:
    if t["by"] is None:
        return ""
    if t["target"].startswith(">="):
        return f"{t['by']:.1f}× the target" if t["met"] else f"missed by {1 / t['by']:.1f}×"
    return f"{(1 - t['by']) * 100:.0f}% under" if t["met"] else f"missed by {t['by']:.1f}×"


def _median_load(results: dict) -> float:
    loads = [sum(part["load_average_1min"]) / 2 for r in results["runs"].values() for part in r.values()
             if isinstance(part, dict) and "load_average_1min" in part]
    loads.sort()
    return loads[len(loads) // 2] if loads else 0.0


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
    parser.add_argument("--repeat", type=int, default=None, help="runs of each timed task at N = 1,000 (the median "
                                                                 "is reported; default 3, and 2 with --quick)")
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
    args.reference = REFERENCE_N if REFERENCE_N in ns else ns[0]
    args.repeat = args.repeat or (2 if args.quick else 3)
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
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}{' MB' if key == 'validate_memory_mb' else 'x'}"
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
