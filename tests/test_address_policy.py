"""Which addresses the HTTP service may fetch: classification as pure functions. Nothing
here opens a connection or resolves a name through the network (resolvers are fakes)."""

from __future__ import annotations

import pytest

from crawler.address_policy import (
    AddressRefused,
    check_host,
    check_url,
    is_public_address,
    parse_networks,
)

PRIVATE = [
    "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.1", "192.168.1.1",
    "169.254.169.254",  # cloud metadata service
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.254",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
    "192.0.2.1", "198.51.100.7", "203.0.113.9",  # documentation ranges
    "::1", "::", "fc00::1", "fd12:3456:789a::1", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111",
          "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"]  # fmt: skip


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_global_addresses_are_public(address):
    assert is_public_address(address)


def fake_resolver(table):
    def resolve(host):
        if host not in table:
            raise AddressRefused(f"refused: cannot resolve {host!r}")
        return table[host]

    return resolve


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    resolve = fake_resolver({"news.example": ["93.184.215.14", "2606:2800:21f:cb07::1"],
                             "rebind.example": ["93.184.215.14", "10.0.0.5"],
                             "meta.example": ["169.254.169.254"]})  # fmt: skip
    assert check_host("news.example", resolve=resolve) == ["93.184.215.14", "2606:2800:21f:cb07::1"]
    with pytest.raises(AddressRefused, match=r"refused: rebind\.example resolves to a private address \(10\.0\.0\.5\)"):
        check_host("rebind.example", resolve=resolve)
    with pytest.raises(AddressRefused, match="169.254.169.254"):
        check_url("http://meta.example/latest/meta-data/", resolve=resolve)
    with pytest.raises(AddressRefused, match="cannot resolve"):
        check_url("https://unknown.example/", resolve=resolve)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/", "http://[::1]:8080/x", "http://10.1.2.3/", "https://192.168.0.1/admin",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00::5]/", "http://0.0.0.0:80/",
    "http://[::ffff:127.0.0.1]/", "http://100.64.1.1/",
])  # fmt: skip
def test_urls_with_private_ip_literals_are_refused_without_resolving(url):
    def no_resolver(host):
        raise AssertionError(f"{host} should not need a resolver")

    with pytest.raises(AddressRefused, match="private address"):
        check_url(url, resolve=no_resolver)  # IP literals are classified as they are


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/",
                                 "javascript:alert(1)", "data:text/html,x", "/relative/path", "http:///nohost",
                                 "http://example.org:99999/"])  # fmt: skip
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(AddressRefused):
        check_url(url, allow_private=True)


def test_the_allowance_and_allowed_networks():
    check_url("http://127.0.0.1:8000/", allow_private=True)
    check_url("http://10.0.0.7/", allowed=parse_networks(["10.0.0.0/24"]))
    with pytest.raises(AddressRefused):
        check_url("http://10.0.1.7/", allowed=parse_networks(["10.0.0.0/24"]))
    check_url("http://[fd00::1]/", allowed=parse_networks(["fd00::/64"]))
    with pytest.raises(ValueError, match="not an IP address or network"):
        parse_networks(["10.0.0.0/33"])


def test_public_ip_literal_passes_without_a_connection():
    def no_resolver(host):
        raise AssertionError(f"{host} should not need a resolver")

    check_url("https://93.184.215.14/story", resolve=no_resolver)  # classified, never contacted
    check_url("https://[2606:4700:4700::1111]/", resolve=no_resolver)


def test_the_archive_child_enables_the_guard_only_when_asked(monkeypatch):
    from archive.config import Config
    from crawler.scrapy_settings import build_settings

    monkeypatch.delenv("NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES", raising=False)
    guard = "crawler.middlewares.address_guard.AddressGuardMiddleware"
    assert "DOWNLOADER_MIDDLEWARES" not in build_settings(Config())
    monkeypatch.setenv("NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", "127.0.0.2/32")
    settings = build_settings(Config())
    assert settings["DOWNLOADER_MIDDLEWARES"] == {guard: 50}
    assert settings["NEWSARCHIVE_ALLOWED_NETWORKS"] == ["127.0.0.2/32"]


def test_a_refused_fetch_is_recorded_as_address_refused():
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from archive.outcomes import is_error
    from crawler.extensions.warc_capture import classify_failure

    failure = Failure(IgnoreRequest("refused: localhost resolves to a private address (127.0.0.1)"))
    assert classify_failure(failure) == ("address-refused", False)
    assert is_error("address-refused")
