"""The one builder of what a student reads of their grades, per UE and assessment.

The student's grades page and the relevé de notes both show ``grade_sheet``, so a status,
a label or a jury decision reads the same word on both (RULES.md §6, §7, §7b). Built on
``selectors.published_ue_results``: a draft never shows, neither as a mark nor in an average.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from enrolment.models import Enrolment
from enrolment.rules import JuryDecision
from lib.formats import long_date
from lib.numbers import plain

from .models import Assessment, Grade
from .rules import GradeStatus, UEResult, UEStatus, format_grade
from .selectors import PublishedUE, published_ue_results

STAMP_CLASSES = {UEStatus.VALIDATED: "ok", UEStatus.FAILED: "ko", UEStatus.PENDING: "wait"}


@dataclass(frozen=True)
class GradeLine:
    """One assessment as the student sees it: the mark only once published."""

    key: str
    label: str
    date: dt.date
    date_label: str  # « 13 janvier 2025 », « 1er juin 2025 »
    kind_label: str
    coefficient: str
    mark: str
    status_label: str
    is_makeup: bool


@dataclass(frozen=True)
class UEBlock:
    code: str
    title: str
    credits: int
    average: str
    status: UEStatus
    status_label: str
    credits_obtained: int
    lines: tuple[GradeLine, ...]
    waiting_for: tuple[str, ...]

    @property
    def stamp_class(self) -> str:
        return STAMP_CLASSES[self.status]

    @property
    def credits_label(self) -> str:
        """« 6 / 6 crédits », in the reader's language: the same words on the grades page and
        the relevé (a gettext call here is cheaper than a template ``blocktranslate``)."""
        return _("%(got)s / %(total)s crédits") % {
            "got": self.credits_obtained,
            "total": self.credits,
        }


@dataclass(frozen=True)
class GradeSheet:
    blocks: tuple[UEBlock, ...]
    deliberated: bool
    jury_decision: str  # the label of JuryDecision; "" before any deliberation

    @property
    def credits_obtained(self) -> int:
        """ECTS credits of the validated UE."""
        return sum(b.credits_obtained for b in self.blocks)

    @property
    def credits_total(self) -> int:
        return sum(b.credits for b in self.blocks)

    @property
    def credits_label(self) -> str:
        """« Crédits obtenus : 6 sur 12 ECTS », in the reader's language."""
        return _("Crédits obtenus : %(n)s sur %(total)s ECTS") % {
            "n": self.credits_obtained,
            "total": self.credits_total,
        }


# Translated when shown, only the one a line needs (gettext_noop marks them for makemessages).
_UE_STATUS_LABELS = {
    UEStatus.VALIDATED: gettext_noop("Validée"),
    UEStatus.FAILED: gettext_noop("Non validée"),
    UEStatus.PENDING: gettext_noop("En attente"),
}
_GRADE_STATUS_LABELS = {
    GradeStatus.GRADED: "",
    GradeStatus.ABSENT: gettext_noop("Absent·e : compte 0, défaillant·e"),
    GradeStatus.ABSENT_JUSTIFIED: gettext_noop("Absence justifiée → rattrapage"),
    GradeStatus.PLAGIARISM: gettext_noop("Plagiat : compte 0"),
}


def ue_status_label(status: UEStatus) -> str:
    return _(_UE_STATUS_LABELS[status])


def grade_status_label(grade: Grade | None, *, under_correction: bool = False) -> str:
    """The observation of a line; « en cours de correction » for a mark unlocked after the jury
    whose change is still a draft (RULES.md §7b)."""
    if grade is None:
        return _("en cours de correction") if under_correction else _("Pas encore de note publiée")
    msgid = _GRADE_STATUS_LABELS[GradeStatus(grade.status)]
    return _(msgid) if msgid else ""


def grade_mark(grade: Grade | None) -> str:
    """« 12,50 »; an unjustified absence and plagiarism count 0 (booklet §4.2, §4.4)."""
    if grade is None:
        return "—"
    status = GradeStatus(grade.status)
    if status == GradeStatus.GRADED:
        return format_grade(grade.value)
    if status in (GradeStatus.ABSENT, GradeStatus.PLAGIARISM):
        return format_grade(Decimal(0))
    return "—"


