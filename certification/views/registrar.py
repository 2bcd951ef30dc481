"""Registrar pages of the certification app: juries, deliberation, certificates, bulk jobs."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment.models import Enrolment, ProgrammeYear
from enrolment.views.registrar import registrar_required
from grading.models import Grade, GradeHistory

from .. import documents, qr, services
from ..forms import DeliberateForm, ReasonForm
from ..models import BulkIssueJob, Certificate, Jury
from ..selectors import cohort_results


@registrar_required
def jury_list(request: HttpRequest) -> HttpResponse:
    years = ProgrammeYear.objects.select_related("programme", "jury").order_by(
        "programme__code", "-year"
    )
    return render(request, "certification/registrar/juries.html", {"years": years})


def _programme_year(programme_year_id: int) -> ProgrammeYear:
    return get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=programme_year_id
    )


def _jury_page(
    request: HttpRequest, py: ProgrammeYear, form: DeliberateForm | None = None
) -> HttpResponse:
    jury = Jury.objects.filter(programme_year=py).first()
    results = cohort_results(py, published_only=False)
    rows = documents.jury_rows(results)
    certificates = dict(
        Certificate.objects.filter(programme_year=py).values_list("enrolment_id", "number")
    )
    ue_codes = sorted({cell.code for row in rows for cell in row.ues})
    context = {
        "py": py,
        "jury": jury,
        "rows": [(row, certificates.get(row.enrolment_id)) for row in rows],
        "ue_codes": ue_codes,
        "eligible": sum(1 for r in rows if r.eligible),
        "to_issue": sum(1 for r in rows if r.eligible and r.enrolment_id not in certificates),
        "form": form or DeliberateForm(),
        "last_job": BulkIssueJob.objects.filter(programme_year=py).first(),
    }
    return render(
        request,
        "certification/registrar/jury.html",
        context,
        status=400 if form is not None else 200,
    )


@registrar_required
def jury_detail(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    return _jury_page(request, _programme_year(programme_year_id))


@require_POST
@registrar_required
def jury_deliberate(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    form = DeliberateForm(request.POST)
    if form.is_valid():
        try:
            services.jury_deliberate(
                programme_year=py,
                deliberated_at=form.cleaned_data["deliberated_at"],
                members=form.cleaned_data["members"],
                by=request.user,
            )
        except services.CertificationError as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request, _("Délibération enregistrée : résultats figés et notes verrouillées.")
            )
            return redirect("certification:registrar-jury", programme_year_id=py.pk)
    return _jury_page(request, py, form)


def _enrolment(enrolment_id: int) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.select_related("student__user", "programme_year__programme"),
        pk=enrolment_id,
    )


@registrar_required
def jury_student(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """One student's grades after the jury, each with its lock and an unlock form."""
    enrolment = _enrolment(enrolment_id)
    grades = (
        Grade.objects.filter(enrolment=enrolment)
        .select_related("assessment__ue")
        .prefetch_related(Prefetch("history", queryset=GradeHistory.objects.select_related("by")))
        .order_by("assessment__ue__code", "assessment__date", "assessment__key")
    )
    return render(
        request,
        "certification/registrar/jury_student.html",
        {
            "enrolment": enrolment,
            "grades": grades,
            "form": ReasonForm(),
            "certificate": Certificate.objects.filter(enrolment=enrolment).first(),
        },
    )


