"""`sheetkit validate` and `sheetkit ingest`: fill returns as respondents would, ingest, check."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import shutil
import statistics
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import BUNDLED, build, fill, random_answers
from sheetkit.cli import cli
from sheetkit.common.findings import CATALOGUE
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.returns.check import validate_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.common.own_files import SHEET_ACTIONS, SHEET_META
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.library import get_framework
from sheetkit.common.sandbox import Limits

RESPONDENTS = ("Adult Social Care", "Housing", "Health")


@functools.lru_cache(maxsize=None)
def _layout(framework_id):
    """The layout, planned once per framework: the oracle never re-reads a framework file."""
    return plan_workbook(get_framework(framework_id))


def _cell_of(framework_id, key):
    return next(a for a in _layout(framework_id).answers if a.key == key)


def _sheet_rows(path, name):
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return rows


def _table(path, name):
    """A consolidated sheet's table as dicts: title in A1, the table's header on row 4."""
    rows = _sheet_rows(path, name)
    header = rows[3]
    return [dict(zip(header, r)) for r in rows[4:]]


def _responses(path):
    return _table(path, "Responses")


def _ingest(paths, tmp_path, **options):
    out = tmp_path / "consolidated.xlsx"
    report = ingest_returns([str(p) for p in paths], IngestOptions(out=out, **options))
    return report, out


class _Exercise(dict):
    """Framework id -> (folder, returns folder, answers by respondent): three workbooks built and filled with
    different leanings, made when a test first asks for that framework (each test process makes only those
    its tests use)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root

    def __missing__(self, framework_id: str):
        built = build(framework_id, self.root / framework_id / "built", names=RESPONDENTS)
        returns = self.root / framework_id / "returns"
        returns.mkdir()
        answers = {}
        for n, (name, path) in enumerate(zip(RESPONDENTS, built)):
            answers[name] = random_answers(framework_id, seed=n, lean=(-0.7, 0.0, 0.7)[n])
            fill(path, returns / path.name, answers[name])
        self[framework_id] = (self.root / framework_id, returns, answers)
        return self[framework_id]


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    """Every bundled framework's exercise (see _Exercise)."""
    return _Exercise(tmp_path_factory.mktemp("exercise"))


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_consolidated_numbers_match_an_independent_computation(exercise, framework_id, tmp_path):
    folder, returns, answers = exercise[framework_id]
    fw = get_framework(framework_id)
    report, out = _ingest([returns], tmp_path, manifest=str(folder / "built" / "manifest.csv"))
    assert report.exit_code == 0, report.render()
    assert [r.status for r in report.returns] == ["accepted"] * 3
    rating_keys = {c.key for c in _layout(framework_id).answers if c.field.type == "rating"}
    for ret in report.returns:
        assert ret.ratings_given == len(rating_keys & set(answers[ret.respondent]))
    given = {r["Partner"]: r["Ratings given"] for r in _table(out, "Returns") if r["Status"] == "accepted"}
    assert given == {r.respondent: r.ratings_given for r in report.returns}
    rating = fw.item_rating_field()
    scale = fw.scale(rating.scale)
    value_of = {lv.choice: lv.value for lv in scale.levels}
    rows = _sheet_rows(out, "Ratings")
    header = rows[3]
    col = {name: header.index(name) for name in header}
    for _, item in fw.items():
        typed = [value_of[answers[p][f"item/{item.id}/{rating.id}"]] for p in RESPONDENTS
                 if f"item/{item.id}/{rating.id}" in answers[p]]
        by_person = {p: value_of[answers[p][f"item/{item.id}/{rating.id}"]] for p in RESPONDENTS
                     if f"item/{item.id}/{rating.id}" in answers[p]}
        (row,) = [r for r in rows[4:] if r[col["Ref"]] == item.id]
        assert row[col["Count"]] == len(typed)
        assert row[col["Mean"]] == pytest.approx(statistics.fmean(typed))
        assert row[col["Median"]] == pytest.approx(statistics.median(typed))
        assert row[col["Spread"]] == max(typed) - min(typed)
        for person in RESPONDENTS:
            expected = answers[person].get(f"item/{item.id}/{rating.id}")
            assert row[col[person]] == (value_of[expected] if expected else None)
        assert row[col["Agreement"]] == _agreement(by_person, scale.span)


