"""Storage for private files: outside every served path, read only through checked views."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """``settings.PRIVATE_STORAGE_ROOT``, read at each use rather than once at import, so that
    a changed setting (each test has a folder of its own) is followed."""

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)


def private_storage() -> FileSystemStorage:
    """Justification documents and issued certificates (settings.PRIVATE_STORAGE_ROOT)."""
    return PrivateStorage(base_url=None)
