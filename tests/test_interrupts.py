"""Ctrl-C at any moment of build, validate, ingest and chase, as a terminal sends it.

Each command is run for real (``python -m sheetkit``) in a process group of its own, once to
the end (how long it takes, its status and what it writes), then again and again with SIGINT
sent to the whole group, as pressing Ctrl-C in a terminal does, at moments spread over that
time and at moments picked by watching it (reading has begun, a temporary output exists).
After each run: the status is 130 (or the command's own, when it finished first); no process
of the group is left; the output folders are exactly as they were (bytes, inodes, times) or,
when the message says the outputs were already in place, hold exactly the finished run's
files; no temporary file is left in them or in the temporary folder. A parent killed outright
takes its reading workers with it.

POSIX only: Windows has no process groups or SIGINT to send to one (there, the job object and
the closed pipe end the workers; see the README's "Windows").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import build, fill, random_answers
from test_all_or_nothing import TEMPORARY, leftovers, snapshot

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group; Windows has none")]

PARTNERS = tuple(f"Partner {n:02d}" for n in range(10))
SILENT = ("Fire and Rescue", "Carers Centre")  # asked, never returned: chase drafts them reminders
COPIES = 2  # each return also resent twice: 30 files, so reading takes a while
FRACTIONS = (0.15, 0.4, 0.65, 0.9)  # of a whole run's time


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An exercise: 12 partners asked, and 10 returns, each sent three times."""
    root = tmp_path_factory.mktemp("interrupts")
    built = build("lga-cbo", root / "built", names=PARTNERS + SILENT)
    returns = root / "returns"
    (returns / "resent").mkdir(parents=True)
    for n, path in enumerate(built[:len(PARTNERS)]):
        fill(path, returns / path.name, random_answers("lga-cbo", seed=n))
        for copy in range(COPIES):
            (returns / "resent" / f"{copy} {path.name}").write_bytes((returns / path.name).read_bytes())
    return root


def _group(pgid: int) -> list[str]:
    """The processes still in the process group (zombies, already ended, aside)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(f"{entry.name} ({fields[0]})")
    return alive


def _none_left(pgid: int) -> list[str]:
    if not Path("/proc").is_dir():  # macOS: ask the system instead
        found = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
        return found
    for _ in range(50):  # killed workers are reaped by the system a moment after their parent ends
        left = _group(pgid)
        if not left:
            return []
        time.sleep(0.1)
    return left


def _start(args: list, work: Path, log: Path, watch_imports: bool = False) -> subprocess.Popen:
    temp = work / "tmp"
    temp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(temp), TEMP=str(temp), TMP=str(temp))
    python = [sys.executable, *(["-X", "importtime"] if watch_imports else []), "-m", "sheetkit"]
    return subprocess.Popen([*python, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w", encoding="utf-8"), start_new_session=True, env=env)


def _whole(args: list, work: Path) -> tuple[float, int]:
    """Run to the end: how long it took and its status."""
    started = time.monotonic()
    proc = _start(args, work, work / "whole.log")
    code = proc.wait(timeout=600)
    return time.monotonic() - started, code


def _interrupt(args: list, work: Path, when) -> tuple[int, str, list[str]]:
    """Run, press Ctrl-C once `when(elapsed, stderr)` says so; (status, what it said, processes left in its group)."""
    log = work / "interrupted.log"
    started = time.monotonic()
    proc = _start(args, work, log, watch_imports=when is _LOADING)
    try:
        while proc.poll() is None and not when(time.monotonic() - started, log.read_text(encoding="utf-8")):
            time.sleep(0.002)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return code, log.read_text(encoding="utf-8"), _none_left(proc.pid)


def _moments(took: float, folders: tuple[Path, ...]) -> dict[str, object]:
    """When to press Ctrl-C: while sheetkit starts, at shares of a whole run, once a temporary output
    exists, and once an output has been put in place."""
    moments = {"while sheetkit loads": _LOADING}
    moments |= {f"{share:.0%} of the way": (lambda t, _, at=share * took: t >= at) for share in FRACTIONS}
    if folders:
        moments["a temporary output exists"] = lambda t, _: bool(leftovers(*folders))
        moments["an output is in place"] = _changed(folders)
    return moments


def _LOADING(elapsed: float, said: str) -> bool:
    """The moment sheetkit's command line is being imported (click is, and sheetkit is not yet ready).

    Python's own start (before any of sheetkit runs, its first tenth of a second or more on a busy
    machine) is not sheetkit's to handle, so this moment is found by watching the imports."""
    return "| click" in said


def _changed(folders: tuple[Path, ...]):
    """A moment: the first time a file other than a temporary one is added to `folders` or replaced."""
    seen: dict = {}

    def files() -> dict[str, tuple[int, int]]:
        found = {}
        for folder in folders:
            for path in folder.rglob("*") if folder.exists() else ():
                try:
                    if not TEMPORARY.match(path.name) and path.is_file():
                        found[str(path)] = (path.stat().st_ino, path.stat().st_mtime_ns)
                except OSError:  # gone between listing and looking: a temporary file, or one set aside
                    pass
        return found

    def when(elapsed: float, said: str) -> bool:
        now = files()
        if "start" not in seen:
            seen["start"] = now
        return any(now.get(name) != stamp for name, stamp in seen["start"].items()) or bool(set(now) - set(seen["start"]))
    return when


