"""Evidence captures: the only writer of ``Capture`` rows and of where a source's excerpt sits in them.

A source's page is fetched when the source is added or its URL changes (``claims.py`` calls
``schedule`` inside its write, so every door — desk, review page, API, bulk API, JSONL import —
queues exactly one capture per new or changed URL, and the task is sent on commit), and again
whenever someone asks ("Capture again", "Try again", ``manage.py capture_sources``). A capture
is never overwritten: each attempt is its own row, a ``Job`` (queued → running → done/failed
with the reason), so the rows of a source are the history of its page.

The fetch is the URL import's guarded fetcher (private addresses refused unless
IMPORT_ALLOW_PRIVATE_URLS, one wall-clock deadline, a size limit). What is kept: the fetch time,
the final URL, the HTTP status, the content type, the main text and title (trafilatura, for
HTML), the SHA-256 of the raw body and the raw body itself, gzip-compressed, in media storage.

The excerpt: each finished capture records the source's excerpt as checked against its text
(``found`` with its offsets, ``selected`` when someone quoted it from this capture's text,
``not_found``), and ``changed`` when an earlier capture of the same source contained that
excerpt and this one no longer does: the page changed since it was quoted.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from . import bulkrows, jobs, queueing, workflow
from . import text as textlib
from .compiled import CompiledInQuery
from .models import Capture, ExcerptState, RunStatus, Source, max_length_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .imports.url import Fetched

logger = logging.getLogger(__name__)

QUOTED = (ExcerptState.FOUND, ExcerptState.SELECTED)


# --- queueing ----------------------------------------------------------------------------------


def _capturable(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def schedule(sources: Iterable[Source], *, by: User | None) -> list[int]:
    """Queue one capture of each source's page and send the tasks when the transaction commits.

    Called by ``claims.py`` inside the write that added the sources or changed their URLs (the
    sources are saved, so they have ids). Nothing is queued when CAPTURE_SOURCES is off.
    Returns the new captures' ids.
    """
    return schedule_saved([(s.pk, s.url) for s in sources], by=by)


# A capture takes its URL and excerpt from its source's row as it is now.
_FROM_SOURCE = {"source_id": "id", "url": "url", "excerpt": "excerpt"}


def schedule_saved(sources: Sequence[tuple[int, str]], *, by: User | None) -> list[int]:
    """``schedule`` for (source id, URL) pairs of saved sources: what bulk writes hold. The
    database copies each capture's URL and excerpt from the source's row as it is now, in one
    INSERT ... SELECT (sending 7,000 capture rows of 20 columns took 0.07 s of a bulk write on
    SQLite, copying them 0.02 s). Returns the new captures' ids, in no particular order."""
    if not settings.CAPTURE_SOURCES:
        return []
    wanted = {pk for pk, url in sources if _capturable(url)}
    if None in wanted:
        raise ValueError("a source to capture is not saved")
    keys = sorted(wanted)
    extra = {"requested_by_id": by.pk if by else None}
    with transaction.atomic():  # refused below: none of them queued
        created = bulkrows.insert_copies(Source, keys, Capture, extra, taken=_FROM_SOURCE, returning=True)
        if len(created) != len(keys):
            # A source gone (or never saved): its capture would be lost without a word.
            raise ValueError(f"{len(keys) - len(created)} of {len(keys)} sources to capture are not in the database")
    if created:
        _send(created)
    return created


def _send(pks: Sequence[int]) -> None:
    from .tasks import capture_source, queue_captures

    if len(pks) <= settings.CAPTURE_FANOUT_THRESHOLD:
        queueing.send_many_on_commit(capture_source, [((pk,), pk) for pk in pks], job_model=Capture)
    else:
        # One message whose task publishes the rest from a worker: a bulk write answers without
        # waiting for thousands of publishes.
        queueing.send_batch_on_commit(queue_captures, [list(pks)], job_model=Capture, job_pks=pks)


