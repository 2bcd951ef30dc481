"""Registrar pages of the certification app: juries, deliberation, certificates, bulk jobs."""

from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Exists, Max, OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment import services as enrolment_services
from enrolment.access import registrar_required
from enrolment.models import UE, Enrolment, Payment, ProgrammeYear
from enrolment.rules import JuryDecision, is_paid_in_full
from grading.models import Grade, GradeHistory
from lib.downloads import ascii_filename
from lib.formats import long_date
from lib.spreadsheet_safety import XLSX_TYPE

from .. import documents, jury_export, qr, services, tasks
from ..forms import (
    DeliberateForm,
    IssueCohortForm,
    JuryDateForm,
    JuryFilterForm,
    ReasonForm,
    RevokeForm,
)
from ..jury_table import (
    FILTER_PARAMS,
    CertificateCell,
    JuryLine,
    JuryQuery,
    JuryTable,
    Student,
    decision_choices,
    jury_table,
    line_views,
    needs_results,
    reason_choices,
)
from ..models import BulkIssueJob, Certificate, Jury
from ..rules import certificate_due
from ..selectors import ResultRow, cohort_enrolments, cohort_result_rows


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


def _students(py: ProgrammeYear) -> tuple[list[Student], list[str]]:
    """Every student of the jury table by cheap values (four queries, no result computed),
    and the codes of the UE they follow (the table's columns)."""
    values = list(
        cohort_enrolments(py)
        .select_related(None)
        .values_list(
            "pk",
            "student__number",
            "student__last_name",
            "student__first_name",
            "jury_decision",
            "fees_due",
        )
    )
    payments: dict[int, list[Decimal]] = defaultdict(list)
    for enrolment_id, amount in Payment.objects.filter(enrolment__programme_year=py).values_list(
        "enrolment_id", "amount"
    ):
        payments[enrolment_id].append(amount)
    valid: dict[int, tuple[int, str]] = {}
    revoked: dict[int, list[str]] = {}
    for pk, number, enrolment_id, revoked_at in Certificate.objects.filter(
        programme_year=py
    ).values_list("pk", "number", "enrolment_id", "revoked_at"):
        if revoked_at is None:
            valid[enrolment_id] = (pk, number)
        else:
            revoked.setdefault(enrolment_id, []).append(number)
    students = []
    for pk, number, last_name, first_name, decision, fees_due in values:
        current = valid.get(pk)
        recorded = JuryDecision(decision) if decision else None
        # The rule behind the results' « fees_paid » (RULES.md §3).
        fees_paid = is_paid_in_full(due=fees_due, payments=payments.get(pk, ()))
        students.append(
            Student(
                enrolment_id=pk,
                number=number,
                name=f"{last_name.upper()} {first_name}",
                recorded=decision,
                fees_paid=fees_paid,
                cert=CertificateCell(
                    number=current[1] if current else None,
                    pk=current[0] if current else None,
                    issuable=current is None
                    and certificate_due(decision=recorded, fees_paid=fees_paid),
                    flagged=current is not None and recorded != JuryDecision.ADMIS,
                    revoked=revoked.get(pk, []),
                ),
            )
        )
    return students, _followed_ue_codes(py)


def _followed_ue_codes(py: ProgrammeYear) -> list[str]:
    """The year's UE that a student of the cohort follows (the table's columns): an index
    probe per UE rather than reading every enrolment's UE (8,000 rows for 2,000 students)."""
    followed = Enrolment.ues.through.objects.filter(
        ue=OuterRef("pk"), enrolment__in=cohort_enrolments(py).values("pk")
    )
    return list(
        UE.objects.filter(Exists(followed), programme_year=py)
        .order_by("code")
        .values_list("code", flat=True)
    )


def _in_ue(py: ProgrammeYear, code: str) -> set[int]:
    """The enrolments following the UE ``code`` (none when no UE is chosen): one query."""
    return set(
        Enrolment.ues.through.objects.filter(
            enrolment__programme_year=py, ue__code=code
        ).values_list("enrolment_id", flat=True)
    )


def _corrections(py: ProgrammeYear) -> int:
    return Grade.objects.filter(enrolment__programme_year=py, under_correction=True).count()


def _filter_form(request: HttpRequest, ue_codes: list[str]) -> JuryFilterForm:
    return JuryFilterForm(
        request.GET or None,
        decisions=decision_choices(),
        reasons=reason_choices(),
        ue_codes=ue_codes,
    )


def _query(request: HttpRequest, filter_form: JuryFilterForm) -> JuryQuery:
    if not request.GET:
        return JuryQuery()
    filter_form.is_valid()  # an unknown value is ignored: the others still apply
    data = filter_form.cleaned_data
    return JuryQuery(
        q=data.get("q") or "",
        decision=data.get("decision") or "",
        certificate=data.get("certificate") or "",
        reason=data.get("reason") or "",
        ue=data.get("ue") or "",
        sort=data.get("sort") or "",
        page=request.GET.get("page", "")[:10],
    )


def _results_by_id(rows: list[ResultRow]) -> dict[int, ResultRow]:
    return {row.enrolment_id: row for row in rows}


