"""The student's grades: published only, per UE, with statuses, averages and credits."""

from decimal import Decimal

import pytest
from django.urls import reverse

from certification.selectors import enrolment_result
from tests.factories import AssessmentFactory
from tests.student_data import cohort, enrol, grade, passing_grades, signed_in, student

pytestmark = pytest.mark.django_db


def grades_html(s) -> str:
    return signed_in(s).get(reverse("grading:student-grades")).content.decode()


def test_grades_page_shows_each_assessment_averages_badges_and_credits():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    html = grades_html(s)
    assert "Note de synthèse" in html and "Examen final" in html and "Dossier de projet" in html
    assert "12,00" in html and "9,00" in html
    assert html.count("10,00") >= 2  # both UE averages (RULES.md §8 example 1)
    assert html.count("Validée") == 2
    assert "8 / 8 crédits" in html and "4 / 4 crédits" in html
    assert "Crédits obtenus : 12 sur 12 ECTS" in html
    assert "20 mai 2025" in html
    assert "Contrôle continu" in html and "Contrôle terminal" in html


def test_unpublished_grades_are_invisible_including_in_the_average():
    c = cohort()
    s = student()
    e = enrol(s, c)
    cc = AssessmentFactory(ue=c.rsv207, key="CC1", kind="cc")
    ct = AssessmentFactory(ue=c.rsv207, key="CT1", kind="ct")
    grade(cc, e, value=Decimal("16"))
    grade(ct, e, value=Decimal("3.75"), published=False)
    html = grades_html(s)
    assert "3,75" not in html
    assert "16,00" in html
    assert "9,88" not in html  # (16 + 3.75) / 2 with the draft
    assert "UE RSV207 en attente : aucune note pour CT1" in html
    assert "Pas encore de note publiée" in html


def test_statuses_read_in_french_and_plagiarism_counts_zero():
    """RULES.md §8 example 5: RSV207 plagiarism (w1) + CT 16 (w1) → 8,00, not validated."""
    c = cohort()
    s = student()
    e = enrol(s, c)
    grade(AssessmentFactory(ue=c.rsv207, key="CC1", kind="cc"), e, status="plagiarism", value=None)
    grade(AssessmentFactory(ue=c.rsv207, key="CT1", kind="ct"), e, value=Decimal("16"))
    grade(AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct"), e, status="absent", value=None)
    html = grades_html(s)
    assert "Plagiat : compte 0" in html
    assert "8,00" in html
    assert "Non validée" in html
    assert "Absent·e : compte 0, défaillant·e" in html


def test_justified_absence_shows_makeup_and_pending_reason():
    c = cohort()
    s = student()
    e = enrol(s, c)
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct", title="Examen final")
    AssessmentFactory(ue=c.rsv206, key="CT1R", kind="ct", makeup_of=ct)
    grade(ct, e, status="absent_justified", value=None)
    html = grades_html(s)
    assert "Absence justifiée → rattrapage" in html
    assert "Rattrapage — Examen final" in html
    assert "UE RSV206 en attente : rattrapage attendu pour CT1" in html
    assert "En attente" in html


def test_makeup_mark_replaces_the_justified_absence():
    """RULES.md §8 example 4: make-up 14 recorded → RSV206 computed with 14."""
    c = cohort()
    s = student()
    e = enrol(s, c)
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    makeup = AssessmentFactory(ue=c.rsv206, key="CT1R", kind="ct", makeup_of=ct)
    grade(ct, e, status="absent_justified", value=None)
    grade(makeup, e, value=Decimal("14"))
    html = grades_html(s)
    assert "14,00" in html
    assert "Validée" in html


def test_page_averages_are_those_of_the_one_implementation():
    c = cohort()
    s = student()
    e = enrol(s, c)
    passing_grades(e, c)
    result = enrolment_result(e, published_only=True).result
    html = grades_html(s)
    for ue in result.ues:
        assert f'<strong class="num">{ue.average:.2f}'.replace(".", ",") in html


def test_other_students_grades_never_show():
    c = cohort()
    me, other = student(), student(username="autre")
    enrol(me, c)
    e_other = enrol(other, c)
    grade(AssessmentFactory(ue=c.rsv206), e_other, value=Decimal("17.25"))
    assert "17,25" not in grades_html(me)


def test_a_makeup_shows_only_to_students_it_concerns():
    c = cohort()
    s = student()
    e = enrol(s, c)
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    AssessmentFactory(ue=c.rsv206, key="CT1R", kind="ct", makeup_of=ct)
    grade(ct, e, value=Decimal("13"))
    assert "Rattrapage —" not in grades_html(s)
