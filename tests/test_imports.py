"""Importing articles: every format, duplicates, encodings and bad input (each refused, nothing written)."""

from __future__ import annotations

import json

import pytest

from annotations.imports import base, pipeline
from annotations.imports.base import ImportProblem, Metadata
from annotations.imports.pipeline import ImportFailed, ImportInput
from annotations.imports.registry import FILE_FORMATS, get_parser, parser_for_filename
from annotations.models import Article, Claim, ExtractionRun, Source
from tests.import_fixtures import export_line, seed_as_html, seed_paragraphs

pytestmark = pytest.mark.django_db


NO_METADATA = Metadata()


def run(project, user, *items, metadata=NO_METADATA):
    return pipeline.import_all_or_nothing(project=project, user=user, items=list(items), metadata=metadata)


def refused(project, user, *items, metadata=NO_METADATA) -> str:
    with pytest.raises(ImportFailed) as failed:
        run(project, user, *items, metadata=metadata)
    assert Article.objects.count() == 0, "a refused import must write nothing"
    return str(failed.value)


# --- every path -----------------------------------------------------------------------------------


def test_it_imports_pasted_text_normalised_with_its_metadata(project, author):
    meta = Metadata(title="Pasted", url="https://example.org/a", publisher="Example", published_at="2022-05-26")
    report = run(project, author, ImportInput.paste("Cafe\u0301 opens  \r\nat noon.\r\n"), metadata=meta)
    article = Article.objects.get(pk=report.created[0].article_id)
    assert article.text == "Café opens\nat noon."
    assert (article.title, article.url, article.publisher) == ("Pasted", "https://example.org/a", "Example")
    assert article.published_at.date().isoformat() == "2022-05-26"
    assert article.created_by == author
    assert ExtractionRun.objects.filter(article=article, status="queued").exists()


def test_it_imports_a_txt_file_titled_by_its_first_line(project, author, seed_text):
    report = run(project, author, ImportInput.file("seed.txt", seed_text.encode("utf-8")))
    article = Article.objects.get(pk=report.created[0].article_id)
    assert article.text == "\n".join(seed_text.replace("\r\n", "\n").split("\n")).strip("\n")
    assert article.title == seed_paragraphs(seed_text)[0]


def test_it_imports_markdown_as_the_plain_text_a_reader_sees(project, author):
    md = (
        "---\ntitle: Grain blockade\npublisher: Wire\ndate: 2022-05-26\n---\n"
        "# A heading that is not the title\n\n"
        "Ships are **stuck** in _Odesa_, says the [ministry](https://example.org/m).\n\n"
        "> Nothing moves, a captain said.\n\n![a ship](ship.png)\n- 20 million tonnes of grain\n"
    )
    report = run(project, author, ImportInput.file("grain.md", md.encode("utf-8")))
    article = Article.objects.get(pk=report.created[0].article_id)
    assert (article.title, article.publisher) == ("Grain blockade", "Wire")
    assert article.published_at.date().isoformat() == "2022-05-26"
    assert article.text == (
        "A heading that is not the title\n\nShips are stuck in Odesa, says the ministry.\n\n"
        "Nothing moves, a captain said.\n\n- 20 million tonnes of grain"
    )


def test_a_markdown_heading_is_the_title_when_none_is_given(project, author):
    report = run(project, author, ImportInput.file("a.md", b"# Grain *blockade*\n\nShips are stuck.\n"))
    article = Article.objects.get(pk=report.created[0].article_id)
    assert (article.title, article.text) == ("Grain blockade", "Ships are stuck.")


def test_it_extracts_the_main_text_of_an_html_file_and_never_keeps_markup(project, author, seed_text):
    report = run(project, author, ImportInput.file("seed.html", seed_as_html(seed_text).encode("utf-8")))
    article = Article.objects.get(pk=report.created[0].article_id)
    assert article.text == "\n".join(seed_paragraphs(seed_text))
    for boilerplate in ("Sign in", "Cookie settings", "pwned", "<p>", "color: red"):
        assert boilerplate not in article.text
    assert article.title == "Russia has the upper hand in Luhansk, Ukrainian general concedes"
    assert article.publisher == "CBC News"
    assert article.published_at.date().isoformat() == "2022-05-26"


