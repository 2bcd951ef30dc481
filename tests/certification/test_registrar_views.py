from django.urls import reverse

from certification.models import BulkIssueJob, Certificate, Jury

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_jury_page_deliberate_bulk_issue_pv_and_attestation(client, cohort, registrar, settings):
    settings.TASKS = IMMEDIATE
    py = cohort["py"]
    client.force_login(registrar)
    page = client.get(reverse("certification:registrar-jury", args=[py.pk])).content.decode()
    assert "RSV207 : moyenne 8,50 &lt; 10" in page and "150,00" in page
    assert "Délivrer les certificats" not in page  # nothing to issue before the jury
    deliberate_url = reverse("certification:registrar-jury-deliberate", args=[py.pk])
    form = {"deliberated_at": "2025-07-01T14:00", "members": "Mme A\nM. B"}
    r = client.post(deliberate_url, form)
    assert r.status_code == 400 and not Jury.objects.exists()
    assert "Cochez la case de confirmation" in r.content.decode()
    r = client.post(deliberate_url, {**form, "confirm": "on"})
    assert r.status_code == 302 and Jury.objects.filter(programme_year=py).exists()
    page = client.get(reverse("certification:registrar-jury", args=[py.pk])).content.decode()
    assert "Je confirme la délivrance de 3 certificats." in page
    r = client.post(reverse("certification:registrar-bulk-issue", args=[py.pk]))
    assert r.status_code == 400 and not BulkIssueJob.objects.exists()
    r = client.post(reverse("certification:registrar-bulk-issue", args=[py.pk]), {"confirm": "on"})
    job = BulkIssueJob.objects.get()
    assert r.url == reverse("certification:registrar-bulk-job", args=[job.pk])
    state = client.get(reverse("certification:registrar-bulk-job-status", args=[job.pk])).json()
    assert (state["done"], state["total"], state["finished"]) == (3, 3, True)
    assert Certificate.objects.count() == 3
    pv = client.get(reverse("certification:jury-pv-pdf", args=[py.pk]))
    assert pv.content.startswith(b"%PDF")
    e = cohort["enrolments"][0]
    client.force_login(e.student.user)
    att = client.get(reverse("certification:attestation-pdf", args=[e.pk]))
    assert att.status_code == 200 and att.content.startswith(b"%PDF")


def test_attestation_refused_before_the_jury_with_the_reason(client, cohort):
    e = cohort["enrolments"][0]
    client.force_login(e.student.user)
    r = client.get(reverse("certification:attestation-pdf", args=[e.pk]))
    assert r.status_code == 409 and "jury" in r.content.decode()


def test_single_issue_refused_shows_reasons(client, cohort, registrar):
    client.force_login(registrar)
    failing = cohort["enrolments"][3]
    r = client.post(
        reverse("certification:registrar-certificate-issue", args=[failing.pk]), follow=True
    )
    assert "8,50" in r.content.decode()
    assert not Certificate.objects.exists()


def test_student_cannot_issue_or_revoke(client, cohort):
    e = cohort["enrolments"][0]
    client.force_login(e.student.user)
    r = client.post(reverse("certification:registrar-certificate-issue", args=[e.pk]))
    assert r.status_code == 403
    assert not Certificate.objects.exists()
