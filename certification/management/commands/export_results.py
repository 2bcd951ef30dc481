"""``manage.py export_results CODE YEAR [--format json|csv] [--output FILE]``."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification.interchange import (
    UnknownCohortError,
    find_programme_year,
    results_csv,
    results_json,
)


class Command(BaseCommand):
    help = "Exporte les résultats calculés d'une promotion (JSON ou CSV), publiés ou non."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="code du programme, ex. CS2600A")
        parser.add_argument("year", help="année universitaire, ex. 2024-2025")
        parser.add_argument("--format", choices=("json", "csv"), default="json")
        parser.add_argument("--output", help="fichier à écrire (sortie standard sinon)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            programme_year = find_programme_year(options["code"], options["year"])
        except UnknownCohortError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["format"] == "csv":
            text = results_csv(programme_year)
        else:
            text = results_json(programme_year)
        if options["output"]:
            path = Path(options["output"])
            try:
                path.write_text(text, encoding="utf-8", newline="")
            except OSError as exc:
                raise CommandError(
                    f"Écriture impossible de {path} : {exc.strerror}.", returncode=2
                ) from exc
            self.stderr.write(f"Résultats écrits dans {path}.")
        else:
            self.stdout.write(text, ending="")
