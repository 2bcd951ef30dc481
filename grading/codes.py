"""The codes typed instead of a grade (ABS, ABJ, PLAGIAT): the one list the grid, its script,
the spreadsheets and the history labels read (RULES.md §6)."""

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .rules import NOT_A_NUMBER, GradeInputError, GradeStatus

# Status → the code typed for it. The order is the one the hints list.
CODES: dict[str, str] = {
    GradeStatus.ABSENT: "ABS",
    GradeStatus.ABSENT_JUSTIFIED: "ABJ",
    GradeStatus.PLAGIARISM: "PLAGIAT",
}
STATUS_OF_CODE: dict[str, str] = {code: str(status) for status, code in CODES.items()}
# What a code stands for, where the code alone does not say it.
MEANINGS: dict[str, Promise] = {"ABS": _("absent"), "ABJ": _("absence justifiée")}


def status_of(text: str) -> str | None:
    """The status a typed code asks for (« abs » and « ABS » alike), None for anything else."""
    return STATUS_OF_CODE.get(text.strip().upper())


def codes_hint() -> str:
    """« ABS (absent), ABJ (absence justifiée), PLAGIAT », in the reader's language."""
    return ", ".join(
        f"{code} ({MEANINGS[code]})" if code in MEANINGS else code for code in CODES.values()
    )


def input_hint() -> str:
    """What a grade cell accepts: the error for a word that is neither a grade nor a code."""
    return gettext("Saisissez une note de 0 à 20 (ex. 12,5) ou un code : %(codes)s.") % {
        "codes": codes_hint()
    }


def grade_error(exc: GradeInputError) -> str:
    """The message for a refused grade cell; text that is not a number gets the codes listed."""
    return input_hint() if exc.code == NOT_A_NUMBER else exc.message
