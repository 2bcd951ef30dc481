"""The jury page (first page, filtered pages, its size and queries) and ``export_results --all``
on the data set of ``bench/dataset.py`` (cohorts of 2,000, every grade published).

    DATABASE_URL=sqlite:////tmp/bench-jury.sqlite3 .venv/bin/python bench/jury.py [--students 64000]

From the combined runner (after ``django.setup()``)::

    from bench.jury import measure
    rows = measure(students=64000)  # [{"what", "goal", "value", "ok"}, …]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_MS = 300
PAGE_KB = 300
EXPORT_S_PER_64K = 8.0


def _page(
    client: Any, url: str, params: dict[str, str], runs: int, *, cold: bool = False
) -> tuple[float, int, int, float]:
    """Median ms, bytes, queries and median CPU ms of a GET (after one warm-up). ``cold``:
    each GET as the first view of the cohort in a worker (no result remembered)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from certification.selectors import REMEMBERED

    client.get(url, params)
    times = []
    cpu = []
    size = queries = 0
    for _ in range(runs):
        if cold:
            REMEMBERED.clear()
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, params)
            times.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.process_time() - start_cpu))
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")
        size, queries = len(response.content), len(captured)
    return statistics.median(times), size, queries, statistics.median(cpu)


def _export_all() -> tuple[float, float]:
    """Wall time and CPU seconds (workers included) of ``manage.py export_results --all`` in a
    fresh process, as run for real."""
    with tempfile.TemporaryDirectory(prefix="bench-export-") as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "export_results", "--all", "--output", out],
            check=True,
            env=os.environ.copy(),
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = list(Path(out).glob("*.json"))
        if not files:
            raise RuntimeError("export_results --all wrote nothing")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def measure(
    *,
    students: int = 64000,
    runs: int = 5,
    export_runs: int = 3,
    database_url: str | None = None,
) -> list[dict[str, Any]]:
    """Build (or find) the data set, then time the jury page and the export of every cohort.

    Rows: ``what``, ``goal``, ``value`` (text) and ``ok`` (the goal met).
    """
    from bench.dataset import build

    cohorts = build(students, database_url)
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from enrolment.models import Enrolment, ProgrammeYear
    from tests.factories import RegistrarFactory

    if "testserver" not in settings.ALLOWED_HOSTS and settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    py = cohorts[0]
    size = Enrolment.objects.filter(programme_year=py).count()
    client = Client()
    client.force_login(RegistrarFactory(username="bench-registrar"))
    url = reverse("certification:registrar-jury", args=[py.pk])
    rows: list[dict[str, Any]] = []
    pages = [
        ("first page", {}),
        ("page 3", {"page": "3"}),
        ("filter décision ajourné", {"decision": "ajourne"}),
        ("filter motif frais + UE", {"reason": "fees_unpaid", "ue": "BNC100"}),
        ("filter motif UE non validée", {"reason": "ue_failed"}),
        ("sort by absences", {"sort": "-absences"}),
    ]
    for label, params in pages:
        ms, size_bytes, queries, cpu = _page(client, url, params, runs)
        rows.append(
            {
                "what": f"jury page {size} students, {label} ({queries} queries, {cpu:.0f} ms CPU)",
                "goal": f"≤ {PAGE_MS} ms",
                "value": f"{ms:.0f} ms",
                "ok": ms <= PAGE_MS,
            }
        )
        if label == "filter décision ajourné":
            # The rules rerun only where an input changed since the worker's last view
            # (certification/selectors.py, ``_Remembered``): the first view computes them all.
            ms, _size, _queries, cpu = _page(client, url, params, runs, cold=True)
            rows.append(
                {
                    "what": f"jury page {size} students, {label}, first view in a worker "
                    f"({cpu:.0f} ms CPU)",
                    "goal": f"≤ {PAGE_MS} ms",
                    "value": f"{ms:.0f} ms",
                    "ok": ms <= PAGE_MS,
                }
            )
        if not params:
            rows.append(
                {
                    "what": f"jury page {size} students, HTML size",
                    "goal": f"≤ {PAGE_KB} KB",
                    "value": f"{size_bytes / 1024:.0f} KB",
                    "ok": size_bytes <= PAGE_KB * 1024,
                }
            )
    for fmt in ("csv", "xlsx"):
        download = reverse("certification:registrar-jury-download", args=[py.pk, fmt])
        ms, size_bytes, _queries, _cpu = _page(client, download, {}, 1)
        rows.append(
            {
                "what": f"jury download {fmt.upper()}, {size} students ({size_bytes // 1024} KB)",
                "goal": "(no goal)",
                "value": f"{ms:.0f} ms",
                "ok": True,
            }
        )
    total = Enrolment.objects.exclude(status=Enrolment.Status.WITHDRAWN).count()
    cohorts_count = ProgrammeYear.objects.count()
    # The median of a few fresh processes: one run is at the mercy of the machine's neighbours.
    exports = sorted(_export_all() for _ in range(export_runs))
    seconds, cpu = exports[len(exports) // 2]
    spread = ", ".join(f"{wall:.1f}" for wall, _cpu in exports)
    goal = EXPORT_S_PER_64K * max(total, 1) / 64000
    rows.append(
        {
            "what": f"export_results --all, {cohorts_count} cohorts, {total} students "
            f"(median of {spread} s; {cpu:.0f} s CPU)",
            "goal": f"≤ {goal:.1f} s",
            "value": f"{seconds:.1f} s",
            "ok": seconds <= goal,
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=64000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-runs", type=int, default=3, help="export_results --all runs")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
    import django

    django.setup()
    before = os.getloadavg()
    rows = measure(students=args.students, runs=args.runs, export_runs=args.export_runs)
    after = os.getloadavg()
    width = max(len(r["what"]) for r in rows)
    out = sys.stdout
    out.write(f"{'what':<{width}}  {'goal':>10}  {'value':>9}  ok\n")
    for r in rows:
        mark = "yes" if r["ok"] else "NO"
        out.write(f"{r['what']:<{width}}  {r['goal']:>10}  {r['value']:>9}  {mark}\n")
    out.write(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} ({} cores)\n".format(
            *before, *after, os.cpu_count()
        )
    )


if __name__ == "__main__":
    main()
