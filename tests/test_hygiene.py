"""Tests that can fail: no expected failure that passes unnoticed, no check that any error satisfies."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, ast.unparse(node.func)


def test_no_test_expects_any_exception_or_fails_loosely():
    problems = []
    for path in sorted(TESTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, name in _calls(tree):
            where = f"{path.name}:{node.lineno}"
            if name.endswith("mark.xfail") and not {"raises", "strict"} <= {k.arg for k in node.keywords}:
                problems.append(f"{where}: xfail needs strict=True and raises=<the exception expected>")
            if name == "pytest.raises" and node.args and ast.unparse(node.args[0]) in ("Exception", "BaseException"):
                problems.append(f"{where}: pytest.raises names the exception expected, not {ast.unparse(node.args[0])}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) and node.test.value:
                problems.append(f"{path.name}:{node.lineno}: an assertion that cannot fail")
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Tuple):
                problems.append(f"{path.name}:{node.lineno}: asserting a tuple is always true")
    assert not problems, "\n".join(problems)
