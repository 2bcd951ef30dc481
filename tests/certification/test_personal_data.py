"""« Mes données » (RGPD, issue 14): a student's export of everything the portal holds about
them, as a ZIP built in the background, kept 24 h, each request and download logged."""

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import JustificationRequest
from certification import personal_data, tasks
from certification.models import PersonalDataExport
from certification.personal_data import (
    ExportExpired,
    PersonalDataError,
    export_build,
    export_download,
    export_request,
    exports_expire,
)
from certification.services import certificate_issue
from enrolment.models import AuditEntry, EnrolmentStatusChange, Notification
from tests.certification.conftest import make_cohort
from tests.conftest import certificates_without_pdf
from tests.factories import (
    AssessmentFactory,
    PaymentFactory,
    RegistrarFactory,
    StaffFactory,
)
from tests.student_data import absent, cohort, enrol, grade, session, signed_in, student

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
SECTIONS = [
    "identite",
    "inscriptions",
    "assiduite",
    "justificatifs",
    "notes",
    "documents",
    "messages",
    "journal",
]


@pytest.fixture
def world(monkeypatch):
    """Two students of one cohort, each with grades, an absence, a justification, a payment
    and a notification; the first also has a draft grade (never exported).

    Speed only: the relevé the archive holds is stored without being rendered nor signed
    (~0.3 s each export). The rendered, signed documents of an archive are tested apart
    (``test_certificate_transcript_and_attestation_pdfs_are_in_documents``)."""
    certificates_without_pdf(monkeypatch, module="certification.personal_data")
    c = cohort()
    me = student("camille", number="2400101")
    other = student("dominique", number="2400102", first_name="Dominique", last_name="Autreval")
    mine, theirs = enrol(me, c, fees="300"), enrol(other, c)
    cc = AssessmentFactory(ue=c.rsv206, key="CC1", title="Note de synthèse", kind="cc")
    ct7 = AssessmentFactory(ue=c.rsv207, key="CT1", title="Dossier de projet", kind="ct")
    grade(cc, mine, value=Decimal("13.25"))
    grade(ct7, mine, value=Decimal("11.75"), published=False)
    grade(cc, theirs, value=Decimal("19.50"))
    grade(ct7, theirs, value=Decimal("4.25"))
    held = session(c.rsv206, days=-3, title="Séance du mardi")
    own_absence = absent(held, mine, justification_reason="Rendez-vous médical")
    their_absence = absent(held, theirs, justification_reason="Motif de Dominique")
    for attendance, comment, content in [
        (own_absence, "Certificat du médecin", b"%PDF-1.4 justificatif de Camille"),
        (their_absence, "Commentaire de Dominique", b"%PDF-1.4 justificatif de Dominique"),
    ]:
        JustificationRequest.objects.create(
            attendance=attendance,
            document=SimpleUploadedFile("scan.pdf", content),
            comment=comment,
            created_at=timezone.now(),
        )
    PaymentFactory(enrolment=mine, amount=Decimal("120.00"))
    PaymentFactory(enrolment=theirs, amount=Decimal("333.33"))
    EnrolmentStatusChange.objects.create(
        enrolment=mine, from_status="pending", to_status="enrolled", at=timezone.now()
    )
    Notification.objects.create(key="n1", recipient=me.user, subject="Vos notes sont publiées")
    Notification.objects.create(key="n2", recipient=other.user, subject="Objet pour Dominique")
    return {"me": me, "other": other, "mine": mine, "theirs": theirs, "cohort": c}


def _built(s, *, by=None, reference="", now=None):
    export, created = export_request(student=s, by=by or s.user, reference=reference)
    assert created
    return export_build(export.pk, now=now)


def _zip(export) -> zipfile.ZipFile:
    return zipfile.ZipFile(export.file.path)


def _data(export) -> dict:
    return json.loads(_zip(export).read("donnees.json").decode("utf-8"))


# --- Content --------------------------------------------------------------------------------


