"""RULES.md §7b: once the jury has deliberated, a session already held and its roll no longer
change — through the services, the staff pages or the admin; sessions still to come may be
moved or cancelled, but not into the past."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.models import Attendance, Session, SessionChange
from enrolment.freeze import SESSIONS_FROZEN, SESSIONS_INTO_PAST_FROZEN, FrozenError, refusal
from enrolment.models import ProgrammeYear
from tests.factories import AttendanceFactory, SessionFactory, UserFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

MESSAGE = refusal(SESSIONS_FROZEN)
PDF = b"%PDF-1.4\n%test\n"


def freeze(programme_year_id: int) -> None:
    ProgrammeYear.objects.filter(pk=programme_year_id).update(frozen_at=timezone.now())


def snapshot() -> dict[str, list[dict[str, object]]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Session, SessionChange, Attendance)
    }


@pytest.fixture
def world():
    w = make_world(3)
    now = timezone.now()
    w.held = SessionFactory(ue=w.ue, key="S1", start=now - dt.timedelta(days=7))
    w.future = SessionFactory(ue=w.ue, key="S2", start=now + dt.timedelta(days=7))
    w.absence = AttendanceFactory(session=w.held, enrolment=w.enrolments[0])
    freeze(w.ue.programme_year_id)
    return w


def _in(days: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.now() + dt.timedelta(days=days)
    return start, start + dt.timedelta(hours=2)


# ---- Services ---------------------------------------------------------------------------------


def test_the_roll_of_a_session_held_cannot_change(world):
    before = snapshot()
    entries = [
        services.RollEntry(enrolment_id=world.enrolments[0].pk, presence="present"),
        services.RollEntry(enrolment_id=world.enrolments[1].pk, presence="late", minutes_missed=5),
    ]
    with pytest.raises(FrozenError) as info:
        services.roll_record(session=world.held, entries=entries, by=world.teacher)
    assert info.value.message == MESSAGE
    assert snapshot() == before


def test_an_absence_at_a_session_held_cannot_be_justified(world):
    before = snapshot()
    with pytest.raises(FrozenError):
        services.absence_justify(
            session=world.held,
            enrolment=world.enrolments[0],
            reason="Arrêt maladie",
            document=SimpleUploadedFile("a.pdf", PDF),
            by=world.teacher,
        )
    assert snapshot() == before


def test_a_session_held_cannot_be_moved_or_cancelled(world):
    before = snapshot()
    start, end = _in(14)
    with pytest.raises(FrozenError):
        services.session_move(
            session=world.held,
            start=start,
            end=end,
            site="conte",
            room="31.1.12",
            reason="x",
            by=world.teacher,
        )
    with pytest.raises(FrozenError):
        services.session_cancel(session=world.held, reason="x", by=world.teacher)
    assert snapshot() == before


def test_a_cancelled_past_session_stays_as_it_is(world):
    Session.objects.filter(pk=world.held.pk).update(cancelled=True)
    world.held.refresh_from_db()
    before = snapshot()
    with pytest.raises(FrozenError):
        services.roll_record(
            session=world.held,
            entries=[services.RollEntry(enrolment_id=world.enrolments[2].pk, presence="absent")],
            by=world.teacher,
        )
    assert snapshot() == before


def test_a_session_to_come_can_still_be_moved_cancelled_and_its_roll_taken(world):
    start, end = _in(21)
    services.session_move(
        session=world.future,
        start=start,
        end=end,
        site="saint-martin",
        room="21.2.32",
        reason="Travaux",
        by=world.teacher,
    )
    assert Session.objects.get(pk=world.future.pk).room == "21.2.32"
    services.roll_record(
        session=world.future,
        entries=[services.RollEntry(enrolment_id=world.enrolments[1].pk, presence="absent")],
        by=world.teacher,
    )
    assert Attendance.objects.filter(session=world.future).count() == 1
    services.session_cancel(session=world.future, reason="Grève", by=world.teacher)
    assert Session.objects.get(pk=world.future.pk).cancelled


def test_a_session_to_come_cannot_be_moved_into_the_past(world):
    before = snapshot()
    start, end = _in(-3)
    with pytest.raises(FrozenError) as info:
        services.session_move(
            session=world.future,
            start=start,
            end=end,
            site="conte",
            room="31.1.12",
            reason="x",
            by=world.teacher,
        )
    assert info.value.message == refusal(SESSIONS_INTO_PAST_FROZEN)
    assert snapshot() == before


def test_an_open_cohort_still_changes_its_past_sessions(world):
    ProgrammeYear.objects.update(frozen_at=None)
    services.session_cancel(session=world.held, reason="Erreur de saisie", by=world.teacher)
    assert Session.objects.get(pk=world.held.pk).cancelled


# ---- Staff pages ------------------------------------------------------------------------------


def test_the_roll_page_says_why_and_saves_nothing(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-roll", kwargs={"session_id": world.held.pk})
    assert MESSAGE in client.get(url).content.decode()
    before = snapshot()
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "2000",
    }
    for i, e in enumerate(world.enrolments):
        data |= {
            f"form-{i}-enrolment": str(e.pk),
            f"form-{i}-presence": "absent",
            f"form-{i}-minutes_missed": "",
        }
    response = client.post(url, data)
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert snapshot() == before


def test_the_justify_form_says_why_and_saves_nothing(client, world):
    client.force_login(world.teacher)
    before = snapshot()
    response = client.post(
        reverse("attendance:staff-justify", kwargs={"session_id": world.held.pk}),
        {
            "justify-enrolment": world.enrolments[1].pk,
            "justify-reason": "Arrêt maladie",
            "justify-document": SimpleUploadedFile("a.pdf", PDF),
        },
    )
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert snapshot() == before


def test_moving_or_cancelling_a_session_held_says_why_and_changes_nothing(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-session-change", kwargs={"session_id": world.held.pk})
    before = snapshot()
    start, end = _in(14)
    start, end = timezone.localtime(start), timezone.localtime(end)
    move = client.post(
        url,
        {
            "action": "move",
            "move-start": start.strftime("%Y-%m-%dT%H:%M"),
            "move-end": end.strftime("%Y-%m-%dT%H:%M"),
            "move-site": "conte",
            "move-room": "31.1.12",
            "move-reason": "Travaux",
        },
    )
    assert move.status_code == 400 and MESSAGE in move.content.decode()
    cancel = client.post(url, {"action": "cancel", "cancel-reason": "Grève"})
    assert cancel.status_code == 400 and MESSAGE in cancel.content.decode()
    assert snapshot() == before


def test_cancelling_a_session_to_come_still_works_from_the_page(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-session-change", kwargs={"session_id": world.future.pk})
    assert client.post(url, {"action": "cancel", "cancel-reason": "Grève"}).status_code == 302
    assert Session.objects.get(pk=world.future.pk).cancelled


# ---- Admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _session_data(world, start: dt.datetime, **changes: str) -> dict[str, str]:
    start = timezone.localtime(start)
    end = start + dt.timedelta(hours=2)
    return {
        "ue": str(world.ue.pk),
        "key": "S9",
        "title": "",
        "kind": "cours",
        "start_0": start.strftime("%Y-%m-%d"),
        "start_1": start.strftime("%H:%M:%S"),
        "end_0": end.strftime("%Y-%m-%d"),
        "end_1": end.strftime("%H:%M:%S"),
        "site": "conte",
        "room": "31.1.12",
    } | changes


def test_the_admin_shows_a_session_held_read_only_and_refuses_changes(admin_client_, world):
    url = reverse("admin:attendance_session_change", args=[world.held.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert MESSAGE in page.content.decode() and 'name="_save"' not in page.content.decode()
    before = snapshot()
    data = _session_data(world, world.held.start, key="S1", cancelled="on")
    assert admin_client_.post(url, data).status_code == 403
    delete = reverse("admin:attendance_session_delete", args=[world.held.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert snapshot() == before


def test_the_admin_refuses_a_new_session_in_the_past_but_takes_one_to_come(admin_client_, world):
    add = reverse("admin:attendance_session_add")
    before = snapshot()
    past = admin_client_.post(add, _session_data(world, timezone.now() - dt.timedelta(days=2)))
    assert past.status_code == 200
    assert refusal(SESSIONS_INTO_PAST_FROZEN) in past.content.decode()
    assert snapshot() == before
    future = admin_client_.post(add, _session_data(world, timezone.now() + dt.timedelta(days=2)))
    assert future.status_code == 302
    assert Session.objects.filter(key="S9").exists()


def test_the_admin_refuses_to_change_delete_or_add_a_roll_line_of_a_session_held(
    admin_client_, world
):
    before = snapshot()
    url = reverse("admin:attendance_attendance_change", args=[world.absence.pk])
    assert MESSAGE in admin_client_.get(url).content.decode()
    data = {
        "session": str(world.held.pk),
        "enrolment": str(world.enrolments[0].pk),
        "presence": "present",
        "minutes_missed": "0",
        "justification_reason": "",
        "recorded_by": "",
    }
    assert admin_client_.post(url, data).status_code == 403
    delete = reverse("admin:attendance_attendance_delete", args=[world.absence.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    added = admin_client_.post(
        reverse("admin:attendance_attendance_add"),
        data | {"enrolment": str(world.enrolments[1].pk), "presence": "absent"},
    )
    assert added.status_code == 200 and MESSAGE in added.content.decode()
    assert snapshot() == before
