"""URLs from outside are checked once, up front, by the parser the crawler fetches with
(crawler/url_form.py): what the address check sees is what Scrapy requests."""

from __future__ import annotations

import pytest
from scrapy import Request

from archive.urls import normalize_url
from crawler.address_policy import AddressPolicy, AddressRefused
from crawler.url_form import InvalidUrl, fetch_url, url_key

SAME_AS_SCRAPY = [
    "http://127.0.0.1:18099\\@pub.test/",  # urllib: host pub.test; Scrapy: host 127.0.0.1
    "HTTP://Example.COM/a b",
    "hTtPs://example.com/caf\u00e9\\x?q=\u00fc#frag",
    "http://caf\u00e9.example/",
    "http://example.com:/x",
    "http://[::1]:8080/x",
    "http://example.com/%7Euser/%zz",
]


@pytest.mark.parametrize("url", SAME_AS_SCRAPY)
def test_the_checked_url_is_the_one_scrapy_fetches(url):
    assert fetch_url(url) == Request(url).url


def test_a_backslash_cannot_hide_the_real_host_from_the_check():
    policy = AddressPolicy.of(False, ["127.0.0.2/32"])
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1"):
        policy.check_url("http://127.0.0.1:18099\\@pub.test/")


@pytest.mark.parametrize(("url", "message"), [
    ("javascript:alert(1)", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("/relative", "only http and https"),
    ("http://exa\x00mple.com/", "control character"),
    ("http://example.com/\x00", "control character"),
    ("http://example.com/a\tb", "control character"),
    ("http://example.com/\r\nX-Injected: 1", "control character"),
    ("http://example.com:99999/", "not a valid URL"),
    ("http://example.com:0/", "port 0"),
    ("http://example.com:-1/", "not a valid URL"),
    ("http:///no-host", "no host"),
    ("http://user:secret@example.com/", "user name or password"),
    ("http://exa mple.com/", "not a valid host"),
    ("http://[object Object]/", "not a valid URL"),
    ("http://" + "a" * 3000 + ".com/", "longer than 2048"),
    ("", "empty"),
])  # fmt: skip
def test_bad_urls_are_refused_up_front(url, message):
    with pytest.raises(InvalidUrl, match=message):
        fetch_url(url)


@pytest.mark.parametrize(
    "url", ["HTTP://example.com/x", "Https://example.com/x", "  http://example.com/x  "]
)
def test_the_scheme_is_case_insensitive_and_spaces_around_are_dropped(url):
    assert fetch_url(url).startswith(("http://example.com/x", "https://example.com/x"))


def test_one_key_for_every_spelling_of_one_url():
    spellings = ["http://example.com/a b/story", "HTTP://EXAMPLE.com/a%20b/story", "http://example.com:80/a b/story/",
                 "http://example.com/a b/story#top", "http://example.com/a b/story?utm_source=x",
                 "http://example.com/a%20b/story/index.html"]  # fmt: skip
    assert len({url_key(u) for u in spellings}) == 1
    # Matching a requested URL with what Scrapy fetched: the same key.
    for u in spellings:
        assert url_key(u) == url_key(Request(fetch_url(u)).url) == normalize_url(fetch_url(u))
