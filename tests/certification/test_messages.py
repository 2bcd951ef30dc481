"""Messages from the portal (issue 13): audiences, the teacher's limit, preview, background
sending once per recipient, failures kept unsent, audit line, pages and access."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from certification import messaging, tasks
from certification.audiences import Audience, audience_members
from enrolment.models import AuditEntry, Enrolment, Message, MessageRecipient
from grading.models import Grade
from tests.certification.conftest import deliberate
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    PaymentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _student(last_name: str, *, email: bool = True):
    user = UserFactory(
        username=last_name.lower(), last_name=last_name, email=f"{last_name.lower()}@example.org"
    )
    if not email:
        user.email = ""
        user.save()
    return StudentFactory(user=user, email=user.email)


@pytest.fixture
def world(db):
    """A promotion of two UE: Alain (both UE, all fine), Berthe (RSV206 only, owes 100 €),
    Chloé (absent at RSV207's exam: défaillant), Denis (withdrawn), Emma (pending),
    Fanny (no e-mail address at all)."""
    py = ProgrammeYearFactory()
    ue1 = UEFactory(programme_year=py, code="RSV206")
    ue2 = UEFactory(programme_year=py, code="RSV207")
    a1 = AssessmentFactory(ue=ue1, key="RSV206-CT")
    a2 = AssessmentFactory(ue=ue2, key="RSV207-CT")
    people = {}
    for name, ues, status in [
        ("Alain", [ue1, ue2], Enrolment.Status.ENROLLED),
        ("Berthe", [ue1], Enrolment.Status.ENROLLED),
        ("Chloe", [ue1, ue2], Enrolment.Status.ENROLLED),
        ("Denis", [ue1, ue2], Enrolment.Status.WITHDRAWN),
        ("Emma", [ue1, ue2], Enrolment.Status.PENDING),
        ("Fanny", [ue1, ue2], Enrolment.Status.ENROLLED),
    ]:
        e = EnrolmentFactory(
            student=_student(name, email=name != "Fanny"), programme_year=py, ues=ues, status=status
        )
        for a in (a1, a2):
            if a.ue in ues:
                GradeFactory(assessment=a, enrolment=e, value=Decimal("12"))
        people[name] = e
    people["Berthe"].fees_due = Decimal("150")
    people["Berthe"].save()
    PaymentFactory(enrolment=people["Berthe"], amount=Decimal("50"))
    Grade.objects.filter(enrolment=people["Chloe"], assessment=a2).update(
        status=Grade.Status.ABSENT, value=None
    )
    return {"py": py, "ues": [ue1, ue2], "e": people, "assessments": [a1, a2]}


@pytest.fixture
def registrar(db):
    return RegistrarFactory(first_name="Sophie", last_name="Durand")


def _names(members) -> list[str]:
    return [m.name.split()[0] for m in members.members]


def _write(author, world, audience=Audience.PROMOTION, ue=None, **kwargs):
    return tasks.message_start(
        author=author,
        programme_year=world["py"],
        audience=audience,
        subject=kwargs.pop("subject", "Rentrée"),
        body=kwargs.pop("body", "Bonjour,\r\nla rentrée a lieu lundi."),
        ue=ue,
        **kwargs,
    )


# Audiences


def test_the_whole_promotion_includes_pending_and_leaves_withdrawn_out(world):
    members = audience_members(programme_year=world["py"], audience=Audience.PROMOTION)
    assert _names(members) == ["ALAIN", "BERTHE", "CHLOE", "EMMA", "FANNY"]
    assert members.count == 4
    assert [m.name for m in members.unreachable] == ["FANNY Camille"]


def test_a_ue_audience_is_the_students_following_it(world):
    ue2 = world["ues"][1]
    members = audience_members(programme_year=world["py"], audience=Audience.UE, ue=ue2)
    assert _names(members) == ["ALAIN", "CHLOE", "EMMA", "FANNY"]


def test_before_the_jury_defaillants_are_those_the_computed_result_says(world):
    members = audience_members(programme_year=world["py"], audience=Audience.DEFAILLANTS)
    assert _names(members) == ["CHLOE"]


def test_after_the_jury_defaillants_are_those_of_the_decision(world):
    for e in world["e"].values():  # every UE graded: the jury can deliberate
        if e.status == Enrolment.Status.PENDING:
            e.status = Enrolment.Status.ENROLLED
            e.save()
    deliberate(world["py"])
    # The marks changed after the jury without a new deliberation: the decision still stands.
    Grade.objects.filter(enrolment=world["e"]["Chloe"]).update(
        status=Grade.Status.GRADED, value=Decimal("15")
    )
    Grade.objects.filter(enrolment=world["e"]["Alain"]).update(
        status=Grade.Status.ABSENT, value=None
    )
    members = audience_members(programme_year=world["py"], audience=Audience.DEFAILLANTS)
    assert _names(members) == ["CHLOE"]


def test_fees_due_is_a_positive_balance(world):
    members = audience_members(programme_year=world["py"], audience=Audience.FEES_DUE)
    assert _names(members) == ["BERTHE"]


def test_not_certifiable_before_the_jury_is_a_blocking_reason(world):
    members = audience_members(programme_year=world["py"], audience=Audience.NOT_CERTIFIABLE)
    # Berthe owes fees; Chloé is défaillant.
    assert _names(members) == ["BERTHE", "CHLOE"]


# Who may write


def test_a_teacher_writes_to_the_students_of_their_ue(world):
    ue2 = world["ues"][1]
    teacher = StaffFactory(ues=[ue2])
    message = _write(teacher, world, Audience.UE, ue=ue2)
    assert message.recipients.count() == 4  # Fanny kept, without an address


@pytest.mark.parametrize("audience", [Audience.UE, Audience.PROMOTION, Audience.FEES_DUE])
def test_the_service_refuses_a_teacher_another_ue_or_a_promotion_audience(world, audience):
    ue1, ue2 = world["ues"]
    teacher = StaffFactory(ues=[ue2])
    with pytest.raises(messaging.MessageForbidden):
        _write(teacher, world, audience, ue=ue1)
    assert Message.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_ue_of_another_promotion_is_refused(world, registrar):
    other = UEFactory(programme_year=ProgrammeYearFactory(year="2025-2026"), code="RSV206")
    with pytest.raises(messaging.MessageRefused) as exc:
        _write(registrar, world, Audience.UE, ue=other)
    assert exc.value.messages == ["Choisissez une UE de la promotion."]


def test_an_empty_subject_or_a_control_character_is_refused(world, registrar):
    with pytest.raises(messaging.MessageRefused):
        _write(registrar, world, subject="  ")
    with pytest.raises(messaging.MessageRefused):
        _write(registrar, world, subject="Rentrée\u202e")
    assert Message.objects.count() == 0


# Preview, snapshot, sending


def test_the_preview_counts_the_recipients_the_message_gets(world, registrar, settings):
    settings.TASKS = IMMEDIATE
    preview = messaging.message_preview(
        author=registrar,
        programme_year=world["py"],
        audience=Audience.DEFAILLANTS,
        subject="Absences",
        body="Venez me voir.",
    )
    assert preview.count == 1
    message = _write(
        registrar,
        world,
        Audience.DEFAILLANTS,
        subject="Absences",
        body="Venez me voir.",
        expected_count=preview.count,
    )
    assert message.recipients.count() == preview.count
    assert mail.outbox[0].subject == preview.subject
    assert mail.outbox[0].body == preview.body


def test_a_count_changed_since_the_preview_is_refused(world, registrar):
    with pytest.raises(messaging.MessageRefused) as exc:
        _write(registrar, world, expected_count=3)
    assert "4 destinataires maintenant" in exc.value.messages[0]
    assert Message.objects.count() == 0


def test_the_e_mail_is_the_text_with_the_prefix_and_the_footer(world, registrar, settings):
    settings.TASKS = IMMEDIATE
    _write(registrar, world, Audience.FEES_DUE, subject="Frais", body="Merci de régler <vite>.")
    (email,) = mail.outbox
    assert email.subject == "[CS2600A] Frais"
    assert email.to == ["berthe@example.org"]
    assert email.reply_to == [registrar.email]
    assert email.body.startswith("Merci de régler <vite>.\n\n-- \n")
    assert "Message écrit par Sophie Durand (scolarité) sur le portail CS du Cnam" in email.body
    assert "Vous le recevez en tant qu'élève de la promotion CS2600A 2024-2025." in email.body
    assert email.message().get_content_type() == "text/plain"


def test_sending_in_the_task_mails_each_recipient_once_and_a_rerun_sends_nothing(
    world, registrar, settings
):
    settings.TASKS = IMMEDIATE
    settings.MESSAGE_BATCH_SIZE = 3  # two batches for four recipients
    message = _write(registrar, world)
    assert sorted(e.to[0] for e in mail.outbox) == [
        "alain@example.org",
        "berthe@example.org",
        "chloe@example.org",
        "emma@example.org",
    ]
    assert (message.state, message.sent_at is not None) == (Message.State.SENT, True)
    assert MessageRecipient.objects.filter(message=message, sent_at__isnull=True).count() == 1
    tasks.send_message.enqueue(message.pk)
    messaging.message_send(message_id=message.pk)
    assert len(mail.outbox) == 4


def test_with_the_database_backend_the_message_waits_for_a_worker(world, registrar, settings):
    settings.TASKS = DATABASE
    message = _write(registrar, world)
    assert (message.state, len(mail.outbox)) == (Message.State.QUEUED, 0)
    messaging.message_send(message_id=message.pk)
    assert len(mail.outbox) == 4


class FailsForBerthe(EmailBackend):
    def send_messages(self, messages):
        if any("berthe@example.org" in m.to for m in messages):
            raise OSError("mailbox unavailable")
        return super().send_messages(messages)


def test_a_failed_send_leaves_its_recipient_unsent_and_the_message_says_so(
    client, world, registrar, settings
):
    settings.TASKS = IMMEDIATE
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailsForBerthe"}}
    message = _write(registrar, world)
    assert message.state == Message.State.FAILED
    assert len(mail.outbox) == 3
    unsent = MessageRecipient.objects.filter(message=message, sent_at__isnull=True)
    assert sorted(unsent.values_list("email", flat=True)) == ["", "berthe@example.org"]
    client.force_login(registrar)
    page = client.get(reverse("certification:message", args=[message.pk])).content.decode()
    assert "envoi a échoué pour 1 destinataire :" in page
    assert "Relancer l" in page
    assert "non joignable (pas d" in page
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    message = tasks.message_retry(message=message, by=registrar)
    assert message.state == Message.State.SENT
    assert [e.to for e in mail.outbox[3:]] == [["berthe@example.org"]]
    with pytest.raises(messaging.MessageRefused):
        tasks.message_retry(message=message, by=registrar)
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "messages.message.create",
        "messages.message.retry",
    ]


def test_writing_a_message_leaves_an_audit_line(world, registrar, settings):
    settings.TASKS = IMMEDIATE
    _write(registrar, world, Audience.DEFAILLANTS, subject="Absences")
    (entry,) = AuditEntry.objects.all()
    assert (entry.by, entry.action, entry.programme_year) == (
        registrar,
        "messages.message.create",
        world["py"],
    )
    assert entry.summary == (
        "Message « Absences » à 1 destinataire (Défaillants — CS2600A 2024-2025)"
    )


# Pages


def _login(client, user):
    client.force_login(user)
    return client


def _post(world, **extra):
    return {
        "programme_year": world["py"].pk,
        "audience": Audience.FEES_DUE,
        "ue": "",
        "subject": "Frais de formation",
        "body": "Bonjour,\r\nil reste un solde à régler.",
        **extra,
    }


def test_the_registrar_previews_then_sends(client, world, registrar, settings):
    settings.TASKS = IMMEDIATE
    _login(client, registrar)
    url = reverse("certification:message-new")
    assert client.get(url).status_code == 200
    response = client.post(url, _post(world, preview="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Envoyer à 1 destinataire" in page
    assert "[CS2600A] Frais de formation" in page
    assert Message.objects.count() == 0
    response = client.post(url, _post(world, send="1", expected="1"))
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("certification:message", args=[message.pk])
    assert len(mail.outbox) == 1
    detail = client.get(response["Location"]).content.decode()
    assert "1 / 1" in detail
    listing = client.get(reverse("certification:messages")).content.decode()
    assert "Frais de formation" in listing


def test_a_form_error_is_shown_and_nothing_written(client, world, registrar):
    _login(client, registrar)
    response = client.post(
        reverse("certification:message-new"), _post(world, audience="ue", send="1")
    )
    assert response.status_code == 200
    assert "Choisissez l&#x27;UE." in response.content.decode()
    assert Message.objects.count() == 0


def test_a_teacher_reaching_another_ue_gets_404(client, world):
    ue1, ue2 = world["ues"]
    teacher = StaffFactory(ues=[ue2])
    _login(client, teacher)
    url = reverse("certification:message-new")
    assert client.get(url, {"ue": ue2.pk}).status_code == 200
    own = _post(world, audience="ue", ue=ue2.pk, preview="1")
    assert "Envoyer à 3 destinataires" in client.post(url, own).content.decode()
    # Only « les élèves d'une UE » is offered to a teacher; the form refuses the others.
    response = client.post(url, _post(world, audience="promotion", ue=ue2.pk, preview="1"))
    assert "Envoyer à" not in response.content.decode()
    assert client.get(url, {"ue": ue1.pk}).status_code == 404
    data = _post(world, audience="ue", ue=ue1.pk, send="1", expected="4")
    assert client.post(url, data).status_code == 404
    assert Message.objects.count() == 0


def test_a_teacher_sees_only_their_messages(client, world, registrar, settings):
    settings.TASKS = IMMEDIATE
    ue2 = world["ues"][1]
    teacher = StaffFactory(ues=[ue2])
    theirs = _write(teacher, world, Audience.UE, ue=ue2, subject="Cours RSV207")
    other = _write(registrar, world, subject="De la scolarité")
    _login(client, teacher)
    listing = client.get(reverse("certification:messages")).content.decode()
    assert "Cours RSV207" in listing
    assert "De la scolarité" not in listing
    assert client.get(reverse("certification:message", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("certification:message", args=[other.pk])).status_code == 404
    retry = reverse("certification:message-retry", args=[other.pk])
    assert client.post(retry).status_code == 404


def test_a_student_is_refused_and_anonymous_sent_to_sign_in(client, world):
    url = reverse("certification:messages")
    assert client.get(url).status_code == 302
    _login(client, world["e"]["Alain"].student.user)
    assert client.get(url).status_code == 403
    assert client.get(reverse("certification:message-new")).status_code == 403
