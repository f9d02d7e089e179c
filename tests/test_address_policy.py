"""Which addresses the HTTP service may fetch: classification as pure functions, the
connect-time resolver check (crawler/dns_guard.py) with fake upstream resolvers, and a DNS
rebinding end to end. Nothing here opens a connection to anything but loopback or resolves a
name through the network: resolvers are fakes, and the end-to-end child answers its one
made-up name itself (tests/dns_rebinding/sitecustomize.py)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest
from twisted.internet import defer
from twisted.internet._resolver import ComplexResolverSimplifier, SimpleResolverComplexifier
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver, IResolverSimple
from zope.interface import implementer

from crawler.address_policy import (
    AddressRefused,
    CannotResolve,
    check_host,
    check_url,
    is_public_address,
    parse_networks,
)
from tests.conftest import BIN, REPO, SITES, mirror_config_text

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
            raise CannotResolve(f"refused: cannot resolve {host!r}")
        return table[host]

    return resolve


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    resolve = fake_resolver({"news.example": ["93.184.215.14", "2606:2800:21f:cb07::1"],
                             "rebind.example": ["93.184.215.14", "10.0.0.5"],
                             "meta.example": ["169.254.169.254"]})  # fmt: skip
    assert check_host("news.example", resolve=resolve) == ["93.184.215.14", "2606:2800:21f:cb07::1"]
    with pytest.raises(
        AddressRefused,
        match=r"refused: rebind\.example resolves to a private address \(10\.0\.0\.5\)",
    ):
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


def test_every_crawl_runs_under_the_configs_address_policy():
    """No environment switch: build_settings (every command's crawl) always installs the
    guard, with the policy of `[crawl]`."""
    from archive.config import parse_config
    from crawler.scrapy_settings import build_settings

    guard = "crawler.middlewares.address_guard.AddressGuardMiddleware"
    strict = build_settings(parse_config({}, data_dir=Path("d")))
    assert strict["DOWNLOADER_MIDDLEWARES"] == {
        guard: 50,
        "crawler.dns_guard.ResolverRefusalMiddleware": 555,
    }
    assert strict["NEWSARCHIVE_ADDRESS_POLICY"] == "public"
    # The connect-time check: the reactor's resolver wraps Scrapy's default one.
    assert strict["TWISTED_DNS_RESOLVER"] == "crawler.dns_guard.GuardedResolver"
    assert strict["NEWSARCHIVE_DNS_UPSTREAM"] == "scrapy.resolver.CachingThreadedResolver"
    mirror = build_settings(parse_config({"crawl": {"allowed_networks": ["127.0.0.2", "10.0.0.0/8"]}},
                                         data_dir=Path("d")))  # fmt: skip
    assert mirror["NEWSARCHIVE_ADDRESS_POLICY"] == "public+10.0.0.0/8,127.0.0.2/32"
    assert mirror["TWISTED_DNS_RESOLVER"] == "crawler.dns_guard.GuardedResolver"
    anything = build_settings(
        parse_config({"crawl": {"allow_private_addresses": True}}, data_dir=Path("d"))
    )
    assert anything["NEWSARCHIVE_ADDRESS_POLICY"] == "any"
    # Nothing for the resolver to refuse; the middleware still checks schemes and the
    # narrower policy a recheck's request carries.
    assert (
        anything["DOWNLOADER_MIDDLEWARES"] == {guard: 50} and "TWISTED_DNS_RESOLVER" not in anything
    )


def test_policies_narrow_and_round_trip():
    from crawler.address_policy import AddressPolicy

    strict, mirror, wide, anything = (AddressPolicy(), AddressPolicy.of(False, ["127.0.0.1"]),
                                      AddressPolicy.of(False, ["127.0.0.0/8", "10.1.0.0/16"]), AddressPolicy(True))  # fmt: skip
    for policy in (strict, mirror, wide, anything):
        assert AddressPolicy.parse(policy.spec) == policy
    assert AddressPolicy.parse(None) is None and AddressPolicy.parse("") is None
    with pytest.raises(ValueError, match="not an address policy"):
        AddressPolicy.parse("everything")
    assert wide.spec == "public+10.1.0.0/16,127.0.0.0/8"
    # What both allow: never wider than either.
    assert wide.narrowed(mirror) == mirror.narrowed(wide) == mirror
    assert wide.narrowed(strict) == strict and anything.narrowed(strict) == strict
    assert anything.narrowed(mirror) == mirror and mirror.narrowed(anything) == mirror
    assert wide.narrowed(AddressPolicy.of(False, ["10.0.0.0/8"])).spec == "public+10.1.0.0/16"
    assert wide.narrowed(None) == wide
    assert mirror.allows_address("127.0.0.1") and not mirror.allows_address("127.0.0.2")
    assert strict.allows_address("93.184.215.14") and not strict.allows_address("::1")
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.2"):
        mirror.check_url("http://127.0.0.2:8080/")


@pytest.mark.parametrize("setting", [["not-a-network"], "127.0.0.1", [1]])
def test_bad_allowed_networks_are_config_errors(setting):
    from archive.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=r"allowed_networks"):
        parse_config({"crawl": {"allowed_networks": setting}}, data_dir=Path("d"))


def test_a_refused_fetch_is_recorded_as_address_refused():
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from archive.outcomes import is_error
    from crawler.extensions.warc_capture import classify_failure

    failure = Failure(IgnoreRequest("refused: localhost resolves to a private address (127.0.0.1)"))
    assert classify_failure(failure) == ("address-refused", False)
    assert is_error("address-refused")


# --- The connect-time check: crawler/dns_guard.py -------------------------------------------
# The middleware's own lookup is not the one the connection uses; a DNS-rebinding name
# answers a public address to the first and a private one to the second. The resolver
# checks the answers the connection is handed. Upstream resolvers here are fakes.


@implementer(IResolverSimple)
class SequenceResolver:
    """Answers each name with the next address of its list (the last one from then on)."""

    def __init__(self, answers):
        self.answers = {name: list(addresses) for name, addresses in answers.items()}
        self.asked = []

    def getHostByName(self, name, timeout=()):
        self.asked.append(name)
        if name not in self.answers:
            return defer.fail(DNSLookupError(name))
        queue = self.answers[name]
        return defer.succeed(queue.pop(0) if len(queue) > 1 else queue[0])


@implementer(IResolutionReceiver)
class Collect:
    def __init__(self):
        self.began, self.addresses, self.complete = False, [], False

    def resolutionBegan(self, resolution):
        self.began = True

    def addressResolved(self, address):
        self.addresses.append(address)

    def resolutionComplete(self):
        self.complete = True


def resolve(resolver, name, port=80):
    receiver = Collect()
    resolver.resolveHostName(receiver, name, port)
    assert receiver.began and receiver.complete
    return [address.host for address in receiver.addresses]


@pytest.fixture
def fresh_dns_state(monkeypatch):
    """Scrapy's DNS cache and the guard's refusal log are module globals: isolate them."""
    import scrapy.resolver
    from scrapy.utils.datatypes import LocalCache

    from crawler import dns_guard

    monkeypatch.setattr(scrapy.resolver, "dnscache", LocalCache(100))
    monkeypatch.setattr(dns_guard, "_refusals", LocalCache(100))
    return scrapy.resolver.dnscache


def test_the_resolver_refuses_a_rebinding_answer(fresh_dns_state):
    from crawler.dns_guard import GuardedResolver, refusal_for

    upstream = SequenceResolver({"rebind.example": ["93.184.215.14", "127.0.0.1"]})
    guard = GuardedResolver(None, upstream)
    # The first lookup (say, the middleware's check) is public and passes ...
    assert resolve(guard, "rebind.example") == ["93.184.215.14"]
    assert refusal_for("rebind.example") is None
    # ... the second, the one a connection would use, is loopback: nothing is handed on.
    assert resolve(guard, "rebind.example") == []
    assert refusal_for("REBIND.example.") == (
        "refused: rebind.example resolves to a private address (127.0.0.1) when connecting"
    )
    assert upstream.asked == ["rebind.example", "rebind.example"]
    # reactor.resolver (connectTCP with a host name, e.g. a proxy) goes through the same check.
    simple = ComplexResolverSimplifier(guard)
    failure = simple.getHostByName("rebind.example")
    failures = []
    failure.addErrback(failures.append)
    assert failures and failures[0].check(DNSLookupError)


def test_the_resolver_checks_every_address_and_ip_literals(fresh_dns_state):
    from crawler.dns_guard import GuardedResolver, refusal_for

    upstream = SequenceResolver({"meta.example": ["169.254.169.254"], "news.example": ["93.184.215.14"],
                                 "127.0.0.1": ["127.0.0.1"], "10.0.0.8": ["10.0.0.8"]})  # fmt: skip
    guard = GuardedResolver(None, upstream)
    assert resolve(guard, "news.example", 443) == ["93.184.215.14"]
    assert resolve(guard, "meta.example") == []
    assert "169.254.169.254" in refusal_for("meta.example")
    assert resolve(guard, "127.0.0.1") == []  # a literal host is checked like any answer
    assert resolve(guard, "10.0.0.8") == []
    assert resolve(guard, "unknown.example") == []  # a DNS failure stays one, not a refusal
    assert refusal_for("unknown.example") is None

    # An IHostnameResolver upstream with one public and one private address: all refused.
    @implementer(IHostnameResolver)
    class TwoAddresses:
        def resolveHostName(self, receiver, name, port=0, types=None, semantics="TCP"):
            receiver.resolutionBegan(None)
            receiver.addressResolved(IPv4Address("TCP", "93.184.215.14", port))
            receiver.addressResolved(IPv6Address("TCP", "fd00::1", port))
            receiver.resolutionComplete()

    assert resolve(GuardedResolver(None, TwoAddresses()), "mixed.example") == []
    assert "fd00::1" in refusal_for("mixed.example")


def test_allowed_networks_pass_and_a_later_good_answer_clears_the_refusal(fresh_dns_state):
    from crawler.address_policy import parse_networks
    from crawler.dns_guard import GuardedResolver, refusal_for

    upstream = SequenceResolver(
        {"local.example": ["127.0.0.1"], "flip.example": ["10.1.1.1", "93.184.215.14"]}
    )
    allowed = GuardedResolver(None, upstream, parse_networks(["127.0.0.0/8"]))
    assert resolve(allowed, "local.example", 8080) == ["127.0.0.1"]
    guard = GuardedResolver(None, upstream)
    assert resolve(guard, "flip.example") == [] and refusal_for("flip.example")
    assert resolve(guard, "flip.example") == ["93.184.215.14"]
    assert refusal_for("flip.example") is None


def test_cached_answers_are_checked_too(fresh_dns_state):
    """Scrapy's DNS cache sits upstream of the check: a cached answer is checked on each use."""
    from scrapy.resolver import CachingHostnameResolver, CachingThreadedResolver

    from crawler.dns_guard import GuardedResolver

    dnscache = fresh_dns_state
    # The default resolver (IPv4, IResolverSimple): a cache hit never reaches a thread.
    threaded = CachingThreadedResolver(object(), cache_size=100, timeout=5)
    dnscache["cached.example"] = "127.0.0.1"
    assert resolve(GuardedResolver(None, threaded), "cached.example") == []

    # The IPv6-capable one (IHostnameResolver): first answer public and cached, then the
    # cache entry turns private (as a rebinding answer cached by an earlier lookup would be).
    class Reactor:  # CachingHostnameResolver wraps the reactor's resolver: here, a fake
        nameResolver = SimpleResolverComplexifier(
            SequenceResolver({"cached6.example": ["93.184.215.14"]})
        )

    caching = CachingHostnameResolver(Reactor(), cache_size=100)
    guard = GuardedResolver(None, caching)
    assert resolve(guard, "cached6.example", 443) == ["93.184.215.14"]
    assert [a.host for a in dnscache["cached6.example"]] == ["93.184.215.14"]
    dnscache["cached6.example"] = [IPv4Address("TCP", "169.254.169.254", 0)]
    assert resolve(guard, "cached6.example", 443) == []


def test_the_resolver_is_built_from_settings_and_installed_on_the_reactor(
    fresh_dns_state, monkeypatch
):
    from scrapy.settings import Settings
    from scrapy.utils.misc import build_from_crawler

    from crawler import dns_guard

    class Reactor:
        def __init__(self):
            self.nameResolver = SimpleResolverComplexifier(SequenceResolver({}))

        def installNameResolver(self, resolver):
            self.nameResolver = resolver

    class Process:  # what Scrapy's _setup_reactor passes: the CrawlerProcess, for its settings
        settings = Settings(
            {"NEWSARCHIVE_ADDRESS_POLICY": "public+127.0.0.2/32", "DNSCACHE_ENABLED": True}
        )

    reactor = Reactor()
    guard = build_from_crawler(dns_guard.GuardedResolver, Process(), reactor=reactor)
    guard.install_on_reactor()
    assert reactor.nameResolver is guard
    assert isinstance(guard.upstream, SimpleResolverComplexifier)  # around CachingThreadedResolver
    assert [str(n) for n in guard.policy.networks] == ["127.0.0.2/32"]
    Process.settings.set(dns_guard.UPSTREAM_SETTING, "scrapy.resolver.CachingHostnameResolver")
    guard6 = build_from_crawler(dns_guard.GuardedResolver, Process(), reactor=reactor)
    assert type(guard6.upstream).__name__ == "CachingHostnameResolver"
    Process.settings.set(dns_guard.UPSTREAM_SETTING, dns_guard.RESOLVER)
    with pytest.raises(ValueError, match="not the guard itself"):
        build_from_crawler(dns_guard.GuardedResolver, Process(), reactor=reactor)


def test_a_resolver_refusal_is_reported_as_address_refused_not_retried(
    fresh_dns_state, monkeypatch
):
    import twisted.internet
    from scrapy import Request
    from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
    from twisted.python.failure import Failure

    from crawler.dns_guard import AddressRefusedError, GuardedResolver, ResolverRefusalMiddleware
    from crawler.extensions.warc_capture import classify_failure

    guard = GuardedResolver(None, SequenceResolver({"rebind.example": ["127.0.0.1"]}))
    middleware = ResolverRefusalMiddleware()
    request = Request("http://rebind.example:8080/story")
    # Fails closed while the reactor's resolver is not the guard (never the real reactor here).
    monkeypatch.setattr(
        twisted.internet, "reactor", type("R", (), {"nameResolver": None})(), raising=False
    )
    with pytest.raises(AddressRefusedError, match="connection-time address check is not installed"):
        middleware.process_request(request)
    monkeypatch.setattr(
        twisted.internet, "reactor", type("R", (), {"nameResolver": guard})(), raising=False
    )
    assert middleware.process_request(request) is None

    dns_error = CannotResolveHostError(
        "DNS lookup failed: no results for hostname lookup: rebind.example."
    )
    assert (
        middleware.process_exception(request, dns_error) is None
    )  # not refused (yet): a DNS error
    assert resolve(guard, "rebind.example", 8080) == []
    with pytest.raises(AddressRefusedError) as refused:
        middleware.process_exception(request, dns_error)
    assert isinstance(refused.value, IgnoreRequest)  # RetryMiddleware does not retry it
    assert (
        str(refused.value)
        == "refused: rebind.example resolves to a private address (127.0.0.1) when connecting"
    )
    assert classify_failure(Failure(refused.value)) == ("address-refused", False)
    assert middleware.process_exception(request, ValueError("other")) is None
    assert middleware.process_exception(Request("http://other.example/"), dns_error) is None


def test_the_guard_refuses_to_run_with_a_handler_that_bypasses_the_resolver():
    from scrapy.exceptions import NotConfigured
    from scrapy.settings import Settings

    from crawler.dns_guard import ResolverRefusalMiddleware

    class Crawler:
        def __init__(self, values):
            self.settings = Settings(values)

    with pytest.raises(NotConfigured):  # every address allowed: nothing to refuse
        ResolverRefusalMiddleware.from_crawler(Crawler({"NEWSARCHIVE_ADDRESS_POLICY": "any"}))
    assert ResolverRefusalMiddleware.from_crawler(Crawler({}))  # unset: the strict policy
    assert ResolverRefusalMiddleware.from_crawler(
        Crawler({"NEWSARCHIVE_ADDRESS_POLICY": "public+127.0.0.0/8"})
    )
    other = {
        "https": "scrapy.core.downloader.handlers.datauri.DataURIDownloadHandler"
    }  # any non-HTTP/1.1
    with pytest.raises(ValueError, match="HTTP/1.1 download handler for https"):
        ResolverRefusalMiddleware.from_crawler(Crawler({"DOWNLOAD_HANDLERS": other}))


# --- End to end: a rebinding name in the real `archive` child, no /etc/hosts, no network ----

REBIND_HOOK = Path(__file__).resolve().parent / "dns_rebinding"  # a sitecustomize for the child
REBIND_HOST = "rebind.test"  # RFC 6761: never a real name; answered by the hook only


def _archive_with_rebinding_dns(url: str, *, data_dir: Path, allowed: tuple[str, ...]) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSARCHIVE_")
    }
    env.update({
        "NO_COLOR": "1", "COLUMNS": "200",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REBIND_HOOK), env.get("PYTHONPATH", "")) if p),
        "NEWSARCHIVE_TEST_REBIND_HOST": REBIND_HOST, "NEWSARCHIVE_TEST_REBIND_TO": "127.0.0.1",
    })  # fmt: skip
    config = data_dir.parent / "rebinding.toml"
    config.write_text(
        mirror_config_text(allowed_networks=allowed)
    )  # no loopback opt-in unless `allowed`
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
           "archive", url, "--site", "cnn-lite", "--no-progress", "--json"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, cwd=REPO)
    try:
        return json.loads(result.stdout)["results"][0]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(
            f"archive failed ({result.returncode}): {result.stdout}\n{result.stderr}"
        ) from None


