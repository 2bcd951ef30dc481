from django.apps import AppConfig
from django.core import checks

from .checks import public_base_url_check, signing_key_check


class CnamCsConfig(AppConfig):
    name = "cnam_cs"
    verbose_name = "Portail CS"

    def ready(self) -> None:
        checks.register(public_base_url_check, checks.Tags.security, deploy=True)
        checks.register(signing_key_check, checks.Tags.security, deploy=True)
