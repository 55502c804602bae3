"""The command line: parse options, call one library function, render its result.

Every command returns a result object with ``to_dict()``, ``render()`` and ``exit_code``;
:func:`_finish` prints it and exits, and :func:`main` maps failures to exit codes in one
place. Tracebacks appear only with ``--debug``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .common import clock
from sheetkit.common.text import printable_text
from sheetkit.common.errors import SheetkitError, UsageError
from sheetkit.common import interrupts, placed
from sheetkit.framework.file import FrameworkFileError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_FILE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
# Every exit status the command line can return, and what it means (the README's table).
EXIT_CODES = {
    EXIT_OK: "Done. For `validate` and `ingest`: every return was accepted with no errors.",
    EXIT_FINDINGS: "`validate` and `ingest`: some return has errors or was rejected; the consolidated workbook "
                   "is still written from the sound ones.",
    EXIT_USAGE: "The command could not run as given: a bad option or file, an output aimed at an input, an "
                "unknown framework, a framework file with errors, no usable return at all, or a release of a "
                "library sheetkit was not tested with. Nothing was written.",
    EXIT_INTERNAL: "A fault in sheetkit itself. Run again with `--debug` and report the traceback.",
    EXIT_FILE: "A file could not be written or read: open in another program (such as Excel), read-only, or the "
               "disk is full. The message names the file (or folder) and what to do; none of the command's outputs "
               "was written or changed.",
    EXIT_INTERRUPTED: "Interrupted (Ctrl-C, or the process was asked to stop): no output was changed, and no "
                      "temporary file or worker process is left. A Ctrl-C that comes after the outputs were put in "
                      "place says so; they are then complete.",
}


class _Context:
    def __init__(self, debug: bool, frameworks_dirs: tuple[str, ...]):
        self.debug = debug
        self.frameworks_dirs = frameworks_dirs


def _finish(result, as_json: bool) -> None:
    """Print a result as text or JSON and exit with its exit code (also when the output's reader has gone)."""
    _over()
    if as_json:
        _echo(json.dumps(_printable(result.to_dict()), indent=2, ensure_ascii=False, default=str))
    else:
        _echo(_printable(result.render()))
    click.get_current_context().exit(result.exit_code)


def _echo(text: str, err: bool = False) -> None:
    """Print a line; if whoever reads it has gone (``sheetkit validate ... | head -1``), stop printing quietly."""
    try:
        click.echo(text, err=err)
    except OSError as exc:
        if not _closed_pipe(exc):
            raise
        _silence(sys.stderr if err else sys.stdout)


def _closed_pipe(exc: OSError) -> bool:
    """Whether writing failed because the reading end of a pipe was closed (Windows says 'invalid argument')."""
    return isinstance(exc, BrokenPipeError) or (sys.platform == "win32" and exc.errno == errno.EINVAL)


def _silence(stream) -> None:
    """Point a closed output at the null device, so nothing more (not even the final flush) fails on it."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured output)
        pass


def _printable(value):
    """Output any terminal can show: undecodable bytes of file names, and control codes, as \\xHH."""
    if isinstance(value, str):
        return printable_text(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


class _Cli(click.Group):
    """The top-level group: the one place where failures become messages and exit codes."""

    def invoke(self, ctx: click.Context):
        already = len(placed())  # outputs put in place before this command (when run in one process with others)
        try:
            return self._run(ctx, already)
        except KeyboardInterrupt:  # in the instant between the command's end and its message
            _over()
            _echo(_interrupted(already), err=True)
            ctx.exit(EXIT_INTERRUPTED)

    def _run(self, ctx: click.Context, already: int):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except FrameworkFileError as exc:
            _over()
            _echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except SheetkitError as exc:
            _over()
            _echo(f"Error: {_printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # printing into a pipe whose reader has gone ('| head'): the work is done
            _over()
            _silence(sys.stdout)
            _silence(sys.stderr)
            ctx.exit(EXIT_OK)
        except OSError as exc:  # a file sheetkit had to write or read, not a fault in sheetkit
            _over()
            _echo(f"Error: {_printable(_file_problem(exc))}", err=True)
            ctx.exit(EXIT_FILE)
        except KeyboardInterrupt:
            _over()
            _echo(_interrupted(already), err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # a bug: say so plainly, show the traceback only on request
            _over()
            if interrupts.came_from_interrupt(exc):
                _echo(_interrupted(already), err=True)
                ctx.exit(EXIT_INTERRUPTED)
            if ctx.params.get("debug"):
                traceback.print_exc()
            _echo(f"Internal error: {type(exc).__name__}: {exc}. Run again with --debug and report it.", err=True)
            ctx.exit(EXIT_INTERNAL)
        finally:
            _over()

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # while the options are read, before any command ran
            _over()
            _echo(_interrupted(), err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def _interrupted(already: int = 0) -> str:
    """What a Ctrl-C did: nothing, or nothing more once the command's outputs were already in place
    (those put in place after the first `already`)."""
    done = placed()[already:]
    if not done:
        return "Interrupted: no output was changed, and the temporary files were removed."
    shown = ", ".join(printable_text(str(p)) for p in done[:3]) + (f" and {len(done) - 3} more" if len(done) > 3 else "")
    return f"Interrupted after the outputs were put in place ({shown}): they are complete."


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetkit")
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.option(
    "--frameworks-dir",
    "frameworks_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="A folder of your own framework YAML files (repeatable; also $SHEETKIT_FRAMEWORKS).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, frameworks_dirs: tuple[str, ...]) -> None:
    """Build self-assessment workbooks from commissioning frameworks and compile the returns."""
    ctx.obj = _Context(debug, frameworks_dirs)


# -- frameworks ---------------------------------------------------------------------------
@cli.group("frameworks", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def frameworks_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the available frameworks (id, title, version, counts)."""
    if ctx.invoked_subcommand is None:
        from sheetkit.commands.frameworks import list_available

        _finish(list_available(ctx.obj.frameworks_dirs), as_json)


@frameworks_cmd.command("show")
@click.argument("framework_id")
@click.option("--json", "as_json", is_flag=True, help="Print the whole framework as JSON.")
@click.pass_obj
def frameworks_show(obj: _Context, framework_id: str, as_json: bool) -> None:
    """Print one framework readably (FRAMEWORK_ID is an id or a YAML file)."""
    from sheetkit.commands.frameworks import show_framework

    _finish(show_framework(framework_id, obj.frameworks_dirs), as_json)


@frameworks_cmd.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def frameworks_check(files: tuple[str, ...], as_json: bool) -> None:
    """Check your own framework FILES and report every problem with its line."""
    from sheetkit.commands.frameworks import check_files

    _finish(check_files(files), as_json)


# -- build --------------------------------------------------------------------------------
@cli.command("build")
@click.argument("framework_id")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the workbooks (and drafts) into: only what is sent to partners, such as "
                   "exercise/workbooks.")
