"""What each page does, on the same library functions the commands call (no Flask here).

Start an exercise (``build``), check the returns (``validate``), compile them (``ingest``) and
draft chasers (``chase``). A problem the lead can put right is raised as :class:`FieldError`,
naming the form field it belongs to, so the page can link its error summary to that field.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sheetkit

from . import exercises
from .exercises import Exercise

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Which form field a library message is about, by the option it names.
_OPTION_FIELDS = (("--deadline", "deadline"), ("--round", "round"), ("--previous", "framework"),
                  ("respondents", "respondents"), ("respondent", "respondents"), ("framework", "framework"))


class FieldError(sheetkit.UsageError):
    """A problem with what was typed or uploaded in one field of a form."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def field_for(message: str) -> str:
    """The form field a library message is about ('' when it names none)."""
    return next((name for option, name in _OPTION_FIELDS if option in message), "")


@dataclass
class Start:
    """What the start-an-exercise form asks."""

    name: str = ""
    framework: str = ""
    round: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    return_to: str = ""
    previous: str = ""  # the exercise this one follows (its folder name), for the next round
    list_name: str = ""  # the uploaded respondents list's file name
    list_data: bytes = b""

    def deadline(self) -> str:
        """The deadline as YYYY-MM-DD, '' when left empty (build then gives four weeks)."""
        parts = [self.day.strip(), self.month.strip(), self.year.strip()]
        if not any(parts):
            return ""
        if not all(parts):
            raise FieldError("deadline", "The deadline must include a day, a month and a year")
        try:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
        except ValueError:
            raise FieldError("deadline", "The deadline must be a real date, like 31 1 2027") from None


def framework_ids(frameworks_dirs: tuple[str, ...] = ()) -> list[str]:
    return [entry.id for entry in sheetkit.list_frameworks(frameworks_dirs)]


def start(home: Path, form: Start, frameworks_dirs: tuple[str, ...] = ()):
    """Make the exercise folder and build its workbooks and drafts: (Exercise, BuildResult, command).

    Nothing is left behind when anything fails."""
    problems = _check_start(home, form, frameworks_dirs)
    if problems:
        raise problems[0] if len(problems) == 1 else FormErrors(problems)
    deadline = form.deadline()
    previous = exercises.find(home, form.previous) if form.previous else None
    exercise = exercises.new_folder(home, form.name)
    try:
        people_list = _respondents_list(exercise, form, previous)
        framework = sheetkit.load_framework(form.framework, frameworks_dirs)
        last_round = sheetkit.load_previous(previous.consolidated, framework) if previous else None
        try:
            people = sheetkit.load_respondents(str(people_list))
        except sheetkit.SheetkitError as exc:
            raise FieldError("respondents", str(exc)) from None
        exercise.returns.mkdir()
        options = sheetkit.BuildOptions(out_dir=exercise.workbooks, deadline=deadline or None, round=form.round.strip(),
                                        return_to=form.return_to.strip(), emails=True, warnings=people.warnings,
                                        previous=last_round)
        built = sheetkit.build_workbooks(framework, people.people, options)
        exercise.remember(framework=framework.id, manifest=_relative(exercise, built.manifest),
                          password_file=_relative(exercise, built.password_file), return_to=form.return_to.strip(),
                          previous=previous.name if previous else "")
    except FieldError:
        exercises.remove(exercise)
        raise
    except sheetkit.SheetkitError as exc:
        exercises.remove(exercise)
        raise FieldError(field_for(str(exc)), str(exc)) from None
    except BaseException:
        exercises.remove(exercise)
        raise
    from . import commands

    command = commands.build(framework.id, people_list, exercise, form.round.strip(), deadline,
                             form.return_to.strip(), previous.consolidated if previous else None)
    return exercise, built, command


