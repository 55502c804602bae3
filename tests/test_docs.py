"""Docs that cannot drift: every command and option is documented, and README examples run."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sheetkit.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "sheetkit"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


@pytest.mark.parametrize("path, command", list(_commands(cli)), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_and_option_has_help_and_is_in_the_readme(path, command):
    assert command.help, f"{path} has no help text"
    assert f"`{path}" in README, f"{path} is not in the README"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts[0]} has no help text"
            assert any(opt in README for opt in param.opts), f"{path} {param.opts[0]} is not in the README"


def test_global_options_are_documented():
    for param in cli.params:
        if isinstance(param, click.Option):
            assert param.help and any(opt in README for opt in param.opts)


def _readme_examples():
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("sheetkit ")]


@pytest.mark.slow  # every README command run end to end on the samples
@pytest.mark.parametrize("line", _readme_examples())
def test_readme_examples_run(line, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    shutil.copytree(ROOT / "frameworks", tmp_path / "frameworks")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, shlex.split(line)[1:])
    allowed = (0, 1) if line.split()[1] in ("validate", "ingest") else (0,)
    assert result.exit_code in allowed, result.output


def test_the_two_setup_commands_come_first_and_ci_runs_the_test_command():
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.S)
    install_and_run, test_command = blocks[0].strip(), blocks[1].strip()
    assert "pip install ." in install_and_run and "sheetkit build" in install_and_run and "sheetkit ingest" in install_and_run
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _module_table() -> list[str]:
    """The first column of the README's 'Developing sheetkit' table, one module per row."""
    section = README.split("\n## Developing sheetkit\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = [re.fullmatch(r"\| `([^`]+)` \|.*\|", row) for row in rows]
    assert all(named), f"each row of the module table names one module: {[r for r, m in zip(rows, named) if not m]}"
    return [m[1] for m in named]


def _job(path: Path) -> str:
    """A module's one job, from the first sentence of its docstring: what a new row should say."""
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "(say what it does)"
    return " ".join(doc.split("\n\n")[0].split())


def test_the_module_table_lists_every_module_and_no_other():
    package = ROOT / "sheetkit"
    modules = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py")
                     if "__pycache__" not in p.parts)
    listed = _module_table()
    missing = [f"| `{m}` | {_job(package / m)} |" for m in modules if m not in listed]
    extra = [m for m in listed if m not in modules]
    twice = sorted({m for m in listed if listed.count(m) > 1})
    problems = ([f"add this row to the README's 'Developing sheetkit' table: {row}" for row in missing]
                + [f"remove the row for `{m}` from the README's 'Developing sheetkit' table: there is no "
                   f"sheetkit/{m}" for m in extra]
                + [f"the README's 'Developing sheetkit' table lists `{m}` more than once" for m in twice])
    assert not problems, "\n".join(problems)


def test_every_test_the_readme_names_exists():
    named = re.findall(r"`tests/(\w+\.py)::(\w+)`", README)
    assert named, "the README names its reproduction tests as tests/FILE.py::NAME"
    missing = [f"tests/{file}::{name}" for file, name in named
               if not re.search(rf"^def {name}\(", (ROOT / "tests" / file).read_text(encoding="utf-8"), re.M)]
    assert not missing, f"the README names tests that do not exist: {missing}"
