"""The Content-Security-Policy in a real browser: no page reports a violation, and the desk still
works (htmx swaps, the selection script) with no inline script or style allowed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from annotations import articles, claims
from annotations.models import EntityMention

pytestmark = pytest.mark.django_db(transaction=True)

# Every violation, as the page itself sees it (the browser also logs one to the console).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


def log_in(page, username: str, password: str = "pw-for-tests-1") -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Projects")


@pytest.fixture
def desk(project, editor, author, seed_text):
    article = articles.create(project=project, title="Seed article", text=seed_text, created_by=author)
    start = seed_text.index("Russia has the advantage")
    claim = claims.create(article=article, by=author, start=start, end=start + 24)
    EntityMention.objects.create(article=article, start=start, end=start + 6, text="Russia", label="GPE", model="x")
    user = get_user_model().objects.get(username="editor")
    user.is_staff = user.is_superuser = True
    user.save()
    return article, claim


def test_no_page_reports_a_csp_violation(page, live_server, desk, project):
    article, claim = desk
    console: list[str] = []
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.add_init_script(LISTEN)
    log_in(page, "editor")
    slug = project.slug
    pages = {
        "projects": "/",
        "articles": f"/p/{slug}/",
        "desk": f"/p/{slug}/articles/{article.pk}/",
        "review": f"/p/{slug}/claims/{claim.pk}/review/",
        "dashboard": f"/p/{slug}/dashboard/",
        "queue": "/queue/",
        "import": f"/p/{slug}/import/",
        "export": f"/p/{slug}/exports/",
        "revise": f"/p/{slug}/articles/{article.pk}/revise/",
        "settings": f"/p/{slug}/settings/",
        "tokens": "/settings/tokens/",
        "admin": "/admin/annotations/claim/",
        "api docs": "/api/docs/",
    }
    violations: dict[str, list[str]] = {}
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if name == "desk":
            # An htmx swap under the policy: the claim's edit form opens in its card.
            page.locator(f"#claim-{claim.pk} [data-action=edit]").click()
            expect(page.locator(f"#slot-{claim.pk} form")).to_be_visible()
        if name == "api docs":
            page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        found = page.evaluate("window.__cspViolations")
        if found:
            violations[name] = found
    assert violations == {}
    assert console == []