def fan_out(capture_ids: Sequence[int]) -> int:
    """In a worker: send the capture task of every still-queued capture; returns how many."""
    from .tasks import capture_source

    queued = list(
        Capture.objects.filter(pk__in=list(capture_ids), status=RunStatus.QUEUED).values_list("pk", flat=True)
    )
    for index, pk in enumerate(queued):
        try:
            queueing.send(capture_source, [pk])
        except queueing.BROKER_ERRORS as error:
            # As a request that cannot queue its job: the rest are marked, and offer "Try again".
            queueing.mark_unqueued(Capture, queued[index:], error)
            return index
    return len(queued)


def capture_again(*, source: Source, by: User) -> tuple[Capture, bool]:
    """A new capture of the source's page ("Capture again", "Try again"): (capture, created).

    Any member of the project may ask (a capture adds evidence, it changes nothing people
    wrote). While one is already queued or running, that one is returned instead of a second;
    one that is stuck is abandoned first, so asking again always leads somewhere.
    """
    from .claims import role_of

    project_id = Source.objects.filter(pk=source.pk).values_list("claim__article__project_id", flat=True).first()
    if project_id is None:
        raise Source.DoesNotExist(f"source {source.pk} was removed")
    if role_of(project_id, by) not in workflow.MEMBER_ROLES:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    if not _capturable(source.url):
        raise ValidationError({"url": "Only http(s) pages can be captured."})
    if not settings.CAPTURE_SOURCES:
        raise ValidationError({"url": "Capturing sources is turned off on this server (CAPTURE_SOURCES)."})
    with transaction.atomic():
        # Locked: two quick clicks wait for each other, and the second finds the first queued.
        fresh = Source.objects.select_for_update().get(pk=source.pk)
        active = fresh.captures.filter(status__in=jobs.ACTIVE).order_by("-created_at", "-id").first()
        if active is not None and not jobs.abandon(active):
            return active, False
        return Capture.objects.get(pk=schedule([fresh], by=by)[0]), True


def capture_project(*, project_id: int, only_missing: bool, chunk_size: int = 200) -> list[int]:
    """Queue a capture of every source of a project (``manage.py capture_sources``); the capture ids.

    ``only_missing`` leaves out sources with a finished capture. Sources with a capture already
    queued or running are left out either way: asking twice does not fetch twice.
    """
    sources = (
        Source.objects.filter(claim__article__project_id=project_id)
        .exclude(captures__status__in=jobs.ACTIVE)
        .order_by("id")
        .only("id", "url", "excerpt")
    )
    if only_missing:
        sources = sources.exclude(captures__status=RunStatus.DONE)
    pending = [s.pk for s in sources.distinct() if _capturable(s.url)]
    ids: list[int] = []
    for at in range(0, len(pending), chunk_size):
        with transaction.atomic():
            # Locked and read again: a source removed since the list was read is left out (its
            # capture would be refused), and none can go while its capture is queued.
            chunk = Source.objects.select_for_update().filter(pk__in=pending[at : at + chunk_size]).order_by("id")
            ids += schedule_saved(list(chunk.values_list("id", "url")), by=None)
    return ids


# --- the task's work ---------------------------------------------------------------------------


def _extract(fetched: Fetched) -> tuple[str, str]:
    """(main text, title) of a fetched page; both empty for what is neither HTML nor text."""
    from .imports.base import ImportProblem, decode
    from .imports.html import declared_charset, extract

    kind = fetched.content_type
    if kind not in ("text/html", "application/xhtml+xml", "text/plain") or not fetched.body.strip():
        return "", ""
    try:
        page = decode(fetched.body, source=fetched.url, declared=fetched.charset or declared_charset(fetched.body))
        if kind == "text/plain":
            return textlib.normalise(page), ""
        text, guessed = extract(page, source=fetched.url)
    except ImportProblem:
        # The raw body and its hash are the evidence; a page without readable text is kept too.
        return "", ""
    title = str(guessed.get("title") or "")[: max_length_of(Capture, "title")]
    return textlib.normalise(text), title


