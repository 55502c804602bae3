"""Checking a folder of returns: the stage `validate` runs alone and `ingest`, `chase` and the
next round build on.

Find the files; read each one safely (in isolated workers); identify it; decide which
framework and round the exercise is; validate each return against the framework's layout;
settle duplicates and superseded returns and check them against the manifest. Every problem
becomes a finding in the report. Nothing is written, except the re-ingest cache when asked.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Callable

from sheetkit.common.errors import UsageError
from sheetkit.common.own_files import SHEET_LISTS, SHEET_META
from sheetkit.common.findings import Finding
from sheetkit.common.progress import progress
from sheetkit.common.sandbox import Failure, run_isolated
from sheetkit.common.text import holds_unrepresentable, printable
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.library import get_framework, list_frameworks
from sheetkit.framework.model import Framework
from sheetkit.roster.manifest import Manifest, find_manifest, read_manifest
from sheetkit.workbook.plan import plan_for, plan_workbook
from .cache import KeptComparisons, ReturnCache, default_cache_folder
from .carried import settle_carried
from .legacy import read_layout_1
from .file_formats import file_format, suffixes_text
from .folder import ReturnFile, collect_returns
from .identity import check_framework, check_kind, identify
from .model import ACCEPTED, CheckedReturn, answer_rows
from .outcome import CheckOptions, IngestReport
from .reader import RawReturn, file_sha256, peek_framework_id, read_return
from .builds import roster
from .settle import base_name, settle
from .replies import check_reply
from .validate import keep_whole_sheet, read_answers
from sheetkit.common.own_files import RETURN_KIND, layout_version
from sheetkit.workbook.reply import ReplyLayout
from pathlib import Path


def validate_returns(paths: list[str], options: CheckOptions) -> IngestReport:
    """Check every return in `paths` and report; nothing is written."""
    return check_returns(paths, options, keep=None)


def check_returns(paths: list[str], options: CheckOptions, keep, prepare=None) -> IngestReport:
    """Read and validate every return; `keep(index, checked, layout)` takes each one's answers.

    When the framework is known before reading (from --framework, the manifest or the files'
    document properties), each worker validates the return it read, so the work is spread
    over the cores. When `keep` is given, answers are handed over as each return arrives (as
    spool rows) and then dropped, so memory stays flat however many returns there are; and
    `prepare(layout, rows, respondent, round)`, a module-level function of the stage that keeps
    them, runs in the worker on each return it accepts, its result handed over as
    ``checked.prepared`` (and kept in the re-ingest cache with the return).
    """
    options = with_manifest(paths, options)
    with collect_returns(list(paths)) as found:  # ingest has refused outputs among these
        if not found.files and not found.findings:
            raise UsageError(f"no workbook files ({suffixes_text()}, or zips and emails holding them) found in "
                             f"{', '.join(paths)}; check the paths")
        prefer = _resolve_prefer(options.prefer, found.files)
        manifest = read_manifest(options.manifest) if options.manifest else None
        returns, framework, cache_findings, reused = _read_returns(found.files, manifest, options, keep, prepare)
    outcome = settle(returns, roster(manifest) if manifest else None, prefer, found.skipped)
    findings = found.findings + cache_findings + [f for r in returns for f in r.findings]
    if manifest:
        findings += [Finding("list-not-utf8", w, file=manifest.path) for w in manifest.warnings]
    findings += outcome.findings
    return IngestReport(framework, outcome.round, returns, findings, outcome.chase,
                        expected=len(manifest.respondents) if manifest else None, chase_why=outcome.chase_why,
                        preferred=outcome.preferred, asked=manifest.people if manifest else [], reused=reused,
                        unusable=outcome.unusable, manifest=options.manifest, manifest_found=options.manifest_found)


def with_manifest(paths: list[str], options: CheckOptions) -> CheckOptions:
    """The options with the exercise's manifest: --manifest, else the one beside (or inside) the
    returns folder, saying where it was found."""
    if options.manifest:
        return options
    found, how = find_manifest(list(paths))
    return replace(options, manifest=found, manifest_found=how)


def _read_returns(files: list[ReturnFile], manifest: Manifest | None, options: CheckOptions, keep, prepare=None):
    """Read and check every file; each return is named as the folder shows it."""
    framework = _choose_framework([peek_framework_id(f.path) for f in files], manifest, options)
    cache = cache_for(options, framework) if keep is not None else None
    returns: list[CheckedReturn | None] = [None] * len(files)
    pending: list[tuple[int, RawReturn]] = []
    reused: list[str] = []

    def take(index: int, checked: CheckedReturn) -> None:
        _name_as_shown(checked, files[index])
        if keep is not None and checked.status == ACCEPTED:
            keep(index, checked, plan_workbook(framework))
            checked.answers = []
        returns[index] = checked

    # Closed however the loop ends, so the reading workers stop with it (an error, Ctrl-C).
    with closing(_read_all(files, options, framework, compact=keep is not None, cache=cache,
                           prepare=prepare)) as outcomes:
        for index, outcome, cached in outcomes:
            if cached:
                reused.append(files[index].name)
            if isinstance(outcome, CheckedReturn):
                take(index, outcome)
            elif framework is None:
                pending.append((index, outcome))  # no framework named anywhere yet: decide once all are read
            else:
                checked = check_return(outcome, framework, options.frameworks_dirs, expect=options.expect)
                if keep is None and not options.keep_answers:
                    _keep_what_findings_point_at(checked, _layout_of(framework, outcome.meta))
                take(index, checked)
    if pending:
        framework = _choose_framework([raw.meta.get("framework_id", "") for _, raw in pending if raw.readable],
                                      manifest, options)
        for index, raw in pending:
            checked = check_return(raw, framework, options.frameworks_dirs, expect=options.expect)
            if keep is None and not options.keep_answers:
                _keep_what_findings_point_at(checked, _layout_of(framework, raw.meta))
            take(index, checked)
    return [r for r in returns if r is not None], framework, cache.findings if cache else [], reused


def cache_for(options: CheckOptions, framework: Framework | None) -> ReturnCache | None:
    """The re-ingest cache for this run: --cache, or sheetkit's folder in the user's cache; None with --no-cache."""
    if not options.use_cache or framework is None:
        return None
    return ReturnCache(options.cache or default_cache_folder(), framework, _known_ids(tuple(options.frameworks_dirs)))


def kept_comparisons(options: CheckOptions, framework: Framework) -> KeptComparisons | None:
    """What comparing the Action plan's texts found, kept with the re-ingest cache; None with --no-cache."""
    if not options.use_cache:
        return None
    return KeptComparisons(options.cache or default_cache_folder(), framework)


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
                 known_ids: frozenset[str] | None = None, expect: str = RETURN_KIND) -> CheckedReturn:
    """Identify one return and, if it belongs to this exercise, read and check its answers. `expect` says
    what it should be: a return, or (REPLY_KIND) a partner's reply to their feedback."""
    checked = identify(raw)
    if checked.status == ACCEPTED:
        check_kind(checked, expect)
    fmt = file_format(raw.kind)
    caveat = fmt.caveat if fmt else None  # what the format keeps where sheetkit cannot read it
    if checked.status == ACCEPTED and caveat:
        checked.findings.append(Finding(caveat.code, caveat.message, file=raw.path))
    if checked.status == ACCEPTED and framework is not None:
        check_framework(checked, framework, known_ids if known_ids is not None else _known_ids(tuple(frameworks_dirs)))
    if checked.status == ACCEPTED and framework is not None:
        _read_answers_or_keep_all(checked, raw, framework)
        checked.content = _answers_digest(checked)
        checked.answer_count = len(checked.answers)
    return checked


