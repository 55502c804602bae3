"""`sheetkit build`: one locked workbook per respondent, a manifest, and optional email drafts.

Everything is written into a temporary folder inside the output folder first and moved into
place only when every file succeeded, so a failure leaves nothing half-done.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import multiprocessing as mp
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path


from .emails import write_email
from .errors import UsageError
from .framework import Framework
from .layout import plan_workbook
from .progress import THRESHOLD as PROGRESS_THRESHOLD
from .progress import progress as show_progress
from .reader import file_sha256
from .respondents import Respondent
from .writer import WorkbookFacts, write_workbook

MANIFEST = "manifest.csv"
PASSWORD_FILE = "protection-password.txt"
MANIFEST_COLUMNS = ("respondent", "organisation", "email", "file", "sha256", "framework_id",
                    "framework_version", "fingerprint", "round", "deadline", "built_at", "build_id", "contact", "group")


@dataclass
class BuildOptions:
    out_dir: Path
    deadline: str | None = None
    round: str = ""
    return_to: str = ""
    password: str | None = None
    emails: bool = False
    force: bool = False
    progress: bool = False
    now: dt.datetime | None = None  # fixed for reproducible output (the samples); default: the clock

    @property
    def today(self) -> dt.date:
        return (self.now or dt.datetime.now()).date()


@dataclass
class BuiltFile:
    respondent: Respondent
    workbook: Path
    sha256: str
    build_id: str
    email: Path | None = None


@dataclass
class BuildResult:
    framework: Framework
    out_dir: Path
    files: list[BuiltFile]
    manifest: Path
    password_file: Path | None
    deadline: dt.date
    round: str
    exit_code: int = 0

    def to_dict(self) -> dict:
        return {
            "framework": {"id": self.framework.id, "version": self.framework.version,
                          "fingerprint": self.framework.fingerprint},
            "out_dir": str(self.out_dir),
            "manifest": str(self.manifest),
            "password_file": str(self.password_file) if self.password_file else None,
            "round": self.round,
            "deadline": self.deadline.isoformat(),
            "workbooks": [
                {"respondent": f.respondent.name, "file": str(f.workbook), "sha256": f.sha256,
                 "email": str(f.email) if f.email else None}
                for f in self.files
            ],
        }

    def render(self) -> str:
        lines = [f"  {f.respondent.name}: {f.workbook.name}" + (f" (+ {f.email.name})" if f.email else "")
                 for f in self.files]
        if self.password_file:
            lines.append(f"Sheet protection password recorded in {self.password_file}")
        drafts = sum(1 for f in self.files if f.email)
        extra = f" and {drafts} email draft(s)" if drafts else ""
        lines.append(f"Built {len(self.files)} workbook(s){extra} for {self.framework.id} "
                     f"(round {self.round}, due {self.deadline.isoformat()}) in {self.out_dir}; "
                     f"manifest: {self.manifest.name}")
        return "\n".join(lines)


def build_workbooks(framework: Framework, respondents: list[Respondent], options: BuildOptions) -> BuildResult:
    """Build one workbook per respondent into options.out_dir and write the manifest."""
    deadline = parse_deadline(options.deadline, options.today)
    out_dir = _prepare_out_dir(options.out_dir)
    names = {r.key: workbook_name(framework, r, options.round) for r in respondents}
    _refuse_overwrite(out_dir, list(names.values()) + [MANIFEST], options.force)
    password = options.password or secrets.token_urlsafe(9)
    built_at = (options.now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    layout = plan_workbook(framework)
    staging = Path(tempfile.mkdtemp(prefix=".sheetkit-build-", dir=out_dir))
    try:
        jobs = [(framework, layout, person, WorkbookFacts(
                    person.name, person.organisation, person.email, options.round, deadline, options.return_to,
                    build_id(framework, person, options.round, built_at), built_at, password),
                 staging / names[person.key], options.emails) for person in respondents]
        files = _run_jobs(jobs, options.progress)
        _write_manifest(staging / MANIFEST, framework, files, options.round, deadline, built_at)
        if not options.password:
            (staging / PASSWORD_FILE).write_text(
                f"Sheet protection password for the {framework.id} workbooks built {built_at}:\n{password}\n"
                "Keep it to unprotect a returned workbook if you ever need to; respondents do not need it.\n",
                encoding="utf-8")
        final = _move_into_place(staging, out_dir, files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(framework, out_dir, final, out_dir / MANIFEST,
                       None if options.password else out_dir / PASSWORD_FILE, deadline, options.round)


def _build_one(job) -> BuiltFile:
    framework, layout, person, facts, path, emails = job
    write_workbook(str(path), layout, facts)
    email = write_email(path.parent, framework, person, facts, path) if emails else None
    return BuiltFile(person, path, file_sha256(path), facts.build_id, email)


def _run_jobs(jobs: list, progress: bool) -> list[BuiltFile]:
    """Build the workbooks, over every core when there are more than a handful (each is independent)."""
    workers = min(os.cpu_count() or 1, len(jobs))
    if len(jobs) <= PROGRESS_THRESHOLD or workers < 2:
        return [_build_one(job) for job in show_progress(jobs, progress, "Building workbooks")]
    context = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = pool.map(_build_one, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
        return list(show_progress(results, progress, "Building workbooks", length=len(jobs)))


def build_id(framework: Framework, person: Respondent, round_name: str, built_at: str) -> str:
    """A short id for one built workbook, the same whenever the same inputs are built."""
    seed = "\x1f".join((framework.fingerprint, person.key, round_name, built_at))
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def parse_deadline(value: str | None, today: dt.date) -> dt.date:
    """YYYY-MM-DD, not in the past; four weeks from today when not given."""
    if not value:
        return today + dt.timedelta(days=28)
    try:
        deadline = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--deadline '{value}' is not a date; give it as YYYY-MM-DD, e.g. "
                         f"{(today + dt.timedelta(days=28)).isoformat()}") from None
    if deadline < today:
        raise UsageError(f"--deadline {deadline.isoformat()} is in the past (today is {today.isoformat()}); "
                         f"give a future date")
    return deadline


def workbook_name(framework: Framework, respondent: Respondent, round_name: str) -> str:
    """A safe, recognisable file name: framework, respondent and round."""
    parts = [framework.id, _slug(respondent.name), _slug(round_name)]
    return "_".join(p for p in parts if p)[:150] + ".xlsx"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()


def _prepare_out_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".sheetkit-probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out_dir} ({exc.strerror or exc}); "
                         f"choose a folder you can write to with --out") from None
    return out_dir


def _refuse_overwrite(out_dir: Path, names: list[str], force: bool) -> None:
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not force:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise UsageError(f"{out_dir} already holds {shown}; use --force to overwrite, or another --out folder")


def _move_into_place(staging: Path, out_dir: Path, files: list[BuiltFile]) -> list[BuiltFile]:
    for path in staging.iterdir():
        path.replace(out_dir / path.name)
    return [BuiltFile(f.respondent, out_dir / f.workbook.name, f.sha256, f.build_id,
                      out_dir / f.email.name if f.email else None) for f in files]


def _write_manifest(path: Path, framework: Framework, files: list[BuiltFile], round_name: str,
                    deadline: dt.date, built_at: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for f in files:
            writer.writerow([csv_safe(v) for v in (
                f.respondent.name, f.respondent.organisation, f.respondent.email, f.workbook.name, f.sha256,
                framework.id, framework.version, framework.fingerprint, round_name, deadline.isoformat(),
                built_at, f.build_id, f.respondent.contact, f.respondent.group)])


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