def _anchor(text: str, excerpt: str, *, quoted_before: bool) -> tuple[str, int | None, int | None]:
    """The excerpt's state in a capture's text, and its offsets when it is there."""
    if not excerpt.strip():
        return ExcerptState.NONE, None, None
    where = textlib.find_quote(text, excerpt)
    if where is not None:
        return ExcerptState.FOUND, where[0], where[1]
    return (ExcerptState.CHANGED if quoted_before else ExcerptState.NOT_FOUND), None, None


def _quoted_before(capture: Capture, excerpt: str) -> bool:
    """Whether an earlier capture of the same source held this excerpt (so this page changed)."""
    earlier = Capture.objects.done().filter(source_id=capture.source_id, excerpt=excerpt, excerpt_state__in=QUOTED)
    if capture.fetched_at is not None:
        earlier = earlier.filter(
            Q(fetched_at__lt=capture.fetched_at) | Q(fetched_at=capture.fetched_at, pk__lt=capture.pk)
        )
    return earlier.exclude(pk=capture.pk).exists()


class Outcome:
    DONE = "done"
    FAILED = "failed"
    GONE = "gone"
    SKIPPED = "skipped"


def run_capture(*, capture_id: int, task_id: str = "") -> str:
    """Fetch the page of one queued capture and store it; returns what happened.

    Safe to run twice: ``jobs.claim`` lets only a queued (or redelivered running) capture
    start, and ``jobs.finish`` writes only one that is still running.
    """
    from .imports.base import ImportProblem
    from .imports.url import fetch

    if not jobs.claim(Capture, capture_id, task_id=task_id):
        return Outcome.SKIPPED if Capture.objects.filter(pk=capture_id).exists() else Outcome.GONE
    capture = Capture.objects.filter(pk=capture_id).only("id", "url", "source_id").first()
    if capture is None:
        return Outcome.GONE
    try:
        fetched = fetch(capture.url)
    except ImportProblem as problem:
        jobs.fail(Capture, capture_id, problem.message)
        return Outcome.FAILED
    text, title = _extract(fetched)
    digest = hashlib.sha256(fetched.body).hexdigest()
    # mtime=0: the same body always compresses to the same bytes.
    name = default_storage.save(
        f"captures/{capture_id}-{digest[:16]}.gz", ContentFile(gzip.compress(fetched.body, mtime=0))
    )
    with transaction.atomic():
        # The source's row is the lock an excerpt edit takes too: the excerpt read here is the
        # one the source has when this capture is recorded.
        excerpt = (
            Source.objects.select_for_update().filter(pk=capture.source_id).values_list("excerpt", flat=True).first()
        )
        if excerpt is None:
            transaction.on_commit(lambda: default_storage.delete(name))
            return Outcome.GONE
        capture.fetched_at = fetched.fetched_at
        state, start, end = _anchor(text, excerpt, quoted_before=_quoted_before(capture, excerpt))
        finished = jobs.finish(
            Capture,
            capture_id,
            fetched_at=fetched.fetched_at,
            final_url=fetched.url,
            http_status=fetched.status,
            content_type=fetched.content_type[:200],
            title=title,
            text=text,
            sha256=digest,
            body=name,
            body_bytes=len(fetched.body),
            excerpt=excerpt,
            excerpt_state=state,
            excerpt_start=start,
            excerpt_end=end,
        )
        if not finished:  # abandoned meanwhile: its state stands, and the file is not its
            transaction.on_commit(lambda: default_storage.delete(name))
            return Outcome.SKIPPED
    return Outcome.DONE


def fail(capture_id: int, error: str) -> None:
    jobs.fail(Capture, capture_id, error)


# --- the excerpt -------------------------------------------------------------------------------


