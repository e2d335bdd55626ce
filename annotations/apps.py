from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_fulltext(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from . import fulltext

    fulltext.ensure(connections[using])


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Fact-check annotations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from .captures import forget_body
        from .models import Capture

        post_delete.connect(forget_body, sender=Capture, dispatch_uid="annotations.capture_forget_body")

        # A later migration that rebuilds the claim table on SQLite drops its index triggers:
        # they are put back (and the index rebuilt) after every migrate.
        post_migrate.connect(_ensure_fulltext, sender=self, dispatch_uid="annotations-fulltext")
