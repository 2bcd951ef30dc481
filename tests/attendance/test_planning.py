"""The registrar's planning: sessions created one by one or as a weekly series, clashes, edits,
moves and cancellations (students e-mailed), the jury freeze, the journal and who may see it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services
from attendance.models import Session, SessionChange
from attendance.services import SeriesPlan, paris_datetime
from enrolment.freeze import SESSIONS_INTO_PAST_FROZEN, FrozenError, refusal
from enrolment.models import AuditEntry, ProgrammeYear
from tests.factories import (
    ProgrammeYearFactory,
    RegistrarFactory,
    SessionFactory,
    StaffFactory,
    UEFactory,
)
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def next_monday(weeks: int = 1) -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)


@pytest.fixture
def world():
    w = make_world(2)
    w.registrar = RegistrarFactory()
    w.monday = next_monday(2)
    return w


def snapshot() -> dict[str, list[dict[str, object]]]:
    return {
        "sessions": list(Session.objects.order_by("pk").values()),
        "teachers": list(Session.teachers.through.objects.order_by("pk").values()),
        "changes": list(SessionChange.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


def create(world, **kwargs):
    day = kwargs.pop("day", world.monday)
    values = {
        "ue": world.ue,
        "kind": Session.Kind.COURS,
        "start": paris_datetime(day, dt.time(18)),
        "end": paris_datetime(day, dt.time(20)),
        "site": "conte",
        "room": "31.1.12",
        "by": world.registrar,
        **kwargs,
    }
    return services.session_create(**values)


def series(world, **kwargs):
    plan = kwargs.pop(
        "plan",
        SeriesPlan(
            first=world.monday,
            last=world.monday + dt.timedelta(weeks=4),
            start_time=dt.time(18),
            end_time=dt.time(20),
            exceptions=(world.monday + dt.timedelta(weeks=2),),
        ),
    )
    values = {
        "ue": world.ue,
        "kind": Session.Kind.COURS,
        "plan": plan,
        "site": "conte",
        "room": "31.1.12",
        "by": world.registrar,
        **kwargs,
    }
    return services.session_series_create(**values)


# ---- One session ----------------------------------------------------------------------------


def test_a_session_is_created_with_its_teachers_a_new_key_and_a_journal_line(world):
    SessionFactory(ue=world.other_ue, key="S07")  # keys run on within the year
    session = create(world, title="Les modèles de l'ESS", teachers=[world.teacher], room="31.1.12")
    assert session.key == "S08"
    assert list(session.teachers.all()) == [world.teacher]
    assert timezone.localtime(session.start).hour == 18
    [line] = AuditEntry.objects.all()
    assert line.action == "planning.session.create"
    assert line.by == world.registrar
    assert line.programme_year_id == world.ue.programme_year_id
    assert f"{world.ue.code} S08" in line.summary


def test_the_room_code_is_stored_as_the_rules_write_it(world):
    assert create(world, room="05.1.12", site="saint-martin").room == "5.1.12"


@pytest.mark.parametrize(
    ("site", "room", "message"),
    [
        ("conte", "21.2.32", "L'accès 21 n'appartient pas au site Conté (accès 30 à 39)."),
        ("conte", "salle 12", "Code de salle « salle 12 » invalide"),
        ("conte", "", "Le code de salle est obligatoire."),
    ],
)
def test_a_room_not_of_its_site_is_refused_and_nothing_written(world, site, room, message):
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        create(world, site=site, room=room)
    assert message in info.value.message_dict["room"][0]
    assert snapshot() == before


def test_an_end_before_the_start_is_refused(world):
    start = paris_datetime(world.monday, dt.time(18))
    with pytest.raises(ValidationError) as info:
        create(world, start=start, end=start)
    assert info.value.message_dict["end"] == ["La fin doit suivre le début."]
    assert not Session.objects.exists()


def test_a_teacher_not_assigned_to_the_ue_is_refused(world):
    with pytest.raises(ValidationError) as info:
        create(world, teachers=[world.teacher, world.other_teacher])
    assert "n'enseigne pas l'UE RSV201" in info.value.message_dict["teachers"][0]
    assert not Session.objects.exists()
    assert not AuditEntry.objects.exists()


def test_only_an_exam_is_a_makeup(world):
    with pytest.raises(ValidationError) as info:
        create(world, kind=Session.Kind.COURS, makeup=True)
    assert info.value.message_dict["makeup"] == ["Seul un examen peut être un rattrapage."]
    exam = create(world, kind=Session.Kind.EXAMEN, makeup=True)
    assert exam.makeup is True


def test_no_session_in_the_past_of_a_deliberated_cohort(world):
    ProgrammeYear.objects.filter(pk=world.ue.programme_year_id).update(frozen_at=timezone.now())
    before = snapshot()
    with pytest.raises(FrozenError) as info:
        create(world, day=timezone.localdate() - dt.timedelta(days=3))
    assert info.value.message == refusal(SESSIONS_INTO_PAST_FROZEN)
    assert snapshot() == before
    assert create(world).pk is not None  # a session to come stays possible


# ---- Weekly series -------------------------------------------------------------------------


def test_a_series_skips_its_exceptions_and_writes_one_journal_line(world):
    sessions = series(world, teachers=[world.teacher], title="Cours")
    days = [timezone.localdate(s.start) for s in sessions]
    assert days == [world.monday + dt.timedelta(weeks=n) for n in (0, 1, 3, 4)]
    assert [s.key for s in sessions] == ["S01", "S02", "S03", "S04"]
    assert {timezone.localtime(s.start).time() for s in sessions} == {dt.time(18)}
    assert all(list(s.teachers.all()) == [world.teacher] for s in sessions)
    [line] = AuditEntry.objects.all()
    assert line.action == "planning.series.create"
    assert "Série de 4 séances RSV201" in line.summary
    assert (world.monday + dt.timedelta(weeks=2)).strftime("sauf le %d/%m/%Y") in line.summary


def test_a_series_keeps_the_paris_time_across_the_change_to_winter_time():
    w = make_world(1)
    registrar = RegistrarFactory()
    plan = SeriesPlan(
        first=dt.date(2030, 10, 21),
        last=dt.date(2030, 11, 4),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    sessions = services.session_series_create(
        ue=w.ue, kind="cours", plan=plan, site="conte", room="31.1.12", by=registrar
    )
    assert [s.start.astimezone(PARIS).hour for s in sessions] == [9, 9, 9]
    assert sessions[0].start.astimezone(dt.UTC).hour == 7  # summer time
    assert sessions[2].start.astimezone(dt.UTC).hour == 8  # winter time


def test_an_exception_that_is_not_a_day_of_the_series_is_refused(world):
    plan = SeriesPlan(
        first=world.monday,
        last=world.monday + dt.timedelta(weeks=2),
        start_time=dt.time(18),
        end_time=dt.time(20),
        exceptions=(world.monday + dt.timedelta(days=1),),
    )
    with pytest.raises(ValidationError) as info:
        series(world, plan=plan)
    assert "ne sont pas des jours de la série" in info.value.message_dict["exceptions"][0]
    assert not Session.objects.exists()


def test_a_bad_room_refuses_the_whole_series(world):
    before = snapshot()
    with pytest.raises(ValidationError):
        series(world, room="61.0.01")
    assert snapshot() == before


def test_a_series_crossing_into_the_past_of_a_deliberated_cohort_creates_nothing(world):
    ProgrammeYear.objects.filter(pk=world.ue.programme_year_id).update(frozen_at=timezone.now())
    plan = SeriesPlan(
        first=timezone.localdate() - dt.timedelta(weeks=1),
        last=timezone.localdate() + dt.timedelta(weeks=3),
        start_time=dt.time(0, 1),
        end_time=dt.time(0, 2),
    )
    before = snapshot()
    with pytest.raises(FrozenError):
        series(world, plan=plan)
    assert snapshot() == before


def test_the_preview_check_refuses_what_the_series_would_refuse_without_writing(world):
    plan = SeriesPlan(
        first=world.monday, last=world.monday, start_time=dt.time(9), end_time=dt.time(10)
    )
    arguments = {"ue": world.ue, "kind": "cours", "plan": plan, "site": "conte"}
    assert services.session_series_check(**arguments, room="31.1.12").days == (world.monday,)
    with pytest.raises(ValidationError):
        services.session_series_check(**arguments, room="31.1.12", teachers=[world.other_teacher])
    assert not Session.objects.exists()


# ---- Clashes --------------------------------------------------------------------------------


def _week(world):
    return selectors.week_bounds(world.monday)


def test_two_sessions_in_one_room_at_once_clash_even_across_ues(world):
    a = create(world)
    b = create(world, ue=world.other_ue, start=a.start + dt.timedelta(hours=1), end=a.end)
    start, end = _week(world)
    clashes, _ = selectors.planning_clashes(start=start, end=end)
    assert [c.other(a.pk).ref for c in clashes[a.pk]] == [b.pk]
    assert clashes[a.pk][0].same_room is True


def test_one_teacher_in_two_rooms_at_once_is_a_clash(world):
    a = create(world, teachers=[world.teacher])
    b = create(world, room="33.0.05", teachers=[world.teacher])
    c = create(world, room="35.2.14")  # another room, no teacher in common
    start, end = _week(world)
    clashes, _ = selectors.planning_clashes(start=start, end=end)
    [clash] = clashes[a.pk]
    assert clash.other(a.pk).ref == b.pk
    assert clash.same_room is False
    assert clash.teachers == frozenset({world.teacher.pk})
    assert c.pk not in clashes


def test_a_cancelled_session_is_no_clash(world):
    a = create(world)
    b = create(world)
    services.session_cancel(session=b, reason="Grève", by=world.registrar)
    start, end = _week(world)
    clashes, _ = selectors.planning_clashes(start=start, end=end)
    assert a.pk not in clashes


# ---- Edit, move, cancel ---------------------------------------------------------------------


def test_editing_changes_what_the_session_is_with_a_journal_line(world):
    session = create(world)
    changed = services.session_edit(
        session=session,
        title="Examen final",
        kind=Session.Kind.EXAMEN,
        makeup=True,
        teachers=[world.teacher],
        by=world.registrar,
    )
    session.refresh_from_db()
    assert changed is True
    assert (session.title, session.kind, session.makeup) == ("Examen final", "examen", True)
    assert list(session.teachers.all()) == [world.teacher]
    assert AuditEntry.objects.filter(action="planning.session.edit").count() == 1


def test_an_edit_that_changes_nothing_writes_nothing(world):
    session = create(world)
    assert not services.session_edit(
        session=session, title="", kind="cours", makeup=False, teachers=[], by=world.registrar
    )
    assert AuditEntry.objects.filter(action="planning.session.edit").count() == 0


def test_moving_refuses_a_room_of_another_site(world):
    session = create(world)
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        services.session_move(
            session=session,
            start=session.start,
            end=session.end,
            site="jeunes",
            room="31.1.12",
            reason="Travaux",
            by=world.registrar,
        )
    assert "n'appartient pas au site Jeunes" in info.value.message_dict["room"][0]
    assert snapshot() == before


def test_a_cancelled_session_cannot_be_cancelled_again(world):
    session = create(world)
    services.session_cancel(session=session, reason="Grève", by=world.registrar)
    with pytest.raises(ValidationError) as info:
        services.session_cancel(session=session, reason="Grève", by=world.registrar)
    assert info.value.messages == ["Cette séance est déjà annulée."]
    assert SessionChange.objects.count() == 1


# ---- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def registrar_client(client, world):
    client.force_login(world.registrar)
    return client


def week_param(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


PAGES = [
    ("attendance:registrar-planning", False),
    ("attendance:registrar-session-new", False),
    ("attendance:registrar-session-series", False),
    ("attendance:registrar-session", True),
]


@pytest.mark.parametrize(("name", "with_session"), PAGES)
def test_only_the_registrar_reaches_the_planning_pages(client, world, name, with_session):
    session = create(world)
    url = reverse(name, args=[session.pk] if with_session else [])
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(world.teacher)
    assert client.get(url).status_code == 403
    client.logout()
    client.force_login(world.enrolments[0].student.user)
    assert client.get(url).status_code == 403
    client.logout()
    client.force_login(world.registrar)
    assert client.get(url).status_code == 200


def test_a_teacher_cannot_post_a_session(client, world):
    client.force_login(world.teacher)
    response = client.post(reverse("attendance:registrar-session-new"), {"ue": world.ue.pk})
    assert response.status_code == 403
    assert not Session.objects.exists()


def test_the_week_view_flags_clashes_in_text_and_strikes_cancelled_sessions(
    registrar_client, world
):
    a = create(world, teachers=[world.teacher], title="Séance A")
    create(world, title="Séance B")
    cancelled = create(world, title="Séance annulée", room="35.2.14")
    services.session_cancel(session=cancelled, reason="Grève", by=world.registrar)
    response = registrar_client.get(
        reverse("attendance:registrar-planning"), {"semaine": week_param(world.monday)}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 conflit cette semaine" in body
    assert body.count("même salle 31.1.12") == 2  # said on both sessions
    assert "planning-cancelled" in body
    assert "accès 31, 1er étage, salle 12" in body
    assert reverse("attendance:registrar-session", args=[a.pk]) in body
    assert world.teacher.get_full_name() in body


def test_the_week_view_filters_by_promotion_but_still_sees_clashes_of_other_ones(
    registrar_client, world
):
    other_ue = UEFactory(programme_year=ProgrammeYearFactory(year="2025-2026"), code="RSV206")
    create(world, title="Cours de la promotion")
    create(world, ue=other_ue, title="Cours d'une autre promotion")
    response = registrar_client.get(
        reverse("attendance:registrar-planning"),
        {"semaine": week_param(world.monday), "promotion": world.ue.programme_year_id},
    )
    body = response.content.decode()
    assert "Cours de la promotion" in body
    assert "Cours d&#x27;une autre promotion" not in body
    assert "1 conflit cette semaine" in body


def test_an_unknown_week_falls_back_to_this_week(registrar_client):
    response = registrar_client.get(
        reverse("attendance:registrar-planning"), {"semaine": "2025-W99"}
    )
    assert response.status_code == 200
    assert "Semaine inconnue" in response.content.decode()


def _session_post(world, **overrides):
    return {
        "ue": world.ue.pk,
        "title": "Introduction",
        "kind": "cours",
        "day": world.monday.isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "site": "conte",
        "room": "31.1.12",
        "teachers": [world.teacher.pk],
        **overrides,
    }


def test_the_registrar_creates_a_session_from_the_form(registrar_client, world):
    response = registrar_client.post(
        reverse("attendance:registrar-session-new"), _session_post(world)
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:registrar-session", args=[session.pk])
    assert timezone.localtime(session.start) == paris_datetime(world.monday, dt.time(18))
    assert list(session.teachers.all()) == [world.teacher]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"room": "21.2.32"}, "room", "L&#x27;accès 21 n&#x27;appartient pas au site Conté"),
        (
            {"end_time": "17:00"},
            "end_time",
            "L&#x27;heure de fin doit suivre l&#x27;heure de début.",
        ),
        ({"day": "31/02/2026"}, "day", "Saisissez une date valide"),
        ({"kind": "cours", "makeup": "on"}, "makeup", "Seul un examen peut être un rattrapage."),
    ],
)
def test_a_bad_session_form_says_why_and_creates_nothing(
    registrar_client, world, overrides, field, message
):
    response = registrar_client.post(
        reverse("attendance:registrar-session-new"), _session_post(world, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Session.objects.exists()


def test_a_teacher_of_another_ue_is_refused_by_the_form(registrar_client, world):
    response = registrar_client.post(
        reverse("attendance:registrar-session-new"),
        _session_post(world, teachers=[world.other_teacher.pk]),
    )
    assert response.status_code == 400
    assert "n&#x27;enseigne pas l&#x27;UE RSV201" in response.content.decode()
    assert not Session.objects.exists()


def _series_post(world, **overrides):
    return {
        "ue": world.ue.pk,
        "title": "",
        "kind": "cours",
        "first_day": world.monday.isoformat(),
        "last_day": (world.monday + dt.timedelta(weeks=3)).isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "exceptions": (world.monday + dt.timedelta(weeks=1)).strftime("%d/%m/%Y"),
        "site": "conte",
        "room": "31.1.12",
        "teachers": [world.teacher.pk],
        **overrides,
    }


def test_a_series_is_previewed_then_created_on_confirmation(registrar_client, world):
    create(world, ue=world.other_ue, title="Déjà là")  # clashes with the first date
    url = reverse("attendance:registrar-session-series")
    preview = registrar_client.post(url, {**_series_post(world), "action": "preview"})
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Aperçu : 3 séances" in body
    assert "1 séance en conflit" in body
    assert "Créer les 3 séances" in body
    assert Session.objects.count() == 1
    digest = preview.context["digest"]
    done = registrar_client.post(
        url, {**_series_post(world), "action": "confirm", "digest": digest}
    )
    assert done.status_code == 302
    assert Session.objects.filter(ue=world.ue).count() == 3
    assert AuditEntry.objects.filter(action="planning.series.create").count() == 1


def test_confirming_something_else_than_the_preview_shows_a_new_preview(registrar_client, world):
    url = reverse("attendance:registrar-session-series")
    preview = registrar_client.post(url, {**_series_post(world), "action": "preview"})
    changed = {**_series_post(world, start_time="17:00"), "action": "confirm"}
    response = registrar_client.post(url, {**changed, "digest": preview.context["digest"]})
    assert response.status_code == 200
    assert "Le formulaire a changé depuis l&#x27;aperçu" in response.content.decode()
    assert not Session.objects.exists()


def test_a_series_with_a_bad_exception_date_is_refused(registrar_client, world):
    url = reverse("attendance:registrar-session-series")
    response = registrar_client.post(
        url, {**_series_post(world, exceptions="32/10/2025"), "action": "preview"}
    )
    assert response.status_code == 400
    assert "« 32/10/2025 » n&#x27;est pas une date" in response.content.decode()


def test_moving_from_the_session_page_emails_the_students(
    registrar_client, world, django_capture_on_commit_callbacks
):
    session = create(world)
    url = reverse("attendance:registrar-session", args=[session.pk])
    new_day = world.monday + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = registrar_client.post(
            url,
            {
                "action": "move",
                "move-day": new_day.isoformat(),
                "move-start_time": "14:00",
                "move-end_time": "16:30",
                "move-site": "saint-martin",
                "move-room": "21.2.32",
                "move-reason": "Salle indisponible",
            },
        )
    assert response.status_code == 302
    session.refresh_from_db()
    assert timezone.localtime(session.start) == paris_datetime(new_day, dt.time(14))
    assert (session.site, session.room) == ("saint-martin", "21.2.32")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        e.student.user.email for e in world.enrolments
    )
    assert AuditEntry.objects.filter(action="planning.session.move").count() == 1


def test_cancelling_from_the_session_page_emails_the_students(
    registrar_client, world, django_capture_on_commit_callbacks
):
    session = create(world)
    url = reverse("attendance:registrar-session", args=[session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = registrar_client.post(
            url, {"action": "cancel", "cancel-reason": "Grève des transports"}
        )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.cancelled is True
    assert len(mail.outbox) == len(world.enrolments)
    assert "Grève des transports" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="planning.session.cancel").count() == 1


def test_a_bad_move_changes_nothing_and_sends_nothing(
    registrar_client, world, django_capture_on_commit_callbacks
):
    session = create(world)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = registrar_client.post(
            reverse("attendance:registrar-session", args=[session.pk]),
            {
                "action": "move",
                "move-day": world.monday.isoformat(),
                "move-start_time": "14:00",
                "move-end_time": "13:00",
                "move-site": "conte",
                "move-room": "31.1.12",
                "move-reason": "x",
            },
        )
    assert response.status_code == 400
    assert snapshot() == before
    assert mail.outbox == []


def test_editing_from_the_session_page_sets_the_teachers(registrar_client, world):
    session = create(world)
    co_teacher = StaffFactory(ues=[world.ue])
    response = registrar_client.post(
        reverse("attendance:registrar-session", args=[session.pk]),
        {
            "action": "edit",
            "edit-title": "Atelier",
            "edit-kind": "seminaire",
            "edit-teachers": [world.teacher.pk, co_teacher.pk],
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.kind == "seminaire"
    assert set(session.teachers.all()) == {world.teacher, co_teacher}


def test_the_session_page_offers_only_the_ue_teachers(registrar_client, world):
    session = create(world)
    response = registrar_client.post(
        reverse("attendance:registrar-session", args=[session.pk]),
        {"action": "edit", "edit-kind": "cours", "edit-teachers": [world.other_teacher.pk]},
    )
    assert response.status_code == 400
    assert not session.teachers.exists()


def test_the_week_view_reads_a_fixed_number_of_queries(
    registrar_client, world, django_assert_max_num_queries
):
    url = reverse("attendance:registrar-planning")
    params = {"semaine": week_param(world.monday)}
    create(world, teachers=[world.teacher])
    registrar_client.get(url, params)  # sessions, roles and caches warmed
    with django_assert_max_num_queries(12) as few:
        registrar_client.get(url, params)
    for hour in range(8, 20):
        day = world.monday + dt.timedelta(days=hour % 5)
        create(
            world,
            start=paris_datetime(day, dt.time(hour)),
            end=paris_datetime(day, dt.time(hour, 30)),
            teachers=[world.teacher],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        registrar_client.get(url, params)


def test_the_session_page_links_to_its_signing_sheet(registrar_client, world):
    session = create(world)
    page = registrar_client.get(reverse("attendance:registrar-session", args=[session.pk]))
    sheet = reverse("attendance:session-signing-sheet", args=[session.pk])
    assert f'href="{sheet}">Feuille d\'émargement (PDF)</a>' in page.content.decode()
