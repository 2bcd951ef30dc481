"""The layout, checked on the imports (docs/architecture.md).

Read with ``ast``, not regexes: ``import x``, ``from x import y`` and imports nested in
functions all count, relative imports are resolved against the module that makes them
(``from ..models import User`` in ``enrolment/views/auth.py`` is ``enrolment.models.User``);
strings and comments do not count. Migrations, management commands and template tags count.

Each rule names the files it watches and the imported names it refuses there; a failure names
the file, the line and the import. Each rule is also fed a module it must refuse, so none of
them can pass by watching nothing.
"""

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

import pytest
from radon import complexity as radon_complexity
from radon.visitors import Function as RadonFunction

ROOT = Path(__file__).resolve().parent.parent
APPS = ("enrolment", "attendance", "grading", "certification")
PROJECT = "cnam_cs"  # settings, root URLs, navigation, the worker command: no app imports it
LIB = "lib"  # domain-free helpers: imports no app and not the project package
# The only helpers a rules.py may import besides the standard library and other rules.py:
# French number writing, pure Python (checked below to import only the standard library).
PURE_HELPERS = ("lib.numbers",)


@dataclass(frozen=True)
class Import:
    line: int
    name: str  # dotted and absolute; ``from a import b`` gives ``a.b``


def module_of(path: PurePosixPath) -> tuple[str, bool]:
    """(dotted module name, is a package ``__init__``) of a path relative to the repository."""
    parts = path.with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


