"""Password reset as the booklet describes it: identifier + date of birth (SECURITY.md #18)."""

import datetime as dt
import re
import statistics
import time
from dataclasses import replace

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse

from enrolment import password_reset
from tests.factories import PASSWORD
from tests.student_data import student

pytestmark = pytest.mark.django_db

RIGHT_DATE = "1990-04-02"
# Links are built on the configured public address, never on the request's Host.
PUBLIC_BASE_URL = "https://cs.example.org"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


@pytest.fixture(autouse=True)
def deliver_inline(monkeypatch):
    """E-mails go out in the request thread so that tests read mail.outbox at once."""
    monkeypatch.setattr(
        password_reset, "POLICY", replace(password_reset.POLICY, deliver=lambda m: m.send())
    )


def ask(identifier: str, birth_date: str = RIGHT_DATE, client: Client | None = None, **extra):
    client = client or Client()
    return client.post(
        reverse("password_reset"), {"identifier": identifier, "birth_date": birth_date}, **extra
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_form_asks_for_identifier_and_birth_date_both_required():
    response = Client().post(reverse("password_reset"), {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nom d&#x27;utilisateur ou adresse e-mail" in html
    assert "Date de naissance" in html
    assert html.count("Ce champ est obligatoire") == 2
    assert mail.outbox == []


@pytest.mark.parametrize(
    "identifier", ["camille", "Camille@lecnam.net", "camille.perso@example.org"]
)
def test_matching_answers_send_one_link_to_the_personal_address(identifier):
    student()
    response = ask(identifier)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille.perso@example.org"]
    assert "Réinitialisation de votre mot de passe" in message.subject
    assert "valable 1 heure" in message.body
    assert link_in(message).startswith(PUBLIC_BASE_URL + "/compte/reinitialiser/")


def test_french_date_format_is_accepted():
    student()
    ask("camille", "02/04/1990")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("identifier", "birth_date"),
    [("camille", "1990-04-03"), ("inconnu", RIGHT_DATE), ("personne@example.org", "2001-01-01")],
)
def test_attack_18_non_matching_answers_get_identical_bytes_and_no_email(identifier, birth_date):
    student()
    matching = ask("camille")
    other = ask(identifier, birth_date)
    assert (other.status_code, other.headers["Location"], other.content) == (
        matching.status_code,
        matching.headers["Location"],
        matching.content,
    )
    assert len(mail.outbox) == 1  # the matching one only
    done_a = Client().get(matching["Location"]).content.decode()
    done_b = Client().get(other["Location"]).content.decode()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", done_a) == strip.sub("", done_b)
    assert "Si les informations saisies correspondent à un compte" in done_a


def test_matching_and_non_matching_requests_take_the_same_code_path(monkeypatch):
    """Both branches make a token and render the e-mail: the work does not tell them apart."""
    student()
    calls = []
    real = password_reset._message
    monkeypatch.setattr(
        password_reset, "_message", lambda *a, **k: calls.append(k["to"]) or real(*a, **k)
    )
    tokens = []
    real_token = password_reset.default_token_generator.make_token
    monkeypatch.setattr(
        password_reset.default_token_generator,
        "make_token",
        lambda user: tokens.append(user.pk) or real_token(user),
    )
    ask("camille")
    ask("inconnu")
    ask("camille", "1991-01-01")
    assert len(calls) == 3 and len(tokens) == 3


def test_timing_of_matching_and_non_matching_is_close():
    student()
    client = Client()

    def duration(identifier: str) -> float:
        started = time.perf_counter()
        ask(identifier, client=client)
        return time.perf_counter() - started

    policy = password_reset.POLICY
    password_reset.POLICY = replace(policy, per_identifier=1000, per_account=1000, per_address=1000)
    try:
        for _ in range(3):
            duration("camille"), duration("inconnu")  # warm up
        matching = statistics.median(duration("camille") for _ in range(15))
        unknown = statistics.median(duration("inconnu") for _ in range(15))
    finally:
        password_reset.POLICY = policy
    # Generous bound: it catches a branch that skips hashing (tens of ms), not jitter.
    assert abs(matching - unknown) < max(0.5 * max(matching, unknown), 0.02)


def test_link_sets_a_new_password_once():
    s = student()
    ask("camille")
    link = link_in(mail.outbox[0]).removeprefix(PUBLIC_BASE_URL)
    client = Client()
    response = client.get(link, follow=True)
    assert "Choisissez un nouveau mot de passe" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "Nouveau-secret-2026", "new_password2": "Nouveau-secret-2026"}
    )
    assert done.status_code == 302
    s.user.refresh_from_db()
    assert s.user.check_password("Nouveau-secret-2026")
    again = Client().get(link, follow=True).content.decode()
    assert "Lien invalide ou expiré" in again