def test_the_zip_holds_the_json_with_every_section_the_readme_and_the_justification(world):
    export = _built(world["me"])
    assert (export.status, export.steps_done, export.steps_total) == ("done", 8, 8)
    archive = _zip(export)
    names = archive.namelist()
    assert {"donnees.json", "LISEZMOI.txt"} <= set(names)
    [justification] = [n for n in names if n.startswith("justificatifs/")]
    assert archive.read(justification) == b"%PDF-1.4 justificatif de Camille"
    data = _data(export)
    assert [k for k in data if k in SECTIONS] == SECTIONS
    assert data["identite"]["eleve"]["numero"] == "2400101"
    assert data["identite"]["eleve"]["date_de_naissance"] == "1990-04-02"
    [enrolment] = data["inscriptions"]
    assert [p["montant"] for p in enrolment["paiements"]] == ["120.00"]
    assert (enrolment["frais_dus"], enrolment["reste_du"]) == ("300.00", "180.00")
    assert [h["vers"] for h in enrolment["historique_du_statut"]] == ["enrolled"]
    [line] = data["assiduite"][0]["seances"]
    assert (line["presence"], line["motif"]) == ("absent", "Rendez-vous médical")
    [request] = data["justificatifs"]
    assert (request["commentaire"], request["fichier"]) == ("Certificat du médecin", justification)
    assert [n["objet"] for n in data["messages"]["notifications"]] == ["Vos notes sont publiées"]
    readme = archive.read("LISEZMOI.txt").decode("utf-8")
    assert "notes : les notes publiées seulement" in readme
    assert justification in readme


def test_attendance_of_a_ue_the_enrolment_no_longer_has_is_listed_apart(world):
    world["mine"].ues.remove(world["cohort"].rsv206)

    [attendance] = _data(_built(world["me"]))["assiduite"]

    assert attendance["seances"] == []
    [line] = attendance["lignes_hors_de_vos_ue"]
    assert (line["presence"], line["motif"]) == ("absent", "Rendez-vous médical")


def test_a_draft_grade_is_never_exported(world):
    data = _data(_built(world["me"]))
    [enrolment] = data["notes"]
    marks = {ue["code"]: [e["note"] for e in ue["evaluations"]] for ue in enrolment["ues"]}
    assert marks == {"RSV206": ["13.25"], "RSV207": []}
    assert "11.75" not in json.dumps(data)


def test_another_students_data_is_never_included(world):
    export = _built(world["me"])
    text = _zip(export).read("donnees.json").decode("utf-8")
    for theirs in [
        "2400102",
        "Autreval",
        "19.50",
        "4.25",
        "333.33",
        "Motif de Dominique",
        "Commentaire de Dominique",
        "Objet pour Dominique",
    ]:
        assert theirs not in text
    contents = b"".join(_zip(export).read(n) for n in _zip(export).namelist())
    assert b"justificatif de Dominique" not in contents


def test_certificate_transcript_and_attestation_pdfs_are_in_documents(registrar):
    c = make_cohort(1, deliberated=True)
    enrolment = c["enrolments"][0]
    certificate = certificate_issue(enrolment=enrolment, by=registrar)
    data_export = _built(enrolment.student)
    archive = _zip(data_export)
    pdfs = sorted(n for n in archive.namelist() if n.startswith("documents/"))
    assert [n.split("/")[1].split("-")[0] for n in pdfs] == ["attestation", "certificat", "releve"]
    with certificate.pdf.open("rb") as stored:
        assert archive.read(f"documents/certificat-{certificate.number}.pdf") == stored.read()
    assert all(archive.read(n).startswith(b"%PDF") for n in pdfs)
    data = _data(data_export)
    [issued] = data["documents"]["certificats"]
    assert (issued["numero"], issued["etat"]) == (certificate.number, "valide")
    assert issued["adresse_de_verification"] == certificate.snapshot["verification_url"]
    assert data["notes"][0]["jury"]["decision"] == "admis"
    # Signed as their own pages sign them: the attestation, and the relevé once final.
    rendered = {d["document"]: d["signe"] for d in data["documents"]["produits_pour_cet_export"]}
    assert rendered == {"relevé de notes": True, "attestation de réussite": True}


