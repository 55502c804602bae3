"""The sample exercise's next round: a year on, built from the first round's consolidated
workbook and compiled against it, so ``samples/`` shows a follow-up workbook and a Trend.

One partner has been renamed (Adult Social Care is now Adults and Health), one has left
(Public Health) and one has joined (Healthwatch Anytown). Each returning partner starts from
what they said last time: most ratings stay or move by a point, and they report on the actions
they carried over, while adding new ones.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.rounds.carry import carry_over
from .filling import fill_workbook, realistic_answers
from sheetkit.framework.model import Framework
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.returns.outcome import IngestReport
from sheetkit.framework.model import ACTION_STATUSES
from sheetkit.workbook.plan import plan_workbook
from sheetkit.rounds.load import load_previous
from sheetkit.rounds.model import PreviousRespondent, PreviousRound
from sheetkit.roster.respondents import Respondent
from sheetkit.framework.keys import AnswerKey

FOLDER = "next-round"
ROUND = "2027 Q4"
BUILT_AT = dt.datetime(2027, 10, 1, 9, 0, tzinfo=dt.timezone.utc)
DEADLINE = "2027-11-30"
RENAMED = {"Adult Social Care": "Adults and Health"}  # last round's name -> this round's
LEFT = ("Public Health",)
JOINED = (Respondent("Healthwatch Anytown", "Healthwatch Anytown", "enquiries@healthwatchanytown.org.uk",
                     "Sam Okafor", "Voluntary sector"),)
PROGRESS = {  # what a partner writes beside each status
    "Not started": "Delayed by the restructure; a new lead is now in post.",
    "In progress": "Pilot running in two localities; first report to the board in the spring.",
    "Done": "Done: reported to the board in September.",
    "Dropped": "Overtaken by the joint strategy with the ICB.",
}
MOVES = (-1, 0, 0, 0, 1, 1, 2)  # how a rating moves in a year: mostly steady, a little better


def make_next_round(framework: Framework, respondents: list[Respondent], folder: Path, return_to: str,
                    contact: str = "") -> IngestReport:
    """Build, fill and ingest the next round into `folder`/next-round, from `folder`/consolidated.xlsx."""
    here = folder / FOLDER
    shutil.rmtree(here, ignore_errors=True)
    (here / "returns").mkdir(parents=True)
    people = _this_rounds_people(respondents)
    _write_lists(here, people)
    previous = load_previous(folder / "consolidated.xlsx", framework, renames=here / "renames.csv")
    with tempfile.TemporaryDirectory() as tmp:
        built = build_workbooks(framework, people, BuildOptions(
            out_dir=Path(tmp) / "workbooks", deadline=DEADLINE, round=ROUND, return_to=return_to, password="sample",
            now=BUILT_AT, previous=previous))
        shutil.copy(built.manifest, here / "manifest.csv")
        for n, item in enumerate(built.files):
            answers = _answers(framework, previous, item.respondent.name, random.Random(100 + n))
            saved = BUILT_AT + dt.timedelta(days=25 + n, hours=n)
            fill_workbook(item.workbook, here / "returns" / item.workbook.name, answers, saved_at=saved)
    options = IngestOptions(manifest=str(here / "manifest.csv"), out=here / "consolidated.xlsx",
                            previous=folder / "consolidated.xlsx", renames=here / "renames.csv",
                            now=BUILT_AT + dt.timedelta(days=65), use_cache=False, contact=contact)
    return ingest_returns([str(here / "returns")], options)


def _this_rounds_people(respondents: list[Respondent]) -> list[Respondent]:
    kept = [dataclasses.replace(r, name=RENAMED.get(r.name, r.name)) for r in respondents if r.name not in LEFT]
    return kept + list(JOINED)


def _write_lists(here: Path, people: list[Respondent]) -> None:
    """The respondents list and the renames list a lead would keep for the round."""
    with open(here / "respondents.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("name", "organisation", "email", "contact", "group"))
        writer.writerows((p.name, p.organisation, p.email, p.contact, p.group) for p in people)
    with open(here / "renames.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("previous", "current"), *RENAMED.items()])


def _answers(framework: Framework, previous: PreviousRound, name: str, rng: random.Random) -> dict[str, object]:
    """What a partner types this round: last round's answers moved a little, and their follow-up."""
    person = previous.respondent(name)
    if person is None:
        return realistic_answers(plan_workbook(framework), rng, lean=0.2)
    layout = plan_workbook(framework, follow_up=True)
    answers = {k: v for k, v in realistic_answers(layout, rng, lean=0.4).items() if AnswerKey.level_of(k) != "action"}
    answers.update(_moved_ratings(layout, person, rng))
    carried = carry_over(layout, previous, person).actions
    first = rng.randrange(len(ACTION_STATUSES))  # each partner's carried actions go through the statuses in turn
    for row in range(1, carried + 1):
        answers.update(_follow_up(row, ACTION_STATUSES[(first + row) % len(ACTION_STATUSES)]))
    fresh = realistic_answers(plan_workbook(framework), rng, lean=0.4)
    for new, old in ((carried + 1, 1), (carried + 2, 2)):  # two new actions below the carried ones
        answers.update({AnswerKey.action(new, key.field): v for key, v in
                        ((AnswerKey.parse(k), v) for k, v in fresh.items()) if key.level == "action" and key.number == old})
    return answers


def _moved_ratings(layout, person: PreviousRespondent, rng: random.Random) -> dict[str, str]:
    out = {}
    for cell in layout.answers:
        last = person.answers.get(cell.key)
        if cell.field.type != "rating" or not isinstance(last, (int, float)):
            continue
        levels = layout.framework.scale(cell.field.scale).levels
        values = [lv.value for lv in levels]
        now = min(max(values), max(min(values), int(last) + rng.choice(MOVES)))
        out[cell.key] = next(lv.choice for lv in levels if lv.value == now)
    return out


def _follow_up(row: int, status: str) -> dict[str, object]:
    answers: dict[str, object] = {AnswerKey.action(row, "status"): status, AnswerKey.action(row, "progress"): PROGRESS[status]}
    if status == "In progress":
        answers[AnswerKey.action(row, "revised_due")] = dt.datetime(2028, 3, 31)
    return answers
