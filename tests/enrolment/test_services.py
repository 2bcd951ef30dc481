import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from enrolment import services
from enrolment.models import Enrolment, EnrolmentStatusChange, Payment
from enrolment.registrar_selectors import balance_of, enrolments_with_fees
from enrolment.rules import ALLOWED_TRANSITIONS, EnrolmentStatus
from tests.factories import EnrolmentFactory, ProgrammeYearFactory, RegistrarFactory, UEFactory

pytestmark = pytest.mark.django_db


def _new(number="2500001"):
    return services.NewStudent(
        number=number,
        last_name="Durand",
        first_name="Léa",
        birth_date=dt.date(1991, 3, 3),
        email=f"{number}@example.org",
    )


def test_enrolling_a_new_student_creates_account_history_and_invitation(
    django_capture_on_commit_callbacks,
):
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py)
    with django_capture_on_commit_callbacks(execute=True):
        e = services.enrolment_create(
            programme_year=py, by=None, ues=[ue], fees_due=Decimal("1200"), new_student=_new()
        )
    assert e.status == "pending"
    assert not e.student.user.has_usable_password()
    assert e.status_changes.get().to_status == "pending"
    assert len(mail.outbox) == 1 and "/compte/" in mail.outbox[0].body


def test_reusing_an_existing_profile_does_not_create_a_second_account():
    e1 = EnrolmentFactory()
    py2 = ProgrammeYearFactory(year="2025-2026")
    ue = UEFactory(programme_year=py2)
    e2 = services.enrolment_create(
        programme_year=py2, by=None, ues=[ue], fees_due=Decimal("0"), student=e1.student
    )
    assert e2.student_id == e1.student_id


@pytest.mark.parametrize(
    ("start", "target", "ok"),
    [
        ("pending", "enrolled", True),
        ("enrolled", "completed", True),
        ("enrolled", "withdrawn", True),
        ("pending", "completed", False),
        ("completed", "enrolled", False),
        ("withdrawn", "enrolled", False),
    ],
)
def test_state_machine(start, target, ok):
    e = EnrolmentFactory(status=start)
    if ok:
        services.enrolment_transition(enrolment=e, target=target, by=None, reason="motif")
        assert Enrolment.objects.get(pk=e.pk).status == target
        assert EnrolmentStatusChange.objects.filter(enrolment=e, to_status=target).exists()
    else:
        with pytest.raises(services.EnrolmentError) as exc:
            services.enrolment_transition(enrolment=e, target=target, by=None, reason="motif")
        # A final state (abandon, terminée) refuses every change; others name the transition.
        final = not ALLOWED_TRANSITIONS[EnrolmentStatus(start)]
        expected = "ne peut plus changer d'état" if final else "non autorisé"
        assert expected in exc.value.message
        assert Enrolment.objects.get(pk=e.pk).status == start


def test_transition_needs_a_reason():
    e = EnrolmentFactory(status="pending")
    with pytest.raises(services.EnrolmentError):
        services.enrolment_transition(enrolment=e, target="enrolled", by=None, reason=" ")


def test_fees_payments_and_refunds_give_the_balance():
    e = EnrolmentFactory(fees_due=Decimal("1200.00"))
    services.payment_record(
        enrolment=e, date=dt.date(2024, 10, 1), amount=Decimal("600"), means="card", by=None
    )
    services.payment_record(
        enrolment=e, date=dt.date(2024, 11, 1), amount=Decimal("700"), means="card", by=None
    )
    services.refund_record(
        enrolment=e,
        date=dt.date(2024, 12, 1),
        amount=Decimal("100"),
        means="transfer",
        reason="Trop-perçu",
        by=None,
    )
    assert Payment.objects.filter(enrolment=e, amount=Decimal("-100")).exists()
    assert balance_of(enrolments_with_fees().get(pk=e.pk)) == Decimal("0")


def test_refund_needs_a_reason_and_payment_a_positive_amount():
    e = EnrolmentFactory()
    with pytest.raises(services.EnrolmentError):
        services.refund_record(
            enrolment=e,
            date=dt.date(2024, 1, 1),
            amount=Decimal("5"),
            means="card",
            reason="",
            by=None,
        )
    with pytest.raises(services.EnrolmentError):
        services.payment_record(
            enrolment=e, date=dt.date(2024, 1, 1), amount=Decimal("-5"), means="card", by=None
        )
    assert not Payment.objects.exists()
    RegistrarFactory()


def test_the_planned_jury_date_is_set_cleared_and_logged_even_after_the_jury(caplog):
    """Informational: it stays open after a deliberation (a second session has its own)."""
    py = ProgrammeYearFactory(frozen_at=timezone.now())
    registrar = RegistrarFactory()
    with caplog.at_level("INFO", logger="enrolment.services"):
        services.programme_year_set_jury_date(
            programme_year=py, jury_planned_on=dt.date(2025, 9, 20), by=registrar
        )
    py.refresh_from_db()
    assert py.jury_planned_on == dt.date(2025, 9, 20)
    assert "planned jury date" in caplog.text and str(registrar.pk) in caplog.text
    services.programme_year_set_jury_date(programme_year=py, jury_planned_on=None, by=registrar)
    py.refresh_from_db()
    assert py.jury_planned_on is None