def _agreement(values: dict, span: int) -> str | None:
    """The disagreement rule, computed here independently: split (two or more at each end at least half the
    span apart) before 'sits apart' (a lone partner at least a third of the span, at least 2 points, from all)."""
    ordered = sorted(values.values())
    split_gap, apart_gap = max(2, -(-span // 2)), max(2, -(-span // 3))
    if len(ordered) >= 4 and ordered[-2] - ordered[1] >= min(span, split_gap):
        return "Split"
    if len(ordered) >= 3 and (ordered[1] - ordered[0] >= min(span, apart_gap)
                              or ordered[-1] - ordered[-2] >= min(span, apart_gap)):
        return "Sits apart"
    return None


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_every_typed_value_appears_once_in_responses(exercise, framework_id, tmp_path):
    _, returns, answers = exercise[framework_id]
    _, out = _ingest([returns], tmp_path)
    layout = _layout(framework_id)
    cells = {a.key: a for a in layout.answers + layout.signoff_answers}
    seen = {}
    for row in _responses(out):
        key = (row["respondent"], row["sheet"], row["cell"])
        assert key not in seen
        seen[key] = row["value"]
    assert len(seen) == sum(len(a) for a in answers.values())
    for person, typed in answers.items():
        for key, value in typed.items():
            got = seen[(person, cells[key].sheet, cells[key].cell)]
            if isinstance(value, dt.datetime):
                assert got == value
            elif cells[key].field.type == "rating":
                scale = layout.framework.scale(cells[key].field.scale)
                assert got == scale.choices.index(value) + min(scale.values)
            elif key.endswith("/criterion"):
                assert got == value.split(" ", 1)[0]  # picked as '1.5 Commissioners analyse...', kept as its id
            else:
                assert got == value


def test_section_averages_on_the_dashboard(exercise, tmp_path):
    _, returns, answers = exercise["lga-cbo"]
    _, out = _ingest([returns], tmp_path)
    fw = get_framework("lga-cbo")
    rows = _sheet_rows(out, "Dashboard")
    start = next(i for i, r in enumerate(rows) if "All partners" in r)
    everyone = rows[start].index("All partners")
    for offset, section in enumerate(fw.sections, start=1):
        values = [int(answers[p][f"item/{item.id}/rating"]) for p in RESPONDENTS for item in section.items
                  if f"item/{item.id}/rating" in answers[p]]
        assert rows[start + offset][0] == section.id
        assert rows[start + offset][everyone] == pytest.approx(statistics.fmean(values))


def test_input_files_are_never_modified(exercise, tmp_path):
    _, returns, _ = exercise["ipc-audit"]
    before = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in returns.iterdir()}
    _ingest([returns], tmp_path)
    validate_returns([str(returns)], IngestOptions())
    after = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in returns.iterdir()}
    assert before == after


def test_respondent_text_that_looks_like_code_comes_out_as_text(tmp_path):
    (path,) = build("tlap-market", tmp_path / "b", names=("Housing",))
    hostile = {"item/1/evidence": "=HYPERLINK(\"http://evil.example\",\"click\")", "item/2/evidence": "+SUM(1,2)",
               "item/3/evidence": "-2+3", "item/4/evidence": "@cmd|' /C calc'!A0",
               "item/5/evidence": "http://evil.example/x", "item/6/action": "mailto:a@b.c"}
    fill(path, tmp_path / "r.xlsx", hostile)
    csv_path = tmp_path / "responses.csv"
    report, out = _ingest([tmp_path / "r.xlsx"], tmp_path, csv=csv_path)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        # The only links are sheetkit's own, each to a sheet of this workbook: the Contents sheet's, and the
        # Dashboard's to the whole plan (openpyxl keeps a loaded sheet's links on its cells, not in ws._hyperlinks).
        links = [c.hyperlink for row in ws.iter_rows() for c in row if c.hyperlink]
        assert all(link.target is None and link.location for link in links), ws.title
        assert not links or ws.title == "Contents" or [link.display for link in links] == [
            "The whole plan: Action plan"], ws.title
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    values = {r["value"] for r in _responses(out)}
    assert set(hostile.values()) <= values
    text = csv_path.read_text(encoding="utf-8-sig")
    for dangerous in ("=HYPERLINK", "+SUM", "-2+3", "@cmd"):
        assert f"'{dangerous}" in text


