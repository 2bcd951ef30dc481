"""The catalogue: programmes, their years and the years' UE, set up from the registrar's pages.

Every write is keyword-only, atomic, leaves one line in the registrar's journal
(``enrolment.audit.record``) and is checked here whatever the path (portal page, Django admin,
command): uniqueness with a plain French message, the academic year written « 2025-2026 »,
the figures' bounds, and the jury freeze (RULES.md §7b, ``enrolment.freeze``): once a year has
been deliberated, its pass mark, absence threshold, justified-absence setting, its UE (none
added, none moved) and their codes and credits stay as the jury saw them. The UE's texts
(title, hours, syllabus, competences) and the fees stay open.

A save takes the instance with its new values (a model form's, or the admin's) and compares
it with the stored row, read locked: only the changed fields are written, so a stale instance
never rewrites what another writer (the jury's freeze stamp) has set meanwhile.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import audit
from .freeze import RULES_FROZEN, FrozenError, refusal
from .models import UE, Programme, ProgrammeYear, User

# Marked for translation (gettext_noop), translated where they are raised.
YEAR_FORMAT = gettext_noop(
    "L'année universitaire s'écrit avec deux années qui se suivent, par exemple « 2025-2026 »."
)
PROGRAMME_CODE_TAKEN = gettext_noop("Un programme de code « %(code)s » existe déjà.")
YEAR_TAKEN = gettext_noop("La promotion %(programme)s %(year)s existe déjà.")
UE_CODE_TAKEN = gettext_noop("L'UE « %(code)s » existe déjà dans la promotion %(year)s.")
PASS_MARK_RANGE = gettext_noop("La note de validation est comprise entre 0 et 20.")
THRESHOLD_RANGE = gettext_noop("Le seuil d'absence est un pourcentage compris entre 0 et 100.")
FEES_NEGATIVE = gettext_noop("Les frais d'inscription ne peuvent pas être négatifs.")
CREDITS_RANGE = gettext_noop("Une UE vaut de 1 à 60 crédits ECTS.")
YEAR_FROZEN = gettext_noop(
    "l'année universitaire et le programme de la promotion ne peuvent plus être modifiés"
)
UE_ADDED_FROZEN = gettext_noop("aucune UE ne peut plus y être ajoutée ni déplacée")

CREDITS_MAX = 60

_YEAR_RE = re.compile(r"([0-9]{4})-([0-9]{4})")


class CatalogueError(ValidationError):
    """A catalogue write refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        if field is None:
            super().__init__(message, code=code)
        else:
            super().__init__({field: [ValidationError(message, code=code)]})


# ---- Academic years ---------------------------------------------------------------------


def year_is_valid(year: str) -> bool:
    """« 2025-2026 »: four digits, a hyphen, the next year."""
    match = _YEAR_RE.fullmatch(year)
    return match is not None and int(match[2]) == int(match[1]) + 1


def next_year(year: str) -> str:
    """« 2024-2025 » → « 2025-2026 »."""
    if not year_is_valid(year):
        raise CatalogueError(_(YEAR_FORMAT), field="year")
    start = int(year[:4]) + 1
    return f"{start}-{start + 1}"


def competence_lines(text: str) -> list[str]:
    """The competences typed one per line, without empty lines or a typed bullet."""
    lines = (line.strip() for line in text.splitlines())
    return [re.sub(r"^[-•*]\s*", "", line) for line in lines if line]


# ---- Reads ------------------------------------------------------------------------------


def catalogue_programmes() -> list[Programme]:
    """Every programme with its years (latest first), each with ``n_ues`` and ``total_credits``
    (two queries)."""
    years = (
        ProgrammeYear.objects.annotate(n_ues=Count("ues"), total_credits=Sum("ues__credits"))
        .select_related("opened_from")
        .order_by("-year")
    )
    return list(Programme.objects.order_by("code").prefetch_related(Prefetch("years", years)))


def year_ues(programme_year: ProgrammeYear) -> list[UE]:
    return list(UE.objects.filter(programme_year=programme_year).order_by("code"))


