"""The jury lifecycle, bullet by bullet (RULES.md §7, §7b): deliberation, later deliberations,
correction after the jury, certificates only for « admis », revocation and replacement."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from certification import services, tasks
from certification.models import Certificate, Jury
from enrolment.models import Enrolment, ProgrammeYear
from grading.models import Grade, GradeHistory
from grading.services import assessment_publish
from lib.formats import long_date
from tests.certification.lifecycle_world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    world = build_world()
    world.publish_all()
    return world


def test_jury_page_lists_draft_marks_with_links_and_refuses_to_deliberate(client, db):
    world = build_world()  # every mark still a draft
    client.force_login(world.registrar)
    page = client.get(reverse("certification:registrar-jury", args=[world.py.pk]))
    html = page.content.decode()
    assert "12 notes sont encore en brouillon." in html
    assert reverse("grading:staff-grid", args=[world.ct.pk]) in html
    r = client.post(
        reverse("certification:registrar-jury-deliberate", args=[world.py.pk]),
        {"deliberated_at": "2025-07-01T14:00", "members": "Mme A", "confirm": "on"},
    )
    assert r.status_code == 400
    assert "encore en brouillon" in r.content.decode()
    assert not Jury.objects.exists()
    assert ProgrammeYear.objects.get(pk=world.py.pk).frozen_at is None


def test_first_deliberation_records_decisions_freezes_and_locks(world):
    jury = world.deliberate()
    assert (jury.sequence, jury.kind) == (1, Jury.Kind.FIRST)
    decisions = dict(
        Enrolment.objects.filter(programme_year=world.py).values_list(
            "student__number", "jury_decision"
        )
    )
    assert sorted(decisions.values()) == ["admis", "ajourne", "defaillant", "en_attente"]
    assert {s["decision"] for s in jury.snapshot["students"]} == set(decisions.values())
    assert ProgrammeYear.objects.get(pk=world.py.pk).frozen_at is not None
    assert not Grade.objects.filter(enrolment__programme_year=world.py, locked=False).exists()


def test_a_later_deliberation_needs_its_kind_and_a_reason(world):
    world.deliberate()
    with pytest.raises(services.CertificationError) as exc:
        world.deliberate(days=1)
    assert "seconde session" in " ".join(exc.value.reasons)
    assert "motif" in " ".join(exc.value.reasons)
    with pytest.raises(services.CertificationError):
        world.deliberate(kind="rectificatif", reason="   ", days=1)
    assert Jury.objects.count() == 1


def test_earlier_pv_versions_stay_downloadable_and_unchanged(client, world):
    from tests.certification.test_one_truth import pdftotext

    first = world.deliberate()
    client.force_login(world.registrar)
    url_1 = reverse("certification:jury-pv-pdf-version", args=[world.py.pk, 1])
    before = pdftotext(client.get(url_1).content)
    # Rendered from its frozen snapshot and dated by its deliberation: the same on any day.
    assert f"Délivré le {long_date(first.deliberated_at)}" in before
    world.enter("makeup", world.makeup, "graded", "14")
    assessment_publish(assessment=world.makeup, by=world.registrar)
    second = world.deliberate(kind="second_session", reason="Rattrapages de juin", days=1)
    assert pdftotext(client.get(url_1).content) == before
    latest = pdftotext(client.get(reverse("certification:jury-pv-pdf", args=[world.py.pk])).content)
    assert f"PV n° 2 — seconde session du {long_date(second.deliberated_at)}" in latest
    assert "Rattrapages de juin" in latest
    assert "PV n° 1" in before and "seconde session" not in before


def test_correction_after_the_jury_is_a_draft_until_the_rectificatif(client, world):
    world.deliberate()
    grade = world.grade("good", world.ct207)
    with pytest.raises(services.CertificationError):
        services.jury_grade_unlock(grade=grade, by=world.registrar, reason="")
    # The registrar unlocks from the jury's student page, with a reason.
    client.force_login(world.registrar)
    r = client.post(
        reverse("certification:registrar-grade-unlock", args=[grade.pk]),
        {"reason": "Erreur de report"},
    )
    assert r.status_code == 302
    grade.refresh_from_db()
    assert (grade.locked, grade.under_correction) == (False, True)
    world.enter("good", world.ct207, "graded", "9.5")
    grade.refresh_from_db()
    assert (grade.value, grade.published) == (9.5, False)
    # The teacher's « Publier » does not publish a correction; the student sees no draft.
    assessment_publish(assessment=world.ct207, by=world.registrar)
    grade.refresh_from_db()
    assert not grade.published
    client.force_login(world.students["good"].student.user)
    assert "9,50" not in client.get(reverse("grading:student-grades")).content.decode()
    world.deliberate(kind="rectificatif", reason="Erreur de report en RSV207", days=1)
    grade.refresh_from_db()
    assert (grade.published, grade.locked, grade.under_correction) == (True, True, False)
    actions = list(grade.history.values_list("action", flat=True))
    assert actions[-4:] == ["unlock", "change", "publish", "lock"]
    assert grade.history.filter(action="unlock", reason="Erreur de report").exists()
    assert Enrolment.objects.get(pk=grade.enrolment_id).jury_decision == "ajourne"


def test_no_certificate_or_attestation_before_the_jury(client, world):
    client.force_login(world.registrar)
    html = client.get(reverse("certification:registrar-jury", args=[world.py.pk])).content
    assert b"registrar-certificate-issue" not in html
    assert "Délivrer</button>" not in html.decode()
    r = client.post(
        reverse("certification:registrar-certificate-issue", args=[world.students["good"].pk]),
        follow=True,
    )
    assert "Le jury n&#x27;a pas encore délibéré." in r.content.decode()
    with pytest.raises(services.CertificationError):
        tasks.bulk_issue_start(programme_year=world.py, by=world.registrar)
    assert not Certificate.objects.exists()
    student = world.students["good"]
    client.force_login(student.student.user)
    r = client.get(reverse("certification:attestation-pdf", args=[student.pk]))
    assert r.status_code == 409


def test_certificates_and_attestations_only_for_admis(client, world):
    world.deliberate()
    for who in ("makeup", "failed", "missed"):
        with pytest.raises(services.CertificationError) as exc:
            world.issue(who)
        assert exc.value.reasons[0].startswith("Décision du jury : ")
        enrolment = world.students[who]
        client.force_login(enrolment.student.user)
        r = client.get(reverse("certification:attestation-pdf", args=[enrolment.pk]))
        assert r.status_code == 409
    assert world.issue("good").number.endswith("00001")
    enrolment = world.students["good"]
    client.force_login(enrolment.student.user)
    assert (
        client.get(reverse("certification:attestation-pdf", args=[enrolment.pk])).status_code == 200
    )


def test_fees_gate_the_certificate_at_issue_time_but_not_the_decision(world):
    Enrolment.objects.filter(pk=world.students["good"].pk).update(fees_due=150)
    world.deliberate()
    assert Enrolment.objects.get(pk=world.students["good"].pk).jury_decision == "admis"
    with pytest.raises(services.CertificationError) as exc:
        world.issue("good")
    assert exc.value.reasons == ["150,00\xa0€ restent dus"]


def test_revoked_certificate_is_replaced_and_its_pages_say_so(client, world):
    world.deliberate()
    old = world.issue("good")
    old_pdf = old.pdf.read()
    services.certificate_revoke(certificate=old, by=world.registrar, reason="Erreur d'état civil")
    new = world.issue("good")
    assert (new.sequence, new.replaces_id) == (2, old.pk)
    assert world.issue("good").pk == new.pk  # issuing twice returns the same one

    html = client.get(reverse("certification:verify", args=[old.verification_code])).content
    text = html.decode()
    assert "Certificat révoqué" in text and f"remplacé par {new.number}" in text
    upload = client.post(
        reverse("certification:verify-upload"),
        {"document": SimpleUploadedFile("c.pdf", old_pdf, content_type="application/pdf")},
    ).content.decode()
    assert "alert-danger" in upload and "Révoqué" in upload
    assert "Élève ROUSSEAU" in upload and f"remplacé par {new.number}" in upload
    upload = client.post(
        reverse("certification:verify-upload"),
        {"document": SimpleUploadedFile("c.pdf", new.pdf.read(), content_type="application/pdf")},
    ).content.decode()
    assert "Authentique" in upload and "Élève ROUSSEAU" in upload and "alert-success" in upload

    client.force_login(world.registrar)
    page = client.get(reverse("certification:registrar-certificate", args=[old.pk])).content
    assert new.number in page.decode()


def test_export_has_a_decision_once_the_jury_has_deliberated(world):
    def export(fmt):
        out = StringIO()
        call_command("export_results", "CS2600A", world.py.year, "--format", fmt, stdout=out)
        return out.getvalue()

    assert "decision" not in json.loads(export("json"))["students"][0]
    assert "decision" not in export("csv").splitlines()[0]
    world.deliberate()
    students = {s["number"]: s["decision"] for s in json.loads(export("json"))["students"]}
    assert students == {
        "2300001": "admis",
        "2300002": "en_attente",
        "2300003": "ajourne",
        "2300004": "defaillant",
    }
    header, first, *_ = export("csv").splitlines()
    assert header.endswith(";decision") and first.endswith(";admis")


def test_student_pages_say_the_decision_and_never_contradict_a_certificate(client, world):
    world.deliberate()
    world.issue("good")
    client.force_login(world.students["good"].student.user)
    html = client.get(reverse("certification:student-certification")).content.decode()
    assert "Certificat délivré" in html
    assert "Ce qui bloque encore" not in html
    assert escape("PV n° 1") in html and "<strong>admis</strong>" in html


def test_history_pages_render_for_changes_without_an_author(client, world):
    world.deliberate()
    grade = world.grade("good", world.cc)
    GradeHistory.objects.create(
        grade=grade,
        at=timezone.now() - dt.timedelta(days=1),
        by=None,
        source=GradeHistory.Source.COHORT_IMPORT,
        action=GradeHistory.Action.CREATE,
        new_status="graded",
        new_value=grade.value,
    )
    client.force_login(world.registrar)
    r = client.get(reverse("certification:registrar-jury-student", args=[grade.enrolment_id]))
    assert r.status_code == 200
    assert "Import de promotion" in r.content.decode()
