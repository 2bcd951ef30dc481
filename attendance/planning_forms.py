"""Forms of the registrar's planning: one session, a weekly series, editing and moving a session.

Dates and times are typed apart (a date field and two time fields) and read in the portal's
zone, Europe/Paris; the services check everything again.
"""

import datetime as dt
import hashlib
import json
import re
from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE, StaffAssignment, User
from enrolment.validators import check_free_text

from . import rules, selectors
from .models import Session
from .services import SeriesPlan, paris_datetime


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=_DateInput(),
        error_messages={"invalid": _("Saisissez une date valide (JJ/MM/AAAA).")},
    )


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=_TimeInput(),
        error_messages={"invalid": _("Saisissez une heure valide (HH:MM).")},
    )


class UEChoiceField(forms.ModelChoiceField[UE]):
    def label_from_instance(self, obj: UE) -> str:
        year = obj.programme_year
        return f"{obj.code} — {year.programme.code} {year.year} — {obj.title}"


class TeachersField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        codes = sorted({a.ue.code for a in obj.assignments.all()})
        return f"{name} ({', '.join(codes)})" if codes else name


def planning_ues() -> QuerySet[UE]:
    return UE.objects.select_related("programme_year__programme").order_by(
        "-programme_year__year", "programme_year__programme__code", "code"
    )


