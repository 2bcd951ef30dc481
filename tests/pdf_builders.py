"""A student with something in every PDF, and a certificat de scolarité built in memory: shared
by the document tests and the PDF benchmarks (bench/pdfs.py, bench/pdf_memory.py)."""

import datetime as dt
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from attendance.models import Session
from enrolment.documents import ProgrammeInfo, ScolariteCertificate, StudentIdentity, UELine
from enrolment.models import UE, Enrolment, ProgrammeYear
from grading.models import Assessment, Grade
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    SessionFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class DocumentCase:
    programme_year: ProgrammeYear
    enrolment: Enrolment
    ue_206: UE
    ue_207: UE
    exam: Session
    assessments: dict[str, Assessment]
    grades: dict[str, Grade]


def document_case(
    *, number: str = "2400017", first_name: str = "Léa", last_name: str = "Dupont-Lefèvre"
) -> DocumentCase:
    """RSV206 validated at 12,50 (CC 14 ×1, CT 11,75 ×2); RSV207 waits for a make-up.

    The exam of RSV206 is on mardi 20 mai 2025, 14 h 00 – 15 h 45, Conté 31.1.12; the student
    has a tiers-temps (so ends at 16 h 20).
    """
    programme_year = ProgrammeYearFactory()
    ue_206 = UEFactory(
        programme_year=programme_year,
        code="RSV206",
        title="Mutations de l'économie sociale et solidaire et innovations sociales",
        credits=8,
    )
    ue_207 = UEFactory(
        programme_year=programme_year,
        code="RSV207",
        title="Management des organisations de l'économie sociale et solidaire",
        credits=4,
    )
    user = UserFactory(username=f"eleve{number}", first_name=first_name, last_name=last_name)
    student = StudentFactory(
        user=user,
        number=number,
        first_name=first_name,
        last_name=last_name,
        birth_date=dt.date(1991, 3, 14),
        tiers_temps=True,
    )
    enrolment = EnrolmentFactory(
        student=student, programme_year=programme_year, ues=[ue_206, ue_207]
    )
    a = {
        "cc206": AssessmentFactory(
            ue=ue_206,
            key=f"CC206-{number}",
            title="Note de synthèse",
            kind="cc",
            weight=Decimal("1"),
            date=dt.date(2025, 3, 14),
        ),
        "ct206": AssessmentFactory(
            ue=ue_206,
            key=f"CT206-{number}",
            title="Examen écrit",
            kind="ct",
            weight=Decimal("2"),
            date=dt.date(2025, 5, 20),
        ),
        "ct207": AssessmentFactory(
            ue=ue_207,
            key=f"CT207-{number}",
            title="Dossier de management",
            kind="ct",
            weight=Decimal("1.5"),
            date=dt.date(2025, 5, 27),
        ),
    }
    a["rt207"] = AssessmentFactory(
        ue=ue_207,
        key=f"RT207-{number}",
        title="",
        kind="ct",
        weight=Decimal("1.5"),
        date=dt.date(2025, 6, 24),
        makeup_of=a["ct207"],
    )
    g = {
        "cc206": GradeFactory(assessment=a["cc206"], enrolment=enrolment, value=Decimal("14")),
        "ct206": GradeFactory(assessment=a["ct206"], enrolment=enrolment, value=Decimal("11.75")),
        "ct207": GradeFactory(
            assessment=a["ct207"], enrolment=enrolment, status="absent_justified", value=None
        ),
    }
    exam = SessionFactory(
        ue=ue_206,
        key=f"EX206-{number}",
        title="Contrôle terminal RSV206",
        kind=Session.Kind.EXAMEN,
        start=dt.datetime(2025, 5, 20, 14, 0, tzinfo=PARIS),
        end=dt.datetime(2025, 5, 20, 15, 45, tzinfo=PARIS),
        site=Session.Site.CONTE,
        room="31.1.12",
    )
    return DocumentCase(programme_year, enrolment, ue_206, ue_207, exam, a, g)


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed, as poppler's ``pdftotext`` reads it (ten
    times faster than pypdf's extraction)."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def structure_roles(data: bytes) -> dict[str, int]:
    """How many elements of each role the PDF's structure tree holds (/H1, /Table, /TH…)."""
    counts: dict[str, int] = {}

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if "/S" in node:
                counts[node["/S"]] = counts.get(node["/S"], 0) + 1
            if "/K" in node:
                walk(node["/K"])

    from io import BytesIO

    from pypdf import PdfReader

    walk(PdfReader(BytesIO(data)).trailer["/Root"]["/StructTreeRoot"]["/K"])
    return counts


def scolarite_certificate(last_name: str = "Dupont") -> ScolariteCertificate:
    return ScolariteCertificate(
        reference="SCOL-CS2600A-2024-2025-2400017",
        student=StudentIdentity("2400017", "Léa", last_name, dt.date(1991, 3, 14)),
        programme=ProgrammeInfo(
            "CS2600A",
            "Certificat de spécialisation Innovations sociales – ESS",
            "Bac+4",
            "EPN12 Santé-Solidarité",
            "2024-2025",
        ),
        status_label="Inscrit·e",
        ues=(UELine("RSV206", "Mutations de l'ESS", 8),),
        issued_on=dt.date(2026, 11, 27),
    )
