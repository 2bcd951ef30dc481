"""The certification page (every blocking reason, in French) and the documents page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from certification.models import Certificate
from tests.factories import AssessmentFactory
from tests.student_data import (
    absent,
    cohort,
    enrol,
    grade,
    page,
    passing_grades,
    session,
    student,
)

pytestmark = pytest.mark.django_db


def test_eligible_student_is_told_so():
    c = cohort()
    s = student()
    passing_grades(enrol(s, c), c)
    html = page(s)
    assert "Vous remplissez toutes les conditions" in html
    assert "Ce qui bloque" not in html


def test_fees_due_block_the_certificate():
    """RULES.md §8 example 8."""
    c = cohort()
    s = student()
    passing_grades(enrol(s, c, fees="150"), c)
    html = page(s)
    assert "Ce qui bloque encore la certification" in html
    assert "150,00\xa0€ restent dus" in html


def test_failed_ue_blocks_with_its_average():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    e.grades.filter(assessment__ue=c.rsv207).update(value=Decimal("8.5"))
    assert "UE RSV207 : moyenne 8,50 &lt; 10" in page(s)


def test_pending_ue_blocks_and_says_what_it_waits_for():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    AssessmentFactory(ue=c.rsv207, key="CC9", kind="cc")
    assert "UE RSV207 en attente : aucune note pour CC9" in page(s)


def test_makeup_pending_blocks():
    """RULES.md §8 example 3."""
    c = cohort()
    s = student()
    e = enrol(s, c)
    marks = passing_grades(e, c)
    e.grades.filter(assessment=marks["ct"]).update(status="absent_justified", value=None)
    html = page(s)
    assert "Rattrapage en attente pour CT1" in html
    assert "UE RSV206 en attente : rattrapage attendu pour CT1" in html


def test_defaillant_by_absence_blocks_with_the_figures():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    held = [session(c.rsv206, days=-20 - i, hours=2) for i in range(4)]
    absent(held[0], e)
    assert "Taux d&#x27;absence 25,00\xa0% &gt; 20\xa0% (120 min manquées sur 480 min)" in page(s)


def test_defaillant_by_missed_assessment_blocks():
    """RULES.md §8 example 2."""
    c = cohort()
    s = student()
    e = enrol(s, c)
    marks = passing_grades(e, c)
    e.grades.filter(assessment=marks["ct"]).update(status="absent", value=None)
    html = page(s)
    assert "Non composé : CT1 (défaillant)" in html
    assert "UE RSV206 : moyenne 4,00 &lt; 10" in html


def test_every_reason_is_listed_at_once():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="300")
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    grade(ct, e, status="absent", value=None)
    held = [session(c.rsv207, days=-20 - i, hours=2) for i in range(2)]
    absent(held[0], e)
    html = page(s)
    assert html.count("<li>", html.index("Ce qui bloque")) >= 5
    for text in (
        "Non composé",
        "UE RSV206 : moyenne 0,00",
        "UE RSV207 en attente",
        "Taux d&#x27;absence 50,00",
        "300,00\xa0€ restent dus",
    ):
        assert text in html


def test_issued_certificate_is_shown():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    Certificate.objects.create(
        enrolment=e,
        programme_year=c.year,
        sequence=42,
        number="CS2600A-2025-00042",
        issued_on=dt.date(2025, 7, 10),
        verification_code="abc123",
    )
    html = page(s)
    assert "CS2600A-2025-00042" in html
    assert "10 juillet 2025" in html
    docs = page(s, "certification:student-documents")
    assert "Certificat de spécialisation" in docs


def test_documents_page_lists_each_document_or_why_not_yet():
    c = cohort()
    s = student()
    enrol(s, c, status="pending")
    html = page(s, "certification:student-documents")
    for title in (
        "Certificat de scolarité",
        "Relevé de notes",
        "Attestation de réussite",
        "Certificat de spécialisation",
    ):
        assert title in html
    assert "Pas encore disponible" in html
    assert "Le certificat n&#x27;a pas encore été délivré par la scolarité." in html


def test_documents_page_links_the_transcript_when_available():
    c = cohort()
    s = student()
    passing_grades(enrol(s, c), c)
    html = page(s, "certification:student-documents")
    url = reverse("grading:transcript-pdf", args=[s.enrolments.get().pk])
    assert url in html


def test_documents_page_lists_a_convocation_per_exam():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=10, kind="examen", site="saint-martin", room="21.2.32")
    html = page(s, "certification:student-documents")
    assert "Convocation à l&#x27;examen — RSV206" in html
    assert "accès 21, 2e étage, salle 32" in html