def test_a_purged_justification_file_is_said_so_and_left_out(world):
    request = JustificationRequest.objects.get(attendance__enrolment=world["mine"])
    # As the retention purge leaves it (attendance/retention.py): no file, ``purged_at`` set.
    request.document.delete(save=False)
    JustificationRequest.objects.filter(pk=request.pk).update(document="", purged_at=timezone.now())
    export = _built(world["me"])
    assert not [n for n in _zip(export).namelist() if n.startswith("justificatifs/")]
    [line] = _data(export)["justificatifs"]
    assert line["fichier"] is None
    assert line["fichier_non_inclus"] == "supprimé (durée de conservation écoulée)"


# --- Progress, failure, expiry -------------------------------------------------------------------


def test_progress_moves_one_step_per_section(world):
    export, _ = export_request(student=world["me"], by=world["me"].user)
    seen = []

    def watching(collect):
        def wrapper(b):
            seen.append(PersonalDataExport.objects.get(pk=export.pk).steps_done)
            return collect(b)

        return wrapper

    sections = [(k, label, watching(f)) for k, label, f in personal_data.SECTIONS]
    with mock.patch.object(personal_data, "SECTIONS", sections):
        export = export_build(export.pk)
    assert seen == [0, 1, 2, 3, 4, 5, 6, 7]
    assert (export.status, export.steps_done) == ("done", 8)


def test_a_failure_marks_the_export_failed_and_leaves_no_file(world, settings):
    export, _ = export_request(student=world["me"], by=world["me"].user)

    def broken(b):
        raise RuntimeError("disque plein")

    sections = list(personal_data.SECTIONS)
    sections[4] = ("notes", "Notes", broken)
    with mock.patch.object(personal_data, "SECTIONS", sections):
        export = export_build(export.pk)
    assert (export.status, export.file.name) == ("failed", "")
    assert list((settings.PRIVATE_STORAGE_ROOT / "personal_data").rglob("*")) == [
        settings.PRIVATE_STORAGE_ROOT / "personal_data" / str(world["me"].pk)
    ]
    # Failed, so the student may ask again.
    again, created = export_request(student=world["me"], by=world["me"].user)
    assert created and again.pk != export.pk


def test_building_twice_does_nothing_the_second_time(world):
    export = _built(world["me"])
    name = export.file.name
    assert export_build(export.pk).file.name == name


def test_after_24_hours_the_file_is_deleted_and_the_download_is_410(world):
    t0 = timezone.now()
    export = _built(world["me"], now=t0)
    assert export.expires_at == t0 + dt.timedelta(hours=24)
    path = export.file.path
    assert exports_expire(now=t0 + dt.timedelta(hours=23, minutes=59)) == 0
    assert export_download(export=export, by=world["me"].user, now=t0 + dt.timedelta(hours=23))
    with pytest.raises(ExportExpired):
        export_download(export=export, by=world["me"].user, now=t0 + dt.timedelta(hours=24))
    assert exports_expire(now=t0 + dt.timedelta(hours=24)) == 1
    export.refresh_from_db()
    assert (export.status, export.file.name) == ("expired", "")
    assert not Path(path).exists()
    response = signed_in(world["me"]).get(
        reverse("certification:personal-data-export-download", args=[export.pk])
    )
    assert response.status_code == 410
    assert "n'est plus disponible" in response.content.decode()


def test_the_delay_follows_the_setting(world, settings):
    settings.PERSONAL_DATA_EXPORT_HOURS = 2
    t0 = timezone.now()
    export = _built(world["me"], now=t0)
    assert export.expires_at == t0 + dt.timedelta(hours=2)
    assert exports_expire(now=t0 + dt.timedelta(hours=2, seconds=1)) == 1


def test_the_worker_hook_and_the_command_purge_expired_exports(world, settings):
    assert "certification.tasks.expire_personal_data_exports" in settings.TASK_RECOVERY_HOOKS
    old = _built(world["me"], now=timezone.now() - dt.timedelta(hours=25))
    assert tasks.expire_personal_data_exports() == 0
    old.refresh_from_db()
    assert old.status == "expired"
    fresh = _built(world["other"], now=timezone.now() - dt.timedelta(hours=30))
    out = io.StringIO()
    call_command("purge_personal_data_exports", stdout=out)
    assert out.getvalue() == "1 export(s) de données personnelles supprimé(s).\n"
    fresh.refresh_from_db()
    assert (fresh.status, fresh.file.name) == ("expired", "")


