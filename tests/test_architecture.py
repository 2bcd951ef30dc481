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


# What the apps may still take from the project package: request plumbing wired in settings.
def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import; ``from a import b`` gives ``a.b``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def imports_of(folder: str, package: str) -> list[tuple[str, str]]:
    """(place, dotted name) of every import of ``package`` under ``folder``, migrations included."""
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_modules(tree):
            if name.partition(".")[0] == package:
                out.append((f"{path.relative_to(ROOT)}:{line}", name))
    return out


def test_lib_imports_neither_the_apps_nor_the_project_package():
    found = [
        f"{place} imports {name}"
        for package in (*APPS, "cnam_cs")
        for place, name in imports_of("lib", package)
    ]
    assert not found, "lib/ must stay domain-free:\n" + "\n".join(found)


def test_apps_do_not_import_the_project_package():
    found = [
        f"{place} imports {name}" for app in APPS for place, name in imports_of(app, "cnam_cs")
    ]
    assert not found, "apps import the project package (move it to lib/):\n" + "\n".join(found)


def test_the_import_reader_sees_dotted_names():
    source = "from cnam_cs import settings\nimport lib.pdf\nfrom lib.body_limits import x\n"
    assert [name for _, name in imported_modules(ast.parse(source))] == [
        "cnam_cs.settings",
        "lib.pdf",
        "lib.body_limits.x",
    ]


def is_views_import(name: str) -> bool:
    """``a.views``, ``a.views.m`` or ``a.views.m.f``: an app's views package or what is in it."""
    return name.split(".")[1:2] == ["views"]


def foreign_views_imports(app: str) -> list[str]:
    """Imports, under ``app``, of another app's ``views`` package or of one of its modules."""
    return [
        f"{place} imports {name}"
        for other in APPS
        if other != app
        for place, name in imports_of(app, other)
        if is_views_import(name)
    ]


def test_the_views_check_sees_a_decorator_taken_from_another_apps_views():
    source = (
        "from enrolment.views.student import student_required\nfrom enrolment import views\n"
        "import grading.views.staff\nfrom enrolment.access import student_required\n"
    )
    names = [name for _, name in imported_modules(ast.parse(source))]
    assert [name for name in names if is_views_import(name)] == [
        "enrolment.views.student.student_required",
        "enrolment.views",
        "grading.views.staff",
    ]


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_another_apps_views(app):
    found = foreign_views_imports(app)
    assert not found, (
        f"{app} imports another app's views (shared access code belongs in "
        "enrolment/access.py):\n" + "\n".join(found)
    )


def test_services_never_import_the_task_modules():
    """Tasks call services; a service importing its task module back (even inside a function)
    is an import loop."""
    found = []
    for app in APPS:
        tree = ast.parse((ROOT / app / "services.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                absolute = node.module if node.level == 0 else f"{app}.{node.module or ''}"
                names = [f"{absolute}.{alias.name}" for alias in node.names]
                if any(n.startswith(f"{app}.tasks") for n in [absolute, *names]):
                    found.append(f"{app}/services.py:{node.lineno}")
    assert found == []
