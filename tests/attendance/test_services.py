"""Attendance services: absence thresholds e-mailed once each, justified absences."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from attendance import services
from attendance.selectors import absence_rates
from tests.factories import SessionFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


def test_crossing_15_then_20_percent_emails_once_per_threshold(django_capture_on_commit_callbacks):
    world = make_world(1)
    e0 = world.enrolments[0]
    start = timezone.now() - dt.timedelta(days=30)
    # 10 sessions of 60 min: 1 absence = 10 %, 2 = 20 % (not above), 3 = 30 %.
    sessions = [
        SessionFactory(
            ue=world.ue,
            start=start + dt.timedelta(days=i),
            end=start + dt.timedelta(days=i, hours=1),
        )
        for i in range(10)
    ]

    def absent(session):
        with django_capture_on_commit_callbacks(execute=True):
            services.roll_record(
                session=session,
                entries=[services.RollEntry(enrolment_id=e0.pk, presence="absent")],
                by=world.teacher,
            )

    absent(sessions[0])
    assert mail.outbox == []
    absent(sessions[1])
    assert len(mail.outbox) == 1 and "20,00" in mail.outbox[0].body
    absent(sessions[1])  # the same roll again: nothing new
    assert len(mail.outbox) == 1
    absent(sessions[2])
    assert len(mail.outbox) == 2 and "défaillant" in mail.outbox[1].body
    absent(sessions[3])
    assert len(mail.outbox) == 2
    assert absence_rates([e0])[e0.pk].rate == 40


def test_a_cancelled_session_no_longer_counts_in_the_rate():
    world = make_world(1)
    e0 = world.enrolments[0]
    start = timezone.now() - dt.timedelta(days=3)
    s1 = SessionFactory(ue=world.ue, start=start, end=start + dt.timedelta(hours=1))
    SessionFactory(
        ue=world.ue, start=start + dt.timedelta(days=1), end=start + dt.timedelta(days=1, hours=1)
    )
    services.roll_record(
        session=s1,
        entries=[services.RollEntry(enrolment_id=e0.pk, presence="absent")],
        by=world.teacher,
    )
    assert absence_rates([e0])[e0.pk].rate == 50
    services.session_cancel(session=s1, reason="Grève", by=world.teacher)
    assert absence_rates([e0])[e0.pk].rate == 0
