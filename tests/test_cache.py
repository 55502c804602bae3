"""The re-ingest cache: a late return costs one read, and the workbook is the one a cold run writes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import os
import subprocess
import sys

import pytest
from python_calamine import CalamineWorkbook

from sheetkit.common.errors import UsageError
from sheetkit.commands.ingest import IngestOptions, ingest_returns

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "lga-cbo"
NOW = dt.datetime(2026, 12, 6, 9, 0)


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test's default cache folder, where the user's cache folder would be."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(folder))
    return folder


def _read(report, folder: Path) -> list[str]:
    """The files of `folder` that run read (the others' checked results came from the re-ingest cache)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in report.reused)


def _ingest(returns: Path, out: Path, **options):
    report = ingest_returns([str(returns)], IngestOptions(manifest=str(SAMPLES / "manifest.csv"), out=out,
                                                          csv=out.with_suffix(".csv"), now=NOW, **options))
    assert report.out == out, report.render()
    return report


def _tables(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _some_returns(tmp_path: Path, leave_out: str) -> tuple[Path, Path]:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES / "returns", folder)
    late = folder / leave_out
    held = tmp_path / leave_out
    late.rename(held)
    return folder, held


def test_a_late_return_is_the_only_file_read_again_and_the_workbook_is_a_cold_runs(tmp_path, own_cache):
    folder, late = _some_returns(tmp_path, "lga-cbo_public-health_2026-q4.xlsx")
    warm, cold = tmp_path / "warm" / "c.xlsx", tmp_path / "cold" / "c.xlsx"
    first = _ingest(folder, warm)
    assert first.reused == [] and len(list(own_cache.glob("*.entry"))) == len(list(folder.iterdir()))
    assert sorted(p.name for p in warm.parent.iterdir()) == ["c.csv", "c.xlsx"]  # nothing in the managers' folder
    assert not [f for f in first.findings if f.code.startswith("cache-")]
    shutil.copy(late, folder / late.name)
    again = _ingest(folder, warm)
    assert _read(again, folder) == [late.name]  # only the new return was read
    assert again.to_dict()["from_cache"] == again.reused and "Not read again (6 of 7)" in again.render()
    assert not [f for f in again.findings if f.code.startswith("cache-")]
    cold_report = _ingest(folder, cold, use_cache=False)
    assert cold_report.reused == []
    assert _tables(warm) == _tables(cold)
    assert warm.with_suffix(".csv").read_bytes() == cold.with_suffix(".csv").read_bytes()
    assert again.to_dict()["returns"] == cold_report.to_dict()["returns"]  # the same report, cached or read
    assert len(first.returns) + 1 == len(again.returns)


def test_a_damaged_cache_entry_is_ignored_with_a_finding_and_the_return_read_again(tmp_path, own_cache):
    out = tmp_path / "c.xlsx"
    _ingest(SAMPLES / "returns", out)
    entries = sorted(own_cache.glob("*.entry"))
    assert len(entries) == len(list((SAMPLES / "returns").iterdir()))
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # cut short, as by a full disk
    data = entries[1].read_bytes()  # a value in its Responses rows changed by someone who cannot sign
    assert b"Adult Social Care" in data or b"Housing" in data or b"Public Health" in data
    entries[1].write_bytes(data.replace(b"Adult Social Care", b"Adult Social Cure").replace(b"Housing", b"Hous1ng")
                           .replace(b"Public Health", b"Public Wealth"))
    report = _ingest(SAMPLES / "returns", out)
    assert len(_read(report, SAMPLES / "returns")) == 2
    ignored = [f for f in report.findings if f.code == "cache-ignored"]
    assert len(ignored) == 2 and all(f.severity == "warning" for f in ignored)
    assert all("damaged" in f.message and "read again" in f.message for f in ignored)
    assert any("changed since sheetkit wrote it" in f.message for f in ignored)
    cold = tmp_path / "cold.xlsx"
    _ingest(SAMPLES / "returns", cold, use_cache=False)
    warm, cold = _tables(out), _tables(cold)
    assert len(warm.pop("Issues")) == len(cold.pop("Issues")) + 2  # the two warnings, listed
    assert warm == cold


@pytest.mark.slow
def test_another_build_of_sheetkit_reads_everything_again(tmp_path, own_cache):
    """A copy of sheetkit with one module changed, run as a user would run it, shares the cache folder."""
    out = tmp_path / "c.xlsx"
    every = sorted(p.name for p in (SAMPLES / "returns").iterdir())
    assert _read(_ingest(SAMPLES / "returns", out), SAMPLES / "returns") == every
    assert _read(_ingest(SAMPLES / "returns", out), SAMPLES / "returns") == []
    other = tmp_path / "other-build"
    checkout = Path(__file__).resolve().parents[1]
    for part in ("sheetkit", "frameworks", "templates"):  # a source tree, as the checkout is laid out
        shutil.copytree(checkout / part, other / part, ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "sheetkit" / "returns" / "validate.py", "a", encoding="utf-8") as module:
        module.write("\n# a later build\n")
    done = subprocess.run([sys.executable, "-m", "sheetkit", "ingest", str(SAMPLES / "returns"), "--manifest",
                           str(SAMPLES / "manifest.csv"), "--out", str(tmp_path / "other.xlsx"), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,  # not the checkout's sheetkit
                          env={**os.environ, "PYTHONPATH": str(other), "SHEETKIT_CACHE_DIR": str(own_cache)})
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["from_cache"] == []  # that build reads every file again
    assert _read(_ingest(SAMPLES / "returns", out), SAMPLES / "returns") == []  # and this one still has its own


def test_a_cache_that_cannot_be_written_is_a_warning_and_the_workbook_is_still_written(tmp_path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    report = _ingest(SAMPLES / "returns", tmp_path / "c.xlsx", cache=blocker)
    unwritable = [f for f in report.findings if f.code == "cache-unwritable"]
    assert len(unwritable) == 1 and unwritable[0].severity == "warning" and (tmp_path / "c.xlsx").exists()
    assert not [f for f in report.findings if f.code == "cache-ignored"]


def test_the_cache_may_be_named_and_may_not_sit_among_the_returns(tmp_path, own_cache):
    out, folder = tmp_path / "c.xlsx", tmp_path / "kept"
    _ingest(SAMPLES / "returns", out, cache=folder)
    assert folder.is_dir() and not out.with_name("c.xlsx.cache").exists() and not own_cache.exists()
    with pytest.raises(UsageError, match="--cache"):
        _ingest(SAMPLES / "returns", out, cache=SAMPLES / "returns" / "cache")


def test_entries_are_signed_with_a_key_kept_apart_from_the_cache(tmp_path, own_cache, monkeypatch):
    """The key is made once, outside the cache folder, readable by the user alone; an entry signed with
    any other key (copied from another machine, or forged) is ignored with a finding and its return read again."""
    out = tmp_path / "c.xlsx"
    every = sorted(p.name for p in (SAMPLES / "returns").iterdir())
    assert _read(_ingest(SAMPLES / "returns", out), SAMPLES / "returns") == every
    key = Path(os.environ["SHEETKIT_DATA_DIR"]) / "cache-key"
    assert key.exists() and len(key.read_bytes()) == 32 and not key.resolve().is_relative_to(own_cache.resolve())
    if os.name == "posix":
        assert key.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SHEETKIT_DATA_DIR", str(tmp_path / "another machine"))
    report = _ingest(SAMPLES / "returns", out)
    assert _read(report, SAMPLES / "returns") == every
    ignored = [f for f in report.findings if f.code == "cache-ignored"]
    assert len(ignored) == len(every) + 1 and all("signature" in f.message for f in ignored)  # and the comparisons
    assert sum("Action plan's texts" in f.message for f in ignored) == 1


def test_a_key_inside_the_cache_folder_is_refused_and_nothing_is_cached(tmp_path, own_cache, monkeypatch):
    monkeypatch.setenv("SHEETKIT_DATA_DIR", str(own_cache / "data"))
    report = _ingest(SAMPLES / "returns", tmp_path / "c.xlsx")
    unwritable = [f for f in report.findings if f.code == "cache-unwritable"]
    assert len(unwritable) == 1 and "inside the cache folder" in unwritable[0].message
    assert not list(own_cache.glob("*.entry")) and (tmp_path / "c.xlsx").exists()