@click.option("--records", "records_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for your records, manifest.csv and protection-password.txt (default: the folder above "
                   "--out, such as exercise/; where an earlier sheetkit kept them beside the workbooks, there).")
@click.option("--respondents", "respondents_csv", type=click.Path(dir_okay=False),
              help="The respondents list (.csv, .xlsx or .ods; header row): name, organisation, email, contact.")
@click.option("--respondent", "respondent_names", multiple=True, help="A respondent's name (repeatable).")
@click.option("--deadline", help="Return deadline, YYYY-MM-DD (default: the deadline of the exercise already in --out, else four weeks from today).")
@click.option("--round", "round_name", default="", help='The assessment round, e.g. "2026 Q4" (default: the current year).')
@click.option("--return-to", default="", help="Who respondents send the workbook back to (an email address or a name).")
@click.option("--password", default=None, help="Sheet protection password (default: generated and kept with your records).")
@click.option("--emails", is_flag=True, help="Also write an .eml draft per respondent with the workbook attached.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False),
              help="A folder with your own email.txt and/or instructions.txt (also $SHEETKIT_TEMPLATES).")
@click.option("--force", is_flag=True, help="Re-issue the named respondents' workbooks already in the folder (only theirs are replaced).")
@click.option("--previous", type=click.Path(exists=True),
              help="Last round's consolidated workbook (or returns folder): show each respondent their last answers "
                   "and list their last actions for follow-up.")
