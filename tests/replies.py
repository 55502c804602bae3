"""A small exercise with feedback that asks for replies, and replies made as a partner makes them.

Partners read their feedback workbook's sheet 'Your reply': each row's Ref and the headers of its
yellow cells. ``reply_by_label`` types a reply by those visible labels alone (through
tests/fill_by_label.py, which does not import sheetkit), choosing only entries the cell's own
dropdown offers. What should become of each typed row is worked out here independently of
sheetkit (``expected``), from what was typed and each partner's self-assessed rating.
"""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import TINY_FRAMEWORK, build, fill, framework_folder
from fill_by_label import Field, find_fields, text_of
from sheetkit.cli import cli

PEOPLE = ("Respondent Alpha", "Respondent Bravo", "Respondent Charlie", "Respondent Delta")
# self-assessed ratings (scale 1-3) by item, partner by partner: on item 1 Alpha sits apart (low);
# on item 2 the partners are split, Alpha and Bravo low, Charlie and Delta high
RATINGS = {"1": (1, 3, 3, 3), "2": (1, 1, 3, 3)}
ASKED = {"Respondent Alpha": {"1", "2"}, "Respondent Bravo": {"2"}, "Respondent Charlie": {"2"},
         "Respondent Delta": {"2"}}
REPLY_SHEET = "Your reply"
DECISION, REVISED, WHY, EVIDENCE = ("Keep or revise", "Your revised rating", "Why", "Evidence you add")
WHEN = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)


def make_returns(framework, tmp_path: Path) -> None:
    """Built workbooks in tmp_path/built, and every partner's return in tmp_path/returns."""
    built = build("tiny", tmp_path / "built", names=PEOPLE)
    returns = tmp_path / "returns"
    returns.mkdir()
    choice = {lv.value: lv.choice for lv in framework.scale("rating").levels}
    for n, (person, path) in enumerate(zip(PEOPLE, built)):
        short = person.split()[-1].upper()
        fill(path, returns / path.name, {
            "item/1/rating": choice[RATINGS["1"][n]], "item/2/rating": choice[RATINGS["2"][n]],
            "statement/1.1/evidence": f"EVIDENCE-OF-{short} on knowing people",
            "statement/2.1/evidence": f"EVIDENCE-OF-{short} on joint plans",
            "item/1/actions": f"ACTION-OF-{short}", "item/1/owner": f"OWNER-OF-{short}"})


def ingest(tmp_path: Path, *extra: str, out: str = "c.xlsx", code: tuple[int, ...] = (0, 1)):
    """`sheetkit ingest` of the exercise's returns (with the feedback written at a fixed time)."""
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "returns"), "--manifest",
                                      str(tmp_path / "built" / "manifest.csv"), "--out", str(tmp_path / out),
                                      "--no-cache", *extra])
    assert result.exit_code in code, result.output
    return result


def feedback(tmp_path: Path, *extra: str) -> Path:
    """The feedback folder, written with its reply sheets (library call: the time is fixed)."""
    from sheetkit.commands.ingest import IngestOptions, ingest_returns

    ingest_returns([str(tmp_path / "returns")], IngestOptions(
        manifest=str(tmp_path / "built" / "manifest.csv"), out=tmp_path / "first.xlsx", now=WHEN,
        feedback=tmp_path / "feedback", emails_from="lead@anytown.gov.uk", use_cache=False,
        feedback_password="secret", discuss=tuple(extra)))
    return tmp_path / "feedback"


def reply_fields(path: Path) -> list[Field]:
    """The yellow cells of the reply sheet, as a partner reads them."""
    return [f for f in find_fields(path) if f.sheet == REPLY_SHEET]


def column(field: Field) -> str:
    """Which of the reply's four questions a cell's header asks."""
    header = field.column_header or ""
    return next(name for name in (DECISION, REVISED, WHY, EVIDENCE) if header.startswith(name))