@cache  # each rule reads every module: parsed once
def read_imports(source: str, path: PurePosixPath) -> tuple[Import, ...]:
    """Every import of ``source`` (the text of the file at ``path``), relative ones resolved."""
    module, is_package = module_of(path)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts) - 1:
                    raise ValueError(f"{path}:{node.lineno} relative import beyond the top")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found += [Import(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return tuple(sorted(found, key=lambda i: i.line))


def top(name: str) -> str:
    return name.partition(".")[0]


def app_of(path: PurePosixPath) -> str:
    return path.parts[0]


def is_rules_module(name: str) -> bool:
    """``grading.rules`` or something taken from it (``grading.rules.ue_result``)."""
    parts = name.split(".")
    return parts[0] in APPS and parts[1:2] == ["rules"]


def is_pure_helper(name: str) -> bool:
    return any(name == h or name.startswith(f"{h}.") for h in PURE_HELPERS)


def is_stdlib(name: str) -> bool:
    return top(name) in sys.stdlib_module_names


def is_views_import(name: str) -> bool:
    """``a.views``, ``a.views.m`` or ``a.views.m.f``: an app's views package or what is in it."""
    return name.split(".")[1:2] == ["views"]


@dataclass(frozen=True)
class Rule:
    key: str
    text: str  # the rule, as the failure states it
    watches: Callable[[PurePosixPath], bool]
    refuses: Callable[[PurePosixPath, str], bool]


RULES = (
    Rule(
        "no-project-package",
        "apps never import cnam_cs (domain-free helpers go to lib/)",
        lambda p: app_of(p) in APPS,
        lambda p, name: top(name) == PROJECT,
    ),
    Rule(
        "pure-rules",
        "a rules.py imports only the standard library, other rules.py and "
        + ", ".join(PURE_HELPERS),
        lambda p: p.name == "rules.py",
        lambda p, name: not (is_stdlib(name) or is_rules_module(name) or is_pure_helper(name)),
    ),
    Rule(
        "pure-helpers",
        "the helpers a rules.py may use import only the standard library",
        lambda p: module_of(p)[0] in PURE_HELPERS,
        lambda p, name: not is_stdlib(name),
    ),
    Rule(
        "no-foreign-views",
        "no app imports another app's views (shared access code is enrolment/access.py)",
        lambda p: app_of(p) in APPS,
        lambda p, name: top(name) in APPS and top(name) != app_of(p) and is_views_import(name),
    ),
    Rule(
        "enrolment-alone",
        "enrolment imports no other app",
        lambda p: app_of(p) == "enrolment",
        lambda p, name: top(name) in APPS and top(name) != "enrolment",
    ),
    Rule(
        "grading-attendance-apart",
        "grading and attendance never import each other",
        lambda p: app_of(p) in ("grading", "attendance"),
        lambda p, name: top(name) in ("grading", "attendance") and top(name) != app_of(p),
    ),
    Rule(
        "certification-on-top",
        "only certification imports certification (enrolment ← attendance, grading ← "
        "certification)",
        lambda p: app_of(p) in APPS,
        lambda p, name: top(name) == "certification" and app_of(p) != "certification",
    ),
    Rule(
        "lib-domain-free",
        "lib/ imports neither the apps nor cnam_cs",
        lambda p: app_of(p) == LIB,
        lambda p, name: top(name) in (*APPS, PROJECT),
    ),
    Rule(
        "services-without-tasks",
        "a services.py never imports its own tasks module (tasks call services: a loop)",
        lambda p: app_of(p) in APPS and p.name == "services.py",
        lambda p, name: name == f"{app_of(p)}.tasks" or name.startswith(f"{app_of(p)}.tasks."),
    ),
)
RULE = {rule.key: rule for rule in RULES}


def violations(rule: Rule, path: str, source: str) -> list[str]:
    """« file:line imports name » for each import of ``source`` that ``rule`` refuses."""
    where = PurePosixPath(path)
    if not rule.watches(where):
        return []
    return [
        f"{where}:{imp.line} imports {imp.name}"
        for imp in read_imports(source, where)
        if rule.refuses(where, imp.name)
    ]


@cache
def tree() -> tuple[tuple[str, str], ...]:
    """(relative path, text) of every module of the apps and lib/, migrations included."""
    return tuple(
        (path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))
        for folder in (*APPS, LIB)
        for path in sorted((ROOT / folder).rglob("*.py"))
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.key)
def test_the_code_keeps_the_layout(rule):
    watched = [path for path, _ in tree() if rule.watches(PurePosixPath(path))]
    assert watched, f"the rule « {rule.text} » watches no file"
    found = [line for path, source in tree() for line in violations(rule, path, source)]
    assert not found, f"{rule.text}:\n" + "\n".join(found)


def test_the_reader_sees_every_form_of_import():
    source = (
        "import grading\nimport attendance.rules as r\nfrom certification.selectors import x\n"
        "def f():\n    from grading import rules\nfrom . import local\n"
        "from ..models import User\nfrom .. import services\ns = 'import grading'\n"
        "# import attendance\n"
    )
    assert read_imports(source, PurePosixPath("enrolment/views/auth.py")) == (
        Import(1, "grading"),
        Import(2, "attendance.rules"),
        Import(3, "certification.selectors.x"),
        Import(5, "grading.rules"),
        Import(6, "enrolment.views.local"),
        Import(7, "enrolment.models.User"),
        Import(8, "enrolment.services"),
    )


def test_relative_imports_of_a_package_init_start_from_the_package():
    imports = read_imports(
        "from . import rooms\n", PurePosixPath("attendance/templatetags/__init__.py")
    )
    assert imports == (Import(1, "attendance.templatetags.rooms"),)


# A module each rule must refuse: (rule, file, source, the import the failure names).
REFUSED = [
    ("no-project-package", "grading/views/staff.py", "from cnam_cs import pdf\n", "cnam_cs.pdf"),
    (
        "no-project-package",
        "enrolment/migrations/0009_x.py",
        "import cnam_cs.storage\n",
        "cnam_cs.storage",
    ),
    ("pure-rules", "grading/rules.py", "from django.db import models\n", "django.db.models"),
    ("pure-rules", "grading/rules.py", "from .models import Grade\n", "grading.models.Grade"),
    (
        "pure-rules",
        "attendance/rules.py",
        "def f():\n    from . import selectors\n",
        "attendance.selectors",
    ),
    ("pure-rules", "certification/rules.py", "from lib.pdf import render\n", "lib.pdf.render"),
    ("pure-rules", "enrolment/rules.py", "import lib\n", "lib"),
    (
        "pure-helpers",
        "lib/numbers.py",
        "from django.conf import settings\n",
        "django.conf.settings",
    ),
    (
        "no-foreign-views",
        "certification/views/student.py",
        "from grading.views.staff import staff_required\n",
        "grading.views.staff.staff_required",
    ),
    ("no-foreign-views", "attendance/forms.py", "from enrolment import views\n", "enrolment.views"),
    (
        "enrolment-alone",
        "enrolment/selectors.py",
        "from grading.models import Grade\n",
        "grading.models.Grade",
    ),
    (
        "enrolment-alone",
        "enrolment/services.py",
        "def f():\n    import attendance.rules\n",
        "attendance.rules",
    ),
    ("enrolment-alone", "enrolment/admin.py", "import certification\n", "certification"),
    (
        "grading-attendance-apart",
        "grading/selectors.py",
        "from attendance import rules\n",
        "attendance.rules",
    ),
    (
        "grading-attendance-apart",
        "attendance/documents.py",
        "import grading.models\n",
        "grading.models",
    ),
    (
        "certification-on-top",
        "grading/services.py",
        "from certification.models import X\n",
        "certification.models.X",
    ),
    (
        "lib-domain-free",
        "lib/pdf.py",
        "from enrolment.models import User\n",
        "enrolment.models.User",
    ),
    ("lib-domain-free", "lib/storage.py", "from cnam_cs import settings\n", "cnam_cs.settings"),
    (
        "services-without-tasks",
        "certification/services.py",
        "def f():\n    from .tasks import queue\n",
        "certification.tasks.queue",
    ),
]


@pytest.mark.parametrize(("key", "path", "source", "name"), REFUSED)
def test_each_rule_refuses_a_module_that_breaks_it(key, path, source, name):
    line = source.count("\n", 0, source.index("import")) + 1
    assert violations(RULE[key], path, source) == [f"{path}:{line} imports {name}"]


def test_every_rule_is_tried_on_a_module_it_refuses():
    assert {key for key, *_ in REFUSED} == set(RULE)


# What the rules let through, so a refusal above is the rule and not a checker refusing all.
ALLOWED = [
    ("no-project-package", "grading/views/staff.py", "from lib.pdf import render\n"),
    ("no-project-package", "cnam_cs/urls.py", "from cnam_cs import views\n"),
    (
        "pure-rules",
        "certification/rules.py",
        "from decimal import Decimal\nfrom grading.rules import ue_result\n"
        "from attendance import rules\nfrom . import rules as own\nfrom lib import numbers\n"
        "from lib.numbers import money\nimport __future__\n",
    ),
    ("pure-rules", "grading/services.py", "from .models import Grade\n"),
    ("pure-helpers", "lib/numbers.py", "from fractions import Fraction\n"),
    (
        "no-foreign-views",
        "certification/views/student.py",
        "from enrolment.access import student_required\nfrom ..views import documents\n",
    ),
    ("enrolment-alone", "enrolment/selectors.py", "from lib import numbers\nfrom . import rules\n"),
    (
        "grading-attendance-apart",
        "certification/selectors.py",
        "from attendance import rules\nfrom grading import rules as g\n",
    ),
    ("certification-on-top", "certification/board.py", "from grading.models import Grade\n"),
    ("lib-domain-free", "lib/pdf.py", "from django.conf import settings\nfrom . import storage\n"),
    ("services-without-tasks", "certification/tasks.py", "from .services import issue\n"),
]


@pytest.mark.parametrize(("key", "path", "source"), ALLOWED)
def test_each_rule_lets_allowed_imports_through(key, path, source):
    assert violations(RULE[key], path, source) == []


# --- Writes go through the owning app (issue 12) ---------------------------------------------

# Modules that read other apps' models but write them only through those apps' services.
WRITES_THROUGH_SERVICES = ("certification/interchange/importer.py",)
QUERY_WRITES = frozenset(
    {"bulk_create", "bulk_update", "create", "get_or_create", "update_or_create", "update"}
)
INSTANCE_WRITES = frozenset({"save", "delete"})  # on anything: an instance read from a query
BULK_WRITERS = frozenset({"lib.bulk.insert_rows", "lib.bulk.update_rows", "lib.bulk.upsert_by_key"})


def _bound_names(tree: ast.AST) -> dict[str, str]:
    """Local name → dotted name, for the names absolute imports bind (relative imports stay
    inside the module's own app, so they name no other app's model)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or top(alias.name)] = (
                    alias.name if alias.asname else top(alias.name)
                )
        elif isinstance(node, ast.ImportFrom) and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _target(node: ast.expr, names: dict[str, str]) -> str | None:
    """The dotted path a call goes through, its root resolved through the imports:
    ``Payment.objects.filter(pk=1).delete`` → ``enrolment.models.Payment.objects.filter.delete``."""
    attrs = []
    while True:
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    if not isinstance(node, ast.Name):
        return None
    return ".".join([names.get(node.id, node.id), *reversed(attrs)])


def foreign_writes(path: str, source: str) -> list[str]:
    """« file:line writes through target » for each write of ``source`` not made through a
    service: a model of another app written (``X.objects….update()``, ``X(...).save()``), a
    ``lib.bulk`` writer called, ``save()``/``delete()`` called on anything."""
    own = app_of(PurePosixPath(path))
    tree = ast.parse(source, filename=path)
    names = _bound_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (target := _target(node.func, names)) is None:
            continue
        parts = target.split(".")
        foreign_model = parts[0] in APPS and parts[0] != own and parts[1:2] == ["models"]
        if (
            (foreign_model and parts[-1] in QUERY_WRITES)
            or parts[-1] in INSTANCE_WRITES
            or target in BULK_WRITERS
        ):
            found.append(f"{path}:{node.lineno} writes through {target}")
    return sorted(found, key=lambda line: int(line.split(":")[1].split()[0]))


def test_the_importer_writes_other_apps_tables_only_through_their_services():
    sources = dict(tree())
    assert set(WRITES_THROUGH_SERVICES) <= set(sources)
    found = [hit for path in WRITES_THROUGH_SERVICES for hit in foreign_writes(path, sources[path])]
    assert found == []


FOREIGN_WRITES = [
    (
        "from enrolment.models import Payment\nPayment.objects.filter(pk=1).delete()\n",
        "enrolment.models.Payment.objects.filter.delete",
    ),
    (
        "from grading import models as gm\ngm.Grade.objects.bulk_create([])\n",
        "grading.models.Grade.objects.bulk_create",
    ),
    (
        "import attendance.models\nattendance.models.Session.objects.filter(x=1).update(x=2)\n",
        "attendance.models.Session.objects.filter.update",
    ),
    (
        "from enrolment.models import Enrolment as E\nE.ues.through.objects.create()\n",
        "enrolment.models.Enrolment.ues.through.objects.create",
    ),
    (
        "from lib.bulk import insert_rows\nfrom enrolment.models import User\n"
        "insert_rows(User, ('email',), [])\n",
        "lib.bulk.insert_rows",
    ),
    ("from lib import bulk\nbulk.update_rows(M, ('x',), [])\n", "lib.bulk.update_rows"),
    ("def f(programme):\n    programme.save(update_fields=['title'])\n", "programme.save"),
    (
        "from enrolment.models import Programme\nProgramme(code='X').save()\n",
        "enrolment.models.Programme.save",
    ),
]


@pytest.mark.parametrize(("source", "target"), FOREIGN_WRITES)
def test_the_write_rule_refuses_a_module_that_writes_another_apps_table(source, target):
    line = source.count("\n")  # the write is on the last line
    found = foreign_writes("certification/interchange/importer.py", source)
    assert found == [f"certification/interchange/importer.py:{line} writes through {target}"]


def test_the_write_rule_lets_reads_and_services_through():
    source = (
        "from enrolment.models import Payment, StudentProfile\n"
        "from enrolment.imports import payments_replace_imported\n"
        "from .models import Certificate\n"
        "Payment.objects.filter(x=1).values_list('pk')\n"
        "StudentProfile.objects.select_for_update().filter(x=1).first()\n"
        "payments_replace_imported(programme_year_id=1, wanted={}, by=None, reason='')\n"
        "report.created.update(counts)\n"
        "Certificate.objects.create()\n"
    )
    assert foreign_writes("certification/interchange/importer.py", source) == []


# --- Function length (issue 12) ------------------------------------------------------------

LONGEST = 60  # lines of a function, decorators and docstring included
LONG_REASON = "# Long on purpose:"


def long_functions(path: str, source: str) -> list[str]:
    """Each function over ``LONGEST`` lines whose ``def`` (or first decorator) is not directly
    under a ``# Long on purpose: …`` comment saying why it reads best as one piece."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - first + 1
        above = lines[first - 2].strip() if first >= 2 else ""
        if length > LONGEST and not above.startswith(LONG_REASON):
            found.append(f"{path}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_a_screen_without_a_reason():
    found = [
        hit
        for path, source in tree()
        if "/migrations/" not in path
        for hit in long_functions(path, source)
    ]
    assert found == []


def test_the_length_rule_sees_a_long_function_and_reads_its_reason():
    body = "".join(f"    x{i} = {i}\n" for i in range(LONGEST))
    long_one = f"def f():\n{body}"
    assert long_functions("a.py", long_one) == ["a.py:1 f (61 lines)"]
    assert long_functions("a.py", f"{LONG_REASON} a table, row by row\n{long_one}") == []
    decorated = f"@cache\ndef g():\n{body}"
    assert long_functions("a.py", decorated) == ["a.py:2 g (62 lines)"]
    assert long_functions("a.py", "def h():\n    return 1\n") == []


# --- Cyclomatic complexity (issue 12) ---------------------------------------------------------

# radon's grades: A 1–5, B 6–10, C 11–20, D 21–30, E 31–40, F 41+ (boolean operators count).
MOST_BRANCHES = 20  # the top of grade C
COMPLEX_REASON = "# Complex on purpose:"


def _functions(blocks: list) -> list:
    """radon's functions and methods, closures included (classes are summaries of methods)."""
    found = []
    for block in blocks:
        if isinstance(block, RadonFunction):
            found += [block, *_functions(block.closures)]
    return found


def complex_functions(path: str, source: str) -> list[str]:
    """Each function of cyclomatic grade D or worse (radon) whose ``def`` (or first decorator)
    is not directly under a ``# Complex on purpose: …`` comment saying why."""
    lines = source.splitlines()
    found = []
    for function in _functions(radon_complexity.cc_visit(source)):
        if function.complexity <= MOST_BRANCHES:
            continue
        first = function.lineno
        while first >= 2 and lines[first - 2].lstrip().startswith("@"):
            first -= 1
        above = lines[first - 2].strip() if first >= 2 else ""
        if not above.startswith(COMPLEX_REASON):
            grade = f"{radon_complexity.cc_rank(function.complexity)} {function.complexity}"
            found.append(f"{path}:{function.lineno} {function.name} ({grade})")
    return found


def test_no_function_branches_past_grade_c_without_a_reason():
    found = [
        hit
        for path, source in tree()
        if "/migrations/" not in path
        for hit in complex_functions(path, source)
    ]
    assert found == []


def test_the_complexity_rule_sees_a_branchy_function_and_reads_its_reason():
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(MOST_BRANCHES))
    branchy = f"def f(x):\n{body}    return -1\n"
    assert complex_functions("a.py", branchy) == ["a.py:1 f (D 21)"]
    assert complex_functions("a.py", f"{COMPLEX_REASON} a dispatch table\n{branchy}") == []
    nested = f"@cache\ndef outer():\n    {branchy.replace(chr(10), chr(10) + '    ')}"
    assert complex_functions("a.py", nested) == ["a.py:3 f (D 21)"]
    ok = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(19))
    assert complex_functions("a.py", ok) == []