def year_following(programme_year: ProgrammeYear) -> ProgrammeYear | None:
    """The year after this one in the same programme, if it exists already."""
    return ProgrammeYear.objects.filter(
        programme_id=programme_year.programme_id, year=next_year(programme_year.year)
    ).first()


@dataclass(frozen=True)
class UEDescription:
    """What a student reads of a UE: its syllabus, hours and competences."""

    ue: UE
    competences: list[str]

    @property
    def has_text(self) -> bool:
        return bool(self.ue.syllabus.strip() or self.competences or self.ue.hours)


def ue_descriptions(ues: Iterable[UE]) -> list[UEDescription]:
    return [UEDescription(ue=ue, competences=competence_lines(ue.competences)) for ue in ues]


# ---- Writes -----------------------------------------------------------------------------
#
# Each save reads the stored row locked, runs the checks, writes the changed fields and one
# journal line. Each ``*_check`` runs the same checks without writing (the admin's forms call
# it, so that a refusal shows on the form); the save checks again under its lock.


def _changed(instance: object, stored: object | None, fields: Iterable[str]) -> list[str]:
    if stored is None:
        return list(fields)
    return [f for f in fields if getattr(instance, f) != getattr(stored, f)]


def _labels(model: type[Programme | ProgrammeYear | UE], fields: Iterable[str]) -> str:
    """The changed fields as the journal names them (« note de validation, frais »)."""
    names = []
    for name in fields:
        field = model._meta.get_field(name.removesuffix("_id"))
        names.append(str(getattr(field, "verbose_name", name)))
    return ", ".join(names)


def _save(instance: Programme | ProgrammeYear | UE, changed: list[str], taken: str) -> None:
    """Insert or update the changed fields; a uniqueness race ends as ``taken``."""
    try:
        with transaction.atomic():
            if instance.pk is None:
                instance.save()
            else:
                instance.save(update_fields=changed)
    except IntegrityError as exc:
        field = "code" if isinstance(instance, Programme | UE) else "year"
        raise CatalogueError(taken, field=field) from exc


PROGRAMME_FIELDS = ("code", "title", "level", "managing_unit")


def _programme_checked(programme: Programme, *, lock: bool) -> tuple[Programme | None, list[str]]:
    rows = Programme.objects.select_for_update() if lock else Programme.objects.all()
    stored = rows.get(pk=programme.pk) if programme.pk else None
    programme.code = programme.code.strip().upper()
    if Programme.objects.filter(code__iexact=programme.code).exclude(pk=programme.pk).exists():
        raise CatalogueError(_(PROGRAMME_CODE_TAKEN) % {"code": programme.code}, field="code")
    programme.full_clean(validate_unique=False, validate_constraints=False)
    return stored, _changed(programme, stored, PROGRAMME_FIELDS)


def programme_check(*, programme: Programme) -> None:
    """Raise what ``programme_save`` would refuse; write nothing."""
    _programme_checked(programme, lock=False)


@transaction.atomic
def programme_save(*, programme: Programme, by: User | None) -> Programme:
    """Create or edit a programme (code unique, whatever its case)."""
    stored, changed = _programme_checked(programme, lock=True)
    if stored is not None and not changed:
        return programme
    _save(programme, changed, _(PROGRAMME_CODE_TAKEN) % {"code": programme.code})
    if stored is None:
        audit.record(
            by=by,
            action="catalogue.programme.create",
            summary=f"Programme {programme.code} créé : {programme.title}.",
        )
    else:
        audit.record(
            by=by,
            action="catalogue.programme.update",
            summary=f"Programme {programme.code} modifié : {_labels(Programme, changed)}.",
        )
    return programme


YEAR_FIELDS = (
    "programme_id",
    "year",
    "pass_mark",
    "absence_threshold_pct",
    "justified_absences_count",
    "fees",
    "jury_planned_on",
    "opened_from_id",
)
YEAR_RULES = ("pass_mark", "absence_threshold_pct", "justified_absences_count")


