"""``manage.py export_results CODE YEAR [--format json|csv] [--output FILE]``
or ``manage.py export_results --all --output DIR [--format json|csv] [--jobs N]``.

``--all`` writes one file per cohort (``DIR/CODE_YEAR.json``, each in the INTERCHANGE.md
format of one cohort), a student at a time: memory does not grow with the number of cohorts.
The rules cost CPU for every student, so cohorts are shared between ``--jobs`` worker
processes (one per core by default; ``--jobs 1`` keeps everything in this process).
"""

import multiprocessing
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from certification.interchange import UnknownCohortError, find_programme_year
from certification.interchange.export import write_results_csv, write_results_json
from enrolment.models import ProgrammeYear

Writer = Callable[..., int]


def _writer(fmt: str) -> Writer:
    return write_results_csv if fmt == "csv" else write_results_json


def cohort_filename(programme_year: ProgrammeYear, fmt: str) -> str:
    return f"{programme_year.programme.code}_{programme_year.year}.{fmt}"


def _write_file(path: Path, programme_year: ProgrammeYear, fmt: str) -> int:
    """Write beside ``path`` then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = _writer(fmt)(programme_year, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _export_one(task: tuple[int, str, str]) -> tuple[str, int]:
    """One cohort, in a worker process (its own database connection)."""
    programme_year_id, fmt, directory = task
    py = ProgrammeYear.objects.select_related("programme").get(pk=programme_year_id)
    name = cohort_filename(py, fmt)
    return name, _write_file(Path(directory) / name, py, fmt)


class _Chunks:
    """The command's standard output as a text stream: chunks written as they come."""

    def __init__(self, command: BaseCommand) -> None:
        self._command = command

    def write(self, text: str) -> int:
        self._command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = "Exporte les résultats calculés d'une promotion (JSON ou CSV), publiés ou non."
    # The system checks import the URL configuration, so every view and WeasyPrint: a second
    # before the first cohort, for a command that reads the database and writes files. The
    # deployment runs them (`check --deploy`, docs/deploy.md), as Django's `dbshell` does.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", nargs="?", help="code du programme, ex. CS2600A")
        parser.add_argument("year", nargs="?", help="année universitaire, ex. 2024-2025")
        parser.add_argument("--format", choices=("json", "csv"), default="json")
        parser.add_argument(
            "--output",
            help="fichier à écrire (sortie standard sinon) ; avec --all, le dossier à remplir",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="toutes les promotions, un fichier par promotion dans le dossier --output",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="avec --all : processus de calcul en parallèle (un par cœur par défaut)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            if options["code"] or options["year"]:
                raise CommandError(
                    "--all exporte toutes les promotions : ne donnez ni code ni année.",
                    returncode=2,
                )
            self._export_all(options)
            return
        if not options["code"] or not options["year"]:
            raise CommandError(
                "Donnez le code et l'année de la promotion (ex. CS2600A 2024-2025), "
                "ou --all --output DOSSIER.",
                returncode=2,
            )
        try:
            programme_year = find_programme_year(options["code"], options["year"])
        except UnknownCohortError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        fmt = options["format"]
        if options["output"]:
            path = Path(options["output"])
            try:
                _write_file(path, programme_year, fmt)
            except OSError as exc:
                raise CommandError(
                    f"Écriture impossible de {path} : {exc.strerror}.", returncode=2
                ) from exc
            self.stderr.write(f"Résultats écrits dans {path}.")
        else:
            _writer(fmt)(programme_year, _Chunks(self))

    def _export_all(self, options: dict[str, Any]) -> None:
        if not options["output"]:
            raise CommandError(
                "--all écrit un fichier par promotion : donnez le dossier avec --output.",
                returncode=2,
            )
        directory = Path(options["output"])
        if options["jobs"] < 1:
            raise CommandError("--jobs : au moins 1.", returncode=2)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(
                f"Dossier impossible à créer : {directory} ({exc.strerror}).", returncode=2
            ) from exc
        fmt = options["format"]
        ids = list(
            ProgrammeYear.objects.order_by("programme__code", "year").values_list("pk", flat=True)
        )
        tasks = [(pk, fmt, str(directory)) for pk in ids]
        jobs = min(options["jobs"], len(tasks))
        total = 0
        try:
            if jobs <= 1:
                results = map(_export_one, tasks)
                for name, count in results:
                    total += count
                    self.stderr.write(f"{name} : {count} élèves")
            else:
                # Each worker opens its own connection: none may be inherited open.
                connections.close_all()
                context = multiprocessing.get_context("fork")
                with context.Pool(jobs) as pool:
                    for name, count in pool.imap_unordered(_export_one, tasks):
                        total += count
                        self.stderr.write(f"{name} : {count} élèves")
                    # The workers leave by themselves. The block's end would terminate() them:
                    # one killed while it holds the task queue's lock leaves another waiting
                    # for it for ever, and the command with it.
                    pool.close()
                    pool.join()
        except OSError as exc:
            raise CommandError(
                f"Écriture impossible dans {directory} : {exc.strerror}.", returncode=2
            ) from exc
        self.stderr.write(f"{len(tasks)} promotions, {total} élèves écrits dans {directory}.")
