"""Nothing lost, as a property: random frameworks, random fillings, every value comes back."""

from __future__ import annotations

import datetime as dt
import os
import statistics

import openpyxl
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.samples.filling import fill_workbook
from sheetkit.framework.file import load_framework
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.roster.respondents import Respondent

WORDS = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\x7f"),
                min_size=1, max_size=40).map(str.strip).filter(bool)
TYPED_TEXT = st.one_of(WORDS, st.sampled_from(["=1+1", "+44 20 7946 0000", "-5", "@risk", "http://example.org/x",
                                               "=HYPERLINK(\"http://evil\")", "n/a", "  spaced  words"]).map(str.strip))


@st.composite
def frameworks(draw):
    levels = draw(st.integers(min_value=2, max_value=7))
    n_sections = draw(st.integers(min_value=1, max_value=3))
    sections, n = [], 0
    for s in range(n_sections):
        items = []
        for i in range(draw(st.integers(min_value=1, max_value=3))):
            n += 1
            statements = [{"id": f"{n}.{k + 1}", "text": draw(WORDS)} for k in range(draw(st.integers(0, 3)))]
            items.append({"id": str(n), "title": draw(WORDS), "statements": statements})
        sections.append({"id": f"s{s + 1}", "title": draw(WORDS), "items": items})
    return {
        "format": 1, "id": "random", "title": "Random framework", "version": "1",
        "source": {"publisher": "Tests", "year": 2026, "title": "Random"},
        "scales": [{"id": "r", "title": "Rating", "origin": "sheetkit", "note": "Random scale for a test.",
                    "levels": [{"value": v, "label": f"L{v}", "description": f"Level {v}"} for v in range(1, levels + 1)]}],
        "responses": {
            "item": [{"id": "rating", "label": "Rating", "type": "rating", "scale": "r"},
                     {"id": "notes", "label": "Notes", "type": "text"},
                     {"id": "due", "label": "By when", "type": "date"}],
            "statement": [{"id": "evidence", "label": "Evidence", "type": "text"}],
            "section": [{"id": "summary", "label": "Summary", "type": "text"}],
        },
        "sections": sections,
    }


