"""`sheetkit samples`: a worked example exercise, the same every time it is made.

From ``samples/respondents.csv`` it builds workbooks for two frameworks, fills them as the
respondents of a fictional council might (most agree, one disagrees strongly and replies late,
one sends a draft then a final version, one makes mistakes, one never replies), ingests them into a
consolidated workbook, writes each partner's feedback (for the first framework), has two partners
reply to it, compiles the returns again with the replies (and the challenge-day pack) and drafts
the chase emails. The files in the repository's ``samples/``
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
from sheetkit.common.own_files import FEEDBACK_MANIFEST
from sheetkit.framework.keys import AnswerKey

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


DISCUSS = ("7",)  # the lead asks every partner to reply on this item too
REPLIES_AFTER = 12  # days after the first compilation: the replies are in, the chase goes out again
# What two partners reply, by item: the forum on items where it sat apart, Housing on the item for discussion.
REPLIES = {
    "Voluntary Sector Forum": {
        "1": {"decision": "Revise", "revised": "5",
              "reason": "Having seen the other partners' evidence we accept that person-centred planning is in place; "
                        "our members' experience of it is still mixed.",
              "evidence": "Forum survey of 120 members, November 2026: 58% felt involved in planning their care."},
        "2": {"decision": "Keep", "reason": "Our members see little prevention work outside the council's own "
                                            "services; we would like to talk this through."},
        "3": {"decision": "Revise", "revised": "6",
              "reason": "The social value policy adopted in October now covers voluntary sector contracts.",
              "evidence": "Social value policy, Cabinet, 14 October 2026."},
    },
    "Housing": {"7": {"decision": "Keep", "reason": "The market position statement covers supported housing; "
                                                    "we rated it on that basis."}},
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
            if report.replies:
                lines.append(f"  replies to the feedback: {len(report.replies.returns)} (see the Moderation sheet); "
                             f"challenge-day pack: {report.pack}")
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
    for made in ("chase", "feedback", "replies"):
        shutil.rmtree(folder / made, ignore_errors=True)
    for made in ("challenge-day.xlsx", FEEDBACK_MANIFEST):  # an earlier feedback manifest would be replaced, not remade
        (folder / made).unlink(missing_ok=True)
    compiled = BUILT_AT + dt.timedelta(days=65)
    feedback = Path("feedback") if framework.id in WITH_FEEDBACK else None
    with _inside(folder):
        report = ingest_returns(["returns"], IngestOptions(manifest="manifest.csv", out=Path("consolidated.xlsx"),
                                                           now=compiled, feedback=feedback, emails_from=RETURN_TO,
                                                           contact=CONTACT,
                                                           use_cache=False,  # samples/ holds curated files only
                                                           discuss=DISCUSS, feedback_password="sample"))
        # the drafts the lead would review; the workbooks are not kept here, so none is attached
        chase(["returns"], ChaseOptions(manifest=Path("manifest.csv"), out_dir=Path("chase"), emails_from=RETURN_TO,
                                        today=compiled.date(), attach=False))
        if feedback:
            report = _moderate(framework, feedback, compiled + dt.timedelta(days=REPLIES_AFTER))
    report.out = folder / "consolidated.xlsx"
    report.feedback = folder / "feedback" if feedback else None
    report.pack = folder / "challenge-day.xlsx" if feedback else None
    return report


def _moderate(framework: Framework, feedback: Path, when: dt.datetime) -> IngestReport:
    """Two partners reply to their feedback; the returns are compiled again with the replies, the pack for the
    challenge day is written, and the chase reminds those who have not replied."""
    replies = Path("replies")
    replies.mkdir()
    for name, answers in REPLIES.items():
        source = feedback / f"feedback_{name}.xlsx"
        typed = {AnswerKey.reply(AnswerKey.item(item, "rating"), field): value
                 for item, fields in answers.items() for field, value in fields.items()}
        fill_workbook(source, replies / f"reply {name}.xlsx", typed, saved_at=when - dt.timedelta(days=4))
    report = ingest_returns(["returns"], IngestOptions(
        manifest="manifest.csv", out=Path("consolidated.xlsx"), now=when, use_cache=False, replies=replies,
        replies_manifest=Path(FEEDBACK_MANIFEST), pack=Path("challenge-day.xlsx"), discuss=DISCUSS,
        contact=CONTACT))
    chase(["returns"], ChaseOptions(manifest=Path("manifest.csv"), out_dir=Path("chase"), emails_from=RETURN_TO,
                                    today=when.date(), attach=False, replies=replies,
                                    replies_manifest=Path(FEEDBACK_MANIFEST)))
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