def test_html_extraction_opens_no_network_connection(monkeypatch, seed_text):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("extraction tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    records = get_parser("html").parse(seed_as_html(seed_text).encode(), source="seed.html", metadata=Metadata())
    assert records[0].text.startswith("A senior Ukrainian military official")


def test_it_imports_jsonl_with_claims_and_sources(project, author):
    text = "The minister said 20 ships were stuck. Officials disputed it."
    line = export_line(
        {"title": "Ships", "text": text, "publisher": "Wire", "published_at": "2022-05-26", "language": "en"},
        [
            {
                "start": 18, "end": 38, "quote": "20 ships were stuck.", "claim_text": "20 ships are stuck",
                "claimant": "The minister", "status": "approved", "verdict": "mostly_true", "rationale": "Port data.",
                "sources": [{"url": "https://example.org/port", "title": "Port data", "stance": "supports"}],
            }
        ],
    )  # fmt: skip
    other = json.dumps({"article": {"title": "Second", "text": "Another article entirely."}})
    report = run(project, author, ImportInput.file("batch.jsonl", f"{line}\n\n{other}\n".encode()))
    assert [o.line for o in report.created] == [1, 3]
    claim = Claim.objects.get(article_id=report.created[0].article_id)
    assert (claim.start, claim.end, claim.quote) == (18, 38, "20 ships were stuck.")
    # A reviewer's import never approves: the claim waits for an editor, and the report says so.
    assert (claim.status, claim.verdict, claim.claimant) == ("in_review", "mostly_true", "The minister")
    assert "approved → in_review" in report.created[0].message
    assert claim.prefix == "The minister said " and claim.suffix == " Officials disputed it."
    source = Source.objects.get(claim=claim)
    assert (source.url, source.stance, source.added_by) == ("https://example.org/port", "supports", author)


def test_jsonl_claims_with_shifted_offsets_are_placed_by_their_quote(project, author):
    text = "Intro line.\nThe minister said 20 ships were stuck in port today."
    quote = "20 ships were stuck in port"
    # Offsets counted by a tool that lost the intro line; the quote and context still place it.
    claim = {"start": 6, "end": 6 + len(quote), "quote": quote, "prefix": "The minister said ", "suffix": " today."}
    line = export_line({"title": "T", "text": text}, [claim])
    report = run(project, author, ImportInput.file("shifted.jsonl", line.encode()))
    claim = Claim.objects.get(article_id=report.created[0].article_id)
    assert text[claim.start : claim.end] == quote


def test_it_maps_csv_columns_by_their_header(project, author):
    csv_text = (
        "Headline;Body;Link;Date;Outlet\n"
        'First;"Line one of the first.\nLine two; with a semicolon.";https://example.org/1;2022-05-26;Wire\n'
        "Second;The second article.;;;\n"
    )
    report = run(project, author, ImportInput.file("batch.csv", csv_text.encode()))
    first, second = (Article.objects.get(pk=o.article_id) for o in report.created)
    assert [o.line for o in report.created] == [2, 4]
    assert first.text == "Line one of the first.\nLine two; with a semicolon."
    assert (first.title, first.url, first.publisher) == ("First", "https://example.org/1", "Wire")
    assert (second.title, second.url, second.published_at) == ("Second", "", None)


def test_the_registry_has_a_parser_for_every_file_format():
    for name in FILE_FORMATS:
        parser = get_parser(name)
        for extension in parser.extensions:
            assert parser_for_filename(f"x{extension.upper()}").name == name
    with pytest.raises(ImportProblem) as problem:
        get_parser("docx")
    assert problem.value.field == "format"


# --- duplicates -----------------------------------------------------------------------------------


def test_it_reports_already_imported_instead_of_duplicating(project, author, article, seed_text):
    report = run(project, author, ImportInput.paste(seed_text + "\n\n"))
    assert report.created == []
    assert report.duplicates[0].article_id == article.pk
    assert report.duplicates[0].message == f"already imported as article {article.pk}"
    assert Article.objects.count() == 1


def test_a_duplicate_inside_one_file_is_reported_not_written_twice(project, author):
    lines = "\n".join(json.dumps({"title": f"T{i}", "text": "Same text."}) for i in range(2))
    report = run(project, author, ImportInput.file("twice.jsonl", lines.encode()))
    assert len(report.created) == 1 and report.duplicates[0].line == 2
    assert Article.objects.count() == 1


# --- encodings ------------------------------------------------------------------------------------

CP1252_TEXT = "Le café “déjà vu” — naïve façade, Müller’s 25 € bill.\nSecond line with ‘quotes’ and … ellipsis.\n"


def test_cp1252_is_detected_and_decoded_correctly(project, author):
    report = run(project, author, ImportInput.file("legacy.txt", CP1252_TEXT.encode("cp1252")))
    assert Article.objects.get(pk=report.created[0].article_id).text == CP1252_TEXT.strip()


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Zażółć gęślą jaźń. Łódź i Kraków są pięknymi miastami, powiedział minister.", "cp1250"),
        ("Привет мир, это тест кодировки. Москва и Санкт-Петербург.", "cp1251"),
        ("Привет мир, это тест кодировки. Москва и Санкт-Петербург.", "koi8_r"),
    ],
)
def test_other_legacy_encodings_are_not_mistaken_for_windows_1252(text, encoding):
    assert base.decode(text.encode(encoding), source="x") == text


