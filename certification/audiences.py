"""Who a message from the portal goes to: the audiences a registrar or a teacher can choose.

The filters read results of every app (grades, attendance, fees, the jury), hence their place
in certification. Each one reuses the reads that already say who is « défaillant » or owes
fees (``selectors.cohort_result_rows``, ``enrolment.registrar_selectors``): no rule is
computed again here. Withdrawn students are never in an audience; pending enrolments are, as
in every list of the cohort (``selectors.cohort_enrolments``, ``ue_enrolments``).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE, Enrolment, ProgrammeYear
from enrolment.registrar_selectors import enrolments_search
from enrolment.rules import JuryDecision
from enrolment.selectors import ue_enrolments

from .rules import certificate_due
from .selectors import ResultRow, cohort_enrolments, cohort_result_rows


class Audience(models.TextChoices):
    PROMOTION = "promotion", _("Toute la promotion")
    UE = "ue", _("Les élèves d'une UE")
    DEFAILLANTS = "defaillants", _("Défaillants")
    FEES_DUE = "frais_dus", _("Frais dus")
    NOT_CERTIFIABLE = "non_certifiables", _("Non certifiables")


AUDIENCE_HELP = {
    Audience.PROMOTION: _("Élèves inscrits, en attente d'inscription ou diplômés ; sans abandons."),
    Audience.UE: _("Élèves qui suivent l'UE choisie, sans abandons."),
    Audience.DEFAILLANTS: _(
        "Décision « défaillant » du dernier jury ; avant le jury, le résultat calculé "
        "(absences ou épreuve non passée)."
    ),
    Audience.FEES_DUE: _("Élèves dont le solde des frais est positif."),
    Audience.NOT_CERTIFIABLE: _(
        "Après le jury : pas « admis » ou frais non réglés ; avant le jury : une raison "
        "bloque le certificat (résultat, absences, frais)."
    ),
}


@dataclass(frozen=True)
class Member:
    """A student of an audience and the address the message would go to ("" if none)."""

    user_id: int
    number: str
    name: str
    email: str


@dataclass(frozen=True)
class AudienceList:
    audience: Audience
    label: str  # as stored on the message: « Défaillants — CS2600A 2024-2025 »
    members: tuple[Member, ...]

    @property
    def reachable(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.email)

    @property
    def unreachable(self) -> tuple[Member, ...]:
        """Students without any e-mail address: listed, never written to."""
        return tuple(m for m in self.members if not m.email)

    @property
    def count(self) -> int:
        return len(self.reachable)


def address_of(enrolment: Enrolment) -> str:
    """The account's address, else the student's personal one (as ``notify_once``)."""
    return enrolment.student.user.email or enrolment.student.email


def _members(enrolments: Iterable[Enrolment]) -> tuple[Member, ...]:
    out = {
        e.student.user_id: Member(
            user_id=e.student.user_id,
            number=e.student.number,
            name=f"{e.student.last_name.upper()} {e.student.first_name}",
            email=address_of(e),
        )
        for e in enrolments
    }
    return tuple(sorted(out.values(), key=lambda m: (m.name, m.number)))


def _by_ids(programme_year: ProgrammeYear, ids: Iterable[int]) -> QuerySet[Enrolment]:
    return cohort_enrolments(programme_year).filter(pk__in=list(ids))


def _defaillant(row: ResultRow) -> bool:
    if row.jury_decision:  # the latest deliberation's word (RULES.md §7b)
        return row.jury_decision == JuryDecision.DEFAILLANT
    return row.result.defaillant


def _not_certifiable(row: ResultRow) -> bool:
    if row.jury_decision:
        decision = JuryDecision(row.jury_decision)
        return not certificate_due(decision=decision, fees_paid=row.result.fees_paid)
    return not row.result.eligible


def audience_members(
    *, programme_year: ProgrammeYear, audience: Audience | str, ue: UE | None = None
) -> AudienceList:
    """The students of ``audience`` in ``programme_year`` (``ue`` for « une UE »), by name."""
    audience = Audience(audience)
    enrolments: Iterable[Enrolment]
    if audience == Audience.PROMOTION:
        enrolments = cohort_enrolments(programme_year)
    elif audience == Audience.UE:
        if ue is None or ue.programme_year_id != programme_year.pk:
            raise ValueError("the audience « UE » needs a UE of the programme year")
        enrolments = ue_enrolments(ue)
    elif audience == Audience.FEES_DUE:
        enrolments = (
            enrolments_search(fees="due", programme_year_id=programme_year.pk)
            .exclude(status=Enrolment.Status.WITHDRAWN)
            .select_related("student__user")
        )
    else:
        keep = _defaillant if audience == Audience.DEFAILLANTS else _not_certifiable
        rows = cohort_result_rows(programme_year)
        enrolments = _by_ids(programme_year, (r.enrolment_id for r in rows if keep(r)))
    label = f"{audience.label} — {programme_year}"
    if audience == Audience.UE and ue is not None:
        label = f"{_('UE')} {ue.code} — {programme_year}"
    return AudienceList(audience=audience, label=label, members=_members(enrolments))