@st.composite
def fillings(draw, framework):
    layout = plan_workbook(framework)
    scale = framework.scale("r")
    answers = {}
    for cell in layout.answers:
        if not draw(st.booleans()):
            continue
        kind = cell.field.type
        if kind == "rating":
            answers[cell.key] = draw(st.sampled_from(scale.choices))
        elif kind == "date":
            answers[cell.key] = dt.datetime.combine(draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))), dt.time())
        elif kind == "priority":
            answers[cell.key] = draw(st.sampled_from(["High", "Medium", "Low"]))
        elif cell.field.id == "status":
            answers[cell.key] = draw(st.sampled_from(["Not started", "In progress", "Done"]))
        else:
            answers[cell.key] = draw(TYPED_TEXT)
    return answers


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_fillings_lose_nothing(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("prop")
    spec = data.draw(frameworks())
    (root / "fw").mkdir()
    (root / "fw" / "random.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    framework = load_framework(root / "fw" / "random.yaml")
    people = ["Alpha", "Beta"]
    old = os.environ.get("SHEETKIT_FRAMEWORKS")
    os.environ["SHEETKIT_FRAMEWORKS"] = str(root / "fw")
    try:
        built = build_workbooks(framework, [Respondent(p) for p in people],
                                BuildOptions(out_dir=root / "built", round="R", password="p"))
        typed = {}
        (root / "returns").mkdir()
        for person, item in zip(people, built.files):
            typed[person] = data.draw(fillings(framework))
            fill_workbook(item.workbook, root / "returns" / item.workbook.name, typed[person])
        out = root / "c.xlsx"
        report = ingest_returns([str(root / "returns")], IngestOptions(out=out, frameworks_dirs=(str(root / "fw"),)))
    finally:
        if old is None:
            os.environ.pop("SHEETKIT_FRAMEWORKS", None)
        else:
            os.environ["SHEETKIT_FRAMEWORKS"] = old
    if not any(typed.values()):
        return
    rows = list(openpyxl.load_workbook(out, read_only=True)["Responses"].iter_rows(values_only=True))
    rows = [dict(zip(rows[3], r)) for r in rows[4:]]  # title in A1, the table's header on row 4
    cells = {c.key: c for c in plan_workbook(framework).answers}
    got = {}
    for row in rows:
        key = (row["respondent"], row["sheet"], row["cell"])
        assert key not in got, f"{key} appears twice"
        got[key] = row
    assert len(got) == sum(len(t) for t in typed.values())
    value_of = {c: lv.value for c, lv in zip(framework.scale("r").choices, framework.scale("r").levels)}
    for person, answers in typed.items():
        for key, value in answers.items():
            cell = cells[key]
            row = got[(person, cell.sheet, cell.cell)]
            assert row["field"] == cell.field.id and (row["item"] or "") == cell.item_id
            expected = value_of[value] if cell.field.type == "rating" else value
            assert row["value"] == expected, (key, value, row["value"])
    ratings = list(openpyxl.load_workbook(out, read_only=True)["Ratings"].iter_rows(values_only=True))
    head = ratings[3]
    for _, item in framework.items():
        values = [value_of[t[f"item/{item.id}/rating"]] for t in typed.values() if f"item/{item.id}/rating" in t]
        row = next(r for r in ratings[4:] if r[1] == item.id)
        assert row[head.index("Count")] == len(values)
        if values:
            assert abs(row[head.index("Mean")] - statistics.fmean(values)) < 1e-9
    assert all(r.status == "accepted" for r in report.returns)


# -- whatever people type into the respondents list and the templates ----------------------------
ANY_TEXT = st.one_of(
    st.text(max_size=30),  # any character, control characters, line breaks and quotes included
    st.sampled_from(["a@x.org; b@x.org", "Ann Smith <a@x.org>, b@x.org", "Priya\nShah", "Priya\r\nShah\t",
                     "ask Tom", "=HYPERLINK(\"http://x\")", "Carers' Centre", "Carers Centre", "Tŷ Hafan & <Co>",
                     "$signature", "${respondent}", "$$5", "", " ", "\x00", "\u2028", "a" * 300]))
COLUMNS = ("name", "organisation", "email", "contact", "group")
TEMPLATE_WORDS = st.one_of(st.text(max_size=30).map(lambda t: t.replace("$", "$$")), ANY_TEXT, st.sampled_from(["$respondent", "$deadline", "$return_to", "$answer", "$addressee",
                                                      "$section", "$sender", "$framework_title"]))


NAMES = st.one_of(ANY_TEXT, st.text(st.characters(whitelist_categories=("L", "N", "Zs", "P")), min_size=1, max_size=40))
ADDRESSES = st.one_of(ANY_TEXT, st.lists(st.emails(), max_size=3).map("; ".join),
                      st.lists(st.emails(), max_size=3).map("\n".join), st.just(""))
BY_COLUMN = {"name": NAMES, "organisation": NAMES, "email": ADDRESSES, "contact": NAMES, "group": NAMES}


@st.composite
def respondent_lists(draw) -> list[list[str]]:
    return [[draw(BY_COLUMN[c]) for c in COLUMNS] for _ in range(draw(st.integers(min_value=1, max_value=3)))]


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a build is slow to shrink
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=respondent_lists(), email=st.lists(TEMPLATE_WORDS, max_size=6),
       instructions=st.lists(TEMPLATE_WORDS, max_size=6), subject=st.booleans())
def test_any_respondents_list_or_template_builds_or_is_refused_with_its_row_or_line(
        tmp_path_factory, rows, email, instructions, subject):
    import csv
    from email import policy
    from email.parser import BytesParser

    from click.testing import CliRunner

    from sheetkit.cli import cli

    root = tmp_path_factory.mktemp("typed")
    people = root / "people.csv"
    with open(people, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(COLUMNS), *rows])
    templates = root / "templates"
    templates.mkdir()
    (templates / "email.txt").write_text(("Subject: " if subject else "") + " ".join(email) + "\n\n" +
                                         "\n".join(email), encoding="utf-8")
    (templates / "instructions.txt").write_text("\n".join(instructions), encoding="utf-8")
    out = root / "exercise" / "workbooks"
    result = CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(people), "--out", str(out),
                                      "--deadline", "2099-01-31", "--emails", "--templates", str(templates),
                                      "--return-to", rows[0][2] or "lead@x.org"])
    assert "Internal error" not in result.output and result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        said = " ".join(result.output.split())
        assert ", row " in said or ", line " in said, said  # names the row of the list or the line of the template
        assert not any(p.is_file() for p in (root / "exercise").rglob("*")), "nothing is written"
        return
    for draft in out.glob("*.eml"):  # every draft is a message a mail program reads without complaint
        message = BytesParser(policy=policy.default).parsebytes(draft.read_bytes())
        assert not list(message.defects) and not [d for p in message.walk() for d in p.defects], draft.name
        assert all(not getattr(message[h], "defects", ()) for h in message.keys()), draft.name
    (root / "exercise" / "returns").mkdir()
    chased = CliRunner().invoke(cli, ["chase", str(root / "exercise" / "returns"), "--out", str(root / "chase"),
                                      "--today", "2099-01-10"])
    assert chased.exit_code == 0, chased.output
