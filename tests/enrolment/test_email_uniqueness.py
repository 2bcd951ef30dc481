"""One e-mail address, one account, whatever its case (SECURITY.md #29).

As found, a student could save another student's address in « Mes données »; the password
reset then matched two accounts and sent nothing to its owner.
"""

import datetime as dt
import html
import importlib
from dataclasses import replace

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from enrolment import password_reset
from enrolment.models import StudentProfile, User
from enrolment.profile import profile_update
from tests.factories import RegistrarFactory, StaffFactory, StudentFactory, UEFactory, UserFactory
from tests.student_data import signed_in, student

pytestmark = pytest.mark.django_db

GENERIC = "Cette adresse ne peut pas être utilisée : choisissez-en une autre."
MIGRATION = importlib.import_module("enrolment.migrations.0003_unique_emails_clean_text")


def contact(s: StudentProfile) -> dict[str, object]:
    return StudentProfile.objects.values(
        "email", "phone", "address", "employment", "employer", "job_title"
    ).get(pk=s.pk)


@pytest.fixture
def owner() -> StudentProfile:
    """The account whose address is coveted: sign-in camille@lecnam.net, personal below."""
    return student("camille", last_name="Durand", number="3100042")


@pytest.mark.parametrize(
    "coveted",
    [
        "camille.perso@example.org",
        "CAMILLE.PERSO@EXAMPLE.ORG",
        "Camille.Perso@Example.org",
        "  camille.perso@example.org ",
        "Camille@LECNAM.net",  # the owner's sign-in address counts too
    ],
)
def test_attack_29_saving_another_accounts_address_is_refused_with_a_generic_message(
    owner, coveted
):
    attacker = student("lucas")
    before = contact(attacker)
    response = signed_in(attacker).post(
        reverse("enrolment:student-profile"),
        {"email": coveted, "phone": "0600000000", "employer": "Pirate SA"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [GENERIC]
    page = html.unescape(response.content.decode())
    assert GENERIC in page
    assert "Durand" not in page and "3100042" not in page  # never whose address it is
    assert contact(attacker) == before
    assert contact(owner)["email"] == "camille.perso@example.org"


def test_attack_29_after_the_attempt_the_owner_still_gets_the_reset_link(owner, monkeypatch):
    monkeypatch.setattr(
        password_reset, "POLICY", replace(password_reset.POLICY, deliver=lambda m: m.send())
    )
    signed_in(student("lucas")).post(
        reverse("enrolment:student-profile"), {"email": "CAMILLE.PERSO@example.org"}
    )
    sent = password_reset.reset_request(
        identifier="camille.perso@example.org",
        birth_date=dt.date(1990, 4, 2),
        client_address="192.0.2.1",
    )
    assert sent is True
    assert [m.to for m in mail.outbox] == [["camille.perso@example.org"]]


def test_attack_29_a_staff_members_address_is_refused_too():
    StaffFactory(username="prof", email="prof@lecnam.net")
    s = student("lucas")
    response = signed_in(s).post(reverse("enrolment:student-profile"), {"email": "Prof@lecnam.net"})
    assert response.context["form"].errors["email"] == [GENERIC]
    assert contact(s)["email"] == "lucas.perso@example.org"


def test_attack_29_own_address_in_another_case_is_kept_with_the_domain_lowered(owner):
    response = signed_in(owner).post(
        reverse("enrolment:student-profile"), {"email": "  Camille.Perso@EXAMPLE.ORG "}
    )
    assert response.status_code == 302
    assert contact(owner)["email"] == "Camille.Perso@example.org"
    # Its own sign-in address is not « another account's » either.
    signed_in(owner).post(reverse("enrolment:student-profile"), {"email": "camille@lecnam.net"})
    assert contact(owner)["email"] == "camille@lecnam.net"


def test_attack_29_the_service_refuses_for_any_caller(owner):
    attacker = student("lucas")
    with pytest.raises(ValidationError) as info:
        profile_update(student=attacker, email="CAMILLE.PERSO@example.org")
    assert info.value.message_dict == {"email": [GENERIC]}
    assert contact(attacker)["email"] == "lucas.perso@example.org"


@pytest.mark.parametrize("model", ["profile", "user"])
def test_attack_29_the_database_refuses_a_case_variant_duplicate(model):
    """On SQLite and PostgreSQL alike: a unique index on lower(email), empty addresses aside."""
    if model == "profile":
        StudentFactory(email="Alice@example.org")
        make = lambda: StudentFactory(email="alice@EXAMPLE.ORG")  # noqa: E731
    else:
        UserFactory(email="Alice@example.org")
        make = lambda: UserFactory(email="aLICE@example.org")  # noqa: E731
    with pytest.raises(IntegrityError), transaction.atomic():
        make()
    UserFactory(email="")
    UserFactory(email="")  # several accounts without an address are fine


def test_attack_29_registrar_cannot_enrol_a_new_student_with_a_taken_address(client, owner):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599999",
            "last_name": "Nouveau",
            "first_name": "Nina",
            "birth_date": "1995-01-02",
            "email": "CAMILLE.perso@example.org",
            "ues": [ue.pk],
            "fees_due": "0",
        },
    )
    assert response.status_code == 200
    assert "Cette adresse e-mail est déjà celle d'un autre compte." in html.unescape(
        response.content.decode()
    )
    assert not StudentProfile.objects.filter(number="2599999").exists()
    assert not User.objects.filter(username="2599999").exists()


