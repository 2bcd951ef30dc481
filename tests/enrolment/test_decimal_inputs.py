"""Fees, payments and refunds are typed as text: « 600,50 » is 600.50 €, never 60 050 €."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from enrolment.models import Enrolment
from tests.factories import EnrolmentFactory, RegistrarFactory, UEFactory, UserFactory

pytestmark = pytest.mark.django_db


def _input(html: str, name: str) -> str:
    """The one ``<input>`` tag named ``name``."""
    (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return tag


@pytest.fixture
def enrolment(client):
    client.force_login(RegistrarFactory())
    return EnrolmentFactory(fees_due=Decimal("1200.00"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_payment_of_600_50_is_stored_and_echoed_back(client, enrolment, language):
    response = client.post(
        reverse("enrolment:registrar-enrolment-payment", args=[enrolment.pk]),
        {"payment-date": "2024-10-01", "payment-amount": "600,50", "payment-means": "transfer"},
        headers={"accept-language": language},
        follow=True,
    )
    assert [p.amount for p in enrolment.payments.all()] == [Decimal("600.50")]
    assert "600,50\u00a0€" in response.content.decode()


def test_a_refund_of_0_5_is_fifty_cents(client, enrolment):
    response = client.post(
        reverse("enrolment:registrar-enrolment-refund", args=[enrolment.pk]),
        {
            "refund-date": "2024-11-01",
            "refund-amount": "0,5",
            "refund-means": "transfer",
            "refund-reason": "Trop-perçu",
        },
    )
    assert response.status_code == 302
    assert [p.amount for p in enrolment.payments.all()] == [Decimal("-0.50")]


def test_fees_with_a_thousands_space_are_read_as_such(client, enrolment):
    response = client.post(
        reverse("enrolment:registrar-enrolment-fees", args=[enrolment.pk]),
        {"fees-fees_due": "1\u202f350,50"},
        follow=True,
    )
    assert Enrolment.objects.get(pk=enrolment.pk).fees_due == Decimal("1350.50")
    assert "Frais dus enregistrés : 1\u00a0350,50\u00a0€." in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.200,50", "Nombre ambigu"),
        ("5,5,5", "Nombre ambigu"),
        ("1,200", "Nombre ambigu"),
        ("abc", "Saisissez un nombre"),
        ("0", "supérieur ou égal à 0,01"),
    ],
)
def test_an_ambiguous_payment_is_refused_next_to_its_field(client, enrolment, typed, message):
    response = client.post(
        reverse("enrolment:registrar-enrolment-payment", args=[enrolment.pk]),
        {"payment-date": "2024-10-01", "payment-amount": typed, "payment-means": "transfer"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    form = response.context["payment_form"]
    assert message in form.errors["amount"][0]
    assert f'value="{typed}"' in body
    assert not enrolment.payments.exists()


@pytest.mark.parametrize(("language", "shown"), [("fr", "1200,00"), ("en", "1200.00")])
def test_the_fees_form_shows_the_stored_amount_in_the_page_language(
    client, enrolment, language, shown
):
    body = client.get(
        reverse("enrolment:registrar-enrolment", args=[enrolment.pk]),
        headers={"accept-language": language},
    ).content.decode()
    tag = _input(body, "fees-fees_due")
    assert f'value="{shown}"' in tag
    assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    assert 'type="number"' not in body


def test_a_new_enrolment_takes_french_fees(client):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599998",
            "last_name": "Nouveau",
            "first_name": "Noé",
            "birth_date": "1995-01-02",
            "email": "noe@example.org",
            "ues": [ue.pk],
            "fees_due": "1 200,50",
        },
    )
    assert response.status_code == 302
    assert Enrolment.objects.get(student__number="2599998").fees_due == Decimal("1200.50")


def test_the_admin_money_fields_are_text_inputs_too(client, enrolment):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get(
        reverse("admin:enrolment_enrolment_change", args=[enrolment.pk])
    ).content.decode()
    tag = _input(body, "fees_due")
    assert 'type="text"' in tag and 'value="1200,00"' in tag
    body = client.get(reverse("admin:enrolment_payment_add")).content.decode()
    assert 'type="text"' in _input(body, "amount")
