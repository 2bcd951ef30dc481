"""Sign-in lockout: one counter per account whatever its spelling (#27), per address (#28)."""

import dataclasses
import datetime as dt
import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from enrolment import signin_lockout
from enrolment.auth import canonical_username
from enrolment.signin_lockout import counted_failures
from lib.client_address import client_address
from tests.factories import PASSWORD, UserFactory
from tests.student_data import student

ATTACKER = "203.0.113.9"
HOME = "198.51.100.7"
ELSEWHERE = "192.0.2.200"  # an address the owner never used
PAIR_LOCKED = "depuis cette adresse est suspendue pendant 15 minutes"
ACCOUNT_LOCKED = "depuis plusieurs adresses"


def sign_in(identifier: str, password: str = PASSWORD, *, address: str = "127.0.0.1", **extra):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("login"), {"username": identifier, "password": password}, **extra
    )
    response.signed_in = SESSION_KEY in client.session
    return response


def fail(identifier: str, times: int, *, address: str, **extra) -> None:
    for _ in range(times):
        assert not sign_in(identifier, "faux", address=address, **extra).signed_in


def let_the_pair_cool_off() -> None:
    """Move the (account, address) failures past axes' 15-minute cool-off."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))


# --- 27: every spelling of one account shares one counter -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling",
    ["CAMILLE", "Camille", " camille ", "camille@lecnam.net", " Camille@LECNAM.net "],
)
def test_attack_27_every_spelling_of_a_locked_account_is_still_locked(spelling):
    student()
    fail("camille", 5, address=ATTACKER)
    response = sign_in(spelling, address=ATTACKER)  # the right password
    assert response.status_code == 429
    assert not response.signed_in
    assert "Trop de tentatives de connexion" in response.content.decode()


@pytest.mark.django_db
def test_attack_27_failures_under_different_spellings_add_up_to_one_lock():
    student()
    for spelling in ["camille", "CAMILLE", "Camille", "camille@lecnam.net", "CAMILLE@LECNAM.NET"]:
        fail(spelling, 1, address=ATTACKER)
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("camille", 5)
    ]
    assert sign_in("camille", address=ATTACKER).status_code == 429


@pytest.mark.django_db
def test_attack_27_unknown_names_are_counted_whatever_the_case():
    # Same answer as for a real account: a lockout must not reveal whether the name exists.
    for spelling in ["Personne", "PERSONNE", "personne", "PerSonne", "  personne"]:
        fail(spelling, 1, address=ATTACKER)
    response = sign_in("personne", address=ATTACKER)
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == "personne"


@pytest.mark.django_db
def test_attack_27_admin_sign_in_locks_every_spelling_of_the_admin_account():
    UserFactory(username="admin", email="admin@lecnam.net", is_staff=True, is_superuser=True)
    for _ in range(5):
        Client(REMOTE_ADDR=ATTACKER).post(
            reverse("admin:login"), {"username": "admin", "password": "faux"}
        )
    client = Client(REMOTE_ADDR=ATTACKER)
    response = client.post(reverse("admin:login"), {"username": "ADMIN", "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_canonical_username_is_the_account_username_for_every_spelling():
    student()
    for spelling in ["camille", "CAMILLE", " camille\t", "Camille@LECNAM.net"]:
        assert canonical_username(spelling) == "camille"
    assert canonical_username(" Personne ") == "personne"


# --- 28: one attacker slows only itself ---------------------------------------------------


@pytest.mark.django_db
def test_attack_28_an_attacker_locks_its_own_address_but_the_owner_signs_in_elsewhere():
    student()
    fail("camille", 5, address=ATTACKER)
    locked = sign_in("camille", address=ATTACKER)
    assert locked.status_code == 429
    assert PAIR_LOCKED in locked.content.decode()
    owner = sign_in("camille", address=HOME)
    assert owner.status_code == 302
    assert owner.signed_in


@pytest.mark.django_db
def test_attack_28_the_registrar_cannot_be_locked_out_by_someone_else():
    UserFactory(username="scolarite", email="scolarite@lecnam.net", is_staff=True)
    fail("scolarite", 5, address=ATTACKER)
    fail("SCOLARITE@lecnam.net", 5, address=ATTACKER)  # locked: refused, not counted
    assert sign_in("scolarite", address=HOME).signed_in


@pytest.mark.django_db
def test_attack_28_repeated_rounds_from_one_address_never_lock_the_owner_out():
    student()
    for _ in range(6):  # 30 failures within the hour, one address
        fail("camille", 5, address=ATTACKER)
        let_the_pair_cool_off()
    assert AccessFailureLog.objects.filter(username="camille").count() == 30
    fail("camille", 5, address=ATTACKER)
    assert sign_in("camille", address=ATTACKER).status_code == 429
    assert sign_in("camille", address=ELSEWHERE).signed_in


@pytest.mark.django_db
def test_attack_28_attempts_refused_during_a_lockout_neither_count_nor_extend_it():
    student()
    fail("camille", 5, address=ATTACKER)
    for _ in range(30):
        assert sign_in("camille", "faux", address=ATTACKER).status_code == 429
    assert AccessFailureLog.objects.filter(username="camille").count() == 5
    assert AccessAttempt.objects.get().failures_since_start == 5
    let_the_pair_cool_off()
    assert sign_in("camille", address=ATTACKER).signed_in


@pytest.mark.django_db
def test_attack_28_nineteen_failures_across_addresses_do_not_lock_the_account():
    student()
    for n in range(19):
        fail("camille", 1, address=f"10.0.0.{n}")
    assert sign_in("camille", address=ELSEWHERE).signed_in


@pytest.mark.django_db
def test_attack_28_the_twentieth_failure_across_addresses_locks_the_account():
    student()
    for n in range(19):
        fail("camille", 1, address=f"10.0.0.{n}")
    response = sign_in("camille", "faux", address="10.0.1.1")
    assert response.status_code == 429
    assert ACCOUNT_LOCKED in response.content.decode()
    response = sign_in("camille", address=ELSEWHERE)  # the right password, a new address
    assert response.status_code == 429
    assert not response.signed_in


@pytest.mark.django_db
def test_attack_28_an_account_locked_everywhere_still_opens_from_its_usual_address():
    student()
    assert sign_in("camille", address=HOME).signed_in  # the owner, last week
    for n in range(4):  # four addresses, five failures each
        fail("camille", 5, address=f"10.0.0.{n}")
    locked = sign_in("CAMILLE", address=ELSEWHERE)
    assert locked.status_code == 429
    assert ACCOUNT_LOCKED in locked.content.decode()
    assert sign_in("camille@lecnam.net", address=HOME).signed_in


@pytest.mark.django_db
def test_attack_28_an_address_used_long_ago_is_no_longer_usual():
    student()
    assert sign_in("camille", address=HOME).signed_in
    signin_lockout.AccessLog.objects.update(attempt_time=timezone.now() - dt.timedelta(days=31))
    for n in range(4):
        fail("camille", 5, address=f"10.0.0.{n}")
    assert sign_in("camille", address=HOME).status_code == 429


@pytest.mark.django_db
def test_attack_28_the_account_wide_lock_lifts_after_an_hour(monkeypatch):
    student()
    for n in range(4):
        fail("camille", 5, address=f"10.0.0.{n}")
    assert sign_in("camille", address=ELSEWHERE).status_code == 429
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(
        signin_lockout, "POLICY", dataclasses.replace(signin_lockout.POLICY, clock=lambda: later)
    )
    assert sign_in("camille", address=ELSEWHERE).signed_in


@pytest.mark.django_db
def test_attack_28_a_success_resets_the_pair_but_not_the_account_count():
    student()
    fail("camille", 4, address=HOME)  # the owner mistyping
    assert sign_in("camille", address=HOME).signed_in
    assert not AccessAttempt.objects.filter(username="camille").exists()
    fail("camille", 4, address=HOME)
    assert sign_in("camille", address=HOME).signed_in  # 8 failures, never 5 in a row
    assert AccessFailureLog.objects.filter(username="camille").count() == 8


@pytest.mark.django_db
def test_attack_28_behind_the_proxy_a_forged_forwarded_for_escapes_nothing(settings):
    settings.BEHIND_PROXY = True
    student()
    for n in range(5):  # the client writes an address; the proxy appends the real one
        fail("camille", 1, address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {ATTACKER}")
    forged = sign_in("camille", address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{HOME}, {ATTACKER}")
    assert forged.status_code == 429
    owner = sign_in("camille", address="127.0.0.1", HTTP_X_FORWARDED_FOR=HOME)
    assert owner.signed_in


@pytest.mark.django_db
def test_failure_log_cap_keeps_the_newest_failures(settings):
    # axes 8.3 would delete the newest rows, hiding new failures from the account-wide count.
    settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 3
    student()
    fail("camille", 2, address=ATTACKER)
    let_the_pair_cool_off()
    fail("camille", 3, address=HOME)
    kept = AccessFailureLog.objects.filter(username="camille")
    assert sorted(kept.values_list("ip_address", flat=True)) == [HOME, HOME, HOME]


# --- the rules, without a database ---------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "counted"),
    [
        ({}, 0),
        ({"a": 4}, 4),
        ({"a": 5}, 5),
        ({"a": 30}, 5),
        ({"a": 5, "b": 5, "c": 5, "d": 4}, 19),
        ({"a": 5, "b": 5, "c": 5, "d": 5}, 20),
        ({"a": 1, "b": 40}, 6),
    ],
)
def test_one_address_counts_for_at_most_five_failures(failures, counted):
    assert counted_failures(failures, per_address=5) == counted


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "198.51.100.7", "127.0.0.1"),  # no proxy: the header is the client's own
        (True, "", "127.0.0.1"),
        (True, "198.51.100.7", "198.51.100.7"),
        (True, "10.0.0.1, 198.51.100.7", "198.51.100.7"),  # only what the proxy appended
        (True, "198.51.100.7, pas-une-adresse", "127.0.0.1"),
        (True, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_trusts_only_the_entry_the_proxy_appended(
    settings, behind_proxy, forwarded, expected
):
    settings.BEHIND_PROXY = behind_proxy
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.django_db
def test_resetting_an_account_by_hand_lifts_both_locks_whatever_the_spelling():
    student()
    for n in range(4):
        fail("camille", 5, address=f"10.0.0.{n}")
    assert sign_in("camille", address="10.0.0.0").status_code == 429
    call_command("axes_reset_username", "CAMILLE@lecnam.net", stdout=io.StringIO())
    assert sign_in("camille", address="10.0.0.0").signed_in
    assert AccessAttempt.objects.count() == 0
