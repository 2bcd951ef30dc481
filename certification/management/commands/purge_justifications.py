"""``manage.py purge_justifications [--dry-run] [--now YYYY-MM-DD]``: retention of the
justification files (docs/deploy.md « Conservation des justificatifs »).

Deletes the absence justification files of every cohort whose latest deliberation is older
than ``JUSTIFICATION_RETENTION_DAYS`` (certification/retention.py); rows are kept, marked
``purged_at``. ``--dry-run`` lists them (cohort, student number, session date, file, size, a
total) and deletes nothing. ``--now`` takes the selection as on that day (tests, replay); the
deletion itself is dated when it happens. Idempotent: a second run deletes nothing. Meant for a
daily timer.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from attendance.retention import JustificationFile, justification_files_finish
from certification.retention import justifications_purge, programme_years_due
from lib.formats import long_date


def _size(size: int | None) -> str:
    return "fichier absent" if size is None else str(filesizeformat(size)).replace("\xa0", " ")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now attend une date AAAA-MM-JJ, pas « {value} ».") from None


class Command(BaseCommand):
    help = (
        "Supprime les justificatifs d'absence des promotions dont le dernier jury date de plus "
        "de JUSTIFICATION_RETENTION_DAYS jours (les lignes restent) ; --dry-run les liste sans "
        "rien supprimer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="lister ce qui serait supprimé, sans supprimer"
        )
        parser.add_argument(
            "--now", type=_day, help="date du jour à retenir (AAAA-MM-JJ), aujourd'hui sinon"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today: dt.date = options["now"] or timezone.localdate()
        dry_run: bool = options["dry_run"]
        days = settings.JUSTIFICATION_RETENTION_DAYS
        years = programme_years_due(today=today)
        self.stdout.write(
            f"{'Simulation (rien n’est supprimé)' if dry_run else 'Suppression'} au "
            f"{long_date(today)} : justificatifs des promotions dont le dernier jury a plus de "
            f"{days} jours."
        )
        leftovers = 0 if dry_run else justification_files_finish()
        if leftovers:
            self.stdout.write(f"{leftovers} fichier(s) d'une exécution interrompue supprimé(s).")
        files = justifications_purge(today=today, dry_run=dry_run)
        self._list(files, years={py.pk: jury for py, jury in years}, dry_run=dry_run)

    def _list(
        self, files: list[JustificationFile], *, years: dict[int, dt.datetime], dry_run: bool
    ) -> None:
        shown = None
        for f in files:
            if f.programme_year_id != shown:
                shown = f.programme_year_id
                jury = years.get(shown)
                since = f" (dernier jury le {long_date(jury)})" if jury else ""
                self.stdout.write(f"{f.programme_year}{since}")
            origin = "envoyé par l'élève" if f.sent_by_student else "de l'absence"
            self.stdout.write(
                f"  {f.student_number}  séance du {long_date(f.session_start)}  {f.name}  "
                f"{_size(f.size)}  ({origin})"
            )
        if not files:
            self.stdout.write("Aucun justificatif à supprimer.")
            return
        total = sum(f.size or 0 for f in files)
        verb = "à supprimer" if dry_run else "supprimé(s)"
        self.stdout.write(
            f"Total : {len(files)} fichier(s) {verb}, {_size(total)}, "
            f"{len({f.programme_year_id for f in files})} promotion(s)."
        )
