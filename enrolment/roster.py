"""The official enrolment list (« liste officielle ») imported from CSV or XLSX.

Four steps: ``read_table`` reads the file safely (lib/spreadsheet_safety.py: recognised by its
bytes, zip bombs and macros refused, formulas never evaluated); ``guess_mapping`` proposes a
field for each header; ``roster_preview`` says, row by row, what would happen and every error
(line, column, message); ``roster_apply`` writes it all in one transaction or nothing, through
``services.student_create`` and ``services.enrolment_create``. Importing the same list again
creates nothing: a student already enrolled in the year is « déjà présent·e ».

Invitations go out after the commit, in the background (``enrolment.tasks``), by small
batches: ``invitations_send`` moves each user sent from ``RosterImport.to_invite`` to the
``invited`` count; one that failed stays in ``to_invite`` so that it can be sent again.
"""

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

import openpyxl
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.spreadsheet_safety import (
    FORMULA_TRIGGERS,
    SpreadsheetRejected,
    check_xlsx,
    csv_decode,
    sniff_kind,
)

from . import audit, services
from .freeze import ENROLMENTS_FROZEN, refusal
from .models import UE, Enrolment, ProgrammeYear, RosterImport, StudentProfile, User
from .validators import forbidden_character, normalise_email

logger = logging.getLogger(__name__)

MAX_ROWS = 5000
INVITATION_BATCH = 10