def reply_by_label(source: Path, target: Path, wanted: dict[tuple[str, str], object]) -> dict[tuple[str, str], object]:
    """Type a reply: `wanted` maps (Ref, question) to a value; a dropdown's value must be one of its entries.
    Returns what was typed where, {(Ref, question): (cell, value)}."""
    fields = {(f.ref, column(f)): f for f in reply_fields(source)}
    workbook = openpyxl.load_workbook(source)
    typed = {}
    for (ref, question), value in wanted.items():
        field = fields[(ref, question)]
        if field.choices is not None:
            assert text_of(value) in field.choices, (ref, question, value, field.choices)
        workbook[REPLY_SHEET][field.cell].value = value
        typed[(ref, question)] = (field.cell, value)
    workbook.save(target)
    return typed


SCENARIOS = ("revise", "keep", "explain", "unclear keep", "unclear revise", "blank")


def plan_reply(fields: list[Field], rng: random.Random, person: str) -> dict[tuple[str, str], object]:
    """A reply for every row the sheet shows, each row one of SCENARIOS chosen at random, with values from
    the cells' own dropdowns."""
    wanted = {}
    rows = sorted({f.ref for f in fields})
    by = {(f.ref, column(f)): f for f in fields}
    for ref in rows:
        scenario = rng.choice(SCENARIOS)
        rating = rng.choice(by[(ref, REVISED)].choices)
        note = f"{person} on {ref}: {scenario} [{rng.randrange(10**6)}]"
        if scenario == "revise":
            wanted |= {(ref, DECISION): "Revise", (ref, REVISED): rating, (ref, WHY): "WHY " + note,
                       (ref, EVIDENCE): "ADDED " + note}
        elif scenario == "keep":
            wanted |= {(ref, DECISION): "Keep", (ref, WHY): "WHY " + note}
        elif scenario == "explain":
            wanted |= {(ref, WHY): "WHY " + note}
        elif scenario == "unclear keep":
            wanted |= {(ref, DECISION): "Keep", (ref, REVISED): rating}
        elif scenario == "unclear revise":
            wanted |= {(ref, DECISION): "Revise", (ref, WHY): "WHY " + note}
    return wanted


@dataclass
class Expected:
    """What a typed row should come to, worked out without sheetkit."""

    counted: int  # the rating counted now
    revised: bool
    unclear: bool


def expected(own: int, row: dict[str, object]) -> Expected:
    """The rule as the README states it: a revised rating counts only beside Revise; Keep (or no choice) with a
    revised rating, or Revise without one, is unclear and leaves the self-assessment standing."""
    decision, rating = text_of(row.get(DECISION)), text_of(row.get(REVISED))
    unclear = (decision == "Revise" and not rating) or (decision != "Revise" and bool(rating))
    if decision == "Revise" and rating and int(rating.split()[0]) != own:
        return Expected(int(rating.split()[0]), True, False)
    return Expected(own, False, unclear)


def self_rating(person: str, ref: str) -> int:
    return RATINGS[ref][PEOPLE.index(person)]


def table(path: Path, sheet: str, header_row: int = 4) -> list[dict[str, object]]:
    """A consolidated sheet's table as dicts by header (the header on row 4, as every sheet has it)."""
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:] if any(v is not None for v in row)]


def zipped(target: Path, *files: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for f in files:
            archive.write(f, f.name)
    return target


def revisions_in(folder: Path) -> dict[tuple[str, str], int]:
    """The ratings partners revised in the replies saved in `folder`, read from each reply sheet as a person reads
    it: (partner, Ref) -> the revised rating, where Revise is picked beside a rating."""
    revised = {}
    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True)
        who = next(r[1] for r in wb["_sheetkit"].iter_rows(values_only=True) if r[0] == "respondent")
        rows = list(wb[REPLY_SHEET].iter_rows(values_only=True))
        for row in (dict(zip(rows[3], r)) for r in rows[4:]):
            new = row.get("Your revised rating (pick)")
            if row.get("Keep or revise your rating (pick)") == "Revise" and new:
                revised[(who, str(row["Ref"]))] = int(str(new).split()[0])
    return revised


def moderation_exercise(folder: Path) -> Path:
    """The tiny framework's returns and their feedback, made in `folder` (a module's, made once)."""
    from sheetkit.framework.library import get_framework

    with framework_folder(folder / "my-frameworks", "tiny", TINY_FRAMEWORK):
        make_returns(get_framework("tiny"), folder)
        feedback(folder)
    return folder
