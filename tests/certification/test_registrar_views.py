import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification import services
from certification.forms import DeliberateForm
from certification.models import BulkIssueJob, Certificate, Jury
from enrolment.models import Enrolment, StudentProfile
from grading.models import Grade

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
    assert "Je confirme : 3 certificats seront délivrés et 3 élèves recevront un e-mail." in page
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


# --- Confirmations that state consequences (issue 10) ------------------------------------


def test_deliberating_without_the_confirmation_changes_nothing_and_states_the_counts(
    client, cohort, registrar
):
    py = cohort["py"]
    client.force_login(registrar)
    r = client.post(
        reverse("certification:registrar-jury-deliberate", args=[py.pk]),
        {"deliberated_at": "2025-07-01T14:00", "members": "Mme A"},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert (
        "Je confirme : les notes des 5 élèves seront verrouillées, leurs décisions enregistrées "
        "et la promotion figée" in html
    )
    assert "Cochez la case de confirmation pour délibérer." in html
    py.refresh_from_db()
    assert py.frozen_at is None and not Jury.objects.exists()
    assert not Grade.objects.filter(enrolment__programme_year=py, locked=True).exists()
    assert not Enrolment.objects.filter(programme_year=py).exclude(jury_decision="").exists()


def test_a_later_deliberation_names_the_corrections_it_will_publish():
    form = DeliberateForm(later=True, count=4, corrections=1)
    label = form.fields["confirm"].label
    assert label.startswith("Je confirme : cette délibération remplace la précédente ;")
    assert "les décisions des 4 élèves seront recalculées" in label
    assert label.endswith("1 note en cours de correction sera publiée.")
    assert "correction" not in DeliberateForm(later=True, count=4).fields["confirm"].label


def test_bulk_issue_without_the_confirmation_issues_and_mails_nothing(
    client, deliberated, registrar, settings, mailoutbox
):
    settings.TASKS = IMMEDIATE
    py = deliberated["py"]
    client.force_login(registrar)
    r = client.post(reverse("certification:registrar-bulk-issue", args=[py.pk]))
    assert r.status_code == 400
    html = r.content.decode()
    assert "3 certificats seront délivrés et 3 élèves recevront un e-mail" in html
    assert "Cochez la case de confirmation pour délivrer les certificats." in html
    assert not BulkIssueJob.objects.exists() and not Certificate.objects.exists()
    assert mailoutbox == []


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_bulk_issue_counts_only_the_certificates_still_to_issue(client, deliberated, registrar):
    """One « admis » already holds a certificate: the confirmation says 2, not 3."""
    services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)
    client.force_login(registrar)
    page = client.get(
        reverse("certification:registrar-jury", args=[deliberated["py"].pk])
    ).content.decode()
    assert "Je confirme : 2 certificats seront délivrés et 2 élèves recevront un e-mail." in page


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_revoking_without_the_confirmation_keeps_the_certificate_valid(
    client, deliberated, registrar
):
    certificate = services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)
    url = reverse("certification:registrar-certificate-revoke", args=[certificate.pk])
    client.force_login(registrar)
    r = client.post(url, {"reason": "Erreur d'état civil"})
    assert r.status_code == 400
    html = r.content.decode()
    assert (
        f"Je confirme : le certificat n° {certificate.number} ne sera plus valide ; la page de "
        "vérification l&#x27;indiquera" in html
    )
    assert "Cochez la case de confirmation pour révoquer le certificat." in html
    assert 'value="Erreur d&#x27;état civil"' in html  # the reason typed is kept
    certificate.refresh_from_db()
    assert certificate.revoked_at is None

    r = client.post(url, {"reason": "Erreur d'état civil", "confirm": "on"})
    assert r.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Erreur d'état civil"
    assert certificate.revoked_at is not None


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_revoking_without_a_reason_is_refused_on_the_page(client, deliberated, registrar):
    certificate = services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)
    client.force_login(registrar)
    r = client.post(
        reverse("certification:registrar-certificate-revoke", args=[certificate.pk]),
        {"reason": "  ", "confirm": "on"},
    )
    assert r.status_code == 400
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


