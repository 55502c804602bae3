"""`sheetkit ingest`: the checked returns compiled into the consolidated workbook, and the files
beside it (the Responses CSV, tables too long for the workbook, each partner's feedback), all
written or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit import __version__
from sheetkit.xlsx import check_xlsxwriter
from sheetkit.common import clock
from sheetkit.common.errors import UsageError
from sheetkit.common.findings import Finding
from sheetkit.common.outputs import AllOrNothing, refuse_inputs_as_outputs
from sheetkit.common.own_files import REPLY_KIND
from sheetkit.common.text import printable
from sheetkit.consolidate.agreement import AgreementRule
from sheetkit.consolidate.spool import AnswerSpool
from sheetkit.returns.check import check_returns, kept_comparisons, with_manifest
from sheetkit.roster.manifest import find_feedback_manifest
from sheetkit.returns.model import ACCEPTED, CheckedReturn, answer_rows
from sheetkit.returns.outcome import CheckOptions, IngestReport


@dataclass
class IngestOptions(CheckOptions):
    """What `ingest` is asked to do: what `validate` checks, and the outputs to write."""

    out: Path | None = None
    csv: Path | None = None
    agreement: AgreementRule = field(default_factory=AgreementRule)
    feedback: Path | None = None  # folder for each respondent's feedback workbook and draft
    feedback_evidence: bool = False  # show other partners' evidence text in the feedback
    emails_from: str = ""  # the lead's address, for the feedback drafts' From and Reply-To lines
    contact: str = ""  # who to ask about the consolidated workbook, named on its Cover (default: emails_from)
    previous: Path | None = None  # last round's consolidated workbook (or returns folder), to compare with
    renames: Path | None = None  # partners renamed since last round: columns previous, current
    item_map: Path | None = None  # last version's ids -> this version's, when the framework's version changed
    now: dt.datetime | None = None  # when the compilation is stamped; fixed for reproducible samples
    discuss: tuple[str, ...] = ()  # items every partner who rated them is asked to reply on ('all': every item)
    reply_by: dt.date | None = None  # the date partners are asked to reply to their feedback by (two weeks on)
    feedback_password: str | None = None  # the feedback's sheet password (default: the exercise's, else a new one)
    replies: Path | None = None  # folder of partners' replies to their feedback
    replies_manifest: Path | None = None  # the feedback's manifest (default: found beside the replies folder)
    pack: Path | None = None  # the challenge-day pack to write: a page for each contested item


def ingest_returns(paths: list[str], options: IngestOptions) -> IngestReport:
    """Validate the returns and compile the consolidated workbook (and CSV) from the sound ones."""
    from sheetkit.consolidate.consolidation import consolidate
    from sheetkit.report.prepared import prepare_return

    check_xlsxwriter()  # before any return is read: an untested XlsxWriter stops here, saying what to install
    options = with_manifest(paths, options)  # found before the outputs are checked, so none is aimed at it
    outputs = _outputs(paths, options)
    spools: list[AnswerSpool] = []

    def keep(index: int, checked: CheckedReturn, layout) -> None:
        if not spools:
            spools.append(AnswerSpool(layout))
        rows = checked.rows or answer_rows(layout, 0, checked.answers)
        actions, encoded = checked.prepared or prepare_return(layout, rows, checked.respondent, checked.round)
        spools[0].add(index, rows=rows, actions=actions, encoded=encoded)
        checked.rows, checked.prepared = [], None

    # Every output is put in place when this block ends well, and none when it does not.
    with outputs:
        outputs.check()  # a locked output is found before any return is read
        if options.feedback:
            outputs.check_folder(options.feedback, "each partner's feedback", "--feedback")
        try:
            report = check_returns(paths, options, keep=keep, prepare=prepare_return)
            accepted = [(n, r) for n, r in enumerate(report.returns) if r.status == ACCEPTED]
            if not accepted or not spools:
                return report
            store = spools[0]
            store.accept([(n, r.respondent) for n, r in accepted])
            comparisons = kept_comparisons(options, store.layout.framework)
            con = consolidate(store, [r.respondent for _, r in accepted], options.agreement, report.asked,
                              report.chase, comparisons)
            if comparisons is not None:
                comparisons.keep()
                report.findings += comparisons.findings
            moderation, counted = _moderate(con, report, options)
            compiled_at = options.now or clock.now()
            _write_outputs(counted, report, [r for _, r in accepted], options, outputs, compiled_at, moderation)
            _write_feedback(con, report, [r for _, r in accepted], options, outputs)
        finally:
            for store in spools:
                store.close()
    return report


def _moderate(con, report: IngestReport, options: IngestOptions):
    """The partners' replies to their feedback (--replies), checked as returns are and compiled: (the
    Moderation, the consolidation counting the revised ratings); (None, con) without replies."""
    if options.replies is None:
        return None, con
    from sheetkit.consolidate.moderation import moderate

    manifest, how = (options.replies_manifest, "") if options.replies_manifest else find_feedback_manifest(
        options.replies, options.feedback)
    replies = check_returns([str(options.replies)], CheckOptions(
        manifest=str(manifest) if manifest else None, manifest_found=how, framework_id=con.framework.id,
        frameworks_dirs=options.frameworks_dirs, progress=options.progress, limits=options.limits,
        use_cache=False, expect=REPLY_KIND), keep=None)
    report.replies = replies
    moderation, counted = moderate(con, replies.returns, [p.name for p in replies.asked], frozenset(options.discuss))
    report.findings += replies.findings + moderation.findings
    return moderation, counted


def _outputs(paths: list[str], options: IngestOptions) -> AllOrNothing:
    """The files ingest will write: named right, and none of them an input."""
    if options.out is None:
        raise UsageError("ingest needs --out, the consolidated workbook to write")
    if options.out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {options.out} must end in .xlsx")
    if options.feedback:
        from sheetkit.mail.drafts import sender_line

        sender_line(options.emails_from)  # a From line no mail program could read stops the run before any reading
    if options.pack is not None and options.pack.suffix.lower() != ".xlsx":
        raise UsageError(f"--pack {options.pack} must end in .xlsx")
    today = (options.now or clock.now()).date()
    if options.reply_by and options.reply_by < today:
        raise UsageError(f"--reply-by {options.reply_by.isoformat()} is before today ({today.isoformat()}); give the "
                         f"date partners are asked to reply to their feedback by")
    outputs = AllOrNothing({"--out": options.out, "--csv": options.csv, "--pack": options.pack},
                           {"--out": "the consolidated workbook", "--csv": "the Responses CSV",
                            "--pack": "the challenge-day pack"})
    folders = {"--cache": options.cache} if options.cache and options.use_cache else {}
    folders |= {"--feedback": options.feedback} if options.feedback else {}
    refuse_inputs_as_outputs({**outputs.outputs, **folders}, [*paths, *options.frameworks_dirs, *filter(None, [
        options.manifest, options.previous, options.renames, options.item_map, options.replies,
        options.replies_manifest])])
    return outputs


def _write_outputs(con, report: IngestReport, accepted: list[CheckedReturn], options: IngestOptions,
                   outputs: AllOrNothing, compiled_at: dt.datetime, moderation=None) -> None:
    """The consolidated workbook, the CSVs beside it and the challenge-day pack, as outputs of one run."""
    from sheetkit.report import write_consolidated, write_pack, write_responses_csv

    trend = _trend(options, report, con, compiled_at.date(), {r.respondent: r.file for r in accepted},
                   moderation.revised if moderation else {})
    plans, csv = _plan_outputs(con, report, options, outputs)
    outputs.write("--out", lambda temp: write_consolidated(
        temp, con, report.returns, report.findings, report.round,
        compiled_at=compiled_at, chase_why=report.chase_why, plans=plans, trend=trend, moderation=moderation,
        contact=options.contact or options.emails_from, made_with=made_with(report, options)))
    if csv:
        outputs.write("--csv", lambda temp: write_responses_csv(temp, con, accepted, report.round, trend))
    if options.pack:
        outputs.write("--pack", lambda temp: write_pack(temp, con, moderation, report.round, compiled_at,
                                                        frozenset(options.discuss)))
    report.out, report.csv, report.pack = options.out, csv, options.pack


def _write_feedback(con, report: IngestReport, accepted: list[CheckedReturn], options: IngestOptions,
                    outputs: AllOrNothing) -> None:
    """Each partner's feedback (--feedback), as outputs of the same run; from the self-assessed ratings, which
    it asks partners to reply on. `accepted` are the returns counted: what each partner must put right, and
    the address their workbook gave for replies."""
    if not options.feedback:
        return
    from sheetkit.mail.feedback import write_feedback

    write_feedback(con, options.feedback, options.manifest, options.feedback_evidence,
                   sender=options.emails_from, written_at=options.now, returns=accepted, round_name=report.round,
                   discuss=frozenset(options.discuss), reply=options.reply_by,
                   password=options.feedback_password, outputs=outputs)
    report.feedback = options.feedback


def made_with(report: IngestReport, options: IngestOptions) -> str:
    """How the workbook was made, as the Notes sheet says: the command, with the options that shape what it
    shows (file names only, so no folder of the lead's is written into the workbook)."""
    parts = [f"sheetkit {__version__}: sheetkit ingest of {len(report.returns)} file{'s' if len(report.returns) != 1 else ''}"]
    named = (("--manifest", options.manifest), ("--previous", options.previous), ("--renames", options.renames),
             ("--item-map", options.item_map), ("--replies", options.replies))
    parts += [f"{flag} {Path(value).name}" for flag, value in named if value]
    rule = options.agreement
    parts.append(f"--apart {rule.apart:g} --split {rule.split:g}")
    parts += [f"--prefer {Path(name).name}" for name in options.prefer]
    parts += [f"--discuss {item}" for item in options.discuss]
    return " ".join(parts)


def _trend(options: IngestOptions, report: IngestReport, con, compiled_on: dt.date, files: dict[str, str],
           revised: dict[tuple[str, str], int]):
    """This round against last round's workbook (--previous), or None; its findings join the report's. This
    round's ratings are those counted: a partner's revised rating in place of their self-assessed one."""
    if options.previous is None:
        return None
    from sheetkit.rounds.load import load_previous
    from sheetkit.rounds.trend import compute_trend, current_answers

    previous = load_previous(options.previous, con.framework, options.renames, options.item_map)
    if previous.round == report.round:
        raise UsageError(f"--previous {options.previous} compiles round {previous.round}, the round these returns "
                         f"are for; give last round's consolidated workbook")
    answers = current_answers(con.store, con.respondents)
    for (partner, key), value in revised.items():
        answers[partner][key] = value
    trend = compute_trend(con.framework, previous, answers, compiled_on, files)
    report.findings += previous.findings + trend.findings
    report.previous = options.previous
    return trend


def _plan_outputs(con, report: IngestReport, options: IngestOptions, outputs: AllOrNothing):
    """How the long tables fit the workbook, and the CSV files needed beside it, each reported.

    A table too long for the workbook is written as CSV beside it (the Responses table as the
    Responses CSV, beside the workbook when --csv was not given); so is the Responses CSV when
    an answer is longer than a cell holds, since the workbook shows it cut."""
    from sheetkit.report.responses import NAME as RESPONSES
    from sheetkit.report.workbook import plan_tables

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
            outputs.add(f"CSV {name}", plan.csv, f"the {name} table", "--out")
            plan.write_to = outputs.temp(f"CSV {name}")
        elif csv is None:
            csv = plan.csv
    if csv is None and cut:
        csv = options.out.with_name(f"{options.out.stem} - Responses.csv")
    if csv is not None and csv != options.csv:
        outputs.add("--csv", csv, "the Responses CSV", "--csv" if options.csv else "--out")
    return plans, csv
