"""Last round read back as plain data: from the consolidated workbook and from the returns folder.

The expected answers are taken independently from the Responses CSV that ingest wrote beside
the workbook, row by row with the csv module.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from sheetkit.common.errors import UsageError
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.framework.library import get_framework
from sheetkit.rounds.load import load_previous

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "lga-cbo"


@pytest.fixture(scope="module")
def last_round(tmp_path_factory):
    out = tmp_path_factory.mktemp("last")
    options = IngestOptions(manifest=str(SAMPLE / "manifest.csv"), out=out / "consolidated.xlsx",
                            csv=out / "responses.csv")
    ingest_returns([str(SAMPLE / "returns")], options)
    return out


def _from_csv(path: Path) -> dict[str, dict[str, str]]:
    """Every counted answer in the CSV, by respondent then key, as text."""
    answers: dict[str, dict[str, str]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["status"] == "ok" and row["key"].split("/")[0] not in ("signoff", "unplaced"):
                answers.setdefault(row["respondent"], {})[row["key"]] = row["value"].lstrip("'")
    return answers


def _as_text(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def test_every_counted_answer_comes_back_under_its_key(last_round):
    framework = get_framework("lga-cbo")
    previous = load_previous(last_round / "consolidated.xlsx", framework)
    expected = _from_csv(last_round / "responses.csv")
    assert (previous.round, previous.framework_id, previous.findings) == ("2026 Q4", "lga-cbo", [])
    assert sorted(p.name for p in previous.respondents.values()) == sorted(expected)
    for name, answers in expected.items():
        person = previous.respondent(name.upper())
        got = {k: _as_text(v) for k, v in person.answers.items()}
        typed = {k: v.removesuffix(".0") for k, v in answers.items() if not k.startswith("action/")}
        assert got == typed, name
        numbers = {int(k.split("/")[1]) for k in answers if k.startswith("action/") and k.endswith("/action")}
        on_rows = [a for a in person.actions if a.row is not None]
        assert [a.row for a in on_rows] == sorted(numbers)
        for action in on_rows:
            assert action.action == answers[f"action/{action.row}/action"]
            assert action.owner == answers.get(f"action/{action.row}/owner", "")
            assert _as_text(action.due or "") == answers.get(f"action/{action.row}/due", "")
        # Each standard's own action ("What actions do we need to take?", Who, By when) is an action too.
        items = [k.split("/")[1] for k in answers if k.startswith("item/") and k.endswith("/actions")]
        under = [a for a in person.actions if a.row is None]
        assert [a.where for a in under] == [f"Standard {i}" for i in items]
        for action, item in zip(under, items):
            assert (action.action, action.criterion) == (answers[f"item/{item}/actions"], item)
            assert action.owner == answers.get(f"item/{item}/owner", "")
            assert _as_text(action.due or "") == answers.get(f"item/{item}/due", "")


def test_the_returns_folder_gives_the_same_as_the_workbook(last_round):
    framework = get_framework("lga-cbo")
    from_workbook = load_previous(last_round / "consolidated.xlsx", framework)
    from_folder = load_previous(SAMPLE / "returns", framework)
    assert from_folder.round == from_workbook.round
    assert from_folder.respondents == from_workbook.respondents


def test_renamed_respondents_are_found_and_the_gone_listed(last_round, tmp_path):
    renames = tmp_path / "renames.csv"
    renames.write_text("previous,current\nAdult Social Care,Adults and Health\n", encoding="utf-8")
    previous = load_previous(last_round / "consolidated.xlsx", get_framework("lga-cbo"), renames=renames)
    assert previous.respondent("adults  and health").name == "Adult Social Care"
    assert previous.respondent("Adult Social Care") is not None  # the old name still reaches the same answers
    gone = previous.gone(["Adults and Health", "Housing"])
    assert "Adult Social Care" not in gone and "Housing" not in gone and "Public Health" in gone


def test_a_new_version_needs_an_item_map_and_nothing_is_guessed(last_round, tmp_path):
    newer = dataclasses.replace(get_framework("lga-cbo"), version="2027.1")
    with pytest.raises(UsageError, match="--item-map"):
        load_previous(last_round / "consolidated.xlsx", newer)
    item_map = tmp_path / "map.yaml"
    items = "\n".join(f'  "{n}": "{n}"' for n in range(1, 11))  # 11 is not mapped, 12 is dropped
    item_map.write_text(f'framework: lga-cbo\nfrom_version: "2015.2"\nitems:\n{items}\n  "3": "4"\n'
                        f'changed: ["5"]\ndropped: ["12"]\n', encoding="utf-8")
    previous = load_previous(last_round / "consolidated.xlsx", newer, item_map=item_map)
    person = previous.respondent("Adult Social Care")
    assert "item/11/rating" not in person.answers and "item/12/rating" not in person.answers
    assert "item/5/rating" not in person.answers  # wording changed: not compared
    same = load_previous(last_round / "consolidated.xlsx", get_framework("lga-cbo")).respondent("Adult Social Care")
    assert person.answers["item/4/rating"] == same.answers["item/3/rating"]  # old 3 became 4
    assert previous.not_comparable == {"3": "new in version 2027.1", "11": "new in version 2027.1",
                                       "12": "new in version 2027.1",
                                       "5": "wording or scale changed since version 2015.2"}
    assert [f.code for f in previous.findings] == ["item-not-mapped"] * 3  # items, sections and statements
    by_level = {f.message.split()[2]: f for f in previous.findings}
    assert "item 11 is not in the item map" in by_level["item"].message
    assert "sections 1, 2, 3, 4 are" in by_level["sections"].message
    assert str(item_map) == by_level["item"].file


@pytest.mark.parametrize("text, expected", [
    ('framework: swia-commissioning\nitems: {}\n', "maps framework 'swia-commissioning'"),
    ('from_version: "2014"\nitems: {}\n', "last round used version 2015.2"),
    ('items:\n  "1": "99"\n', "maps to 99"),
    ('changed: ["99"]\n', "'changed' names 99"),
    ('- just a list\n', "expected keys"),
])
def test_a_wrong_item_map_says_what_is_wrong(last_round, tmp_path, text, expected):
    item_map = tmp_path / "map.yaml"
    item_map.write_text(text, encoding="utf-8")
    newer = dataclasses.replace(get_framework("lga-cbo"), version="2027.1")
    with pytest.raises(UsageError, match=expected):
        load_previous(last_round / "consolidated.xlsx", newer, item_map=item_map)


def test_a_file_that_is_not_last_round_is_refused_with_what_to_give(last_round, tmp_path):
    framework = get_framework("lga-cbo")
    with pytest.raises(UsageError, match="not a consolidated workbook"):
        load_previous(SAMPLE / "returns" / sorted(p.name for p in (SAMPLE / "returns").glob("*.xlsx"))[0], framework)
    with pytest.raises(UsageError, match="not 'swia-commissioning'"):
        load_previous(last_round / "consolidated.xlsx", get_framework("swia-commissioning"))
    with pytest.raises(UsageError, match="no such file or folder"):
        load_previous(tmp_path / "missing.xlsx", framework)
    empty = tmp_path / "exercise" / "returns"  # nor any records beside it, in its exercise folder
    empty.mkdir(parents=True)
    with pytest.raises(UsageError, match="no manifest.csv"):
        load_previous(empty, framework)