def _table(
    request: HttpRequest,
    py: ProgrammeYear,
    students: list[Student],
    ue_codes: list[str],
    query: JuryQuery,
    results: dict[int, ResultRow],
    *,
    all_pages: bool = False,
) -> JuryTable:
    """The jury table the page and its downloads show: one page, or every page at once."""
    return jury_table(
        students,
        results=results,
        query=query,
        params=request.GET.dict(),
        ue_codes=ue_codes,
        in_ue=_in_ue(py, query.ue),
        **({"per_page": max(1, len(students))} if all_pages else {}),
    )


def _jury_lines(
    request: HttpRequest,
    py: ProgrammeYear,
    students: list[Student],
    ue_codes: list[str],
    query: JuryQuery,
) -> tuple[JuryTable, list[JuryLine]]:
    """The jury table and the lines of the page it shows, with their live results."""
    # The rules run for the whole cohort only when a filter or the sort reads results; else
    # for the page shown. One call either way: the same queries.
    everyone = needs_results(query, students, ue_codes)
    # Remembered between views: a filter or sort reruns the rules only where an input changed.
    results = _results_by_id(cohort_result_rows(py, remember=True)) if everyone else {}
    table = _table(request, py, students, ue_codes, query, results)
    shown: list[Student] = list(table.page.object_list)
    if not everyone:
        results = _results_by_id(
            cohort_result_rows(py, enrolment_ids=[s.enrolment_id for s in shown], remember=True)
        )
    rows = documents.live_rows([results[s.enrolment_id] for s in shown])
    lines = [
        JuryLine(
            row=row,
            decided=_(JuryDecision(s.recorded).label) if s.recorded else "",
            cert=s.cert,
        )
        for s, row in zip(shown, rows, strict=True)
    ]
    return table, lines


def _drafts(py: ProgrammeYear) -> tuple[list[Grade], int]:
    """The draft marks the page lists (200 at most), and how many there are."""
    drafts = list(services.draft_grades(py)[:200])
    return drafts, services.draft_grades(py).count() if len(drafts) == 200 else len(drafts)


def _certificate_counts(students: list[Student]) -> dict[str, int]:
    """How many certificates are flagged, issuable, and issuable by the bulk run."""
    cells = [s.cert for s in students]
    return {
        "flagged": sum(1 for cell in cells if cell.flagged),
        "to_issue": sum(1 for cell in cells if cell.issuable),
        "bulk_count": sum(1 for cell in cells if cell.bulk_target),
    }


def _jury_page(
    request: HttpRequest,
    py: ProgrammeYear,
    form: DeliberateForm | None = None,
    issue_form: IssueCohortForm | None = None,
    date_form: JuryDateForm | None = None,
) -> HttpResponse:
    juries = list(Jury.objects.filter(programme_year=py).order_by("sequence"))
    latest = juries[-1] if juries else None
    students, ue_codes = _students(py)
    filter_form = _filter_form(request, ue_codes)
    query = _query(request, filter_form)
    table, lines = _jury_lines(request, py, students, ue_codes, query)
    drafts, n_drafts = _drafts(py)
    counts = _certificate_counts(students)
    corrections = _corrections(py)
    kept = {k: v for k, v in request.GET.items() if k in (*FILTER_PARAMS, "sort") and v}
    context = {
        "py": py,
        "juries": [(jury, documents.jury_title(jury)) for jury in juries],
        "latest": latest,
        "rows": lines,
        "lines": line_views(lines, ue_codes),
        "table": table,
        "query": query,
        "filter_form": filter_form,
        "ue_codes": ue_codes,
        "download_query": urlencode(kept),
        "drafts": drafts,
        "n_drafts": n_drafts,
        "corrections": corrections,
        **counts,
        "form": form
        or DeliberateForm(later=latest is not None, count=len(students), corrections=corrections),
        "issue_form": issue_form or IssueCohortForm(count=counts["bulk_count"]),
        "date_form": date_form or JuryDateForm(initial={"jury_planned_on": py.jury_planned_on}),
        "last_job": BulkIssueJob.objects.filter(programme_year=py).first(),
    }
    bad = form is not None or issue_form is not None or date_form is not None
    return render(request, "certification/registrar/jury.html", context, status=400 if bad else 200)


@registrar_required
def jury_download(request: HttpRequest, programme_year_id: int, fmt: str) -> HttpResponse:
    """The jury table as CSV or XLSX: every student the filters keep (all pages), sorted."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404(_("Format inconnu : CSV ou XLSX."))
    py = _programme_year(programme_year_id)
    students, ue_codes = _students(py)
    query = _query(request, _filter_form(request, ue_codes))
    results = _results_by_id(cohort_result_rows(py, remember=True))
    table = _table(request, py, students, ue_codes, query, results, all_pages=True)
    lines = jury_export.rows(
        [results[s.enrolment_id] for s in table.students],
        ue_codes=ue_codes,
        cells={s.enrolment_id: s.cert for s in students},
    )
    header = jury_export.headers(ue_codes)
    name = f"jury {py.programme.code} {py.year}"
    if fmt == "xlsx":
        data = jury_export.as_xlsx(header, lines, title=_("Jury"))
        content_type = XLSX_TYPE
    else:
        data = jury_export.as_csv(header, lines)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_filename(name, extension=fmt)}"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
        "scolarite/jurys/<int:programme_year_id>/resultats.<str:fmt>",
        jury_download,
        name="registrar-jury-download",
    ),
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
