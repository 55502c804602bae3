"""Every command that writes is all or nothing, across all its outputs.

Each output of build, chase and ingest is locked in turn (made immutable, as a file open in
Excel is on Windows, or its folder made read-only), the command is run, and the folders are
compared byte for byte with what they held before: nothing may change, no temporary file may
be left, and the message must name the file to close. Then the renames that put outputs in
place are made to fail one at a time, and Ctrl-C is pressed in the middle of them.

Locking: on Linux as root, read-only permissions stop nothing, so a file or folder is locked
with ``chattr +i`` (immutable: it cannot be opened for writing, renamed, replaced or deleted,
and an immutable folder takes no new file); on macOS with ``chflags uchg``; as another user on
Linux with read-only permissions. The tests skip, saying why, where none of these works.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import build, fill, random_answers
from sheetkit.cli import cli
from sheetkit.common import outputs as outputs_module

TEMPORARY = re.compile(r"^\.(sheetkit-.*|.+\.(partial|aside|probe|stream))$")


# -- seeing what is on disk ---------------------------------------------------------------------
def snapshot(*roots: Path) -> dict[str, tuple | None]:
    """Every file and folder under `roots`: its path, and a file's bytes (SHA-256), inode and modification
    time, so a file replaced by one with the same bytes still counts as changed (None for a folder)."""
    seen: dict[str, tuple | None] = {}
    for root in roots:
        if not root.exists():
            seen[str(root)] = ("absent",)
            continue
        for path in sorted(root.rglob("*")):
            if path.is_dir():
                seen[str(path)] = None
            else:
                stat = path.stat()
                seen[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_ino, stat.st_mtime_ns)
    return seen


def leftovers(*roots: Path) -> list[str]:
    """Temporary files sheetkit may make (``.NAME.<run>.partial`` and the like) found under `roots`."""
    return sorted(str(p) for root in roots if root.exists() for p in root.rglob("*") if TEMPORARY.match(p.name))


# -- locking a file as Excel does --------------------------------------------------------------
def _lock_commands() -> tuple[list[str], list[str]] | None:
    if sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("chattr"):
        return ["chattr", "+i"], ["chattr", "-i"]
    if sys.platform == "darwin" and shutil.which("chflags"):
        return ["chflags", "uchg"], ["chflags", "nouchg"]
    return None


@contextmanager
def locked(path: Path):
    """`path` (a file, or a folder) unchangeable while the block runs, as a workbook open in Excel is."""
    commands = _lock_commands()
    if commands is None and os.name == "posix" and os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if commands is None:
        pytest.skip("no way to lock a file here: needs chattr as root on Linux, chflags on macOS, or a non-root user")
    done = subprocess.run([*commands[0], str(path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"{' '.join(commands[0])} does not work on this file system: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([*commands[1], str(path)], check=True)


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _assert_refused(result, before: dict, roots: tuple[Path, ...], named: Path, folder: bool = False) -> None:
    """Exit 4, the locked file (or folder) named with what to do, and every root exactly as before."""
    assert result.exit_code == 4, result.output
    if folder:
        assert f"the folder {named} cannot be written to" in result.output, result.output
    else:
        assert f"{named}: it is open in another program (such as Excel) or read-only. Close it in Excel" \
            in result.output, result.output
    assert "Nothing was written" in result.output and "Traceback" not in result.output
    assert snapshot(*roots) == before
    assert leftovers(*roots) == []


# -- build ---------------------------------------------------------------------------------------
def _copy(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a module's prepared files for one test, which may change them."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    folder = tmp_path_factory.mktemp("built") / "exercise" / "workbooks"
    assert _run(["build", "ipc-audit", "--out", folder, "--respondent", "Housing", "--respondent", "Health",
                 "--round", "2026 Q4", "--emails"]).exit_code == 0
    return folder.parents[1]


@pytest.fixture
def exercise(built_once, tmp_path):
    """An exercise already built for two respondents, with drafts: the folder build adds to."""
    return _copy(built_once, tmp_path) / "exercise" / "workbooks"


BUILD_LOCKS = {
    # what is locked: (the file or folder, extra options, is it a folder)
    "the manifest, adding two respondents": ("../manifest.csv", [], False),  # kept in the exercise folder
    "a re-issued workbook": ("ipc-audit_housing_2026-q4.xlsx", ["--respondent", "Housing", "--force"], False),
    "a re-issued draft": ("ipc-audit_housing_2026-q4.eml", ["--respondent", "Housing", "--force"], False),
    "the folder of workbooks": (".", [], True),
    "the exercise folder, which holds the lead's records": ("..", [], True),
}


@pytest.mark.parametrize("what", list(BUILD_LOCKS))
def test_build_with_an_output_locked_changes_nothing(exercise, what):
    name, extra, folder = BUILD_LOCKS[what]
    target = (exercise / name).resolve()
    before = snapshot(exercise.parent)
    with locked(target):
        result = _run(["build", "ipc-audit", "--out", exercise, "--round", "2026 Q4", "--emails",
                       "--respondent", "Carers Centre", "--respondent", "Fire and Rescue", *extra])
        _assert_refused(result, before, (exercise.parent,), target, folder)
    again = _run(["build", "ipc-audit", "--out", exercise, "--round", "2026 Q4", "--emails",
                  "--respondent", "Carers Centre", "--respondent", "Fire and Rescue", *extra])
    assert again.exit_code == 0, again.output  # unlocked, the same command does it all
    manifest = (exercise.parent / "manifest.csv").read_text(encoding="utf-8-sig")
    assert all(n in manifest for n in ("Housing", "Health", "Carers Centre", "Fire and Rescue"))


def test_build_into_a_new_folder_under_a_locked_one_makes_no_folder(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir()
    with locked(parent):
        result = _run(["build", "ipc-audit", "--out", parent / "exercise" / "workbooks", "--respondent", "Housing"])
        _assert_refused(result, snapshot(tmp_path), (tmp_path,), parent, folder=True)
        assert list(parent.iterdir()) == []


# -- chase ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chased_once(tmp_path_factory):
    root = tmp_path_factory.mktemp("chased")
    built = build("ipc-audit", root / "built", names=("Housing", "Health", "Carers Centre"))
    returns = root / "returns"
    returns.mkdir()
    fill(built[0], returns / built[0].name, random_answers("ipc-audit", seed=3))
    first = _run(["chase", returns, "--manifest", root / "built" / "manifest.csv", "--out", root / "chase",
                  "--today", "2026-12-03"])
    assert first.exit_code == 0, first.output
    assert len(list((root / "chase" / "2026-12-03").glob("*.eml"))) == 2
    return root


@pytest.fixture
def chased(chased_once, tmp_path):
    """An exercise of three respondents, one return in (two reminders to draft), and a first chase made."""
    root = _copy(chased_once, tmp_path)
    return root, root / "chase"


CHASE_LOCKS = {
    # what is locked: (the file or folder, the day chase runs, is it a folder)
    "the log, the next week": ("chase.csv", "2026-12-10", False),
    "the log, the same day again": ("chase.csv", "2026-12-03", False),
    "a draft the same day's run replaces": ("2026-12-03/reminder_Health.eml", "2026-12-03", False),
    "the day's folder": ("2026-12-03", "2026-12-03", True),
    "the drafts folder, the next week": (".", "2026-12-10", True),
}


@pytest.mark.parametrize("what", list(CHASE_LOCKS))
def test_chase_with_an_output_locked_changes_nothing(chased, what):
    root, out = chased
    name, day, folder = CHASE_LOCKS[what]
    target = (out / name).resolve()
    before = snapshot(out)
    args = ["chase", root / "returns", "--manifest", root / "built" / "manifest.csv", "--out", out, "--today", day]
    with locked(target):
        _assert_refused(_run(args), before, (out,), target, folder)
    assert _run(args).exit_code == 0


def test_chase_takes_away_a_draft_of_the_day_only_with_the_rest(chased):
    """A respondent whose return arrived since the morning's run needs no draft: the afternoon's run
    takes their draft away, and when the log is locked it takes nothing away."""
    root, out = chased
    built = root / "built" / "ipc-audit_health_2026-q4.xlsx"
    fill(built, root / "returns" / built.name, random_answers("ipc-audit", seed=4))
    args = ["chase", root / "returns", "--manifest", root / "built" / "manifest.csv", "--out", out,
            "--today", "2026-12-03"]
    before = snapshot(out)
    with locked(out / "chase.csv"):
        _assert_refused(_run(args), before, (out,), out / "chase.csv")
    assert _run(args).exit_code == 0
    assert [p.name for p in (out / "2026-12-03").iterdir()] == ["reminder_Carers Centre.eml"]


# -- ingest --------------------------------------------------------------------------------------
def _ingest_args(root: Path) -> list:
    return ["ingest", root / "returns", "--manifest", root / "built" / "manifest.csv", "--out",
            root / "reports" / "c.xlsx", "--csv", root / "shared" / "c.csv", "--feedback", root / "shared" / "feedback"]


@pytest.fixture(scope="module")
def compiled_once(tmp_path_factory):
    root = tmp_path_factory.mktemp("compiled")
    built = build("ipc-audit", root / "built", names=("Housing", "Health"))
    (root / "returns").mkdir()
    for n, path in enumerate(built):
        fill(path, root / "returns" / path.name, random_answers("ipc-audit", seed=n))
    assert _run(_ingest_args(root)).exit_code in (0, 1)
    return root


@pytest.fixture
def compiled(compiled_once, tmp_path):
    """Two returns, and last week's consolidated workbook, CSV and feedback folder to be replaced."""
    root = _copy(compiled_once, tmp_path)
    return _ingest_args(root), root / "reports", root / "shared"


