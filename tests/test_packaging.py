"""Ready to publish: the wheel carries the frameworks, templates and licence, says what it is, and installs into a
fresh environment where the README's first commands work (without pandas, read_responses gives plain rows)."""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("sheetkit-*.whl")
    return built


def test_the_wheel_holds_the_package_its_data_and_licence_and_nothing_of_the_checkout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    bundled = {p.name for p in (ROOT / "frameworks").glob("*.yaml")}
    assert bundled and {n.rsplit("/", 1)[-1] for n in names if n.startswith("sheetkit/_data/frameworks/")} == bundled
    templates = {p.name for p in (ROOT / "templates").iterdir()}
    assert {n.rsplit("/", 1)[-1] for n in names if n.startswith("sheetkit/_data/templates/")} == templates
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sheetkit").rglob("*.py")}
    assert modules <= set(names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "samples/", "benchmarks/", "docs/"))]


def test_the_wheel_says_what_it_is(wheel):
    with zipfile.ZipFile(wheel) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(archive.read(meta_name).decode("utf-8"))
    assert meta["License-Expression"] == "MIT" and "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "the sheetkit authors" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert {u.split(",")[0] for u in meta.get_all("Project-URL")} >= {"Homepage", "Documentation", "Changelog"}
    assert "Programming Language :: Python :: 3.11" in meta.get_all("Classifier")
    assert meta["Version"] == PROJECT["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and f"## [{PROJECT['version']}]" in changelog


def test_the_wheel_installs_into_a_fresh_environment_and_the_readme_commands_run(wheel, tmp_path):
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    work = tmp_path / "work"
    shutil.copytree(ROOT / "samples", work / "samples")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SHEETKIT_FRAMEWORKS")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "sheetkit"), *args], capture_output=True, text=True, timeout=600,
                              cwd=work, env=clean)

    listed = run("frameworks")
    assert listed.returncode == 0 and "lga-cbo" in listed.stdout and "wales-commissioning" in listed.stdout
    built = run("build", "lga-cbo", "--respondents", "samples/respondents.csv", "--out", "demo/workbooks",
                "--round", "2026 Q4", "--force")
    assert built.returncode == 0, built.stderr
    compiled = run("ingest", "samples/lga-cbo/returns", "--manifest", "samples/lga-cbo/manifest.csv", "--out",
                   "demo/consolidated.xlsx", "--csv", "demo/responses.csv")
    assert compiled.returncode == 1, compiled.stderr  # the sample has a return with mistakes on purpose
    assert (work / "demo" / "consolidated.xlsx").stat().st_size > 10_000
    rows = subprocess.run([str(python), "-c", "import sheetkit; rows = sheetkit.read_responses('demo/responses.csv');"
                           " print(type(rows).__name__, len(rows))"], capture_output=True, text=True, timeout=120,
                          cwd=work, env=clean)
    kind, count = rows.stdout.split()
    assert kind == "list" and int(count) > 1000, rows.stderr  # pandas is an extra: plain rows without it
