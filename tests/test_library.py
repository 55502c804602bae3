"""The library face an analyst uses: `import sheetkit`, and every answer as a typed table.

Workbooks are filled by reading their labels (tests/fill_by_label.py), compiled with ingest,
and read back with `sheetkit.read_responses` from the workbook and from the CSV; every value
typed is compared with where it was typed, and the README's Python examples are run as written.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

import sheetkit
from conftest import build, framework_folder
from fill_by_label import fill_by_label, text_of

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Ids a spreadsheet or pandas would take for numbers: 7.10 would become 7.1, 07 would become 7.
NUMBERLIKE_YAML = textwrap.dedent("""\
    format: 1
    id: numberlike
    title: Ids that look like numbers
    version: "1"
    source: {publisher: Anytown Council, year: 2026, title: Numberlike}
    scales:
      - id: r
        title: Rating
        origin: sheetkit
        note: Made up for a test.
        levels:
          - {value: 1, label: Weak, description: Little in place.}
          - {value: 2, label: Fair, description: Some in place.}
          - {value: 3, label: Good, description: Mostly in place.}
    responses:
      item:
        - {id: rating, label: Rating, type: rating, scale: r}
        - {id: owner, label: Who, type: person}
        - {id: due, label: By when, type: date}
      statement:
        - {id: evidence, label: Evidence, type: text}
    sections:
      - id: "07"
        title: Seven
        items:
          - id: "7.1"
            title: Item seven point one
            statements:
              - {id: "7.1.1", text: We know our population.}
          - id: "7.10"
            title: Item seven point ten
            statements:
              - {id: "7.10.1", text: We share data.}
      - id: "8"
        title: Eight
        items:
          - id: "8.0"
            title: Item eight point nought
            statements:
              - {id: "1e3", text: We plan jointly.}
    """)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Three returns of the numberlike framework, filled by label, compiled to a workbook and a CSV."""
    root = tmp_path_factory.mktemp("numberlike")
    with framework_folder(root / "frameworks", "numberlike", NUMBERLIKE_YAML):
        built = build("numberlike", root / "built")
        returns = root / "returns"
        returns.mkdir()
        filled = {path.name: fill_by_label(path, returns / path.name, seed=n) for n, path in enumerate(built)}
        out, csv_path = root / "consolidated.xlsx", root / "responses.csv"
        report = sheetkit.ingest_returns([str(returns)], sheetkit.IngestOptions(
            manifest=str(root / "built" / "manifest.csv"), out=out, csv=csv_path, use_cache=False))
    assert report.exit_code in (0, 1), report.render()
    return filled, out, csv_path


@pytest.mark.parametrize("source", ["workbook", "csv"])
def test_every_typed_value_comes_back_where_it_was_typed_with_ids_as_written(compiled, source):
    import pandas as pd  # here, not at the top: a test process holds it only once it is used
    filled, out, csv_path = compiled
    frame = sheetkit.read_responses(out if source == "workbook" else csv_path)
    by_cell = {(r.file, r.sheet, r.cell): r for r in frame.itertuples() if r.status != "unplaced"}
    ids = {"07", "8", "7.1", "7.10", "8.0", "7.1.1", "7.10.1", "1e3"}
    assert ids <= set(frame["section"].dropna()) | set(frame["item"].dropna()) | set(frame["statement"].dropna())
    checked = 0
    for name, typed in filled.items():
        for (sheet, cell), value in typed.cells.items():
            row = by_cell.get((name, sheet, cell))
            assert row is not None, f"{name} {sheet}!{cell} ({value!r}) is not in Responses"
            if isinstance(value, (dt.date, dt.datetime)):
                day = value.date() if isinstance(value, dt.datetime) else value
                assert row.type == "date" and row.date.date() == day and row.value == day.isoformat()
            elif row.type == "rating":
                assert row.rating == int(text_of(value).split(" ", 1)[0]) and row.status == "ok"
            elif row.field == "criterion":  # the dropdown shows "7.10 Item seven point ten"; ingest keeps the id
                assert text_of(value).startswith(row.value + " ") and row.value in ids
            else:
                assert row.value == text_of(value) and pd.isna(row.rating) and pd.isna(row.date)
            if row.item is not pd.NA and not pd.isna(row.item):
                assert row.key.split("/")[1] in ids  # the key names the same id the item column shows
            checked += 1
    assert checked >= 30


def test_the_workbook_and_the_csv_read_the_same(compiled):
    import pandas as pd
    _, out, csv_path = compiled
    from_workbook, from_csv = sheetkit.read_responses(out), sheetkit.read_responses(csv_path)
    pd.testing.assert_frame_equal(from_workbook, from_csv)
    assert from_workbook.attrs["framework_id"] == "numberlike" and from_csv.attrs == {}