class FormErrors(sheetkit.UsageError):
    """Several fields of a form need putting right."""

    def __init__(self, problems: list[FieldError]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _check_start(home: Path, form: Start, frameworks_dirs: tuple[str, ...]) -> list[FieldError]:
    problems = []
    name = exercises.slug(form.name)
    if not form.name.strip():
        problems.append(FieldError("name", "Enter a name for the exercise"))
    elif not name:
        problems.append(FieldError("name", "The name must include at least one letter or digit"))
    elif exercises.find(home, name):
        problems.append(FieldError("name", f"There is already an exercise called '{name}'; choose another name"))
    if form.framework not in framework_ids(frameworks_dirs):
        problems.append(FieldError("framework", "Choose the framework the partners assess themselves against"))
    previous = exercises.find(home, form.previous) if form.previous else None
    if form.previous and (previous is None or not previous.consolidated.is_file()):
        problems.append(FieldError("framework", f"The exercise '{form.previous}' has no consolidated workbook yet; "
                                                f"compile it first, then start the next round from it"))
    if not form.list_name and not (previous and previous.respondents_list):
        problems.append(FieldError("respondents", "Upload the list of partners (a .csv, .xlsx or .ods file)"))
    elif form.list_name and Path(form.list_name).suffix.lower() not in exercises.LIST_SUFFIXES:
        problems.append(FieldError("respondents", "The list of partners must be a .csv, .xlsx or .ods file"))
    if not form.round.strip():
        problems.append(FieldError("round", "Enter the round, for example 2026 Q4"))
    try:
        form.deadline()
    except FieldError as exc:
        problems.append(exc)
    if not _ADDRESS.fullmatch(form.return_to.strip()):
        problems.append(FieldError("return_to", "Enter your email address, like name@council.gov.uk"))
    return problems


def _respondents_list(exercise: Exercise, form: Start, previous: Exercise | None) -> Path:
    """The respondents list kept in the exercise folder: the one uploaded, else last round's."""
    if form.list_name:
        path = exercise.path("respondents" + Path(form.list_name).suffix.lower())
        path.write_bytes(form.list_data)
        return path
    source = previous.respondents_list
    path = exercise.path(source.name)
    shutil.copyfile(source, path)
    return path


def _relative(exercise: Exercise, path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.resolve().relative_to(exercise.folder).as_posix()
    except ValueError:
        return ""


# -- returns ------------------------------------------------------------------------------
def check(exercise: Exercise, frameworks_dirs: tuple[str, ...] = ()):
    """The report `validate` gives for the exercise's returns, or None while there are none."""
    if not exercise.return_files():
        return None
    manifest = exercise.manifest
    options = sheetkit.CheckOptions(manifest=str(manifest) if manifest else None, frameworks_dirs=frameworks_dirs,
                                    keep_answers=False)
    return sheetkit.validate_returns([str(exercise.returns)], options)


@dataclass
class Partner:
    """One partner's row of the findings: their returns, what is wrong, and where they stand."""

    name: str
    state: str  # 'not returned', 'errors', 'warnings', 'ok'
    why: str = ""
    files: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)


def by_partner(report, asked: list[str]) -> list[Partner]:
    """The report's findings grouped by partner, in the manifest's order; files of no partner last.

    A partner with no usable return is 'not returned', with the report's reason (nothing
    received, or what was wrong with what came)."""
    owner = {r.file: sheetkit_key(r.respondent) for r in report.returns}
    partners: dict[str, Partner] = {}
    for name in asked + [r.respondent for r in report.returns if r.respondent]:
        partners.setdefault(sheetkit_key(name), Partner(name, "ok"))
    other = Partner("Files not matched to a partner", "warnings")
    for ret in report.returns:
        (partners[sheetkit_key(ret.respondent)] if ret.respondent else other).files.append(ret.file)
    grouped: dict[str, list] = defaultdict(list)
    for finding in report.findings:
        if finding.code != "no-return":  # said once, as the partner's state
            grouped[owner.get(finding.file, "")].append(finding)
    waiting = {sheetkit_key(name): name for name in report.chase}
    for key, partner in partners.items():
        partner.findings = grouped.get(key, [])
        if key in waiting:
            partner.state, partner.why = "not returned", report.chase_why.get(waiting[key], "")
        elif any(f.is_error for f in partner.findings):
            partner.state = "errors"
        elif partner.findings:
            partner.state = "warnings"
    other.findings = grouped.get("", [])
    return list(partners.values()) + ([other] if other.findings or other.files else [])


def sheetkit_key(name: str) -> str:
    """Names compare as sheetkit compares them: ignoring case and runs of spaces."""
    return " ".join(str(name).split()).casefold()


def not_returned(exercise: Exercise, report) -> list[str]:
    """Who was asked and has sent nothing usable yet."""
    if report is not None:
        return list(report.chase)
    records = exercise.records()
    return list(records.respondents) if records else []


# -- compile and chase --------------------------------------------------------------------
def compile_returns(exercise: Exercise, frameworks_dirs: tuple[str, ...] = ()):
    """`ingest`: the consolidated workbook and the Responses CSV, from the returns that can be trusted."""
    if not exercise.return_files():
        raise FieldError("", "There are no returns yet; add the returns first, then compile them")
    manifest = exercise.manifest
    options = sheetkit.IngestOptions(manifest=str(manifest) if manifest else None, frameworks_dirs=frameworks_dirs,
                                     out=exercise.consolidated, csv=exercise.responses_csv, previous=exercise.previous,
                                     contact=exercise.note().get("return_to", ""))  # the Cover names who to ask
    return sheetkit.ingest_returns([str(exercise.returns)], options)


def draft_chasers(exercise: Exercise, emails_from: str, frameworks_dirs: tuple[str, ...] = ()):
    """`chase`: a reminder or correction draft for everyone who still owes something."""
    if not _ADDRESS.fullmatch(emails_from.strip()):
        raise FieldError("emails_from", "Enter your email address, like name@council.gov.uk")
    manifest = exercise.manifest
    if manifest is None:
        raise FieldError("", "This exercise has no manifest.csv, so sheetkit does not know who was asked; "
                             "start the exercise from the page, or build it with sheetkit build")
    exercise.returns.mkdir(exist_ok=True)
    exercise.remember(return_to=emails_from.strip())
    options = sheetkit.ChaseOptions(manifest=manifest, out_dir=exercise.chase_dir, emails_from=emails_from.strip(),
                                    workbooks=exercise.workbooks, frameworks_dirs=frameworks_dirs)
    return sheetkit.chase([str(exercise.returns)], options)