INGEST_LOCKS = {
    "the consolidated workbook": ("reports/c.xlsx", False),
    "the Responses CSV": ("shared/c.csv", False),
    "a feedback workbook": ("shared/feedback/feedback_Health.xlsx", False),
    "a feedback draft": ("shared/feedback/feedback_Housing.eml", False),
    "the feedback folder": ("shared/feedback", True),
    "the consolidated workbook's folder": ("reports", True),
}


@pytest.mark.parametrize("what", list(INGEST_LOCKS))
def test_ingest_with_an_output_locked_changes_nothing(compiled, what):
    args, reports, shared = compiled
    name, folder = INGEST_LOCKS[what]
    target = (reports.parent / name).resolve()
    before = snapshot(reports, shared)
    with locked(target):
        _assert_refused(_run(args), before, (reports, shared), target, folder)
    assert _run(args).exit_code in (0, 1)


def test_ingest_checks_its_outputs_before_reading_any_return(compiled, monkeypatch):
    args, reports, shared = compiled
    monkeypatch.setattr("sheetkit.commands.ingest.check_returns", lambda *a, **k: pytest.fail("the returns were read"))
    for target in (shared / "c.csv", shared / "feedback"):  # named before the returns are read: checked first
        with locked(target):
            result = _run(args)
        assert result.exit_code == 4 and str(target) in result.output, result.output


