"""Registrar pages of the certification app: juries, deliberation, certificates, bulk jobs."""

from django.contrib import messages
from django.db.models import Count, Max, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment import services as enrolment_services
from enrolment.access import registrar_required
from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import JuryDecision
from grading.models import Grade, GradeHistory
from lib.formats import long_date

from .. import documents, qr, services, tasks
from ..forms import (
    DeliberateForm,
    IssueCohortForm,
    JuryDateForm,
    JuryFilterForm,
    ReasonForm,
    RevokeForm,
)
from ..jury_table import CertificateCell, JuryLine, JuryQuery, decision_choices, jury_table
from ..models import BulkIssueJob, Certificate, Jury
from ..selectors import cohort_enrolments, cohort_results


@registrar_required
def jury_list(request: HttpRequest) -> HttpResponse:
    years = (
        ProgrammeYear.objects.select_related("programme")
        .annotate(n_juries=Count("juries"), last_at=Max("juries__deliberated_at"))
        .order_by("programme__code", "-year")
    )
    return render(request, "certification/registrar/juries.html", {"years": years})


def _programme_year(programme_year_id: int) -> ProgrammeYear:
    return get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=programme_year_id
    )


def _certificate_cells(
    py: ProgrammeYear, rows: list[documents.JuryRow]
) -> dict[int, CertificateCell]:
    valid: dict[int, Certificate] = {}
    revoked: dict[int, list[str]] = {}
    for c in Certificate.objects.filter(programme_year=py).only(
        "pk", "number", "enrolment_id", "revoked_at"
    ):
        if c.revoked_at is None:
            valid[c.enrolment_id] = c
        else:
            revoked.setdefault(c.enrolment_id, []).append(c.number)
    decisions = dict(Enrolment.objects.filter(programme_year=py).values_list("pk", "jury_decision"))
    cells: dict[int, CertificateCell] = {}
    for row in rows:
        current = valid.get(row.enrolment_id)
        admis = decisions.get(row.enrolment_id) == JuryDecision.ADMIS
        cells[row.enrolment_id] = CertificateCell(
            number=current.number if current else None,
            pk=current.pk if current else None,
            issuable=current is None and admis and row.fees_paid,
            flagged=current is not None and not admis,
            revoked=revoked.get(row.enrolment_id, []),
        )
    return cells


def _corrections(py: ProgrammeYear) -> int:
    return Grade.objects.filter(enrolment__programme_year=py, under_correction=True).count()


def _query(filter_form: JuryFilterForm) -> JuryQuery:
    filter_form.is_valid()  # an unknown value is ignored: the others still apply
    data = filter_form.cleaned_data
    return JuryQuery(
        q=data.get("q") or "",
        decision=data.get("decision") or "",
        certificate=data.get("certificate") or "",
        sort=data.get("sort") or "",
    )


def _jury_page(
    request: HttpRequest,
    py: ProgrammeYear,
    form: DeliberateForm | None = None,
    issue_form: IssueCohortForm | None = None,
    date_form: JuryDateForm | None = None,
) -> HttpResponse:
    juries = list(Jury.objects.filter(programme_year=py).order_by("sequence"))
    latest = juries[-1] if juries else None
    results = cohort_results(py, published_only=False)
    rows = documents.jury_rows(results)
    decisions = {er.enrolment.pk: er.enrolment.jury_decision for er in results}
    cells = _certificate_cells(py, rows)
    drafts = list(services.draft_grades(py)[:200])
    n_drafts = services.draft_grades(py).count() if len(drafts) == 200 else len(drafts)
    to_issue = sum(1 for cell in cells.values() if cell.issuable)
    bulk_count = sum(1 for cell in cells.values() if cell.bulk_target)
    corrections = _corrections(py)
    ue_codes = sorted({cell.code for row in rows for cell in row.ues})
    lines = [
        JuryLine(
            row=row,
            decided=_(JuryDecision(decisions[row.enrolment_id]).label)
            if decisions.get(row.enrolment_id)
            else "",
            cert=cells[row.enrolment_id],
        )
        for row in rows
    ]
    filter_form = JuryFilterForm(request.GET or None, decisions=decision_choices())
    query = _query(filter_form) if request.GET else JuryQuery()
    table = jury_table(
        lines,
        results=results,
        decisions=decisions,
        query=query,
        params=request.GET.dict(),
        ue_codes=ue_codes,
    )
    context = {
        "py": py,
        "juries": [(jury, documents.jury_title(jury)) for jury in juries],
        "latest": latest,
        "rows": table.lines,
        "table": table,
        "query": query,
        "filter_form": filter_form,
        "ue_codes": ue_codes,
        "drafts": drafts,
        "n_drafts": n_drafts,
        "corrections": corrections,
        "flagged": sum(1 for cell in cells.values() if cell.flagged),
        "to_issue": to_issue,
        "bulk_count": bulk_count,
        "form": form
        or DeliberateForm(later=latest is not None, count=len(rows), corrections=corrections),
        "issue_form": issue_form or IssueCohortForm(count=bulk_count),
        "date_form": date_form or JuryDateForm(initial={"jury_planned_on": py.jury_planned_on}),
        "last_job": BulkIssueJob.objects.filter(programme_year=py).first(),
    }
    bad = form is not None or issue_form is not None or date_form is not None
    return render(request, "certification/registrar/jury.html", context, status=400 if bad else 200)


