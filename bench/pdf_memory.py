"""Resident memory per PDF render in a long-lived process: ``python bench/pdf_memory.py``.

A worker renders thousands of PDFs: its memory must reach a plateau. After ``--warm-up``
renders, ``--renders`` more are timed and the *current* resident size (``/proc/self/statm``,
not ``ru_maxrss``, a lifetime peak) is read every ``--step`` renders; the figure is the growth
per render over the second half of the run, where a plateau reads 0. Two ways side by side:
``lib.pdf.render_pdf`` (one FontConfiguration and one parsed stylesheet for the process) and
a bare WeasyPrint render of the same HTML with a new FontConfiguration each time (what
``lib/pdf.py`` avoids). No database: the certificat de scolarité is built in memory.
"""

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

from report import say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_KB_PER_RENDER = 50  # a plateau: well under one PDF's worth per render


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(render: Callable[[], bytes], *, warm_up: int, renders: int, step: int) -> dict:
    for _ in range(warm_up):
        render()
    samples = [resident_mb()]
    for done in range(1, renders + 1):
        render()
        if done % step == 0:
            samples.append(resident_mb())
    half = len(samples) // 2
    late = (samples[-1] - samples[half]) * 1024 / ((len(samples) - 1 - half) * step)
    return {"start": samples[0], "end": samples[-1], "late_kb": late}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--renders", type=int, default=400)
    parser.add_argument("--step", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
    import django

    django.setup()
    from django.template.loader import render_to_string
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from lib import pdf
    from tests.pdf_builders import scolarite_certificate

    certificate = scolarite_certificate()
    context = {"certificate": certificate}
    html = render_to_string(
        "enrolment/pdf/scolarite.html",
        {
            "pdf_title": "Essai",
            "issued_at": dt.datetime(2026, 11, 27, 10),
            "author": pdf.AUTHOR,
            **context,
        },
    )
    fetcher = pdf.StaticOnlyFetcher()

    def shared() -> bytes:
        return pdf.render_pdf("enrolment/pdf/scolarite.html", context, title="Essai")

    def fresh() -> bytes:
        config = FontConfiguration()
        document = HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=fetcher).render(
            font_config=config
        )
        return document.write_pdf()

    say(f"load average before: {os.getloadavg()[0]:.2f}")
    say(f"{'what':<44} {'resident MB':>16} {'KB / render (2nd half)':>24}  goal")
    for label, render in (
        ("render_pdf (shared FontConfiguration)", shared),
        ("bare WeasyPrint, new FontConfiguration", fresh),
    ):
        row = measure(render, warm_up=args.warm_up, renders=args.renders, step=args.step)
        ok = "oui" if row["late_kb"] <= GOAL_KB_PER_RENDER else "NON"
        goal = f"≤ {GOAL_KB_PER_RENDER} {ok}" if render is shared else "(repère)"
        say(
            f"{label:<44} {row['start']:>7.1f} → {row['end']:<7.1f} {row['late_kb']:>24.1f}  {goal}"
        )
    say(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
