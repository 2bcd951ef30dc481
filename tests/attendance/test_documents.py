"""Convocation to an exam: date, time, site, room, tiers-temps (RULES.md §7)."""

import datetime as dt

import pytest
from django.urls import reverse

from attendance.documents import convocation, exam_convocations, tiers_temps_minutes
from attendance.models import Session
from enrolment.models import Enrolment, StudentProfile
from tests.factories import RegistrarFactory, SessionFactory, UEFactory
from tests.pdf_builders import PARIS, document_case, pdf_text

pytestmark = pytest.mark.django_db


def url(enrolment: Enrolment, session: Session) -> str:
    return reverse("certification:convocation-pdf", args=[enrolment.pk, session.pk])


@pytest.mark.parametrize(("minutes", "extended"), [(90, 120), (105, 140), (100, 134), (120, 160)])
def test_tiers_temps_adds_a_third_rounded_up_to_the_minute(minutes, extended):
    assert tiers_temps_minutes(minutes) == extended


def test_convocations_list_the_exams_of_the_students_own_ue_only():
    case = document_case()
    SessionFactory(ue=case.ue_206, kind=Session.Kind.COURS)
    SessionFactory(ue=case.ue_207, exam=True, cancelled=True)
    SessionFactory(ue=UEFactory(programme_year=case.programme_year), exam=True)
    later = SessionFactory(
        ue=case.ue_207,
        kind=Session.Kind.EXAMEN,
        start=dt.datetime(2025, 5, 27, 9, 0, tzinfo=PARIS),
        end=dt.datetime(2025, 5, 27, 12, 0, tzinfo=PARIS),
        site=Session.Site.SAINT_MARTIN,
        room="21.2.32",
    )
    notices = exam_convocations(case.enrolment)
    assert [n.session_id for n in notices] == [case.exam.pk, later.pk]
    assert notices[1].room_description == "accès 21, 2e étage, salle 32"
    assert notices[1].site_transport == "M° Réaumur-Sébastopol"


def test_convocation_extends_the_end_for_tiers_temps():
    case = document_case()
    document = convocation(case.enrolment, case.exam)
    assert document.accommodation is not None
    assert document.accommodation.end.strftime("%H:%M") == "16:20"
    assert document.arrival.strftime("%H:%M") == "13:45"


def test_convocation_pdf_has_date_place_and_tiers_temps(client, django_assert_max_num_queries):
    case = document_case()
    client.force_login(case.enrolment.student.user)
    with django_assert_max_num_queries(6):
        response = client.get(url(case.enrolment, case.exam))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="convocation-rsv206-2025-05-20-2400017.pdf"'
    )
    text = pdf_text(response.content)
    assert "DUPONT-LEFÈVRE Léa" in text and "2400017" in text
    assert "mardi 20 mai 2025, 14 h 00 – 15 h 45" in text
    assert "Durée 1 h 45" in text
    assert "Conté — 2 rue Conté, Paris 3e" in text
    assert "M° Arts et Métiers" in text
    assert "31.1.12 — accès 31, 1er étage, salle 12" in text
    assert "Aménagement : tiers-temps — durée majorée d'un tiers, fin à 16 h 20" in text
    assert "Présentez-vous 15 minutes avant le début muni(e) d'une pièce d'identité" in text
    assert "Page 1 / 1" in text


def test_no_accommodation_line_without_tiers_temps(client):
    case = document_case()
    StudentProfile.objects.filter(pk=case.enrolment.student_id).update(tiers_temps=False)
    client.force_login(case.enrolment.student.user)
    text = pdf_text(client.get(url(case.enrolment, case.exam)).content)
    assert "Aménagement" not in text and "16 h 20" not in text


def test_other_accommodations_are_printed_without_extending_the_exam():
    case = document_case()
    StudentProfile.objects.filter(pk=case.enrolment.student_id).update(
        tiers_temps=False, accommodations="Salle au rez-de-chaussée"
    )
    case.enrolment.refresh_from_db()
    accommodation = convocation(case.enrolment, case.exam).accommodation
    assert accommodation is not None
    assert (accommodation.details, accommodation.minutes) == ("Salle au rez-de-chaussée", 105)


def test_exam_of_a_ue_the_student_is_not_enrolled_in_is_404(client):
    case = document_case()
    foreign = SessionFactory(
        ue=UEFactory(programme_year=case.programme_year), kind=Session.Kind.EXAMEN
    )
    client.force_login(case.enrolment.student.user)
    assert client.get(url(case.enrolment, foreign)).status_code == 404


@pytest.mark.parametrize("change", [{"cancelled": True}, {"kind": Session.Kind.COURS}])
def test_cancelled_exam_or_ordinary_session_is_404(client, change):
    case = document_case()
    Session.objects.filter(pk=case.exam.pk).update(**change)
    client.force_login(case.enrolment.student.user)
    assert client.get(url(case.enrolment, case.exam)).status_code == 404


def test_another_students_convocation_is_404(client):
    mine = document_case()
    other = document_case(number="2400099", first_name="Paul", last_name="Durand")
    client.force_login(mine.enrolment.student.user)
    assert client.get(url(other.enrolment, other.exam)).status_code == 404
    assert client.get(url(other.enrolment, mine.exam)).status_code == 404


def test_registrar_may_download_a_students_convocation(client):
    case = document_case()
    client.force_login(RegistrarFactory())
    assert client.get(url(case.enrolment, case.exam)).status_code == 200