def _read_answers_or_keep_all(checked: CheckedReturn, raw: RawReturn, framework: Framework) -> None:
    """The return's answers; should reading them fail as a whole (a fault in sheetkit), every filled
    cell is kept as unplaced with a finding per sheet, so the return is still reported, never lost."""
    answers, findings = len(checked.answers), len(checked.findings)
    try:
        layout = _read_by_layout(checked, raw, framework)
        if isinstance(layout, ReplyLayout):  # a partner's reply to their feedback
            checked.asks = tuple(r.key for r in layout.asked)
            check_reply(checked, layout)
    except Exception as exc:  # noqa: BLE001 - the file opened; only a file that cannot be is reader-failed
        del checked.answers[answers:]
        del checked.findings[findings:]
        checked.placed, checked.confirmed, checked.carried = {}, {}, 0
        for sheet in raw.sheets:
            if sheet not in (SHEET_META, SHEET_LISTS):
                keep_whole_sheet(checked, raw, sheet, exc)


def _layout_of(framework: Framework, meta: dict[str, str]):
    """The layout whose cells a built workbook's findings point at: as read (see _read_by_layout)."""
    return plan_workbook(framework) if layout_version(meta) == 1 else plan_for(framework, meta)


def _read_by_layout(checked: CheckedReturn, raw: RawReturn, framework: Framework):
    """The answers, read by the layout the workbook records it was built with (a partner's reply to
    their feedback by its reply sheet's); returns that layout."""
    if checked.layout == 1:
        layout = plan_workbook(framework)
        read_layout_1(checked, raw, layout)
        return layout
    layout = plan_for(framework, raw.meta)
    read_answers(checked, raw, layout)
    if not isinstance(layout, ReplyLayout):  # a reply asks nothing 'Still true?'
        settle_carried(checked, raw, layout)
    return layout


