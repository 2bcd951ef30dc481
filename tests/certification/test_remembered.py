"""Results remembered between jury views (``selectors._Remembered``): a second view reruns no
rule, and after any edit of what the rules read the remembered result is the fresh one."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from attendance.models import Attendance, Session
from certification import selectors
from certification.interchange import cohort_import
from certification.rules import StudentResult
from certification.selectors import REMEMBERED, _Remembered, cohort_result_rows
from enrolment.models import UE, Enrolment, Payment, ProgrammeYear
from grading.models import Assessment, Grade, GradeHistory
from tests.certification.cohort_docs import cohort, encode, student
from tests.factories import RegistrarFactory

pytestmark = pytest.mark.django_db

# After S03 (the RSV206 exam of 20 May 2025) has ended: every session of the cohort is held.
LATER = datetime.fromisoformat("2025-09-01T12:00:00+02:00")
FIRST = "2400001"


@pytest.fixture
def py() -> ProgrammeYear:
    """Three students; the third has no roll line and another RSV206 mark."""
    doc = cohort(students=2)
    doc["students"].append(
        student(
            3,
            attendance=[],
            grades=[
                {"assessment": "RSV206-CC", "status": "graded", "value": "8"},
                {"assessment": "RSV206-CT", "status": "graded", "value": "9.5"},
                {"assessment": "RSV207-CT", "status": "graded", "value": "16"},
            ],
        )
    )
    cohort_import(data=encode(doc), by=None)
    REMEMBERED.clear()
    return ProgrammeYear.objects.get(programme__code="CS2600A")


@pytest.fixture
def rules_run(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the rules ran for a student (one item per run)."""
    runs: list[int] = []
    real = selectors.student_result

    def counted(**kwargs: object) -> StudentResult:
        runs.append(1)
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(selectors, "student_result", counted)
    return runs


def _results(py: ProgrammeYear, *, remember: bool, now: datetime = LATER) -> list[StudentResult]:
    return [row.result for row in cohort_result_rows(py, remember=remember, now=now)]


def test_a_second_view_reruns_no_rule_and_reads_the_same(py, rules_run):
    first = _results(py, remember=True)
    assert len(rules_run) == 2  # students 1 and 2 read the same: computed once
    again = _results(py, remember=True)
    assert len(rules_run) == 2
    assert again == first == _results(py, remember=False)
    assert [r.credits for r in first] == [12, 12, 4]


def test_one_edit_reruns_the_rules_for_that_student_only(py, rules_run):
    _results(py, remember=True)
    Grade.objects.filter(enrolment__student__number=FIRST, assessment__key="RSV207-CT").update(
        value=Decimal("6.00")
    )
    after = _results(py, remember=True)
    assert len(rules_run) == 2 + 1
    assert after[0].credits == 8  # RSV207 failed at 6.00
    assert after == _results(py, remember=False)


def _enrolment(number: str = FIRST) -> Enrolment:
    return Enrolment.objects.get(student__number=number)


def _grade(key: str, number: str = FIRST) -> Grade:
    return Grade.objects.get(enrolment__student__number=number, assessment__key=key)


def _set_value() -> None:
    Grade.objects.filter(pk=_grade("RSV206-CT").pk).update(value=Decimal("3.00"))


def _set_status() -> None:
    Grade.objects.filter(pk=_grade("RSV206-CT").pk).update(status="absent_justified", value=None)


def _add_makeup_mark() -> None:
    _set_status()
    Grade.objects.create(
        enrolment=_enrolment(),
        assessment=Assessment.objects.get(key="RSV206-CT-R"),
        status="graded",
        value=Decimal("4.00"),
    )


def _delete_grade() -> None:
    grade = _grade("RSV207-CT")
    GradeHistory.objects.filter(grade=grade).delete()
    grade.delete()


def _absent_instead_of_late() -> None:
    Attendance.objects.filter(enrolment=_enrolment(), session__key="S01").update(
        presence="absent", minutes_missed=0
    )


def _present_after_all() -> None:
    Attendance.objects.filter(enrolment=_enrolment(), session__key="S02").delete()


def _justify_absence() -> None:
    Attendance.objects.filter(enrolment=_enrolment(), session__key="S02").update(justified=True)


def _fewer_minutes_late() -> None:
    Attendance.objects.filter(enrolment=_enrolment(), session__key="S01").update(minutes_missed=5)


def _add_payment() -> None:
    Payment.objects.create(enrolment=_enrolment(), date="2025-01-10", amount=Decimal("50.00"))


def _raise_fees() -> None:
    Enrolment.objects.filter(pk=_enrolment().pk).update(fees_due=Decimal("1500.00"))


def _ue_credits() -> None:
    UE.objects.filter(code="RSV207").update(credits=6)


def _assessment_weight() -> None:
    Assessment.objects.filter(key__in=["RSV206-CC"]).update(weight=Decimal("3.00"))


def _pass_mark() -> None:
    ProgrammeYear.objects.update(pass_mark=Decimal("12.00"))


def _threshold() -> None:
    ProgrammeYear.objects.update(absence_threshold_pct=Decimal("50.00"))


