"""The student's dashboard, enrolment and « Mes données » pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.models import EnrolmentStatusChange, PriorDiploma, StudentProfile
from grading.models import GradeHistory
from tests.factories import AssessmentFactory, PaymentFactory
from tests.student_data import (
    absent,
    cohort,
    enrol,
    grade,
    passing_grades,
    session,
    signed_in,
    student,
)

pytestmark = pytest.mark.django_db


def test_dashboard_lists_next_sessions_with_site_and_room():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=3, site="conte", room="31.1.12", title="Histoire de l'ESS")
    session(c.rsv207, days=-3, title="Séance passée")
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "Conté" in html
    assert "accès 31, 1er étage, salle 12" in html
    assert "M° Arts et Métiers" in html
    assert "Prochaines séances" in html


def test_dashboard_warns_from_fifteen_percent_absence():
    c = cohort()
    s = student()
    e = enrol(s, c)
    held = [session(c.rsv206, days=-10 - i, hours=2) for i in range(6)]  # 720 min held
    absent(held[0], e)  # 120 / 720 = 16,67 %
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "Taux d&#x27;absence 16,67" in html
    assert "attention, au-delà de 20\xa0%" in html


def test_dashboard_says_defaillant_above_twenty_percent():
    c = cohort()
    s = student()
    e = enrol(s, c)
    held = [session(c.rsv206, days=-10 - i, hours=2) for i in range(4)]
    absent(held[0], e)  # 25 %
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "25,00" in html
    assert "défaillant·e" in html


def test_dashboard_warns_of_fees_due_makeup_ue_below_ten_and_new_grades():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="1200")
    PaymentFactory(enrolment=e, amount=Decimal("1050"))
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    makeup = AssessmentFactory(
        ue=c.rsv206, key="CT1R", kind="ct", makeup_of=ct, date=dt.date(2025, 6, 12)
    )
    grade(ct, e, status="absent_justified", value=None)
    ct7 = AssessmentFactory(ue=c.rsv207, key="CT1", kind="ct")
    g = grade(ct7, e, value=Decimal("8.5"))
    GradeHistory.objects.create(
        grade=g, at=timezone.now() - dt.timedelta(days=2), source="publication", action="publish"
    )
    assert makeup.pk
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "150,00\xa0€ restent dus" in html
    assert "Rattrapage à passer : RSV206 CT1, le 12 juin 2025." in html
    assert "UE RSV207 : moyenne 8,50, inférieure à 10." in html
    assert "1 nouvelle note publiée ces 14 derniers jours." in html


def test_old_publications_are_not_new_grades():
    c = cohort()
    s = student()
    e = enrol(s, c)
    g = grade(AssessmentFactory(ue=c.rsv207), e)
    GradeHistory.objects.create(
        grade=g, at=timezone.now() - dt.timedelta(days=20), source="publication", action="publish"
    )
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "nouvelle note publiée" not in html
    assert "nouvelles notes publiées" not in html


def test_dashboard_of_a_student_in_good_standing_has_nothing_to_report():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "Rien à signaler" in html
    assert "Éligible" in html


def test_enrolment_page_shows_ues_status_history_payments_and_balance():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="1200")
    EnrolmentStatusChange.objects.create(
        enrolment=e,
        from_status="pending",
        to_status="enrolled",
        at=dt.datetime(2024, 9, 16, 10, tzinfo=dt.UTC),
        reason="Dossier complet",
    )
    PaymentFactory(enrolment=e, amount=Decimal("1000"), date=dt.date(2024, 9, 30))
    html = signed_in(s).get(reverse("enrolment:student-enrolment")).content.decode()
    assert "RSV206" in html and "RSV207" in html
    assert "12 ECTS" in html
    assert "16 septembre 2024" in html
    assert "En attente → <strong>Inscrit·e</strong>" in html
    assert "Dossier complet" in html
    assert "1\xa0200,00\xa0€" in html
    assert "1\xa0000,00\xa0€" in html
    assert "200,00\xa0€" in html
    assert "30 septembre 2024" in html


def test_several_enrolments_default_to_the_latest_not_withdrawn():
    old, new, withdrawn = cohort("2023-2024"), cohort("2024-2025"), cohort("2025-2026")
    s = student()
    enrol(s, old, status="completed")
    enrol(s, new)
    enrol(s, withdrawn, status="withdrawn")
    client = signed_in(s)
    html = client.get(reverse("enrolment:student-enrolment")).content.decode()
    assert '<dd class="col-sm-8">2024-2025</dd>' in html
    e_old = s.enrolments.get(programme_year=old.year)
    html = client.get(reverse("enrolment:student-enrolment"), {"inscription": e_old.pk}).content
    assert b'<dd class="col-sm-8">2023-2024</dd>' in html


def test_profile_shows_identity_read_only_and_the_parcours():
    s = student(last_name="Durand", first_name="Aïcha")
    PriorDiploma.objects.create(
        student=s, title="Master AES", institution="Université Lyon 2", year=2015
    )
    PriorDiploma.objects.create(student=s, title="UE RSV101", at_cnam=True, year=2020)
    html = signed_in(s).get(reverse("enrolment:student-profile")).content.decode()
    assert "Durand" in html and "Aïcha" in html
    assert "2 avril 1990" in html
    assert 'name="last_name"' not in html and 'name="birth_date"' not in html
    cnam_part, elsewhere_part = html.split("Diplômes hors Cnam")
    assert "UE RSV101" in cnam_part.split("obtenus au Cnam")[1]
    assert "Master AES — Université Lyon 2 (2015)" in elsewhere_part


def test_profile_update_changes_contact_but_never_identity():
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"),
        {
            "email": "nouvelle@example.org",
            "phone": "06 12 34 56 78",
            "address": "2 rue Conté\n75003 Paris",
            "employment": "employed",
            "employer": "Coopérative ESS",
            "job_title": "Chargée de projet",
            "last_name": "Pirate",
            "birth_date": "2000-01-01",
            "tiers_temps": "on",
        },
    )
    assert response.status_code == 302
    s = StudentProfile.objects.get(pk=s.pk)
    assert s.email == "nouvelle@example.org"
    assert s.employer == "Coopérative ESS"
    assert s.last_name == "Martin"
    assert s.birth_date == dt.date(1990, 4, 2)
    assert s.tiers_temps is False


def test_profile_update_with_a_bad_email_saves_nothing_and_says_why():
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"), {"email": "pas-une-adresse", "phone": "0611"}
    )
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide" in response.content.decode()
    s.refresh_from_db()
    assert s.email == "camille.perso@example.org"
    assert s.phone == ""


def test_profile_update_refuses_control_characters():
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"),
        {"email": "ok@example.org", "address": "1 rue\u202e evil"},
    )
    assert response.status_code == 200
    s.refresh_from_db()
    assert "evil" not in s.address


def test_student_without_enrolment_sees_a_clear_message():
    s = student()
    for name in ("certification:student-dashboard", "enrolment:student-enrolment"):
        html = signed_in(s).get(reverse(name)).content.decode()
        assert "Aucune inscription" in html
