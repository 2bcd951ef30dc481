"""``manage.py signing_key --subject NAME --out FILE.p12 --passphrase-file FILE``: a
self-signed signing key and certificate (RSA-2048) as a PKCS#12 file, for a test or staging
deployment (``scripts/test`` makes one for its production check). Production signs with a
certificate issued by a certification authority (docs/deploy.md, « Signature des documents »).

A random passphrase is written to ``--passphrase-file``; both files are created mode 0600.
Nothing secret is printed.
"""

import secrets
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib.signing import DEMO_SUBJECT, DEMO_VALID_DAYS, generate_self_signed, write_private


class Command(BaseCommand):
    help = "Génère une clé de signature auto-signée (PKCS#12) et sa phrase de passe."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subject", required=True, help="Nom commun (CN) du certificat.")
        parser.add_argument("--out", required=True, type=Path, help="Fichier .p12 à créer.")
        parser.add_argument(
            "--passphrase-file",
            required=True,
            type=Path,
            help="Fichier où écrire la phrase de passe (aléatoire).",
        )
        parser.add_argument("--days", type=int, default=DEMO_VALID_DAYS, help="Validité (jours).")

    def handle(self, *args: Any, **options: Any) -> None:
        subject = options["subject"].strip()
        if not subject:
            raise CommandError("Le nom commun (--subject) est vide.")
        if subject == DEMO_SUBJECT:
            raise CommandError(
                f"« {DEMO_SUBJECT} » est réservé à la clé de démonstration, générée d'elle-même."
            )
        out: Path = options["out"]
        passphrase_file: Path = options["passphrase_file"]
        for path in (out, passphrase_file):
            if path.exists():
                raise CommandError(f"{path} existe déjà : il n'est pas remplacé.")
        passphrase = secrets.token_urlsafe(32)
        write_private(passphrase_file, passphrase.encode())
        generate_self_signed(
            out, subject=subject, passphrase=passphrase, valid_days=options["days"]
        )
        self.stdout.write(f"Clé de signature « {subject} » écrite dans {out}.")