def _captures(data_dir: Path) -> list[dict]:
    from archive.catalog import Catalog

    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.exec_driver_sql("SELECT url, status, outcome FROM captures")
            ]
    finally:
        catalog.close()


def _warc_text(data_dir: Path) -> str:
    return "".join(
        gzip.open(p).read().decode("utf-8", "replace")
        for p in sorted((data_dir / "warc").rglob("*.warc.gz*"))
    )


def _article():
    expected = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
    return expected["articles"][0]


def test_rebinding_to_loopback_is_refused_at_connect_time(serve_site, data_dir):
    site = serve_site("cnn-lite")  # on 127.0.0.1
    port = site.url.rsplit(":", 1)[1].strip("/")
    article = _article()
    url = f"http://{REBIND_HOST}:{port}{article['path']}"
    # The middleware's lookup (and the serve API's) sees 93.184.215.14 and lets the URL
    # through; the lookup the connection uses answers 127.0.0.1 and is refused there.
    result = _archive_with_rebinding_dns(url, data_dir=data_dir, allowed=())
    assert result["outcome"] == "address-refused" and result["version"] is None, result
    assert (
        f"refused: {REBIND_HOST} resolves to a private address (127.0.0.1) when connecting"
        in result["error"]
    )
    assert _captures(data_dir) == [{"url": url, "status": None, "outcome": "address-refused"}]
    warcs = _warc_text(data_dir)
    assert (
        "WARC-Type: response" not in warcs and article["title"] not in warcs
    )  # nothing from the server