def test_attack_29_registrar_enrols_with_the_address_normalised(client):
    ue = UEFactory()
    client.force_login(RegistrarFactory())
    client.post(
        reverse("enrolment:registrar-enrol"),
        {
            "programme_year": ue.programme_year.pk,
            "number": "2599999",
            "last_name": "Nouveau",
            "first_name": "Nina",
            "birth_date": "1995-01-02",
            "email": "Nina.Nouveau@EXAMPLE.org",
            "ues": [ue.pk],
            "fees_due": "0",
        },
    )
    created = StudentProfile.objects.select_related("user").get(number="2599999")
    assert created.email == created.user.email == "Nina.Nouveau@example.org"


def _profile_admin_post(s: StudentProfile, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "user": s.user_id,
        "number": s.number,
        "last_name": s.last_name,
        "first_name": s.first_name,
        "birth_date": s.birth_date.isoformat(),
        "email": s.email,
        "phone": s.phone,
        "address": s.address,
        "employment": s.employment,
        "employer": s.employer,
        "job_title": s.job_title,
        "accommodations": s.accommodations,
        "diplomas-TOTAL_FORMS": "0",
        "diplomas-INITIAL_FORMS": "0",
    }
    return data | changes


def test_attack_29_the_admin_refuses_another_accounts_address(admin_client, owner):
    other = student("lucas")
    url = reverse("admin:enrolment_studentprofile_change", args=[other.pk])
    response = admin_client.post(url, _profile_admin_post(other, email="Camille@Lecnam.NET"))
    assert response.status_code == 200
    assert GENERIC in html.unescape(response.content.decode())
    assert contact(other)["email"] == "lucas.perso@example.org"

    staff = StaffFactory(username="prof", email="prof@lecnam.net")
    url = reverse("admin:enrolment_user_change", args=[staff.pk])
    response = admin_client.post(
        url,
        {
            "username": "prof",
            "email": "CAMILLE.PERSO@example.org",
            "is_active": "on",
            "date_joined_0": "2024-09-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 200
    assert GENERIC in html.unescape(response.content.decode())
    staff.refresh_from_db()
    assert staff.email == "prof@lecnam.net"


def test_attack_29_the_admin_saves_an_address_normalised(admin_client, owner):
    url = reverse("admin:enrolment_studentprofile_change", args=[owner.pk])
    response = admin_client.post(url, _profile_admin_post(owner, email=" Camille.N@EXAMPLE.org "))
    assert response.status_code == 302
    assert contact(owner)["email"] == "Camille.N@example.org"


def test_attack_29_migration_lists_every_address_several_accounts_share():
    lines = MIGRATION.email_clashes(
        [
            (1, "compte « alice »", "connexion", "Alice@Example.org"),
            (2, "élève 2400002, compte « bob »", "personnelle", "alice@EXAMPLE.ORG "),
            (2, "compte « bob »", "connexion", "bob@example.org"),
            (3, "élève 2400003, compte « carol »", "personnelle", "carol@example.org"),
            (3, "compte « carol »", "connexion", "Carol@example.org"),  # the same account
        ]
    )
    assert lines == [
        "  alice@example.org : compte « alice » (connexion « Alice@Example.org ») ; "
        "élève 2400002, compte « bob » (personnelle « alice@EXAMPLE.ORG  »)"
    ]


def test_attack_29_migration_refuses_to_run_on_shared_addresses_and_names_them():
    # Rows the new constraint alone would not catch, or would fail on blindly: another
    # account's sign-in address, and the same address with a space.
    student("alice", number="3100001")
    student("bob", number="3100002", email="ALICE@lecnam.net")
    student("carol", number="3100003", email=" alice.perso@example.org")
    with pytest.raises(RuntimeError) as info:
        MIGRATION.emails_check_and_normalise(apps, None)
    message = str(info.value)
    assert "plusieurs comptes" in message
    assert (
        "  alice@lecnam.net : compte « alice » (connexion « alice@lecnam.net ») ; "
        "élève 3100002, compte « bob » (personnelle « ALICE@lecnam.net »)" in message
    )
    assert "  alice.perso@example.org : élève 3100001" in message
    assert "élève 3100003, compte « carol »" in message
    assert StudentProfile.objects.get(number="3100003").email == " alice.perso@example.org"


def test_attack_29_migration_normalises_addresses_when_none_is_shared():
    s = student("alice", email=" Alice.Perso@EXAMPLE.org")
    MIGRATION.emails_check_and_normalise(apps, None)
    assert StudentProfile.objects.get(pk=s.pk).email == "Alice.Perso@example.org"