def excerpt_changed(source: Source) -> None:
    """Place the source's new excerpt in its latest finished capture (inside the caller's write).

    ``claims.edit_source`` calls it with the source row locked.
    """
    latest = Capture.objects.done().filter(source_id=source.pk).defer("text").order_by("-fetched_at", "-id").first()
    if latest is None:
        return
    text = Capture.objects.filter(pk=latest.pk).values_list("text", flat=True).get()
    state, start, end = _anchor(text, source.excerpt, quoted_before=_quoted_before(latest, source.excerpt))
    Capture.objects.filter(pk=latest.pk).update(
        excerpt=source.excerpt, excerpt_state=state, excerpt_start=start, excerpt_end=end
    )


def quote_from_capture(
    *, capture: Capture, by: User, start: int, end: int, quote: str | None, correction_note: str = ""
) -> Capture:
    """Make the selected passage of a capture's text the source's excerpt, with its offsets.

    The span is checked against the capture's stored text as a claim's is against the article;
    the source is changed by ``claims.edit_source`` (its rules: who may edit, corrections).
    """
    from . import claims

    if capture.status != RunStatus.DONE:
        raise ValidationError({"capture": "Only a finished capture can be quoted from."})
    text = Capture.objects.filter(pk=capture.pk).values_list("text", flat=True).get()
    try:
        span = textlib.check_span(text, start, end, quote)
    except textlib.SpanError as error:
        raise ValidationError({error.field: error.message}) from None
    with transaction.atomic():
        source = claims.edit_source(source=capture.source, by=by, excerpt=span.quote, correction_note=correction_note)
        Capture.objects.filter(pk=capture.pk).update(
            excerpt=source.excerpt, excerpt_state=ExcerptState.SELECTED, excerpt_start=span.start, excerpt_end=span.end
        )
    capture.refresh_from_db()
    return capture


# --- what pages show ----------------------------------------------------------------------------


@dataclass
class CaptureState:
    """A source's captures as its card shows them: the latest attempt and the latest finished one."""

    latest: Capture | None
    captured: Capture | None

    @property
    def status(self) -> str:
        """none, queued, running, done, failed (of the latest attempt)."""
        return self.latest.status if self.latest is not None else "none"

    @property
    def stuck(self) -> bool:
        return jobs.is_stuck(self.latest)

    @property
    def active(self) -> bool:
        return self.latest is not None and self.latest.status in jobs.ACTIVE and not self.stuck

    @property
    def excerpt_state(self) -> str:
        return self.captured.excerpt_state if self.captured is not None else ""


# The sources' captures without their texts, newest first: compiled once per number of sources
# (annotations.compiled), as every desk page asks for those of its full cards.
_CAPTURES_OF = CompiledInQuery(
    Capture,
    lambda ids: (
        Capture.objects.filter(source_id__in=ids).defer("text", "excerpt").order_by("source_id", "-created_at", "-id")
    ),
)


def states_for(sources: Iterable[Source]) -> dict[int, CaptureState]:
    """Each source's ``CaptureState`` in one query (the texts are not loaded)."""
    ids = [s.pk for s in sources]
    states = {pk: CaptureState(None, None) for pk in ids}
    if not ids:
        return states
    for capture in _CAPTURES_OF.all(ids):
        state = states[capture.source_id]
        if state.latest is None:
            state.latest = capture
        if capture.status == RunStatus.DONE and (
            state.captured is None
            or (capture.fetched_at or capture.created_at) > (state.captured.fetched_at or state.captured.created_at)
        ):
            state.captured = capture
    return states


def attach_states(sources: Iterable[Source]) -> None:
    """Set ``capture_state`` on each source (one query for all of them)."""
    sources = list(sources)
    states = states_for(sources)
    for source in sources:
        source.capture_state = states[source.pk]


def forget_body(sender: type[Capture], instance: Capture, **_kwargs: object) -> None:
    """A capture deleted with its source (or claim, article, project) takes its stored page along.

    Connected to ``post_delete`` (apps.py), so every cascade reaches it; the file goes once the
    deletion commits, so a rolled-back deletion keeps it.
    """
    name = instance.body.name if instance.body else ""
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def read_body(capture: Capture) -> bytes:
    """The raw body as received (decompressed)."""
    with default_storage.open(str(capture.body.name), "rb") as stored:
        return gzip.decompress(stored.read())