def test_rebinding_to_an_allowed_network_is_archived(serve_site, data_dir):
    site = serve_site("cnn-lite")
    port = site.url.rsplit(":", 1)[1].strip("/")
    article = _article()
    url = f"http://{REBIND_HOST}:{port}{article['path']}"
    result = _archive_with_rebinding_dns(url, data_dir=data_dir, allowed=("127.0.0.0/8",))
    assert result["version"] == 1 and result["outcome"] == "new", result
    assert {"url": url, "status": 200, "outcome": "new"} in _captures(data_dir)
    assert article["title"] in _warc_text(data_dir)


def test_the_middleware_refuses_by_address_and_leaves_dns_failures_to_the_connection():
    """A name that does not resolve is a DNS failure (`dns-error` at connect time), not a
    refusal; the verdicts come from the request's policy (narrowed by its meta)."""
    from scrapy import Request

    from crawler.address_policy import AddressPolicy
    from crawler.middlewares.address_guard import (
        META_POLICY,
        AddressGuardMiddleware,
        request_policy,
    )

    resolve = fake_resolver({"news.example": ["93.184.215.14"], "mirror.example": ["127.0.0.1"]})
    guard = AddressGuardMiddleware(AddressPolicy.of(False, ["127.0.0.0/8"]), resolve)
    assert guard.refusal(guard.policy, "news.example") is None
    assert guard.refusal(guard.policy, "mirror.example") is None
    assert guard.refusal(guard.policy, "nowhere.example") is None  # cannot resolve: not a refusal
    strict = request_policy(
        guard.policy, Request("http://mirror.example/", meta={META_POLICY: "public"})
    )
    assert strict == AddressPolicy()
    assert "private address (127.0.0.1)" in guard.refusal(strict, "mirror.example")
    assert "private address" in guard.refusal(strict, "127.0.0.2")
    # An unreadable stored policy is the strictest, never the widest.
    assert (
        request_policy(guard.policy, Request("http://x/", meta={META_POLICY: "nonsense"}))
        == AddressPolicy()
    )


def test_ip_literal_verdicts_are_kept_per_policy():
    """An IP literal's verdict is remembered for the crawl (nothing to resolve), per policy:
    a request under a narrower policy is never served the crawl policy's verdict."""
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest

    from crawler.address_policy import AddressPolicy
    from crawler.middlewares.address_guard import META_POLICY, AddressGuardMiddleware

    def run(guard: AddressGuardMiddleware, request: Request) -> str | None:
        coroutine = guard.process_request(request)
        try:
            coroutine.send(None)  # an IP literal needs no thread: it completes at once
        except StopIteration:
            return None
        except IgnoreRequest as exc:
            return str(exc)
        raise AssertionError("an IP literal's check waited on something")

    guard = AddressGuardMiddleware(AddressPolicy.of(False, ["127.0.0.0/8"]), fake_resolver({}))
    for _ in range(3):
        assert run(guard, Request("http://127.0.0.2/a")) is None
        refused = run(guard, Request("http://127.0.0.2/b", meta={META_POLICY: "public"}))
        assert refused is not None and "private address" in refused
        assert "private address" in (run(guard, Request("http://10.0.0.1/")) or "")