# --- The jury table: filters and sort, server-side (issue 10) -----------------------------


def _named(cohort: dict, names: list[tuple[str, str]]) -> list[Enrolment]:
    """Give the cohort's students distinct names, in cohort order."""
    enrolments = cohort["enrolments"]
    for enrolment, (last, first) in zip(enrolments, names, strict=True):
        StudentProfile.objects.filter(pk=enrolment.student_id).update(
            last_name=last, first_name=first
        )
    return enrolments


def _numbers(response) -> list[str]:
    return [line.row.number for line in response.context["rows"]]


def _jury(client, py, **params):
    return client.get(reverse("certification:registrar-jury", args=[py.pk]), params)


NAMES = [("Lefèvre", "Hugo"), ("Benali", "Yasmine"), ("Dumont", "Karim"), ("Zola", "Émile"),
         ("André", "Inès")]  # fmt: skip


def test_the_jury_table_filters_by_decision_and_says_how_many_are_shown(
    client, deliberated, registrar
):
    py = deliberated["py"]
    failing = deliberated["enrolments"][3]
    client.force_login(registrar)
    r = _jury(client, py, decision="ajourne")
    assert _numbers(r) == [failing.student.number]
    assert "1 élève sur 5" in r.content.decode()
    assert len(_numbers(_jury(client, py, decision="admis"))) == 4
    r = _jury(client, py, decision="none")
    assert _numbers(r) == []
    assert "Aucun élève ne correspond à ces filtres." in r.content.decode()
    full = _jury(client, py)
    assert len(_numbers(full)) == 5 and " élèves sur 5" not in full.content.decode()


def test_before_the_jury_every_student_is_not_deliberated_and_filters_use_the_proposal(
    client, cohort, registrar
):
    py = cohort["py"]
    client.force_login(registrar)
    assert len(_numbers(_jury(client, py, decision="none"))) == 5
    assert _numbers(_jury(client, py, decision="ajourne")) == [
        cohort["enrolments"][3].student.number
    ]


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_the_jury_table_filters_the_certificates_to_issue(client, deliberated, registrar):
    py = deliberated["py"]
    issued = deliberated["enrolments"][0]
    services.certificate_issue(enrolment=issued, by=registrar)
    client.force_login(registrar)
    to_issue = _numbers(_jury(client, py, certificate="to_issue"))
    assert to_issue == [e.student.number for e in deliberated["enrolments"][1:3]]
    assert _numbers(_jury(client, py, certificate="issued")) == [issued.student.number]


def test_the_jury_table_search_ignores_accents_and_case_and_matches_numbers(
    client, cohort, registrar
):
    enrolments = _named(cohort, NAMES)
    client.force_login(registrar)
    assert _numbers(_jury(client, cohort["py"], q="lefevre")) == [enrolments[0].student.number]
    assert _numbers(_jury(client, cohort["py"], q="EMILE zola")) == [enrolments[3].student.number]
    number = enrolments[2].student.number
    assert _numbers(_jury(client, cohort["py"], q=number)) == [number]


def test_the_jury_table_sorts_by_name_ue_average_and_credits_with_aria_sort(
    client, cohort, registrar
):
    py = cohort["py"]
    enrolments = _named(cohort, NAMES)
    # RSV206 averages 14, 9, 17, 14, 11 (a tie keeps the students' number order).
    for enrolment, value in zip(enrolments, ["14", "9", "17", "14", "11"], strict=True):
        Grade.objects.filter(enrolment=enrolment, assessment=cohort["assessments"][0]).update(
            value=Decimal(value)
        )
    n = [e.student.number for e in enrolments]
    client.force_login(registrar)

    r = _jury(client, py, sort="name")
    assert _numbers(r) == [n[4], n[1], n[2], n[0], n[3]]  # André, Benali, Dumont, Lefèvre, Zola
    html = r.content.decode()
    assert re.search(r'<th scope="col" class="sortable sticky-col" aria-sort="ascending">', html)
    assert 'href="?sort=-name"' in html  # a second click sorts Z→A

    r = _jury(client, py, sort="-ue:RSV206")
    assert _numbers(r) == [n[2], n[0], n[3], n[4], n[1]]
    assert 'aria-sort="descending"><a href="?sort=ue%3ARSV206">RSV206' in r.content.decode()
    assert _numbers(_jury(client, py, sort="ue:RSV206")) == [n[1], n[4], n[0], n[3], n[2]]
    # Credits: the one failing RSV206 (9 < 10) has 4, the others 12.
    assert _numbers(_jury(client, py, sort="credits"))[0] == n[1]