def test_json_output_is_the_library_report(exercise, tmp_path):
    _, returns, _ = exercise["swia-commissioning"]
    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    library = ingest_returns([str(returns)], IngestOptions(out=tmp_path / "c2.xlsx")).to_dict()
    # The second run may find in the re-ingest cache what the first left there (or earlier tests did).
    strip = lambda d: {k: v for k, v in d.items() if k not in ("out", "from_cache")}
    assert strip(printed) == json.loads(json.dumps(strip(library), default=str))
    assert set(library["from_cache"]) <= {r["file"] for r in printed["returns"]}
    assert {"framework", "returns", "findings"} <= set(printed)
    assert {"file", "respondent", "status", "findings"} <= set(printed["returns"][0])


def test_json_reports_each_returns_answers_as_the_responses_sheet_holds_them(exercise, tmp_path):
    """ingest --json (and validate --json) count every answer read from each return: its rows in Responses."""
    _, returns, _ = exercise["lga-cbo"]
    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(cli, ["ingest", str(returns), "--out", str(out), "--json"])
    printed = json.loads(result.output)
    rows = _responses(out)
    for ret in printed["returns"]:
        typed = sum(1 for r in rows if r["file"] == ret["file"])
        assert ret["answers"] == typed > 100, ret["file"]
    checked = json.loads(CliRunner().invoke(cli, ["validate", str(returns), "--json"]).output)
    assert [r["answers"] for r in checked["returns"]] == [r["answers"] for r in printed["returns"]]


def test_validate_keeps_only_the_answers_findings_point_at(exercise, tmp_path):
    """validate holds what the correction drafts quote, not every answer of every return, unless asked."""
    _, returns, _ = exercise["lga-cbo"]
    lean = validate_returns([str(returns)], IngestOptions(keep_answers=False))
    full = validate_returns([str(returns)], IngestOptions(keep_answers=True))
    for kept, every in zip(lean.returns, full.returns):
        pointed = {(f.sheet, f.cell) for f in every.findings if f.cell}
        assert kept.answers == [a for a in every.answers if (a.sheet, a.cell) in pointed]
        assert kept.answer_count == every.answer_count == len(every.answers) > 100
        assert kept.findings == every.findings
    assert lean.to_dict() == full.to_dict()


def test_validate_keeps_the_words_of_an_action_whose_blank_cell_a_finding_points_at():
    """A correction names an action's cell by the action's words, also when the cell it points at is blank
    (an owner left out): the lean report keeps that action's text, as the full one has it."""
    returns = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo" / "returns"
    lean = validate_returns([str(returns)], IngestOptions(keep_answers=False))
    full = validate_returns([str(returns)], IngestOptions(keep_answers=True))
    blanks = 0
    for kept, every in zip(lean.returns, full.returns):
        typed = {(a.sheet, a.cell) for a in every.answers}
        for finding in every.findings:
            key = next((k for k, where in every.placed.items() if where == (finding.sheet, finding.cell)), "")
            if finding.sheet != SHEET_ACTIONS or AnswerKey.level_of(key) != "action":
                continue
            blanks += (finding.sheet, finding.cell) not in typed
            words = [a for a in every.answers if a.key == AnswerKey.action(AnswerKey.parse(key).owner, "action")]
            assert words and all(a in kept.answers for a in words), (kept.file, finding)
    assert blanks  # the sample's Provider Forum left an action's owner blank