# -- renames that fail half way, and Ctrl-C among them ----------------------------------------------
def _failing_replace(at: int, also_undo: bool = False, interrupt: bool = False):
    """os.replace that fails (or presses Ctrl-C) at its `at`-th call; with `also_undo`, putting back fails too."""
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == at and interrupt:
            signal.raise_signal(signal.SIGINT)
        elif len(calls) == at or (also_undo and len(calls) > at):
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        return real(src, dst)
    return replace, calls


def _reissue(folder: Path):
    return ["build", "ipc-audit", "--out", folder, "--round", "2026 Q4", "--emails", "--force",
            "--respondent", "Housing", "--respondent", "Health", "--respondent", "Carers Centre"]


def test_a_rename_that_fails_at_any_point_undoes_the_others(exercise, monkeypatch):
    """Re-issuing two workbooks with their drafts and adding one respondent: twelve renames, each made to fail."""
    pristine = exercise.parent.with_name("pristine")
    shutil.copytree(exercise.parent, pristine)
    replace, calls = _failing_replace(at=0)
    monkeypatch.setattr(os, "replace", replace)
    assert _run(_reissue(exercise)).exit_code == 0
    assert len(calls) == 2 * 5 + 2  # 4 re-issued files and the manifest set aside and replaced; 2 new files
    for at in range(1, len(calls) + 1):
        _put_back(pristine, exercise.parent)
        before = snapshot(exercise.parent)
        replace, _ = _failing_replace(at)
        monkeypatch.setattr(os, "replace", replace)
        result = _run(_reissue(exercise))
        assert result.exit_code == 4 and "Close it in Excel" in result.output, (at, result.output)
        assert snapshot(exercise.parent) == before, at
        assert leftovers(exercise.parent) == [], at


