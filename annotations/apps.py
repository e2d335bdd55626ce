from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Fact-check annotations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from .captures import forget_body
        from .models import Capture

        post_delete.connect(forget_body, sender=Capture, dispatch_uid="annotations.capture_forget_body")
