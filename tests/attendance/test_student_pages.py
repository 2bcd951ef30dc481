"""The student's planning, its iCalendar, and the assiduité page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from attendance.models import Attendance, SessionChange
from tests.student_data import absent, cohort, enrol, session, signed_in, student

pytestmark = pytest.mark.django_db


def test_planning_groups_sessions_by_week_with_site_address_metro_and_room_reading():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=2, site="saint-martin", room="21.2.32", title="Histoire de l'ESS")
    session(c.rsv207, days=9, site="ensam", room="ENS.1.04", kind="visite")
    html = signed_in(s).get(reverse("attendance:student-planning")).content.decode()
    assert html.count("Semaine du") >= 2
    assert "Histoire de l&#x27;ESS" in html
    assert "accès 21, 2e étage, salle 32" in html
    assert "292 rue Saint-Martin, Paris 3e" in html
    assert "M° Réaumur-Sébastopol" in html
    assert "accès ENS, 1er étage, salle 04" in html
    assert "M° Place d&#x27;Italie ou Campo-Formio" in html
    assert "Visite" in html


def test_planning_marks_moved_and_cancelled_sessions():
    c = cohort()
    s = student()
    enrol(s, c)
    moved = session(c.rsv206, days=4, room="31.1.12")
    SessionChange.objects.create(
        session=moved,
        kind="moved",
        at=timezone.now(),
        old_start=dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC),
        old_end=dt.datetime(2026, 12, 1, 20, 30, tzinfo=dt.UTC),
        old_site="conte",
        old_room="33.0.05",
        reason="Salle indisponible.",
    )
    session(c.rsv207, days=5, cancelled=True)
    html = signed_in(s).get(reverse("attendance:student-planning")).content.decode()
    assert "Déplacée" in html
    assert "Initialement prévue le 1er décembre 2026 à 18:30, salle 33.0.05." in html
    assert "Salle indisponible." in html
    assert "Annulée" in html
    assert "session-cancelled" in html


def test_planning_ics_has_events_location_reminder_and_cancellation():
    c = cohort()
    s = student()
    enrol(s, c)
    held = session(c.rsv206, days=3, site="conte", room="31.1.12", title="Séance 1")
    cancelled = session(c.rsv207, days=4, cancelled=True)
    response = signed_in(s).get(reverse("attendance:student-planning-ics"))
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="planning-cnam.ics"'
    cal = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    first = events[f"seance-{held.pk}@portail-cs.cnam.fr"]
    assert str(first["SUMMARY"]) == "RSV206 — Séance 1"
    assert "accès 31, 1er étage, salle 12" in str(first["LOCATION"])
    assert "2 rue Conté" in str(first["LOCATION"])
    assert "M° Arts et Métiers" in str(first["DESCRIPTION"])
    assert first.decoded("DTSTART") == held.start.replace(microsecond=0)
    alarm = first.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=1)
    assert str(first["STATUS"]) == "CONFIRMED"
    gone = events[f"seance-{cancelled.pk}@portail-cs.cnam.fr"]
    assert str(gone["STATUS"]) == "CANCELLED"


def test_ics_uids_are_stable_across_downloads():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=3)
    client = signed_in(s)
    first = Calendar.from_ical(client.get(reverse("attendance:student-planning-ics")).content)
    second = Calendar.from_ical(client.get(reverse("attendance:student-planning-ics")).content)
    assert [str(e["UID"]) for e in first.walk("VEVENT")] == [
        str(e["UID"]) for e in second.walk("VEVENT")
    ]


def test_attendance_page_shows_each_held_session_and_the_arithmetic():
    """RULES.md §8 example 7: 40 h held, 8 h absent + 30 min late → 21,25 %."""
    c = cohort()
    s = student()
    e = enrol(s, c)
    sessions = [session(c.rsv206, days=-30 + i, hours=4) for i in range(10)]  # 2 400 min
    absent(sessions[0], e)
    absent(sessions[1], e, justified=True, justification_reason="Arrêt maladie")
    Attendance.objects.create(session=sessions[2], enrolment=e, presence="late", minutes_missed=30)
    session(c.rsv206, days=-2, kind="examen")
    session(c.rsv206, days=5)  # not held yet
    session(c.rsv206, days=-3, cancelled=True)  # never held
    html = signed_in(s).get(reverse("attendance:student-attendance")).content.decode()
    assert "510 min manquées ÷ 2\u202f400 min tenues × 100 = 21,25\xa0%" in html
    assert "défaillant·e" in html
    assert "Arrêt maladie" in html
    assert "justifiée" in html and "non justifiée" in html
    assert "30 min manquées" in html
    assert "hors taux" in html  # the exam
    assert html.count("<tr>") == 1 + 11  # header + 10 courses + 1 exam


def test_attendance_page_below_threshold_explains_the_rule():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=-3)
    html = signed_in(s).get(reverse("attendance:student-attendance")).content.decode()
    assert "0 min manquées ÷ 120 min tenues × 100 = 0,00\xa0%" in html
    assert "au-delà de 20\xa0%, un·e élève est défaillant·e" in html


def test_past_weeks_are_folded_below_the_coming_ones():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=-30, title="Séance ancienne")
    session(c.rsv206, days=3, title="Séance à venir")
    html = signed_in(s).get(reverse("attendance:student-planning")).content.decode()
    assert html.index("Séance à venir") < html.index("Séances passées (1 semaine)")
    assert html.index("Séances passées") < html.index("Séance ancienne")


def test_own_justification_document_is_linked(tmp_path):
    from django.core.files.base import ContentFile

    c = cohort()
    s = student()
    e = enrol(s, c)
    a = absent(session(c.rsv206, days=-3), e, justified=True, justification_reason="Certificat")
    a.justification_document.save("arret.pdf", ContentFile(b"%PDF-1.4"), save=True)
    html = signed_in(s).get(reverse("attendance:student-attendance")).content.decode()
    url = reverse("attendance:justification-document", args=[a.pk])
    assert f'href="{url}"' in html
    assert "Mon justificatif" in html
