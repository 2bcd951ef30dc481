"""``export_results --all``: every cohort in one run, one file per cohort in the INTERCHANGE.md
format of one cohort, written a student at a time (issue 11)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from certification.interchange import results_csv, results_json
from tests.certification.conftest import make_cohort
from tests.factories import ProgrammeFactory, ProgrammeYearFactory


def _two_cohorts() -> list:
    first = make_cohort(3, failing=1, unpaid=1, deliberated=True)["py"]
    first.refresh_from_db()  # frozen by the deliberation
    other = ProgrammeYearFactory(programme=ProgrammeFactory(code="CS2700B"), year="2025-2026")
    empty = ProgrammeYearFactory(programme=ProgrammeFactory(code="CS2800C"), year="2025-2026")
    return [first, other, empty]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_cohort_is_written_to_its_own_file_as_the_one_cohort_export(tmp_path, fmt):
    tmp_path = tmp_path / "export"  # a folder created by the command
    cohorts = _two_cohorts()
    err = StringIO()
    call_command(
        "export_results", "--all", "--output", str(tmp_path), "--format", fmt, "--jobs", "1",
        stderr=err,
    )  # fmt: skip
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{py.programme.code}_{py.year}.{fmt}" for py in cohorts)
    for py in cohorts:
        text = (tmp_path / f"{py.programme.code}_{py.year}.{fmt}").read_bytes().decode("utf-8")
        expected = results_json(py) if fmt == "json" else results_csv(py)
        assert text == expected
    assert "3 promotions, 5 élèves écrits" in err.getvalue()
    document = json.loads(results_json(cohorts[0]))
    assert [s["decision"] for s in document["students"]].count("admis") == 4
    assert json.loads(results_json(cohorts[2])) == {
        "programme": "CS2800C",
        "year": "2025-2026",
        "students": [],
    }


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_files(tmp_path):
    tmp_path = tmp_path / "export"
    cohorts = _two_cohorts()
    call_command("export_results", "--all", "--output", str(tmp_path), "--jobs", "2")
    for py in cohorts:
        text = (tmp_path / f"{py.programme.code}_{py.year}.json").read_bytes().decode("utf-8")
        assert text == results_json(py)
    assert not list(tmp_path.glob(".*.part"))  # no half-written file left behind


@pytest.mark.django_db
def test_all_needs_a_folder_and_no_cohort(tmp_path):
    tmp_path = tmp_path / "export"
    tmp_path.mkdir()
    with pytest.raises(CommandError, match="donnez le dossier avec --output"):
        call_command("export_results", "--all")
    with pytest.raises(CommandError, match="ne donnez ni code ni année"):
        call_command("export_results", "CS2600A", "2024-2025", "--all", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="Donnez le code et l'année"):
        call_command("export_results")
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_the_one_cohort_export_still_streams_to_standard_output(deliberated):
    py = deliberated["py"]
    py.refresh_from_db()  # frozen by the deliberation
    out = StringIO()
    call_command("export_results", py.programme.code, py.year, stdout=out)
    assert out.getvalue() == results_json(py)
    assert json.loads(out.getvalue())["students"][0]["decision"] == "admis"
