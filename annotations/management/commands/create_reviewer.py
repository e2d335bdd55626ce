"""Create (or update) a user and give them a role in a project."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.models import Membership, Project, Role


class Command(BaseCommand):
    help = "Create a reviewer (or editor/admin) in a project; prints the password when it generates one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--role", choices=Role.values, default=Role.REVIEWER)
        parser.add_argument("--password", help="Password to set; a random one is generated and printed if omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {options['project']!r}.") from None
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=options["username"], defaults={"email": options["email"]}
        )
        password = options["password"]
        generated = False
        if created or password:
            if not password:
                password, generated = secrets.token_urlsafe(12), True
            user.set_password(password)
            user.save()
        Membership.objects.update_or_create(project=project, user=user, defaults={"role": options["role"]})
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.username} as {options['role']} in {project.slug}"))
        if generated:
            self.stdout.write(f"password: {password}")
