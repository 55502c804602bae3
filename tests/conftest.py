"""Shared fixtures: built workbooks, filled returns and small inline frameworks."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

# A run started in the background by a shell without job control (`cmd &` in a script) inherits
# Ctrl-C ignored, and Python then never turns it into KeyboardInterrupt, in this process or in
# the commands it starts. The Ctrl-C tests press it as a terminal would, so it is given back.
if hasattr(signal, "SIGINT") and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The Windows-like lane (.ci/run): as on Windows, there is no `resource` module and worker
# processes are spawned, never forked. Set before sheetkit is imported, so sheetkit sees what
# it would see there.
WINDOWS_LIKE = os.environ.get("SHEETKIT_TEST_WINDOWS_LIKE") == "1"
if WINDOWS_LIKE:
    sys.modules["resource"] = None  # `import resource` now raises ImportError
    multiprocessing.get_all_start_methods = lambda: ["spawn"]
    multiprocessing.set_start_method("spawn", force=True)

from sheetkit.common import clock
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.samples.filling import fill_workbook, realistic_answers
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent

BUNDLED = ["ipc-audit", "lga-cbo", "swia-commissioning", "tlap-market", "wales-commissioning"]
SEEDS = Path(os.environ.get("SHEETKIT_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
IN_CI = os.environ.get("CI", "").lower() == "true"
UNO_PYTHON = os.environ.get("SHEETKIT_UNO_PYTHON", "/usr/bin/python3")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for the system Python and soffice, without this interpreter's paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(extra)
    return env


def soffice_path() -> str | None:
    """LibreOffice's soffice, if installed."""
    return shutil.which("soffice") or ("/usr/bin/soffice" if Path("/usr/bin/soffice").exists() else None)


def uno_missing() -> str | None:
    """Why LibreOffice cannot be driven through UNO here, or None if it can."""
    if not Path(UNO_PYTHON).exists():
        return f"{UNO_PYTHON}, the Python with LibreOffice's UNO bridge, is missing (set SHEETKIT_UNO_PYTHON)"
    probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True, text=True, timeout=60,
                           env=clean_env())
    if probe.returncode:
        return f"{UNO_PYTHON} cannot import uno (install python3-uno): {probe.stderr.strip()[-200:]}"
    return None


def unavailable(reason: str) -> None:
    """Skip with the reason; under CI=true fail instead, since CI must run the LibreOffice tests."""
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the LibreOffice tests")
    pytest.skip(reason)


def libreoffice_or_skip(uno: bool = True) -> str:
    """soffice (and, with `uno`, a Python that drives it through UNO), or a visible skip."""
    found = soffice_path()
    reason = "LibreOffice (soffice) is not installed" if found is None else (uno_missing() if uno else None)
    if reason:
        unavailable(reason)
    return found


def build(framework_id: str, out_dir: Path, names=("Adult Social Care", "Housing", "Health"), round_name="2026 Q4",
          **options) -> list[Path]:
    """Build workbooks for the named respondents and return their paths, in order. The lead's
    records go beside them (as --records would put them), unless `records` says otherwise, so
    each test's exercise stays in its own folder."""
    framework = get_framework(framework_id)
    options.setdefault("records", out_dir)
    result = build_workbooks(framework, [Respondent(n) for n in names],
                             BuildOptions(out_dir=out_dir, round=round_name, password="secret", **options))
    return [f.workbook for f in result.files]


def fill(source: Path, target: Path, answers: dict, saved_at: dt.datetime | None = None) -> Path:
    fill_workbook(source, target, answers, saved_at=saved_at)
    return target


def random_answers(framework_id: str, seed: int = 1, lean: float = 0.0) -> dict:
    return realistic_answers(plan_workbook(get_framework(framework_id)), random.Random(seed), lean=lean)


def pytest_addoption(parser):
    parser.addoption("--clock", default="", metavar="DATE",
                     help="run with sheetkit's clock fixed at DATE (YYYY-MM-DD or an ISO date-time), as if that were "
                          "today; tests marked 'calendar' also run at their own list of days")


