"""Running an import: parse and check every record first, then write each file in one transaction.

Two modes. All-or-nothing (the web page and the API): every input is parsed and checked before
anything is written, any problem refuses the whole request, and the writes share one
transaction. Per file (the command line and background jobs): a bad file is reported and
skipped while the others import. Either way a file is never half imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from .. import articles, claims, jobs, limits, queueing
from ..models import EntityMention, ImportJob, Project, RunStatus
from .base import TITLE_MAX_CHARS, ArticleRecord, ImportProblem, Metadata
from .paste import PasteParser
from .registry import get_parser, parser_for_filename
from .url import records_from_url

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Progress = Callable[[int], None]


@dataclass
class ImportInput:
    """One thing to import: a file's bytes, pasted text, or a URL."""

    name: str
    kind: str  # "file", "paste" or "url"
    data: bytes | None = None
    text: str | None = None
    url: str | None = None
    format: str | None = None

    @classmethod
    def file(cls, name: str, data: bytes, format: str | None = None) -> ImportInput:
        return cls(name=PurePath(name).name or "upload", kind="file", data=data, format=format or None)

    @classmethod
    def paste(cls, text: str) -> ImportInput:
        return cls(name="pasted text", kind="paste", text=text)

    @classmethod
    def from_url(cls, url: str) -> ImportInput:
        return cls(name=url, kind="url", url=url)


@dataclass
class Outcome:
    source: str
    status: str  # "created", "duplicate" or "error"
    title: str = ""
    article_id: int | None = None
    line: int | None = None
    message: str = ""
    claims: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, status: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def created(self) -> list[Outcome]:
        return self.of("created")

    @property
    def duplicates(self) -> list[Outcome]:
        return self.of("duplicate")

    @property
    def errors(self) -> list[Outcome]:
        return self.of("error")


class ImportFailed(Exception):
    """Problems found before writing; nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


# --- parsing and checking -------------------------------------------------------------------------

_LIMITS = {"url": limits.URL_CHARS, "publisher": limits.PUBLISHER_CHARS, "language": limits.LANGUAGE_CHARS}


def check_record(record: ArticleRecord, source: str) -> None:
    """The article checks, done before any write so the error can name the line."""

    def problem(field_name: str, message: str) -> ImportProblem:
        return ImportProblem(f"{field_name}: {message}", source=source, line=record.line, field=field_name)

    if len(record.text) > settings.MAX_ARTICLE_CHARS:
        raise problem(
            "text",
            f"the text has {len(record.text)} characters; the limit is {settings.MAX_ARTICLE_CHARS} "
            "(MAX_ARTICLE_CHARS).",
        )
    if not record.title.strip():
        raise problem("title", "is empty.")
    if len(record.title) > TITLE_MAX_CHARS:
        raise problem("title", f"has {len(record.title)} characters; the limit is {TITLE_MAX_CHARS}.")
    for name, limit in _LIMITS.items():
        value = getattr(record, name)
        if len(value) > limit:
            raise problem(name, f"has {len(value)} characters; the limit is {limit}.")
    if record.url:
        try:
            URLValidator(schemes=["http", "https"])(record.url)
        except ValidationError:
            raise problem("url", f"{record.url!r} is not an http(s) URL.") from None


def parse_input(item: ImportInput, metadata: Metadata) -> list[ArticleRecord]:
    """The checked records of one input, or ImportProblem naming the input (and line)."""
    try:
        if item.kind == "url":
            records = records_from_url(item.url or "", metadata=metadata)
        elif item.kind == "paste":
            records = PasteParser().parse_text(item.text or "", source=item.name, metadata=metadata)
        else:
            parser = get_parser(item.format) if item.format else parser_for_filename(item.name)
            records = parser.parse(item.data or b"", source=item.name, metadata=metadata)
        for record in records:
            check_record(record, item.name)
    except ImportProblem as problem:
        raise problem.located(source=item.name) from None
    return records


# --- writing --------------------------------------------------------------------------------------


def _problem(error: ValidationError, source: str, line: int | None) -> ImportProblem:
    field_name, messages = next(iter(error.message_dict.items()))
    return ImportProblem(f"{field_name}: {' '.join(messages)}", source=source, line=line, field=field_name)


def _draft(record: ArticleRecord) -> articles.Draft:
    return articles.Draft(
        title=record.title, text=record.text, url=record.url, publisher=record.publisher,
        published_at=record.published_at, language=record.language, fetched_at=record.fetched_at,
        created_by=record.created_by, assignee=record.assignee, created_at=record.created_at,
        updated_at=record.updated_at,
    )  # fmt: skip


def _outcome(record: ArticleRecord, drafted: articles.Drafted, imported: list[str], source: str) -> Outcome:
    """What became of one record: a new article (with the notes of its claims), or a duplicate."""
    if drafted.duplicate_of is not None:
        message = f"already imported as article {drafted.duplicate_of.pk}"
        if record.claims:
            message += f"; its {len(record.claims)} claim(s) were not imported again"
        return Outcome(source, "duplicate", record.title, drafted.duplicate_of.pk, record.line, message)
    article = drafted.article
    assert article is not None
    notes = list(imported)
    if drafted.unknown_people:
        notes.append(f"article people not in this project: {', '.join(sorted(drafted.unknown_people))}")
    return Outcome(
        source, "created", article.title, article.pk, record.line, "; ".join(notes), claims=len(record.claims)
    )


def _mentions(records: list[ArticleRecord], outcomes: list[Outcome]) -> None:
    """Machine mentions too, with the model that found them: extraction (queued on create)
    replaces those when it runs; a person's mentions stay."""
    now = timezone.now()
    EntityMention.objects.bulk_create(
        EntityMention(
            article_id=outcome.article_id or 0,  # created: always set
            start=m.start,
            end=m.end,
            text=m.text,
            label=m.label,
            model=m.model,
            corrected_at=now if m.corrected and m.model else None,
            original_label=m.original_label,
        )
        for record, outcome in zip(records, outcomes, strict=True)
        if outcome.status == "created"
        for m in record.mentions
    )


