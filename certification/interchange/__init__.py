"""Cohort interchange (INTERCHANGE.md): import a cohort file, export the results."""

from .export import (
    UnknownCohortError,
    find_programme_year,
    results_csv,
    results_document,
    results_json,
    student_line,
)
from .importer import CohortImportError, ImportReport, cohort_file_import, cohort_import
from .validate import CohortFileError, parse_cohort

__all__ = [
    "CohortFileError",
    "CohortImportError",
    "ImportReport",
    "UnknownCohortError",
    "cohort_file_import",
    "cohort_import",
    "find_programme_year",
    "parse_cohort",
    "results_csv",
    "results_document",
    "results_json",
    "student_line",
]
