"""Registrar pages of the enrolment app (« scolarité »): dashboard, enrolments, fees."""

import csv
import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from lib.spreadsheet_safety import XLSX_TYPE, neutralise

from .. import services
from ..access import registrar_required
from ..forms import NewPasswordForm
from ..freeze import FrozenError
from ..models import Enrolment, EnrolmentStatusChange, Payment
from ..registrar_forms import (
    EnrolForm,
    EnrolmentFilterForm,
    FeesForm,
    PaymentForm,
    RefundForm,
    TransitionForm,
    UEForm,
)
from ..registrar_selectors import (
    balance_of,
    dashboard_years,
    enrol_defaults,
    enrolments_search,
    enrolments_with_fees,
    pending_enrolments,
)
from ..rules import format_euros


@registrar_required
def home(request: HttpRequest) -> HttpResponse:
    pending = list(pending_enrolments())
    return render(
        request,
        "enrolment/registrar/home.html",
        {
            "years": dashboard_years(),
            "pending": [(e, format_euros(balance_of(e))) for e in pending],
        },
    )


def _filtered(request: HttpRequest) -> tuple[EnrolmentFilterForm, Any]:
    form = EnrolmentFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = enrolments_search(
            q=data["q"],
            status=data["status"],
            fees=data["fees"],
            ue_id=data["ue"].pk if data["ue"] else None,
            programme_year_id=data["programme_year"].pk if data["programme_year"] else None,
        )
    else:
        qs = enrolments_search()
    return form, qs


@registrar_required
def enrolment_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(e, format_euros(balance_of(e)), balance_of(e) > 0) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enrolment/registrar/enrolments.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


EXPORT_HEADER = [
    "Numéro",
    "Nom",
    "Prénom",
    "Promotion",
    "Année",
    "État",
    "Frais dus",
    "Payé",
    "Reste dû",
]


def _export_rows(qs: Any) -> list[list[str]]:
    rows = []
    for e in qs:
        rows.append(
            [
                e.student.number,
                e.student.last_name,
                e.student.first_name,
                e.programme_year.programme.code,
                e.programme_year.year,
                e.get_status_display(),
                f"{e.fees_due:.2f}",
                f"{e.paid:.2f}",
                f"{balance_of(e):.2f}",
            ]
        )
    return rows