def test_validate_prints_findings_and_writes_nothing(exercise, tmp_path):
    _, returns, _ = exercise["wales-commissioning"]
    before = set(returns.iterdir())
    result = CliRunner().invoke(cli, ["validate", str(returns)])
    assert result.exit_code == 0, result.output
    assert "3 accepted" in result.output
    assert set(returns.iterdir()) == before


def test_exit_status_two_when_nothing_usable(tmp_path):
    (tmp_path / "returns").mkdir()
    (tmp_path / "returns" / "notes.csv").write_text("a,b\n1,2\n")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "returns"), "--out", str(tmp_path / "c.xlsx")])
    assert result.exit_code == 2
    assert "notes.csv" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["validate", str(empty)])
    assert result.exit_code == 2 and "no workbook files" in result.output


# -- one test per finding code --------------------------------------------------------------
@pytest.fixture(scope="module")
def built_lga(tmp_path_factory):
    """lga-cbo workbooks for Housing and Health, built once for the module (tests fill copies, never these)."""
    return build("lga-cbo", tmp_path_factory.mktemp("built"), names=("Housing", "Health"))


@pytest.fixture
def one_return(tmp_path, built_lga):
    """Housing's lga-cbo workbook; a function that fills a copy of it (or Health's) as a return."""
    built = built_lga

    def make(answers, name="return.xlsx", source=0, edit=None):
        target = tmp_path / "returns" / name
        target.parent.mkdir(exist_ok=True)
        fill(built[source], target, answers)
        if edit:
            wb = openpyxl.load_workbook(target)
            edit(wb)
            wb.save(target)
        return target

    make.built = built
    make.dir = tmp_path / "returns"
    return make


def _findings(path_or_dir, code, **options):
    report = validate_returns([str(path_or_dir)], IngestOptions(**options))
    return report, [f for f in report.findings if f.code == code]


RATING = "item/1/rating"


@pytest.mark.parametrize("typed", ["4.5", "Good", "11", 0])
def test_rating_out_of_scale(one_return, typed):
    path = one_return({RATING: typed, "statement/1.1/evidence": "yes"})
    report, found = _findings(path, "rating-out-of-scale")
    cell = _cell_of("lga-cbo", RATING)
    assert [(f.sheet, f.cell) for f in found] == [(cell.sheet, cell.cell)]
    assert str(typed) in found[0].message and "expected one of" in found[0].message
    assert report.returns[0].status == "accepted" and report.exit_code == 1


def test_rating_missing_and_without_evidence(one_return):
    path = one_return({"item/2/rating": "7", "item/3/rating": "5", "statement/3.1/evidence": "Minutes"})
    _, missing = _findings(path, "rating-missing")
    assert _cell_of("lga-cbo", RATING).cell in {f.cell for f in missing}
    _, no_evidence = _findings(path, "rating-without-evidence")
    assert [f.cell for f in no_evidence] == [_cell_of("lga-cbo", "item/2/rating").cell]


@pytest.mark.parametrize("typed, code", [("n/a", "date-invalid"), ("next month", "date-invalid"),
                                         ("1/2/2026", "date-ambiguous"), ("31/12/2026", "date-ambiguous")])
def test_bad_dates_are_reported_never_guessed(one_return, typed, code, tmp_path):
    path = one_return({"action/1/action": "Do it", "action/1/owner": "Sam", "action/1/due": typed})
    report, found = _findings(path, code)
    cell = _cell_of("lga-cbo", "action/1/due")
    assert [(f.sheet, f.cell) for f in found] == [(SHEET_ACTIONS, cell.cell)] and typed in found[0].message
    report, out = _ingest([path], tmp_path)
    row = next(r for r in _responses(out) if r["cell"] == cell.cell and r["sheet"] == SHEET_ACTIONS)
    assert row["value"] == typed and row["status"] == "flagged"


