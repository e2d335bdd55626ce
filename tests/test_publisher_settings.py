"""Per-project publisher settings: admins set them on the settings page; ClaimReview needs them."""

from __future__ import annotations

import pytest

from annotations.exports import ExportParamsError, parse_params

GOOD = {
    "action": "publisher",
    "publisher_name": "Luhansk Checks",
    "publisher_url": "https://checks.example/",
    "publisher_logo_url": "https://checks.example/logo.png",
    "review_url_template": "https://checks.example/checks/{claim_id}",
}


def url(project) -> str:
    return f"/p/{project.slug}/settings/"


def test_it_lets_a_project_admin_set_the_publisher(project, project_admin, client_for):
    with pytest.raises(ExportParamsError):
        parse_params({"format": "claimreview"}, project=project)
    response = client_for(project_admin).post(url(project), GOOD)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.publisher_name, project.publisher_url, project.review_url_template) == (
        "Luhansk Checks", "https://checks.example/", "https://checks.example/checks/{claim_id}",
    )  # fmt: skip
    assert parse_params({"format": "claimreview"}, project=project).format == "claimreview"
    page = client_for(project_admin).get(url(project)).content.decode()
    assert 'value="https://checks.example/checks/{claim_id}"' in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("publisher_url", "javascript:alert(1)", "is not an http(s) URL"),
        ("publisher_logo_url", "not a url", "is not an http(s) URL"),
        ("review_url_template", "https://checks.example/checks/", "must contain {claim_id}"),
        ("review_url_template", "https://checks.example/{id}", "{id} is not a placeholder"),
        ("review_url_template", "ftp://checks.example/{claim_id}", "must be an http(s) URL"),
    ],
)
def test_it_refuses_a_bad_publisher_setting_naming_it(project, project_admin, client_for, field, value, message):
    response = client_for(project_admin).post(url(project), {**GOOD, field: value})
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode() and message in response.content.decode()
    project.refresh_from_db()
    assert project.publisher_name == ""  # nothing saved


def test_it_shows_but_does_not_let_others_change_the_publisher(project, editor, outsider, client_for):
    response = client_for(editor).post(url(project), GOOD)
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.publisher_name == ""
    assert "not set" in client_for(editor).get(url(project)).content.decode()
    assert client_for(outsider).post(url(project), GOOD).status_code == 404


def test_it_shows_on_the_export_page_which_publisher_setting_claimreview_lacks(project, author, client_for):
    response = client_for(author).post(f"/p/{project.slug}/exports/", {"format": "claimreview"})
    assert response.status_code == 400
    page = response.content.decode()
    for setting in ("publisher_name", "publisher_url", "review_url_template"):
        assert f'id="error-{setting}"' in page
    assert f"/p/{project.slug}/settings/#publisher" in page
