"""Read and check a cohort file (INTERCHANGE.md « Import file »), without touching the database.

Every error is collected with its path in the file (``students[3].grades[1].value``) so the
whole file is judged at once. The result is plain data for :mod:`.importer`.
"""

import codecs
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import ngettext

from attendance.rules import RoomCodeError, Site, parse_room
from enrolment.validators import code_point, forbidden_character, is_line_break, normalise_email
from grading.rules import AssessmentInfo, AssessmentKind, GradeInputError, parse_grade
from grading.rules import validate_makeup as check_makeup

SESSION_KINDS = ("cours", "visite", "seminaire", "examen")
GRADE_STATUSES = ("graded", "absent", "absent_justified", "plagiarism")
ATTENDANCE_STATUSES = ("absent", "late")

# ASCII classes only (SECURITY.md #6): "１２" or "1e3" never reach Decimal().
_MONEY_RE = re.compile(r"-?[0-9]{1,7}(?:\.[0-9]{1,2})?")
_DECIMAL_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR_RE = re.compile(r"([0-9]{4})-([0-9]{4})")
_NUMBER_RE = re.compile(r"[0-9A-Za-z-]+")
_EMAIL = EmailValidator()


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice (json keeps only the last one)."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj  # the usual case: a plain dict weighs far less than an _Object
    marked = _Object(obj)
    marked.duplicates = []
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen and key not in marked.duplicates:
            marked.duplicates.append(key)
        seen.add(key)
    return marked


def _refuse_constant(name: str) -> None:
    raise ValueError(f"valeur {name} interdite")


@dataclass(frozen=True, slots=True)
class UEData:
    code: str
    title: str
    credits: int


@dataclass(frozen=True, slots=True)
class ProgrammeData:
    code: str
    title: str
    year: str
    pass_mark: Decimal
    absence_threshold_pct: Decimal
    justified_absences_count: bool
    ues: tuple[UEData, ...]


@dataclass(frozen=True, slots=True)
class AssessmentData:
    key: str
    ue: str
    kind: str
    weight: Decimal
    date: date
    makeup_of: str | None
    title: str
    path: str = ""  # where it is in the file, for errors found against the database


@dataclass(frozen=True, slots=True)
class SessionData:
    key: str
    ue: str
    kind: str
    start: datetime
    end: datetime
    site: str
    room: str
    cancelled: bool
    title: str
    path: str = ""


# A cohort of 64,000 students holds some 250,000 grades (issue 11): the records below have
# slots, share their repeated values (keys, statuses, grades, dates) and build their path in
# the file only when an error needs it.
@dataclass(frozen=True, slots=True)
class GradeData:
    list_path: str  # "students[3].grades", shared by the student's grades
    index: int
    assessment: str
    status: str
    value: Decimal | None

    @property
    def path(self) -> str:
        return f"{self.list_path}[{self.index}]"


@dataclass(frozen=True, slots=True)
class AttendanceData:
    session: str
    presence: str
    minutes_missed: int
    justified: bool
    list_path: str = ""  # "students[3].attendance"
    index: int = 0

    @property
    def path(self) -> str:
        return f"{self.list_path}[{self.index}]"


@dataclass(slots=True)
class StudentData:
    path: str
    number: str
    last_name: str
    first_name: str
    birth_date: date
    email: str
    fees_due: Decimal
    payments: list[tuple[date, Decimal]] = field(default_factory=list)
    ues: list[str] = field(default_factory=list)
    grades: list[GradeData] = field(default_factory=list)
    attendance: list[AttendanceData] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CohortData:
    programme: ProgrammeData
    assessments: tuple[AssessmentData, ...]
    sessions: tuple[SessionData, ...]
    students: tuple[StudentData, ...]


