"""The re-ingest cache: a late return costs one read, and the workbook is the one a cold run writes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import sheetkit.returns.check as ingest
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


@pytest.fixture
def parsed(monkeypatch):
    """The files sent to the readers, run by run."""
    runs = []
    real = ingest.run_isolated

    def counting(func, tasks, limits):
        tasks = list(tasks)
        runs.append(sorted(Path(task).name for task in tasks))
        return real(func, tasks, limits)

    monkeypatch.setattr(ingest, "run_isolated", counting)
    return runs


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


def test_a_late_return_is_the_only_file_read_again_and_the_workbook_is_a_cold_runs(tmp_path, parsed, own_cache):
    folder, late = _some_returns(tmp_path, "lga-cbo_public-health_2026-q4.xlsx")
    warm, cold = tmp_path / "warm" / "c.xlsx", tmp_path / "cold" / "c.xlsx"
    first = _ingest(folder, warm)
    assert len(parsed[-1]) == len(list(folder.iterdir())) and len(list(own_cache.glob("*.entry"))) == len(parsed[-1])
    assert sorted(p.name for p in warm.parent.iterdir()) == ["c.csv", "c.xlsx"]  # nothing in the managers' folder
    assert not [f for f in first.findings if f.code.startswith("cache-")]
    shutil.copy(late, folder / late.name)
    again = _ingest(folder, warm)
    assert parsed[-1] == [late.name]  # only the new return was read
    assert not [f for f in again.findings if f.code.startswith("cache-")]
    _ingest(folder, cold, use_cache=False)
    assert len(parsed[-1]) == len(list(folder.iterdir()))
    assert _tables(warm) == _tables(cold)
    assert warm.with_suffix(".csv").read_bytes() == cold.with_suffix(".csv").read_bytes()
    assert again.to_dict()["returns"] == ingest_returns([str(folder)], IngestOptions(
        manifest=str(SAMPLES / "manifest.csv"), out=tmp_path / "third.xlsx", now=NOW, use_cache=False)
    ).to_dict()["returns"]
    assert len(first.returns) + 1 == len(again.returns)


def test_a_damaged_cache_entry_is_ignored_with_a_finding_and_the_return_read_again(tmp_path, parsed, own_cache):
    out = tmp_path / "c.xlsx"
    _ingest(SAMPLES / "returns", out)
    entries = sorted(own_cache.glob("*.entry"))
    assert len(entries) == len(parsed[-1])
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # cut short, as by a full disk
    data = entries[1].read_bytes()  # a value in its Responses rows changed by someone who cannot sign
    assert b"Adult Social Care" in data or b"Housing" in data or b"Public Health" in data
    entries[1].write_bytes(data.replace(b"Adult Social Care", b"Adult Social Cure").replace(b"Housing", b"Hous1ng")
                           .replace(b"Public Health", b"Public Wealth"))
    report = _ingest(SAMPLES / "returns", out)
    assert len(parsed[-1]) == 2
    ignored = [f for f in report.findings if f.code == "cache-ignored"]
    assert len(ignored) == 2 and all(f.severity == "warning" for f in ignored)
    assert all("damaged" in f.message and "read again" in f.message for f in ignored)
    assert any("changed since sheetkit wrote it" in f.message for f in ignored)
    cold = tmp_path / "cold.xlsx"
    _ingest(SAMPLES / "returns", cold, use_cache=False)
    warm, cold = _tables(out), _tables(cold)
    assert len(warm.pop("Issues")) == len(cold.pop("Issues")) + 2  # the two warnings, listed
    assert warm == cold


def test_a_new_version_of_sheetkit_or_the_framework_reads_everything_again(tmp_path, parsed, monkeypatch):
    out = tmp_path / "c.xlsx"
    _ingest(SAMPLES / "returns", out)
    every = len(parsed[-1])
    _ingest(SAMPLES / "returns", out)
    assert parsed[-1] == []
    monkeypatch.setattr("sheetkit.returns.cache.__version__", "99.0")
    _ingest(SAMPLES / "returns", out)
    assert len(parsed[-1]) == every
    monkeypatch.setattr("sheetkit.returns.cache.code_digest", lambda: "another build of sheetkit")
    _ingest(SAMPLES / "returns", out)
    assert len(parsed[-1]) == every


def test_a_cache_that_cannot_be_written_is_a_warning_and_the_workbook_is_still_written(tmp_path, parsed):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    report = _ingest(SAMPLES / "returns", tmp_path / "c.xlsx", cache=blocker)
    unwritable = [f for f in report.findings if f.code == "cache-unwritable"]
    assert len(unwritable) == 1 and unwritable[0].severity == "warning" and (tmp_path / "c.xlsx").exists()
    assert not [f for f in report.findings if f.code == "cache-ignored"]


def test_the_cache_may_be_named_and_may_not_sit_among_the_returns(tmp_path, parsed, own_cache):
    out, folder = tmp_path / "c.xlsx", tmp_path / "kept"
    _ingest(SAMPLES / "returns", out, cache=folder)
    assert folder.is_dir() and not out.with_name("c.xlsx.cache").exists() and not own_cache.exists()
    with pytest.raises(UsageError, match="--cache"):
        _ingest(SAMPLES / "returns", out, cache=SAMPLES / "returns" / "cache")


def test_entries_are_signed_with_a_key_kept_apart_from_the_cache(tmp_path, parsed, own_cache, monkeypatch):
    """The key is made once, outside the cache folder, readable by the user alone; an entry signed with
    any other key (copied from another machine, or forged) is ignored with a finding and its return read again."""
    out = tmp_path / "c.xlsx"
    _ingest(SAMPLES / "returns", out)
    key = Path(os.environ["SHEETKIT_DATA_DIR"]) / "cache-key"
    assert key.exists() and len(key.read_bytes()) == 32 and not key.resolve().is_relative_to(own_cache.resolve())
    if os.name == "posix":
        assert key.stat().st_mode & 0o777 == 0o600
    every = len(parsed[-1])
    monkeypatch.setenv("SHEETKIT_DATA_DIR", str(tmp_path / "another machine"))
    report = _ingest(SAMPLES / "returns", out)
    assert len(parsed[-1]) == every
    ignored = [f for f in report.findings if f.code == "cache-ignored"]
    assert len(ignored) == every and all("signature" in f.message for f in ignored)


def test_a_key_inside_the_cache_folder_is_refused_and_nothing_is_cached(tmp_path, parsed, own_cache, monkeypatch):
    monkeypatch.setenv("SHEETKIT_DATA_DIR", str(own_cache / "data"))
    report = _ingest(SAMPLES / "returns", tmp_path / "c.xlsx")
    unwritable = [f for f in report.findings if f.code == "cache-unwritable"]
    assert len(unwritable) == 1 and "inside the cache folder" in unwritable[0].message
    assert not list(own_cache.glob("*.entry")) and (tmp_path / "c.xlsx").exists()