def test_a_declared_latin1_page_is_read_as_windows_1252(seed_text):
    sentence = "Prices rose 5 € “overnight”, said Müller."
    page = seed_as_html(f"{seed_text}\n{sentence}", charset="iso-8859-1").encode("cp1252")
    records = get_parser("html").parse(page, source="p.html", metadata=Metadata())
    assert records[0].text.endswith(sentence)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image, not text"),
        (b"%PDF-1.7\n%\xe2\xe3", "this is a PDF document, not text"),
        (b"text\x00with\x00nul\x00bytes", "binary file (it contains NUL bytes)"),
        (bytes(range(0x80, 0x100)) * 3, "the text encoding could not be recognised"),
        ("It’s a café".encode().decode("cp1252").encode("utf-8"), "double-encoded (mojibake such as 'â€™')"),
        ("Garbled \ufffd text".encode(), "U+FFFD replacement characters"),
    ],
    ids=["empty", "blank", "png", "pdf", "nul", "undecodable", "mojibake", "replacement"],
)
def test_bad_bytes_are_refused_with_a_message_and_nothing_written(project, author, data, message):
    text = refused(project, author, ImportInput.file("bad.txt", data))
    assert text.startswith("bad.txt: ")
    assert message in text


def test_decoding_prefers_utf8_and_honours_byte_order_marks():
    assert base.decode("naïve".encode(), source="x") == "naïve"
    assert base.decode("\ufeffnaïve".encode(), source="x") == "naïve"
    assert base.decode("naïve".encode("utf-16"), source="x") == "naïve"
    assert base.decode("Привет, мир. Москва и Санкт-Петербург.".encode("cp1251"), source="x").startswith("Привет")


# --- limits and malformed files -------------------------------------------------------------------


