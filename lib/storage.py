"""Storage for private files: outside every served path, read only through checked views."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    """Justification documents and issued certificates (settings.PRIVATE_STORAGE_ROOT)."""
    return FileSystemStorage(location=settings.PRIVATE_STORAGE_ROOT, base_url=None)
