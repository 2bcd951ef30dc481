"""« Élèves à suivre » (certification:staff-ue): who needs following, why, and what comes next."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from certification.cohort import RiskCode, ue_cohort
from lib.formats import long_date
from tests.factories import AssessmentFactory, GradeFactory
from tests.grading.staff_world import make_world
from tests.student_data import cohort, enrol, grade, signed_in, student

pytestmark = pytest.mark.django_db

EXAM_DAY = dt.date(2025, 5, 24)


def follow_up_html(client, world) -> str:
    client.force_login(world.teacher)
    response = client.get(reverse("certification:staff-ue", args=[world.ue.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="risk-title"')
    return html[start : html.index("</section>", start)]


def final_exam_world(n: int = 3):
    """A CC everyone passed (12) and a final exam on 24 May 2025, graded 14 for the first."""
    world = make_world(n)
    world.assessment.date, world.assessment.weight = EXAM_DAY, Decimal(2)
    world.assessment.save()
    cc = AssessmentFactory(ue=world.ue, key="CC1", kind="cc", date=dt.date(2025, 1, 13))
    for e in world.enrolments:
        GradeFactory(assessment=cc, enrolment=e, value=Decimal("12"))
    GradeFactory(assessment=world.assessment, enrolment=world.enrolments[0], value=Decimal("14"))
    return world


def test_a_student_with_no_grade_at_all_at_the_final_exam_is_listed_with_the_next_step(client):
    world = final_exam_world(2)
    graded, missing = world.enrolments
    html = follow_up_html(client, world)
    assert missing.student.full_name in html
    assert "N’a pas de note à l’examen du 24 mai 2025 (CT1)." in html
    assert "À faire : saisir sa note, ou ABS, ou ABJ si l’absence est justifiée" in html
    assert graded.student.full_name not in html


def test_an_absent_student_is_listed_as_defaillant_without_a_makeup(client):
    world = final_exam_world(2)
    GradeFactory(
        assessment=world.assessment, enrolment=world.enrolments[1], status="absent", value=None
    )
    html = follow_up_html(client, world)
    assert "Absent·e à l’examen du 24 mai 2025 (CT1) : défaillant·e, la note compte 0." in html
    assert "Pas de rattrapage sans absence justifiée" in html


def test_a_justified_absence_names_the_makeup_date(client):
    world = final_exam_world(2)
    GradeFactory(
        assessment=world.assessment,
        enrolment=world.enrolments[1],
        status="absent_justified",
        value=None,
    )
    later = timezone.localdate() + dt.timedelta(days=30)
    AssessmentFactory(
        ue=world.ue,
        key="CT1-R",
        kind="ct",
        weight=Decimal(2),
        date=later,
        makeup_of=world.assessment,
    )
    html = follow_up_html(client, world)
    with translation.override("fr"):
        day = long_date(later)
    assert (
        f"Absence justifiée à l’examen du 24 mai 2025 (CT1) : rattrapage le {day} (CT1-R)." in html
    )


def test_an_exam_still_to_come_is_no_reason_to_follow_a_student():
    world = final_exam_world(2)
    result = ue_cohort(world.ue, today=EXAM_DAY)  # the exam is today: not passed yet
    assert [r.enrolment for r in result.at_risk] == []
    after = ue_cohort(world.ue, today=EXAM_DAY + dt.timedelta(days=1))
    assert [(r.enrolment, [k.code for k in r.risks]) for r in after.at_risk] == [
        (world.enrolments[1], [RiskCode.NO_GRADE])
    ]


def test_the_average_is_compared_with_the_programme_years_pass_mark(client):
    world = final_exam_world(1)  # CC 12 (w1), CT 14 (w2): 13,33
    py = world.ue.programme_year
    assert "Moyenne inférieure" not in follow_up_html(client, world)
    py.pass_mark = Decimal("14")
    py.save()
    assert "Moyenne inférieure à 14." in follow_up_html(client, world)


def test_the_student_dashboard_names_the_programme_years_pass_mark():
    c = cohort()
    c.year.pass_mark = Decimal("12.5")
    c.year.save()
    s = student()
    e = enrol(s, c)
    grade(AssessmentFactory(ue=c.rsv207, key="CT1"), e, value=Decimal("11"))
    html = signed_in(s).get(reverse("certification:student-dashboard")).content.decode()
    assert "UE RSV207 : moyenne 11,00, inférieure à 12,5." in html