# The fields a column can feed, in the order the mapping page lists them.
FIELDS: dict[str, object] = {
    "number": gettext_lazy("Numéro d'élève"),
    "last_name": gettext_lazy("Nom"),
    "first_name": gettext_lazy("Prénom"),
    "birth_date": gettext_lazy("Date de naissance"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Téléphone"),
    "ues": gettext_lazy("UE"),
}
REQUIRED_FIELDS = ("number", "last_name", "first_name", "birth_date", "email")
IGNORE = ""


def _norm(text: object) -> str:
    """Header or name without accents, case, punctuation: « N° Auditeur » → « n auditeur »."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


# What official lists call each field (Cnam « auditeurs », Apogée/Pégase exports, by hand).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": (
        "n auditeur",
        "no auditeur",
        "num auditeur",
        "numero auditeur",
        "numero d auditeur",
        "numero d eleve",
        "numero eleve",
        "n eleve",
        "numero etudiant",
        "numero d etudiant",
        "n etudiant",
        "matricule",
        "numero",
        "identifiant",
        "code auditeur",
    ),
    "last_name": ("nom", "nom de famille", "nom d usage", "nom usuel", "nom patronymique"),
    "first_name": ("prenom", "prenoms", "premier prenom"),
    "birth_date": ("date de naissance", "date naissance", "naissance", "ne le", "ne e le"),
    "email": (
        "courriel",
        "e mail",
        "email",
        "mail",
        "adresse e mail",
        "adresse electronique",
        "adresse mail",
        "courriel personnel",
    ),
    "phone": ("telephone", "tel", "portable", "mobile", "telephone portable", "n telephone"),
    "ues": (
        "ue",
        "ues",
        "unites d enseignement",
        "unite d enseignement",
        "ue suivies",
        "ue suivie",
    ),
}
_LOOKUP = {synonym: key for key, synonyms in _SYNONYMS.items() for synonym in synonyms}


def guess_field(header: str) -> str:
    """The field a header most likely names, or ``IGNORE``."""
    text = _norm(header)
    if text in _LOOKUP:
        return _LOOKUP[text]
    # « Date de naissance (JJ/MM/AAAA) », « Courriel personnel de l'élève »: the longest
    # synonym the header starts with.
    starts = [s for s in _LOOKUP if text.startswith(s + " ")]
    return _LOOKUP[max(starts, key=len)] if starts else IGNORE


def guess_mapping(headers: Sequence[str]) -> list[str]:
    """A field for each column, each field at most once (the first column naming it wins)."""
    taken: set[str] = set()
    mapping = []
    for header in headers:
        key = guess_field(header)
        if key and key not in taken:
            taken.add(key)
            mapping.append(key)
        else:
            mapping.append(IGNORE)
    return mapping


def mapping_errors(mapping: Sequence[str]) -> list[str]:
    """What is wrong with a mapping (French), empty when it can be used."""
    errors = []
    counts = Counter(k for k in mapping if k)
    for key in FIELDS:
        if counts[key] > 1:
            errors.append(
                _("« %(field)s » est associé à plusieurs colonnes : gardez-en une seule.")
                % {"field": FIELDS[key]}
            )
    for key in REQUIRED_FIELDS:
        if not counts[key]:
            errors.append(
                _("Associez une colonne du fichier au champ « %(field)s ».")
                % {"field": FIELDS[key]}
            )
    if any(k and k not in FIELDS for k in mapping):
        errors.append(_("Champ inconnu dans l'association des colonnes."))
    return errors


# ---- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    formula: bool = False
    date: dt.date | None = None


@dataclass(frozen=True)
class Table:
    """The header row and the non-blank rows, each with its line number in the file."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]


def _too_long() -> SpreadsheetRejected:
    return SpreadsheetRejected(
        _("Fichier trop long : %(n)s élèves au plus par import.") % {"n": MAX_ROWS}
    )


def _csv_table(data: bytes) -> list[list[Cell]]:
    text = csv_decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    rows = []
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([Cell(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                raise _too_long()
    except csv.Error as exc:
        raise SpreadsheetRejected(_("Fichier CSV illisible : %(error)s.") % {"error": exc}) from exc
    return rows


def _xlsx_cell(value: object, data_type: object) -> Cell:
    if data_type == "f":
        return Cell(str(value), formula=True)
    if isinstance(value, dt.datetime):
        return Cell(value.date().isoformat(), date=value.date())
    if isinstance(value, dt.date):
        return Cell(value.isoformat(), date=value)
    if isinstance(value, bool):
        return Cell(str(value))
    if isinstance(value, int | float):
        number = Decimal(str(value))
        # 2500123.0 → « 2500123 »: numbers typed in a cell formatted as a number.
        return Cell(f"{number.normalize():f}" if number == number.to_integral() else str(number))
    return Cell("" if value is None else str(value))


def _xlsx_table(data: bytes) -> list[list[Cell]]:
    check_xlsx(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SpreadsheetRejected(_("Fichier XLSX illisible.")) from exc
    try:
        rows = []
        for cells in book.worksheets[0].iter_rows():
            rows.append(
                [
                    _xlsx_cell(getattr(c, "value", None), getattr(c, "data_type", None))
                    for c in cells
                ]
            )
            if len(rows) > MAX_ROWS + 1:
                raise _too_long()
        return rows
    finally:
        book.close()


def read_table(data: bytes) -> Table:
    """The first sheet (or the CSV): its headers and rows; refuses what is not a spreadsheet."""
    kind = sniff_kind(data)
    raw = _xlsx_table(data) if kind == "xlsx" else _csv_table(data)
    while raw and not any(c.text.strip() for c in raw[0]):
        raw.pop(0)
    if not raw:
        raise SpreadsheetRejected(_("Le fichier est vide."))
    header_line = 1
    headers = [c.text.strip() for c in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetRejected(_("La première ligne doit porter les titres des colonnes."))
    headers = [h or _("Colonne %(n)s") % {"n": i} for i, h in enumerate(headers, start=1)]
    rows = [
        (line, cells[: len(headers)])
        for line, cells in enumerate(raw[1:], start=header_line + 1)
        if any(c.text.strip() or c.formula for c in cells[: len(headers)])
    ]
    if not rows:
        raise SpreadsheetRejected(_("Le fichier ne contient aucun élève sous ses titres."))
    return Table(headers=headers, rows=rows)


# ---- Preview --------------------------------------------------------------------------------


class Action(StrEnum):
    NEW = "new"  # a new account, profile and enrolment
    ENROL = "enrol"  # a known student newly enrolled in the year
    UNCHANGED = "unchanged"  # already enrolled in the year


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    number: str
    message: str


@dataclass(frozen=True)
class RowPlan:
    line: int
    number: str
    last_name: str
    first_name: str
    email: str
    action: Action
    ue_codes: tuple[str, ...]
    birth_date: dt.date | None = None
    phone: str = ""
    student_id: int | None = None

    @property
    def action_label(self) -> str:
        return {
            Action.NEW: _("Nouveau compte, inscription et invitation"),
            Action.ENROL: _("Élève connu·e : nouvelle inscription"),
            Action.UNCHANGED: _("Déjà inscrit·e : inchangé"),
        }[self.action]


@dataclass
class Preview:
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Errors about the whole import (a frozen cohort, a year without UE).
    general: list[str] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def new(self) -> int:
        return self.count(Action.NEW)

    @property
    def enrol(self) -> int:
        return self.count(Action.ENROL)

    @property
    def unchanged(self) -> int:
        return self.count(Action.UNCHANGED)

    @property
    def to_create(self) -> int:
        return self.new + self.enrol

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general

    @property
    def can_apply(self) -> bool:
        return self.ok and self.to_create > 0

    def error_lines(self) -> int:
        return len({e.line for e in self.errors})


_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,20}$")
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,30}$")
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
_UE_SPLIT = re.compile(r"[\s,;/+]+")


def _plain(cell: Cell | None) -> str:
    """The cell's text; the « ' » our own exports put before a formula character is dropped."""
    if cell is None:
        return ""
    text = cell.text.strip()
    if text.startswith("'") and text[1:2] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def _parse_date(cell: Cell) -> dt.date | None:
    if cell.date is not None:
        return cell.date
    text = cell.text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class _Context:
    """What the preview reads from the database, once for the whole file."""

    students: dict[str, StudentProfile]
    enrolled: set[int]
    usernames: set[str]
    email_holders: dict[str, set[int]]
    ues: dict[str, UE]


def _context(programme_year: ProgrammeYear, numbers: set[str], emails: set[str]) -> _Context:
    students = {
        s.number: s
        for s in StudentProfile.objects.filter(number__in=numbers).select_related("user")
    }
    enrolled = set(
        Enrolment.objects.filter(
            programme_year=programme_year, student__in=list(students.values())
        ).values_list("student_id", flat=True)
    )
    usernames = set(User.objects.filter(username__in=numbers).values_list("username", flat=True))
    holders: dict[str, set[int]] = defaultdict(set)
    lowered = sorted(emails)
    for address, user_id in (
        User.objects.annotate(low=Lower("email")).filter(low__in=lowered).values_list("low", "pk")
    ):
        holders[address].add(user_id)
    for address, user_id in (
        StudentProfile.objects.annotate(low=Lower("email"))
        .filter(low__in=lowered)
        .values_list("low", "user_id")
    ):
        holders[address].add(user_id)
    ues = {ue.code.upper(): ue for ue in UE.objects.filter(programme_year=programme_year)}
    return _Context(students, enrolled, usernames, dict(holders), ues)


def _text_problem(value: str, *, max_length: int) -> str | None:
    if value.startswith(FORMULA_TRIGGERS):
        return _(
            "« %(value)s » commence par « %(char)s » : un tableur le lirait comme une formule."
        ) % {"value": value[:40], "char": value[0]}
    char = forbidden_character(value)
    if char is not None:
        return _("Caractère de contrôle ou invisible (U+%(code)04X) : retirez-le.") % {
            "code": ord(char)
        }
    if len(value) > max_length:
        return _("Trop long : %(n)s caractères au plus.") % {"n": max_length}
    return None


def _lines(lines: list[int]) -> str:
    return ", ".join(map(str, lines))


class _Row:
    """The checks of one row: each adds its errors (line, column, message) to ``errors``."""

    def __init__(
        self,
        line: int,
        cells: list[Cell],
        *,
        headers: list[str],
        column: dict[str, int],
        ctx: "_Context",
    ) -> None:
        self.line = line
        self.cells = cells
        self.headers = headers
        self.column = column
        self.ctx = ctx
        self.errors: list[RowError] = []
        self.number = _plain(self.cell("number"))
        self.existing = ctx.students.get(self.number)
        # A formula is refused in any mapped column, and that column is not checked further.
        self.formulas = set()
        for key in column:
            cell = self.cell(key)
            if cell is not None and cell.formula:
                self.error(key, _("Formule refusée : saisissez une valeur, pas une formule."))
                self.formulas.add(key)

    def cell(self, key: str) -> Cell | None:
        i = self.column.get(key)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def checked(self, key: str) -> bool:
        return key in self.column and key not in self.formulas

    def error(self, key: str, message: str) -> None:
        self.errors.append(
            RowError(self.line, self.headers[self.column[key]], self.number, message)
        )

    def check_number(self, numbers_at: dict[str, list[int]]) -> None:
        number = self.number
        if not self.checked("number"):
            return
        if not number:
            self.error("number", _("Numéro d'élève manquant."))
        elif not _NUMBER.match(number):
            self.error(
                "number",
                _(
                    "Numéro d'élève invalide (« %(value)s ») : lettres, chiffres et tirets, "
                    "20 caractères au plus."
                )
                % {"value": number[:40]},
            )
        elif len(numbers_at[number]) > 1:
            self.error(
                "number",
                _("Numéro %(number)s présent plusieurs fois dans le fichier (lignes %(lines)s).")
                % {"number": number, "lines": _lines(numbers_at[number])},
            )
        elif self.existing is None and number in self.ctx.usernames:
            self.error("number", _("Un compte « %(number)s » existe déjà.") % {"number": number})

    def name(self, key: str, missing: str) -> str:
        value = _plain(self.cell(key))
        if self.checked(key):
            if not value:
                self.error(key, missing)
            elif problem := _text_problem(value, max_length=100):
                self.error(key, problem)
        return value

    def check_same_person(self, last_name: str) -> None:
        """A known number with another name is most likely a typo: enrolling would put
        the wrong person in the promotion."""
        existing = self.existing
        if existing is not None and last_name and _norm(last_name) != _norm(existing.last_name):
            self.error(
                "last_name",
                _(
                    "Le numéro %(number)s est celui de %(name)s : le nom du fichier "
                    "(« %(given)s ») ne correspond pas."
                )
                % {"number": self.number, "name": existing.full_name, "given": last_name},
            )

    def birth_date(self, today: dt.date) -> dt.date | None:
        cell = self.cell("birth_date")
        if not self.checked("birth_date"):
            return None
        if cell is None or not cell.text.strip():
            if self.existing is None:
                self.error("birth_date", _("Date de naissance manquante."))
            return None
        value = _parse_date(cell)
        if value is None:
            self.error(
                "birth_date",
                _("Date de naissance invalide (« %(value)s ») : écrivez-la JJ/MM/AAAA.")
                % {"value": cell.text.strip()[:40]},
            )
        elif not dt.date(1900, 1, 1) <= value <= today:
            self.error(
                "birth_date",
                _("Date de naissance invraisemblable : %(value)s.")
                % {"value": value.strftime("%d/%m/%Y")},
            )
            return None
        return value

    def email(self, emails_at: dict[str, list[int]]) -> str:
        email = normalise_email(_plain(self.cell("email")))
        if not self.checked("email"):
            return email
        if not email:
            if self.existing is None:
                self.error("email", _("Adresse e-mail manquante."))
            return email
        if (problem := _text_problem(email, max_length=254)) is not None:
            self.error("email", problem)
            return email
        try:
            validate_email(email)
        except ValidationError:
            self.error(
                "email", _("Adresse e-mail invalide (« %(value)s »).") % {"value": email[:60]}
            )
            return email
        at = emails_at[email.lower()]
        own = self.existing.user_id if self.existing is not None else None
        if len(at) > 1:
            self.error(
                "email",
                _("Adresse %(email)s présente plusieurs fois dans le fichier (lignes %(lines)s).")
                % {"email": email, "lines": _lines(at)},
            )
        elif self.ctx.email_holders.get(email.lower(), set()) - {own}:
            self.error(
                "email",
                _("L'adresse %(email)s est déjà celle d'une autre personne.") % {"email": email},
            )
        return email

    def phone(self) -> str:
        phone = _plain(self.cell("phone"))
        if phone and self.checked("phone") and not _PHONE.match(phone):
            self.error(
                "phone", _("Numéro de téléphone invalide (« %(value)s »).") % {"value": phone[:40]}
            )
        return phone

    def ue_codes(self, year: str) -> tuple[str, ...]:
        """The UE asked by the row's UE cell; all the year's UE when it is empty."""
        text = _plain(self.cell("ues"))
        if not text or not self.checked("ues"):
            return tuple(sorted(self.ctx.ues))
        asked = tuple(dict.fromkeys(c.upper() for c in _UE_SPLIT.split(text) if c))
        unknown = [c for c in asked if c not in self.ctx.ues]
        if unknown:
            self.error(
                "ues",
                _("UE inconnue en %(year)s : %(codes)s.")
                % {"year": year, "codes": ", ".join(unknown)},
            )
        return asked


def roster_preview(
    *, programme_year: ProgrammeYear, table: Table, mapping: Sequence[str]
) -> Preview:
    """Row by row, what the import would do and every error; reads, never writes."""
    preview = Preview()
    if errors := mapping_errors(mapping):
        preview.general.extend(errors)
        return preview
    column = {key: i for i, key in enumerate(mapping) if key}
    numbers_at: dict[str, list[int]] = defaultdict(list)
    emails_at: dict[str, list[int]] = defaultdict(list)
    for line, cells in table.rows:
        if number := _plain(_at(cells, column["number"])):
            numbers_at[number].append(line)
        if address := normalise_email(_plain(_at(cells, column["email"]))).lower():
            emails_at[address].append(line)
    ctx = _context(programme_year, set(numbers_at), set(emails_at))
    if not ctx.ues:
        preview.general.append(
            _("La promotion %(py)s n'a encore aucune UE : créez-les avant d'importer la liste.")
            % {"py": programme_year}
        )
    today = timezone.localdate()
    for line, cells in table.rows:
        row = _Row(line, cells, headers=table.headers, column=column, ctx=ctx)
        row.check_number(numbers_at)
        last_name = row.name("last_name", _("Nom manquant."))
        first_name = row.name("first_name", _("Prénom manquant."))
        row.check_same_person(last_name)
        birth_date = row.birth_date(today)
        email = row.email(emails_at)
        phone = row.phone()
        codes = row.ue_codes(programme_year.year)
        if row.errors:
            preview.errors.extend(row.errors)
            continue
        existing = row.existing
        if existing is None:
            action = Action.NEW
        elif existing.pk in ctx.enrolled:
            action = Action.UNCHANGED
        else:
            action = Action.ENROL
        preview.rows.append(
            RowPlan(
                line=line,
                number=row.number,
                last_name=existing.last_name if existing else last_name,
                first_name=existing.first_name if existing else first_name,
                email=existing.email if existing else email,
                action=action,
                ue_codes=codes,
                birth_date=birth_date,
                phone=phone,
                student_id=existing.pk if existing else None,
            )
        )
    if preview.to_create and programme_year.is_frozen:
        preview.general.append(refusal(ENROLMENTS_FROZEN))
    return preview


def _at(cells: list[Cell], i: int) -> Cell | None:
    return cells[i] if i < len(cells) else None


# ---- Writes ---------------------------------------------------------------------------------


class RosterError(Exception):
    """An import refused: nothing was written; the preview says why, row by row."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("; ".join(preview.general) or f"{len(preview.errors)} erreurs")
        self.preview = preview


@transaction.atomic
def roster_apply(
    *,
    programme_year: ProgrammeYear,
    table: Table,
    mapping: Sequence[str],
    by: User | None,
    filename: str,
    sha256: str,
) -> RosterImport:
    """Create every account and enrolment of the list, or nothing; one ``RosterImport`` row
    and one journal line. Students already enrolled are counted, not touched."""
    # The cohort's row locked first: two imports of one list run one after the other, and
    # the second finds the first's enrolments (« déjà présentes »). A deliberation waits too.
    # (enrolment_create checks the freeze again under the same lock, for every path.)
    list(ProgrammeYear.objects.select_for_update().filter(pk=programme_year.pk).values("pk"))
    programme_year.refresh_from_db()
    preview = roster_preview(programme_year=programme_year, table=table, mapping=mapping)
    if not preview.ok:
        raise RosterError(preview)
    to_invite = _write_rows(programme_year=programme_year, preview=preview, by=by)
    roster_import = RosterImport.objects.create(
        programme_year=programme_year,
        created_at=timezone.now(),
        created_by=by,
        filename=filename[:200],
        sha256=sha256,
        created=preview.to_create,
        unchanged=preview.unchanged,
        to_invite=to_invite,
        state=RosterImport.State.SENDING if to_invite else RosterImport.State.DONE,
    )
    _journal_import(roster_import, programme_year=programme_year, by=by, filename=filename)
    return roster_import


def _write_rows(*, programme_year: ProgrammeYear, preview: Preview, by: User | None) -> list[int]:
    """Every account and enrolment the preview plans; the users to invite, in row order.

    A row the services refuse stops the whole import (``RosterError``, rolled back)."""
    ues = {ue.code.upper(): ue for ue in programme_year.ues.all()}
    students = StudentProfile.objects.in_bulk(
        [r.student_id for r in preview.rows if r.student_id is not None]
    )
    to_invite = []
    for row in preview.rows:
        if row.action == Action.UNCHANGED:
            continue
        try:
            if row.action == Action.NEW:
                student = _new_student(row)
                to_invite.append(student.user_id)
            else:
                assert row.student_id is not None
                student = students[row.student_id]
            # The student is passed (not new_student): the invitations go out in the
            # background, after the commit, not one by one from this transaction.
            services.enrolment_create(
                programme_year=programme_year,
                by=by,
                ues=[ues[c] for c in row.ue_codes],
                fees_due=programme_year.fees,
                student=student,
            )
        except IntegrityError as exc:
            # Another import created the same student at the same moment (into another year):
            # the unique constraints refuse the second one, which is rolled back whole.
            raise RosterError(
                Preview(
                    general=[
                        _(
                            "Un autre import a créé les mêmes élèves au même moment : "
                            "rien n'a été importé, affichez à nouveau l'aperçu."
                        )
                    ]
                )
            ) from exc
        except (services.EnrolmentError, ValidationError) as exc:
            message = getattr(exc, "message", None) or "; ".join(
                getattr(exc, "messages", [str(exc)])
            )
            failed = Preview(errors=[RowError(row.line, "", row.number, str(message))])
            raise RosterError(failed) from exc
    return to_invite


def _new_student(row: RowPlan) -> StudentProfile:
    """The account of a row marked new, through ``services.student_create``."""
    assert row.birth_date is not None
    return services.student_create(
        data=services.NewStudent(
            number=row.number,
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=row.birth_date,
            email=row.email,
            phone=row.phone,
        )
    )


def _journal_import(
    roster_import: RosterImport, *, programme_year: ProgrammeYear, by: User | None, filename: str
) -> None:
    """The import's journal line and log line."""
    to_invite = len(roster_import.to_invite)
    audit.record(
        by=by,
        action="enrolment.roster.import",
        summary=(
            f"Liste officielle « {filename[:100]} » importée en {programme_year} : "
            f"{roster_import.created} inscription(s) créée(s) dont {to_invite} nouveau(x) "
            f"compte(s), {roster_import.unchanged} déjà présente(s)"
        ),
        programme_year=programme_year,
    )
    logger.info(
        "roster import %s into %s: %s created, %s unchanged, %s to invite",
        roster_import.pk,
        programme_year.pk,
        roster_import.created,
        roster_import.unchanged,
        to_invite,
    )


def invitations_send(*, import_id: int, batch_size: int = INVITATION_BATCH) -> RosterImport | None:
    """Send the invitations still due, ``batch_size`` at a time, the count saved per batch.

    Runs outside any transaction (a worker's task): ``services.invitation_send`` then sends
    at once, and a failure is caught here. A user whose e-mail failed stays in ``to_invite``
    and the import ends « Échec »: « Relancer » sends only to them.
    """
    with transaction.atomic():
        found = RosterImport.objects.select_for_update().filter(pk=import_id).first()
        if found is None:  # removed from the back office since it was queued
            logger.warning("roster import %s no longer exists: nothing to send", import_id)
            return None
        locked = found
        pending = [int(i) for i in locked.to_invite]
        if locked.state != RosterImport.State.SENDING:
            locked.state = RosterImport.State.SENDING
            locked.error = ""
            locked.save(update_fields=["state", "error"])
    size = max(1, batch_size)
    for start in range(0, len(pending), size):
        batch = pending[start : start + size]
        users = User.objects.in_bulk(batch)
        done: set[int] = set()
        for user_id in batch:
            user = users.get(user_id)
            if user is None:  # account removed since: nothing to send
                done.add(user_id)
                continue
            try:
                services.invitation_send(user=user)
            except Exception:  # any mail error: recorded on the import, retried on demand
                logger.exception(
                    "roster import %s: invitation to user %s failed", import_id, user_id
                )
            else:
                done.add(user_id)
        with transaction.atomic():
            locked = RosterImport.objects.select_for_update().get(pk=import_id)
            sent = sum(1 for i in done if i in users)
            locked.to_invite = [i for i in locked.to_invite if int(i) not in done]
            locked.invited += sent
            locked.save(update_fields=["to_invite", "invited"])
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=import_id)
        if locked.to_invite:
            locked.state = RosterImport.State.FAILED
            locked.error = (
                _("%(n)s invitation(s) n'ont pas pu être envoyées : relancez l'envoi.")
                % {"n": len(locked.to_invite)}
            )[:500]
        else:
            locked.state = RosterImport.State.DONE
            locked.error = ""
        locked.save(update_fields=["state", "error"])
    return locked


@dataclass(frozen=True)
class Progress:
    invited: int
    total: int
    sending: bool

    @property
    def percent(self) -> int:
        return round(100 * self.invited / self.total) if self.total else 100


def progress(roster_import: RosterImport) -> Progress:
    """« 12 / 30 invitations envoyées »: those still due are in ``to_invite``."""
    return Progress(
        invited=roster_import.invited,
        total=roster_import.invited + len(roster_import.to_invite),
        sending=roster_import.state == RosterImport.State.SENDING,
    )


def pending_invitees(roster_import: RosterImport) -> list[User]:
    """The accounts whose invitation has not gone out (yet, or because it failed)."""
    ids = [int(i) for i in roster_import.to_invite]
    return list(User.objects.filter(pk__in=ids).select_related("student").order_by("last_name"))


@transaction.atomic
def invitations_resume(*, roster_import: RosterImport, by: User | None) -> bool:
    """« Relancer l'envoi »: the import sends again to those still without an invitation.

    Returns False when there is nobody left to invite.
    """
    locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    if not locked.to_invite:
        return False
    locked.state = RosterImport.State.SENDING
    locked.error = ""
    locked.save(update_fields=["state", "error"])
    audit.record(
        by=by,
        action="enrolment.roster.resend",
        summary=(
            f"Invitations de la liste « {locked.filename[:100]} » relancées "
            f"({len(locked.to_invite)} à envoyer)"
        ),
        programme_year=locked.programme_year,
    )
    roster_import.state = locked.state
    roster_import.error = ""
    return True
