"""Retention of justification files (issue 14): a cohort's files are deleted
JUSTIFICATION_RETENTION_DAYS after its latest jury, rows kept with ``purged_at``; a dry run
lists them; all or nothing per cohort; the pages say the file was deleted."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from attendance import retention as attendance_retention
from attendance import services
from attendance.models import Attendance, JustificationRequest
from certification.models import Jury
from certification.retention import justifications_purge, programme_years_due
from cnam_cs.settings import env_positive_int
from enrolment.journal import FAMILY_LABELS
from enrolment.models import AuditEntry, ProgrammeYear
from lib.formats import long_date
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    SessionFactory,
    StaffFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%justificatif\n"
JURY = dt.date(2026, 7, 1)
DUE = JURY + dt.timedelta(days=365)  # 1 July 2027
BASE = Path(__file__).resolve().parents[2]


def stored_files() -> list[Path]:
    return sorted(p for p in Path(settings.PRIVATE_STORAGE_ROOT).rglob("*") if p.is_file())


def words(response) -> str:
    return " ".join(response.content.decode().split())


def at(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def deliberated(py: ProgrammeYear, *days: dt.date) -> None:
    """The cohort's deliberations on these days (a first one, then rectificatifs), frozen."""
    for sequence, day in enumerate(days, start=1):
        Jury.objects.create(
            programme_year=py,
            sequence=sequence,
            kind="first" if sequence == 1 else "rectificatif",
            reason="" if sequence == 1 else "Correction d'une note",
            deliberated_at=at(day),
            members="Présidente : A. Martin",
        )
    ProgrammeYear.objects.filter(pk=py.pk).update(frozen_at=at(days[0]))


class World:
    pass


def with_files(year: str = "2025-2026") -> World:
    """A cohort with three justification files: one attached by the teacher, one request
    refused, one accepted (whose file is copied onto the absence): 4 files in all."""
    w = World()
    w.py = ProgrammeYearFactory(year=year)
    w.ue = UEFactory(programme_year=w.py)
    w.teacher = StaffFactory(ues=[w.ue])
    w.enrolments = [EnrolmentFactory(programme_year=w.py, ues=[w.ue]) for _ in range(2)]
    w.outsider = EnrolmentFactory(programme_year=w.py, ues=[UEFactory(programme_year=w.py)])
    w.session = SessionFactory(ue=w.ue)
    w.attached = AttendanceFactory(session=w.session, enrolment=w.enrolments[0])
    services.absence_justify(
        session=w.session,
        enrolment=w.enrolments[0],
        reason="Convocation",
        document=SimpleUploadedFile("c.pdf", PDF),
        by=w.teacher,
    )
    w.sent = AttendanceFactory(session=w.session, enrolment=w.enrolments[1])
    w.refused = services.justification_request_submit(
        attendance=w.sent, document=SimpleUploadedFile("r.pdf", PDF), comment="Malade"
    )
    services.justification_request_decide(
        request=w.refused, accept=False, reason="Illisible", by=w.teacher
    )
    w.accepted = services.justification_request_submit(
        attendance=w.sent, document=SimpleUploadedFile("a.pdf", PDF), comment="Arrêt maladie"
    )
    services.justification_request_decide(request=w.accepted, accept=True, by=w.teacher)
    return w


def purge(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return justifications_purge(**kwargs)


@pytest.fixture
def world():
    w = with_files()
    deliberated(w.py, JURY)
    assert len(stored_files()) == 4
    return w


# ---- Which cohorts ----------------------------------------------------------------------------


def test_a_year_after_the_jury_the_files_go_and_the_rows_stay(
    world, django_capture_on_commit_callbacks
):
    purged = purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False)
    assert len(purged) == 4
    assert stored_files() == []
    attached = Attendance.objects.get(pk=world.attached.pk)
    assert attached.justified
    assert attached.justification_reason == "Convocation"
    assert attached.justification_document.name == ""
    assert attached.purged_at is not None
    sent = Attendance.objects.get(pk=world.sent.pk)
    assert sent.justified
    assert sent.purged_at is not None
    refused = JustificationRequest.objects.get(pk=world.refused.pk)
    assert (refused.status, refused.refusal_reason, refused.comment) == (
        "refused",
        "Illisible",
        "Malade",
    )
    assert refused.document.name == ""
    assert refused.purged_at is not None
    accepted = JustificationRequest.objects.get(pk=world.accepted.pk)
    assert accepted.status == "accepted"
    assert accepted.purged_at is not None
    assert JustificationRequest.objects.count() == 2