def _year_checked(
    programme_year: ProgrammeYear, *, lock: bool
) -> tuple[ProgrammeYear | None, list[str], str]:
    py = programme_year
    rows = ProgrammeYear.objects.select_for_update() if lock else ProgrammeYear.objects.all()
    stored = rows.get(pk=py.pk) if py.pk else None
    py.year = py.year.strip()
    if not year_is_valid(py.year):
        raise CatalogueError(_(YEAR_FORMAT), field="year")
    if not Decimal(0) <= py.pass_mark <= Decimal(20):
        raise CatalogueError(_(PASS_MARK_RANGE), field="pass_mark")
    if not Decimal(0) <= py.absence_threshold_pct <= Decimal(100):
        raise CatalogueError(_(THRESHOLD_RANGE), field="absence_threshold_pct")
    if py.fees < 0:
        raise CatalogueError(_(FEES_NEGATIVE), field="fees")
    changed = _changed(py, stored, YEAR_FIELDS)
    if stored is not None and stored.is_frozen:
        if any(f in changed for f in YEAR_RULES):
            raise FrozenError(refusal(RULES_FROZEN), code="frozen")
        if "year" in changed or "programme_id" in changed:
            raise FrozenError(refusal(YEAR_FROZEN), code="frozen")
    code = Programme.objects.values_list("code", flat=True).get(pk=py.programme_id)
    taken = _(YEAR_TAKEN) % {"programme": code, "year": py.year}
    others = ProgrammeYear.objects.filter(programme_id=py.programme_id, year=py.year)
    if others.exclude(pk=py.pk).exists():
        raise CatalogueError(taken, field="year")
    py.full_clean(validate_unique=False, validate_constraints=False)
    return stored, changed, taken


def programme_year_check(*, programme_year: ProgrammeYear) -> None:
    """Raise what ``programme_year_save`` would refuse; write nothing."""
    _year_checked(programme_year, lock=False)


@transaction.atomic
def programme_year_save(*, programme_year: ProgrammeYear, by: User | None) -> ProgrammeYear:
    """Create or edit a programme year; once deliberated, its rules and its name are frozen
    (``FrozenError``), its fees and planned jury date stay open."""
    py = programme_year
    stored, changed, taken = _year_checked(py, lock=True)
    if stored is not None and not changed:
        return py
    _save(py, changed, taken)
    name = f"{py.programme.code} {py.year}"
    if stored is None:
        summary = f"Promotion {name} créée."
        action = "catalogue.year.create"
    else:
        summary = f"Promotion {name} modifiée : {_labels(ProgrammeYear, changed)}."
        action = "catalogue.year.update"
    audit.record(by=by, action=action, summary=summary, programme_year=py)
    return py


UE_FIELDS = ("programme_year_id", "code", "title", "credits", "hours", "syllabus", "competences")
UE_RULES = ("code", "credits")


def _frozen_years(*ids: int | None, lock: bool) -> set[int]:
    """Of these programme years, the deliberated ones; with ``lock`` their rows locked (as
    ``freeze.ensure_open_locked``: a deliberation waits for this write or is seen by it)."""
    wanted = sorted({i for i in ids if i is not None})
    rows = ProgrammeYear.objects.select_for_update() if lock else ProgrammeYear.objects.all()
    found = rows.filter(pk__in=wanted).order_by("pk").values_list("pk", "frozen_at")
    return {pk for pk, stamp in found if stamp is not None}


def _ue_checked(ue: UE, *, lock: bool) -> tuple[UE | None, list[str], str]:
    rows = UE.objects.select_for_update() if lock else UE.objects.all()
    stored = rows.get(pk=ue.pk) if ue.pk else None
    ue.code = ue.code.strip().upper()
    changed = _changed(ue, stored, UE_FIELDS)
    frozen = _frozen_years(
        ue.programme_year_id, stored.programme_year_id if stored else None, lock=lock
    )
    if stored is None or "programme_year_id" in changed:
        if frozen:
            raise FrozenError(refusal(UE_ADDED_FROZEN), code="frozen")
    elif frozen and any(f in changed for f in UE_RULES):
        raise FrozenError(refusal(RULES_FROZEN), code="frozen")
    if ue.credits is None or not 1 <= ue.credits <= CREDITS_MAX:
        raise CatalogueError(_(CREDITS_RANGE), field="credits")
    py = ProgrammeYear.objects.select_related("programme").get(pk=ue.programme_year_id)
    taken = _(UE_CODE_TAKEN) % {"code": ue.code, "year": py}
    same_code = UE.objects.filter(programme_year_id=py.pk, code__iexact=ue.code)
    if same_code.exclude(pk=ue.pk).exists():
        raise CatalogueError(taken, field="code")
    ue.full_clean(validate_unique=False, validate_constraints=False)
    return stored, changed, taken


