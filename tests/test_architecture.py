"""Imports run one way: enrolment ← attendance, grading ← certification (STYLE.md).

Read with ``ast``, not regexes: ``import x``, ``from x import y``, ``from x.y import z`` and
imports nested in functions all count; strings and comments do not.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("enrolment", "attendance", "grading", "certification")
FORBIDDEN = {
    "enrolment": {"attendance", "grading", "certification"},
    "attendance": {"grading", "certification"},
    "grading": {"attendance", "certification"},
    "certification": set(),
}


def imported_apps(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.partition(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
    return found


def violations(app: str) -> list[str]:
    out = []
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, package in imported_apps(tree):
            if package in FORBIDDEN[app]:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    return out


def test_the_checker_sees_every_form_of_import():
    source = (
        "import grading\nimport attendance.rules as r\nfrom certification.selectors import x\n"
        "def f():\n    from grading import rules\nfrom . import local\ns = 'import grading'\n"
    )
    assert imported_apps(ast.parse(source)) == [
        (1, "grading"),
        (2, "attendance"),
        (3, "certification"),
        (5, "grading"),
    ]


@pytest.mark.parametrize("app", APPS)
def test_imports_run_one_way(app):
    found = violations(app)
    assert not found, f"{app} imports against the direction:\n" + "\n".join(found)
