"""URL normalisation and article identity (archive/urls.py)."""

from __future__ import annotations

import hashlib
import re

import pytest

from archive.urls import article_id_for, normalize_url, strip_fragment


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host lower-cased, path case kept
        (
            "HTTPS://Lite.CNN.com/2024/01/05/Politics/Story",
            "https://lite.cnn.com/2024/01/05/Politics/Story",
        ),
        # default ports dropped, others kept
        ("http://text.npr.org:80/nx-s1-1", "http://text.npr.org/nx-s1-1"),
        ("https://text.npr.org:443/nx-s1-1", "https://text.npr.org/nx-s1-1"),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        # fragment dropped
        ("https://example.com/a#comments", "https://example.com/a"),
        # tracking parameters dropped, others kept in order
        (
            "https://example.com/a?utm_source=x&id=3&UTM_Medium=y&fbclid=z&page=2",
            "https://example.com/a?id=3&page=2",
        ),
        ("https://example.com/a?gclid=1&ref=home&cmpid=c&icid=i", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("https://example.com/a?flag", "https://example.com/a?flag="),
        # index.html and trailing slashes
        (
            "https://lite.cnn.com/2024/01/05/story/index.html",
            "https://lite.cnn.com/2024/01/05/story",
        ),
        ("https://lite.cnn.com/index.html", "https://lite.cnn.com/"),
        ("https://example.com/section/", "https://example.com/section"),
        ("https://example.com/section//", "https://example.com/section"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com?x=1", "https://example.com/?x=1"),
        # IPv6 hosts keep their brackets
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://[2001:DB8::1]/a", "http://[2001:db8::1]/a"),
        # surrounding whitespace
        ("  https://example.com/a \n", "https://example.com/a"),
        # percent-encoding, as w3lib's canonicalize_url: unreserved characters decoded,
        # other escapes kept with upper-case hex, what must be escaped escaped (UTF-8)
        ("https://example.com/a%7Eb", "https://example.com/a~b"),
        ("https://example.com/%41%2d%5F%2E%7e%31", "https://example.com/A-_.~1"),
        ("https://example.com/a%2fb%3b%3F%25", "https://example.com/a%2Fb%3B%3F%25"),
        ("https://example.com/a%3db%40", "https://example.com/a%3Db%40"),
        ("https://example.com/r%c3%a9sum%c3%a9", "https://example.com/r%C3%A9sum%C3%A9"),
        ("https://example.com/résumé", "https://example.com/r%C3%A9sum%C3%A9"),
        ("https://example.com/a b/100%", "https://example.com/a%20b/100%25"),
        ("https://example.com/a:b@c!$&'()*+,;=|", "https://example.com/a:b@c!$&'()*+,;=|"),
        ("https://example.com/x?q=a%7Eb&r=%2f", "https://example.com/x?q=a~b&r=%2F"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Lite.CNN.com:443/2024/01/05/story/index.html?utm_source=x#top",
        "http://[::1]:8080/a/?b=2&a=1",
        "https://example.com/a?q=a+b&r=%2F&s=caf%C3%A9",
        "https://example.com/",
        "https://example.com/a%7eb/%2f/r%c3%a9/é/100%/a b",
    ],
)
def test_normalize_url_is_idempotent(url):
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_variants_of_one_story_are_one_article():
    variants = [
        "https://lite.cnn.com/2024/01/05/politics/story",
        "https://lite.cnn.com/2024/01/05/politics/story/",
        "https://lite.cnn.com/2024/01/05/politics/story/index.html",
        "HTTPS://LITE.CNN.COM:443/2024/01/05/politics/story?utm_source=feed#top",
    ]
    ids = {article_id_for(u) for u in variants}
    assert len(ids) == 1


def test_percent_encoded_spellings_of_one_url_are_one_article():
    """`a%7Eb` and `a~b` are one URL (RFC 3986 §6.2.2.2): one article id (migration 0006
    re-identifies articles archived under the old rule)."""
    assert article_id_for("https://example.com/a%7Eb") == article_id_for("https://example.com/a~b")
    assert article_id_for("https://example.com/a%7eb") == article_id_for("https://example.com/a~b")
    assert article_id_for("https://example.com/r%c3%a9") == article_id_for("https://example.com/ré")
    # An escaped reserved character is not the character: two resources.
    assert article_id_for("https://example.com/a%2Fb") != article_id_for("https://example.com/a/b")
    assert article_id_for("https://example.com/a%2fb") == article_id_for(
        "https://example.com/a%2Fb"
    )


def test_different_stories_are_different_articles():
    assert article_id_for("https://text.npr.org/nx-s1-1") != article_id_for(
        "https://text.npr.org/nx-s1-2"
    )
    assert article_id_for("https://text.npr.org/a?id=1") != article_id_for(
        "https://text.npr.org/a?id=2"
    )
    assert article_id_for("http://example.com/a") != article_id_for("https://example.com/a")
    # Path case is significant on most servers.
    assert article_id_for("https://example.com/A") != article_id_for("https://example.com/a")


def test_article_id_is_16_hex_digits_of_the_sha256_of_the_normalised_url():
    url = "https://Lite.CNN.com/2024/01/05/story/?utm_campaign=x"
    article_id = article_id_for(url)
    assert re.fullmatch(r"[0-9a-f]{16}", article_id)
    expected = hashlib.sha256(b"https://lite.cnn.com/2024/01/05/story").hexdigest()[:16]
    assert article_id == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a#b", "https://example.com/a"),
        ("https://example.com/a?q=1#b#c", "https://example.com/a?q=1"),
        ("https://example.com/a#", "https://example.com/a"),
        ("https://example.com/a", "https://example.com/a"),
        ("https://Example.com/A/", "https://Example.com/A/"),  # nothing else changes
    ],
)
def test_strip_fragment(url, expected):
    assert strip_fragment(url) == expected