def test_the_day_before_the_anniversary_nothing_is_due(world, django_capture_on_commit_callbacks):
    assert programme_years_due(today=DUE - dt.timedelta(days=1)) == []
    assert (
        purge(django_capture_on_commit_callbacks, today=DUE - dt.timedelta(days=1), dry_run=False)
        == []
    )
    assert len(stored_files()) == 4
    assert [py for py, _ in programme_years_due(today=DUE)] == [world.py]


def test_the_retention_follows_the_setting(world, settings):
    settings.JUSTIFICATION_RETENTION_DAYS = 30
    assert programme_years_due(today=JURY + dt.timedelta(days=29)) == []
    assert programme_years_due(today=JURY + dt.timedelta(days=30)) == [(world.py, at(JURY))]


def test_a_cohort_deliberated_lately_or_never_keeps_its_files(
    world, django_capture_on_commit_callbacks
):
    recent = with_files(year="2026-2027")
    deliberated(recent.py, DUE - dt.timedelta(days=10))
    with_files(year="2027-2028")  # never deliberated
    assert len(stored_files()) == 12
    purged = purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False)
    assert {f.programme_year_id for f in purged} == {world.py.pk}
    assert len(stored_files()) == 8
    assert not Attendance.objects.filter(
        session__ue__programme_year=recent.py, purged_at__isnull=False
    ).exists()
    assert not JustificationRequest.objects.exclude(
        attendance__session__ue__programme_year=world.py
    ).filter(purged_at__isnull=False)


def test_a_rectificatif_restarts_the_clock(django_capture_on_commit_callbacks):
    w = with_files()
    rectified = JURY + dt.timedelta(days=120)
    deliberated(w.py, JURY, rectified)
    assert purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False) == []
    assert len(stored_files()) == 4
    later = rectified + dt.timedelta(days=365)
    assert programme_years_due(today=later) == [(w.py, at(rectified))]
    assert len(purge(django_capture_on_commit_callbacks, today=later, dry_run=False)) == 4
    assert stored_files() == []


# ---- Dry run, idempotence, journal -------------------------------------------------------------


def test_the_dry_run_lists_the_files_and_deletes_nothing(world, django_capture_on_commit_callbacks):
    listed = purge(django_capture_on_commit_callbacks, today=DUE, dry_run=True)
    assert len(listed) == 4
    assert {f.student_number for f in listed} == {
        world.enrolments[0].student.number,
        world.enrolments[1].student.number,
    }
    assert sorted(f.sent_by_student for f in listed) == [False, False, True, True]
    assert {f.size for f in listed} == {len(PDF)}
    assert {f.programme_year for f in listed} == {str(world.py)}
    names = {str(p.relative_to(settings.PRIVATE_STORAGE_ROOT)) for p in stored_files()}
    assert {f.name for f in listed} == names
    assert len(stored_files()) == 4
    assert not Attendance.objects.filter(purged_at__isnull=False).exists()
    assert not JustificationRequest.objects.filter(purged_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(action="retention.justifications.purge").exists()


def test_a_second_run_deletes_nothing_and_writes_no_second_line(
    world, django_capture_on_commit_callbacks
):
    purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False)
    first = Attendance.objects.get(pk=world.attached.pk).purged_at
    assert purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False) == []
    assert purge(django_capture_on_commit_callbacks, today=DUE, dry_run=True) == []
    assert Attendance.objects.get(pk=world.attached.pk).purged_at == first
    assert AuditEntry.objects.filter(action="retention.justifications.purge").count() == 1


def test_each_cohort_purged_writes_one_journal_line(world, django_capture_on_commit_callbacks):
    by = RegistrarFactory()
    purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False, by=by)
    entry = AuditEntry.objects.get(action="retention.justifications.purge")
    assert entry.programme_year == world.py
    assert entry.by == by
    assert entry.summary == (
        f"4 justificatif(s) d'absence supprimé(s) (durée de conservation) : {world.py}"
    )
    assert FAMILY_LABELS["retention"] == "Conservation"