class CohortFileError(Exception):
    """The file breaks the format; ``errors`` are « path: reason » lines in French."""

    def __init__(self, errors: list[str]) -> None:
        count = len(errors)
        super().__init__(
            ngettext("%(count)s erreur dans le fichier", "%(count)s erreurs dans le fichier", count)
            % {"count": count}
        )
        self.errors = errors


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _keys(items: Any) -> set[str]:
    if not isinstance(items, list):
        return set()
    return {i["key"] for i in items if isinstance(i, dict) and isinstance(i.get("key"), str)}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.refused_assessments: set[str] = set()
        self.refused_sessions: set[str] = set()
        # One object for each repeated value: by its text in the file (Decimal("10") and
        # Decimal("10.00") stay distinct), or by itself for strings.
        self.shared: dict[Any, Any] = {}

    def share(self, value: Any) -> Any:
        return self.shared.setdefault(value, value)

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path or 'fichier'}: {message}")

    # -- structure ------------------------------------------------------------------------
    def obj(
        self, value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.err(path, "doit être un objet JSON ({…})")
            return None
        for key in getattr(value, "duplicates", ()):
            self.err(_join(path, key), "clé en double")
        for key in value:
            if key not in required and key not in optional:
                self.err(_join(path, key), "clé inconnue")
        for key in required:
            if key not in value:
                self.err(_join(path, key), "clé obligatoire manquante")
        return value

    def lst(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.err(path, "doit être une liste ([…])")
            return []
        return value

    def text(self, obj: dict[str, Any], key: str, path: str, *, max_length: int) -> str | None:
        if key not in obj:
            return None
        value, where = obj[key], _join(path, key)
        if not isinstance(value, str):
            self.err(where, "doit être une chaîne de caractères")
            return None
        if not value.strip():
            self.err(where, "ne doit pas être vide")
            return None
        # Every text of the format is one line (SECURITY.md #32), as in the portal's forms.
        char = forbidden_character(value)
        if char is not None and is_line_break(char):
            self.err(where, "tient sur une seule ligne : retour à la ligne interdit")
            return None
        if char is not None:
            self.err(
                where,
                "contient un caractère de contrôle ou de mise en forme invisible interdit "
                f"({code_point(char)})",
            )
            return None
        if len(value) > max_length:
            self.err(where, f"{max_length} caractères au plus")
            return None
        return value

    def boolean(self, obj: dict[str, Any], key: str, path: str) -> bool | None:
        if key not in obj:
            return None
        if not isinstance(obj[key], bool):
            self.err(_join(path, key), "doit être un booléen (true ou false)")
            return None
        return bool(obj[key])

    def integer(
        self, obj: dict[str, Any], key: str, path: str, *, low: int, high: int
    ) -> int | None:
        if key not in obj:
            return None
        value, where = obj[key], _join(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(where, "doit être un nombre entier")
            return None
        if not low <= value <= high:
            self.err(where, f"doit être compris entre {low} et {high}")
            return None
        return value

    def choice(
        self, obj: dict[str, Any], key: str, path: str, choices: tuple[str, ...]
    ) -> str | None:
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, str) or value not in choices:
            self.err(_join(path, key), f"valeur inconnue, attendu : {', '.join(choices)}")
            return None
        return self.share(value)

    def decimal(
        self, obj: dict[str, Any], key: str, path: str, *, low: Decimal, high: Decimal, what: str
    ) -> Decimal | None:
        if key not in obj:
            return None
        value, where = obj[key], _join(path, key)
        if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
            self.err(where, f'{what} s\'écrit en chaîne décimale avec un point, ex. "10" ou "17.5"')
            return None
        number = Decimal(value)
        if not low <= number <= high:
            self.err(where, f"{what} doit être comprise entre {low} et {high}")
            return None
        return number

    def money(self, obj: dict[str, Any], key: str, path: str) -> Decimal | None:
        if key not in obj:
            return None
        value, where = obj[key], _join(path, key)
        if not isinstance(value, str) or not _MONEY_RE.fullmatch(value):
            self.err(
                where,
                'montant en chaîne décimale avec un point et deux décimales au plus, ex. "1200.00"',
            )
            return None
        shared: Decimal | None = self.shared.get(("money", value))
        if shared is None:
            shared = self.shared[("money", value)] = Decimal(value)
        return shared

    def day(self, obj: dict[str, Any], key: str, path: str) -> date | None:
        if key not in obj:
            return None
        value = obj[key]
        shared: date | None = self.shared.get(("date", value)) if isinstance(value, str) else None
        if shared is not None:
            return shared
        where = _join(path, key)
        if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
            self.err(where, 'date attendue au format AAAA-MM-JJ, ex. "2024-09-30"')
            return None
        try:
            shared = self.shared[("date", value)] = date.fromisoformat(value)
        except ValueError:
            self.err(where, f"date « {value} » inexistante")
            return None
        return shared

    def moment(self, obj: dict[str, Any], key: str, path: str) -> datetime | None:
        if key not in obj:
            return None
        value, where = obj[key], _join(path, key)
        message = (
            'date et heure ISO 8601 avec décalage UTC attendues, ex. "2024-10-07T09:00:00+02:00"'
        )
        if not isinstance(value, str) or "T" not in value:
            self.err(where, message)
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.err(where, message)
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.err(where, "date et heure sans décalage UTC (ajouter +01:00, +02:00 ou Z)")
            return None
        return moment


# The format nests five levels (file, students, student, grades, grade). json recurses once
# per level and a 200,000-level file ended in RecursionError (SECURITY.md #31): anything
# deeper than this is refused by a linear scan before json sees it.
MAX_DEPTH = 20
_ESCAPE_RE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')
_STEP = tuple(1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256))


def nesting_depth(data: bytes) -> int:
    """How deep ``[`` and ``{`` nest outside strings, in linear time and without recursion."""
    if b"\\" in data:
        data = _ESCAPE_RE.sub(b"", data)  # \" and \\ no longer open or close a string
    # Dropping two adjacent quotes keeps the parity of the quotes before every bracket, and
    # a bracket is outside any string when that count is even.
    marks = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    brackets = b"".join(marks.split(b'"')[::2])
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _size(n: int) -> str:
    for unit, scale in (("Mo", 1 << 20), ("ko", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0").replace(".", ",") + f" {unit}"
    return f"{n} octets"


def _too_large(size: int, limit: int) -> CohortFileError:
    return CohortFileError(
        [
            f"fichier: {_size(size)} dépasse la taille maximale de {_size(limit)} "
            "(réglage DJANGO_COHORT_IMPORT_MAX_BYTES)"
        ]
    )


def cohort_file_read(path: Path) -> bytes:
    """The bytes of a cohort file; larger than ``COHORT_IMPORT_MAX_BYTES``, it is refused unread.

    Raises ``CohortFileError`` (too large) or ``OSError``.
    """
    limit: int = settings.COHORT_IMPORT_MAX_BYTES
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            raise _too_large(size, limit)
        # A pipe has no size and a file may grow after fstat: never hold more than the limit.
        data = file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def parse_cohort(data: bytes) -> CohortData:
    """Decode and check a whole cohort file; raises ``CohortFileError`` with every error."""
    limit: int = settings.COHORT_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise _too_large(len(data), limit)
    if nesting_depth(data) > MAX_DEPTH:
        raise CohortFileError(
            [
                f"fichier: plus de {MAX_DEPTH} niveaux de [ ou {{ imbriqués ; "
                "le format d'échange n'en compte que 5"
            ]
        )
    # The BOM is skipped on a view of the bytes: slicing the decoded text would copy it all.
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = str(memoryview(data)[bom:], "utf-8")
    except UnicodeDecodeError as exc:
        raise CohortFileError(
            [f"fichier: n'est pas encodé en UTF-8 (octet invalide à la position {exc.start + bom})"]
        ) from exc
    del data  # the caller's copy, if it keeps none, goes before json builds its objects
    try:
        raw = json.loads(text, object_pairs_hook=_pairs, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        where = (
            f" (ligne {exc.lineno}, colonne {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise CohortFileError([f"fichier: JSON invalide{where}"]) from exc
    del text  # up to 4 bytes a character: freed before the checks build the cohort
    checker = _Checker()
    cohort = _check_cohort(checker, raw)
    if checker.errors or cohort is None:
        raise CohortFileError(checker.errors)
    return cohort


def _check_cohort(c: _Checker, raw: Any) -> CohortData | None:
    root = c.obj(raw, "", required=("programme", "students"), optional=("assessments", "sessions"))
    if root is None:
        return None
    programme = (
        _check_programme(c, root.get("programme"), "programme") if ("programme" in root) else None
    )
    ue_codes = {ue.code for ue in programme.ues} if programme else set()
    assessments = _check_assessments(c, root.get("assessments", []), ue_codes)
    sessions = _check_sessions(c, root.get("sessions", []), ue_codes)
    # Keys present but refused: references to them are not reported a second time.
    c.refused_assessments = _keys(root.get("assessments")) - {a.key for a in assessments}
    c.refused_sessions = _keys(root.get("sessions")) - {s.key for s in sessions}
    students = _check_students(
        c,
        root.get("students", []),
        ue_codes=[ue.code for ue in programme.ues] if programme else [],
        assessments={a.key: a for a in assessments},
        sessions={s.key: s for s in sessions},
    )
    if programme is None:
        return None
    return CohortData(
        programme=programme,
        assessments=tuple(assessments),
        sessions=tuple(sessions),
        students=tuple(students),
    )


def _check_programme(c: _Checker, raw: Any, path: str) -> ProgrammeData | None:
    obj = c.obj(
        raw,
        path,
        required=(
            "code",
            "title",
            "year",
            "pass_mark",
            "absence_threshold_pct",
            "justified_absences_count",
            "ues",
        ),
    )
    if obj is None:
        return None
    code = c.text(obj, "code", path, max_length=20)
    title = c.text(obj, "title", path, max_length=200)
    year = _check_year(c, obj, path)
    pass_mark = c.decimal(
        obj, "pass_mark", path, low=Decimal(0), high=Decimal(20), what="la note de validation"
    )
    threshold = c.decimal(
        obj,
        "absence_threshold_pct",
        path,
        low=Decimal(0),
        high=Decimal(100),
        what="le seuil d'absence",
    )
    justified = c.boolean(obj, "justified_absences_count", path)
    ues = _check_programme_ues(c, obj, path)
    if None in (code, title, year, pass_mark, threshold, justified):
        return None
    return ProgrammeData(
        code=code,  # type: ignore[arg-type]
        title=title,  # type: ignore[arg-type]
        year=year,  # type: ignore[arg-type]
        pass_mark=pass_mark,  # type: ignore[arg-type]
        absence_threshold_pct=threshold,  # type: ignore[arg-type]
        justified_absences_count=justified,  # type: ignore[arg-type]
        ues=tuple(ues),
    )


def _check_year(c: _Checker, obj: dict[str, Any], path: str) -> str | None:
    """The academic year, « 2024-2025 »: two years that follow each other."""
    year = c.text(obj, "year", path, max_length=9)
    if year is not None:
        match = _YEAR_RE.fullmatch(year)
        if match is None or int(match[2]) != int(match[1]) + 1:
            c.err(_join(path, "year"), "année universitaire attendue sous la forme « 2024-2025 »")
            return None
    return year


def _check_programme_ues(c: _Checker, obj: dict[str, Any], path: str) -> list[UEData]:
    """The programme's UE, each code once; the UE with an error are left out."""
    ues: list[UEData] = []
    seen: set[str] = set()
    ues_path = _join(path, "ues")
    for i, item in enumerate(c.lst(obj.get("ues", []), ues_path)):
        where = _join(ues_path, i)
        ue = c.obj(item, where, required=("code", "title", "credits"))
        if ue is None:
            continue
        ue_code = c.text(ue, "code", where, max_length=20)
        ue_title = c.text(ue, "title", where, max_length=250)
        credits = c.integer(ue, "credits", where, low=0, high=60)
        if ue_code is not None and ue_code in seen:
            c.err(_join(where, "code"), f"UE « {ue_code} » en double")
            continue
        if ue_code is not None:
            seen.add(ue_code)
        if ue_code is not None and ue_title is not None and credits is not None:
            ues.append(UEData(ue_code, ue_title, credits))
    return ues


def _ue_ref(c: _Checker, obj: dict[str, Any], path: str, ue_codes: set[str]) -> str | None:
    code = c.text(obj, "ue", path, max_length=20)
    if code is not None and code not in ue_codes:
        c.err(_join(path, "ue"), f"UE « {code} » absente de programme.ues")
        return None
    return code


def _check_assessments(c: _Checker, raw: Any, ue_codes: set[str]) -> list[AssessmentData]:
    out: list[tuple[str, AssessmentData]] = []
    seen: set[str] = set()
    for i, item in enumerate(c.lst(raw, "assessments")):
        where = _join("assessments", i)
        assessment = _check_assessment(c, item, where, ue_codes, seen)
        if assessment is not None:
            out.append((where, assessment))
    return _check_makeups(c, out, seen)


def _check_assessment(
    c: _Checker, item: Any, where: str, ue_codes: set[str], seen: set[str]
) -> AssessmentData | None:
    """One assessment as read, its make-up link not yet checked; adds its key to ``seen``."""
    obj = c.obj(
        item,
        where,
        required=("key", "ue", "kind", "weight", "date"),
        optional=("makeup_of", "title"),
    )
    if obj is None:
        return None
    key = c.text(obj, "key", where, max_length=40)
    ue = _ue_ref(c, obj, where, ue_codes)
    kind = c.choice(obj, "kind", where, ("cc", "ct"))
    weight = c.decimal(
        obj, "weight", where, low=Decimal("0"), high=Decimal("999.99"), what="le coefficient"
    )
    if weight is not None and weight <= 0:
        c.err(_join(where, "weight"), "le coefficient doit être strictement positif")
        weight = None
    day = c.day(obj, "date", where)
    makeup_of = c.text(obj, "makeup_of", where, max_length=40)
    title = c.text(obj, "title", where, max_length=200) or ""
    if key is not None and key in seen:
        c.err(_join(where, "key"), f"clé d'évaluation « {key} » en double")
        return None
    if key is not None:
        seen.add(key)
    if None in (key, ue, kind, weight, day) or ("makeup_of" in obj and makeup_of is None):
        return None
    return AssessmentData(key, ue, kind, weight, day, makeup_of, title, where)  # type: ignore[arg-type]


def _check_makeups(
    c: _Checker, out: list[tuple[str, AssessmentData]], seen: set[str]
) -> list[AssessmentData]:
    """The assessments read, less the make-ups whose link to their original is refused."""
    infos = {
        a.key: AssessmentInfo(
            key=a.key, ue=a.ue, kind=AssessmentKind(a.kind), weight=a.weight, makeup_of=a.makeup_of
        )
        for _, a in out
    }
    first_makeup: dict[str, str] = {}
    valid: list[AssessmentData] = []
    for where, a in out:
        if a.makeup_of is None:
            valid.append(a)
            continue
        if a.makeup_of not in infos and a.makeup_of not in seen:
            c.err(_join(where, "makeup_of"), f"évaluation « {a.makeup_of} » inconnue")
            continue
        original = infos.get(a.makeup_of)
        if original is None:  # the original itself was refused: its error is already listed
            continue
        errors = check_makeup(
            makeup=infos[a.key],
            original=original,
            existing_makeup_of_original=first_makeup.get(a.makeup_of),
        )
        first_makeup.setdefault(a.makeup_of, a.key)
        for message in errors:
            c.err(_join(where, "makeup_of"), message)
        if not errors:
            valid.append(a)
    return valid


def _check_sessions(c: _Checker, raw: Any, ue_codes: set[str]) -> list[SessionData]:
    out: list[SessionData] = []
    seen: set[str] = set()
    for i, item in enumerate(c.lst(raw, "sessions")):
        where = _join("sessions", i)
        obj = c.obj(
            item,
            where,
            required=("key", "ue", "kind", "start", "end", "site", "room"),
            optional=("cancelled", "title"),
        )
        if obj is None:
            continue
        key = c.text(obj, "key", where, max_length=40)
        ue = _ue_ref(c, obj, where, ue_codes)
        kind = c.choice(obj, "kind", where, SESSION_KINDS)
        start = c.moment(obj, "start", where)
        end = c.moment(obj, "end", where)
        if start is not None and end is not None and end <= start:
            c.err(_join(where, "end"), "la fin doit être postérieure au début")
            end = None
        site = c.choice(obj, "site", where, tuple(s.value for s in Site))
        room_code = c.text(obj, "room", where, max_length=20)
        room = None
        if room_code is not None and site is not None:
            try:
                room = parse_room(code=room_code, site=Site(site)).code
            except RoomCodeError as exc:
                c.err(_join(where, "room"), exc.message)
        cancelled = c.boolean(obj, "cancelled", where)
        title = c.text(obj, "title", where, max_length=200) or ""
        if key is not None and key in seen:
            c.err(_join(where, "key"), f"clé de séance « {key} » en double")
            continue
        if key is not None:
            seen.add(key)
        if None in (key, ue, kind, start, end, site, room) or (
            "cancelled" in obj and cancelled is None
        ):
            continue
        out.append(
            SessionData(key, ue, kind, start, end, site, room, bool(cancelled), title, where)  # type: ignore[arg-type]
        )
    return out


def _check_students(
    c: _Checker,
    raw: Any,
    *,
    ue_codes: list[str],
    assessments: dict[str, AssessmentData],
    sessions: dict[str, SessionData],
) -> list[StudentData]:
    out: list[StudentData] = []
    seen = _SeenStudents(
        numbers=set(),
        emails=set(),
        assessment_ues={k: a.ue for k, a in assessments.items()},
        session_ues={k: sd.ue for k, sd in sessions.items()},
    )
    items = c.lst(raw, "students")
    for i in range(len(items)):
        # Each student's JSON is let go once checked: the file's objects and the checked
        # records are never both whole in memory.
        item, items[i] = items[i], None
        student = _check_student(c, item, _join("students", i), ue_codes, seen)
        if student is not None:
            out.append(student)
    return out


@dataclass(slots=True)
class _SeenStudents:
    """What checking one student needs of the others and of the file's other parts."""

    numbers: set[str]
    emails: set[str]
    assessment_ues: dict[str, str]
    session_ues: dict[str, str]


def _check_student(
    c: _Checker, item: Any, where: str, ue_codes: list[str], seen: _SeenStudents
) -> StudentData | None:
    """One student, or None when the student brought an error."""
    obj = c.obj(
        item,
        where,
        required=("number", "last_name", "first_name", "birth_date", "email", "fees_due"),
        optional=("payments", "ues", "grades", "attendance"),
    )
    if obj is None:
        return None
    before = len(c.errors)
    number = _check_student_number(c, obj, where, seen.numbers)
    last_name = c.text(obj, "last_name", where, max_length=100)
    first_name = c.text(obj, "first_name", where, max_length=100)
    birth_date = c.day(obj, "birth_date", where)
    email = _check_student_email(c, obj, where, seen.emails)
    fees_due = c.money(obj, "fees_due", where)
    if fees_due is not None and fees_due < 0:
        c.err(_join(where, "fees_due"), "les frais dus ne peuvent pas être négatifs")
    payments = _check_payments(c, obj.get("payments", []), _join(where, "payments"))
    ues = _check_student_ues(c, obj, where, ue_codes)
    grades = _check_grades(
        c, obj.get("grades", []), _join(where, "grades"), ues, seen.assessment_ues
    )
    attendance = _check_attendance(
        c, obj.get("attendance", []), _join(where, "attendance"), ues, seen.session_ues
    )
    if len(c.errors) != before:
        return None
    return StudentData(
        path=where,
        number=number,  # type: ignore[arg-type]
        last_name=last_name,  # type: ignore[arg-type]
        first_name=first_name,  # type: ignore[arg-type]
        birth_date=birth_date,  # type: ignore[arg-type]
        email=email,  # type: ignore[arg-type]
        fees_due=fees_due,  # type: ignore[arg-type]
        payments=payments,
        ues=ues,
        grades=grades,
        attendance=attendance,
    )


def _check_student_number(
    c: _Checker, obj: dict[str, Any], where: str, numbers: set[str]
) -> str | None:
    """The student number, checked for its characters and kept once in ``numbers``."""
    number = c.text(obj, "number", where, max_length=20)
    if number is not None and not _NUMBER_RE.fullmatch(number):
        c.err(_join(where, "number"), "chiffres, lettres sans accent et tirets seulement")
    elif number is not None and number in numbers:
        c.err(_join(where, "number"), f"numéro d'élève « {number} » en double")
    elif number is not None:
        numbers.add(number)
    return number


def _check_student_email(
    c: _Checker, obj: dict[str, Any], where: str, emails: set[str]
) -> str | None:
    """The e-mail address, normalised, valid and once in the file (``emails``, lowercased)."""
    email = c.text(obj, "email", where, max_length=254)
    if email is not None:
        email = normalise_email(email)
        try:
            _EMAIL(email)
        except ValidationError:
            c.err(_join(where, "email"), "adresse e-mail invalide")
        else:
            if email.lower() in emails:
                c.err(_join(where, "email"), f"adresse « {email} » en double")
            emails.add(email.lower())
    return email


def _check_payments(c: _Checker, raw: Any, path: str) -> list[tuple[date, Decimal]]:
    out = []
    for i, item in enumerate(c.lst(raw, path)):
        where = _join(path, i)
        obj = c.obj(item, where, required=("date", "amount"))
        if obj is None:
            continue
        day = c.day(obj, "date", where)
        amount = c.money(obj, "amount", where)
        if amount is not None and amount == 0:
            c.err(_join(where, "amount"), "un paiement ne peut pas être nul")
            amount = None
        if day is not None and amount is not None:
            out.append((day, amount))
    return out


def _check_student_ues(
    c: _Checker, obj: dict[str, Any], path: str, ue_codes: list[str]
) -> list[str]:
    if "ues" not in obj:
        return list(ue_codes)
    where = _join(path, "ues")
    out: list[str] = []
    for i, code in enumerate(c.lst(obj["ues"], where)):
        item = _join(where, i)
        if not isinstance(code, str):
            c.err(item, "doit être un code d'UE (chaîne)")
        elif code not in ue_codes:
            c.err(item, f"UE « {code} » absente de programme.ues")
        elif code in out:
            c.err(item, f"UE « {code} » en double")
        else:
            out.append(c.share(code))
    return out


def _student_reference(
    c: _Checker,
    obj: dict[str, Any],
    where: str,
    *,
    field: str,
    known: dict[str, str],
    refused: set[str],
    seen: set[str],
    ues: list[str],
    noun: tuple[str, str, str],
) -> str | None:
    """The key a student's entry refers to, if it exists, is in one of the student's UE and
    was not already given an entry; otherwise an error and None."""
    key = c.text(obj, field, where, max_length=40)
    if key is None:
        return None
    bare, definite, indefinite = noun
    ue = known.get(key)
    if ue is None:
        if key not in refused:  # its own definition is already reported
            c.err(_join(where, field), f"{bare} « {key} » inconnue")
        return None
    key = c.share(key)
    if ue not in ues:
        c.err(
            _join(where, field),
            f"{key} est {indefinite} de l'UE {ue}, à laquelle l'élève n'est pas inscrit·e",
        )
        return None
    if key in seen:
        c.err(_join(where, field), f"deux entrées pour {definite} « {key} »")
        return None
    seen.add(key)
    return key


def _check_grades(
    c: _Checker, raw: Any, path: str, ues: list[str], assessment_ues: dict[str, str]
) -> list[GradeData]:
    out: list[GradeData] = []
    seen: set[str] = set()
    for i, item in enumerate(c.lst(raw, path)):
        where = _join(path, i)
        obj = c.obj(item, where, required=("assessment", "status"), optional=("value",))
        if obj is None:
            continue
        key = _student_reference(
            c,
            obj,
            where,
            field="assessment",
            known=assessment_ues,
            refused=c.refused_assessments,
            seen=seen,
            ues=ues,
            noun=("évaluation", "l'évaluation", "une évaluation"),
        )
        status = c.choice(obj, "status", where, GRADE_STATUSES)
        value = None
        if status == "graded":
            if "value" not in obj:
                c.err(_join(where, "value"), "note obligatoire pour le statut graded")
                status = None
            elif not isinstance(obj["value"], str):
                c.err(_join(where, "value"), 'la note s\'écrit en chaîne, ex. "12.5"')
                status = None
            elif "," in obj["value"]:
                c.err(_join(where, "value"), 'la note s\'écrit avec un point décimal, ex. "12.5"')
                status = None
            else:
                try:
                    value = c.shared.get(("grade", obj["value"]))
                    if value is None:
                        value = c.shared[("grade", obj["value"])] = parse_grade(obj["value"])
                except GradeInputError as exc:
                    message = exc.message.rstrip(".")
                    c.err(_join(where, "value"), message[0].lower() + message[1:])
                    status = None
        elif status is not None and "value" in obj:
            c.err(_join(where, "value"), f"pas de note pour le statut {status}")
            status = None
        if key is not None and status is not None:
            out.append(GradeData(path, i, key, status, value))
    return out


def _check_attendance(
    c: _Checker, raw: Any, path: str, ues: list[str], session_ues: dict[str, str]
) -> list[AttendanceData]:
    out: list[AttendanceData] = []
    seen: set[str] = set()
    for i, item in enumerate(c.lst(raw, path)):
        where = _join(path, i)
        obj = c.obj(
            item, where, required=("session", "status"), optional=("justified", "minutes_missed")
        )
        if obj is None:
            continue
        key = _student_reference(
            c,
            obj,
            where,
            field="session",
            known=session_ues,
            refused=c.refused_sessions,
            seen=seen,
            ues=ues,
            noun=("séance", "la séance", "une séance"),
        )
        status = c.choice(obj, "status", where, ATTENDANCE_STATUSES)
        justified, minutes = False, 0
        if status == "absent":
            if "minutes_missed" in obj:
                c.err(_join(where, "minutes_missed"), "réservé au statut late")
                status = None
            if "justified" not in obj:
                c.err(_join(where, "justified"), "obligatoire pour le statut absent")
                status = None
            else:
                flag = c.boolean(obj, "justified", where)
                status = None if flag is None else status
                justified = bool(flag)
        elif status == "late":
            if "justified" in obj:
                c.err(_join(where, "justified"), "réservé au statut absent")
                status = None
            if "minutes_missed" not in obj:
                c.err(_join(where, "minutes_missed"), "obligatoire pour le statut late")
                status = None
            else:
                number = c.integer(obj, "minutes_missed", where, low=0, high=100_000)
                status = None if number is None else status
                minutes = number or 0
        if key is not None and status is not None:
            out.append(AttendanceData(key, status, minutes, justified, path, i))
    return out
