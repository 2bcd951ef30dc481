from django.apps import AppConfig


class CnamCsConfig(AppConfig):
    name = "cnam_cs"
    verbose_name = "Portail CS"
