import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from enrolment.models import Enrolment
from tests.factories import EnrolmentFactory, RegistrarFactory, StaffFactory, UEFactory

pytestmark = pytest.mark.django_db

GET_ROUTES = [
    ("enrolment:registrar-home", []),
    ("enrolment:registrar-enrolments", []),
    ("enrolment:registrar-enrol", []),
    ("certification:registrar-juries", []),
    ("certification:registrar-certificates", []),
]


@pytest.mark.parametrize(("name", "args"), GET_ROUTES)
def test_students_and_teachers_get_403_anonymous_goes_to_login(client, name, args):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302
    e = EnrolmentFactory()
    client.force_login(e.student.user)
    assert client.get(url).status_code == 403
    client.force_login(StaffFactory(ues=[UEFactory()]))
    assert client.get(url).status_code == 403
    client.force_login(RegistrarFactory())
    assert client.get(url).status_code == 200


def test_student_cannot_change_a_status_or_record_a_payment(client):
    e = EnrolmentFactory(status="pending")
    client.force_login(e.student.user)
    r = client.post(
        reverse("enrolment:registrar-enrolment-transition", args=[e.pk]),
        {"transition-target": "enrolled", "transition-reason": "x"},
    )
    assert r.status_code == 403
    r = client.post(
        reverse("enrolment:registrar-enrolment-payment", args=[e.pk]),
        {"payment-date": "2024-10-01", "payment-amount": "10", "payment-means": "card"},
    )
    assert r.status_code == 403
    assert Enrolment.objects.get(pk=e.pk).status == "pending"
    assert not e.payments.exists()


def test_state_change_by_get_is_405(client):
    e = EnrolmentFactory(status="pending")
    client.force_login(RegistrarFactory())
    assert (
        client.get(reverse("enrolment:registrar-enrolment-transition", args=[e.pk])).status_code
        == 405
    )


def test_illegal_transition_shows_a_french_message(client):
    e = EnrolmentFactory(status="pending")
    client.force_login(RegistrarFactory())
    r = client.post(
        reverse("enrolment:registrar-enrolment-transition", args=[e.pk]),
        {"transition-target": "completed", "transition-reason": "fin"},
    )
    assert r.status_code == 400
    assert "non autorisé" in r.content.decode()


def test_registrar_enrols_a_new_student(client):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    r = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599999",
            "last_name": "Nouveau",
            "first_name": "Nina",
            "birth_date": "1995-01-02",
            "email": "nina@example.org",
            "ues": [ue.pk],
            "fees_due": "1200",
        },
    )
    assert r.status_code == 302
    assert Enrolment.objects.get(student__number="2599999").fees_due == Decimal("1200")


def test_search_and_fees_filter(client):
    owing = EnrolmentFactory(fees_due=Decimal("100"))
    paid = EnrolmentFactory(fees_due=Decimal("0"))
    client.force_login(RegistrarFactory())
    html = client.get(reverse("enrolment:registrar-enrolments"), {"fees": "due"}).content.decode()
    assert owing.student.number in html and paid.student.number not in html
    html = client.get(
        reverse("enrolment:registrar-enrolments"), {"q": paid.student.number}
    ).content.decode()
    assert paid.student.number in html and owing.student.number not in html


def test_exports_neutralise_formulas(client):
    e = EnrolmentFactory()
    e.student.last_name = "=HYPERLINK(1)"
    e.student.save()
    client.force_login(RegistrarFactory())
    csv_text = client.get(reverse("enrolment:registrar-enrolments-export", args=["csv"])).content
    assert b"'=HYPERLINK(1)" in csv_text
    xlsx = client.get(reverse("enrolment:registrar-enrolments-export", args=["xlsx"])).content
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet


def test_registrar_records_a_payment_then_a_refund_and_the_balance_follows(client):
    e = EnrolmentFactory(fees_due=Decimal("1200.00"))
    client.force_login(RegistrarFactory())
    paid = client.post(
        reverse("enrolment:registrar-enrolment-payment", args=[e.pk]),
        {"payment-date": "2024-10-01", "payment-amount": "500", "payment-means": "transfer"},
    )
    assert paid.status_code == 302
    refunded = client.post(
        reverse("enrolment:registrar-enrolment-refund", args=[e.pk]),
        {
            "refund-date": "2024-11-01",
            "refund-amount": "100",
            "refund-means": "transfer",
            "refund-reason": "Trop-perçu",
        },
    )
    assert refunded.status_code == 302
    assert sorted(p.amount for p in e.payments.all()) == [Decimal("-100.00"), Decimal("500.00")]


def test_a_refund_without_a_reason_is_refused_on_the_page_and_changes_nothing(client):
    e = EnrolmentFactory(fees_due=Decimal("1200.00"))
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-enrolment-refund", args=[e.pk]),
        {"refund-date": "2024-11-01", "refund-amount": "100", "refund-means": "transfer"},
    )
    assert response.status_code == 400
    assert "obligatoire" in response.content.decode()
    assert not e.payments.exists()


def test_the_status_form_offers_only_the_moves_the_state_machine_allows(client):
    client.force_login(RegistrarFactory())
    enrolled = EnrolmentFactory(status=Enrolment.Status.ENROLLED)
    page = client.get(reverse("enrolment:registrar-enrolment", args=[enrolled.pk]))
    offered = [v for v, _ in page.context["transition_form"].fields["target"].choices]
    assert sorted(offered) == ["completed", "withdrawn"]
    withdrawn = EnrolmentFactory(status=Enrolment.Status.WITHDRAWN)
    page = client.get(reverse("enrolment:registrar-enrolment", args=[withdrawn.pk]))
    assert "ne peut plus changer" in page.content.decode()
