"""Tests of ``pipelines.extract``: stored pages with their expected extraction, plus units."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from pipelines.extract import (
    PARSERS,
    PROBLEMS,
    ExtractionResult,
    decode_html,
    extract_article,
    parse_eastern_datetime,
    parse_machine_datetime,
    parse_page_timestamp,
    split_byline,
)
from pipelines.extract.html_tree import parse_html
from pipelines.extract.reconcile import is_text_only

PAGES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED_FILES = sorted(PAGES.glob("*.expected.json"))
# Keys of an expected file that describe the request, not the result.
REQUEST_KEYS = {"url", "parser", "content_type"}


def _body_path(expected_path: Path) -> Path:
    stem = expected_path.name.removesuffix(".expected.json")
    bodies = [path for path in PAGES.glob(f"{stem}.*") if path != expected_path]
    assert len(bodies) == 1, f"expected exactly one body file for {stem}, found {bodies}"
    return bodies[0]


def _extract_fixture(expected_path: Path) -> tuple[dict[str, Any], ExtractionResult]:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    result = extract_article(
        _body_path(expected_path).read_bytes(),
        url=expected["url"],
        content_type=expected["content_type"],
        parser=expected["parser"],
    )
    return expected, result


def test_fixture_pages_exist() -> None:
    parsers = {json.loads(path.read_text(encoding="utf-8"))["parser"] for path in EXPECTED_FILES}
    assert parsers == set(PARSERS)


@pytest.mark.parametrize("expected_path", EXPECTED_FILES, ids=lambda path: path.name[:-14])
def test_fixture_page(expected_path: Path) -> None:
    expected, result = _extract_fixture(expected_path)
    actual = result.to_dict()
    text = result.text
    for key, want in expected.items():
        if key in REQUEST_KEYS:
            continue
        if key == "text_startswith":
            assert text.startswith(want), f"text starts {text[:120]!r}"
        elif key == "text_endswith":
            assert text.endswith(want), f"text ends {text[-120:]!r}"
        elif key == "text_contains":
            for fragment in want:
                assert fragment in text
        elif key == "text_not_contains":
            for fragment in want:
                assert fragment not in text
        elif key == "paragraphs":
            assert len(text.split("\n\n")) == want, text
        elif key == "text_paragraphs":
            got = text.split("\n\n")
            assert [p for p in want if p not in got] == [], "paragraphs lost"
            assert got == want
        else:
            assert actual[key] == want, f"{key}: {actual[key]!r} != {want!r}"
    if result.problem is None:
        assert result.problem_detail is None
        for paragraph in text.split("\n\n"):
            assert paragraph == " ".join(paragraph.split()), "whitespace not normalised"
            assert paragraph
    else:
        assert result.problem in PROBLEMS
        assert result.problem_detail


@pytest.mark.parametrize("expected_path", EXPECTED_FILES, ids=lambda path: path.name[:-14])
def test_fixture_result_is_json_serialisable(expected_path: Path) -> None:
    _, result = _extract_fixture(expected_path)
    as_dict = result.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert set(as_dict) == {
        "problem", "problem_detail", "title", "authors", "text", "language", "section",
        "published_at", "modified_at", "dates_source", "canonical_url", "encoding",
        "encoding_source", "method", "extractor",
    }  # fmt: skip


def test_unknown_parser_raises_value_error() -> None:
    with pytest.raises(ValueError, match="cnn-lite"):
        extract_article(b"<html></html>", url="https://example.com/", parser="bbc-lite")


# Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Updated: 8:12 PM EST, Fri February 2, 2024", ("modified_at", "2024-02-03T01:12:00Z")),
        ("Updated: 10:05 AM EDT, Tue July 9, 2024", ("modified_at", "2024-07-09T14:05:00Z")),
        (
            "\n            Updated:\n            8:12 PM EST, Fri February 2, 2024\n          ",
            ("modified_at", "2024-02-03T01:12:00Z"),
        ),
        ("Published: 3:20 PM EST, Wed January 15, 2025", ("published_at", "2025-01-15T20:20:00Z")),
        ("Published 6:00 AM EDT, Mon June 2, 2025", ("published_at", "2025-06-02T10:00:00Z")),
        ("Updated: 12:05 AM EST, Mon January 1, 2024", ("modified_at", "2024-01-01T05:05:00Z")),
        ("Updated: 12:05 PM EST, Mon January 1, 2024", ("modified_at", "2024-01-01T17:05:00Z")),
        # New Year's Eve in New York is already the next year in UTC.
        ("Updated: 11:30 PM EST, Tue December 31, 2024", ("modified_at", "2025-01-01T04:30:00Z")),
        # The label chooses between the two readings of the repeated hour when DST ends.
        ("Updated: 1:30 AM EDT, Sun November 2, 2025", ("modified_at", "2025-11-02T05:30:00Z")),
        ("Updated: 1:30 AM EST, Sun November 2, 2025", ("modified_at", "2025-11-02T06:30:00Z")),
        # Without a label the ambiguous hour reads as its first occurrence (fold=0, EDT).
        ("Updated: 1:30 AM ET, Sun November 2, 2025", ("modified_at", "2025-11-02T05:30:00Z")),
        # DST start: 1:59 AM EST, then 3:00 AM EDT.
        ("Updated: 1:59 AM EST, Sun March 9, 2025", ("modified_at", "2025-03-09T06:59:00Z")),
        ("Updated: 3:00 AM EDT, Sun March 9, 2025", ("modified_at", "2025-03-09T07:00:00Z")),
        # A label contradicting the zone on an ordinary day: the zone wins.
        ("Updated: 10:05 AM EST, Tue July 9, 2024", ("modified_at", "2024-07-09T14:05:00Z")),
    ],
)
def test_parse_page_timestamp(line: str, expected: tuple[str, str]) -> None:
    assert parse_page_timestamp(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Updated:",
        "Updated: soon",
        "8:12 PM EST, Fri February 2, 2024",  # no "Updated"/"Published": not a timestamp line
        "Updated: 8:12 PM EST, Fri February 30, 2024",
        "Updated: 13:12 PM EST, Fri February 2, 2024",
    ],
)
def test_parse_page_timestamp_rejects(line: str) -> None:
    assert parse_page_timestamp(line) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thursday, April 8, 2021 \u2022 1:04 PM EDT", "2021-04-08T17:04:00Z"),
        ("Tuesday, January 14, 2025 \u2022 5:00 AM EST", "2025-01-14T10:00:00Z"),
        ("Sunday, November 2, 2025 \u2022 1:30 AM EST", "2025-11-02T06:30:00Z"),
        ("Thursday, April 8, 2021", "2021-04-08"),  # a day alone stays a day, no invented time
        ("Thursday, April 8, 2021 \u2022 9:12 PM EDT", "2021-04-09T01:12:00Z"),  # the next UTC day
        ("Sept. 3, 2024, 9:15 a.m. ET", "2024-09-03T13:15:00Z"),
        ("no date here", None),
    ],
)
def test_parse_eastern_datetime(text: str, expected: str | None) -> None:
    assert parse_eastern_datetime(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-02T20:12:00.000Z", "2024-02-02T20:12:00Z"),
        ("2024-02-02T15:12:00-05:00", "2024-02-02T20:12:00Z"),
        ("2024-07-09T10:05:00-0400", "2024-07-09T14:05:00Z"),
        ("2024-02-02T20:12:00", "2024-02-02T20:12:00Z"),  # no offset: taken as UTC
        ("2024-02-02", "2024-02-02"),  # a day: no midnight invented
        ("2024-02-02T00:00:00Z", "2024-02-02T00:00:00Z"),  # a real midnight stays one
        ("Fri, 02 Feb 2024 20:12:00 GMT", "2024-02-02T20:12:00Z"),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_machine_datetime(value: str, expected: str | None) -> None:
    assert parse_machine_datetime(value) == expected


# Authors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        (
            "By Natasha Bertrand, Haley Britzky, Oren Liebermann and Kevin Liptak, CNN",
            ["Natasha Bertrand", "Haley Britzky", "Oren Liebermann", "Kevin Liptak"],
        ),
        ("By Daniel Okafor, CNN", ["Daniel Okafor"]),
        ("By Lena Ortiz and Tomás Ferreira, CNN", ["Lena Ortiz", "Tomás Ferreira"]),
        (
            "By Rachel Kim, Aaron Feld and Sophie Lindqvist, CNN Business",
            ["Rachel Kim", "Aaron Feld", "Sophie Lindqvist"],
        ),
        ("By Jane Doe, CNN Politics", ["Jane Doe"]),
        ("By Jane Doe, Reuters", ["Jane Doe"]),
        ("By Jane Doe and John Roe, The Associated Press", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, for CNN", ["Jane Doe"]),
        (
            "By Marisol Vega and Owen Tremblay, CNN Meteorologists",
            ["Marisol Vega", "Owen Tremblay"],
        ),
        ("By Brian Naylor", ["Brian Naylor"]),
        ("By Rebecca Hollis and Samuel Ortega", ["Rebecca Hollis", "Samuel Ortega"]),
        ("By A, B, and C", ["A", "B", "C"]),
        ("by\n      Alexandra Andersen & Sandy Randall", ["Alexandra Andersen", "Sandy Randall"]),
        ("Maya Chen; Robert Ellis", ["Maya Chen", "Robert Ellis"]),
        ("Opinion by Jordan Hale", ["Jordan Hale"]),
        ("By Martin Luther King, Jr., CNN", ["Martin Luther King Jr."]),
        ("Nora Castellanos; Posted March", ["Nora Castellanos"]),
        ("By Jane Doe, Jane Doe", ["Jane Doe"]),
        ("CNN", []),
        ("By ", []),
        ("", []),
    ],
)
def test_split_byline(byline: str, expected: list[str]) -> None:
    assert split_byline(byline) == expected


# Decoding ---------------------------------------------------------------------------------

_CAFE = (
    "<html><head><title>Café</title></head>"
    "<body><p>Le café “noir” — très bon. Crème brûlée.</p></body></html>"
)


def test_decode_uses_http_header_charset() -> None:
    result = decode_html(_CAFE.encode("utf-8"), "text/html; charset=UTF-8")
    assert result == (_CAFE, "utf-8", "http-header")


def test_decode_uses_quoted_header_charset() -> None:
    result = decode_html(_CAFE.encode("cp1252"), 'text/html; charset="windows-1252"')
    assert result == (_CAFE, "windows-1252", "http-header")


def test_decode_uses_meta_charset() -> None:
    page = '<html><head><meta charset="windows-1252">' + _CAFE[12:]
    assert decode_html(page.encode("cp1252"), None) == (page, "windows-1252", "meta")


def test_decode_uses_meta_http_equiv() -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">\n' + _CAFE
    # Latin-1 is decoded as its web superset windows-1252, as browsers do: “ ” survive.
    assert decode_html(page.encode("cp1252"), "text/html") == (page, "windows-1252", "meta")


def test_decode_falls_through_a_wrong_utf8_header() -> None:
    text, encoding, source = decode_html(_CAFE.encode("cp1252"), "text/html; charset=utf-8")
    assert text == _CAFE
    assert (encoding, source) == ("windows-1252", "detected")


def test_decode_falls_through_a_wrong_utf8_meta() -> None:
    page = '<meta charset="utf-8">' + _CAFE
    text, encoding, source = decode_html(page.encode("cp1252"), None)
    assert text == page
    assert (encoding, source) == ("windows-1252", "detected")


def test_decode_prefers_valid_utf8_over_a_single_byte_declaration() -> None:
    text, encoding, source = decode_html(_CAFE.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert (text, encoding, source) == (_CAFE, "utf-8", "detected")


def test_decode_detects_undeclared_utf8() -> None:
    assert decode_html(_CAFE.encode("utf-8"), None) == (_CAFE, "utf-8", "detected")


def test_decode_detects_undeclared_cyrillic() -> None:
    paragraph = "<p>Привет, как дела? Это тестовая страница на русском языке.</p>"
    page = "<html><body>" + paragraph * 5 + "</body></html>"
    assert decode_html(page.encode("cp1251"), None) == (page, "windows-1251", "detected")


def test_decode_keeps_mostly_utf8_with_a_stray_byte() -> None:
    utf8_part = ("<p>" + "Crème brûlée “quoted” — ok. " * 10 + "</p>").encode("utf-8")
    body = utf8_part + b"<p>caf\xe9</p>"  # one stray cp1252 byte
    text, encoding, source = decode_html(body, "text/html; charset=utf-8")
    assert (encoding, source) == ("utf-8", "http-header")
    assert "Crème brûlée “quoted”" in text and "caf\ufffd" in text


def test_decode_prefers_mostly_utf8_over_a_single_byte_declaration() -> None:
    utf8_part = ("<p>" + "Crème brûlée “quoted” — ok. " * 10 + "</p>").encode("utf-8")
    body = utf8_part + b"<p>caf\xe9</p>"
    text, encoding, source = decode_html(body, "text/html; charset=windows-1252")
    assert (encoding, source) == ("utf-8", "detected")
    assert "Crème brûlée “quoted”" in text


def test_decode_ignores_unknown_charset_label() -> None:
    result = decode_html(_CAFE.encode("utf-8"), "text/html; charset=x-no-such-thing")
    assert result == (_CAFE, "utf-8", "detected")


def test_decode_honours_a_byte_order_mark() -> None:
    result = decode_html(b"\xef\xbb\xbf" + _CAFE.encode("utf-8"), "text/html; charset=cp1252")
    assert result == (_CAFE, "utf-8", "detected")
    assert decode_html(_CAFE.encode("utf-16"), None)[0] == _CAFE


def test_decode_never_raises_on_garbage() -> None:
    rng = random.Random(20240202)
    for _ in range(50):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        header = rng.choice([None, "text/html; charset=utf-8", "text/html; charset=bogus"])
        text, encoding, source = decode_html(body, header)
        assert isinstance(text, str) and encoding
        assert source in ("http-header", "meta", "detected", "default")


# Robustness -------------------------------------------------------------------------------

_URL = "https://lite.cnn.com/2024/02/02/politics/some-story/index.html"
_AFTER = b"<p>A paragraph of text after the huge attribute, long enough to count.</p>"
_HOSTILE_BODIES = {
    "nested-divs": b"<html><body>" + b"<div>" * 10_000 + b"<p>deep text</p>" + b"</div>" * 10_000,
    "nested-unclosed": b"<div><span>" * 10_000,
    "huge-attribute": b"<html><body><p title='" + b"x" * 12_000_000 + b"'>hi</p>" + _AFTER * 3,
    "many-attributes": b"<p " + b" ".join(b"a%d=1" % i for i in range(50_000)) + b">x</p>",
    "unclosed-tags": b"<html><head><title>x<body><p>text<p>more<div><span><a href='" * 200,
    "tag-soup": b"<<<>>><!--<![CDATA[ <p <a href=' \xff\xfe </html> </ p> <//> <? ?> <!DOCTYPE",
    "xml-declaration": b"<?xml version='1.0' encoding='utf-8'?><rss><item>x</item></rss>",
    "control-characters": b"<html><body><p>" + bytes(range(1, 32)) * 20 + b"</p></body></html>",
    "bad-character-references": b"<p>&#xD800; &#0; &#x110000; &#99999999999; &copy &bogus;</p>",
    "broken-json-ld": (
        b'<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        b'"datePublished": </script></head><body></body></html>'
    ),
    "empty": b"",
    "whitespace": b" \r\n\t ",
    "plain-text": b"Just some words and no markup at all.",
    "utf16-no-bom": "<html><body><p>hello</p></body></html>".encode("utf-16-le"),
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("name", sorted(_HOSTILE_BODIES))
def test_hostile_bodies_never_raise(name: str, parser: str) -> None:
    result = extract_article(_HOSTILE_BODIES[name], url=_URL, content_type=None, parser=parser)
    assert isinstance(result, ExtractionResult)
    assert result.problem is None or result.problem in PROBLEMS
    json.dumps(result.to_dict())


@pytest.mark.parametrize("parser", PARSERS)
def test_random_bytes_never_raise(parser: str) -> None:
    rng = random.Random(7)
    alphabet = b"<>/=\"'! abcdefghilmnoprstuvwy-\n\t&;#\xc3\xa9\xe2\x80\x9c"
    for _ in range(40):
        size = rng.randrange(0, 4000)
        body = (
            bytes(rng.randrange(256) for _ in range(size))
            if rng.random() < 0.5
            else bytes(rng.choice(alphabet) for _ in range(size))
        )
        header = rng.choice([None, "text/html; charset=utf-8"])
        result = extract_article(body, url=_URL, content_type=header, parser=parser)
        assert result.problem is None or result.problem in PROBLEMS


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "not-html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "not-html"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "text/html", "not-html"),
        (b"<html><body><p>an image, says the server</p></body></html>", "image/png", "not-html"),
        (b"Just words.", "text/html", "not-html"),
        (b"", "text/html", "no-content"),
        (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "text/html", "no-content"),
        (b"<html><body>" + b"<div>" * 300 + b"x", "text/html", "no-content"),
    ],
)
def test_problem_codes(body: bytes, content_type: str | None, problem: str) -> None:
    for parser in ("cnn-lite", "generic"):
        result = extract_article(body, url=_URL, content_type=content_type, parser=parser)
        assert result.problem == problem, result.problem_detail
        assert result.problem_detail and result.text == ""


def test_too_many_attributes_is_a_parse_error() -> None:
    result = extract_article(_HOSTILE_BODIES["many-attributes"], url=_URL, parser="generic")
    assert result.problem == "parse-error"
    assert "attributes" in (result.problem_detail or "")


def test_profile_keeps_page_metadata_when_falling_back_to_trafilatura() -> None:
    expected, result = _extract_fixture(PAGES / "cnn-lite-glacier-markup-drift.expected.json")
    assert result.method == "trafilatura"
    assert result.title == expected["title"]
    assert result.dates_source["modified_at"] == "page:timestamp"


def test_npr_page_without_story_but_with_text_falls_back_to_trafilatura() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} of a story whose markup changed: the text site moved its containers.</p>"
        for n in range(8)
    )
    body = (
        "<html lang='en'><body><header>Text-Only Version</header>"
        f"<main><div class='story'><h1>Moved</h1>{paragraphs}</div></main></body></html>"
    )
    result = extract_article(body.encode(), url="https://text.npr.org/nx-s1-1", parser="npr-text")
    assert result.problem is None
    assert result.method == "trafilatura"
    assert "Paragraph 0 of a story" in result.text


TEXT_ONLY = sorted(PAGES.glob("generic-text-only-*.expected.json"))


@pytest.mark.parametrize("expected_path", TEXT_ONLY, ids=lambda path: path.name[:-14])
def test_text_only_pages_keep_every_paragraph_that_precision_mode_drops(
    expected_path: Path,
) -> None:
    """The fixtures hold what trafilatura's precision mode leaves out of a text-only page
    (a list's lead-in or a one-line paragraph after an empty ``<p></p>``, sub-headings,
    digest items); the generic parser keeps all of it."""
    import trafilatura

    expected, result = _extract_fixture(expected_path)
    want = expected["text_paragraphs"]
    assert is_text_only(parse_html(_body_path(expected_path).read_text(encoding="utf-8")))
    precise = trafilatura.extract(_body_path(expected_path).read_text(encoding="utf-8"), favor_precision=True,
                                  include_comments=False, include_tables=True) or ""  # fmt: skip
    precise_lines = {" ".join(line.split()) for line in precise.splitlines()}
    dropped = [p for p in want if p not in precise_lines]
    assert len(dropped) >= 2, "the fixture no longer shows what precision mode drops"
    assert [p for p in want if p not in result.text.split("\n\n")] == []


def test_digest_keeps_its_twelve_items() -> None:
    _, result = _extract_fixture(PAGES / "generic-text-only-digest.expected.json")
    items = [p for p in result.text.split("\n\n") if p.endswith(("(AP)", "(Reuters)", "(BBC)"))]
    assert len(items) == 12
    assert [
        p for p in result.text.split("\n\n") if p in ("World", "Business", "Science", "Sports")
    ] == ["World", "Business", "Science", "Sports"]


def test_full_page_keeps_precision_outside_the_story() -> None:
    """A full page (not text-only): teaser links between paragraphs and the related list
    after the story stay out; a plain lead-in paragraph dropped by precision mode comes back."""
    page = PAGES / "generic-riverside-overnight-buses.html"
    html = page.read_text(encoding="utf-8").replace(
        "<p>Rider advocates welcomed",
        '<p><strong><a href="/news/2024/06/01/fares/">FARE CHANGES START MONDAY ACROSS THE NETWORK</a></strong></p>'
        "<p></p>\nThe board heard from three groups of riders:\n"
        "<ul><li>Night-shift workers at the hospital.</li><li>Airport staff.</li></ul><p>Rider advocates welcomed",
    )
    html = html.replace(
        "</main>", '<img src="/images/route-map.png" alt="Route map"></main>'
    )  # a full page
    assert not is_text_only(parse_html(html))
    result = extract_article(html.encode(), url="https://www.riversideledger.example/news/x/",
                             content_type="text/html; charset=utf-8", parser="generic")  # fmt: skip
    paragraphs = result.text.split("\n\n")
    assert "The board heard from three groups of riders:" in paragraphs
    assert "FARE CHANGES START MONDAY ACROSS THE NETWORK" not in result.text
    assert "Harbor Street bridge" not in result.text and "Get the Morning Ledger" not in result.text


def test_stray_control_characters_are_dropped_and_their_text_kept() -> None:
    """libxml2 drops a text node holding NUL, \\x01 … \\x08, \\x0b, \\x0e … \\x1f or DEL: they are
    removed before parsing (tab, LF, FF and CR stay), the words around them kept."""
    controls = "".join(map(chr, [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F]))
    kept = "\t\n\x0c\r"
    tree = parse_html(
        f"<html><body><p id=a>Flood{controls}waters{kept}rose</p><p>café\x00 ok</p></body></html>"
    )
    assert tree.get_element_by_id("a").text == "Floodwaters\t\n\x0c\nrose"  # CR read as LF
    assert tree.xpath("//p")[1].text == "café ok"
    # The same removal as `str.translate` with a deletion table, on every code point below 0x100.
    every = "".join(map(chr, range(0x100)))
    table = dict.fromkeys(map(ord, controls))
    html = parse_html(f"<html><body><p>{every.replace('<', '').replace('&', '')}</p></body></html>")
    assert html.xpath("//p")[0].text == every.replace("<", "").replace("&", "").translate(
        table
    ).replace("\r", "\n")