def test_iso_text_dates_are_accepted(one_return, tmp_path):
    path = one_return({"action/1/action": "Do it", "action/1/owner": "Sam", "action/1/due": "2026-12-31"})
    report, out = _ingest([path], tmp_path)
    assert not [f for f in report.findings if f.code.startswith("date")]
    (action,) = [r for r in _table(out, "Action plan") if r["Action"] == "Do it"]
    assert action["Due"] == dt.datetime(2026, 12, 31)


def test_priority_and_choice_invalid(one_return):
    path = one_return({"item/1/priority": "Urgent!", "action/1/action": "x", "action/1/owner": "y",
                       "action/1/due": dt.datetime(2027, 1, 1), "action/1/status": "Maybe"})
    assert _findings(path, "priority-invalid")[1][0].cell == _cell_of("lga-cbo", "item/1/priority").cell
    assert _findings(path, "choice-invalid")[1][0].cell == _cell_of("lga-cbo", "action/1/status").cell


def test_action_without_owner_or_date(one_return):
    path = one_return({"action/2/action": "Publish a market position statement", "item/4/actions": "Train staff",
                       "item/4/owner": "Head of Commissioning"})
    _, found = _findings(path, "action-incomplete")
    assert {f.cell for f in found} == {_cell_of("lga-cbo", "action/2/owner").cell, _cell_of("lga-cbo", "item/4/due").cell}


def test_empty_return(one_return):
    _, found = _findings(one_return({}), "return-empty")
    assert found and found[0].file.endswith("return.xlsx")


def test_text_longer_than_a_cell(one_return, tmp_path):
    path = one_return({"statement/1.1/evidence": "PLACEHOLDER"})
    long_path = tmp_path / "long.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(long_path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/") and info.filename.endswith(".xml"):
                data = data.replace(b"PLACEHOLDER", b"x" * 40_000)
            dst.writestr(info, data)
    report, found = _findings(long_path, "text-too-long")
    assert found[0].cell == _cell_of("lga-cbo", "statement/1.1/evidence").cell
    csv_path = tmp_path / "r.csv"
    _ingest([long_path], tmp_path, csv=csv_path)
    assert "x" * 40_000 in csv_path.read_text(encoding="utf-8-sig")


def test_statement_changed(one_return):
    text = next(t for t in plan_workbook(get_framework("lga-cbo")).texts if t.what.startswith("statement"))
    path = one_return({RATING: "5"}, edit=lambda wb: wb[text.sheet].__setitem__(text.cell, "We do whatever we like."))
    report, found = _findings(path, "statement-changed")
    assert [(f.sheet, f.cell) for f in found] == [(text.sheet, text.cell)]
    assert text.text[:40] in found[0].message and "We do whatever we like." in found[0].message
    assert report.returns[0].status == "accepted"


def test_sheet_renamed_is_still_read_and_missing_is_reported(one_return):
    section = plan_workbook(get_framework("lga-cbo")).sections[0].name

    def rename(wb):
        wb[section].title = "My notes"

    path = one_return({RATING: "6", "statement/1.1/evidence": "yes"}, edit=rename)
    report, found = _findings(path, "sheet-renamed", keep_answers=True)
    assert found and found[0].sheet == "My notes"
    assert any(a.key == RATING and a.value == 6 for a in report.returns[0].answers)

    def delete(wb):
        del wb[section]

    path = one_return({}, name="deleted.xlsx", edit=delete)
    _, found = _findings(path, "sheet-missing")
    assert found[0].sheet == section


@pytest.mark.parametrize("key, value, code", [
    ("framework_version", "2014", "version-mismatch"),
    ("fingerprint", "0" * 64, "fingerprint-mismatch"),
    ("framework_id", "tlap-market", "framework-mismatch"),
    ("framework_id", "our-own-2019", "framework-unknown"),
])
def test_identity_mismatches_are_rejected(one_return, key, value, code):
    from sheetkit.common.own_files import META_KEYS

    def patch(wb):
        wb[SHEET_META].cell(row=META_KEYS.index(key) + 1, column=2).value = value

    bad = one_return({RATING: "3"}, name="bad.xlsx", edit=patch)
    one_return({RATING: "4", "statement/1.1/evidence": "ok"}, name="good.xlsx", source=1)
    report, found = _findings(one_return.dir, code, framework_id="lga-cbo")
    assert found and found[0].file == bad.name and found[0].sheet == SHEET_META
    statuses = {r.file.split("/")[-1]: r.status for r in report.returns}
    assert statuses == {"bad.xlsx": "rejected", "good.xlsx": "accepted"}


