"""Registrar pages of the teachers: the list, inviting one, a teacher's UE and their history."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import staffing
from ..access import registrar_required
from ..models import UE, User
from ..services import EnrolmentError
from ..staff_forms import AssignForm, TeacherInviteForm


def _teacher(user_id: int) -> User:
    user = staffing.teacher_get(user_id)
    if user is None:
        raise Http404
    return user


@registrar_required
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "enrolment/registrar/staff/list.html", {"rows": staffing.teacher_rows()})


@registrar_required
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = TeacherInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staffing.teacher_invite(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                ue=data["ue"],
                by=request.user,
            )
        except EnrolmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Compte créé ; une invitation a été envoyée à %(email)s.")
                % {"email": user.email},
            )
            return redirect("enrolment:registrar-staff-member", user_id=user.pk)
    status = 400 if form.is_bound else 200
    return render(request, "enrolment/registrar/staff/invite.html", {"form": form}, status=status)


def _member(
    request: HttpRequest, user: User, assign_form: AssignForm | None = None
) -> HttpResponse:
    context: dict[str, Any] = {
        "teacher": user,
        "row": staffing.teacher_row(user),
        "history": staffing.teacher_history(user),
        "assign_form": assign_form or AssignForm(queryset=staffing.assignable_ues(user)),
    }
    return render(
        request,
        "enrolment/registrar/staff/member.html",
        context,
        status=400 if assign_form is not None else 200,
    )


@registrar_required
def staff_member(request: HttpRequest, user_id: int) -> HttpResponse:
    return _member(request, _teacher(user_id))


@require_POST
@registrar_required
def staff_assign(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _teacher(user_id)
    form = AssignForm(request.POST, queryset=staffing.assignable_ues(user))
    if form.is_valid():
        ue = form.cleaned_data["ue"]
        try:
            staffing.assignment_add(user=user, ue=ue, by=request.user)
        except EnrolmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("UE %(code)s confiée.") % {"code": ue.code})
            return redirect("enrolment:registrar-staff-member", user_id=user.pk)
    return _member(request, user, assign_form=form)


@require_POST
@registrar_required
def staff_unassign(request: HttpRequest, user_id: int, ue_id: int) -> HttpResponse:
    user = _teacher(user_id)
    ue = get_object_or_404(UE, pk=ue_id)
    try:
        staffing.assignment_remove(user=user, ue=ue, by=request.user)
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(code)s retirée ; l'historique la garde.") % {"code": ue.code}
        )
    return redirect("enrolment:registrar-staff-member", user_id=user.pk)


@require_POST
@registrar_required
def staff_reinvite(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _teacher(user_id)
    try:
        staffing.teacher_reinvite(user=user, by=request.user)
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation renvoyée à %(email)s.") % {"email": user.email})
    return redirect("enrolment:registrar-staff-member", user_id=user.pk)


urlpatterns: list[URLPattern] = [
    path("scolarite/enseignants/", staff_list, name="registrar-staff"),
    path("scolarite/enseignants/inviter/", staff_invite, name="registrar-staff-invite"),
    path("scolarite/enseignants/<int:user_id>/", staff_member, name="registrar-staff-member"),
    path(
        "scolarite/enseignants/<int:user_id>/affectations/",
        staff_assign,
        name="registrar-staff-assign",
    ),
    path(
        "scolarite/enseignants/<int:user_id>/affectations/<int:ue_id>/retirer/",
        staff_unassign,
        name="registrar-staff-unassign",
    ),
    path(
        "scolarite/enseignants/<int:user_id>/invitation/",
        staff_reinvite,
        name="registrar-staff-reinvite",
    ),
]