@click.option("--prefill", is_flag=True, help="With --previous: start the answer cells with last round's values "
                                              "(default: blank, last round shown beside them).")
@click.option("--renames", type=click.Path(dir_okay=False, exists=True),
              help="With --previous: a list (.csv or .xlsx) with columns previous and current, for renamed respondents.")
@click.option("--item-map", type=click.Path(dir_okay=False, exists=True),
              help="With --previous from another framework version: which old item ids became which new ones.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def build_cmd(obj: _Context, framework_id: str, out_dir: str, records_dir: str | None, respondents_csv: str | None,
              respondent_names: tuple[str, ...], deadline: str | None, round_name: str, return_to: str,
              password: str | None, emails: bool, templates_dir: str | None, force: bool, previous: str | None,
              prefill: bool, renames: str | None, item_map: str | None, as_json: bool) -> None:
    """Write one locked workbook per respondent for FRAMEWORK_ID, and a manifest."""
    from sheetkit.commands.build import BuildOptions, build_workbooks
    from sheetkit.framework.library import resolve_framework
    from sheetkit.rounds.load import load_previous
    from sheetkit.roster.respondents import load_respondents

    if not previous and (prefill or renames or item_map):
        raise UsageError("--prefill, --renames and --item-map go with --previous (last round's consolidated "
                         "workbook); give --previous too, or leave them out")
    framework = resolve_framework(framework_id, obj.frameworks_dirs)
    respondents = load_respondents(respondents_csv, respondent_names)
    last_round = load_previous(previous, framework, renames, item_map) if previous else None
    options = BuildOptions(
        out_dir=Path(out_dir),
        records=Path(records_dir) if records_dir else None,
        deadline=deadline,
        round=round_name or str(clock.today().year),
        return_to=return_to,
        password=password,
        emails=emails,
        templates=templates_dir,
        force=force,
        progress=not as_json,
        warnings=respondents.warnings,
        previous=last_round,
        prefill=prefill,
    )
    _finish(build_workbooks(framework, respondents.people, options), as_json)


# -- validate and ingest ------------------------------------------------------------------
_paths = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
_prefer = click.option("--prefer", multiple=True, metavar="FILE",
                       help="Use this return over the same respondent's other files (repeatable; name it as the "
                            "report does).")


@cli.command("validate")
@_paths
@click.option("--manifest", type=click.Path(dir_okay=False, exists=True),
              help="The manifest.csv written by build (default: the one beside the returns folder, else inside it).")
@click.option("--framework", "framework_id", default=None, help="The framework the returns should be for (default: the manifest's, or the most common).")
@_prefer
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def validate_cmd(obj: _Context, paths: tuple[str, ...], manifest: str | None, framework_id: str | None,
                 prefer: tuple[str, ...], as_json: bool) -> None:
    """Check returned workbooks in PATHS (files or folders) and report every problem; changes nothing."""
    from sheetkit.commands.ingest import IngestOptions
    from sheetkit.returns.check import validate_returns

    options = IngestOptions(manifest=manifest, framework_id=framework_id, prefer=prefer, keep_answers=False,
                            frameworks_dirs=obj.frameworks_dirs, progress=not as_json)
    _finish(validate_returns(paths, options), as_json)


