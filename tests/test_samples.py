"""The committed samples are what `sheetkit samples` makes now, and they tell the intended story."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from replies import revisions_in
from sheetkit.samples.make import FRAMEWORKS, make_samples

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _content(path: Path):
    if path.suffix == ".eml":
        return path.read_bytes()
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.reader(handle))
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    result = make_samples(SAMPLES / "respondents.csv", out)
    return out, result


def test_committed_samples_are_not_stale(regenerated):
    out, _ = regenerated
    made = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*")
                       if p.is_file() and p != SAMPLES / "respondents.csv")  # the input, not made
    assert made == committed, "run 'sheetkit samples' and commit the result"
    for relative in made:
        assert _content(out / relative) == _content(SAMPLES / relative), (
            f"samples/{relative} is stale: run 'sheetkit samples' and commit the result")


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_samples_cover_agreement_disagreement_late_superseded_and_errors(regenerated, framework_id):
    _, result = regenerated
    report = result.reports[framework_id]
    by_person = {}
    for ret in report.returns:
        by_person.setdefault(ret.respondent, []).append(ret)
    assert sorted(r.status for r in by_person["Housing"]) == ["accepted", "superseded"]
    assert report.chase == ["Carers' Centre"]
    provider = by_person["Provider Forum"][0]
    assert {f.code for f in provider.findings} >= {"rating-out-of-scale", "date-invalid", "date-ambiguous"}
    late = by_person["Voluntary Sector Forum"][0]
    assert [f.code for f in late.findings] == ["return-late"]
    wb = openpyxl.load_workbook(SAMPLES / framework_id / "consolidated.xlsx", read_only=True)
    ratings = list(wb["Ratings"].iter_rows(values_only=True))
    agreement, ends = ratings[3].index("Agreement"), ratings[3].index("Who sits at each end")
    apart = [row for row in ratings[4:] if row[agreement] == "Sits apart"]
    assert apart and all(row[ends].startswith("Voluntary Sector Forum ") for row in apart), \
        "the forum's low ratings should make it sit apart, by name"
    assert any(row[agreement] in (None, "") for row in ratings[4:] if row[0]), \
        "most respondents agree on at least some items"


def test_consolidated_samples_open_in_libreoffice(tmp_path):
    import shutil
    import subprocess

    from conftest import IN_CI

    soffice = shutil.which("soffice")
    if not soffice:
        if IN_CI:
            pytest.fail("LibreOffice is not installed; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    files = []
    for fid in FRAMEWORKS:  # distinct names, since each PDF is named after its workbook
        shutil.copy(SAMPLES / fid / "consolidated.xlsx", tmp_path / f"{fid}.xlsx")
        files.append(str(tmp_path / f"{fid}.xlsx"))
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), *files],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    for path in files:
        pdf = tmp_path / (Path(path).stem + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 20_000


def test_sample_feedback_shows_the_forum_where_it_sits_apart():
    from email import policy
    from email.parser import BytesParser

    from sheetkit.samples.make import RETURN_TO, WITH_FEEDBACK

    for framework_id in WITH_FEEDBACK:
        folder = SAMPLES / framework_id / "feedback"
        forum = BytesParser(policy=policy.default).parsebytes(
            (folder / "feedback_Voluntary Sector Forum.eml").read_bytes())
        assert forum["From"].addresses[0].addr_spec == RETURN_TO
        assert "you sit apart from the other partners" in forum.get_body(("plain",)).get_content()
        (attachment,) = list(forum.iter_attachments())
        assert attachment.get_content() == (folder / "feedback_Voluntary Sector Forum.xlsx").read_bytes()
        wb = openpyxl.load_workbook(folder / "feedback_Voluntary Sector Forum.xlsx")
        where = [row[9] for row in wb["Where you differ"].iter_rows(min_row=4, values_only=True) if row[0]]
        assert where and all(w == "apart: lower than every other partner" for w in where)


def _item_ratings(path: Path, revised: dict[tuple[str, str], int] = {}) -> dict[str, list[float]]:
    """Every counted item rating in a consolidated workbook's Responses sheet, by partner, with those `revised`
    after the feedback in place of the self-assessed ones."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["Responses"].iter_rows(values_only=True))
    head = next(n for n, row in enumerate(rows) if row and "respondent" in row)
    col = {name: n for n, name in enumerate(rows[head])}
    out: dict[str, list[float]] = {}
    for row in rows[head + 1:]:
        if row[col["field"]] == "rating" and row[col["item"]] and not row[col["statement"]] \
                and row[col["status"]] == "ok":
            value = revised.get((row[col["respondent"]], row[col["item"]]), row[col["value"]])
            out.setdefault(row[col["respondent"]], []).append(float(value))
    return out


def test_the_next_round_sample_follows_up_and_compares_with_the_first(regenerated):
    _, result = regenerated
    report = result.reports["lga-cbo, 2027 Q4"]
    assert {r.status for r in report.returns} == {"accepted"} and not report.chase
    first, then = SAMPLES / "lga-cbo" / "consolidated.xlsx", SAMPLES / "lga-cbo" / "next-round" / "consolidated.xlsx"
    # last round counts as settled after its feedback: the ratings partners revised in the sample's replies
    last, now = _item_ratings(first, revisions_in(SAMPLES / "lga-cbo" / "replies")), _item_ratings(then)
    wb = openpyxl.load_workbook(then, read_only=True)
    trend = list(wb["Trend"].iter_rows(values_only=True))
    head = next(n for n, row in enumerate(trend) if row and row[0] == "Section")
    overall = trend[head + 1]
    mean = lambda by: sum(sum(v) for v in by.values()) / sum(len(v) for v in by.values())  # noqa: E731
    assert overall[trend[head].index("Last round")] == pytest.approx(mean(last))
    assert overall[trend[head].index("This round")] == pytest.approx(mean(now))
    partners = {row[0]: row[-1] for row in wb["Trend by partner"].iter_rows(values_only=True) if row and row[0]}
    assert partners["Adults and Health"] == "named 'Adult Social Care' last round"
    assert partners["Public Health"] == "no return this round" and partners["Healthwatch Anytown"] == "new this round"
    followed = [row for row in wb["Actions followed up"].iter_rows(values_only=True) if row and row[0]]
    statuses = {row[7] for row in followed[2:]}
    assert {"Done", "In progress"} <= statuses, "the sample partners report on last round's actions"