# ---- All or nothing, and the order -------------------------------------------------------------


def test_a_failure_in_the_transaction_deletes_no_file(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def fail(**kwargs):
        raise RuntimeError("journal indisponible")

    monkeypatch.setattr(attendance_retention.audit, "record", fail)
    with (
        pytest.raises(RuntimeError, match="journal indisponible"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        justifications_purge(today=DUE, dry_run=False)
    assert callbacks == []
    assert len(stored_files()) == 4
    assert not Attendance.objects.filter(purged_at__isnull=False).exists()
    assert not JustificationRequest.objects.filter(purged_at__isnull=False).exists()
    assert Attendance.objects.get(pk=world.attached.pk).justification_document.name != ""


def test_an_interrupted_run_is_finished_by_the_next(world, django_capture_on_commit_callbacks):
    # The commit happened, the process died before deleting the files.
    with django_capture_on_commit_callbacks(execute=False):
        justifications_purge(today=DUE, dry_run=False)
    assert len(stored_files()) == 4
    assert Attendance.objects.get(pk=world.attached.pk).purged_at is not None
    out = io.StringIO()
    call_command("purge_justifications", "--now", DUE.isoformat(), stdout=out)
    assert "4 fichier(s) d'une exécution interrompue supprimé(s)." in out.getvalue()
    assert stored_files() == []
    assert not Attendance.objects.exclude(justification_document="").exists()
    assert not JustificationRequest.objects.exclude(document="").exists()


def test_a_file_attached_after_the_purge_is_kept(django_capture_on_commit_callbacks):
    # A session still to come stays open after the jury: a new file may be attached to it
    # between the purge's commit and the deletion of the old files.
    w = World()
    w.ue = UEFactory()
    w.teacher = StaffFactory(ues=[w.ue])
    w.enrolments = [EnrolmentFactory(programme_year=w.ue.programme_year, ues=[w.ue])]
    future = SessionFactory(ue=w.ue, start=timezone.now() + dt.timedelta(days=3))
    services.absence_justify(
        session=future,
        enrolment=w.enrolments[0],
        reason="Convocation",
        document=SimpleUploadedFile("c.pdf", PDF),
        by=w.teacher,
    )
    deliberated(w.ue.programme_year, JURY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        justifications_purge(today=DUE, dry_run=False)
    services.absence_justify(
        session=future,
        enrolment=w.enrolments[0],
        reason="Nouvelle convocation",
        document=SimpleUploadedFile("n.pdf", b"%PDF-1.4\n%nouveau\n"),
        by=w.teacher,
    )
    for callback in callbacks:
        callback()
    attendance = Attendance.objects.get()
    assert attendance.purged_at is None
    assert attendance.justification_document.read() == b"%PDF-1.4\n%nouveau\n"


def test_a_purged_request_can_no_longer_be_decided():
    attendance = AttendanceFactory()
    teacher = StaffFactory(ues=[attendance.session.ue])
    item = services.justification_request_submit(
        attendance=attendance, document=SimpleUploadedFile("a.pdf", PDF), comment=""
    )
    JustificationRequest.objects.filter(pk=item.pk).update(purged_at=timezone.now(), document="")
    with pytest.raises(ValidationError, match="supprimé"):
        services.justification_request_decide(request=item, accept=True, by=teacher)
    assert JustificationRequest.objects.get().status == "pending"


# ---- The command -------------------------------------------------------------------------------


def test_the_command_dry_run_lists_and_keeps(world):
    out = io.StringIO()
    call_command("purge_justifications", "--dry-run", "--now", DUE.isoformat(), stdout=out)
    text = out.getvalue()
    assert "Simulation (rien n’est supprimé) au 1er juillet 2027" in text
    assert f"{world.py} (dernier jury le 1er juillet 2026)" in text
    assert world.enrolments[0].student.number in text
    assert f"séance du {long_date(world.session.start)}" in text
    for path in stored_files():
        assert str(path.relative_to(settings.PRIVATE_STORAGE_ROOT)) in text
    assert "Total : 4 fichier(s) à supprimer, 92 octets, 1 promotion(s)." in text
    assert len(stored_files()) == 4


def test_the_command_deletes_then_finds_nothing(world, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_justifications", "--now", DUE.isoformat(), stdout=out)
    assert "Total : 4 fichier(s) supprimé(s), 92 octets, 1 promotion(s)." in out.getvalue()
    assert stored_files() == []
    again = io.StringIO()
    call_command("purge_justifications", "--now", DUE.isoformat(), stdout=again)
    assert again.getvalue().endswith("Aucun justificatif à supprimer.\n")


def test_the_command_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="--now attend une date AAAA-MM-JJ"):
        call_command("purge_justifications", "--now", "30/11/2027")


# ---- The pages ---------------------------------------------------------------------------------


@pytest.fixture
def purged(world, django_capture_on_commit_callbacks):
    purge(django_capture_on_commit_callbacks, today=DUE, dry_run=False)
    world.mention = f"justificatif supprimé le {long_date(timezone.now())} (durée de conservation)"
    return world


def test_the_roll_shows_the_mention_instead_of_the_link(client, purged):
    client.force_login(purged.teacher)
    page = words(client.get(reverse("attendance:staff-roll", args=[purged.session.pk])))
    assert page.count(purged.mention) == 2
    assert reverse("attendance:justification-document", args=[purged.attached.pk]) not in page


def test_the_student_pages_show_the_mention(client, purged):
    client.force_login(purged.enrolments[1].student.user)
    page = words(client.get(reverse("attendance:student-attendance")))
    assert purged.mention in page
    assert reverse("attendance:justification-document", args=[purged.sent.pk]) not in page
    history = words(client.get(reverse("attendance:student-justify", args=[purged.sent.pk])))
    assert history.count(purged.mention) == 2
    assert "/fichier/" not in history


def test_the_review_page_shows_the_mention(client, purged):
    client.force_login(RegistrarFactory())
    page = words(client.get(reverse("attendance:justification-review", args=[purged.accepted.pk])))
    assert page.count(purged.mention) == 2  # this request and the refused one before it
    assert "/fichier/" not in page


@pytest.mark.parametrize(
    ("name", "attr"),
    [
        ("attendance:justification-document", "attached"),
        ("attendance:justification-request-document", "refused"),
    ],
)
def test_a_purged_file_answers_410_in_french(client, purged, name, attr):
    client.force_login(purged.teacher)
    response = client.get(reverse(name, args=[getattr(purged, attr).pk]))
    assert response.status_code == 410
    text = words(response)
    assert f"Ce justificatif a été supprimé le {long_date(timezone.now())}" in text
    assert "la durée de conservation des justificatifs après le jury est écoulée" in text


def test_a_purged_file_stays_hidden_from_others(client, purged):
    client.force_login(purged.outsider.student.user)
    url = reverse("attendance:justification-document", args=[purged.attached.pk])
    assert client.get(url).status_code == 404


def test_the_admin_shows_the_mention(client, purged):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for url in (
        reverse("admin:attendance_attendance_change", args=[purged.attached.pk]),
        reverse("admin:attendance_justificationrequest_change", args=[purged.refused.pk]),
    ):
        assert purged.mention in words(client.get(url))


# ---- The setting --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-30", "un an", "1.5"])
def test_the_setting_refuses_anything_but_a_positive_number(monkeypatch, value):
    monkeypatch.setenv("DJANGO_JUSTIFICATION_RETENTION_DAYS", value)
    with pytest.raises(
        RuntimeError,
        match="DJANGO_JUSTIFICATION_RETENTION_DAYS doit être un nombre entier supérieur à 0",
    ):
        env_positive_int("DJANGO_JUSTIFICATION_RETENTION_DAYS", 365)


def test_the_setting_defaults_to_a_year(monkeypatch):
    monkeypatch.delenv("DJANGO_JUSTIFICATION_RETENTION_DAYS", raising=False)
    assert env_positive_int("DJANGO_JUSTIFICATION_RETENTION_DAYS", 365) == 365
    monkeypatch.setenv("DJANGO_JUSTIFICATION_RETENTION_DAYS", " 730 ")
    assert env_positive_int("DJANGO_JUSTIFICATION_RETENTION_DAYS", 365) == 730


def test_the_portal_does_not_start_with_a_retention_of_zero():
    env = {**os.environ, "DJANGO_JUSTIFICATION_RETENTION_DAYS": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_JUSTIFICATION_RETENTION_DAYS doit être un nombre entier supérieur à 0" in (
        result.stderr
    )
