"""« Mes UE » (certification:staff-home): what a teacher has left to do, from one selector."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance
from attendance.services import RollEntry, roll_record
from certification.board import staff_board
from enrolment.models import Enrolment, ProgrammeYear, StudentProfile, User
from grading.models import Grade
from tests.factories import (
    AssessmentFactory,
    AttendanceFactory,
    ProgrammeYearFactory,
    SessionFactory,
    StaffFactory,
    UEFactory,
)
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

PAST = dt.date(2025, 1, 13)


def students(ues, n: int, *, tag: str) -> list[Enrolment]:
    """``n`` students following ``ues``, created in bulk (no password hashing)."""
    py = ues[0].programme_year
    users = User.objects.bulk_create(
        [User(username=f"b{tag}-{i}", email=f"b{tag}-{i}@example.org") for i in range(n)]
    )
    profiles = StudentProfile.objects.bulk_create(
        [
            StudentProfile(
                user=u,
                number=f"{tag}{i:05d}",
                last_name=f"Nom{i:03d}",
                first_name="Sam",
                birth_date=dt.date(1990, 1, 1),
                email=u.email,
            )
            for i, u in enumerate(users)
        ]
    )
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(student=p, programme_year=py, status="enrolled") for p in profiles]
    )
    Enrolment.ues.through.objects.bulk_create(
        [Enrolment.ues.through(enrolment_id=e.pk, ue_id=ue.pk) for e in enrolments for ue in ues]
    )
    return enrolments


def grades(assessment, enrolments, **kwargs) -> None:
    Grade.objects.bulk_create(
        [
            Grade(
                assessment=assessment,
                enrolment=e,
                status=kwargs.get("status", "graded"),
                value=None if kwargs.get("status") else Decimal("12"),
                published=kwargs.get("published", True),
                locked=kwargs.get("locked", False),
            )
            for e in enrolments
        ]
    )


def two_ues(n_students: int, *, tag: str = "7"):
    py = ProgrammeYearFactory(year="2024-2025")
    ues = [UEFactory(programme_year=py, code="RSV206"), UEFactory(programme_year=py, code="RSV207")]
    teacher = StaffFactory(ues=ues)
    enrolments = students(ues, n_students, tag=tag)
    return teacher, ues, enrolments


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("certification:staff-home"))
    assert response.status_code == 200
    return response.content.decode()


def test_mes_ue_keeps_its_path(client):
    world = make_world(1)
    assert reverse("certification:staff-home") == "/enseignant/"
    client.force_login(world.teacher)
    response = client.get("/enseignant/")
    assert response.status_code == 200
    assert "À faire" in response.content.decode()


def test_each_assessment_shows_entered_over_expected_drafts_and_its_state(client):
    teacher, (ue, _), enrolments = two_ues(26)
    published = AssessmentFactory(ue=ue, key="CC1", kind="cc", date=PAST)
    grades(published, enrolments[:20])
    drafts = AssessmentFactory(ue=ue, key="CC2", kind="cc", date=PAST)
    grades(drafts, enrolments[:24], published=False)
    locked = AssessmentFactory(ue=ue, key="CT1", date=PAST)
    grades(locked, enrolments, locked=True)
    AssessmentFactory(ue=ue, key="CT2", date=timezone.localdate() + dt.timedelta(days=20))
    board = staff_board(teacher)
    figures = {
        t.assessment.key: (t.entered, t.expected, t.drafts, t.state)
        for t in board.current[0].assessments
    }
    assert figures == {
        "CC1": (20, 26, 0, "published"),
        "CC2": (24, 26, 24, "to_publish"),
        "CT1": (26, 26, 0, "locked"),
        "CT2": (0, 26, 0, "upcoming"),
    }
    html = home(client, teacher)
    assert "saisies 20/26" in html and "6 à saisir" in html
    assert "24 brouillons" in html and "à publier" in html
    assert "verrouillée" in html and "à venir" in html
    assert "2 évaluations à compléter" in html and "1 évaluation à publier" in html
    assert reverse("grading:staff-grid", args=[published.pk]) in html


def test_a_makeup_counts_only_the_students_entitled_to_it():
    teacher, (ue, _), enrolments = two_ues(5)
    original = AssessmentFactory(ue=ue, key="CT1", date=PAST)
    grades(original, enrolments[:3])
    grades(original, enrolments[3:], status="absent_justified")
    makeup = AssessmentFactory(
        ue=ue, key="CT1-R", date=PAST + dt.timedelta(days=30), makeup_of=original
    )
    grades(makeup, enrolments[3:4], published=False)
    todo = next(t for t in staff_board(teacher).current[0].assessments if t.assessment == makeup)
    assert (todo.entered, todo.expected, todo.drafts, todo.missing) == (1, 2, 1, 1)


def test_sessions_say_whether_their_roll_is_taken_and_when_the_next_ones_are(client):
    teacher, (ue, other), enrolments = two_ues(2)
    now = timezone.now()
    taken = SessionFactory(ue=ue, title="Cours un", start=now - dt.timedelta(days=14))
    AttendanceFactory(session=taken, enrolment=enrolments[0])
    SessionFactory(ue=ue, title="Cours deux", start=now - dt.timedelta(days=7))
    SessionFactory(ue=other, title="Cours trois", start=now - dt.timedelta(days=3))
    SessionFactory(ue=ue, title="Annulée", start=now - dt.timedelta(days=2), cancelled=True)
    coming = SessionFactory(ue=ue, title="Cours à venir", start=now + dt.timedelta(days=5))
    board = staff_board(teacher)
    first = board.current[0]
    assert [t.session.title for t in first.rolls_to_take] == ["Cours deux"]
    assert [t.session.title for t in first.rolls_taken] == ["Cours un"]
    assert first.upcoming == [coming]
    assert board.rolls_to_take == 2
    html = home(client, teacher)
    assert "2 appels à faire" in html
    assert "appel à faire" in html and "1 séance tenue, appel fait" in html
    assert reverse("attendance:staff-roll", args=[coming.pk]) in html
    assert "Annulée" not in html


def test_a_roll_where_everyone_came_counts_as_taken():
    teacher, (ue, _), enrolments = two_ues(2)
    session = SessionFactory(
        ue=ue, title="Tous présents", start=timezone.now() - dt.timedelta(days=1)
    )
    assert [t.session for t in staff_board(teacher).current[0].rolls_to_take] == [session]
    entries = [
        RollEntry(enrolment_id=e.pk, presence=Attendance.Presence.PRESENT) for e in enrolments
    ]
    assert roll_record(session=session, entries=entries, by=teacher) == 0
    first = staff_board(teacher).current[0]
    assert first.rolls_to_take == []
    assert [t.session for t in first.rolls_taken] == [session]


def test_past_cohorts_come_after_the_current_year_in_a_closed_section(client):
    teacher, _ues, _enrolments = two_ues(2)
    old_year = ProgrammeYearFactory(year="2023-2024")
    old_ue = UEFactory(programme_year=old_year, code="RSV206")
    teacher.assignments.create(ue=old_ue)
    old = AssessmentFactory(ue=old_ue, key="OLD-CT", date=dt.date(2024, 5, 20))
    ProgrammeYear.objects.filter(pk=old_year.pk).update(frozen_at=timezone.now())
    board = staff_board(teacher)
    assert [u.ue for u in board.past] == [old_ue]
    assert old_ue not in [u.ue for u in board.current]
    html = home(client, teacher)
    assert html.index("RSV207") < html.index('<details class="past-cohorts')
    assert html.index('<details class="past-cohorts') < html.index("OLD-CT")
    assert reverse("grading:staff-grid", args=[old.pk]) in html


def test_nothing_left_to_do_is_said_plainly(client):
    teacher, (ue, _), enrolments = two_ues(2)
    grades(AssessmentFactory(ue=ue, key="CC1", date=PAST), enrolments)
    assert "Rien à faire pour l’instant" in home(client, teacher)


def test_the_board_takes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    teacher, ues, enrolments = two_ues(2, tag="5")
    for ue in ues:
        for k in range(3):
            grades(AssessmentFactory(ue=ue, key=f"A{k}", date=PAST), enrolments)
        SessionFactory(ue=ue)
    client.force_login(teacher)
    url = reverse("certification:staff-home")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    # 2 UE × 3 assessments × 26 students, sessions held and to come, rolls taken or not.
    more = students(ues, 24, tag="6")
    now = timezone.now()
    for ue in ues:
        for assessment in ue.assessments.all():
            grades(assessment, more, published=False)
        for d in (-20, -10, 3, 9):
            session = SessionFactory(ue=ue, start=now + dt.timedelta(days=d))
            if d == -20:
                AttendanceFactory(session=session, enrolment=more[0])
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("saisies 26/26") == 6
