"""`sheetkit validate` and `sheetkit ingest`: from a folder of returns to a report and a workbook.

The stages: find the files; read each one safely (in isolated workers); identify it; decide
which framework and round the exercise is; validate each return against the framework's
layout; settle duplicates and superseded returns; check against the manifest; compile and
write the consolidated workbook. Every problem becomes a finding in the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path


from . import clock
from .cache import ReturnCache
from .cells import holds_unrepresentable
from .errors import UsageError
from .exercise import Asked, Roster, base_name, settle
from .findings import Finding
from .framework import Framework
from .layout import plan_for, plan_workbook
from .library import get_framework, list_frameworks
from .manifest import Manifest, read_manifest
from .outputs import AllOrNothing, refuse_inputs_as_outputs
from .progress import progress
from .reader import RawReturn, file_sha256, peek_framework_id, read_return
from .respondents import normalise_name
from .returns_folder import ReturnFile, collect_returns, printable
from .sandbox import Failure, run_isolated
from .spool import AnswerSpool, answer_rows
from .identity import check_framework, identify
from .ingest_report import IngestOptions, IngestReport
from .validate import (
    ACCEPTED,
    CheckedReturn,
    read_answers,
)


def validate_returns(paths: list[str], options: IngestOptions) -> IngestReport:
    """Check every return in `paths` and report; nothing is written."""
    return _check_returns(paths, options, keep=None)


def ingest_returns(paths: list[str], options: IngestOptions) -> IngestReport:
    """Validate the returns and compile the consolidated workbook (and CSV) from the sound ones."""
    from .consolidate import consolidate

    outputs = _outputs(paths, options)
    spools: list[AnswerSpool] = []

    def keep(index: int, checked: CheckedReturn, layout) -> None:
        if not spools:
            spools.append(AnswerSpool(layout))
        spools[0].add(index, checked.answers, rows=checked.rows or None)
        checked.rows = []

    try:
        report = _check_returns(paths, options, keep=keep)
        accepted = [(n, r) for n, r in enumerate(report.returns) if r.status == ACCEPTED]
        if not accepted or not spools:
            return report
        store = spools[0]
        store.accept([(n, r.respondent) for n, r in accepted])
        con = consolidate(store, [r.respondent for _, r in accepted], options.agreement, report.asked, report.chase)
        compiled_at = options.now or clock.now()
        _write_outputs(con, report, [r for _, r in accepted], options, outputs, compiled_at)
        if options.feedback:
            from .feedback import write_feedback

            write_feedback(con, options.feedback, options.manifest, options.feedback_evidence,
                           sender=options.emails_from, written_at=options.now)
            report.feedback = options.feedback
    finally:
        for store in spools:
            store.close()
    return report


def _outputs(paths: list[str], options: IngestOptions) -> AllOrNothing:
    """The files ingest will write, checked before any return is read: named right, none of them
    an input, none locked by a program that has it open."""
    if options.out is None:
        raise UsageError("ingest needs --out, the consolidated workbook to write")
    if options.out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {options.out} must end in .xlsx")
    outputs = AllOrNothing({"--out": options.out, "--csv": options.csv},
                           {"--out": "the consolidated workbook", "--csv": "the Responses CSV"})
    folders = {"--cache": options.cache} if options.cache and options.use_cache else {}
    folders |= {"--feedback": options.feedback} if options.feedback else {}
    refuse_inputs_as_outputs({**outputs.outputs, **folders}, [*paths, *options.frameworks_dirs, *filter(None, [
        options.manifest, options.previous, options.renames, options.item_map])])
    outputs.check()
    return outputs


def _write_outputs(con, report: IngestReport, accepted: list[CheckedReturn], options: IngestOptions,
                   outputs: AllOrNothing, compiled_at: dt.datetime) -> None:
    """The consolidated workbook and the CSVs beside it, all of them or none."""
    from .report import write_consolidated, write_responses_csv

    trend = _trend(options, report, con, compiled_at.date(), {r.respondent: r.file for r in accepted})
    plans, csv = _plan_outputs(con, report, options, outputs)
    with outputs:
        outputs.write("--out", lambda temp: write_consolidated(
            temp, con, report.returns, report.findings, report.round,
            compiled_at=compiled_at, chase_why=report.chase_why, plans=plans, trend=trend))
        if csv:
            outputs.write("--csv", lambda temp: write_responses_csv(temp, con, accepted, report.round, trend))
    report.out, report.csv = options.out, csv


def _trend(options: IngestOptions, report: IngestReport, con, compiled_on: dt.date, files: dict[str, str]):
    """This round against last round's workbook (--previous), or None; its findings join the report's."""
    if options.previous is None:
        return None
    from .previous import load_previous
    from .trend import compute_trend, current_answers

    previous = load_previous(options.previous, con.framework, options.renames, options.item_map)
    if previous.round == report.round:
        raise UsageError(f"--previous {options.previous} compiles round {previous.round}, the round these returns "
                         f"are for; give last round's consolidated workbook")
    trend = compute_trend(con.framework, previous, current_answers(con.store, con.respondents), compiled_on, files)
    report.findings += previous.findings + trend.findings
    report.previous = options.previous
    return trend


def _plan_outputs(con, report: IngestReport, options: IngestOptions, outputs: AllOrNothing):
    """How the long tables fit the workbook, and the CSV files needed beside it, each reported.

    A table too long for the workbook is written as CSV beside it (the Responses table as the
    Responses CSV, beside the workbook when --csv was not given); so is the Responses CSV when
    an answer is longer than a cell holds, since the workbook shows it cut."""
    from .report.responses import NAME as RESPONSES
    from .report.workbook import plan_tables

    plans = plan_tables(con, options.out, options.csv)
    csv = options.csv
    cut = any(f.code == "text-too-long" for f in report.findings)
    for name, plan in plans.items():
        if not plan.kept_out:
            continue
        report.findings.append(Finding("table-kept-out", f"the {name} table has {plan.size:,} rows, too many for "
                                       f"the workbook; it is in {printable(str(plan.csv))} instead",
                                       file=printable(options.out.name)))
        if plan.csv != csv and name != RESPONSES:
            outputs.add(f"CSV {name}", plan.csv, f"the {name} table")
            plan.write_to = outputs.temp(f"CSV {name}")
        elif csv is None:
            csv = plan.csv
    if csv is None and cut:
        csv = options.out.with_name(f"{options.out.stem} - Responses.csv")
    if csv is not None and csv != options.csv:
        outputs.add("--csv", csv, "the Responses CSV")
    return plans, csv


def _check_returns(paths: list[str], options: IngestOptions, keep) -> IngestReport:
    """Read and validate every return; `keep(index, checked, layout)` takes each one's answers.

    When the framework is known before reading (from --framework, the manifest or the files'
    document properties), each worker validates the return it read, so the work is spread
    over the cores. When `keep` is given, answers are handed over as each return arrives and
    then dropped, so memory stays flat however many returns there are.
    """
    with collect_returns(list(paths)) as found:  # ingest has refused outputs among these
        if not found.files and not found.findings:
            raise UsageError(f"no workbook files (.xlsx, .xlsm, .ods, .xls, or zips and emails holding them) found in "
                             f"{', '.join(paths)}; check the paths")
        prefer = _resolve_prefer(options.prefer, found.files)
        manifest = read_manifest(options.manifest) if options.manifest else None
        returns, framework, cache_findings = _read_returns(found.files, manifest, options, keep)
    outcome = settle(returns, roster(manifest) if manifest else None, prefer)
    findings = found.findings + cache_findings + [f for r in returns for f in r.findings]
    if manifest:
        findings += [Finding("list-not-utf8", w, file=manifest.path) for w in manifest.warnings]
    findings += outcome.findings
    return IngestReport(framework, outcome.round, returns, findings, outcome.chase,
                        expected=len(manifest.respondents) if manifest else None, chase_why=outcome.chase_why,
                        preferred=outcome.preferred, asked=manifest.people if manifest else [])


def _read_returns(files: list[ReturnFile], manifest: Manifest | None, options: IngestOptions, keep):
    """Read and check every file; each return is named as the folder shows it."""
    framework = _choose_framework([peek_framework_id(f.path) for f in files], manifest, options)
    cache = cache_for(options, framework) if keep is not None else None
    returns: list[CheckedReturn | None] = [None] * len(files)
    pending: list[tuple[int, RawReturn]] = []

    def take(index: int, checked: CheckedReturn) -> None:
        _name_as_shown(checked, files[index])
        if keep is not None and checked.status == ACCEPTED:
            keep(index, checked, plan_workbook(framework))
            checked.answers = []
        returns[index] = checked

    for index, outcome in _read_all(files, options, framework, compact=keep is not None, cache=cache):
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
    return [r for r in returns if r is not None], framework, cache.findings if cache else []


def cache_for(options: IngestOptions, framework: Framework | None) -> ReturnCache | None:
    """The re-ingest cache for this run: --cache, or a folder beside --out; None with --no-cache."""
    if not options.use_cache or framework is None or (options.cache is None and options.out is None):
        return None
    folder = options.cache or options.out.with_name(options.out.name + ".cache")
    return ReturnCache(folder, framework, _known_ids(tuple(options.frameworks_dirs)))


def _name_as_shown(checked: CheckedReturn, source: ReturnFile) -> None:
    """Name the return, and its findings, as the folder shows it rather than where it was read."""
    checked.findings = [replace(f, file=source.name) if f.file == checked.file else f for f in checked.findings]
    checked.file = source.name
    checked.file_time = source.modified
    if holds_unrepresentable(source.path):
        checked.findings.append(Finding("name-not-text", f"the file's name is not valid text; it is shown as "
                                        f"{source.name}", file=source.name))


def _resolve_prefer(wanted: tuple[str, ...], files: list[ReturnFile]) -> list[str]:
    """The returns --prefer names, as the report names them; a name matching no file or several is refused."""
    def same(name: str) -> str:
        return name.replace("\\", "/")

    chosen = []
    for value in wanted:
        shown = printable(value)
        matches = [f.name for f in files if same(f.name) == same(shown) or same(f.name).endswith("/" + same(shown))]
        if not matches:
            real = Path(value).resolve()
            matches = [f.name for f in files if Path(f.path).resolve() == real]
        if not matches:
            matches = [f.name for f in files if base_name(f.name) == base_name(shown)]
        if len(matches) != 1:
            listed = ", ".join(matches) if matches else ", ".join(f.name for f in files[:8])
            raise UsageError(f"--prefer {shown} {'matches several returns' if matches else 'names none of the returns'}"
                             f" ({listed}); give the file's name as the report shows it")
        chosen.append(matches[0])
    return chosen


def check_return(raw: RawReturn, framework: Framework | None, frameworks_dirs: tuple[str, ...] = (),
                 known_ids: frozenset[str] | None = None) -> CheckedReturn:
    """Identify one return and, if it belongs to this exercise, read and check its answers."""
    checked = identify(raw)
    if checked.status == ACCEPTED and raw.kind == "xls":
        checked.findings.append(Finding("old-format", "the workbook was saved as .xls (Excel 97-2003); its values "
                                        "and metadata were read, but that format can cut answers longer than 255 "
                                        "characters", file=raw.path))
    if checked.status == ACCEPTED and framework is not None:
        check_framework(checked, framework, known_ids if known_ids is not None else _known_ids(tuple(frameworks_dirs)))
    if checked.status == ACCEPTED and framework is not None:
        read_answers(checked, raw, plan_for(framework, raw.meta))
        checked.content = _answers_digest(checked)
    return checked


def _answers_digest(checked: CheckedReturn) -> str:
    """A digest of what the return says, so two files with the same answers are known to agree."""
    digest = hashlib.sha256()
    for answer in sorted(checked.answers, key=lambda a: a.key):
        digest.update(f"{answer.key}\x1f{answer.text}\x1e".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


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
    if compact:
        # Where each answer was found served the checks; held for thousands of returns it would grow with them.
        checked.placed = {}
    if compact and checked.answers:
        checked.rows = answer_rows(plan_workbook(framework), 0, checked.answers)
        checked.answers = []
    return checked


def roster(manifest: Manifest) -> Roster:
    """Who was asked, as the rules across returns need it, from the build manifest."""
    return Roster(manifest.path, manifest.round, _asked([asdict(e) for e in manifest.entries]))


def _asked(rows: list[dict]) -> dict[str, Asked]:
    """Each respondent's files, current and replaced build ids and contacts, from the manifest rows.

    A respondent listed twice (re-issued) counts once; the row built last holds the current
    build, and any column naming earlier build ids (such as previous_build_id) is read too."""
    asked: dict[str, Asked] = {}
    for row in sorted(rows, key=lambda r: r.get("built_at") or ""):
        name = (row.get("respondent") or "").lstrip("'").strip()
        if not name:
            continue
        key = normalise_name(name)
        before = asked.get(key, Asked(name))
        current = (row.get("build_id") or "").strip()
        older = [i for column, value in row.items() if column and column != "build_id" and "build_id" in column
                 for i in re.split(r"[\s,;]+", value or "") if i]
        if before.build_id and before.build_id != current:
            older.append(before.build_id)
        contacts = [(row.get(c) or "").lstrip("'").strip() for c in ("contact", "email")]
        asked[key] = Asked(before.name, _merged(before.files, [row.get("file") or ""]),
                           current or before.build_id, _merged(before.replaced, older),
                           _merged(before.contacts, contacts))
    return asked


def _merged(old: tuple[str, ...], new: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*old, *(v for v in new if v)]))


def _read_all(files: list[ReturnFile], options: IngestOptions, framework: Framework | None, compact: bool,
              cache: ReturnCache | None = None):
    """Yield (index, RawReturn or CheckedReturn) as workers finish; a crash or time-out fails only that file.

    A return found in the cache (same bytes, framework and sheetkit) is not read again; each one
    read is stored there before it is handed on."""
    known = _known_ids(tuple(options.frameworks_dirs))
    todo = []
    for index, found in enumerate(files):
        sha = _sha256_or_blank(found.path) if cache else ""
        cached = cache.get(sha, found.name) if sha else None
        if cached is not None:
            yield index, cached
        else:
            todo.append((index, sha))
    tasks = [(files[index].path, framework, known, compact) for index, _ in todo]
    results = run_isolated(_read_and_check, tasks, options.limits)
    for n, outcome in progress(results, options.progress, "Reading returns", length=len(tasks)):
        index, sha = todo[n]
        if isinstance(outcome, Failure):
            yield index, _failed(files[index].path, outcome)
            continue
        if cache and sha and isinstance(outcome, CheckedReturn):
            cache.put(sha, outcome)
        yield index, outcome


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
