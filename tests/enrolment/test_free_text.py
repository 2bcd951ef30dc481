"""Control and bidi characters in « Mes données » and the enrolment admin (SECURITY.md #32).

As found, phone, employer and job title stored U+202E, a newline, ESC and BEL, and the address
let U+200F through.
"""

import html

import pytest
from django.urls import reverse

from enrolment.models import StudentProfile
from tests.student_data import signed_in, student

pytestmark = pytest.mark.django_db

CHARS = {"U+202E": "\u202e", "U+200F": "\u200f", "ESC": "\x1b", "BEL": "\x07", "newline": "\n"}
VALID = {
    "email": "camille.perso@example.org",
    "phone": "06 12 34 56 78",
    "address": "2 rue Conté",
    "employment": "employed",
    "employer": "Coopérative ESS",
    "job_title": "Chargée de projet",
}


def stored(s: StudentProfile) -> dict[str, object]:
    return StudentProfile.objects.values(*VALID).get(pk=s.pk)


def expected_message(char: str) -> str:
    if char == "\n":
        return "Ce champ tient sur une seule ligne : retirez le retour à la ligne."
    return (
        f"Ce champ contient un caractère de contrôle ou de mise en forme invisible "
        f"(U+{ord(char):04X}) : retirez-le."
    )


@pytest.mark.parametrize("char", CHARS.values(), ids=CHARS.keys())
@pytest.mark.parametrize("field", ["phone", "employer", "job_title"])
def test_attack_32_a_one_line_field_of_mes_donnees_refuses_the_character(field, char):
    s = student(phone="01 40 27 20 00", employer="Cnam", job_title="Stagiaire")
    before = stored(s)
    response = signed_in(s).post(
        reverse("enrolment:student-profile"), VALID | {field: f"Coop{char}érative"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [expected_message(char)]
    assert expected_message(char) in html.unescape(response.content.decode())
    assert stored(s) == before  # nothing saved, the valid fields included


@pytest.mark.parametrize("char", [c for c in CHARS.values() if c != "\n"], ids=list(CHARS)[:-1])
def test_attack_32_the_address_refuses_every_character_but_the_line_break(char):
    s = student(address="1 rue Saint-Martin")
    before = stored(s)
    response = signed_in(s).post(
        reverse("enrolment:student-profile"), VALID | {"address": f"2 rue{char} Conté"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["address"] == [expected_message(char)]
    assert stored(s) == before


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CR LF"])
def test_attack_32_the_address_is_multi_line_its_line_breaks_are_accepted(newline):
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"),
        VALID | {"address": f"2 rue Conté{newline}75003 Paris{newline}"},
    )
    assert response.status_code == 302
    assert stored(s)["address"] == "2 rue Conté, 75003 Paris"


def test_attack_32_a_lone_carriage_return_in_the_address_is_refused():
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"), VALID | {"address": "2 rue Conté\r75003 Paris"}
    )
    assert response.status_code == 200
    assert "(U+000D)" in response.context["form"].errors["address"][0]
    assert stored(s)["address"] == ""


def test_attack_32_a_bidi_character_in_the_email_domain_is_refused():
    # Django's EmailValidator lets it through in the domain part (measured).
    s = student()
    response = signed_in(s).post(
        reverse("enrolment:student-profile"), VALID | {"email": "camille@exa\u202emple.org"}
    )
    assert response.status_code == 200
    assert "U+202E" in response.context["form"].errors["email"][0]
    assert stored(s)["email"] == "camille.perso@example.org"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "06\x1b12"),
        ("employer", "Cnam\u202e"),
        ("last_name", "Martin\u200f"),
        ("accommodations", "Salle au rez-de-chaussée\nTiers-temps\u202e"),
    ],
)
def test_attack_32_the_admin_applies_the_model_fields_rule(admin_client, field, value):
    s = student()
    before = StudentProfile.objects.values().get(pk=s.pk)
    data = {
        "user": s.user_id,
        "number": s.number,
        "last_name": s.last_name,
        "first_name": s.first_name,
        "birth_date": s.birth_date.isoformat(),
        "email": s.email,
        "diplomas-TOTAL_FORMS": "0",
        "diplomas-INITIAL_FORMS": "0",
        field: value,
    }
    url = reverse("admin:enrolment_studentprofile_change", args=[s.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "mise en forme invisible" in html.unescape(response.content.decode())
    assert StudentProfile.objects.values().get(pk=s.pk) == before


def test_attack_32_the_admin_accepts_line_breaks_in_a_text_area(admin_client):
    s = student()
    data = {
        "user": s.user_id,
        "number": s.number,
        "last_name": s.last_name,
        "first_name": s.first_name,
        "birth_date": s.birth_date.isoformat(),
        "email": s.email,
        "accommodations": "Salle au rez-de-chaussée\r\nTiers-temps",
        "diplomas-TOTAL_FORMS": "0",
        "diplomas-INITIAL_FORMS": "0",
    }
    url = reverse("admin:enrolment_studentprofile_change", args=[s.pk])
    assert admin_client.post(url, data).status_code == 302
    assert "\n" in StudentProfile.objects.get(pk=s.pk).accommodations