@cli.command("ingest")
@_paths
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The consolidated workbook to write (.xlsx).")
@click.option("--manifest", type=click.Path(dir_okay=False, exists=True),
              help="The manifest.csv written by build: who was asked (default: the one beside the returns folder, "
                   "else inside it).")
@click.option("--framework", "framework_id", default=None, help="The framework the returns should be for (default: the manifest's, or the most common).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write the Responses table as CSV.")
@click.option("--apart", type=click.FloatRange(0, 1), default=0.33, show_default=True,
              help="A lone partner this share of the scale away from every other partner 'sits apart'.")
@click.option("--split", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Two or more partners at each end this share of the scale apart are 'split'.")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False), default=None,
              help="Also write each respondent a feedback workbook and email draft into this folder.")
@click.option("--feedback-evidence", is_flag=True,
              help="Show other partners' evidence text (never their names) in the feedback.")
@click.option("--emails-from", default="", help="Your address, for the feedback drafts' From and Reply-To lines "
                                                "(and the consolidated workbook's contact, unless --contact is given).")
@click.option("--contact", default="", help="Who to ask about the consolidated workbook, named on its Cover "
                                            "(default: --emails-from).")
@click.option("--discuss", multiple=True, metavar="ITEM",
              help="With --feedback: also ask every partner who rated this item to reply on it (repeatable; "
                   "an item id, or 'all').")
@click.option("--reply-by", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="With --feedback: the date partners are asked to reply by, YYYY-MM-DD (default: two weeks from "
                   "today, on a weekday).")
@click.option("--replies", "replies_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A folder of partners' replies to their feedback: compiled into the Moderation sheet, and their "
                   "revised ratings counted.")
@click.option("--replies-manifest", type=click.Path(dir_okay=False, exists=True), default=None,
              help="With --replies: the feedback's manifest, which lists who was asked to reply (default: the "
                   "feedback-manifest.csv beside the replies folder, else inside it, else the one written with "
                   "--feedback).")
@click.option("--pack", type=click.Path(dir_okay=False), default=None,
              help="Also write the challenge-day pack (.xlsx): a printable page for each contested item.")
@click.option("--previous", type=click.Path(exists=True),
              help="Last round's consolidated workbook (or returns folder): adds the Trend sheet and follows up "
                   "last round's actions.")
@click.option("--renames", type=click.Path(dir_okay=False, exists=True),
              help="With --previous: partners renamed since last round (.csv or .xlsx; columns previous, current).")
@click.option("--item-map", type=click.Path(dir_okay=False, exists=True),
              help="With --previous: which of last version's ids became which of this one's, when the framework's "
                   "version changed.")
@_prefer
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
              help="Keep each return's checked result here, so the next ingest reads only new or changed "
                   "files (default: sheetkit's folder in your user cache folder). Safe to delete.")
