"""``manage.py import_cohort FILE.json``: create or update a cohort, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from certification.interchange import CohortImportError, cohort_file_import


class Command(BaseCommand):
    help = "Importe une promotion au format d'échange (INTERCHANGE.md) : tout ou rien."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="fichier JSON de la promotion")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            report = cohort_file_import(path=path, by=None)
        except OSError as exc:
            raise CommandError(
                f"Lecture impossible de {path} : {exc.strerror}.", returncode=2
            ) from exc
        except CohortImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            count = len(exc.errors)
            raise CommandError(
                ngettext(
                    "Import refusé : %(count)s erreur ; la base n'a pas été modifiée.",
                    "Import refusé : %(count)s erreurs ; la base n'a pas été modifiée.",
                    count,
                )
                % {"count": count},
                returncode=2,
            ) from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Import terminé."))