@registrar_required
def jury_detail(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    return _jury_page(request, _programme_year(programme_year_id))


@require_POST
@registrar_required
def jury_deliberate(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    later = Jury.objects.filter(programme_year=py).exists()
    count = cohort_enrolments(py).count()
    form = DeliberateForm(request.POST, later=later, count=count, corrections=_corrections(py))
    if form.is_valid():
        try:
            jury = services.jury_deliberate(
                programme_year=py,
                deliberated_at=form.cleaned_data["deliberated_at"],
                members=form.cleaned_data["members"],
                kind=form.cleaned_data.get("kind"),
                reason=form.cleaned_data.get("reason", ""),
                by=request.user,
            )
        except services.CertificationError as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request,
                _("%(title)s enregistré : décisions figées et notes verrouillées.")
                % {"title": documents.jury_title(jury)},
            )
            return redirect("certification:registrar-jury", programme_year_id=py.pk)
    return _jury_page(request, py, form=form)


@require_POST
@registrar_required
def jury_date(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    form = JuryDateForm(request.POST)
    if not form.is_valid():
        return _jury_page(request, py, date_form=form)
    planned = form.cleaned_data["jury_planned_on"]
    enrolment_services.programme_year_set_jury_date(
        programme_year=py, jury_planned_on=planned, by=request.user
    )
    if planned is None:
        messages.success(request, _("Date prévue du jury retirée."))
    else:
        messages.success(
            request,
            _("Date prévue du jury : %(date)s. Les élèves la voient sur leur page.")
            % {"date": long_date(planned)},
        )
    return redirect("certification:registrar-jury", programme_year_id=py.pk)


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
            "certificates": Certificate.objects.filter(enrolment=enrolment).order_by("sequence"),
            "decision": _(JuryDecision(enrolment.jury_decision).label)
            if enrolment.jury_decision
            else "",
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
    plan = services.cohort_plan(py)
    form = IssueCohortForm(request.POST, count=len(plan.to_issue))
    if not form.is_valid():
        return _jury_page(request, py, issue_form=form)
    try:
        job = tasks.bulk_issue_start(programme_year=py, by=request.user)
    except services.CertificationError as exc:
        messages.error(request, " ".join(exc.reasons))
        return redirect("certification:registrar-jury", programme_year_id=py.pk)
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
    tasks.bulk_issue_enqueue(job=job)
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


def _certificate_page(
    request: HttpRequest, certificate_id: int, form: RevokeForm | None = None
) -> HttpResponse:
    certificate = get_object_or_404(
        Certificate.objects.select_related(
            "enrolment__student",
            "enrolment__programme_year",
            "programme_year__programme",
            "replaces",
        ),
        pk=certificate_id,
    )
    replaced_by = Certificate.objects.filter(replaces=certificate).first()
    reissue_reasons: list[str] = []
    if certificate.revoked_at is not None and replaced_by is None:
        _, reissue_reasons = services.certificate_issuability(certificate.enrolment)
    return render(
        request,
        "certification/registrar/certificate.html",
        {
            "certificate": certificate,
            "replaced_by": replaced_by,
            "reissue_reasons": reissue_reasons,
            "qr_svg": qr.qr_svg(certificate.snapshot["verification_url"]),
            "form": form or RevokeForm(number=certificate.number),
        },
        status=400 if form is not None else 200,
    )


@registrar_required
def certificate_detail(request: HttpRequest, certificate_id: int) -> HttpResponse:
    return _certificate_page(request, certificate_id)


@require_POST
@registrar_required
def certificate_revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    form = RevokeForm(request.POST, number=certificate.number)
    if not form.is_valid():
        # Nothing changes: the page comes back with the reason kept and the consequence stated.
        return _certificate_page(request, certificate_id, form=form)
    try:
        services.certificate_revoke(
            certificate=certificate, by=request.user, reason=form.cleaned_data["reason"]
        )
    except services.CertificationError as exc:
        messages.error(request, " ".join(exc.reasons))
    else:
        messages.success(request, _("Certificat révoqué."))
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
        "scolarite/jurys/<int:programme_year_id>/date-prevue/",
        jury_date,
        name="registrar-jury-date",
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