def test_not_sheetkit_and_not_a_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "My own assessment"
    wb.save(tmp_path / "own.xlsx")
    (tmp_path / "export.xlsx").write_text("name,rating\nHousing,4\n")
    (tmp_path / "zero.xlsx").write_bytes(b"")
    good = build("ipc-audit", tmp_path / "b", names=("Housing",))[0]
    shutil.copy(good, tmp_path / "housing.xlsx")
    report = validate_returns([str(tmp_path / n) for n in ("own.xlsx", "export.xlsx", "zero.xlsx", "housing.xlsx")],
                              IngestOptions())
    codes = {r.file.split("/")[-1]: [f.code for f in r.findings] for r in report.returns}
    assert codes["own.xlsx"] == ["not-sheetkit"]
    assert codes["export.xlsx"] == ["not-a-workbook"]
    assert codes["zero.xlsx"] == ["not-a-workbook"]
    assert {r.file.split("/")[-1]: r.status for r in report.returns}["housing.xlsx"] == "accepted"


def test_truncated_file_is_unreadable(one_return, tmp_path):
    path = one_return({RATING: "3"})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _, found = _findings(cut, "file-unreadable")
    assert found and found[0].file == str(cut)


def test_a_reader_that_dies_fails_only_its_file(one_return):
    path = one_return({RATING: "3"})
    report, found = _findings(path, "reader-failed", limits=Limits(seconds=0.0001))
    assert found and report.returns[0].status == "rejected" and "too long" in found[0].message


def test_round_mismatch_duplicate_superseded_unknown_and_missing(tmp_path):
    built = build("lga-cbo", tmp_path / "built", names=("Housing", "Health", "Public Health"))
    old = build("lga-cbo", tmp_path / "old", names=("Housing",), round_name="2025")[0]
    extra = build("lga-cbo", tmp_path / "extra", names=("Parish Council",))[0]
    returns = tmp_path / "returns"
    returns.mkdir()
    early, late = dt.datetime(2026, 12, 1, 9), dt.datetime(2026, 12, 5, 17)
    fill(built[0], returns / "housing.xlsx", {RATING: "3"}, saved_at=early)
    fill(built[0], returns / "housing (2).xlsx", {RATING: "8"}, saved_at=late)
    shutil.copy(returns / "housing (2).xlsx", returns / "copy of housing.xlsx")
    fill(built[1], returns / "health.xlsx", {RATING: "5"})
    fill(old, returns / "housing-last-year.xlsx", {RATING: "2"})
    fill(extra, returns / "parish.xlsx", {RATING: "6"})
    report, out = _ingest([returns], tmp_path, manifest=str(tmp_path / "built" / "manifest.csv"))
    status = {r.file.split("/")[-1]: r for r in report.returns}
    assert status["housing.xlsx"].status == "superseded"
    superseded = [f for f in report.findings if f.code == "superseded"][0]
    kept = next(r for r in report.returns if r.respondent == "Housing" and r.status == "accepted")
    assert kept.file.split("/")[-1] in ("housing (2).xlsx", "copy of housing.xlsx")
    assert kept.file.split("/")[-1] in superseded.message and "2026-12-05" in superseded.message
    assert {status["housing (2).xlsx"].status, status["copy of housing.xlsx"].status} == {"accepted", "duplicate"}
    assert status["housing-last-year.xlsx"].status == "rejected"
    assert any(f.code == "round-mismatch" and "2025" in f.message for f in status["housing-last-year.xlsx"].findings)
    # built outside this exercise: its build id is not in the manifest, so none of its answers is compiled
    assert status["parish.xlsx"].status == "rejected"
    assert [f.code for f in status["parish.xlsx"].findings if f.is_error] == ["build-unknown"]
    assert report.chase == ["Public Health"]
    assert [f.message for f in report.findings if f.code == "no-return"] == [
        "'Public Health' was sent a workbook but no return from them was found"]
    assert report.exit_code == 1
    ratings = _sheet_rows(out, "Ratings")
    header = ratings[3]
    row = next(r for r in ratings[4:] if r[1] == "1")
    assert row[header.index("Housing")] == 8  # the newer return is the one counted
    returns_sheet = _sheet_rows(out, "Returns")
    assert any(r[0] == "Public Health" for r in returns_sheet)
    assert [r["Status"] for r in _table(out, "Returns") if r["Partner"] == "Public Health"] == ["not returned"]


