"""RULES.md §7b: once the jury has deliberated, the UE of an enrolment (and the cohort's set of
enrolments) no longer change — services, registrar pages, admin. Status, fees, payments and
contact data stay open."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment import services
from enrolment.freeze import ENROLMENTS_FROZEN, UES_FROZEN, FrozenError, refusal
from enrolment.models import UE, Enrolment, EnrolmentStatusChange, ProgrammeYear, StudentProfile
from enrolment.profile import profile_update
from tests.factories import (
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UES_MESSAGE = refusal(UES_FROZEN)
ENROLMENTS_MESSAGE = refusal(ENROLMENTS_FROZEN)


def freeze(programme_year: ProgrammeYear) -> None:
    ProgrammeYear.objects.filter(pk=programme_year.pk).update(frozen_at=timezone.now())


def ue_sets() -> list[tuple[int, int]]:
    return sorted(Enrolment.ues.through.objects.values_list("enrolment_id", "ue_id"))


def rows() -> dict[str, list[dict[str, object]]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Enrolment, StudentProfile, EnrolmentStatusChange)
    } | {"ues": ue_sets()}


def shown(message: str, response) -> bool:
    return html.escape(message) in response.content.decode()


@pytest.fixture
def frozen():
    py = ProgrammeYearFactory()
    first, second = UEFactory(programme_year=py), UEFactory(programme_year=py)
    enrolment = EnrolmentFactory(programme_year=py, ues=[first], fees_due=Decimal("1200.00"))
    freeze(py)
    enrolment.refresh_from_db()
    return enrolment, first, second


# ---- Services ---------------------------------------------------------------------------------


def test_the_ue_of_a_frozen_enrolment_cannot_change(frozen):
    enrolment, first, second = frozen
    before = rows()
    with pytest.raises(FrozenError) as info:
        services.enrolment_set_ues(enrolment=enrolment, ues=[first, second])
    assert info.value.message == UES_MESSAGE
    with pytest.raises(FrozenError):
        services.enrolment_set_ues(enrolment=enrolment, ues=[second])
    assert rows() == before


def test_setting_the_same_ue_again_is_no_change_and_is_accepted(frozen):
    enrolment, first, _ = frozen
    services.enrolment_set_ues(enrolment=enrolment, ues=[first])
    assert list(enrolment.ues.all()) == [first]


def test_no_student_can_be_enrolled_in_a_frozen_cohort(frozen):
    enrolment, first, _ = frozen
    before = rows()
    with pytest.raises(FrozenError) as info:
        services.enrolment_create(
            programme_year=enrolment.programme_year,
            by=None,
            ues=[first],
            fees_due=Decimal("0"),
            new_student=services.NewStudent(
                number="2599999",
                last_name="Tardif",
                first_name="Léo",
                birth_date=dt.date(1990, 1, 1),
                email="tardif@example.org",
            ),
        )
    assert info.value.message == ENROLMENTS_MESSAGE
    assert rows() == before


def test_status_fees_payments_and_contact_data_stay_open(frozen):
    enrolment, first, _ = frozen
    services.fees_set(enrolment=enrolment, fees_due=Decimal("900.00"), by=None)
    services.payment_record(
        enrolment=enrolment, date=dt.date(2025, 7, 1), amount=Decimal("900"), means="card", by=None
    )
    services.refund_record(
        enrolment=enrolment,
        date=dt.date(2025, 7, 2),
        amount=Decimal("10"),
        means="card",
        reason="Trop-perçu",
        by=None,
    )
    services.enrolment_transition(
        enrolment=enrolment, target="completed", by=None, reason="Fin de formation"
    )
    profile_update(student=enrolment.student, email="nouvelle@example.org", phone="0611")
    enrolment.refresh_from_db()
    assert enrolment.fees_due == Decimal("900.00")
    assert sorted(p.amount for p in enrolment.payments.all()) == [Decimal("-10"), Decimal("900")]
    assert enrolment.status == "completed"
    assert StudentProfile.objects.get(pk=enrolment.student.pk).phone == "0611"
    assert list(enrolment.ues.all()) == [first]


def test_an_open_cohort_still_changes_ue_and_takes_enrolments(frozen):
    py = ProgrammeYearFactory(year="2025-2026")
    ue = UEFactory(programme_year=py)
    enrolment = EnrolmentFactory(programme_year=py, ues=[])
    services.enrolment_set_ues(enrolment=enrolment, ues=[ue])
    assert list(enrolment.ues.all()) == [ue]


# ---- Registrar pages --------------------------------------------------------------------------


def test_the_registrar_changing_the_ue_reads_why_and_nothing_changes(client, frozen):
    enrolment, first, second = frozen
    client.force_login(RegistrarFactory())
    before = rows()
    response = client.post(
        reverse("enrolment:registrar-enrolment-ues", args=[enrolment.pk]),
        {"ue-ues": [first.pk, second.pk]},
    )
    assert response.status_code == 400
    assert shown(UES_MESSAGE, response)
    assert rows() == before


def test_the_registrar_enrolling_in_a_frozen_cohort_reads_why(client, frozen):
    enrolment, first, _ = frozen
    client.force_login(RegistrarFactory())
    before = rows()
    response = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": enrolment.programme_year.pk,
            "number": "2599999",
            "last_name": "Tardif",
            "first_name": "Léo",
            "birth_date": "1990-01-01",
            "email": "tardif@example.org",
            "ues": [first.pk],
            "fees_due": "0",
        },
    )
    assert response.status_code == 200
    assert shown(ENROLMENTS_MESSAGE, response)
    assert rows() == before


def test_the_registrar_still_records_payments_fees_and_status(client, frozen):
    enrolment, _, _ = frozen
    client.force_login(RegistrarFactory())
    paid = client.post(
        reverse("enrolment:registrar-enrolment-payment", args=[enrolment.pk]),
        {"payment-date": "2025-07-01", "payment-amount": "500", "payment-means": "transfer"},
    )
    assert paid.status_code == 302
    fees = client.post(
        reverse("enrolment:registrar-enrolment-fees", args=[enrolment.pk]),
        {"fees-fees_due": "1000"},
    )
    assert fees.status_code == 302
    status = client.post(
        reverse("enrolment:registrar-enrolment-transition", args=[enrolment.pk]),
        {"transition-target": "withdrawn", "transition-reason": "Départ"},
    )
    assert status.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.fees_due, enrolment.status) == (Decimal("1000.00"), "withdrawn")
    assert enrolment.payments.get().amount == Decimal("500.00")


# ---- Admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _inline_management() -> dict[str, str]:
    data = {}
    for prefix in ("payments", "status_changes"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data


def test_the_admin_shows_the_ue_of_a_frozen_enrolment_read_only_and_keeps_fees_open(
    admin_client_, frozen
):
    enrolment, first, second = frozen
    url = reverse("admin:enrolment_enrolment_change", args=[enrolment.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert 'name="ues"' not in page.content.decode() and shown(UES_MESSAGE, page)
    assert 'name="fees_due"' in page.content.decode()
    data = _inline_management() | {
        "fees_due": "800.00",
        "ues": [first.pk, second.pk],  # read-only: ignored
        "programme_year": str(ProgrammeYearFactory(year="2030-2031").pk),  # idem
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.fees_due == Decimal("800.00")
    assert list(enrolment.ues.all()) == [first]
    assert enrolment.programme_year_id == first.programme_year_id


def test_the_admin_refuses_to_delete_a_frozen_enrolment_or_one_of_its_ue(admin_client_, frozen):
    enrolment, _, second = frozen
    before = rows()
    delete = reverse("admin:enrolment_enrolment_delete", args=[enrolment.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    ue_delete = reverse("admin:enrolment_ue_delete", args=[second.pk])
    assert admin_client_.post(ue_delete, {"post": "yes"}).status_code == 403
    assert UE.objects.filter(pk=second.pk).exists()
    assert rows() == before


def test_the_admin_refuses_a_new_enrolment_in_a_frozen_cohort(admin_client_, frozen):
    enrolment, first, _ = frozen
    other = EnrolmentFactory(programme_year=ProgrammeYearFactory(year="2030-2031"), ues=[])
    before = rows()
    response = admin_client_.post(
        reverse("admin:enrolment_enrolment_add"),
        _inline_management()
        | {
            "student": str(other.student.pk),
            "programme_year": str(enrolment.programme_year.pk),
            "ues": [first.pk],
            "fees_due": "0",
        },
    )
    assert response.status_code == 200
    assert shown(ENROLMENTS_MESSAGE, response)
    assert rows() == before


def test_the_admin_still_changes_the_ue_of_an_open_enrolment(admin_client_):
    py = ProgrammeYearFactory(year="2025-2026")
    first, second = UEFactory(programme_year=py), UEFactory(programme_year=py)
    enrolment = EnrolmentFactory(programme_year=py, ues=[first])
    response = admin_client_.post(
        reverse("admin:enrolment_enrolment_change", args=[enrolment.pk]),
        _inline_management()
        | {
            "student": str(enrolment.student.pk),
            "programme_year": str(py.pk),
            "ues": [first.pk, second.pk],
            "fees_due": "0",
        },
    )
    assert response.status_code == 302
    assert set(enrolment.ues.all()) == {first, second}


def test_admin_shows_the_rules_and_credits_of_a_frozen_cohort_read_only(client, db):
    from django.utils import timezone

    from enrolment.models import ProgrammeYear
    from tests.factories import ProgrammeYearFactory, UEFactory, UserFactory

    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py, credits=8)
    ProgrammeYear.objects.filter(pk=py.pk).update(frozen_at=timezone.now())
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(f"/admin/enrolment/programmeyear/{py.pk}/change/").content.decode()
    assert 'name="pass_mark"' not in page and 'name="absence_threshold_pct"' not in page
    page = client.get(f"/admin/enrolment/ue/{ue.pk}/change/").content.decode()
    assert 'name="credits"' not in page
    client.post(f"/admin/enrolment/ue/{ue.pk}/change/", {"code": ue.code, "credits": "2"})
    ue.refresh_from_db()
    assert ue.credits == 8