def test_an_oversized_file_is_refused_naming_the_limit(project, author, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    text = refused(project, author, ImportInput.file("big.txt", b"word " * 30))
    assert text == "big.txt: the file is 150 bytes; the limit is 100 bytes (IMPORT_MAX_FILE_BYTES)."


def test_an_article_over_the_size_limit_is_refused_with_its_line(project, author, settings):
    settings.MAX_ARTICLE_CHARS = 20
    lines = "\n".join(json.dumps({"title": "T", "text": t}) for t in ["short", "x" * 21])
    text = refused(project, author, ImportInput.file("long.jsonl", lines.encode()))
    assert text == "long.jsonl: line 2: text: the text has 21 characters; the limit is 20 (MAX_ARTICLE_CHARS)."


def test_a_malformed_jsonl_line_3_of_5_names_file_and_line_and_writes_nothing(project, author):
    lines = [json.dumps({"title": f"T{i}", "text": f"Article {i}."}) for i in range(1, 6)]
    lines[2] = '{"title": "T3", "text": "Article 3."'
    text = refused(project, author, ImportInput.file("five.jsonl", "\n".join(lines).encode()))
    assert text.startswith("five.jsonl: line 3: not valid JSON")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["a list"]', "line 2: each line must be a JSON object."),
        ('{"title": "No text"}', "line 2: text: is missing or empty."),
        ('{"text": "Abc def.", "claims": [{"start": 0, "end": 3, "quote": "Xyz"}]}', "line 2: claims[0].quote:"),
        ('{"text": "Abc def.", "claims": [{"start": 0, "end": 99}]}', "line 2: claims[0].end: end must be at most"),
        ('{"text": "Abc def.", "claims": [{"start": 0, "end": 3, "verdict": "meh"}]}', "claims[0].verdict: 'meh'"),
        ('{"text": "Abc.", "claims": [{"start": 0, "end": 3, "sources": [{"title": "t"}]}]}', "sources[0].url: is"),
        ('{"text": "Abc.", "published_at": "last week"}', "line 2: published_at 'last week' is not an ISO date"),
    ],
    ids=["not-object", "no-text", "quote", "offsets", "verdict", "source-url", "date"],
)
def test_a_bad_jsonl_record_names_its_line_and_field(project, author, line, message):
    good = json.dumps({"title": "Fine", "text": "A fine article."})
    text = refused(project, author, ImportInput.file("bad.jsonl", f"{good}\n{line}\n".encode()))
    assert message in text


def test_a_csv_without_a_text_column_is_refused_naming_the_columns_it_has(project, author):
    text = refused(project, author, ImportInput.file("no-text.csv", b"title,url\nA,https://example.org\n"))
    assert text == (
        "no-text.csv: line 1: no text column: name one of text, body, content, article, article_text in the header "
        "line (found: 'title', 'url')."
    )


def test_a_csv_row_with_an_empty_text_names_its_line(project, author):
    text = refused(project, author, ImportInput.file("rows.csv", b"title,text\nA,Fine text.\nB,\n"))
    assert text == "rows.csv: line 3: the text column is empty."


def test_an_unknown_file_type_is_refused(project, author):
    assert "files ending in '.docx' cannot be imported" in refused(project, author, ImportInput.file("a.docx", b"x"))


def test_one_bad_file_refuses_the_whole_request(project, author):
    good = ImportInput.file("good.txt", b"A perfectly good article.")
    bad = ImportInput.file("bad.csv", b"title\nA\n")
    assert "bad.csv: line 1: no text column" in refused(project, author, good, bad)


def test_import_each_writes_good_files_and_reports_bad_ones_whole(project, author):
    good = ImportInput.file("good.txt", b"A perfectly good article.")
    lines = "\n".join([json.dumps({"text": "Written?"}), "{broken"])
    report = pipeline.import_each(
        project=project, user=author, items=[good, ImportInput.file("bad.jsonl", lines.encode())], metadata=Metadata()
    )
    assert [o.source for o in report.created] == ["good.txt"]
    assert report.errors[0].message.startswith("bad.jsonl: line 2: not valid JSON")
    assert list(Article.objects.values_list("text", flat=True)) == ["A perfectly good article."]


def test_a_failure_while_writing_rolls_back_the_whole_file(project, author):
    # The articles are written as one batch, then all their claims: a refusal at the second
    # article's source (found by model validation at write time) takes back everything.
    source = {"url": "https://example.org/ok", "stance": "supports"}
    bad = {"url": "javascript:alert(1)", "stance": "supports"}
    lines = "\n".join(
        json.dumps(
            {
                "title": f"T{i}",
                "text": f"Text {i}.",
                "claims": [{"start": 0, "end": 4, "quote": "Text", "sources": [bad if i == 1 else source]}],
            }
        )
        for i in range(3)
    )
    text = refused(project, author, ImportInput.file("three.jsonl", lines.encode()))
    assert text.startswith("three.jsonl: line 2:") and "url" in text, text
    assert Claim.objects.count() == 0 and Source.objects.count() == 0
