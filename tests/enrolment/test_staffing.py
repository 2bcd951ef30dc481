"""Teachers: invited by e-mail, assigned to UE per year, the assignments' history kept."""

import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from enrolment import staffing
from enrolment.models import AuditEntry, StaffAssignment, StaffAssignmentChange, User
from enrolment.roles import is_teacher
from enrolment.services import EnrolmentError
from tests.factories import (
    PASSWORD,
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _invite(registrar, ue=None, email="olivier.masson@lecnam.net"):
    return staffing.teacher_invite(
        email=email, first_name="Olivier", last_name="Masson", by=registrar, ue=ue
    )


# --- services -------------------------------------------------------------------------------


def test_inviting_creates_an_account_without_password_and_sends_the_one_time_link(
    django_capture_on_commit_callbacks,
):
    registrar = RegistrarFactory()
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(registrar, email=" olivier.masson@LECNAM.net ")
    assert user.username == "olivier.masson@lecnam.net"
    assert user.email == "olivier.masson@lecnam.net"
    assert not user.has_usable_password()
    assert user.groups.filter(name=staffing.TEACHERS_GROUP).exists()
    (message,) = mail.outbox
    assert message.to == ["olivier.masson@lecnam.net"]
    assert message.subject == "Votre accès enseignant au portail du Cnam"
    assert "compte enseignant" in message.body
    assert "/compte/invitation/" in message.body
    entry = AuditEntry.objects.get(action="staff.teacher.invite")
    assert entry.by == registrar
    assert entry.summary == "Enseignant·e Olivier MASSON invité·e (olivier.masson@lecnam.net)"


def test_the_invitation_link_opens_the_students_password_page_and_activates_the_account(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(RegistrarFactory())
    (link,) = re.findall(r"https?://\S+", mail.outbox[0].body)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Un-mot-de-passe-2026", "new_password2": "Un-mot-de-passe-2026"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password()


def test_an_invited_teacher_without_any_ue_is_listed_but_teaches_nothing():
    user = _invite(RegistrarFactory())
    assert [row.user for row in staffing.teacher_rows()] == [user]
    assert staffing.teacher_rows()[0].years == []
    assert not staffing.teacher_rows()[0].activated
    assert not is_teacher(user)


@pytest.mark.parametrize("email", ["olivier.masson@lecnam.net", "OLIVIER.MASSON@lecnam.net"])
def test_an_address_already_used_by_a_teacher_is_refused_in_french(email):
    registrar = RegistrarFactory()
    _invite(registrar)
    with pytest.raises(EnrolmentError, match="déjà celle d'un compte du portail"):
        _invite(registrar, email=email)
    assert User.objects.filter(last_name="Masson").count() == 1
    assert AuditEntry.objects.filter(action="staff.teacher.invite").count() == 1


def test_an_address_already_used_by_a_student_is_refused_and_nothing_is_sent(
    django_capture_on_commit_callbacks,
):
    student = StudentFactory(email="camille@example.org", user__email="autre@example.org")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EnrolmentError):
        _invite(RegistrarFactory(), email=student.email)
    assert mail.outbox == []
    assert not User.objects.filter(username="camille@example.org").exists()


def test_an_address_too_long_for_an_identifier_is_refused_in_french():
    with pytest.raises(EnrolmentError, match="plus de 150 caractères"):
        _invite(RegistrarFactory(), email="a" * 140 + "@lecnam.net")
    assert not User.objects.filter(last_name="Masson").exists()


def test_an_invalid_name_is_refused_with_the_fields_message():
    with pytest.raises(EnrolmentError):
        staffing.teacher_invite(
            email="x@lecnam.net", first_name="Olivier\u202e", last_name="Masson", by=None
        )
    assert not User.objects.filter(username="x@lecnam.net").exists()


def test_inviting_with_a_ue_assigns_it_in_the_same_step():
    ue = UEFactory(code="RSV206")
    user = _invite(RegistrarFactory(), ue=ue)
    assert StaffAssignment.objects.filter(user=user, ue=ue).exists()
    assert StaffAssignmentChange.objects.get(user=user).kind == "assigned"
    assert is_teacher(user)


def test_a_refused_assignment_at_invitation_leaves_no_account(monkeypatch):
    ue = UEFactory()
    monkeypatch.setattr(staffing, "assignment_refusal", lambda **kw: "Refusé.")
    with pytest.raises(EnrolmentError, match="Refusé"):
        _invite(RegistrarFactory(), ue=ue)
    assert not User.objects.filter(last_name="Masson").exists()
    assert not AuditEntry.objects.exists()


def test_assigning_then_removing_keeps_the_history_and_writes_the_journal():
    registrar = RegistrarFactory()
    teacher = UserFactory(first_name="Sandrine", last_name="Leclerc")
    year = ProgrammeYearFactory(year="2025-2026")
    ue = UEFactory(programme_year=year, code="RSV207", title="Innovations sociales")
    staffing.assignment_add(user=teacher, ue=ue, by=registrar)
    assert is_teacher(teacher)
    staffing.assignment_remove(user=teacher, ue=ue, by=registrar)
    assert not StaffAssignment.objects.filter(user=teacher).exists()
    teacher = User.objects.get(pk=teacher.pk)
    assert not is_teacher(teacher)
    history = list(staffing.teacher_history(teacher))
    assert [h.kind for h in history] == ["removed", "assigned"]
    assert {h.by for h in history} == {registrar}
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [e.action for e in entries] == ["staff.assignment.add", "staff.assignment.remove"]
    assert entries[0].summary == (
        "Sandrine LECLERC affecté·e à RSV207 — Innovations sociales (2025-2026)"
    )
    assert entries[1].summary == (
        "Sandrine LECLERC retiré·e de RSV207 — Innovations sociales (2025-2026)"
    )
    assert {e.programme_year for e in entries} == {year}
    # Still listed, with no UE: the history says they taught.
    assert [row.user for row in staffing.teacher_rows()] == [teacher]


def test_assigning_the_same_ue_twice_is_refused_and_writes_nothing():
    teacher = StaffFactory(first_name="Olivier", last_name="Masson")
    ue = UEFactory(code="RSV206", programme_year=ProgrammeYearFactory(year="2025-2026"))
    staffing.assignment_add(user=teacher, ue=ue, by=None)
    with pytest.raises(EnrolmentError) as refused:
        staffing.assignment_add(user=teacher, ue=ue, by=None)
    assert refused.value.message == "Olivier MASSON enseigne déjà RSV206 (CS2600A 2025-2026)."
    assert StaffAssignmentChange.objects.count() == 1
    assert AuditEntry.objects.count() == 1


def test_removing_an_assignment_that_is_not_there_is_refused_and_writes_nothing():
    teacher = StaffFactory(first_name="Olivier", last_name="Masson")
    ue = UEFactory(code="RSV206")
    with pytest.raises(EnrolmentError, match="n'enseigne pas RSV206"):
        staffing.assignment_remove(user=teacher, ue=ue, by=None)
    assert not StaffAssignmentChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_disabled_account_cannot_be_given_a_ue():
    teacher = StaffFactory(is_active=False)
    with pytest.raises(EnrolmentError, match="désactivé"):
        staffing.assignment_add(user=teacher, ue=UEFactory(), by=None)
    assert not StaffAssignment.objects.exists()


def test_a_deliberated_cohort_still_takes_assignments():
    # Not academic data (RULES.md §7b): a teacher may be needed to correct an unlocked mark.
    ue = UEFactory()
    ue.programme_year.frozen_at = timezone.now()
    ue.programme_year.save(update_fields=["frozen_at"])
    teacher = StaffFactory()
    staffing.assignment_add(user=teacher, ue=ue, by=None)
    assert StaffAssignment.objects.filter(user=teacher, ue=ue).exists()


def test_reinviting_sends_a_new_link_while_the_account_is_not_activated(
    django_capture_on_commit_callbacks,
):
    registrar = RegistrarFactory()
    user = _invite(registrar)
    with django_capture_on_commit_callbacks(execute=True):
        staffing.teacher_reinvite(user=user, by=registrar)
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="staff.teacher.reinvite").count() == 1


