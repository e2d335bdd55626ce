from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model

from annotations import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805 - factory_boy hook signature
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = models.Role.REVIEWER


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Article

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    text = factory.Sequence(lambda n: f"Article number {n} says the sky is green.\nIt also says 2 + 2 = 5.")
    publisher = "Example News"


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim over the first word run of its article; pass start/end to place it elsewhere."""

    class Meta:
        model = models.Claim

    article = factory.SubFactory(ArticleFactory)
    start = 0
    end = 7
    quote = factory.LazyAttribute(lambda o: o.article.text[o.start : o.end])
    prefix = factory.LazyAttribute(lambda o: o.article.text[max(0, o.start - 32) : o.start])
    suffix = factory.LazyAttribute(lambda o: o.article.text[o.end : o.end + 32])


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    claim = factory.SubFactory(ClaimFactory)
    url = factory.Sequence(lambda n: f"https://example.org/evidence/{n}")
    title = "Evidence"
    stance = models.Stance.SUPPORTS


class CaptureFactory(factory.django.DjangoModelFactory):
    """A finished capture, for export and page tests (the app writes captures only in captures.py)."""

    class Meta:
        model = models.Capture

    source = factory.SubFactory(SourceFactory)
    url = factory.LazyAttribute(lambda o: o.source.url)
    status = models.RunStatus.DONE
    fetched_at = factory.LazyFunction(lambda: datetime(2024, 3, 1, 12, 30, tzinfo=UTC))
    final_url = factory.LazyAttribute(lambda o: o.url)
    http_status = 200
    content_type = "text/html"
    title = "Evidence page"
    text = "The page as captured."
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    body_bytes = 1234
