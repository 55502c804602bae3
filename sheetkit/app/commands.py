"""The command line that does what a page does, with the real paths of the exercise.

Each page shows it under "The same with the command line:", so the page teaches the commands
to those who want them. Arguments are quoted for the shell of the machine the page runs on:
PowerShell on Windows, a POSIX shell elsewhere.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from .exercises import Exercise

_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./\\-]+")


def quote(arg: str, windows: bool | None = None) -> str:
    """One argument as the shell would need it typed."""
    windows = os.name == "nt" if windows is None else windows
    if not windows:
        return shlex.quote(arg)
    if arg and _PLAIN.fullmatch(arg):
        return arg
    return "'" + arg.replace("'", "''") + "'"  # PowerShell: single quotes are literal, '' is one quote


def line(*args: str | Path | None, windows: bool | None = None) -> str:
    """`sheetkit ARGS...`, None arguments left out."""
    return " ".join(["sheetkit", *(quote(str(a), windows) for a in args if a is not None)])


def frameworks() -> str:
    return line("frameworks")


def show(framework_id: str) -> str:
    return line("frameworks", "show", framework_id)


def build(framework_id: str, respondents: Path | None, exercise: Exercise, round_name: str, deadline: str,
          return_to: str, previous: Path | None) -> str:
    return line("build", framework_id, *(("--respondents", respondents) if respondents else ()),
                "--out", exercise.workbooks, "--round", round_name,
                *(("--deadline", deadline) if deadline else ()),
                *(("--return-to", return_to) if return_to else ()), "--emails",
                *(("--previous", previous) if previous else ()))


def validate(exercise: Exercise) -> str:
    return line("validate", exercise.returns, *_manifest(exercise))


def ingest(exercise: Exercise) -> str:
    contact = exercise.note().get("return_to", "")
    return line("ingest", exercise.returns, *_manifest(exercise), "--out", exercise.consolidated,
                "--csv", exercise.responses_csv, *(("--previous", exercise.previous) if exercise.previous else ()),
                *(("--contact", contact) if contact else ()))


def chase(exercise: Exercise, emails_from: str) -> str:
    return line("chase", exercise.returns, *_manifest(exercise), "--out", exercise.chase_dir,
                *(("--emails-from", emails_from) if emails_from else ()), "--workbooks", exercise.workbooks)


def _manifest(exercise: Exercise) -> tuple:
    manifest = exercise.manifest
    return ("--manifest", manifest) if manifest else ()