@click.option("--no-cache", is_flag=True, help="Read every return again, and keep nothing for next time.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def ingest_cmd(obj: _Context, paths: tuple[str, ...], out: str, manifest: str | None, framework_id: str | None,
               csv_path: str | None, apart: float, split: float, feedback_dir: str | None,
               feedback_evidence: bool, emails_from: str, contact: str, discuss: tuple[str, ...], reply_by,
               replies_dir: str | None, replies_manifest: str | None, pack: str | None, previous: str | None,
               renames: str | None,
               item_map: str | None, prefer: tuple[str, ...], cache_dir: str | None, no_cache: bool,
               as_json: bool) -> None:
    """Validate the returns in PATHS and compile them into one consolidated workbook."""
    from sheetkit.consolidate.agreement import AgreementRule
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    if (renames or item_map) and not previous:
        raise click.UsageError("--renames and --item-map describe last round: give it with --previous")
    if reply_by and not feedback_dir:
        raise click.UsageError("--reply-by is the date partners are asked to reply to their feedback by: give it "
                               "with --feedback")
    if discuss and not feedback_dir:
        raise click.UsageError("--discuss names items each partner's feedback asks them to reply on: give it with "
                               "--feedback")
    if replies_manifest and not replies_dir:
        raise click.UsageError("--replies-manifest goes with --replies, the folder of replies to the feedback")
    options = IngestOptions(manifest=manifest, framework_id=framework_id, frameworks_dirs=obj.frameworks_dirs,
                            out=Path(out), csv=Path(csv_path) if csv_path else None,
                            agreement=AgreementRule(apart=apart, split=split),
                            feedback=Path(feedback_dir) if feedback_dir else None, emails_from=emails_from,
                            contact=contact, reply_by=reply_by.date() if reply_by else None,
                            feedback_evidence=feedback_evidence, prefer=prefer, progress=not as_json,
                            previous=Path(previous) if previous else None,
                            renames=Path(renames) if renames else None, item_map=Path(item_map) if item_map else None,
                            cache=Path(cache_dir) if cache_dir else None, use_cache=not no_cache,
                            discuss=discuss,
                            replies=Path(replies_dir) if replies_dir else None,
                            replies_manifest=Path(replies_manifest) if replies_manifest else None,
                            pack=Path(pack) if pack else None)
    _finish(ingest_returns(paths, options), as_json)


@cli.command("chase")
@_paths
@click.option("--manifest", type=click.Path(dir_okay=False, exists=True),
              help="The manifest.csv written by build: who was asked, their email and workbook (default: the one "
                   "beside the returns folder, else inside it).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the drafts (one subfolder per day) and the chase.csv log.")
@click.option("--emails-from", default="", help="Your address, for the drafts' From and Reply-To lines.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the drafts as this day, YYYY-MM-DD (default: today).")
@click.option("--workbooks", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder holding the built workbooks to re-attach (default: the manifest's folder and the folders "
                   "in it).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder of your own reminder*.txt and correction*.txt templates.")
@click.option("--framework", "framework_id", default=None, help="The framework the returns should be for (default: the manifest's).")
@click.option("--replies", "replies_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Also chase replies to the feedback: the folder they are saved in.")
@click.option("--replies-manifest", type=click.Path(dir_okay=False, exists=True), default=None,
              help="With --replies: the feedback's manifest, which lists who was asked to reply (default: the "
                   "feedback-manifest.csv beside the replies folder, else inside it; their feedback workbooks, "
                   "beside it or in a folder beside it, are attached to reminders).")
@_prefer
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def chase_cmd(obj: _Context, paths: tuple[str, ...], manifest: str | None, out_dir: str, emails_from: str, today,
              workbooks: str | None, templates: str | None, framework_id: str | None, replies_dir: str | None,
              replies_manifest: str | None, prefer: tuple[str, ...], as_json: bool) -> None:
    """Draft reminders and correction requests for the returns in PATHS (and replies to the feedback); nothing is sent."""
    from sheetkit.commands.chase import ChaseOptions, chase

    if replies_manifest and not replies_dir:
        raise click.UsageError("--replies-manifest goes with --replies, the folder of replies to the feedback")
    options = ChaseOptions(manifest=Path(manifest) if manifest else None, out_dir=Path(out_dir), emails_from=emails_from,
                           today=today.date() if today else None, templates=Path(templates) if templates else None,
                           workbooks=Path(workbooks) if workbooks else None, framework_id=framework_id,
                           prefer=prefer, frameworks_dirs=obj.frameworks_dirs, progress=not as_json,
                           replies=Path(replies_dir) if replies_dir else None,
                           replies_manifest=Path(replies_manifest) if replies_manifest else None)
    _finish(chase(list(paths), options), as_json)


@cli.command("samples")
@click.option("--respondents", "respondents_csv", default="samples/respondents.csv", show_default=True,
              type=click.Path(dir_okay=False, exists=True), help="The sample respondents.")
@click.option("--out", "out_dir", default="samples", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the sample exercise into.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def samples_cmd(respondents_csv: str, out_dir: str, as_json: bool) -> None:
    """Make the sample exercise: build, fill and ingest returns for two frameworks (always the same files)."""
    try:
        from sheetkit.samples.make import make_samples
    except ModuleNotFoundError as exc:  # openpyxl, which only this command needs, is an optional extra
        raise UsageError(f"sheetkit samples needs {exc.name}, which a plain install leaves out; "
                         f"install it with: pip install \"sheetkit[samples]\" (or pip install {exc.name})") from None

    _finish(make_samples(Path(respondents_csv), Path(out_dir)), as_json)


# -- the page -----------------------------------------------------------------------------
@cli.command("app")
@click.option("--home", type=click.Path(file_okay=False), default=None,
              help="The folder that holds one folder per exercise (default: your user data folder, "
                   "sheetkit/exercises inside it).")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="The port to listen on, on 127.0.0.1 only (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the default browser; just print its address.")
@click.pass_obj
def app_cmd(obj: _Context, home: str | None, port: int, no_browser: bool) -> None:
    """Run the whole job on a local web page: start an exercise, add returns, compile and chase."""
    from .app import missing, serve

    absent = missing()
    if absent:
        raise UsageError(f"sheetkit app needs {', '.join(absent)}, which a plain install leaves out; install them "
                         f"with: pip install \"sheetkit[app]\" (in the folder of sheetkit's source: "
                         f"pip install \".[app]\")")
    try:
        serve(Path(home) if home else None, port, not no_browser, obj.frameworks_dirs, obj.debug,
              say=lambda line: click.echo(line))
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
        click.get_current_context().exit(EXIT_INTERRUPTED)


# -- reference ----------------------------------------------------------------------------
@cli.command("codes")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in the README).")
def codes_cmd(markdown: bool) -> None:
    """List every finding code with its severity, meaning and what to do."""
    from sheetkit.common.findings import CATALOGUE

    for code, info in CATALOGUE.items():
        if markdown:
            _echo(f"| `{code}` | {info.severity} | {info.meaning} | {info.action} |")
        else:
            _echo(f"{code:<24} {info.severity:<8} {info.meaning} {info.action}")