@require_POST
@registrar_required
def grade_unlock(request: HttpRequest, grade_id: int) -> HttpResponse:
    grade = get_object_or_404(Grade.objects.select_related("enrolment"), pk=grade_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.jury_grade_unlock(
                grade=grade, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.CertificationError as exc:
            messages.error(request, " ".join(exc.reasons))
        else:
            messages.success(request, _("Note déverrouillée ; le déverrouillage est historisé."))
    else:
        messages.error(request, _("Un motif est obligatoire pour déverrouiller une note."))
    return redirect("certification:registrar-jury-student", enrolment_id=grade.enrolment_id)


@require_POST
@registrar_required
def certificate_issue(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(enrolment_id)
    try:
        certificate = services.certificate_issue(enrolment=enrolment, by=request.user)
    except services.CertificationError as exc:
        messages.error(
            request,
            _("Certificat refusé pour %(name)s : %(reasons)s")
            % {"name": enrolment.student.full_name, "reasons": " ; ".join(exc.reasons)},
        )
        return redirect(
            "certification:registrar-jury", programme_year_id=enrolment.programme_year_id
        )
    messages.success(request, _("Certificat %(number)s délivré.") % {"number": certificate.number})
    return redirect("certification:registrar-certificate", certificate_id=certificate.pk)


@require_POST
@registrar_required
def bulk_issue(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    job = services.bulk_issue_start(programme_year=py, by=request.user)
    return redirect("certification:registrar-bulk-job", job_id=job.pk)


def _job(job_id: int) -> BulkIssueJob:
    return get_object_or_404(
        BulkIssueJob.objects.select_related("programme_year__programme"), pk=job_id
    )


def _job_state(job: BulkIssueJob) -> dict[str, object]:
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "done": job.done,
        "total": job.total,
        "failures": job.failures,
        "finished": job.status in {BulkIssueJob.Status.DONE, BulkIssueJob.Status.FAILED},
        "percent": round(100 * job.done / job.total) if job.total else 100,
    }


@registrar_required
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    return render(
        request,
        "certification/registrar/bulk_job.html",
        {
            "job": job,
            "state": _job_state(job),
            "status_url": reverse("certification:registrar-bulk-job-status", args=[job.pk]),
        },
    )


@registrar_required
def bulk_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    return JsonResponse(_job_state(_job(job_id)))


@require_POST
@registrar_required
def bulk_job_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    services.bulk_issue_enqueue(job=job)
    messages.success(request, _("Délivrance relancée : les certificats déjà délivrés sont repris."))
    return redirect("certification:registrar-bulk-job", job_id=job.pk)


@registrar_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    certificates = Certificate.objects.select_related(
        "enrolment__student", "programme_year__programme"
    ).order_by("programme_year__programme__code", "-programme_year__year", "sequence")
    return render(
        request, "certification/registrar/certificates.html", {"certificates": certificates}
    )


@registrar_required
def certificate_detail(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_object_or_404(
        Certificate.objects.select_related("enrolment__student", "programme_year__programme"),
        pk=certificate_id,
    )
    return render(
        request,
        "certification/registrar/certificate.html",
        {
            "certificate": certificate,
            "qr_svg": qr.qr_svg(certificate.snapshot["verification_url"]),
            "form": ReasonForm(),
        },
    )


@require_POST
@registrar_required
def certificate_revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.certificate_revoke(
                certificate=certificate, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.CertificationError as exc:
            messages.error(request, " ".join(exc.reasons))
        else:
            messages.success(request, _("Certificat révoqué."))
    else:
        messages.error(request, _("Un motif est obligatoire pour révoquer un certificat."))
    return redirect("certification:registrar-certificate", certificate_id=certificate.pk)


urlpatterns: list[URLPattern] = [
    path("scolarite/jurys/", jury_list, name="registrar-juries"),
    path("scolarite/jurys/<int:programme_year_id>/", jury_detail, name="registrar-jury"),
    path(
        "scolarite/jurys/<int:programme_year_id>/deliberer/",
        jury_deliberate,
        name="registrar-jury-deliberate",
    ),
    path(
        "scolarite/jurys/<int:programme_year_id>/certificats/",
        bulk_issue,
        name="registrar-bulk-issue",
    ),
    path(
        "scolarite/jurys/eleve/<int:enrolment_id>/",
        jury_student,
        name="registrar-jury-student",
    ),
    path(
        "scolarite/notes/<int:grade_id>/deverrouiller/",
        grade_unlock,
        name="registrar-grade-unlock",
    ),
    path("scolarite/certificats/", certificate_list, name="registrar-certificates"),
    path(
        "scolarite/certificats/delivrer/<int:enrolment_id>/",
        certificate_issue,
        name="registrar-certificate-issue",
    ),
    path(
        "scolarite/certificats/<int:certificate_id>/",
        certificate_detail,
        name="registrar-certificate",
    ),
    path(
        "scolarite/certificats/<int:certificate_id>/revoquer/",
        certificate_revoke,
        name="registrar-certificate-revoke",
    ),
    path("scolarite/certificats/lots/<int:job_id>/", bulk_job, name="registrar-bulk-job"),
    path(
        "scolarite/certificats/lots/<int:job_id>/etat.json",
        bulk_job_status,
        name="registrar-bulk-job-status",
    ),
    path(
        "scolarite/certificats/lots/<int:job_id>/relancer/",
        bulk_job_resume,
        name="registrar-bulk-job-resume",
    ),
]
