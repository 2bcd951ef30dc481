"""Reads for the registrar: enrolment lists with their filters, dashboard counts."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import UE, Enrolment, Payment, ProgrammeYear
from .rules import fees_balance

_MONEY = DecimalField(max_digits=12, decimal_places=2)


def _paid_subquery() -> Subquery:
    # A subquery, not a join: filtering on UE (M2M) would otherwise multiply the sum.
    return Subquery(
        Payment.objects.filter(enrolment=OuterRef("pk"))
        .order_by()
        .values("enrolment")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=_MONEY,
    )


def enrolments_with_fees() -> QuerySet[Enrolment]:
    """Enrolments with ``paid`` (sum of payments, refunds included) annotated."""
    return (
        Enrolment.objects.select_related("student", "programme_year__programme")
        .annotate(paid=Coalesce(_paid_subquery(), Value(Decimal("0")), output_field=_MONEY))
        .order_by(
            "programme_year__programme__code",
            "-programme_year__year",
            "student__last_name",
            "student__first_name",
            "student__number",
        )
    )


def balance_of(enrolment: Enrolment) -> Decimal:
    """Balance of an enrolment annotated by ``enrolments_with_fees`` (rules decide)."""
    return fees_balance(due=enrolment.fees_due, payments=[enrolment.paid])


def enrolments_search(
    *,
    q: str = "",
    status: str = "",
    fees: str = "",
    ue_id: int | None = None,
    programme_year_id: int | None = None,
) -> QuerySet[Enrolment]:
    """The registrar's list: search by name or number, filter by status, fees, UE, year.

    ``fees``: ``due`` (something still owed), ``paid`` (paid in full) or empty.
    """
    qs = enrolments_with_fees()
    q = q.strip()
    if q:
        for word in q.split()[:5]:
            qs = qs.filter(
                Q(student__number__icontains=word)
                | Q(student__last_name__icontains=word)
                | Q(student__first_name__icontains=word)
            )
    if status:
        qs = qs.filter(status=status)
    if programme_year_id:
        qs = qs.filter(programme_year_id=programme_year_id)
    if ue_id:
        qs = qs.filter(
            pk__in=Enrolment.ues.through.objects.filter(ue_id=ue_id).values("enrolment_id")
        )
    if fees == "due":
        qs = qs.filter(fees_due__gt=F("paid"))
    elif fees == "paid":
        qs = qs.filter(fees_due__lte=F("paid"))
    return qs


@dataclass(frozen=True)
class YearSummary:
    programme_year: ProgrammeYear
    counts: dict[str, int]
    total: int
    fees_owing: int
    jury_at: object
    certificates: int


def dashboard_years() -> list[YearSummary]:
    """Every programme year with enrolment counts by status, students owing fees, jury, certs."""
    years = list(
        ProgrammeYear.objects.select_related("programme")
        .annotate(
            n_pending=Count("enrolments", filter=Q(enrolments__status="pending"), distinct=True),
            n_enrolled=Count("enrolments", filter=Q(enrolments__status="enrolled"), distinct=True),
            n_withdrawn=Count(
                "enrolments", filter=Q(enrolments__status="withdrawn"), distinct=True
            ),
            n_completed=Count(
                "enrolments", filter=Q(enrolments__status="completed"), distinct=True
            ),
            # Reverse relations of the certification app: read without importing it.
            n_certificates=Count(
                "certificates", filter=Q(certificates__revoked_at__isnull=True), distinct=True
            ),
            jury_at=F("frozen_at"),
        )
        .order_by("programme__code", "-year")
    )
    owing = dict(
        enrolments_with_fees()
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .filter(fees_due__gt=F("paid"))
        .order_by()
        .values("programme_year")
        .annotate(n=Count("pk"))
        .values_list("programme_year", "n")
    )
    out = []
    for py in years:
        counts = {
            "pending": py.n_pending,
            "enrolled": py.n_enrolled,
            "withdrawn": py.n_withdrawn,
            "completed": py.n_completed,
        }
        out.append(
            YearSummary(
                programme_year=py,
                counts=counts,
                total=sum(counts.values()),
                fees_owing=owing.get(py.pk, 0),
                jury_at=py.jury_at,
                certificates=py.n_certificates,
            )
        )
    return out


@dataclass(frozen=True)
class EnrolDefaults:
    """What the new-enrolment form proposes before the registrar types anything."""

    programme_year: ProgrammeYear | None
    ues: list[UE]
    fees_due: Decimal | None


def enrol_defaults(*, programme_year_id: int | None = None) -> EnrolDefaults:
    """The promotion asked for, else the only one still open (not deliberated); all its UE;
    and its standard fees (``ProgrammeYear.fees``, set in the catalogue).

    A promotion whose standard fees were never set (0) falls back on the fees most of its
    students were enrolled with; with none yet, the field stays empty for the registrar.
    """
    years = ProgrammeYear.objects.select_related("programme")
    if programme_year_id is not None:
        chosen = years.filter(pk=programme_year_id).first()
    else:
        open_years = list(years.filter(frozen_at__isnull=True)[:2])
        chosen = open_years[0] if len(open_years) == 1 else None
    if chosen is None:
        return EnrolDefaults(programme_year=None, ues=[], fees_due=None)
    usual = chosen.fees or (
        Enrolment.objects.filter(programme_year=chosen)
        .order_by()
        .values("fees_due")
        .annotate(n=Count("pk"))
        .order_by("-n", "-fees_due")
        .values_list("fees_due", flat=True)
        .first()
    )
    return EnrolDefaults(
        programme_year=chosen,
        ues=list(UE.objects.filter(programme_year=chosen).order_by("code")),
        fees_due=usual,
    )


def pending_enrolments(limit: int = 20) -> QuerySet[Enrolment]:
    return enrolments_with_fees().filter(status=Enrolment.Status.PENDING)[:limit]
