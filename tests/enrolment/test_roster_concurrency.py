"""Two registrars import the same official list at the same moment, each on its own
connection: the end state is that of exactly one import (SECURITY.md #16)."""

import hashlib
import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connections

from enrolment import roster
from enrolment.models import Enrolment, ProgrammeYear, RosterImport, StudentProfile
from tests.data.make_roster_sample import roster_workbook, sample_rows
from tests.factories import ProgrammeYearFactory, UEFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _apply(year_id, data):
    table = roster.read_table(data)
    # SQLite's writers wait their turn (WAL + IMMEDIATE); an in-memory test database says
    # "locked" at once instead, and a client retries. The invariant asserted is the service's.
    for _ in range(400):
        try:
            return roster.roster_apply(
                programme_year=ProgrammeYear.objects.get(pk=year_id),
                table=table,
                mapping=roster.guess_mapping(table.headers),
                by=None,
                filename="liste.xlsx",
                sha256=hashlib.sha256(data).hexdigest(),
            )
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("still locked")


def test_the_same_list_imported_twice_at_once_enrols_each_student_once():
    year = ProgrammeYearFactory(year="2025-2026", fees=Decimal("1200.00"))
    UEFactory(programme_year=year, code="RSV206")
    data = roster_workbook(sample_rows(30))
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        try:
            barrier.wait(10)
            outcomes.append(_apply(year.pk, data))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # The cohort's row is locked first: the second import waits, then finds the first's
    # enrolments (« déjà présentes »).
    assert errors == []
    assert sorted((i.created, i.unchanged) for i in outcomes) == [(0, 30), (30, 0)]
    assert RosterImport.objects.count() == 2
    assert StudentProfile.objects.count() == 30
    assert Enrolment.objects.filter(programme_year=year).count() == 30