def test_a_request_stuck_without_worker_is_failed_after_an_hour(world):
    export, _ = export_request(student=world["me"], by=world["me"].user)
    exports_expire(now=export.created_at + dt.timedelta(minutes=59))
    export.refresh_from_db()
    assert export.status == "queued"
    exports_expire(now=export.created_at + dt.timedelta(hours=1, seconds=1))
    export.refresh_from_db()
    assert export.status == "failed"


# --- Requests and the journal --------------------------------------------------------------------


def test_each_request_and_each_download_is_in_the_journal(world):
    me = world["me"]
    export = _built(me)
    export_download(export=export, by=me.user).close()
    export_download(export=export, by=me.user).close()
    export.refresh_from_db()
    assert export.downloaded_count == 2
    lines = list(AuditEntry.objects.filter(action__startswith="rgpd.").order_by("pk"))
    assert [a.action for a in lines] == [
        "rgpd.export.request",
        "rgpd.export.download",
        "rgpd.export.download",
    ]
    assert lines[0].summary == (
        "Export des données personnelles de MARTIN Camille (2400101) demandé par l'élève"
    )
    assert lines[1].summary.endswith("téléchargé par l'élève")


def test_a_new_request_while_one_is_pending_or_ready_shows_it(world):
    me = world["me"]
    first, created = export_request(student=me, by=me.user)
    assert created
    assert export_request(student=me, by=me.user) == (first, False)
    export_build(first.pk)
    assert export_request(student=me, by=me.user) == (first, False)
    assert PersonalDataExport.objects.count() == 1
    assert AuditEntry.objects.filter(action="rgpd.export.request").count() == 1


def test_one_pending_export_per_student_is_a_database_constraint(world):
    export_request(student=world["me"], by=world["me"].user)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalDataExport.objects.create(student=world["me"], created_at=timezone.now())


@pytest.mark.parametrize("reference", ["", "   "])
def test_a_registrar_request_needs_the_written_requests_reference(world, registrar, reference):
    with pytest.raises(PersonalDataError, match="Indiquez la référence de la demande écrite"):
        export_request(student=world["me"], by=registrar, reference=reference)
    assert not PersonalDataExport.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="rgpd.").exists()


def test_a_registrar_request_keeps_its_reference_and_names_it_in_the_journal(world, registrar):
    export, created = export_request(
        student=world["me"], by=registrar, reference="Courrier du 28/11/2026 n° 114"
    )
    assert created and export.on_behalf
    assert export.request_reference == "Courrier du 28/11/2026 n° 114"
    [line] = AuditEntry.objects.filter(action="rgpd.export.request")
    assert "MARTIN Camille (2400101)" in line.summary
    assert "« Courrier du 28/11/2026 n° 114 »" in line.summary
    export = export_build(export.pk)
    assert _data(export)["demande"]["reference"] == "Courrier du 28/11/2026 n° 114"


def test_a_registrar_request_is_refused_while_another_is_pending(world, registrar):
    export_request(student=world["me"], by=world["me"].user)
    with pytest.raises(PersonalDataError, match="déjà en préparation"):
        export_request(student=world["me"], by=registrar, reference="Courrier n° 7")
    assert PersonalDataExport.objects.count() == 1


def test_a_reference_on_two_lines_is_refused(world, registrar):
    with pytest.raises(PersonalDataError, match="une seule ligne"):
        export_request(student=world["me"], by=registrar, reference="Courrier\nn° 7")


def test_nobody_but_the_registrar_asks_for_someone_elses_data(world):
    with pytest.raises(PersonalDataError):
        export_request(student=world["me"], by=world["other"].user)
    teacher = StaffFactory()
    with pytest.raises(PersonalDataError):
        export_request(student=world["me"], by=teacher, reference="x")
    assert not PersonalDataExport.objects.exists()


# --- Pages ---------------------------------------------------------------------------------------


