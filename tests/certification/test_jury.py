import datetime as dt

import pytest
from django.utils import timezone

from certification import services
from certification.models import Jury
from certification.selectors import cohort_results, enrolment_result
from grading.models import Grade, GradeHistory


def _deliberate(cohort, registrar):
    return services.jury_deliberate(
        programme_year=cohort["py"],
        deliberated_at=timezone.now(),
        members="Mme A\nM. B",
        by=registrar,
    )


def test_deliberation_freezes_snapshot_and_locks_every_grade(cohort, registrar):
    jury = _deliberate(cohort, registrar)
    assert len(jury.snapshot["students"]) == 5
    first = jury.snapshot["students"][0]
    assert first["ues"][0]["average"] == "14.00"
    assert not Grade.objects.filter(enrolment__programme_year=cohort["py"], locked=False).exists()
    assert GradeHistory.objects.filter(action="lock", reason="Délibération du jury").count() == 10


def test_second_deliberation_is_refused(cohort, registrar):
    _deliberate(cohort, registrar)
    with pytest.raises(services.CertificationError):
        _deliberate(cohort, registrar)
    assert Jury.objects.count() == 1


def test_unlock_needs_a_reason_and_is_in_history(cohort, registrar):
    _deliberate(cohort, registrar)
    grade = Grade.objects.first()
    with pytest.raises(services.CertificationError):
        services.jury_grade_unlock(grade=grade, by=registrar, reason="")
    services.jury_grade_unlock(grade=grade, by=registrar, reason="Erreur de saisie")
    grade.refresh_from_db()
    assert not grade.locked
    assert grade.history.filter(action="unlock", reason="Erreur de saisie").exists()


def test_jury_student_page_and_export_agree(cohort):
    jury_view = cohort_results(cohort["py"], published_only=False)
    for er in jury_view:
        mine = enrolment_result(er.enrolment, published_only=True)
        assert mine.result == er.result


def test_unlock_view_is_registrar_only(client, cohort, registrar):
    _deliberate(cohort, registrar)
    grade = Grade.objects.first()
    client.force_login(cohort["enrolments"][0].student.user)
    r = client.post(f"/scolarite/notes/{grade.pk}/deverrouiller/", {"reason": "x"})
    assert r.status_code == 403
    grade.refresh_from_db()
    assert grade.locked


def test_deliberated_at_is_recorded(cohort, registrar):
    when = timezone.make_aware(dt.datetime(2025, 7, 1, 14, 0))
    services.jury_deliberate(
        programme_year=cohort["py"], deliberated_at=when, members="X", by=registrar
    )
    assert Jury.objects.get().deliberated_at == when