def test_dtypes_are_what_an_analyst_needs(compiled):
    import pandas as pd
    _, out, _ = compiled
    frame = sheetkit.read_responses(out)
    assert list(frame.columns) == ["round", "respondent", "section", "item", "statement", "field", "type", "value",
                                   "status", "file", "sheet", "cell", "key", "rating", "date"]
    for column in ("round", "respondent", "type", "status"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    for column in ("section", "item", "statement", "field", "value", "key", "sheet", "cell"):
        assert pd.api.types.is_string_dtype(frame[column]) and not pd.api.types.is_object_dtype(frame[column]), column
    assert str(frame["rating"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    ratings = frame[frame["type"] == "rating"]
    table = ratings.pivot_table(index="respondent", columns="section", values="rating", observed=True, sort=False)
    assert list(table.columns) == ["07", "8"]


def test_a_plain_read_csv_loses_what_read_responses_keeps_and_the_sheet_keeps_it_too(compiled):
    """Why read_responses exists: pandas alone takes the CSV's ids for numbers. The sheet holds them as text
    cells, so a plain read of the workbook keeps them as written."""
    import pandas as pd
    _, out, csv_path = compiled
    plain = pd.read_csv(csv_path)
    assert "7.10" not in set(plain["item"].astype(str)) and 7.1 in set(plain["item"])
    assert "7.10" in set(sheetkit.read_responses(csv_path)["item"].dropna())
    sheet = openpyxl.load_workbook(out, read_only=True)["Responses"]
    rows = sheet.iter_rows(min_row=4, values_only=False)
    header = [c.value for c in next(rows)]
    ids = [row[header.index(name)] for row in rows for name in ("section", "item", "statement")]
    kept = {c.value for c in ids if c.value is not None and c.data_type == "s"}  # text cells, as Excel shows them
    assert {"7.10", "07", "8.0", "1e3"} <= kept and all(c.data_type == "s" for c in ids if c.value is not None)
    excel = pd.read_excel(out, sheet_name="Responses", header=3, engine="calamine")
    assert 7.1 in set(excel["item"])  # pandas' own parser turns even text cells into numbers: read_responses does not


def test_plain_rows_carry_the_same_values_as_the_frame(compiled):
    import pandas as pd
    _, out, _ = compiled
    rows = sheetkit.read_responses(out, as_frame=False)
    frame = sheetkit.read_responses(out)
    assert isinstance(rows, list) and len(rows) == len(frame)
    assert list(rows[0]) == list(frame.columns)
    for row, (_, series) in zip(rows, frame.iterrows()):
        for column, value in row.items():
            shown = series[column]
            if value is None:
                assert pd.isna(shown), (column, shown)
            elif column == "date":
                assert shown.date() == value
            else:
                assert shown == value and type(value) in (str, int), (column, value)


def test_a_flagged_rating_or_date_keeps_its_text_and_has_no_typed_value(tmp_path):
    header = ["round", "respondent", "section", "item", "statement", "field", "type", "value", "status", "file",
              "sheet", "cell", "key"]
    rows = [["2026 Q4", "Housing", "1", "1", "", "rating", "rating", "4.5", "flagged", "h.xlsx", "S", "D6",
             "item/1/rating"],
            ["2026 Q4", "Housing", "1", "1", "", "due", "date", "n/a", "flagged", "h.xlsx", "S", "D7", "item/1/due"],
            ["2026 Q4", "Housing", "1", "1", "", "owner", "person", "'=SUM(A1)", "ok", "h.xlsx", "S", "D8",
             "item/1/owner"],
            ["2026 Q4", "Housing", "1", "1", "", "rating", "rating", "7", "ok", "h.xlsx", "S", "D9", "item/2/rating"]]
    path = tmp_path / "responses.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([header, *rows])
    frame = sheetkit.read_responses(path)
    assert frame["value"].tolist() == ["4.5", "n/a", "=SUM(A1)", "7"]  # the apostrophe the CSV adds comes off
    assert frame["rating"].isna().tolist() == [True, True, True, False] and frame["rating"].iloc[3] == 7
    assert frame["date"].isna().all()
    plain = sheetkit.read_responses(path, as_frame=False)
    assert [(r["rating"], r["date"]) for r in plain] == [(None, None)] * 3 + [(7, None)]


def test_without_pandas_the_rows_are_plain_and_a_frame_is_refused_with_what_to_install(compiled):
    _, out, _ = compiled
    script = textwrap.dedent(f"""\
        import sys
        sys.modules["pandas"] = None  # as if pandas were not installed
        import sheetkit
        rows = sheetkit.read_responses({str(out)!r})
        print(type(rows).__name__, len(rows), sorted({{type(r["rating"]).__name__ for r in rows}}))
        try:
            sheetkit.read_responses({str(out)!r}, as_frame=True)
        except sheetkit.SheetkitError as exc:
            print(exc)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("list ") and first.endswith("['NoneType', 'int']")
    assert 'pip install "sheetkit[analysis]"' in second and "as_frame=False" in second


def test_what_is_not_a_responses_table_is_refused_with_what_to_give(tmp_path, compiled):
    _, out, _ = compiled
    cases = {
        "missing.csv": None,
        "people.csv": "name,email\nHousing,h@example.org\n",
        "built.xlsx": None,
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "samples" / "lga-cbo" / "feedback" / "feedback_Housing.xlsx", tmp_path / "built.xlsx")
    for name in cases:
        with pytest.raises(sheetkit.UsageError) as caught:
            sheetkit.read_responses(tmp_path / name)
        message = str(caught.value)
        assert name in message and ("consolidated workbook" in message or "responses CSV" in message), message


def test_an_old_csv_without_the_type_column_is_refused_and_an_old_workbook_is_typed_from_its_framework(
        tmp_path, compiled, monkeypatch):
    old = tmp_path / "old.csv"
    with open(old, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([["round", "respondent", "section", "item", "statement", "field", "value",
                                       "status", "file", "sheet", "cell", "key"],
                                      ["2026 Q4", "Housing", "1", "1", "", "rating", "7", "ok", "h.xlsx", "S", "D6",
                                       "item/1/rating"]])
    with pytest.raises(sheetkit.UsageError, match="does not say each answer's type"):
        sheetkit.read_responses(old)
    sample = compiled[1]
    monkeypatch.setenv("SHEETKIT_FRAMEWORKS", str(sample.parent / "frameworks"))  # where its framework is
    book = openpyxl.load_workbook(sample)
    sheet = book["Responses"]
    (column,) = [c.column for c in sheet[4] if c.value == "type"]  # the table's header is on row 4
    sheet.delete_cols(column)  # as sheetkit 0.1.0 wrote it
    book.save(tmp_path / "old.xlsx")
    old_frame, frame = sheetkit.read_responses(tmp_path / "old.xlsx"), sheetkit.read_responses(sample)
    assert old_frame["type"].tolist() == frame["type"].tolist()
    assert old_frame["rating"].equals(frame["rating"]) and frame["rating"].notna().sum() >= 6


def _python_blocks() -> list[str]:
    """The Python examples of the README's 'Using sheetkit from Python' section, as written there."""
    section = README.split("\n## Using sheetkit from Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_pivot_example_prints_what_the_readme_shows_and_the_numbers_are_the_returns(tmp_path,
                                                                                              monkeypatch):
    (example,) = [b for b in _python_blocks() if "read_responses(" in b and "pivot_table" in b]
    assert len([line for line in example.splitlines() if line.strip()]) <= 5
    shown = README.split(example, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "README.md", "exec"), namespace)
    assert printed.getvalue() == shown
    # The same means, from the returns the consolidated workbook was compiled from.
    report = sheetkit.validate_returns(["samples/lga-cbo/returns"],
                                       sheetkit.IngestOptions(manifest="samples/lga-cbo/manifest.csv"))
    typed: dict[tuple[str, str], list[int]] = {}
    for ret in report.returns:
        if ret.status == "accepted":
            for a in ret.answers:
                if a.field.type == "rating" and a.usable and a.key.startswith("item/"):
                    typed.setdefault((ret.respondent, a.section_id), []).append(a.value)
    table = namespace["by_section"]
    assert table.notna().sum().sum() == len(typed)
    for (who, section), values in typed.items():
        assert table.loc[who, section] == pytest.approx(sum(values) / len(values))


def test_every_python_example_in_the_readme_runs(tmp_path, monkeypatch):
    blocks = _python_blocks()
    assert len(blocks) >= 2
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, "README.md", "exec"), {})


def test_every_name_of_the_face_resolves_is_listed_and_says_what_it_does():
    assert "read_responses" in sheetkit.__all__ and "read_responses" in dir(sheetkit)
    for name in sheetkit.__all__:
        value = getattr(sheetkit, name)
        if callable(value) and name != "__version__":
            assert (value.__doc__ or "").strip(), f"sheetkit.{name} has no docstring"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        sheetkit.not_a_name  # noqa: B018
