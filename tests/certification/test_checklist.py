"""The student's « Où j'en suis » checklist: each condition met or not, its figures, the next
step, the jury date, and the absence time still allowed (RULES.md §5, §7)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance
from certification.checklist import State, certification_checklist, format_duration
from certification.selectors import enrolment_result
from grading.models import GradeHistory
from lib.formats import long_date
from tests.factories import AssessmentFactory, PaymentFactory
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


def conditions(e, **kwargs):
    er = enrolment_result(e, published_only=True)
    kwargs.setdefault("makeups", {})
    kwargs.setdefault("today", timezone.localdate())
    checklist = certification_checklist(er, **kwargs)
    return checklist, {c.key: c for c in checklist.conditions}


def ten_sessions_one_late(c, e, *, late=30):
    """Ten held RSV206 sessions of 2 h (1 200 min), one with ``late`` minutes missed."""
    held = [session(c.rsv206, days=-30 - i, hours=2) for i in range(10)]
    Attendance.objects.create(session=held[0], enrolment=e, presence="late", minutes_missed=late)
    return held


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0\xa0min"),
        (45, "45\xa0min"),
        (60, "1\xa0h"),
        (570, "9\xa0h\xa030"),
        (605, "10\xa0h\xa005"),
    ],
)
def test_durations_read_in_hours_and_minutes(minutes, text):
    assert format_duration(minutes) == text


def test_an_eligible_student_sees_three_met_conditions_with_their_figures():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="1200")
    passing_grades(e, c)
    PaymentFactory(enrolment=e, amount=Decimal("1200"))
    ten_sessions_one_late(c, e)
    checklist, by_key = conditions(e)
    assert [cond.state for cond in checklist.conditions] == [State.MET] * 3
    assert by_key["ues"].facts == ["Crédits obtenus : 12 sur 12"]
    assert [(u.code, u.average, u.status_label, u.credits) for u in checklist.ue_lines] == [
        ("RSV206", "10,00", "Validée", "8 crédits"),
        ("RSV207", "10,00", "Validée", "4 crédits"),
    ]
    # 30 of 1 200 min; 20 % of 1 200 = 240 min: 3 h 30 still allowed.
    assert by_key["attendance"].facts == [
        "Taux d'absence : 2,50\xa0% (30\xa0min manquées sur 20\xa0h tenues) ; seuil : 20\xa0%",
        "Absences encore possibles avant le seuil : 3\xa0h\xa030, sur les 20\xa0h de cours de "
        "l'année",
    ]
    assert by_key["fees"].facts == ["Frais réglés : 1\xa0200,00\xa0€ sur 1\xa0200,00\xa0€"]
    assert all(not cond.steps for cond in checklist.conditions)
    html = page(s)
    assert html.count("condition remplie") == 3
    assert "Crédits obtenus : 12 sur 12" in html
    assert "3\xa0h\xa030" in html


def test_sessions_still_to_come_widen_the_absence_time_allowed():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    ten_sessions_one_late(c, e)
    session(c.rsv206, days=10, hours=5)  # 300 min more planned: 20 % of 1 500 = 300
    session(c.rsv206, days=12, hours=5, cancelled=True)  # cancelled: not planned
    _, by_key = conditions(e)
    assert by_key["attendance"].facts[1] == (
        "Absences encore possibles avant le seuil : 4\xa0h\xa030, sur les 25\xa0h de cours de "
        "l'année"
    )


def test_exactly_at_the_threshold_nothing_is_left_and_the_condition_still_holds():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    held = [session(c.rsv206, days=-20 - i, hours=2) for i in range(5)]
    absent(held[0], e)  # 120 of 600 min: exactly 20 %
    _, by_key = conditions(e)
    assert by_key["attendance"].state == State.MET
    assert (
        by_key["attendance"]
        .facts[1]
        .startswith("Absences encore possibles avant le seuil : 0\xa0min")
    )


def test_defaillant_by_absence_is_unmet_with_a_step_to_the_attendance_page():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    held = [session(c.rsv206, days=-20 - i, hours=2) for i in range(4)]
    absent(held[0], e)  # 25 %
    _, by_key = conditions(e)
    attendance = by_key["attendance"]
    assert attendance.state == State.UNMET
    assert "aucune, le seuil est dépassé" in attendance.facts[1]
    assert attendance.steps[0].link == "attendance:student-attendance"
    assert "Les absences justifiées comptent aussi dans ce taux." in attendance.steps[0].text
    html = page(s)
    assert "condition non remplie" in html
    assert reverse("attendance:student-attendance") in html


def test_a_missed_assessment_says_a_justification_may_open_a_makeup():
    c = cohort()
    s = student()
    e = enrol(s, c)
    marks = passing_grades(e, c)
    e.grades.filter(assessment=marks["ct"]).update(status="absent", value=None)
    _, by_key = conditions(e)
    attendance = by_key["attendance"]
    assert attendance.state == State.UNMET
    assert "Épreuve non composée : CT1" in attendance.facts
    assert attendance.steps[0].link_text == "Déposer un justificatif d'absence"
    assert by_key["ues"].state == State.UNMET


def test_failed_ue_is_unmet_and_says_the_average_and_credits_out_of_the_total():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    e.grades.filter(assessment__ue=c.rsv207).update(value=Decimal("8.5"))
    checklist, by_key = conditions(e)
    assert by_key["ues"].state == State.UNMET
    assert by_key["ues"].facts == ["Crédits obtenus : 8 sur 12"]
    assert checklist.ue_lines[1].status_label == "Non validée"
    assert by_key["ues"].steps[0].text.startswith("RSV207 non validée (moyenne 8,50, il faut 10)")


def test_a_scheduled_makeup_is_the_next_step_with_its_date():
    c = cohort()
    s = student()
    e = enrol(s, c)
    marks = passing_grades(e, c)
    e.grades.filter(assessment=marks["ct"]).update(status="absent_justified", value=None)
    day = timezone.localdate() + dt.timedelta(days=20)
    makeup = AssessmentFactory(
        ue=c.rsv206, key="CT1R", kind="ct", weight=Decimal(2), makeup_of=marks["ct"], date=day
    )
    _, by_key = conditions(e, makeups={("RSV206", "CT1"): makeup})
    assert by_key["ues"].state == State.PENDING
    step = by_key["ues"].steps[0]
    assert step.text == f"Rattrapage de RSV206 le {long_date(day)}"
    assert step.link == "certification:student-documents"
    html = page(s)
    assert f"Rattrapage de RSV206 le {long_date(day)}" in html
    assert "condition en attente" in html


def test_a_past_makeup_without_a_mark_and_an_unscheduled_one_say_so():
    c = cohort()
    s = student()
    e = enrol(s, c)
    marks = passing_grades(e, c)
    e.grades.filter(assessment__in=[marks["ct"], marks["ct7"]]).update(
        status="absent_justified", value=None
    )
    past = AssessmentFactory(
        ue=c.rsv206, key="CT1R", kind="ct", weight=Decimal(2), makeup_of=marks["ct"]
    )
    past.date = dt.date(2025, 6, 21)
    past.save()
    _, by_key = conditions(e, makeups={("RSV206", "CT1"): past}, today=dt.date(2025, 7, 1))
    assert [step.text for step in by_key["ues"].steps] == [
        "Rattrapage de RSV206 du 21 juin 2025 : note pas encore publiée.",
        "Rattrapage de RSV207 (CT1) : la date vous sera communiquée.",
    ]


def test_missing_marks_are_awaited():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    AssessmentFactory(ue=c.rsv207, key="CC9", kind="cc")
    _, by_key = conditions(e)
    assert by_key["ues"].steps[0].text == (
        "Note attendue pour CC9 (RSV207) : elle s'affichera une fois publiée."
    )


def test_fees_due_give_the_amount_left_and_a_step_to_the_enrolment_page():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="1200")
    passing_grades(e, c)
    PaymentFactory(enrolment=e, amount=Decimal("900"))
    _, by_key = conditions(e)
    fees = by_key["fees"]
    assert fees.state == State.UNMET
    assert fees.facts == [
        "Frais réglés : 900,00\xa0€ sur 1\xa0200,00\xa0€",
        "Reste à payer : 300,00\xa0€",
    ]
    assert fees.steps[0].text == "Régler les 300,00\xa0€ restants auprès de la scolarité."
    assert fees.steps[0].link == "enrolment:student-enrolment"
    html = page(s)
    assert "Régler les 300,00\xa0€ restants auprès de la scolarité." in html
    assert reverse("enrolment:student-enrolment") in html


def test_overpaid_fees_are_met_and_say_the_credit():
    c = cohort()
    s = student()
    e = enrol(s, c, fees="1200")
    PaymentFactory(enrolment=e, amount=Decimal("1250"))
    _, by_key = conditions(e)
    assert by_key["fees"].state == State.MET
    assert by_key["fees"].facts[1] == "Trop-perçu en votre faveur : 50,00\xa0€"


def test_the_planned_jury_date_is_shown_until_the_jury_sits():
    c = cohort()
    c.year.jury_planned_on = dt.date(2025, 7, 4)
    c.year.save()
    s = student()
    passing_grades(enrol(s, c), c)
    assert "Date prévue du jury : 4 juillet 2025." in page(s)


def test_no_jury_date_is_invented():
    c = cohort()
    s = student()
    passing_grades(enrol(s, c), c)
    assert "Date prévue du jury" not in page(s)


def test_dashboard_gives_credits_out_of_the_total_and_the_absence_time_left():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    ten_sessions_one_late(c, e)
    html = page(s, "certification:student-dashboard")
    assert "12 sur 12" in html
    assert "3\xa0h\xa030" in html
    assert reverse("certification:student-certification") in html


def test_several_new_grades_are_a_plural():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    for g in e.grades.all():
        GradeHistory.objects.create(
            grade=g,
            at=timezone.now() - dt.timedelta(days=1),
            source="publication",
            action="publish",
        )
    html = page(s, "certification:student-dashboard")
    assert "3 nouvelles notes publiées ces 14 derniers jours." in html
    assert "(s)" not in html


def test_a_justified_absence_without_a_makeup_keeps_the_ue_condition_pending():
    c = cohort()
    s = student()
    e = enrol(s, c)
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    grade(ct, e, status="absent_justified", value=None)
    _, by_key = conditions(e)
    assert by_key["ues"].state == State.PENDING
    assert by_key["ues"].steps[0].text == (
        "Rattrapage de RSV206 (CT1) : la date vous sera communiquée."
    )
