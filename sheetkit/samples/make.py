"""`sheetkit samples`: a worked example exercise, the same every time it is made.

From ``samples/respondents.csv`` it builds workbooks for two frameworks, fills them as the
respondents of a fictional council might (most agree, one disagrees strongly and replies late,
one sends a draft then a final version, one makes mistakes, one never replies), ingests them into a
consolidated workbook, writes each partner's feedback (for the first framework) and drafts the
chase emails. The files in the repository's ``samples/``
folder are made this way, and a test checks they are still what this command makes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.commands.chase import ChaseOptions, chase
from .next_round import ROUND as NEXT_ROUND
from .next_round import make_next_round
from .filling import fill_workbook, realistic_answers
from sheetkit.framework.model import Framework
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.returns.outcome import IngestReport
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent, load_respondents

FRAMEWORKS = ("lga-cbo", "swia-commissioning")
WITH_NEXT_ROUND = ("lga-cbo",)  # one framework's second round shows the Trend
WITH_FEEDBACK = ("lga-cbo",)  # one framework's feedback shows what partners are sent
BUILT_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)
DEADLINE = "2026-11-30"
ROUND = "2026 Q4"
RETURN_TO = "commissioning@anytown.gov.uk"
CONTACT = f"Priya Shah, Commissioning team, {RETURN_TO}"  # named on the consolidated workbook's Cover

# How each respondent answers: (lean from -1 weak to +1 strong, completeness), or a scenario.
AGREE, DISAGREE, DRAFT_THEN_FINAL, MISTAKES, NO_REPLY = "agree", "disagree", "draft", "mistakes", "no reply"
SCENARIOS = {
    "Adult Social Care": AGREE,
    "Housing": DRAFT_THEN_FINAL,
    "Public Health": AGREE,
    "Anytown Integrated Care Board": AGREE,
    "Voluntary Sector Forum": DISAGREE,
    "Carers' Centre": NO_REPLY,
    "Provider Forum": MISTAKES,
}


@dataclass
class SamplesResult:
    out_dir: Path
    reports: dict[str, IngestReport] = field(default_factory=dict)
    exit_code: int = 0

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir),
                "frameworks": {fid: report.to_dict() for fid, report in self.reports.items()}}

    def render(self) -> str:
        lines = []
        for fid, report in self.reports.items():
            statuses = ", ".join(f"{r.status} {Path(r.file).name}" for r in report.returns)
            lines.append(f"{fid}: {statuses}; still to chase: {', '.join(report.chase) or 'nobody'}")
            lines.append(f"  consolidated workbook: {report.out}")
            if report.feedback:
                lines.append(f"  each partner's feedback workbook and email draft: {report.feedback}")
        lines.append(f"Sample exercise written to {self.out_dir}")
        return "\n".join(lines)


def make_samples(respondents_csv: Path, out_dir: Path) -> SamplesResult:
    """Build, fill and ingest the sample exercise for each sample framework into out_dir."""
    respondents = load_respondents(str(respondents_csv)).people
    result = SamplesResult(out_dir)
    for framework_id in FRAMEWORKS:
        result.reports[framework_id] = _make_one(get_framework(framework_id), respondents, out_dir / framework_id)
    for framework_id in WITH_NEXT_ROUND:  # a year on: the follow-up workbooks and the Trend
        report = make_next_round(get_framework(framework_id), respondents, out_dir / framework_id, RETURN_TO, CONTACT)
        result.reports[f"{framework_id}, {NEXT_ROUND}"] = report
    return result


def _make_one(framework: Framework, respondents: list[Respondent], folder: Path) -> IngestReport:
    returns = folder / "returns"
    if returns.exists():
        shutil.rmtree(returns)
    returns.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        built = build_workbooks(framework, respondents, BuildOptions(
            out_dir=Path(tmp) / "workbooks", deadline=DEADLINE, round=ROUND, return_to=RETURN_TO, password="sample",
            now=BUILT_AT))
        shutil.copy(built.manifest, folder / "manifest.csv")
        layout = plan_workbook(framework)
        for n, item in enumerate(built.files):
            _fill_as(SCENARIOS.get(item.respondent.name, AGREE), layout, item.workbook, returns, random.Random(n))
    shutil.rmtree(folder / "chase", ignore_errors=True)
    shutil.rmtree(folder / "feedback", ignore_errors=True)
    compiled = BUILT_AT + dt.timedelta(days=65)
    feedback = Path("feedback") if framework.id in WITH_FEEDBACK else None
    with _inside(folder):
        report = ingest_returns(["returns"], IngestOptions(manifest="manifest.csv", out=Path("consolidated.xlsx"),
                                                           now=compiled, feedback=feedback, emails_from=RETURN_TO,
                                                           contact=CONTACT,
                                                           use_cache=False))  # samples/ holds curated files only
        # the drafts the lead would review; the workbooks are not kept here, so none is attached
        chase(["returns"], ChaseOptions(manifest=Path("manifest.csv"), out_dir=Path("chase"), emails_from=RETURN_TO,
                                        today=compiled.date(), attach=False))
    report.out = folder / "consolidated.xlsx"
    report.feedback = folder / "feedback" if feedback else None
    return report


def _fill_as(scenario: str, layout, workbook: Path, returns: Path, rng: random.Random) -> None:
    saved = BUILT_AT + dt.timedelta(days=20 + rng.randrange(10), hours=rng.randrange(8))
    if scenario == NO_REPLY:
        return
    if scenario == DRAFT_THEN_FINAL:
        draft = realistic_answers(layout, rng, lean=-0.2, completeness=0.5)
        fill_workbook(workbook, returns / f"DRAFT {workbook.name}", draft, saved_at=saved)
        saved += dt.timedelta(days=5)
    if scenario == DISAGREE:
        saved = dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.timezone.utc)  # after the deadline: a late return
    lean = 0.3 if scenario == MISTAKES else 0.35
    answers = realistic_answers(layout, rng, lean=lean)
    if scenario == DISAGREE:
        _disagree_on_first_half(layout, answers, rng)
    if scenario == MISTAKES:
        _add_mistakes(layout, answers)
    fill_workbook(workbook, returns / workbook.name, answers, saved_at=saved)


def _disagree_on_first_half(layout, answers: dict, rng: random.Random) -> None:
    """Rate the first half of the sections far lower than everyone else does."""
    gloomy = realistic_answers(layout, rng, lean=-1.0)
    first_half = {sheet.section.id for sheet in layout.sections[: max(1, len(layout.sections) // 2)]}
    for cell in layout.answers:
        if cell.field.type == "rating" and cell.section_id in first_half and cell.key in gloomy:
            answers[cell.key] = gloomy[cell.key]


def _add_mistakes(layout, answers: dict) -> None:
    """What real returns contain: pasted ratings, 'n/a' in a date, an ambiguous date."""
    ratings = [a.key for a in layout.answers if a.field.type == "rating" and a.field.level == "item"]
    answers[ratings[0]] = "4.5"
    answers[ratings[1]] = "Good"
    answers["action/1/due"] = "n/a"
    answers["action/2/due"] = "1/2/2027"
    answers.pop("action/3/owner", None)


@contextlib.contextmanager
def _inside(folder: Path):
    """Run with paths relative to folder, so the sample workbook names files as a user would."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
