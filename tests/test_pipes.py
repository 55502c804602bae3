"""Output piped into a program that stops reading (``sheetkit validate ... | head -1``).

A closed pipe is not a locked file: the command ends quietly with the status it would have
had, says nothing about Excel, and still writes its outputs. Each test runs the real command
line into a real pipe: into a pipe whose reader has gone before sheetkit writes (as
``| head -1`` is by the time a long report's later lines come), and into ``head -1`` itself
through a pipe made one page small, so that ``head`` leaves while sheetkit is still writing.
(Python reports a reader that leaves in the middle of one write as a short write, not an
error, so only the first kind fails every time without the fix; both must pass with it.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and head; Windows reports a closed pipe as "
                                                         "EINVAL, handled the same way but not tested")

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
SHEETKIT = [sys.executable, "-m", "sheetkit"]
COMMANDS = {
    # name: (arguments, the status the command has when its output is read to the end)
    "validate": (["validate", SAMPLES / "returns", "--manifest", SAMPLES / "manifest.csv"], 1),
    "validate --json": (["validate", SAMPLES / "returns", "--manifest", SAMPLES / "manifest.csv", "--json"], 1),
    "frameworks show": (["frameworks", "show", "lga-cbo", "--json"], 0),
    "codes": (["codes"], 0),
}


def _into_head(args: list) -> tuple[int, str, bytes]:
    """`sheetkit ARGS | head -1` through a one-page pipe: (sheetkit's status, what it said on stderr, what head printed)."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ") or shutil.which("head") is None:
        pytest.skip("needs Linux's F_SETPIPE_SZ to make the pipe small, and head")
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    sheetkit = subprocess.Popen([*SHEETKIT, *map(str, args)], stdout=write, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=read, stdout=subprocess.PIPE)
    os.close(read)
    os.close(write)
    shown = head.communicate(timeout=300)[0]
    said = sheetkit.communicate(timeout=300)[1].decode("utf-8", "replace")
    return sheetkit.returncode, said, shown


@POSIX
@pytest.mark.slow  # each runs the command line in a process of its own
@pytest.mark.parametrize("command", list(COMMANDS))
def test_output_into_a_pipe_whose_reader_has_gone_ends_quietly_with_the_commands_status(command):
    args, status = COMMANDS[command]
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run([*SHEETKIT, *map(str, args)], stdout=write, stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(write)
    said = run.stderr.decode("utf-8", "replace")
    assert run.returncode == status, said
    assert "Excel" not in said and "Error" not in said and "Traceback" not in said, said


@POSIX
@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "codes"])
def test_a_pipe_into_head_ends_quietly_with_the_commands_status(command):
    args, status = COMMANDS[command]
    full = subprocess.run([*SHEETKIT, *map(str, args)], capture_output=True, timeout=300)
    assert full.returncode == status and len(full.stdout) > 4096  # more than the pipe holds: head leaves first
    code, said, shown = _into_head(args)
    assert shown == full.stdout.splitlines(keepends=True)[0]
    assert code == status, said
    assert "Excel" not in said and "Error" not in said and "Traceback" not in said, said


@POSIX
@pytest.mark.slow
def test_ingest_into_a_closed_pipe_still_writes_its_outputs(tmp_path):
    """Standard output and error both into a pipe nobody reads any more: the progress bar and the
    report find it closed, and the consolidated workbook and CSV are written all the same."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before sheetkit writes a byte
    try:
        run = subprocess.run([*SHEETKIT, "ingest", str(SAMPLES / "returns"), "--manifest",
                              str(SAMPLES / "manifest.csv"), "--out", str(tmp_path / "c.xlsx"), "--csv",
                              str(tmp_path / "c.csv")], stdout=write, stderr=write, timeout=300)
    finally:
        os.close(write)
    assert run.returncode == 1  # the sample holds a return with errors on purpose
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "c.xlsx"]


def test_a_file_problem_says_close_it_in_excel_only_when_the_file_is_locked():
    import errno

    from sheetkit.cli import _file_problem

    locked = _file_problem(PermissionError(errno.EACCES, "Permission denied", "/x/c.xlsx"))
    full = _file_problem(OSError(errno.ENOSPC, "No space left on device", "/x/c.xlsx"))
    missing = _file_problem(FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/c.xlsx"))
    assert "Close it in Excel" in locked and "/x/c.xlsx" in locked
    assert "Excel" not in full and "disk is full" in full
    assert "Excel" not in missing and "/x/c.xlsx" in missing