@registrar_required
def enrolment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as CSV or XLSX; no cell can run as a formula (SECURITY.md #11)."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    _, qs = _filtered(request)
    rows = _export_rows(qs)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow([neutralise(cell) for cell in row])
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="inscriptions-{stamp}.csv"'
        return response
    book = Workbook()
    sheet = book.active
    sheet.title = "Inscriptions"
    for r, row in enumerate([EXPORT_HEADER, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            # openpyxl turns any string starting with "=" into a formula: force text.
            cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type=XLSX_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="inscriptions-{stamp}.xlsx"'
    return response


@registrar_required
def enrol(request: HttpRequest) -> HttpResponse:
    form = EnrolForm(request.POST or None, initial=_enrol_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_student = None
        if form.existing is None:
            new_student = services.NewStudent(
                number=data["number"],
                last_name=data["last_name"],
                first_name=data["first_name"],
                birth_date=data["birth_date"],
                email=data["email"],
            )
        try:
            enrolment = services.enrolment_create(
                programme_year=data["programme_year"],
                by=request.user,
                ues=data["ues"],
                fees_due=data["fees_due"],
                student=form.existing,
                new_student=new_student,
            )
        except (services.EnrolmentError, FrozenError) as exc:
            form.add_error(None, exc.message)
        else:
            if new_student is not None:
                messages.success(
                    request, _("Inscription enregistrée ; une invitation a été envoyée par e-mail.")
                )
            else:
                messages.success(request, _("Inscription enregistrée (dossier existant repris)."))
            return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)
    return render(request, "enrolment/registrar/enrol.html", {"form": form})


def _enrol_initial(request: HttpRequest) -> dict[str, Any]:
    """The query string (« ?programme_year=… »), over the promotion's usual choices."""
    asked = request.GET.get("programme_year", "")
    valid = asked.isascii() and asked.isdigit() and len(asked) < 10
    defaults = enrol_defaults(programme_year_id=int(asked) if valid else None)
    initial: dict[str, Any] = {}
    if defaults.programme_year is not None:
        initial = {
            "programme_year": defaults.programme_year.pk,
            "ues": [ue.pk for ue in defaults.ues],
            "fees_due": defaults.fees_due,
        }
    return {**initial, **request.GET.dict()}


def _enrolment(enrolment_id: int) -> Enrolment:
    return get_object_or_404(enrolments_with_fees(), pk=enrolment_id)


def _detail(request: HttpRequest, enrolment: Enrolment, **forms: Any) -> HttpResponse:
    enrolment = (
        enrolments_with_fees()
        .prefetch_related(
            "ues",
            Prefetch(
                "status_changes",
                queryset=EnrolmentStatusChange.objects.select_related("by"),
            ),
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
        )
        .get(pk=enrolment.pk)
    )
    payments = [(p, format_euros(p.amount)) for p in enrolment.payments.all()]
    context = {
        "enrolment": enrolment,
        "student": enrolment.student,
        "payments": payments,
        "fees_due": format_euros(enrolment.fees_due),
        "paid": format_euros(enrolment.paid),
        "balance": format_euros(balance_of(enrolment)),
        "owing": balance_of(enrolment) > 0,
        "transition_form": forms.get("transition_form") or TransitionForm(current=enrolment.status),
        "fees_form": forms.get("fees_form") or FeesForm(initial={"fees_due": enrolment.fees_due}),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"date": timezone.localdate()}),
        "refund_form": forms.get("refund_form")
        or RefundForm(initial={"date": timezone.localdate()}),
        "ue_form": forms.get("ue_form")
        or UEForm(
            programme_year=enrolment.programme_year, initial={"ues": list(enrolment.ues.all())}
        ),
        "has_password": enrolment.student.user.has_usable_password(),
    }
    status = 400 if forms else 200
    return render(request, "enrolment/registrar/enrolment.html", context, status=status)


@registrar_required
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    return _detail(request, _enrolment(enrolment_id))


@require_POST
@registrar_required
def enrolment_transition(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(enrolment_id)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.enrolment_transition(
                enrolment=enrolment,
                target=form.cleaned_data["target"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except services.EnrolmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("État de l'inscription modifié."))
            return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)
    return _detail(request, enrolment, transition_form=form)


@require_POST
@registrar_required
def enrolment_fees(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(enrolment_id)
    form = FeesForm(request.POST)
    if form.is_valid():
        services.fees_set(
            enrolment=enrolment, fees_due=form.cleaned_data["fees_due"], by=request.user
        )
        # The parsed amount, echoed back: « 600,50 » typed must read 600,50 €, never 60 050 €.
        messages.success(
            request,
            _("Frais dus enregistrés : %(amount)s.")
            % {"amount": format_euros(form.cleaned_data["fees_due"])},
        )
        return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)
    return _detail(request, enrolment, fees_form=form)


def _money_movement(
    request: HttpRequest,
    enrolment_id: int,
    *,
    form_class: type[PaymentForm],
    record: Callable[..., object],
    done: str,
    form_name: str,
) -> HttpResponse:
    """A payment or a refund: the same form flow, a different service."""
    enrolment = _enrolment(enrolment_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            record(enrolment=enrolment, by=request.user, **form.cleaned_data)
        except services.EnrolmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done % {"amount": format_euros(form.cleaned_data["amount"])})
            return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)
    return _detail(request, enrolment, **{form_name: form})


@require_POST
@registrar_required
def enrolment_payment(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    return _money_movement(
        request,
        enrolment_id,
        form_class=PaymentForm,
        record=services.payment_record,
        done=_("Paiement de %(amount)s enregistré."),
        form_name="payment_form",
    )


@require_POST
@registrar_required
def enrolment_refund(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    return _money_movement(
        request,
        enrolment_id,
        form_class=RefundForm,
        record=services.refund_record,
        done=_("Remboursement de %(amount)s enregistré."),
        form_name="refund_form",
    )


@require_POST
@registrar_required
def enrolment_ues(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(enrolment_id)
    form = UEForm(request.POST, programme_year=enrolment.programme_year)
    if form.is_valid():
        try:
            services.enrolment_set_ues(
                enrolment=enrolment, ues=form.cleaned_data["ues"], by=request.user
            )
        except (services.EnrolmentError, FrozenError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("UE de l'inscription enregistrées."))
            return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)
    return _detail(request, enrolment, ue_form=form)


@require_POST
@registrar_required
def enrolment_invite(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(enrolment_id)
    services.invitation_send(user=enrolment.student.user)
    messages.success(
        request,
        _("Invitation envoyée à %(email)s.")
        % {"email": enrolment.student.user.email or enrolment.student.email},
    )
    return redirect("enrolment:registrar-enrolment", enrolment_id=enrolment.pk)


class InvitationConfirmView(auth_views.PasswordResetConfirmView):
    """A new student chooses a password from the invitation (one-time token, 1 h)."""

    template_name = "enrolment/registrar/invitation_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Mot de passe enregistré : vous pouvez vous connecter."))
        return response


urlpatterns: list[URLPattern] = [
    path("scolarite/", home, name="registrar-home"),
    path("scolarite/inscriptions/", enrolment_list, name="registrar-enrolments"),
    path(
        "scolarite/inscriptions/export.<str:fmt>",
        enrolment_export,
        name="registrar-enrolments-export",
    ),
    path("scolarite/inscriptions/nouvelle/", enrol, name="registrar-enrol"),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/",
        enrolment_detail,
        name="registrar-enrolment",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/etat/",
        enrolment_transition,
        name="registrar-enrolment-transition",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/frais/",
        enrolment_fees,
        name="registrar-enrolment-fees",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/paiement/",
        enrolment_payment,
        name="registrar-enrolment-payment",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/remboursement/",
        enrolment_refund,
        name="registrar-enrolment-refund",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/ue/",
        enrolment_ues,
        name="registrar-enrolment-ues",
    ),
    path(
        "scolarite/inscriptions/<int:enrolment_id>/invitation/",
        enrolment_invite,
        name="registrar-enrolment-invite",
    ),
    path(
        "compte/invitation/<uidb64>/<token>/",
        InvitationConfirmView.as_view(),
        name="invitation-confirm",
    ),
]