def _answers_digest(checked: CheckedReturn) -> str:
    """A digest of what the return says, so two files with the same answers are known to agree."""
    said = "".join(f"{answer.key}\x1f{answer.text}\x1e" for answer in sorted(checked.answers, key=lambda a: a.key))
    return hashlib.sha256(said.encode("utf-8", "surrogatepass")).hexdigest()


def _known_ids(frameworks_dirs: tuple[str, ...]) -> frozenset[str]:
    """The framework ids found now (not cached: $SHEETKIT_FRAMEWORKS may name other folders next time)."""
    return frozenset(entry.id for entry in list_frameworks(frameworks_dirs))


@dataclass(frozen=True)
class _Reading:
    """What every reader worker is given once, when it starts: the exercise's framework (None while
    it is not known), the framework ids known, and whether answers travel back as spool rows.
    Handed over once per worker rather than with every file, so the layout is planned once per worker."""

    framework: Framework | None
    known_ids: frozenset[str]
    compact: bool
    prepare: Callable | None = None  # what the stage keeping the answers prepares from them (see check_returns)
    every_answer: bool = False  # not compact: every answer travels back, not only those findings point at
    expect: str = RETURN_KIND  # what the files should be: returns, or partners' replies to their feedback


def _read_and_check(reading: _Reading, path: str) -> RawReturn | CheckedReturn:
    """In a worker: read a return and, when the exercise's framework is known, check it against
    that framework (the one the parent chose). With `compact`, the answers travel back as plain
    spool rows rather than objects."""
    raw = read_return(path)
    framework = reading.framework
    if framework is None:
        return raw
    checked = check_return(raw, framework, known_ids=reading.known_ids, expect=reading.expect)
    if not reading.compact and not reading.every_answer:
        _keep_what_findings_point_at(checked, _layout_of(framework, raw.meta))
    if reading.compact:
        # Where each answer was found served the checks; held for thousands of returns it would grow with them.
        checked.placed = {}
    if reading.compact and checked.answers:
        layout = plan_workbook(framework)  # the layout the answers are stored by (the parent's spool's)
        checked.rows = answer_rows(layout, 0, checked.answers)
        checked.answers = []
        if reading.prepare is not None and checked.status == ACCEPTED:
            checked.prepared = reading.prepare(layout, checked.rows, checked.respondent, checked.round)
    return checked


def _keep_what_findings_point_at(checked: CheckedReturn, layout) -> None:
    """Only the answers (and where they were found) that a finding points at: what the correction drafts
    quote. Held for every return of a large folder, the rest would grow with it."""
    pointed = {(f.sheet, f.cell) for f in checked.findings if f.cell}
    kept = [a for a in checked.answers if (a.sheet, a.cell) in pointed]
    # a draft names an action's cell by the action's own words ("'Due date' of the action '...'"), also when
    # the cell pointed at is blank: the key is where the reader found that cell, else the layout's, as the draft finds it
    keys = [key for key, where in checked.placed.items() if where in pointed]
    unknown = pointed - set(checked.placed.values())
    keys += [c.key for c in (layout.answers if unknown else ()) if (c.sheet, c.cell) in unknown]
    named = {AnswerKey.action(key.owner, "action") for key in map(AnswerKey.parse, keys) if key.level == "action"}
    checked.answers = kept + [a for a in checked.answers if a.key in named and a not in kept]
    checked.placed = {key: where for key, where in checked.placed.items() if where in pointed}


def _read_all(files: list[ReturnFile], options: CheckOptions, framework: Framework | None, compact: bool,
              cache: ReturnCache | None = None, prepare=None):
    """Yield (index, RawReturn or CheckedReturn, whether it came from the cache) as workers finish; a crash or
    time-out fails only that file.

    A return found in the cache (same bytes, framework and sheetkit) is not read again; each one
    read is stored there before it is handed on."""
    known = _known_ids(tuple(options.frameworks_dirs))
    todo = []
    for index, found in enumerate(files):
        sha = _sha256_or_blank(found.path) if cache else ""
        cached = cache.get(sha, found.name) if sha else None
        if cached is not None:
            yield index, cached, True
        else:
            todo.append((index, sha))
    tasks = [files[index].path for index, _ in todo]
    reading = _Reading(framework, known, compact, prepare, every_answer=options.keep_answers, expect=options.expect)
    with closing(run_isolated(_read_and_check, tasks, options.limits, shared=reading)) as results:
        for n, outcome in progress(results, options.progress, "Reading returns", length=len(tasks)):
            index, sha = todo[n]
            if isinstance(outcome, Failure):
                yield index, _failed(files[index].path, outcome), False
                continue
            if cache and sha and isinstance(outcome, CheckedReturn):
                cache.put(sha, outcome)
            yield index, outcome, False


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


def _choose_framework(found_ids: list[str], manifest: Manifest | None, options: CheckOptions) -> Framework | None:
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
