"""Projects and people without the admin site: creating a project, adding members, invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations import members
from annotations.models import Invitation, Membership, Project, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def role_in(project: Project, user) -> str | None:
    return Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()


# --- creating a project ------------------------------------------------------------------------


def test_it_makes_the_creator_the_admin_of_a_new_project(client_for, outsider):
    response = client_for(outsider).post("/projects/new/", {"name": "Climate desk", "slug": "", "description": ""})
    assert response.status_code == 302
    project = Project.objects.get(slug="climate-desk")
    assert response["Location"] == f"/p/{project.slug}/settings/"
    assert role_in(project, outsider) == Role.ADMIN


def test_it_shows_the_new_project_button_and_form(client_for, outsider):
    client = client_for(outsider)
    assert "/projects/new/" in client.get("/").content.decode()
    assert 'name="slug"' in client.get("/projects/new/").content.decode()


def test_it_refuses_a_taken_slug_naming_the_field(client_for, outsider, project):
    response = client_for(outsider).post("/projects/new/", {"name": "Another", "slug": project.slug})
    assert response.status_code == 400
    assert 'id="error-slug"' in response.content.decode()
    assert Project.objects.count() == 2  # the outsider's own project and ``project``


def test_it_refuses_a_project_without_a_name(client_for, outsider):
    response = client_for(outsider).post("/projects/new/", {"name": "  "})
    assert response.status_code == 400
    assert 'id="error-name"' in response.content.decode()


def test_it_lets_only_staff_create_projects_when_set_so(client_for, outsider, settings):
    settings.PROJECT_CREATORS = "staff"
    client = client_for(outsider)
    assert client.post("/projects/new/", {"name": "Nope"}).status_code == 403
    assert "/projects/new/" not in client.get("/").content.decode()
    outsider.is_staff = True
    outsider.save()
    assert client.post("/projects/new/", {"name": "Yes"}).status_code == 302


def test_the_api_creates_a_project(api_client_for, outsider):
    response = api_client_for(outsider).post("/api/v1/projects/", {"name": "Elections 2027"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "elections-2027"
    assert response.json()["my_role"] == "admin"
    assert role_in(Project.objects.get(slug="elections-2027"), outsider) == Role.ADMIN


def test_the_api_names_the_field_of_a_bad_project(api_client_for, outsider, project):
    api = api_client_for(outsider)
    assert "name" in api.post("/api/v1/projects/", {}, format="json").json()
    response = api.post("/api/v1/projects/", {"name": "X", "slug": "no spaces"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()
    assert api.post("/api/v1/projects/", {"name": "X", "slug": project.slug}, format="json").status_code == 400


def test_the_api_refuses_project_creation_to_non_staff_when_set_so(api_client_for, outsider, settings):
    settings.PROJECT_CREATORS = "staff"
    response = api_client_for(outsider).post("/api/v1/projects/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


def test_the_command_creates_a_project_with_its_admin(outsider, capsys):
    call_command("create_project", "fact-desk", "--name", "Fact desk", "--admin", "outsider")
    project = Project.objects.get(slug="fact-desk")
    assert project.name == "Fact desk"
    assert role_in(project, outsider) == Role.ADMIN


def test_the_command_refuses_an_unknown_admin(db):
    with pytest.raises(CommandError, match="admin"):
        call_command("create_project", "fact-desk", "--admin", "nobody")
    assert not Project.objects.filter(slug="fact-desk").exists()


def test_create_reviewer_makes_an_account_without_a_project(db, capsys):
    call_command("create_reviewer", "newcomer", "--password", "a-long-enough-passphrase-42")
    assert "no project yet" in capsys.readouterr().out
    user = UserFactory._meta.model.objects.get(username="newcomer")
    assert user.check_password("a-long-enough-passphrase-42")
    assert not user.memberships.exists()


def test_create_reviewer_names_the_way_to_create_a_missing_project(db):
    with pytest.raises(CommandError, match="create_project"):
        call_command("create_reviewer", "newcomer", "--project", "nope")


# --- adding members ----------------------------------------------------------------------------


def test_an_admin_adds_a_member_by_username(client_for, project, project_admin):
    newcomer = UserFactory(username="newcomer")
    response = client_for(project_admin).post(
        f"/p/{project.slug}/settings/", {"action": "add", "who": "newcomer", "role": "editor"}
    )
    assert response.status_code == 302
    assert role_in(project, newcomer) == Role.EDITOR


def test_an_admin_adds_a_member_by_email(client_for, project, project_admin):
    newcomer = UserFactory(username="newcomer", email="New.Comer@example.org")
    response = client_for(project_admin).post(
        f"/p/{project.slug}/settings/", {"action": "add", "who": "new.comer@example.org", "role": "reviewer"}
    )
    assert response.status_code == 302
    assert role_in(project, newcomer) == Role.REVIEWER


def test_adding_an_unknown_person_or_a_member_again_is_refused(client_for, project, project_admin, author):
    client = client_for(project_admin)
    unknown = client.post(
        f"/p/{project.slug}/settings/", {"action": "add", "who": "ghost@example.org", "role": "editor"}
    )
    assert unknown.status_code == 400
    assert "ghost@example.org" in unknown.content.decode()
    again = client.post(f"/p/{project.slug}/settings/", {"action": "add", "who": "author", "role": "editor"})
    assert again.status_code == 400
    assert role_in(project, author) == Role.REVIEWER


def test_an_email_shared_by_two_accounts_is_refused(project, project_admin):
    UserFactory(username="a", email="shared@example.org")
    UserFactory(username="b", email="shared@example.org")
    with pytest.raises(members.ValidationError) as refused:
        members.add_member(project=project, who="shared@example.org", role="reviewer", by=project_admin)
    assert "username" in refused.value.message_dict


def test_only_admins_add_members(client_for, project, editor):
    UserFactory(username="newcomer")
    response = client_for(editor).post(f"/p/{project.slug}/settings/", {"action": "add", "who": "newcomer"})
    assert response.status_code == 403


def test_outsiders_do_not_see_the_members_page(client_for, project, outsider):
    assert client_for(outsider).post(f"/p/{project.slug}/settings/", {"action": "add", "who": "x"}).status_code == 404


def test_the_api_adds_a_member_by_email(api_client_for, project, project_admin):
    newcomer = UserFactory(username="newcomer", email="nc@example.org")
    response = api_client_for(project_admin).post(
        f"/api/v1/projects/{project.slug}/members/", {"username": "nc@example.org", "role": "editor"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "newcomer"
    assert role_in(project, newcomer) == Role.EDITOR


# --- invitations -------------------------------------------------------------------------------


def invite_link(client, project: Project, role: str = "reviewer") -> str:
    response = client.post(f"/p/{project.slug}/settings/", {"action": "invite", "role": role, "note": "Dana"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'value="(http://testserver/invite/[^"/]+/)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1).removeprefix("http://testserver")


def test_an_invitation_link_makes_a_member_once(client, client_for, project, project_admin):
    link = invite_link(client_for(project_admin), project, role="editor")
    invitation = Invitation.objects.get(project=project)
    assert invitation.note == "Dana" and invitation.state == "open"
    dana = UserFactory(username="dana")
    client.force_login(dana)
    page = client.get(link)
    assert page.status_code == 200
    assert "Newsroom" in page.content.decode()
    assert role_in(project, dana) is None  # looking at the link does not join
    assert client.post(link).status_code == 302
    assert role_in(project, dana) == Role.EDITOR
    invitation.refresh_from_db()
    assert invitation.state == "accepted" and invitation.accepted_by == dana
    # The link worked once.
    client.force_login(UserFactory(username="eve"))
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410


def test_an_expired_or_withdrawn_invitation_does_not_work(client, project, project_admin):
    invitation, token = members.invite(project=project, role="reviewer", by=project_admin)
    client.force_login(UserFactory(username="dana"))
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(f"/invite/{token}/").status_code == 410
    invitation2, token2 = members.invite(project=project, role="reviewer", by=project_admin)
    members.revoke_invitation(project=project, invitation_id=invitation2.pk, by=project_admin)
    assert client.post(f"/invite/{token2}/").status_code == 410
    assert not Membership.objects.filter(project=project, user__username="dana").exists()


def test_accepting_never_lowers_a_role(project, project_admin, editor):
    _, token = members.invite(project=project, role="reviewer", by=project_admin)
    assert members.accept_invitation(token=token, user=editor).role == Role.EDITOR


def test_only_admins_invite(client_for, project, editor):
    response = client_for(editor).post(f"/p/{project.slug}/settings/", {"action": "invite", "role": "admin"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_invitation_needs_a_real_role(client_for, project, project_admin):
    response = client_for(project_admin).post(f"/p/{project.slug}/settings/", {"action": "invite", "role": "boss"})
    assert response.status_code == 400
    assert "role" in response.content.decode()


def test_an_admin_withdraws_an_invitation_from_the_page(client_for, project, project_admin):
    invitation, _ = members.invite(project=project, role="reviewer", by=project_admin)
    response = client_for(project_admin).post(
        f"/p/{project.slug}/settings/", {"action": "revoke_invite", "invitation": str(invitation.pk)}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_the_api_creates_lists_accepts_and_withdraws_invitations(api_client_for, project, project_admin):
    api = api_client_for(project_admin)
    url = f"/api/v1/projects/{project.slug}/invitations/"
    created = api.post(url, {"role": "editor", "note": "Dana", "days": 3}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"].endswith(f"/invite/{body['token']}/") and body["state"] == "open"
    assert [row["id"] for row in api.get(url).json()] == [body["id"]]
    assert "token" not in api.get(url).json()[0]
    dana = UserFactory(username="dana")
    accepted = api_client_for(dana).post("/api/v1/invitations/accept/", {"token": body["token"]}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json() | {"created_at": None} == {
        "username": "dana",
        "role": "editor",
        "project": project.slug,
        "created_at": None,
    }
    other, _ = members.invite(project=project, role="reviewer", by=project_admin)
    assert api.delete(f"{url}{other.pk}/").status_code == 204
    other.refresh_from_db()
    assert other.state == "revoked"


def test_the_api_refuses_a_bad_token_naming_the_field(api_client_for, outsider):
    response = api_client_for(outsider).post("/api/v1/invitations/accept/", {"token": "nope"}, format="json")
    assert response.status_code == 400
    assert "token" in response.json()


def test_the_api_keeps_invitations_from_non_admins_and_outsiders(api_client_for, project, editor, outsider):
    url = f"/api/v1/projects/{project.slug}/invitations/"
    assert api_client_for(editor).post(url, {"role": "admin"}, format="json").status_code == 403
    assert api_client_for(editor).get(url).status_code == 403
    assert api_client_for(outsider).get(url).status_code == 404
    assert api_client_for(outsider).post(url, {"role": "admin"}, format="json").status_code == 404


def test_the_api_names_a_bad_invitation_role(api_client_for, project, project_admin):
    url = f"/api/v1/projects/{project.slug}/invitations/"
    response = api_client_for(project_admin).post(url, {"role": "boss"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