def _file_problem(exc: OSError) -> str:
    """A file sheetkit could not use, and what to do: 'close it in Excel' only when it is locked."""
    name = printable_text(os.fsdecode(exc.filename)) if exc.filename else "a file"
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"could not use {name} ({reason}): the disk is full. Free some space, and run again."
    if isinstance(exc, PermissionError) or getattr(exc, "winerror", None) in (32, 33):
        return (f"could not use {name} ({reason}): it is open in another program (such as Excel) or you may not "
                f"use it. Close it in Excel, or check its permissions, and run again.")
    return f"could not use {name} ({reason}). Check that it exists and that you may use it, and run again."


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # so a request to stop cleans up exactly as Ctrl-C does


_WHOLE_PROCESS = False  # True when the process is this one command (main), not a library user or a test


def _over() -> None:
    """The command's work is over (done, or stopped and cleaned up): in a process that runs only this
    command, a Ctrl-C from now on changes nothing, so it is ignored rather than let change the status
    or cut the message short."""
    if _WHOLE_PROCESS:
        for sig in interrupts.STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        interrupts.forget_handled_interrupt()


def main() -> None:
    """Console-script entry point."""
    global _WHOLE_PROCESS
    _WHOLE_PROCESS = True
    try:
        _tolerant_output()
        if hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, _stop)
    except KeyboardInterrupt:
        _over()
        _echo(_interrupted(), err=True)
        sys.exit(EXIT_INTERRUPTED)
    cli(prog_name="sheetkit")


def _tolerant_output() -> None:
    """Print what the console can show: a Windows console or pipe in cp1252 has no 'ŵ' or 'ŷ'."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