def test_link_expires_after_one_hour(monkeypatch):
    student()
    ask("camille")
    link = link_in(mail.outbox[0]).removeprefix(PUBLIC_BASE_URL)
    now = dt.datetime.now()
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: now + dt.timedelta(seconds=3601)
    )
    html = Client().get(link, follow=True).content.decode()
    assert "Lien invalide ou expiré" in html


def test_link_still_works_just_before_one_hour(monkeypatch):
    student()
    ask("camille")
    link = link_in(mail.outbox[0]).removeprefix(PUBLIC_BASE_URL)
    now = dt.datetime.now()
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: now + dt.timedelta(seconds=3500)
    )
    html = Client().get(link, follow=True).content.decode()
    assert "Choisissez un nouveau mot de passe" in html


def test_signing_in_invalidates_an_unused_link():
    student()
    ask("camille")
    link = link_in(mail.outbox[0]).removeprefix(PUBLIC_BASE_URL)
    Client().post(reverse("login"), {"username": "camille", "password": PASSWORD})
    assert "Lien invalide ou expiré" in Client().get(link, follow=True).content.decode()


def test_disabled_account_gets_no_email():
    s = student()
    s.user.is_active = False
    s.user.save()
    ask("camille")
    assert mail.outbox == []


def test_throttled_per_identifier_after_five_requests():
    student()
    for n in range(7):
        response = ask("camille", client=Client(REMOTE_ADDR=f"10.1.0.{n}"))
        assert response.status_code == 302
    assert len(mail.outbox) == 5


def test_throttled_per_account_whatever_identifier_is_used():
    student()
    for identifier in [
        "camille",
        "CAMILLE",
        "camille@lecnam.net",
        "Camille@lecnam.net",
        "camille.perso@example.org",
        "CAMILLE.perso@example.org",
    ]:
        ask(identifier)
    assert len(mail.outbox) == 5


def test_wrong_birth_dates_count_towards_the_account_throttle():
    student()
    for day in range(3, 8):
        ask("camille", f"1990-04-{day:02d}")
    ask("camille")
    assert mail.outbox == []


def test_throttled_per_address_after_twenty_requests():
    for n in range(21):
        student(username=f"eleve{n}")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for n in range(21):
        ask(f"eleve{n}", client=client)
    assert len(mail.outbox) == 20
    ask("eleve20", client=Client(REMOTE_ADDR="192.0.2.51"))
    assert len(mail.outbox) == 21


def test_spoofed_forwarded_for_does_not_dodge_the_address_throttle():
    for n in range(21):
        student(username=f"eleve{n}")
    for n in range(21):
        ask(f"eleve{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert len(mail.outbox) == 20


def test_throttle_window_passes_with_the_injected_clock():
    student()
    start = dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC)
    clock = {"now": start}
    policy = replace(password_reset.POLICY, clock=lambda: clock["now"])
    for _ in range(6):
        password_reset.reset_request(
            identifier="camille",
            birth_date=dt.date(1990, 4, 2),
            client_address="1.2.3.4",
            policy=policy,
        )
    assert len(mail.outbox) == 5
    clock["now"] = start + dt.timedelta(hours=1, minutes=1)
    assert password_reset.reset_request(
        identifier="camille",
        birth_date=dt.date(1990, 4, 2),
        client_address="1.2.3.4",
        policy=policy,
    )


def test_background_delivery_sends_through_django_mail_backend():
    student()
    sent = password_reset.reset_request(
        identifier="camille",
        birth_date=dt.date(1990, 4, 2),
        client_address="1.2.3.4",
        policy=replace(password_reset.POLICY, deliver=password_reset.deliver_in_background),
    )
    password_reset.wait_for_deliveries()
    assert sent
    assert [m.to for m in mail.outbox] == [["camille.perso@example.org"]]


def test_evil_host_header_is_refused_before_anything_is_sent():
    student()
    response = ask("camille", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert mail.outbox == []