def _justified_count() -> None:
    _justify_absence()
    ProgrammeYear.objects.update(justified_absences_count=False)


def _cancel_session() -> None:
    Session.objects.filter(key="S02").update(cancelled=True)


def _longer_session() -> None:
    session = Session.objects.get(key="S01")
    Session.objects.filter(pk=session.pk).update(end=session.end + timedelta(hours=4))


def _leave_a_ue() -> None:
    _enrolment().ues.remove(UE.objects.get(code="RSV207"))


EDITS: list[Callable[[], None]] = [
    _set_value,
    _set_status,
    _add_makeup_mark,
    _delete_grade,
    _absent_instead_of_late,
    _present_after_all,
    _fewer_minutes_late,
    _add_payment,
    _raise_fees,
    _ue_credits,
    _assessment_weight,
    _pass_mark,
    _threshold,
    _justified_count,
    _cancel_session,
    _longer_session,
    _leave_a_ue,
]


@pytest.mark.parametrize("edit", EDITS, ids=[e.__name__.strip("_") for e in EDITS])
def test_after_any_edit_the_remembered_result_is_the_fresh_one(py, edit):
    before = _results(py, remember=True)
    edit()
    fresh = _results(py, remember=False)
    assert fresh != before, "the edit must change a result, else this proves nothing"
    assert _results(py, remember=True) == fresh


def test_a_justification_is_seen_where_justified_absences_do_not_count(py):
    ProgrammeYear.objects.update(justified_absences_count=False)
    before = _results(py, remember=True)
    _justify_absence()
    fresh = _results(py, remember=False)
    assert fresh[0].absence.missed_minutes == before[0].absence.missed_minutes - 120
    assert _results(py, remember=True) == fresh


def test_marks_follow_their_assessment_when_two_swap_names(py):
    """The same UE definition read back (keys, kinds, weights, dates swapped between two
    assessments): the stored marks now stand for the other assessment."""
    Assessment.objects.filter(key="RSV206-CT-R").delete()
    before = _results(py, remember=True)
    cc, ct = Assessment.objects.get(key="RSV206-CC"), Assessment.objects.get(key="RSV206-CT")
    fields = ("key", "kind", "weight", "date")
    was_cc, was_ct = ({f: getattr(a, f) for f in fields} for a in (cc, ct))
    Assessment.objects.filter(pk=cc.pk).update(key="swap")
    Assessment.objects.filter(pk=ct.pk).update(**was_cc)
    Assessment.objects.filter(pk=cc.pk).update(**was_ct)
    fresh = _results(py, remember=False)
    # The third student: CC 8 and CT 9.50 (9.00) become CC 9.50 and CT 8 (8.50).
    assert (before[2].ues[0].average, fresh[2].ues[0].average) == (Decimal("9.00"), Decimal("8.50"))
    assert _results(py, remember=True) == fresh


def test_a_session_that_ends_is_seen(py):
    """The sessions held depend on ``now``: until S02 (RSV207, 12 October) ends, it is not
    held, and the student's absence there does not count yet."""
    between = datetime.fromisoformat("2024-10-10T12:00:00+02:00")
    before = _results(py, remember=True, now=between)
    after = _results(py, remember=True, now=LATER)
    assert after == _results(py, remember=False, now=LATER)
    assert (before[0].absence.held_minutes, after[0].absence.held_minutes) == (240, 360)


def test_the_remembered_results_are_bounded():
    remembered = _Remembered(limit=3)
    first = remembered.of("cohort A")
    first.update({("a", n): n for n in range(3)})  # type: ignore[misc]
    second = remembered.of("cohort B")
    second.update({("b", n): n for n in range(2)})  # type: ignore[misc]
    # Over the limit: the least recently used cohort goes first.
    assert remembered.of("cohort B") == {("b", 0): 0, ("b", 1): 1}
    assert remembered.of("cohort A") == {}
    # One cohort alone over the limit starts again empty.
    remembered.of("cohort A").update({("a", n): n for n in range(5)})  # type: ignore[misc]
    assert remembered.of("cohort A") == {}


def test_the_jury_page_filters_on_remembered_results_and_sees_an_edit(client, py, rules_run):
    client.force_login(RegistrarFactory())
    url = reverse("certification:registrar-jury", args=[py.pk])
    third = "2400003"
    page = client.get(url, {"decision": "ajourne"})
    assert page.status_code == 200
    assert [line.row.number for line in page.context["rows"]] == [third]  # RSV206 at 9.00
    runs = len(rules_run)
    assert runs, "a filter on the decision runs the rules for the cohort"
    assert client.get(url, {"decision": "admis"}).context["rows"] == []
    assert len(rules_run) == runs
    # 8 and 12 (weights 1 and 2): 10.67, RSV206 validated, the third student is admis.
    Grade.objects.filter(pk=_grade("RSV206-CT", third).pk).update(value=Decimal("12.00"))
    edited = client.get(url, {"decision": "admis"})
    assert len(rules_run) == runs + 1
    assert [line.row.number for line in edited.context["rows"]] == [third]
