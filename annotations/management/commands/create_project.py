"""Create a project with its first admin, from the command line (the server's operator's door)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations import members
from annotations.views.refusals import refusal_text


class Command(BaseCommand):
    help = "Create a project; --admin USERNAME becomes its first admin (create people with create_reviewer)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug", help="Short name used in the project's web address, e.g. climate-desk.")
        parser.add_argument("--name", help="Display name (default: the slug).")
        parser.add_argument("--description", default="")
        parser.add_argument("--admin", required=True, help="Username (or e-mail) of the project's first admin.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            admin = members.find_user(options["admin"], field="admin")
            project = members.create_project(
                name=options["name"] or options["slug"],
                slug=options["slug"],
                description=options["description"],
                by=None,
                admin=admin,
            )
        except ValidationError as invalid:
            raise CommandError(refusal_text(invalid)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created project {project.slug} ({project.name}); admin: {admin.get_username()}")
        )
