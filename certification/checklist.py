"""The student's « Où j'en suis »: each condition of the certificate (RULES.md §7), met or
not, with its figures and the next step.

Plain data for the template, built from the rules' result: the view and the template do no
arithmetic and test no threshold.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from attendance.rules import format_rate
from enrolment.rules import format_euros
from grading.lines import ue_status_label
from grading.models import Assessment
from grading.rules import UEResult, UEStatus, format_grade
from lib.numbers import plain, plain_percent

from .rules import StudentResult
from .selectors import EnrolmentResult

_NBSP = "\xa0"

ATTENDANCE_PAGE = "attendance:student-attendance"
DOCUMENTS_PAGE = "certification:student-documents"
ENROLMENT_PAGE = "enrolment:student-enrolment"


class State(StrEnum):
    MET = "met"
    UNMET = "unmet"
    PENDING = "pending"


# Said to screen readers beside the ✓ / ✗ icon, and shown as a badge.
STATE_LABELS = {
    State.MET: gettext_lazy("remplie"),
    State.UNMET: gettext_lazy("non remplie"),
    State.PENDING: gettext_lazy("en attente"),
}


@dataclass(frozen=True)
class Step:
    """What the student can do next; ``link`` is a URL name of their portal, if any."""

    text: str
    link: str = ""
    link_text: str = ""


@dataclass(frozen=True)
class UELine:
    code: str
    title: str
    average: str  # « 13,67 », or « — » while pending
    status: str  # UEStatus value (the badge's class)
    status_label: str
    credits: str  # « 8 crédits », the UE's ECTS credits


@dataclass(frozen=True)
class Condition:
    key: str  # "ues", "attendance" or "fees"
    title: str
    state: State
    facts: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass(frozen=True)
class Checklist:
    conditions: list[Condition]
    ue_lines: list[UELine]
    credits: str  # « Crédits obtenus : 8 sur 12 »
    minutes_left: str  # « 9 h 30 »
    jury_planned_on: dt.date | None


def format_duration(minutes: int, /) -> str:
    """« 9 h 30 », « 10 h », « 45 min » (no-break spaces)."""
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        text = _("%(m)s min") % {"m": rest}
    elif rest == 0:
        text = _("%(h)s h") % {"h": hours}
    else:
        text = _("%(h)s h %(m)02d") % {"h": hours, "m": rest}
    return text.replace(" ", _NBSP)


def _date(day: dt.date) -> str:
    return date_format(day, "j F Y")


def _ue_lines(er: EnrolmentResult) -> list[UELine]:
    """One line per UE of the student: its average, status and credits."""
    titles = {ue.code: ue.title for ue in er.ues}
    credits_of = {ue.code: ue.credits for ue in er.ues}
    return [
        UELine(
            code=ue.ue,
            title=titles.get(ue.ue, ""),
            average=format_grade(ue.average),
            status=ue.status.value,
            status_label=ue_status_label(ue.status),
            credits=ngettext("%(n)s crédit", "%(n)s crédits", credits_of.get(ue.ue, 0))
            % {"n": credits_of.get(ue.ue, 0)},
        )
        for ue in er.result.ues
    ]


def _ues_state(r: StudentResult) -> State:
    statuses = {ue.status for ue in r.ues}
    if UEStatus.FAILED in statuses:
        return State.UNMET
    if UEStatus.PENDING in statuses or not r.ues:
        return State.PENDING
    return State.MET


def _makeup_step(makeup: Assessment | None, *, ue: str, key: str, today: dt.date) -> Step:
    """The make-up of assessment ``key`` of UE ``ue``: when it is, or that its mark is due."""
    if makeup is None:
        text = _("Rattrapage de %(ue)s (%(key)s) : la date vous sera communiquée.") % {
            "ue": ue,
            "key": key,
        }
        return Step(text)
    if makeup.date < today:
        text = _("Rattrapage de %(ue)s du %(date)s : note pas encore publiée.") % {
            "ue": ue,
            "date": _date(makeup.date),
        }
        return Step(text)
    text = _("Rattrapage de %(ue)s le %(date)s") % {
        "ue": ue,
        "date": _date(makeup.date),
    }
    return Step(text, DOCUMENTS_PAGE, _("Ma convocation"))


def _ue_steps(ue: UEResult, *, pass_mark: Decimal) -> list[Step]:
    """What a UE still waits for (marks, an assessment), or that it is failed."""
    steps: list[Step] = []
    if ue.missing:
        steps.append(
            Step(
                ngettext(
                    "Note attendue pour %(keys)s (%(ue)s) : elle s'affichera une fois publiée.",
                    "Notes attendues pour %(keys)s (%(ue)s) : elles s'afficheront une fois "
                    "publiées.",
                    len(ue.missing),
                )
                % {"keys": ", ".join(ue.missing), "ue": ue.ue}
            )
        )
    if not ue.has_assessment:
        steps.append(Step(_("Aucune évaluation n'est encore prévue pour %(ue)s.") % {"ue": ue.ue}))
    if ue.status == UEStatus.FAILED:
        steps.append(
            Step(
                _(
                    "%(ue)s non validée (moyenne %(average)s, il faut %(pass_mark)s) : "
                    "renseignez-vous auprès de la scolarité sur la suite de votre parcours."
                )
                % {
                    "ue": ue.ue,
                    "average": format_grade(ue.average),
                    "pass_mark": plain(pass_mark),
                }
            )
        )
    return steps


def _ue_condition(
    er: EnrolmentResult,
    *,
    pass_mark: Decimal,
    makeups: Mapping[tuple[str, str], Assessment],
    today: dt.date,
) -> tuple[Condition, list[UELine]]:
    r = er.result
    steps: list[Step] = []
    for ue in r.ues:
        steps += [
            _makeup_step(makeups.get((ue.ue, key)), ue=ue.ue, key=key, today=today)
            for key in ue.makeup_pending
        ]
        steps += _ue_steps(ue, pass_mark=pass_mark)
    condition = Condition(
        key="ues",
        title=_(
            "Valider chaque UE : une moyenne d'au moins %(pass_mark)s sur 20, sans compensation"
        )
        % {"pass_mark": plain(pass_mark)},
        state=_ues_state(r),
        facts=[_credits(r)],
        steps=steps,
    )
    return condition, _ue_lines(er)


def _credits(r: StudentResult) -> str:
    return _("Crédits obtenus : %(got)s sur %(total)s") % {
        "got": r.credits,
        "total": r.credits_total,
    }


def _attendance_facts(r: StudentResult, *, threshold: str) -> list[str]:
    """The absence rate against the threshold, what absence is left, the assessments not sat."""
    a = r.absence
    facts = [
        ngettext(
            "Taux d'absence : %(rate)s (%(missed)s manquée sur %(held)s tenues) ; "
            "seuil : %(threshold)s",
            "Taux d'absence : %(rate)s (%(missed)s manquées sur %(held)s tenues) ; "
            "seuil : %(threshold)s",
            a.missed_minutes,
        )
        % {
            "rate": format_rate(a.rate_display),
            "missed": format_duration(a.missed_minutes),
            "held": format_duration(a.held_minutes),
            "threshold": threshold,
        }
    ]
    if a.defaillant:
        facts.append(_("Absences encore possibles avant le seuil : aucune, le seuil est dépassé"))
    else:
        facts.append(
            _(
                "Absences encore possibles avant le seuil : %(left)s, sur les %(planned)s de cours "
                "de l'année"
            )
            % {
                "left": format_duration(a.minutes_left),
                "planned": format_duration(max(a.planned_minutes, a.held_minutes)),
            }
        )
    facts += [_("Épreuve non composée : %(key)s") % {"key": key} for key in r.missed]
    return facts


def _attendance_steps(
    r: StudentResult, *, threshold: str, justified_absences_count: bool
) -> list[Step]:
    """Contact the registrar past the threshold; report a justified absence at an assessment."""
    steps: list[Step] = []
    if r.absence.defaillant:
        text = _(
            "Votre taux d'absence dépasse %(threshold)s : prenez contact avec la scolarité "
            "avant le jury."
        ) % {"threshold": threshold}
        if justified_absences_count:
            text += " " + _("Les absences justifiées comptent aussi dans ce taux.")
            steps.append(Step(text, ATTENDANCE_PAGE, _("Mes absences et justificatifs")))
        else:
            text += " " + _("Une absence justifiée ne compte pas dans ce taux.")
            steps.append(Step(text, ATTENDANCE_PAGE, _("Déposer un justificatif d'absence")))
    for key in r.missed:
        steps.append(
            Step(
                _(
                    "Épreuve %(key)s non composée : si votre absence était justifiée, "
                    "prévenez la scolarité (un rattrapage est alors possible)."
                )
                % {"key": key},
                ATTENDANCE_PAGE,
                _("Déposer un justificatif d'absence"),
            )
        )
    return steps


def _attendance_condition(r: StudentResult, *, justified_absences_count: bool) -> Condition:
    threshold = plain_percent(r.absence.threshold_pct)
    return Condition(
        key="attendance",
        title=_(
            "Ne pas être défaillant·e : composer à chaque évaluation et ne pas dépasser "
            "%(threshold)s d'absence"
        )
        % {"threshold": threshold},
        state=State.UNMET if r.defaillant else State.MET,
        facts=_attendance_facts(r, threshold=threshold),
        steps=_attendance_steps(
            r, threshold=threshold, justified_absences_count=justified_absences_count
        ),
    )


def _fees_condition(r: StudentResult, *, fees_due: Decimal) -> Condition:
    paid = fees_due - r.balance
    facts = [
        _("Frais réglés : %(paid)s sur %(due)s")
        % {"paid": format_euros(paid), "due": format_euros(fees_due)}
    ]
    steps = []
    if r.balance > 0:
        amount = format_euros(r.balance)
        facts.append(_("Reste à payer : %(amount)s") % {"amount": amount})
        steps.append(
            Step(
                ngettext(
                    "Régler le %(amount)s restant auprès de la scolarité.",
                    "Régler les %(amount)s restants auprès de la scolarité.",
                    int(r.balance),
                )
                % {"amount": amount},
                ENROLMENT_PAGE,
                _("Mes paiements"),
            )
        )
    elif r.balance < 0:
        facts.append(
            _("Trop-perçu en votre faveur : %(amount)s") % {"amount": format_euros(-r.balance)}
        )
    return Condition(
        key="fees",
        title=_("Avoir réglé la totalité des frais d'inscription"),
        state=State.MET if r.fees_paid else State.UNMET,
        facts=facts,
        steps=steps,
    )


def certification_checklist(
    er: EnrolmentResult,
    *,
    makeups: Mapping[tuple[str, str], Assessment],
    today: dt.date,
) -> Checklist:
    """The three conditions of the certificate for this student (published marks only).

    ``makeups`` are the make-ups of the student's UE by (UE code, original key)
    (``grading.student_reads.scheduled_makeups``); the result says which ones are due.
    """
    enrolment = er.enrolment
    py = enrolment.programme_year
    r = er.result
    ues, lines = _ue_condition(er, pass_mark=py.pass_mark, makeups=makeups, today=today)
    return Checklist(
        conditions=[
            ues,
            _attendance_condition(r, justified_absences_count=py.justified_absences_count),
            _fees_condition(r, fees_due=enrolment.fees_due),
        ],
        ue_lines=lines,
        credits=_credits(r),
        minutes_left=format_duration(r.absence.minutes_left),
        jury_planned_on=py.jury_planned_on,
    )