def test_sort_links_keep_the_filters_and_unknown_values_are_ignored(client, cohort, registrar):
    py = cohort["py"]
    client.force_login(registrar)
    html = _jury(client, py, decision="admis", q="24").content.decode()
    assert 'href="?q=24&amp;decision=admis&amp;sort=-credits"' in html
    r = _jury(client, py, sort="drop table", decision="nonsense", certificate="?")
    assert r.status_code == 200
    assert _numbers(r) == sorted(e.student.number for e in cohort["enrolments"])


def test_filtering_and_sorting_keep_the_page_query_count(client, cohort, registrar):
    py = cohort["py"]
    client.force_login(registrar)
    _jury(client, py)  # warm up (session, permissions cache)
    with CaptureQueriesContext(connection) as plain:
        _jury(client, py)
    with CaptureQueriesContext(connection) as filtered:
        _jury(client, py, q="Martin", decision="admis", certificate="to_issue", sort="-credits")
    assert len(filtered) == len(plain)


# --- The planned jury date (informational, shown to students) -----------------------------


def test_the_registrar_announces_then_withdraws_the_planned_jury_date(client, cohort, registrar):
    py = cohort["py"]
    url = reverse("certification:registrar-jury-date", args=[py.pk])
    client.force_login(registrar)
    r = client.post(url, {"jury_planned_on": "2025-06-27"}, follow=True)
    py.refresh_from_db()
    assert py.jury_planned_on == dt.date(2025, 6, 27)
    html = r.content.decode()
    assert "Date prévue du jury : 27 juin 2025." in html
    assert "Date prévue du jury : 27 juin 2025, annoncée aux élèves" in html
    client.post(url, {"jury_planned_on": ""})
    py.refresh_from_db()
    assert py.jury_planned_on is None


def test_a_bad_planned_date_is_refused_and_nothing_changes(client, cohort, registrar):
    py = cohort["py"]
    py.jury_planned_on = dt.date(2025, 6, 27)
    py.save()
    client.force_login(registrar)
    r = client.post(
        reverse("certification:registrar-jury-date", args=[py.pk]), {"jury_planned_on": "31/02"}
    )
    assert r.status_code == 400
    assert "Saisissez une date valide." in r.content.decode()
    py.refresh_from_db()
    assert py.jury_planned_on == dt.date(2025, 6, 27)


def test_a_student_cannot_set_the_planned_jury_date(client, cohort):
    py = cohort["py"]
    client.force_login(cohort["enrolments"][0].student.user)
    r = client.post(
        reverse("certification:registrar-jury-date", args=[py.pk]),
        {"jury_planned_on": "2025-06-27"},
    )
    assert r.status_code == 403
    py.refresh_from_db()
    assert py.jury_planned_on is None


def test_jury_decisions_are_translated_on_the_jury_page(client, deliberated, registrar):
    """The decision words go through gettext: English words on an English page."""
    client.force_login(registrar)
    url = reverse("certification:registrar-jury", args=[deliberated["py"].pk])
    html = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "<strong>passed</strong>" in html and "<strong>failed</strong>" in html
    assert "<strong>admis</strong>" not in html and "<strong>ajourné</strong>" not in html
    student = reverse(
        "certification:registrar-jury-student", args=[deliberated["enrolments"][0].pk]
    )
    assert "admis" not in client.get(student, headers={"accept-language": "en"}).content.decode()