def _put_back(pristine: Path, folder: Path) -> None:
    shutil.rmtree(folder)
    shutil.copytree(pristine, folder)


def test_a_file_that_cannot_be_put_back_is_named_with_where_its_earlier_version_is(exercise, monkeypatch):
    before = {p.name: p.read_bytes() for p in exercise.iterdir()}
    replace, calls = _failing_replace(at=3, also_undo=True)  # the second file fails, and so does undoing the first
    monkeypatch.setattr(os, "replace", replace)
    result = _run(_reissue(exercise))
    assert result.exit_code == 4, result.output
    first = Path(calls[1][1])  # the first file put in place
    kept = Path(calls[0][1])  # where its earlier version was set aside
    assert f"{first} could not be put back as it was" in result.output
    assert f"its earlier version is {kept}" in result.output
    assert kept.read_bytes() == before[first.name]  # nothing lost: the earlier version is where the message says


def test_ctrl_c_while_the_outputs_are_put_in_place_undoes_them(exercise, monkeypatch):
    pristine = exercise.parent.with_name("pristine")
    shutil.copytree(exercise.parent, pristine)
    for at in (1, 2, 7, 12):
        _put_back(pristine, exercise.parent)
        before = snapshot(exercise.parent)
        replace, _ = _failing_replace(at, interrupt=True)
        monkeypatch.setattr(os, "replace", replace)
        result = _run(_reissue(exercise))
        assert result.exit_code == 130, (at, result.output)
        assert "Interrupted: no output was changed, and the temporary files were removed." in result.output
        assert snapshot(exercise.parent) == before, at
        assert leftovers(exercise.parent) == [], at


def test_ctrl_c_after_the_outputs_are_in_place_says_they_are_complete(exercise, monkeypatch):
    from sheetkit.cli import _interrupted

    already = len(outputs_module.placed())
    assert _interrupted(already) == "Interrupted: no output was changed, and the temporary files were removed."
    assert _run(_reissue(exercise)).exit_code == 0
    assert outputs_module.placed()[-1] == exercise.parent / "manifest.csv"
    assert _interrupted(already).startswith(f"Interrupted after the outputs were put in place ({exercise}")
    assert _interrupted(already).endswith(" and 4 more): they are complete.")


def test_a_workbook_that_fails_in_a_worker_leaves_the_exercise_as_it_was(exercise, monkeypatch):
    """Eight respondents are built over the cores; the fifth draft meets a full disk in its worker."""
    from sheetkit.commands import build as build_module
    from sheetkit.common.sandbox import start_context

    if start_context().get_start_method() != "fork":
        pytest.skip("the failure is planted in this process, which only forked workers inherit")
    real = build_module.write_email

    def full_disk(path, framework, person, facts, workbook, name):
        if person.name == "Team 4":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, framework, person, facts, workbook, name)

    monkeypatch.setattr(build_module, "write_email", full_disk)
    before = snapshot(exercise.parent)
    result = _run(["build", "ipc-audit", "--out", exercise, "--round", "2026 Q4", "--emails",
                   *[a for n in range(8) for a in ("--respondent", f"Team {n}")]])
    assert result.exit_code == 4, result.output
    assert f"cannot write the email draft for Team 4 {exercise / 'ipc-audit_team-4_2026-q4.eml'}: the disk is full" \
        in result.output
    assert snapshot(exercise.parent) == before and leftovers(exercise.parent) == []
