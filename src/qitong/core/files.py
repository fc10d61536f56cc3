"""Files the platform writes for itself in the default storage (trained models)."""

import os
import tempfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def save_whole(path, data):
    """Write ``data`` (bytes) at ``path`` of the default storage, whole or not at all: a
    reader never sees half a file, and a killed writer leaves the old one in place."""
    try:
        target = default_storage.path(path)
    except NotImplementedError:  # a remote storage writes an object whole
        default_storage.delete(path)
        default_storage.save(path, ContentFile(data))
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
