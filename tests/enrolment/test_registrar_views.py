import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.models import Enrolment
from tests.factories import (
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    UEFactory,
)

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
    e = EnrolmentFactory(owing=True)
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
    e = EnrolmentFactory(owing=True)
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
    withdrawn = EnrolmentFactory(withdrawn=True)
    page = client.get(reverse("enrolment:registrar-enrolment", args=[withdrawn.pk]))
    assert "ne peut plus changer" in page.content.decode()


# --- New enrolment: defaults and one error for a missing identity (issue 10) -------------


def _two_years():
    """2024-2025 open with two UE and its students' fees; 2023-2024 deliberated (frozen)."""
    open_year = ProgrammeYearFactory(year="2024-2025")
    ues = [UEFactory(programme_year=open_year, code=c) for c in ("RSV206", "RSV207")]
    for fees in ("1200", "1200", "1200", "600"):
        EnrolmentFactory(programme_year=open_year, fees_due=Decimal(fees))
    frozen = ProgrammeYearFactory(year="2023-2024", frozen_at=timezone.now())
    UEFactory(programme_year=frozen, code="RSV206")
    EnrolmentFactory(programme_year=frozen, fees_due=Decimal("900"))
    return open_year, ues, frozen


def _enrol_form(client, **params):
    client.force_login(RegistrarFactory())
    return client.get(reverse("enrolment:registrar-enrol"), params).context["form"]


def test_a_new_enrolment_proposes_the_only_open_promotion_its_ue_and_its_usual_fees(client):
    open_year, ues, _frozen = _two_years()
    form = _enrol_form(client)
    assert form["programme_year"].value() == open_year.pk
    assert sorted(form["ues"].value()) == sorted(ue.pk for ue in ues)
    assert form["fees_due"].value() == Decimal("1200")  # three of four students, not 600
    html = form.as_div()
    assert f'<option value="{open_year.pk}" selected>' in html
    assert html.count("checked") == 2


def test_the_promotion_in_the_address_wins_over_the_open_one(client):
    _open_year, _ues, frozen = _two_years()
    form = _enrol_form(client, programme_year=frozen.pk)
    assert form["programme_year"].value() == str(frozen.pk)
    assert form["fees_due"].value() == Decimal("900")


def test_with_two_open_promotions_nothing_is_preselected_and_no_fee_is_invented(client):
    first = ProgrammeYearFactory(year="2024-2025")
    ProgrammeYearFactory(year="2025-2026")
    UEFactory(programme_year=first)
    form = _enrol_form(client)
    assert form["programme_year"].value() is None
    assert not form["ues"].value()
    assert form["fees_due"].value() in (None, "")


def test_the_standard_fees_of_the_catalogue_win_over_the_usual_ones(client):
    open_year, _ues, _frozen = _two_years()
    open_year.fees = Decimal("1350.00")
    open_year.save(update_fields=["fees"])
    form = _enrol_form(client)
    assert form["fees_due"].value() == Decimal("1350.00")


def test_a_promotion_without_students_leaves_the_fees_empty(client):
    year = ProgrammeYearFactory(year="2025-2026")
    UEFactory(programme_year=year)
    form = _enrol_form(client)
    assert form["programme_year"].value() == year.pk
    assert form["fees_due"].value() is None


def test_a_missing_identity_gives_one_message_naming_the_missing_fields(client):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599997",
            "first_name": "Nina",
            "ues": [ue.pk],
            "fees_due": "1200",
        },
    )
    html = response.content.decode()
    message = (
        "Numéro inconnu : pour inscrire un nouvel élève, renseignez aussi ces champs : nom, "
        "date de naissance, adresse e-mail personnelle."
    )
    assert html.count(message) == 1
    assert "Obligatoire" not in html
    # The message sits under the first missing field; the other missing ones point to it.
    for name in ("last_name", "birth_date", "email"):
        tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)[0]
        assert 'aria-invalid="true"' in tag and "is-invalid" in tag, name
        assert 'aria-describedby="id_last_name_error"' in tag, name
    assert 'id="id_last_name_error"' in html
    first_name = re.search(r'<input [^>]*name="first_name"[^>]*>', html)[0]
    assert "is-invalid" not in first_name
    assert not Enrolment.objects.filter(student__number="2599997").exists()


def test_one_missing_identity_field_is_named_alone(client):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599996",
            "last_name": "Nouveau",
            "first_name": "Nina",
            "birth_date": "1995-01-02",
            "ues": [ue.pk],
            "fees_due": "1200",
        },
    )
    assert "renseignez aussi le champ adresse e-mail personnelle." in response.content.decode()
    assert not Enrolment.objects.filter(student__number="2599996").exists()
