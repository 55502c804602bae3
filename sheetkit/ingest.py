"""`sheetkit validate` and `sheetkit ingest`: from a folder of returns to a report and a workbook.

The stages: find the files; read each one safely (in isolated workers); identify it; decide
which framework and round the exercise is; validate each return against the framework's
layout; settle duplicates and superseded returns; check against the manifest; compile and
write the consolidated workbook. Every problem becomes a finding in the report.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


from .errors import UsageError
from .findings import Finding, count
from .framework import Framework
from .layout import SHEET_META, meta_cell, plan_workbook
from .library import get_framework, list_frameworks
from .manifest import Manifest, read_manifest
from .progress import progress
from .reader import RawReturn, file_sha256, find_returns, peek_framework_id, read_return
from .respondents import normalise_name
from .sandbox import Failure, Limits, run_isolated
from .spool import AnswerSpool, answer_rows
from .validate import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    SUPERSEDED,
    CheckedReturn,
    check_framework,
    identify,
    read_answers,
)



@dataclass
class IngestOptions:
    manifest: str | None = None
    framework_id: str | None = None
    frameworks_dirs: tuple[str, ...] = ()
    out: Path | None = None
    csv: Path | None = None
    divergence: float = 0.5
    feedback: Path | None = None  # folder for each respondent's feedback workbook and draft
    feedback_evidence: bool = False  # show other partners' evidence text in the feedback
    progress: bool = False
    limits: Limits = field(default_factory=Limits)
    now: dt.datetime | None = None  # when the compilation is stamped; fixed for reproducible samples


@dataclass
class IngestReport:
    """What validate and ingest found: the report --json prints and the exit code follows."""

    framework: Framework | None
    round: str
    returns: list[CheckedReturn]
    findings: list[Finding]
    chase: list[str] = field(default_factory=list)
    out: Path | None = None
    csv: Path | None = None
    expected: int | None = None
    feedback: Path | None = None

    @property
    def exit_code(self) -> int:
        if not any(r.status == ACCEPTED for r in self.returns):
            return 2
        errors, _ = count(self.findings)
        rejected = any(r.status == REJECTED for r in self.returns)
        return 1 if errors or rejected else 0

    def to_dict(self) -> dict:
        errors, warnings = count(self.findings)
        return {
            "framework": ({"id": self.framework.id, "version": self.framework.version,
                           "fingerprint": self.framework.fingerprint} if self.framework else None),
            "round": self.round,
            "valid": self.exit_code == 0,
            "errors": errors,
            "warnings": warnings,
            "expected": self.expected,
            "returns": [_return_dict(r) for r in self.returns],
            "chase": self.chase,
            "findings": [f.to_dict() for f in self.findings],
            "out": str(self.out) if self.out else None,
            "csv": str(self.csv) if self.csv else None,
            "feedback": str(self.feedback) if self.feedback else None,
        }

    def render(self) -> str:
        lines = [f.render() for f in self.findings]
        lines.append("")
        for ret in self.returns:
            who = ret.respondent or "(unknown respondent)"
            lines.append(f"{ret.status:<10} {Path(ret.file).name}  {who}  "
                         f"{ret.errors} error(s), {ret.warnings} warning(s)" + (f"  [{ret.reason}]" if ret.reason else ""))
        statuses = Counter(r.status for r in self.returns)
        errors, warnings = count(self.findings)
        summary = ", ".join(f"{n} {s}" for s, n in statuses.items()) or "no returns"
        fw = f"{self.framework.id} version {self.framework.version}" if self.framework else "no framework"
        lines.append(f"{len(self.returns)} file(s) for {fw}, round {self.round or '?'}: {summary}; "
                     f"{errors} error(s), {warnings} warning(s)")
        if not any(r.status == ACCEPTED for r in self.returns):
            lines.append("No return could be used, so nothing was compiled; see the problems above.")
        if self.chase:
            lines.append(f"Still to chase ({len(self.chase)}): {', '.join(self.chase)}")
        if self.out:
            lines.append(f"Consolidated workbook: {self.out}")
        if self.csv:
            lines.append(f"Responses CSV: {self.csv}")
        if self.feedback:
            lines.append(f"Each respondent's feedback workbook and email draft: {self.feedback}")
        return "\n".join(lines)


def _return_dict(ret: CheckedReturn) -> dict:
    return {
        "file": ret.file, "respondent": ret.respondent, "organisation": ret.organisation,
        "status": ret.status, "reason": ret.reason, "round": ret.round, "framework_id": ret.framework_id,
        "framework_version": ret.version, "sha256": ret.sha256,
        "saved_at": ret.saved_at.isoformat() if ret.saved_at else None,
        "ratings_given": ret.ratings_given, "ratings_asked": ret.ratings_asked,
        "answers": len(ret.answers), "errors": ret.errors, "warnings": ret.warnings,
        "findings": [f.to_dict() for f in ret.findings],
    }


def validate_returns(paths: list[str], options: IngestOptions) -> IngestReport:
    """Check every return in `paths` and report; nothing is written."""
    return _check_returns(paths, options, keep=None)


def ingest_returns(paths: list[str], options: IngestOptions) -> IngestReport:
    """Validate the returns and compile the consolidated workbook (and CSV) from the sound ones."""
    from .consolidate import consolidate
    from .report_writer import write_consolidated, write_responses_csv

    if options.out is None:
        raise UsageError("ingest needs --out, the consolidated workbook to write")
    if options.out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {options.out} must end in .xlsx")
    _refuse_input_as_output(paths, options.out)
    spools: list[AnswerSpool] = []

    def keep(index: int, checked: CheckedReturn, layout) -> None:
        if not spools:
            spools.append(AnswerSpool(layout))
        spools[0].add(index, checked.answers, rows=checked.rows or None)
        checked.rows = []

    report = _check_returns(paths, options, keep=keep)
    try:
        accepted = [(n, r) for n, r in enumerate(report.returns) if r.status == ACCEPTED]
        if not accepted or not spools:
            return report
        store = spools[0]
        store.accept([(n, r.respondent) for n, r in accepted])
        con = consolidate(store, [r.respondent for _, r in accepted], options.divergence)
        options.out.parent.mkdir(parents=True, exist_ok=True)
        temp = options.out.with_name(f".{options.out.name}.partial")
        write_consolidated(str(temp), con, report.returns, report.findings, report.chase, report.round,
                           report.expected, compiled_at=options.now or dt.datetime.now())
        os.replace(temp, options.out)
        report.out = options.out
        if options.csv:
            write_responses_csv(str(options.csv), con, [r for _, r in accepted])
            report.csv = options.csv
        if options.feedback:
            from .feedback import write_feedback

            write_feedback(con, options.feedback, options.manifest, options.feedback_evidence)
            report.feedback = options.feedback
    finally:
        for store in spools:
            store.close()
    return report


def _check_returns(paths: list[str], options: IngestOptions, keep) -> IngestReport:
    """Read and validate every return; `keep(index, checked, layout)` takes each one's answers.

    When the framework is known before reading (from --framework, the manifest or the files'
    document properties), each worker validates the return it read, so the work is spread
    over the cores. When `keep` is given, answers are handed over as each return arrives and
    then dropped, so memory stays flat however many returns there are.
    """
    skip = {options.out.resolve()} if options.out else set()
    files = [f for f in find_returns(list(paths)) if f.resolve() not in skip]
    if not files:
        raise UsageError(f"no workbook files (.xlsx, .xlsm, .ods) found in {', '.join(paths)}; check the paths")
    manifest = read_manifest(options.manifest) if options.manifest else None
    framework = _choose_framework([peek_framework_id(str(f)) for f in files], manifest, options)
    returns: list[CheckedReturn | None] = [None] * len(files)
    pending: list[tuple[int, RawReturn]] = []

    def take(index: int, checked: CheckedReturn) -> None:
        if keep is not None and checked.status == ACCEPTED:
            keep(index, checked, plan_workbook(framework))
            checked.answers = []
        returns[index] = checked

    for index, outcome in _read_all(files, options, framework, compact=keep is not None):
        if isinstance(outcome, CheckedReturn):
            take(index, outcome)
        elif framework is None:
            pending.append((index, outcome))  # no framework named anywhere yet: decide once all are read
        else:
            take(index, check_return(outcome, framework, options.frameworks_dirs))
    if pending:
        framework = _choose_framework([raw.meta.get("framework_id", "") for _, raw in pending if raw.readable],
                                      manifest, options)
        for index, raw in pending:
            take(index, check_return(raw, framework, options.frameworks_dirs))
    done = [r for r in returns if r is not None]
    round_name = _settle_round(done, manifest)
    _settle_duplicates(done)
    chase = _check_manifest(done, manifest)
    findings = [f for r in done for f in r.findings]
    if manifest:
        findings += [Finding("list-not-utf8", w, file=manifest.path) for w in manifest.warnings]
        findings += [Finding("no-return", f"'{name}' was sent a workbook but no return from them was found",
                             file=manifest.path) for name in chase]
    return IngestReport(framework, round_name, done, findings, chase,
                        expected=len(manifest.respondents) if manifest else None)


def check_return(raw: RawReturn, framework: Framework | None, frameworks_dirs: tuple[str, ...] = (),
                 known_ids: frozenset[str] | None = None) -> CheckedReturn:
    """Identify one return and, if it belongs to this exercise, read and check its answers."""
    checked = identify(raw)
    if checked.status == ACCEPTED and framework is not None:
        check_framework(checked, framework, known_ids if known_ids is not None else _known_ids(tuple(frameworks_dirs)))
    if checked.status == ACCEPTED and framework is not None:
        read_answers(checked, raw, plan_workbook(framework))
    return checked


def _known_ids(frameworks_dirs: tuple[str, ...]) -> frozenset[str]:
    """The framework ids found now (not cached: $SHEETKIT_FRAMEWORKS may name other folders next time)."""
    return frozenset(entry.id for entry in list_frameworks(frameworks_dirs))


def _read_and_check(task: tuple[str, Framework | None, frozenset[str], bool]) -> RawReturn | CheckedReturn:
    """In a worker: read a return and, when the exercise's framework is known, check it against
    that framework (the one the parent chose, handed over whole). With `compact`, the answers
    travel back as plain spool rows rather than objects."""
    path, framework, known_ids, compact = task
    raw = read_return(path)
    if framework is None:
        return raw
    checked = check_return(raw, framework, known_ids=known_ids)
    if compact and checked.answers:
        checked.rows = answer_rows(plan_workbook(framework), 0, checked.answers)
        checked.answers = []
    return checked


def _read_all(files: list[Path], options: IngestOptions, framework: Framework | None, compact: bool):
    """Yield (index, RawReturn or CheckedReturn) as workers finish; a crash or time-out fails only that file."""
    known = _known_ids(tuple(options.frameworks_dirs))
    tasks = [(str(p), framework, known, compact) for p in files]
    results = run_isolated(_read_and_check, tasks, options.limits)
    for index, outcome in progress(results, options.progress, "Reading returns", length=len(files)):
        yield index, _failed(str(files[index]), outcome) if isinstance(outcome, Failure) else outcome


def _failed(path: str, failure: Failure) -> RawReturn:
    raw = RawReturn(path, _sha256_or_blank(path))
    what = {"timeout": "took too long to read and was stopped", "crashed": "made the reader crash",
            "error": "could not be read"}[failure.reason]
    raw.findings.append(Finding("reader-failed", f"the file {what} ({failure.detail}); it may be damaged or "
                                                 f"crafted", file=path))
    return raw


def _sha256_or_blank(path: str) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""


def _choose_framework(found_ids: list[str], manifest: Manifest | None, options: IngestOptions) -> Framework | None:
    """The exercise's framework: --framework, else the manifest's, else the most common among returns."""
    wanted = options.framework_id or (manifest.framework_id if manifest else "")
    if not wanted:
        ids = Counter(i for i in found_ids if i)
        if not ids:
            return None  # nothing is a readable sheetkit return: every file is reported as rejected
        ranked = ids.most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            raise UsageError(f"the returns are split between frameworks {', '.join(i for i, _ in ranked)}; "
                             f"say which this exercise uses with --framework ID")
        wanted = ranked[0][0]
    return get_framework(wanted, options.frameworks_dirs)


def _settle_round(returns: list[CheckedReturn], manifest: Manifest | None) -> str:
    candidates = [r for r in returns if r.status == ACCEPTED]
    expected = manifest.round if manifest and manifest.round else ""
    if not expected:
        rounds = Counter(r.round for r in candidates)
        expected = rounds.most_common(1)[0][0] if rounds else ""
    for ret in candidates:
        if ret.round != expected:
            ret.findings.append(Finding("round-mismatch", f"the workbook is for round '{ret.round}', but this "
                                        f"exercise is round '{expected}'", file=ret.file, sheet=SHEET_META, cell=meta_cell("round")))
            ret.reject(f"round {ret.round}, expected {expected}")
    return expected


def _settle_duplicates(returns: list[CheckedReturn]) -> None:
    """Identical files count once; of several returns from one respondent, the newest is kept."""
    seen: dict[str, CheckedReturn] = {}
    for ret in returns:
        if ret.sha256 in seen and ret.sha256:
            first = seen[ret.sha256]
            ret.status = DUPLICATE
            ret.reason = f"identical to {Path(first.file).name}"
            ret.findings.append(Finding("duplicate-file", f"this file is byte-for-byte identical to {first.file}; "
                                        f"only one copy is used", file=ret.file))
        else:
            seen[ret.sha256] = ret
    by_person: dict[str, list[CheckedReturn]] = {}
    for ret in returns:
        if ret.status == ACCEPTED:
            by_person.setdefault(ret.respondent_key, []).append(ret)
    for group in by_person.values():
        if len(group) < 2:
            continue
        group.sort(key=_saved_order, reverse=True)
        newest = group[0]
        for older in group[1:]:
            older.status = SUPERSEDED
            older.reason = f"replaced by {Path(newest.file).name}"
            older.findings.append(Finding("superseded", f"{older.respondent} sent more than one return; "
                                          f"{Path(newest.file).name} was saved later ({_when(newest)}) than this one "
                                          f"({_when(older)}), so it is used instead", file=older.file))


def _saved_order(ret: CheckedReturn):
    stamp = ret.saved_at or _mtime(ret.file)
    return stamp, ret.file


def _mtime(path: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(os.path.getmtime(path), tz=dt.timezone.utc)
    except OSError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _when(ret: CheckedReturn) -> str:
    if ret.saved_at:
        return f"saved {ret.saved_at.strftime('%Y-%m-%d %H:%M')} according to the workbook"
    return f"file dated {_mtime(ret.file).strftime('%Y-%m-%d %H:%M')}"


def _check_manifest(returns: list[CheckedReturn], manifest: Manifest | None) -> list[str]:
    """Warn about respondents nobody asked; list those asked who have not replied."""
    if manifest is None:
        return []
    asked = {normalise_name(name): name for name in manifest.respondents}
    for ret in returns:
        if ret.status == ACCEPTED and ret.respondent_key not in asked:
            ret.findings.append(Finding("respondent-unknown", f"respondent '{ret.respondent}' is not in the manifest "
                                        f"{manifest.path}", file=ret.file, sheet=SHEET_META, cell=meta_cell("respondent")))
    replied = {r.respondent_key for r in returns if r.status in (ACCEPTED, SUPERSEDED)}
    return [name for key, name in asked.items() if key not in replied]


def _refuse_input_as_output(paths: list[str], out: Path) -> None:
    target = out.resolve()
    for raw in paths:
        p = Path(raw).resolve()
        if p == target:
            raise UsageError(f"--out {out} is one of the input files; write the consolidated workbook elsewhere")