def _teachers_field(queryset: QuerySet[User]) -> TeachersField:
    return TeachersField(
        label=_("Enseignant·es"),
        queryset=queryset.prefetch_related(
            Prefetch("assignments", queryset=StaffAssignment.objects.select_related("ue"))
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Parmi les enseignant·es affecté·es à l'UE."),
    )


def _check_place(form: forms.Form, data: dict[str, Any]) -> None:
    """The room code of the chosen site (RULES.md §4), stored as ``parse_room`` writes it."""
    if data.get("site") and data.get("room"):
        try:
            room = rules.parse_room(code=data["room"].strip(), site=rules.Site(data["site"]))
        except rules.RoomCodeError as exc:
            form.add_error("room", exc.message)
        else:
            data["room"] = room.code


def _check_times(form: forms.Form, data: dict[str, Any]) -> None:
    start, end = data.get("start_time"), data.get("end_time")
    if start and end and end <= start:
        form.add_error("end_time", _("L'heure de fin doit suivre l'heure de début."))


def _check_makeup(form: forms.Form, data: dict[str, Any]) -> None:
    if data.get("makeup") and data.get("kind") and data["kind"] != Session.Kind.EXAMEN:
        form.add_error("makeup", _("Seul un examen peut être un rattrapage."))


class _SessionFields(forms.Form):
    """What a session is: its UE, title, kind, make-up flag, place and teachers."""

    ue = UEChoiceField(label=_("UE"), queryset=planning_ues(), empty_label=_("Choisir une UE"))
    title = forms.CharField(
        label=_("Intitulé (facultatif)"),
        max_length=200,
        required=False,
        help_text=_("Par exemple : « Les modèles de l'ESS »."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Session.Kind.choices)
    makeup = forms.BooleanField(
        label=_("Examen de rattrapage"),
        required=False,
        help_text=_(
            "Seulement pour un examen, qui reste un examen (hors taux d'absence) ; seul·es les "
            "élèves ayant droit au rattrapage de ce jour sont convoqué·es."
        ),
    )
    site = forms.ChoiceField(label=_("Site"), choices=Session.Site.choices)
    room = forms.CharField(
        label=_("Salle"),
        max_length=20,
        help_text=_("accès.étage.salle, par exemple 31.1.12, 21.2.32 ou ENS.1.04"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teachers"] = _teachers_field(selectors.planning_teachers())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_place(self, data)
        _check_times(self, data)
        _check_makeup(self, data)
        return data


@check_free_text
class SessionCreateForm(_SessionFields):
    day = _date_field(_("Date"))
    start_time = _time_field(_("Début"))
    end_time = _time_field(_("Fin"))

    field_order = [
        "ue",
        "title",
        "kind",
        "makeup",
        "day",
        "start_time",
        "end_time",
        "site",
        "room",
        "teachers",
    ]

    def spans(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        return (
            paris_datetime(data["day"], data["start_time"]),
            paris_datetime(data["day"], data["end_time"]),
        )


_DATE_SPLIT = re.compile(r"[\s,;]+")


def parse_days(text: str) -> list[dt.date]:
    """Dates typed one per line (or separated by commas): 11/11/2025 or 2025-11-11."""
    days = []
    for token in _DATE_SPLIT.split(text.strip()):
        if not token:
            continue
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                days.append(dt.datetime.strptime(token, fmt).date())  # noqa: DTZ007 (a day)
                break
            except ValueError:
                continue
        else:
            raise forms.ValidationError(
                _("« %(token)s » n'est pas une date : écrivez JJ/MM/AAAA, une date par ligne."),
                params={"token": token[:20]},
                code="date",
            )
    return days


@check_free_text
class SeriesForm(_SessionFields):
    first_day = _date_field(_("Première séance"))
    last_day = _date_field(_("Dernière séance au plus tard"))
    start_time = _time_field(_("Début"))
    end_time = _time_field(_("Fin"))
    exceptions = forms.CharField(
        label=_("Exceptions (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Les semaines sans séance (vacances, jours fériés) : une date par ligne, JJ/MM/AAAA."
        ),
    )

    field_order = [
        "ue",
        "title",
        "kind",
        "makeup",
        "first_day",
        "last_day",
        "start_time",
        "end_time",
        "exceptions",
        "site",
        "room",
        "teachers",
    ]

    def clean_exceptions(self) -> list[dt.date]:
        return parse_days(self.cleaned_data.get("exceptions", ""))

    def plan(self) -> SeriesPlan:
        data = self.cleaned_data
        return SeriesPlan(
            first=data["first_day"],
            last=data["last_day"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            exceptions=tuple(data["exceptions"]),
        )

    def digest(self) -> str:
        """A fingerprint of what was previewed: confirming anything else shows a new preview."""
        data = self.cleaned_data
        fields = {
            name: (
                sorted(u.pk for u in value)
                if name == "teachers"
                else value.pk
                if isinstance(value, UE)
                else str(value)
            )
            for name, value in data.items()
        }
        fields["exceptions"] = sorted(str(d) for d in data["exceptions"])
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


@check_free_text
class SessionEditForm(forms.Form):
    """What a session is (not when nor where: that is a move, which tells the students)."""

    title = forms.CharField(label=_("Intitulé (facultatif)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=Session.Kind.choices)
    makeup = forms.BooleanField(label=_("Examen de rattrapage"), required=False)

    def __init__(self, *args: Any, ue: UE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teachers"] = _teachers_field(selectors.ue_teachers(ue))
        self.fields["teachers"].help_text = _("Les enseignant·es affecté·es à l'UE %(ue)s.") % {
            "ue": ue.code
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_makeup(self, data)
        return data


@check_free_text
class PlanningMoveForm(forms.Form):
    day = _date_field(_("Date"))
    start_time = _time_field(_("Début"))
    end_time = _time_field(_("Fin"))
    site = forms.ChoiceField(label=_("Site"), choices=Session.Site.choices)
    room = forms.CharField(
        label=_("Salle"), max_length=20, help_text=_("accès.étage.salle, par exemple 31.1.12")
    )
    reason = forms.CharField(
        label=_("Motif"), max_length=300, help_text=_("Envoyé aux élèves avec le changement.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_place(self, data)
        _check_times(self, data)
        return data

    def spans(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        return (
            paris_datetime(data["day"], data["start_time"]),
            paris_datetime(data["day"], data["end_time"]),
        )
