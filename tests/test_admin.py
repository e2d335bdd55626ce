"""The Django admin has a page for every model and they all render."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_domain_model_is_in_the_admin_and_its_list_renders(admin_client, article):
    from tests.factories import ClaimFactory, SourceFactory

    SourceFactory(claim=ClaimFactory(article=article))
    domain = [m for m in apps.get_app_config("annotations").get_models() if not m.__name__.startswith("Historical")]
    missing = [m.__name__ for m in domain if not admin.site.is_registered(m)]
    assert missing == []
    for model in domain:
        url = reverse(f"admin:annotations_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
