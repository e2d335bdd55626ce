"""Create (or update) a user and, with --project, give them a role in a project."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations import members
from annotations.models import Project, Role


class Command(BaseCommand):
    help = "Create a reviewer (or editor/admin) in a project; prints the password when it generates one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--project", help="Project slug; without it the account is made alone (a project admin adds it later)."
        )
        parser.add_argument("--role", choices=Role.values, default=Role.REVIEWER)
        parser.add_argument("--password", help="Password to set; a random one is generated and printed if omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        project = None
        if options["project"]:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(
                    f"No project with slug {options['project']!r}: create it with "
                    f"`manage.py create_project {options['project']} --admin USERNAME`, or leave out --project."
                )
        user_model = get_user_model()
        username = options["username"]
        existing = user_model.objects.filter(username=username).first()
        if existing is None:
            # The model's own username rules (letters, digits and @.+-_ only, 150 at most): a
            # name with markup in it is refused here rather than escaped on every page later.
            try:
                user_model._meta.get_field("username").run_validators(username)
            except ValidationError as invalid:
                raise CommandError(f"username {username!r}: {' '.join(invalid.messages)}") from None
        password = options["password"]
        if password:
            candidate = existing or user_model(username=username, email=options["email"])
            try:
                validate_password(password, user=candidate)
            except ValidationError as weak:
                raise CommandError(f"password refused: {' '.join(weak.messages)}") from None
        with transaction.atomic():
            user, created, password, generated = self._user(user_model, username, options["email"], password)
            if project is not None:
                try:
                    # Through members.py, like every other door: the last admin of a project stays one.
                    members.set_member(project=project, username=user.get_username(), role=options["role"], by=None)
                except ValidationError as refused:
                    raise CommandError(" ".join(refused.messages)) from None
        verb = "Created" if created else "Updated"
        if project is None:
            self.stdout.write(self.style.SUCCESS(f"{verb} {user.username} (no project yet)"))
        else:
            self.stdout.write(self.style.SUCCESS(f"{verb} {user.username} as {options['role']} in {project.slug}"))
        if generated:
            self.stdout.write(f"password: {password}")

    def _user(self, user_model: Any, username: str, email: str, password: str) -> tuple[Any, bool, str, bool]:
        user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
        generated = False
        if created or password:
            if not password:
                password, generated = secrets.token_urlsafe(12), True
            user.set_password(password)
            user.save()
        return user, created, password, generated
