"""Export, import into a fresh project, export again: the two files are identical but for the ids.

The fields that may differ are listed once, in ``annotations.exports.jsonl.ROUND_TRIP_VOLATILE``
(and docs/schemas/README.md): ids are handed out anew by the target project, and a claim's
``mention_ids`` hold mention ids. Everything else (people by username, versions, timestamps,
the first approval, corrections, anchor state, comments, machine and person mentions) must come
back as it was. The importer is a project admin and every person named is a member of the target
project with the same role, so the review rules let the import keep approvals (approver distinct
from author, both members).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from annotations.exports import ExportStream, parse_params
from annotations.exports.jsonl import ROUND_TRIP_VOLATILE
from annotations.models import Claim, ClaimComment, Role
from tests.export_fixtures import seed_every_verdict
from tests.factories import ClaimFactory, MembershipFactory, ProjectFactory


def full_dump(project) -> str:
    params = parse_params({"format": "jsonl", "include_unreviewed": "1"}, project=project)
    return "".join(ExportStream(project, params).iter_text())


def without_ids(line: dict[str, Any]) -> dict[str, Any]:
    """The line with every ROUND_TRIP_VOLATILE field replaced by its position, so links still compare."""
    assert set(ROUND_TRIP_VOLATILE) == {
        "id", "claims[].id", "claims[].sources[].id", "claims[].sources[].captures", "claims[].mention_ids",
        "mentions[].id", "claims[].same_as.claim_id",
    }  # fmt: skip
    position = {mention["id"]: index for index, mention in enumerate(line["mentions"])}
    claim_position = {claim["id"]: index for index, claim in enumerate(line["claims"])}

    def same_as(value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value and "claim_id" in value:
            return {"claim_id": claim_position.get(value["claim_id"])}
        return value

    return {
        **line,
        "id": None,
        "mentions": [{**m, "id": index} for index, m in enumerate(line["mentions"])],
        "claims": [
            {
                **claim,
                "id": index,
                "sources": [{**s, "id": n, "captures": None} for n, s in enumerate(claim["sources"])],
                "mention_ids": [position[i] for i in claim["mention_ids"]],
                "same_as": same_as(claim["same_as"]),
            }
            for index, claim in enumerate(line["claims"])
        ],
    }


@pytest.fixture
def source_project(project, article, author, editor, project_admin):
    claims = seed_every_verdict(project, article, author=author, editor=editor)
    pending = ClaimFactory(
        article=article, start=0, end=8, claim_text="A senior official conceded", status="needs_changes",
        verdict="mixed", created_by=author, version=4,
        claimant="Gen. Oleksiy Gromov",
    )  # fmt: skip
    ClaimComment.objects.create(claim=pending, author=editor, body="Quote the whole sentence.")
    claims["pending"] = pending
    # "Same claim as": one claim repeats an approved claim, another a published fact check.
    from annotations import claims as claimlib
    from annotations import factchecks

    claimlib.link_same(claim=pending, by=author, earlier_claim=claims["false"].pk)
    factchecks.import_records(
        project=project,
        by=None,
        records=[
            factchecks.FactCheckRecord(
                claim_reviewed="Russia has the upper hand in Luhansk",
                url="https://checks.example.org/luhansk",
                publisher_name="Checkers",
                rating_label="Mostly true",
                verdict="mostly_true",
            )
        ],
    )
    claimlib.link_same(claim=claims["true"], by=editor, fact_check=project.fact_checks.get().pk)
    return project


def test_it_exports_imports_and_exports_again_identically_but_for_the_ids(
    source_project, author, editor, project_admin, tmp_path
):
    first = full_dump(source_project)
    assert Claim.objects.filter(article__project=source_project).count() == 9
    links = [c["same_as"] for line in first.splitlines() for c in json.loads(line)["claims"] if c["same_as"]]
    assert sorted(next(iter(link)) for link in links) == ["claim_id", "fact_check"]
    target = ProjectFactory(slug="copy", name="Copy")
    for user, role in ((author, Role.REVIEWER), (editor, Role.EDITOR), (project_admin, Role.ADMIN)):
        MembershipFactory(project=target, user=user, role=role)
    path = tmp_path / "export.jsonl"
    path.write_text(first, encoding="utf-8")
    call_command(
        "import_articles", str(path), "--project", "copy", "--user", project_admin.username, "--no-progress",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    second = full_dump(target)
    before = [without_ids(json.loads(line)) for line in first.splitlines()]
    after = [without_ids(json.loads(line)) for line in second.splitlines()]
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        differences = _differences(old, new)
        assert differences == [], "\n".join(differences)


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Every path where the two JSON values differ, with both values: the writer's to-do list."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _differences(old.get(key, "<absent>"), new.get(key, "<absent>"), f"{path}.{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d for index, (a, b) in enumerate(zip(old, new, strict=True)) for d in _differences(a, b, f"{path}[{index}]")
        ]
    return [] if old == new else [f"{path or '/'}: exported {old!r}, re-exported {new!r}"]