def write_records(
    *,
    project: Project,
    user: User | None,
    records: list[ArticleRecord],
    source: str,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Write one input's records in one transaction: all of them, or (on ImportProblem) none.

    The articles go in as one batch (articles.create_many), then all their claims
    (claims.import_claims_many): a fixed number of queries whatever the number of records.
    """
    outcomes: list[Outcome] = []
    with transaction.atomic():
        try:
            created = articles.create_many(project=project, drafts=[_draft(r) for r in records], created_by=user)
        except articles.DraftInvalid as invalid:
            raise _problem(invalid.error, source, records[invalid.index].line) from None
        new = [(record, drafted.article) for record, drafted in zip(records, created, strict=True) if drafted.article]
        try:
            imported = claims.import_claims_many(items=[(article, record.claims) for record, article in new], by=user)
        except claims.ClaimsRefused as refused:
            raise _problem(refused.error, source, new[refused.index][0].line) from None
        notes = {article.pk: result.notes for (_record, article), result in zip(new, imported, strict=True)}
        # "Same claim as" links, once every claim of the input is written: a link may point to a
        # claim of a later article of the same input.
        by_old_id: dict[int, int] = {}
        pending: list[tuple[int, dict[str, Any]]] = []
        article_of: dict[int, int] = {}
        for (record, article), result in zip(new, imported, strict=True):
            for claim_record, claim_id in zip(record.claims, result.claims, strict=True):
                article_of[claim_id] = article.pk
                if claim_record.id is not None:
                    by_old_id[claim_record.id] = claim_id
                if claim_record.same_as:
                    pending.append((claim_id, claim_record.same_as))
        if pending:
            found = claims.import_links(project=project, by=user, pending=pending, by_old_id=by_old_id)
            for claim_id, link_notes in found.items():
                notes[article_of[claim_id]] += link_notes
        for record, drafted in zip(records, created, strict=True):
            article_notes = notes.get(drafted.article.pk, []) if drafted.article else []
            outcomes.append(_outcome(record, drafted, article_notes, source))
            if progress:
                progress(1)
        _mentions(records, outcomes)
    return outcomes


def _parse_all(items: list[ImportInput], metadata: Metadata) -> list[tuple[ImportInput, list[ArticleRecord]]]:
    parsed, problems = [], []
    for item in items:
        try:
            parsed.append((item, parse_input(item, metadata)))
        except ImportProblem as problem:
            problems.append(problem)
    if problems:
        raise ImportFailed(problems)
    return parsed


def _write_all(project: Project, user: User | None, parsed: list[tuple[ImportInput, list[ArticleRecord]]]) -> Report:
    report = Report()
    try:
        with transaction.atomic():
            for item, records in parsed:
                report.outcomes += write_records(project=project, user=user, records=records, source=item.name)
    except ImportProblem as problem:
        raise ImportFailed([problem]) from None
    return report


def import_all_or_nothing(
    *,
    project: Project,
    user: User | None,
    items: list[ImportInput],
    metadata: Metadata,
) -> Report:
    """Parse every input, refuse the lot on any problem, then write everything in one transaction."""
    return _write_all(project, user, _parse_all(items, metadata))


def submit(
    *,
    project: Project,
    user: User | None,
    items: list[ImportInput],
    metadata: Metadata,
) -> Report | ImportJob:
    """What the page and the API do: import now, all or nothing, or queue a job for a large batch.

    Files are parsed here either way, so bad input is refused while the person waits; URLs are
    fetched here only when the batch is small enough to import now.
    """
    files = [item for item in items if item.kind != "url"]
    urls = [item for item in items if item.kind == "url"]
    parsed = _parse_all(files, metadata)
    count = sum(len(records) for _item, records in parsed) + len(urls)
    if count > settings.IMPORT_ASYNC_THRESHOLD or len(urls) > settings.IMPORT_SYNC_MAX_URLS:
        with transaction.atomic():
            return create_job(project=project, user=user, items=items, metadata=metadata, total=count)
    parsed += _parse_all(urls, metadata)
    return _write_all(project, user, parsed)


def import_each(
    *,
    project: Project,
    user: User | None,
    items: list[ImportInput],
    metadata: Metadata,
    progress: Progress | None = None,
    on_parsed: Callable[[int], None] | None = None,
) -> Report:
    """Import input by input; a bad input is reported (and written not at all) while the rest go on."""
    report = Report()
    for item in items:
        try:
            records = parse_input(item, metadata)
            if on_parsed:
                on_parsed(len(records))
            report.outcomes += write_records(
                project=project, user=user, records=records, source=item.name, progress=progress
            )
        except ImportProblem as problem:
            report.outcomes.append(Outcome(item.name, "error", line=problem.line, message=str(problem)))
    return report


# --- background jobs ------------------------------------------------------------------------------


def create_job(
    *,
    project: Project,
    user: User | None,
    items: list[ImportInput],
    metadata: Metadata,
    total: int,
) -> ImportJob:
    """Store the inputs and queue a worker to import them once this transaction commits."""
    from ..tasks import run_import_job

    folder = f"imports/{uuid.uuid4().hex}"
    inputs: list[dict[str, Any]] = []
    for item in items:
        if item.kind == "url":
            inputs.append({"kind": "url", "url": item.url})
            continue
        data = item.data if item.kind == "file" else (item.text or "").encode("utf-8")
        path = default_storage.save(f"{folder}/{len(inputs):04d}.bin", ContentFile(data or b""))
        inputs.append({"kind": item.kind, "name": item.name, "path": path, "format": item.format})
    job = ImportJob.objects.create(
        project=project,
        created_by=user,
        inputs=inputs,
        options={"metadata": asdict(metadata)},
        total=total,
        task_id=uuid.uuid4().hex,
    )
    queueing.send_on_commit(run_import_job, [job.pk], job=job, task_id=job.task_id)
    return job


def job_progress(job: ImportJob) -> dict[str, Any]:
    """Articles done of total: from the worker's live state while running, else from the row."""
    done, total = job.done, job.total
    if job.status == RunStatus.RUNNING and job.task_id:
        from celery.result import AsyncResult

        result = AsyncResult(job.task_id)
        try:
            info = result.info if result.state == "PROGRESS" else None
        except Exception:  # the result backend being away must not break a status page
            info = None
        if isinstance(info, dict):
            done, total = max(done, int(info.get("done", 0))), max(total, int(info.get("total", 0)))
    percent = 100 if job.status == RunStatus.DONE else (min(99, done * 100 // total) if total else 0)
    return {"done": done, "total": total, "percent": percent}


def _load_input(spec: dict[str, Any]) -> ImportInput:
    if spec["kind"] == "url":
        return ImportInput.from_url(spec["url"])
    with default_storage.open(spec["path"], "rb") as handle:
        data = handle.read()
    if spec["kind"] == "paste":
        return ImportInput.paste(data.decode("utf-8"))
    return ImportInput.file(spec["name"], data, spec.get("format"))


def run_job(job_id: int, *, live_progress: Callable[[int, int], None] | None = None) -> ImportJob | None:
    """Import a job's inputs. Safe to run twice: ``jobs.claim`` lets only a queued job (or one a
    dead worker left running, redelivered) proceed. The stored inputs are deleted when it ends."""
    if not jobs.claim(ImportJob, job_id):
        return None
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    metadata = Metadata(**job.options.get("metadata", {}))
    state = {"done": 0}

    def progress(step: int) -> None:
        # Inside a file's transaction the job row cannot show progress to others yet; the
        # result backend (outside the database) can.
        state["done"] += step
        if live_progress:
            live_progress(state["done"], max(job.total, state["done"]))

    def grow_total(count: int) -> None:
        # URL inputs are counted as one until fetched.
        job.total = max(job.total, state["done"] + count)

    try:
        for spec in job.inputs:
            item = _load_input(spec)
            report = import_each(
                project=job.project,
                user=job.created_by,
                items=[item],
                metadata=metadata,
                progress=progress,
                on_parsed=grow_total,
            )
            job.report += [outcome.as_dict() for outcome in report.outcomes]
            job.created_count += len(report.created)
            job.duplicate_count += len(report.duplicates)
            job.done = state["done"]
            job.progress = min(100, job.done * 100 // job.total) if job.total else 0
            job.save(update_fields=["report", "created_count", "duplicate_count", "done", "progress", "total"])
        jobs.finish(ImportJob, job.pk, progress=100)
    except Exception as error:  # the job row must say what went wrong, whatever it was
        jobs.fail(ImportJob, job.pk, error)
        raise
    finally:
        _delete_inputs(job)
    job.refresh_from_db()
    return job


def _delete_inputs(job: ImportJob) -> None:
    """Uploaded files are kept only until their job ends, done or failed (the report stays)."""
    for spec in job.inputs:
        if spec.get("path"):
            default_storage.delete(spec["path"])
