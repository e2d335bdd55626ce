"""The interactive API docs render in a real browser from local assets only (no CDN)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_swagger_ui_renders_every_endpoint_from_local_assets(live_server, author, project, settings):
    from django.test import Client
    from playwright.sync_api import sync_playwright

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    browser_client = Client()
    browser_client.force_login(author)
    session = browser_client.cookies[settings.SESSION_COOKIE_NAME].value
    host = urlparse(live_server.url).hostname
    outside_requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            page = context.new_page()
            page.on("request", lambda r: outside_requests.append(r.url) if urlparse(r.url).hostname != host else None)
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert any(p.startswith("/api/v1/claims/{id}/") for p in paths), paths[:5]
    assert outside_requests == []
