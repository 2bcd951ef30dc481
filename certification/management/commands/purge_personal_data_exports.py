"""``manage.py purge_personal_data_exports``: delete the personal data exports (RGPD) past
their time, as every ``manage.py worker`` does periodically; for a cron without workers."""

from typing import Any

from django.core.management.base import BaseCommand

from certification.personal_data import exports_expire


class Command(BaseCommand):
    help = "Supprime les exports de données personnelles dont le délai est passé"

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = exports_expire()
        self.stdout.write(f"{deleted} export(s) de données personnelles supprimé(s).")