def _check_every_moment(args: list, folders: tuple[Path, ...], prepare, work: Path,
                        inputs: tuple[Path, ...] = (), scratch: tuple[Path, ...] = ()) -> None:
    """Run `args` whole, then interrupted at every moment, each time from the state `prepare()` makes.

    `folders` hold the outputs (as before, or as the finished run left them); `inputs` must never
    change; in `scratch` (the re-ingest cache) only temporary files are looked for."""
    prepare()
    took, normal = _whole(args, work)
    assert normal in (0, 1), (work / "whole.log").read_text(encoding="utf-8")
    finished = set(snapshot(*folders))
    assert leftovers(*folders, *scratch, work / "tmp") == []
    unchanged = snapshot(*inputs)
    for name, when in _moments(took, folders).items():
        prepare()
        before = snapshot(*folders)
        code, said, left = _interrupt(args, work, when)
        said = "\n".join(line for line in said.splitlines() if not line.startswith("import time:"))
        print(f"{args[0]}, Ctrl-C {name}: status {code}; {said.strip()[-120:]!r}")  # shown when a check fails
        assert left == [], f"{name}: processes left: {left}"
        assert "Traceback" not in said, f"{name}:\n{said[-3000:]}"
        assert snapshot(*inputs) == unchanged, name
        assert leftovers(*folders, *scratch) == [], f"{name}: {leftovers(*folders, *scratch)}"
        assert list((work / "tmp").iterdir()) == [], f"{name}: {list((work / 'tmp').iterdir())}"
        if code == 130 and "no output was changed" in said:
            assert snapshot(*folders) == before, name
        else:
            assert code in (130, normal), f"{name}: status {code}\n{said[-2000:]}"
            assert code == normal or "Interrupted after the outputs were put in place" in said, said[-2000:]
            assert set(snapshot(*folders)) == finished, name


def _reset(folder: Path, template: Path | None) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    if template is not None:
        shutil.copytree(template, folder)


def test_ctrl_c_during_build(world, tmp_path):
    """Adding 16 respondents, with drafts, to an exercise of two: workbooks built over the cores."""
    template = tmp_path / "template"
    build("lga-cbo", template, names=("Housing", "Health"))  # locked with the password 'secret'
    out = tmp_path / "exercise"
    args = ["build", "lga-cbo", "--out", out, "--round", "2026 Q4", "--emails", "--password", "secret",
            *[a for n in range(16) for a in ("--respondent", f"Team {n:02d}")]]
    _check_every_moment(args, (out,), lambda: _reset(out, template), tmp_path)


def test_ctrl_c_during_validate(world, tmp_path):
    args = ["validate", world / "returns", "--manifest", world / "built" / "manifest.csv"]
    _check_every_moment(args, (), lambda: None, tmp_path, inputs=(world / "returns", world / "built"))


def test_ctrl_c_during_ingest(world, tmp_path):
    """Replacing last week's consolidated workbook, CSV and feedback, and filling the re-ingest cache."""
    out, cache = tmp_path / "reports", tmp_path / "cache"
    args = ["ingest", world / "returns", "--manifest", world / "built" / "manifest.csv", "--out", out / "c.xlsx",
            "--csv", out / "c.csv", "--feedback", out / "feedback", "--cache", cache]
    template = tmp_path / "template"
    assert subprocess.run([sys.executable, "-m", "sheetkit", *map(str, args[:6]), "--out", template / "c.xlsx",
                           "--csv", template / "c.csv", "--feedback", template / "feedback", "--no-cache"],
                          capture_output=True).returncode in (0, 1)

    def prepare() -> None:
        _reset(out, template)
        _reset(cache, None)  # every run reads every return

    _check_every_moment(args, (out,), prepare, tmp_path, inputs=(world / "returns",), scratch=(cache,))


def test_ctrl_c_during_chase(world, tmp_path):
    """A week after an earlier chase: reminders to the two who never returned, and the log."""
    out = tmp_path / "chase"
    args = ["chase", world / "returns", "--manifest", world / "built" / "manifest.csv", "--out", out]
    template = tmp_path / "template"
    assert subprocess.run([sys.executable, "-m", "sheetkit", *map(str, args[:5]), template, "--today",
                           "2026-12-03"], capture_output=True).returncode == 0
    _check_every_moment(args + ["--today", "2026-12-10"], (out,), lambda: _reset(out, template), tmp_path,
                        inputs=(world / "returns",))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_end_when_their_parent_is_killed(world, tmp_path):
    """SIGKILL gives sheetkit no chance to stop its workers: the system ends them (PR_SET_PDEATHSIG)."""
    args = ["validate", world / "returns", "--manifest", world / "built" / "manifest.csv"]
    log = tmp_path / "killed.log"
    proc = _start(args, tmp_path, log)
    try:
        while proc.poll() is None and len(_group(proc.pid)) < 2:  # wait until the workers are reading
            time.sleep(0.01)
        assert proc.poll() is None, log.read_text()
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, as the system's out-of-memory killer would
        proc.wait(timeout=30)
        assert _none_left(proc.pid) == []
    finally:
        if _group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