def test_the_student_page_asks_shows_progress_and_offers_the_download(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    client = signed_in(world["me"])
    url = reverse("certification:student-personal-data")
    before = client.get(url).content.decode()
    assert "Préparer mon export" in before
    assert "Séances et assiduité" in before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    export = PersonalDataExport.objects.get()
    assert (export.status, export.task_id != "") == ("done", True)
    ready = client.get(url).content.decode()
    assert "Télécharger (disponible jusqu'au" in ready
    assert "Préparer mon export" not in ready
    download = client.get(reverse("certification:personal-data-export-download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert 'filename="donnees-personnelles-2400101.zip"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"PK")


def test_the_student_page_shows_the_steps_while_the_export_is_prepared(world):
    export, _ = export_request(student=world["me"], by=world["me"].user)
    PersonalDataExport.objects.filter(pk=export.pk).update(status="running", steps_done=3)
    html = signed_in(world["me"]).get(reverse("certification:student-personal-data")).content
    html = html.decode()
    assert '3</span> / <span id="export-total">8</span> étapes' in html
    assert "Justificatifs d&#x27;absence" in html
    state = signed_in(world["me"]).get(
        reverse("certification:personal-data-export-status", args=[export.pk])
    )
    assert state.json() == {
        "status": "running",
        "status_label": "En préparation",
        "done": 3,
        "total": 8,
        "section": "Justificatifs d'absence",
        "finished": False,
    }


def test_a_student_gets_404_on_another_students_export(world):
    export = _built(world["other"])
    client = signed_in(world["me"])
    for name in ["personal-data-export-download", "personal-data-export-status"]:
        assert client.get(reverse(f"certification:{name}", args=[export.pk])).status_code == 404
    teacher = Client()
    teacher.force_login(StaffFactory(ues=[world["cohort"].rsv206]))
    url = reverse("certification:personal-data-export-download", args=[export.pk])
    assert teacher.get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert not AuditEntry.objects.filter(action="rgpd.export.download").exists()


def test_the_registrar_downloads_a_students_export(world, registrar):
    export = _built(world["me"])
    client = Client()
    client.force_login(registrar)
    response = client.get(reverse("certification:personal-data-export-download", args=[export.pk]))
    assert response.status_code == 200
    [line] = AuditEntry.objects.filter(action="rgpd.export.download")
    assert line.by == registrar
    assert "téléchargé par la scolarité" in line.summary


def test_the_registrar_form_needs_a_reference_then_starts_the_export(
    world, registrar, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    client = Client()
    client.force_login(registrar)
    url = reverse("certification:registrar-personal-data", args=[world["me"].pk])
    assert "Référence de la demande écrite" in client.get(url).content.decode()
    refused = client.post(url, {"reference": ""})
    assert refused.status_code == 200
    assert "Indiquez la référence de la demande écrite" in refused.content.decode()
    assert not PersonalDataExport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reference": "Courrier n° 2026-114"})
    assert response.status_code == 302
    export = PersonalDataExport.objects.get()
    assert (export.status, export.on_behalf, export.requested_by) == ("done", True, registrar)
    page = client.get(url).content.decode()
    assert "Courrier n° 2026-114" in page
    assert "Télécharger (disponible jusqu'au" in page


def test_only_the_registrar_opens_the_registrar_page(world):
    url = reverse("certification:registrar-personal-data", args=[world["me"].pk])
    assert signed_in(world["me"]).get(url).status_code == 403
    client = Client()
    client.force_login(RegistrarFactory())
    assert (
        client.get(reverse("certification:registrar-personal-data", args=[99999])).status_code
        == 404
    )


def test_the_pages_link_to_the_export(world, registrar):
    profile = signed_in(world["me"]).get(reverse("enrolment:student-profile")).content.decode()
    assert reverse("certification:student-personal-data") in profile
    client = Client()
    client.force_login(registrar)
    detail = client.get(reverse("enrolment:registrar-enrolment", args=[world["mine"].pk]))
    assert reverse("certification:registrar-personal-data", args=[world["me"].pk]) in (
        detail.content.decode()
    )