def test_reinviting_an_activated_account_is_refused(django_capture_on_commit_callbacks):
    teacher = StaffFactory(first_name="Olivier", last_name="Masson")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EnrolmentError) as no:
        staffing.teacher_reinvite(user=teacher, by=None)
    assert no.value.message.startswith("Olivier MASSON a déjà activé son compte")
    assert mail.outbox == []
    assert not AuditEntry.objects.exists()


def test_the_list_groups_each_teachers_ue_by_year_latest_first():
    teacher = StaffFactory(last_name="Masson")
    old = ProgrammeYearFactory(year="2024-2025")
    new = ProgrammeYearFactory(year="2025-2026")
    for year, code in ((old, "RSV206"), (new, "RSV207"), (new, "RSV206")):
        StaffAssignment.objects.create(user=teacher, ue=UEFactory(programme_year=year, code=code))
    EnrolmentFactory()  # a student is not listed
    (row,) = staffing.teacher_rows()
    assert [(y.label, [ue.code for ue in y.ues]) for y in row.years] == [
        ("CS2600A 2025-2026", ["RSV206", "RSV207"]),
        ("CS2600A 2024-2025", ["RSV206"]),
    ]
    assert row.activated


# --- the admin goes through the service -----------------------------------------------------


def _admin_request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_the_admin_adds_and_deletes_through_the_service():
    admin = UserFactory(is_staff=True, is_superuser=True)
    model_admin = admin_site._registry[StaffAssignment]
    teacher, ue = UserFactory(), UEFactory()
    obj = StaffAssignment(user=teacher, ue=ue)
    model_admin.save_model(_admin_request(admin), obj, form=None, change=False)
    assert StaffAssignment.objects.filter(pk=obj.pk, user=teacher, ue=ue).exists()
    model_admin.delete_model(_admin_request(admin), obj)
    assert not StaffAssignment.objects.exists()
    other = StaffAssignment.objects.create(user=teacher, ue=UEFactory())
    model_admin.delete_queryset(_admin_request(admin), StaffAssignment.objects.filter(pk=other.pk))
    kinds = list(StaffAssignmentChange.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["assigned", "removed", "removed"]
    assert AuditEntry.objects.filter(by=admin).count() == 3


def test_the_admin_form_refuses_a_duplicate_with_the_services_message(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    teacher = StaffFactory(first_name="Olivier", last_name="Masson")
    ue = UEFactory(code="RSV206")
    staffing.assignment_add(user=teacher, ue=ue, by=None)
    client.force_login(admin)
    response = client.post(
        reverse("admin:enrolment_staffassignment_add"), {"user": teacher.pk, "ue": ue.pk}
    )
    assert response.status_code == 200
    assert "Olivier MASSON enseigne déjà RSV206" in response.content.decode()
    assert StaffAssignmentChange.objects.count() == 1


# --- pages ----------------------------------------------------------------------------------

PAGES = [
    ("enrolment:registrar-staff", False),
    ("enrolment:registrar-staff-invite", False),
    ("enrolment:registrar-staff-member", True),
]


@pytest.mark.parametrize(("name", "with_teacher"), PAGES)
def test_only_the_registrar_opens_the_staff_pages(client, name, with_teacher):
    teacher = StaffFactory(ues=[UEFactory()])
    url = reverse(name, args=[teacher.pk] if with_teacher else [])
    assert client.get(url).status_code == 302
    client.force_login(EnrolmentFactory().student.user)
    assert client.get(url).status_code == 403
    client.force_login(teacher)
    assert client.get(url).status_code == 403
    client.force_login(RegistrarFactory())
    assert client.get(url).status_code == 200


def test_a_student_or_unknown_id_is_no_teacher_page(client):
    client.force_login(RegistrarFactory())
    student = EnrolmentFactory().student
    url = reverse("enrolment:registrar-staff-member", args=[student.user.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("enrolment:registrar-staff-member", args=[99999])).status_code == 404


def test_the_list_shows_each_teacher_and_the_invitation_state(client):
    StaffFactory(first_name="Olivier", last_name="Masson", ues=[UEFactory(code="RSV206")])
    _invite(RegistrarFactory(), email="sandrine.leclerc@lecnam.net")
    client.force_login(RegistrarFactory())
    html = client.get(reverse("enrolment:registrar-staff")).content.decode()
    assert "MASSON Olivier" in html
    assert "CS2600A 2024-2025 :</span> RSV206" in html
    assert "Compte activé" in html
    assert "Invité·e, compte pas encore activé" in html


def test_the_invite_form_creates_the_account_and_opens_its_page(
    client, django_capture_on_commit_callbacks
):
    ue = UEFactory(code="RSV206")
    client.force_login(RegistrarFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enrolment:registrar-staff-invite"),
            {
                "email": "o.masson@lecnam.net",
                "first_name": "Olivier",
                "last_name": "Masson",
                "ue": ue.pk,
            },
        )
    user = User.objects.get(username="o.masson@lecnam.net")
    assert response.status_code == 302
    assert response["Location"] == reverse("enrolment:registrar-staff-member", args=[user.pk])
    assert len(mail.outbox) == 1
    assert StaffAssignment.objects.filter(user=user, ue=ue).exists()


def test_the_invite_form_refuses_a_used_address_with_a_french_message(client):
    StaffFactory(email="o.masson@lecnam.net")
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-staff-invite"),
        {"email": "o.masson@lecnam.net", "first_name": "Olivier", "last_name": "Masson"},
    )
    assert response.status_code == 400
    assert "Cette adresse e-mail est déjà celle d&#x27;un compte du portail" in (
        response.content.decode()
    )
    assert User.objects.filter(email="o.masson@lecnam.net").count() == 1


def test_extra_fields_cannot_make_an_invited_teacher_staff_or_superuser(client):
    client.force_login(RegistrarFactory())
    client.post(
        reverse("enrolment:registrar-staff-invite"),
        {
            "email": "x@lecnam.net",
            "first_name": "X",
            "last_name": "Y",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    user = User.objects.get(username="x@lecnam.net")
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_the_teacher_page_assigns_removes_and_shows_the_history(client):
    registrar = RegistrarFactory(first_name="Claire", last_name="Dupont")
    teacher = _invite(registrar)  # no UE yet
    ue = UEFactory(code="RSV207")
    client.force_login(registrar)
    page = reverse("enrolment:registrar-staff-member", args=[teacher.pk])
    response = client.post(
        reverse("enrolment:registrar-staff-assign", args=[teacher.pk]), {"ue": ue.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == page
    response = client.post(reverse("enrolment:registrar-staff-unassign", args=[teacher.pk, ue.pk]))
    assert response.status_code == 302
    assert not StaffAssignment.objects.filter(user=teacher).exists()
    html = client.get(page).content.decode()
    assert html.count("RSV207 (CS2600A 2024-2025)") == 2  # assigned, then removed
    assert "retiré·e de RSV207" in html
    assert "(Claire Dupont)" in html


def test_assigning_a_ue_the_teacher_already_has_is_a_form_error(client):
    ue = UEFactory()
    teacher = StaffFactory(ues=[ue])
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-staff-assign", args=[teacher.pk]), {"ue": ue.pk}
    )
    assert response.status_code == 400
    assert StaffAssignment.objects.filter(user=teacher).count() == 1


def test_a_teacher_cannot_assign_themselves_a_ue(client):
    teacher = StaffFactory(ues=[UEFactory()])
    other = UEFactory()
    client.force_login(teacher)
    response = client.post(
        reverse("enrolment:registrar-staff-assign", args=[teacher.pk]), {"ue": other.pk}
    )
    assert response.status_code == 403
    assert not StaffAssignment.objects.filter(ue=other).exists()


def test_removing_by_get_is_refused(client):
    ue = UEFactory()
    teacher = StaffFactory(ues=[ue])
    client.force_login(RegistrarFactory())
    url = reverse("enrolment:registrar-staff-unassign", args=[teacher.pk, ue.pk])
    assert client.get(url).status_code == 405
    assert StaffAssignment.objects.filter(user=teacher).exists()


def test_the_reinvite_button_sends_again(client, django_capture_on_commit_callbacks):
    user = _invite(RegistrarFactory())
    client.force_login(RegistrarFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enrolment:registrar-staff-reinvite", args=[user.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    (link,) = re.findall(r"https?://\S+", mail.outbox[0].body)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(user, token)


def test_an_activated_teacher_signs_in_with_the_address(client):
    StaffFactory(username="o.masson@lecnam.net", email="o.masson@lecnam.net")
    response = client.post(
        reverse("login"), {"username": "o.masson@lecnam.net", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