def pytest_configure(config):
    # The re-ingest cache goes to a folder of the test run, never the user's own cache.
    if "SHEETKIT_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="sheetkit-test-cache-")
        os.environ["SHEETKIT_CACHE_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    # The key that signs re-ingest cache entries goes to a folder of the test run, never the user's data folder.
    if "SHEETKIT_DATA_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="sheetkit-test-data-")
        os.environ["SHEETKIT_DATA_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    # Every fast path (a sheet read at its planned cells, notes found from their marks) is checked
    # against its full path on everything the tests read, in worker processes too; a difference is
    # written here and fails the run (see pytest_sessionfinish). The fast tier alone skips the
    # double reading: it is a quick check while working, and the full suite (CI) reads every return twice.
    if "SHEETKIT_VERIFY_FAST_PATHS" not in os.environ and not fast_tier_only(config):
        handle, log = tempfile.mkstemp(prefix="sheetkit-fast-paths-", suffix=".log")
        os.close(handle)
        os.environ["SHEETKIT_VERIFY_FAST_PATHS"] = log
        config.add_cleanup(lambda: os.unlink(log) if os.path.exists(log) else None)
    day = config.getoption("--clock")
    if day:
        clock.parse(day)  # a bad date fails here, once, with its reason
        os.environ[clock.ENVIRONMENT] = day  # workers and subprocesses see the same day


def fast_tier_only(config) -> bool:
    """Whether this run is the fast tier alone (`-m "not slow"`)."""
    return " ".join(config.getoption("markexpr", "").split()) == "not slow"


def pytest_report_header(config):
    if os.environ.get("SHEETKIT_VERIFY_FAST_PATHS"):
        return "sheetkit: every fast path is checked against its full path (SHEETKIT_VERIFY_FAST_PATHS)"
    return "sheetkit: the fast tier alone; fast paths are checked against their full paths by the full suite"


def pytest_sessionfinish(session, exitstatus):
    log = os.environ.get("SHEETKIT_VERIFY_FAST_PATHS", "")
    found = Path(log).read_text(encoding="utf-8").strip() if log not in ("", "1") and Path(log).exists() else ""
    if found:
        session.config.get_terminal_writer().line(f"A fast path differed from its full path:\n{found[:6000]}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The days the date-sensitive tests (marked `calendar`) run on, besides today: past every sample
# deadline, a leap day, the last evening of a year in a timezone ahead of UTC, and 400 days on.
CALENDAR_DAYS = {
    "today": None,
    "after-samples": "2028-01-15T10:00:00+00:00",
    "leap-day": "2028-02-29T12:00:00+00:00",
    "year-end": "2026-12-31T23:30:00+00:00",
    "400-days-on": "+400",
}


# The fast tier alone, a quick check while working, runs them today and past every sample deadline;
# the full suite (CI) runs them on every day above.
FAST_TIER_DAYS = ("today", "after-samples")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("calendar") and "calendar_day" in metafunc.fixturenames:
        days = FAST_TIER_DAYS if fast_tier_only(metafunc.config) else list(CALENDAR_DAYS)
        metafunc.parametrize("calendar_day", days, indirect=True)


@pytest.fixture
def calendar_day(request, monkeypatch):
    """Sheetkit's clock set to one of CALENDAR_DAYS for the test (and its worker processes)."""
    value = CALENDAR_DAYS[request.param]
    if value is None:
        return clock.now()
    if value.startswith("+"):
        value = (clock.now() + dt.timedelta(days=int(value[1:]))).isoformat()
    monkeypatch.setenv(clock.ENVIRONMENT, value)
    return clock.now()


@pytest.fixture
def tiny_framework_yaml():
    """A small framework written inline, as a council officer might."""
    return TINY_FRAMEWORK


# A small framework written inline, as a council officer might.
TINY_FRAMEWORK = textwrap.dedent("""\
        format: 1
        id: tiny
        title: Tiny standards
        version: "1"
        source: {publisher: Anytown Council, year: 2026, title: Tiny standards}
        scales:
          - id: rating
            title: Rating
            origin: sheetkit
            note: Made up for a test.
            levels:
              - {value: 1, label: Weak, description: Little in place.}
              - {value: 2, label: Fair, description: Some in place.}
              - {value: 3, label: Good, description: Mostly in place.}
        responses:
          item:
            - {id: rating, label: Rating, type: rating, scale: rating, evidence: [evidence]}
            - {id: actions, label: Actions, type: text}
            - {id: owner, label: Who, type: person}
            - {id: due, label: By when, type: date}
          statement:
            - {id: evidence, label: Evidence, type: text}
        sections:
          - id: "1"
            title: Knowing people
            items:
              - id: "1"
                title: Standard one
                statements:
                  - {id: "1.1", text: We know our population.}
                  - {id: "1.2", text: We share data.}
          - id: "2"
            title: Working together
            items:
              - id: "2"
                title: Standard two
                statements:
                  - {id: "2.1", text: We plan jointly., prompts: [Joint plans]}
        """)


@contextlib.contextmanager
def framework_folder(folder: Path, framework_id: str, text: str):
    """A user framework folder holding one framework, registered via the environment while the block
    runs: for fixtures made once for a module (a test uses tiny_dir)."""
    folder.mkdir()
    (folder / f"{framework_id}.yaml").write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHEETKIT_FRAMEWORKS", str(folder))
        yield folder


@pytest.fixture
def tiny_dir(tmp_path, tiny_framework_yaml, monkeypatch):
    """A user framework folder holding the tiny framework, registered via the environment."""
    folder = tmp_path / "my-frameworks"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(tiny_framework_yaml, encoding="utf-8")
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(folder))
    return folder


SLOW_MODULES = {"test_growth",  # consolidation run at N and 4N, its steps counted
                "test_libreoffice", "test_lo_edits", "test_reading_edits", "test_hostile", "test_property",
                "test_benchmark_smoke", "test_samples", "test_returns_folder",
                "test_next_round", "test_two_rounds",  # whole rounds built, filled and compiled through files
                "test_moderation_libreoffice",  # replies typed and edited in LibreOffice, the pack printed
                "test_packaging",  # a wheel built and installed into a fresh environment
                "test_app_browser"}  # the page, clicked through in Chromium


def pytest_ignore_collect(collection_path, config):
    """The fast tier alone does not import the modules that are wholly slow."""
    if fast_tier_only(config) and collection_path.suffix == ".py" and collection_path.stem in SLOW_MODULES:
        return True
    return None


def pytest_collection_modifyitems(config, items):
    """The slow tier: everything that drives LibreOffice or Gnumeric, builds many files or runs a
    benchmark. `pytest -m "not slow" -n auto` runs the rest, the fast tier, in about a minute."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def tmp_path(tmp_path):
    """Each test's folder, inside a folder of its own: build writes an exercise's records into the
    parent of its --out folder, so a test that builds into tmp_path keeps them to itself."""
    own = tmp_path / "work"
    own.mkdir()
    return own


@pytest.fixture(autouse=True, scope="module")
def _forget_opened_workbooks():
    """Workbooks kept for looking at are let go after each module. A test process forks a reader for
    every validate and ingest, and each fork costs time in proportion to what the process holds."""
    yield
    _opened.cache_clear()
    if "fill_by_label" in sys.modules:
        sys.modules["fill_by_label"].forget()


def opened(path: Path | str, read_only: bool = False):
    """The workbook as openpyxl opens it, for looking at, never for changing: a file opened before
    and unchanged since (same size, same time) is the same object again, so tests that look at
    one workbook in turn do not each parse it."""
    import openpyxl

    if read_only:  # read lazily from the open file: cheap to open, and not to be kept open
        return openpyxl.load_workbook(path, read_only=True)
    stat = Path(path).stat()
    return _opened(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _opened(path: str, size: int, mtime: int):
    import openpyxl

    return openpyxl.load_workbook(path)


def dashboard_brief(path: Path) -> dict[str, str]:
    """A consolidated workbook's Dashboard brief as a reader takes it in: each label's lines, joined."""
    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Dashboard").to_python()
    brief, label = {}, ""
    for row in grid[1:]:
        if not (row[0] or row[1]):
            break
        label = row[0] or label
        brief[label] = (brief.get(label, "") + " " + row[1]).strip()
    return brief