def test_every_finding_code_is_documented_in_the_readme():
    """The README's table is exactly what `sheetkit codes --markdown` prints: one entry per code."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    printed = CliRunner().invoke(cli, ["codes", "--markdown"]).output.strip().splitlines()
    header = "| code | severity | meaning | what to do |\n| --- | --- | --- | --- |\n"
    table = readme.split(header, 1)[1].split("\n\n", 1)[0].splitlines()
    assert table == printed, "paste the output of `sheetkit codes --markdown` into the README's table"
    for code in CATALOGUE:
        assert f"`{code}`" in readme, code


def test_the_build_manifest_beside_the_returns_is_not_a_return(one_return):
    one_return({RATING: "5", "statement/1.1/evidence": "Minutes"}, name="housing.xlsx")
    shutil.copy(one_return.built[0].parent / "manifest.csv", one_return.dir / "manifest.csv")
    report = validate_returns([str(one_return.dir)], IngestOptions())
    assert [r.file.split("/")[-1] for r in report.returns] == ["housing.xlsx"]


def _readme_json_table() -> dict[str, set[str]]:
    """The README's table of what --json prints: {top-level key: the keys it documents inside it}."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| key | what it holds |\n| --- | --- |\n", 1)[1].split("\n\n", 1)[0]
    documented = {}
    for row in table.splitlines():
        keys, said = row.strip("|").split(" | ", 1)
        inner = set(re.findall(r"`([a-z_0-9]+)`", re.sub(r"\([^()]*\)", "", said)))
        for key in re.findall(r"`([a-z_0-9]+)`", keys):
            documented[key] = inner
    return documented


def test_json_output_is_what_the_readme_says_and_counts_what_was_typed(tmp_path):
    from fill_by_label import fill_by_label

    built = build("lga-cbo", tmp_path / "built", names=("Housing", "Health"))
    returns = tmp_path / "returns"
    returns.mkdir()
    filled = fill_by_label(built[0], returns / "housing.xlsx", seed=3)
    signed = next(v for f, v in zip(filled.fields, filled.cells.values()) if f.row_label.startswith("Completed by"))
    manifest = str(tmp_path / "built" / "manifest.csv")
    outputs = {}
    for command in (["validate"], ["ingest", "--out", str(tmp_path / "c.xlsx"), "--no-cache"]):
        result = CliRunner().invoke(cli, [*command, str(returns), "--manifest", manifest, "--json"])
        assert result.exit_code in (0, 1), result.output
        outputs[command[0]] = json.loads(result.output)
    documented = _readme_json_table()
    for name, report in outputs.items():
        assert set(report) == set(documented), name
        assert set(report["framework"]) == documented["framework"]
        [ret] = report["returns"]
        assert set(ret) == documented["returns"], set(ret) ^ documented["returns"]
        assert all(set(f) == documented["findings"] for f in report["findings"])
        assert ret["answers"] == len(filled.cells), name  # every value typed, read back: none dropped from the count
        assert ret["signed_off_by"] == signed and ret["signed_off_on"]
    register = _table(tmp_path / "c.xlsx", "Returns")
    housing = next(r for r in register if r["Partner"] == "Housing")
    assert housing["Signed off by"] == signed and housing["Signed off on"] is not None