def ue_check(*, ue: UE) -> None:
    """Raise what ``ue_save`` would refuse; write nothing."""
    _ue_checked(ue, lock=False)


@transaction.atomic
def ue_save(*, ue: UE, by: User | None) -> UE:
    """Create or edit a UE of a programme year (code unique in the year, 1 to 60 credits).

    Once the year is deliberated no UE is added or moved there, and a UE's code and credits
    stay (``FrozenError``); its title, hours, syllabus and competences stay open.
    """
    stored, changed, taken = _ue_checked(ue, lock=True)
    if stored is not None and not changed:
        return ue
    _save(ue, changed, taken)
    py = ue.programme_year
    if stored is None:
        summary = f"UE {ue.code} créée en {py} ({ue.credits} ECTS)."
        action = "catalogue.ue.create"
    else:
        summary = f"UE {ue.code} de {py} modifiée : {_labels(UE, changed)}."
        action = "catalogue.ue.update"
    audit.record(by=by, action=action, summary=summary, programme_year=py)
    return ue


# ---- « Ouvrir l'année suivante » --------------------------------------------------------


@dataclass(frozen=True)
class YearOpening:
    """The year just opened and, for each UE of the source year, its copy: old id → new id."""

    programme_year: ProgrammeYear
    ue_mapping: dict[int, int]


@transaction.atomic
def programme_year_open_next(*, programme_year: ProgrammeYear, by: User | None) -> YearOpening:
    """Create the next year of the programme from this one: its settings and fees, and its UE
    with their texts and hours. Refused if that year exists already. The new year is open
    (never frozen) and remembers where it comes from (``opened_from``).

    The assessments plan belongs to grading: ``certification.year_opening`` copies it with
    the returned mapping, in the same transaction.
    """
    source = ProgrammeYear.objects.select_related("programme").get(pk=programme_year.pk)
    # Two openings of the same programme run one after the other: the second sees the first.
    Programme.objects.select_for_update().filter(pk=source.programme_id).get()
    name = next_year(source.year)
    taken = _(YEAR_TAKEN) % {"programme": source.programme.code, "year": name}
    if ProgrammeYear.objects.filter(programme_id=source.programme_id, year=name).exists():
        raise CatalogueError(taken)
    new = ProgrammeYear(
        programme=source.programme,
        year=name,
        pass_mark=source.pass_mark,
        absence_threshold_pct=source.absence_threshold_pct,
        justified_absences_count=source.justified_absences_count,
        fees=source.fees,
        opened_from=source,
    )
    try:
        with transaction.atomic():
            new.save()
    except IntegrityError as exc:
        raise CatalogueError(taken) from exc
    ues = year_ues(source)
    UE.objects.bulk_create(
        UE(
            programme_year=new,
            code=ue.code,
            title=ue.title,
            credits=ue.credits,
            hours=ue.hours,
            syllabus=ue.syllabus,
            competences=ue.competences,
        )
        for ue in ues
    )
    new_ids = dict(UE.objects.filter(programme_year=new).values_list("code", "pk"))
    mapping = {ue.pk: new_ids[ue.code] for ue in ues}
    codes = ", ".join(ue.code for ue in ues) or "aucune UE"
    audit.record(
        by=by,
        action="catalogue.year.open",
        summary=(
            f"Promotion {source.programme.code} {name} ouverte à partir de {source.year} : "
            f"réglages, frais et UE copiés ({codes})."
        ),
        programme_year=new,
    )
    return YearOpening(programme_year=new, ue_mapping=mapping)


def date_next_year(day: dt.date) -> dt.date:
    """The same day one year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)
