"""The shared cache's table comes with ``migrate``: no separate ``createcachetable`` step.

The verification throttle keeps its counters in the DatabaseCache (SECURITY.md #34): without
its table, /verifier/ answered 500 on a site built by ``migrate`` alone.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # createcachetable reads settings.CACHES and skips a table that exists, so sites where it
    # was run by hand migrate unchanged.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps, schema_editor):
    for alias in settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, BaseDatabaseCache):
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(cache._table)}")


class Migration(migrations.Migration):
    dependencies = [("certification", "0003_lifecycle")]

    operations = [migrations.RunPython(create_cache_tables, drop_cache_tables)]
