"""What the jury freezes (RULES.md §7b), checked by every service that writes academic data.

Deliberating sets ``ProgrammeYear.frozen_at``. From then on, marks are locked (grading), and
these can no longer change: assessments (created, edited, deleted), sessions already held and
their rolls, and the UE of an enrolment. Fees, payments and contact data stay open.

Each writer calls one of the ``ensure_*`` functions below before it writes; the refusal is a
``FrozenError`` whose message is a sentence in the active language (French unless the reader
chose English), shown as is by views, the admin, the cohort import and commands.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import ProgrammeYear


class FrozenError(ValidationError):
    """A write refused because the jury has deliberated on this cohort."""


def is_frozen(programme_year_id: int) -> bool:
    return ProgrammeYear.objects.filter(pk=programme_year_id, frozen_at__isnull=False).exists()


def ensure_open(programme_year_id: int, what: str) -> None:
    """Raise ``FrozenError`` if the cohort has been deliberated; ``what`` names the change.

    ``what`` completes « Le jury a délibéré : … ne peut plus être modifié(e). », e.g.
    « les évaluations de cette promotion ne peuvent plus être créées, modifiées ni supprimées ».
    """
    if is_frozen(programme_year_id):
        raise FrozenError(refusal(what), code="frozen")


# Marked for translation (gettext_noop), translated when the refusal is written (``refusal``).
ASSESSMENTS_FROZEN = gettext_noop(
    "les évaluations ne peuvent plus être créées, modifiées ni supprimées"
)
SESSIONS_FROZEN = gettext_noop("une séance déjà tenue et son appel ne peuvent plus être modifiés")
UES_FROZEN = gettext_noop("les UE d'une inscription ne peuvent plus être modifiées")
SESSIONS_INTO_PAST_FROZEN = gettext_noop("une séance ne peut plus être placée dans le passé")
ENROLMENTS_FROZEN = gettext_noop(
    "aucune inscription ne peut plus y être ajoutée ni en être retirée"
)
RULES_FROZEN = gettext_noop(
    "la note de validation, le seuil d'absence, la prise en compte des absences justifiées, "
    "les UE et leurs crédits ne peuvent plus être modifiés"
)


def refusal(what: str) -> str:
    """The sentence of a ``FrozenError``, for callers that list errors (the cohort import)."""
    return _("Le jury de cette promotion a délibéré : %(what)s.") % {"what": _(what)}


def ensure_open_locked(programme_year_id: int, what: str) -> None:
    """As ``ensure_open``, inside the writer's transaction, the cohort's row locked.

    A deliberation that updates the same row then waits for this write, or this write sees
    the freeze: no write slips in between the two.
    """
    # The row is locked whether or not it is frozen yet: that is what orders the two writers.
    stamps = list(
        ProgrammeYear.objects.select_for_update()
        .filter(pk=programme_year_id)
        .values_list("frozen_at", flat=True)
    )
    if stamps and stamps[0] is not None:
        raise FrozenError(refusal(what), code="frozen")
