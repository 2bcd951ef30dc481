"""Median time of each student PDF on the demo data: ``.venv/bin/python bench/pdfs.py``.

Standalone: a throwaway SQLite database, ``migrate``, ``load_demo``. ``--out DIR`` also writes
one copy of each PDF there.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from report import say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-pdfs-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count, Q

    from attendance.documents import convocation, exam_sessions
    from enrolment.documents import scolarite_certificate
    from enrolment.models import Enrolment
    from grading.documents import transcript
    from lib.pdf import render_pdf

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())

    enrolments = Enrolment.objects.filter(status__in=["enrolled", "completed"]).annotate(
        published=Count("grades", filter=Q(grades__published=True))
    )
    enrolment = enrolments.order_by("-published", "pk").first()
    with_exam = next(
        (
            e
            for e in enrolments.order_by("-student__tiers_temps", "pk")
            if exam_sessions(e).exists()
        ),
        enrolment,
    )
    if enrolment is None or with_exam is None:
        sys.exit("Aucune inscription à mesurer.")
    exam = exam_sessions(with_exam).first()

    cases = {
        "certificat de scolarité": lambda: render_pdf(
            "enrolment/pdf/scolarite.html",
            {"certificate": scolarite_certificate(enrolment)},
            title="Certificat de scolarité",
        ),
        "relevé de notes": lambda: render_pdf(
            "grading/pdf/transcript.html",
            {"transcript": transcript(enrolment)},
            title="Relevé de notes",
        ),
    }
    if exam is not None:
        cases["convocation"] = lambda: render_pdf(
            "attendance/pdf/convocation.html",
            {"convocation": convocation(with_exam, exam)},
            title="Convocation",
        )

    say(f"Données : load_demo ; {args.runs} rendus par document (build + PDF), médiane :")
    for name, build in cases.items():
        data = build()  # warm-up: templates, fonts
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            build()
            timings.append((time.perf_counter() - start) * 1000)
        say(f"  {name:<25} {statistics.median(timings):7.1f} ms   ({len(data) // 1024} Kio)")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name.replace(' ', '-')}.pdf").write_bytes(data)


if __name__ == "__main__":
    main()
