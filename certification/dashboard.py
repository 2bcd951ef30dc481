"""What the student dashboard warns about, from every app's facts (hence the top app)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attendance.rules import format_rate
from enrolment.rules import format_euros
from grading.rules import UEResult, format_grade
from lib.formats import long_date
from lib.numbers import plain, plain_percent

from .rules import StudentResult
from .selectors import EnrolmentResult

NEW_GRADES_DAYS = 14


@dataclass(frozen=True)
class Alert:
    level: str  # Bootstrap alert level
    message: str
    link: str = ""  # a URL name of the page that says more


def _absence_alert(r: StudentResult) -> Alert | None:
    """Défaillant past the threshold, or warned before it."""
    if r.absence.defaillant:
        return Alert(
            "danger",
            _("Taux d'absence %(rate)s, au-delà du seuil de %(threshold)s : défaillant·e.")
            % {
                "rate": format_rate(r.absence.rate_display),
                "threshold": plain_percent(r.absence.threshold_pct),
            },
            "attendance:student-attendance",
        )
    if r.absence.warning:
        return Alert(
            "warning",
            _(
                "Taux d'absence %(rate)s : attention, au-delà de %(threshold)s vous serez "
                "défaillant·e."
            )
            % {
                "rate": format_rate(r.absence.rate_display),
                "threshold": plain_percent(r.absence.threshold_pct),
            },
            "attendance:student-attendance",
        )
    return None


def _fees_alert(r: StudentResult) -> Alert:
    return Alert(
        "warning",
        ngettext(
            "Frais d'inscription : %(amount)s reste dû.",
            "Frais d'inscription : %(amount)s restent dus.",
            int(r.balance),
        )
        % {"amount": format_euros(r.balance)},
        "enrolment:student-enrolment",
    )


def _makeup_alerts(ue: UEResult, makeups: dict[tuple[str, str], Any]) -> list[Alert]:
    """The UE's make-ups to sit, with their date once known."""
    out = []
    for key in ue.makeup_pending:
        makeup = makeups.get((ue.ue, key))
        if makeup is not None:
            text = _("Rattrapage à passer : %(ue)s %(key)s, le %(date)s.") % {
                "ue": ue.ue,
                "key": key,
                "date": _date(makeup.date),
            }
        else:
            text = _("Rattrapage à passer : %(ue)s %(key)s (date à venir).") % {
                "ue": ue.ue,
                "key": key,
            }
        out.append(Alert("info", text, "grading:student-grades"))
    return out


def _failed_alert(ue: UEResult, *, pass_mark: Decimal) -> Alert:
    return Alert(
        "danger",
        _("UE %(ue)s : moyenne %(avg)s, inférieure à %(pass_mark)s.")
        % {"ue": ue.ue, "avg": format_grade(ue.average), "pass_mark": plain(pass_mark)},
        "grading:student-grades",
    )


def _new_grades_alert(new_grades: int) -> Alert:
    return Alert(
        "success",
        ngettext(
            "%(n)s nouvelle note publiée ces %(days)s derniers jours.",
            "%(n)s nouvelles notes publiées ces %(days)s derniers jours.",
            new_grades,
        )
        % {"n": new_grades, "days": NEW_GRADES_DAYS},
        "grading:student-grades",
    )


def dashboard_warnings(
    result: EnrolmentResult, *, makeups: dict[tuple[str, str], Any], new_grades: int
) -> list[Alert]:
    """What matters now, in the order a student should act on it."""
    r = result.result
    out = []
    absence = _absence_alert(r)
    if absence is not None:
        out.append(absence)
    if r.balance > 0:
        out.append(_fees_alert(r))
    for ue in r.ues:
        out += _makeup_alerts(ue, makeups)
        if ue.status == "failed":
            out.append(_failed_alert(ue, pass_mark=result.enrolment.programme_year.pass_mark))
    if new_grades:
        out.append(_new_grades_alert(new_grades))
    return out


def _date(day: dt.date) -> str:
    return long_date(day)