def assessment_label(assessment: Assessment) -> str:
    """The title, else kind and key; a make-up is named after the assessment it replaces."""
    original = assessment.makeup_of if assessment.makeup_of_id is not None else None
    if original is not None:
        return _("Rattrapage — %(label)s") % {"label": assessment_label(original)}
    return assessment.title or f"{assessment.get_kind_display()} {assessment.key}"


def waiting_for(result: UEResult) -> tuple[str, ...]:
    """Why a pending UE has no decision yet, worded as on the certification page."""
    if not result.pending:
        return ()
    waits = []
    if not result.has_assessment:
        waits.append(_("aucune évaluation prévue"))
    if result.missing:
        waits.append(_("aucune note pour %(keys)s") % {"keys": ", ".join(result.missing)})
    if result.makeup_pending:
        waits.append(
            _("rattrapage attendu pour %(keys)s") % {"keys": ", ".join(result.makeup_pending)}
        )
    return (_("UE %(ue)s en attente : %(waits)s") % {"ue": result.ue, "waits": " ; ".join(waits)},)


def _shown(assessment: Assessment, grades: dict[int, Grade], corrected: Collection[int]) -> bool:
    """A make-up concerns the student only after a justified absence at its original (§7b)."""
    if assessment.makeup_of_id is None or assessment.pk in grades or assessment.pk in corrected:
        return True
    original = grades.get(assessment.makeup_of_id)
    return original is not None and original.status == GradeStatus.ABSENT_JUSTIFIED


def _order(assessment: Assessment) -> tuple[dt.date, str, int]:
    """Each make-up right after the assessment it replaces."""
    if assessment.makeup_of is not None:
        return (assessment.makeup_of.date, assessment.makeup_of.key, 1)
    return (assessment.date, assessment.key, 0)


@lru_cache(maxsize=4096)
def _date_label(date: dt.date, _language: str | None) -> str:
    """``long_date`` once per date and language: a page repeats few dates."""
    return long_date(date)


@lru_cache(maxsize=256)
def _kind_label(kind: str, _language: str | None) -> str:
    """``get_kind_display()`` once per kind and language."""
    return str(Assessment(kind=kind).get_kind_display())


def _block(published: PublishedUE, corrected: Collection[int]) -> UEBlock:
    ue, result, grades = published.ue, published.result, published.grades
    language = get_language()
    lines = tuple(
        GradeLine(
            key=a.key,
            label=assessment_label(a),
            date=a.date,
            date_label=_date_label(a.date, language),
            kind_label=_kind_label(a.kind, language),
            coefficient=plain(a.weight),
            mark=grade_mark(grades.get(a.pk)),
            status_label=grade_status_label(grades.get(a.pk), under_correction=a.pk in corrected),
            is_makeup=a.makeup_of_id is not None,
        )
        for a in sorted(published.assessments, key=_order)
        if _shown(a, grades, corrected)
    )
    return UEBlock(
        code=ue.code,
        title=ue.title,
        credits=ue.credits,
        average=format_grade(result.average),
        status=result.status,
        status_label=ue_status_label(result.status),
        credits_obtained=result.credits,
        lines=lines,
        waiting_for=waiting_for(result),
    )


def jury_decision_label(enrolment: Enrolment) -> str:
    """The latest jury decision, the same word everywhere; "" before any deliberation."""
    if enrolment.programme_year.frozen_at is None or not enrolment.jury_decision:
        return ""
    # The words are msgids already (Enrolment.jury_decision's choices): shown in the reader's
    # language, while the pure rules keep the French ones.
    return _(JuryDecision(enrolment.jury_decision).label)


def grade_sheet(enrolment: Enrolment) -> GradeSheet:
    """Each UE of the enrolment with its lines, published marks only, and the jury decision.

    One query (none more for ``enrolment.programme_year`` when it is already loaded).
    """
    published = published_ue_results(enrolment)
    return GradeSheet(
        # Unlocked after the jury, its new value is a draft: the line says so, without it.
        blocks=tuple(_block(p, p.corrected) for p in published),
        deliberated=enrolment.programme_year.frozen_at is not None,
        jury_decision=jury_decision_label(enrolment),
    )
