"""The registrar's journal (``AuditEntry``), read: lines filtered by cohort and action family.

An action is a dotted name whose first word is its family (« catalogue.ue.create » →
« catalogue »); the filter offers the families the journal holds, named in French when known.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

FAMILY_LABELS = {
    "account": _("Comptes et préférences"),
    "attendance": _("Assiduité"),
    "catalogue": _("Catalogue"),
    "certificates": _("Certificats"),
    "enrolment": _("Inscriptions et listes officielles"),
    "fees": _("Frais et paiements"),
    "grades": _("Notes"),
    "jury": _("Jury"),
    "messages": _("Messages"),
    "planning": _("Planning"),
    "rgpd": _("Données personnelles"),
    "retention": _("Conservation"),
    "staff": _("Enseignants"),
}


def family_of(action: str) -> str:
    return action.split(".", 1)[0]


def family_choices() -> list[tuple[str, str]]:
    """The families present in the journal, by label."""
    actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
    families = {family_of(action) for action in actions}
    return sorted(
        ((f, str(FAMILY_LABELS.get(f, f))) for f in families), key=lambda c: c[1].casefold()
    )


def journal_entries(
    *, programme_year_id: int | None = None, family: str = ""
) -> QuerySet[AuditEntry]:
    """The journal's lines, the latest first, with who wrote them and their cohort."""
    entries = AuditEntry.objects.select_related("by", "programme_year__programme")
    if programme_year_id is not None:
        entries = entries.filter(programme_year_id=programme_year_id)
    if family:
        entries = entries.filter(action__startswith=f"{family}.")
    return entries.order_by("-at", "-pk")
