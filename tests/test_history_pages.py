"""The browsable history and Memento (RFC 7089) over an archive made by the real
`newsarchive archive` from a raw-socket site whose page is hostile (a title and text that
look like markup, a script in the page): recent changes with filters, keyset pages and a
search box; an article's timeline and the sentence-aligned diff between any two versions;
TimeMap, TimeGate and sandboxed mementos. The application runs in a real uvicorn server on
127.0.0.1 (tests/test_serve_hostile.py's InProcessServer)."""

from __future__ import annotations

import http.client
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsarchive.serve import memento
from tests.conftest import MIRROR_CONFIG, run_cli
from tests.hostile_server import RawServer, article
from tests.test_serve_hostile import InProcessServer

pytestmark = pytest.mark.timeout(240)

TITLE_HTML = "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Council &amp; mayor agree budget"
TITLE = "<script>alert('t')</script> Council & mayor agree budget"
HEAD = (
    '<meta property="article:published_time" content="2024-01-01T08:00:00Z">'
    "<script>document.title = 'pwned'; window.pwned = 1;</script>"
)
PARAS_1 = [
    "The city council approved the budget on Monday after a long debate about school funding.",
    "The vote was 7 to 2, with two members absent from the chamber for the final reading.",
    "Residents filled the gallery &lt;img src=x onerror=alert(2)&gt; and cheered the result.",
    "The mayor said the plan would take effect in July and promised more money for parks.",
]
PARAS_2 = [PARAS_1[3], PARAS_1[0], PARAS_1[1].replace("7 to 2", "6 to 3"), PARAS_1[2]]
PATH = "/2024/01/01/budget"


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """Two versions of the hostile page (the second moves a paragraph and changes a figure)."""
    tmp = tmp_path_factory.mktemp("history-pages")
    data, config = tmp / "data", tmp / "c.toml"
    config.write_text(MIRROR_CONFIG)
    with RawServer() as site:
        url = site.url + PATH
        for paras in (PARAS_1, PARAS_2):
            site.routes[PATH] = article(TITLE_HTML, paras, extra_head=HEAD)
            result = run_cli(
                "archive", url, "--json", "--no-progress", data_dir=data, config=config
            )
            assert result.returncode == 0, result.stdout + result.stderr
    [row] = json.loads(result.stdout)["results"]
    assert row["version"] == 2 and row["outcome"] == "edit", row
    history = json.loads(run_cli("history", url, "--json", data_dir=data, config=config).stdout)
    assert history["versions"][0]["title"] == TITLE
    return data, row["article_id"], history


@pytest.fixture
def server(archived, tmp_path):
    config = tmp_path / "serve.toml"
    config.write_text(MIRROR_CONFIG + "\n[serve]\npage_size = 1\n")
    started = InProcessServer(archived[0], config)
    yield started
    started.stop()


def request(server: InProcessServer, path: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request, redirects not followed."""
    parts = urlsplit(server.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def page(server: InProcessServer, path: str, status: int = 200) -> str:
    code, headers, body = request(server, path)
    assert code == status, (path, body[:500])
    assert headers["content-type"].startswith("text/html")
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none' covers it
    return body.decode()


def assert_escaped(html: str) -> None:
    """No archived markup became markup: the hostile title and text are text."""
    assert "<script>alert" not in html and "<img src=x" not in html and "pwned" not in html
    assert "<script" not in html.lower()


# -- recent changes, filters, paging, search ------------------------------------------------
def test_recent_changes_are_escaped_paged_and_filtered(server, archived):
    _, article_id, history = archived
    first = page(server, "/")
    assert_escaped(first)
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in first or "&lt;script&gt;" in first
    assert "v2 edit" in first and "v1 new" not in first  # page_size = 1: one per page
    v2_types = history["versions"][1]["edit_types"]
    assert v2_types and all(f"<span>{t}</span>" in first for t in v2_types)
    cursor = re.search(r'href="/\?cursor=([^"&]+)"', first)
    assert cursor, first
    second = page(server, f"/?cursor={cursor.group(1)}")
    assert "v1 new" in second and "v2 edit" not in second and 'rel="next"' not in second
    # Filters: edits only, edit type, site, dates; the next page keeps them.
    assert "v2 edit" in page(server, "/?edits=1") and "No versions match" in page(
        server, "/?edits=1&cursor=" + cursor.group(1)
    )
    assert "v2 edit" in page(server, f"/?type={v2_types[0]}")
    assert "No versions match" in page(server, "/?type=rewrite") or "rewrite" in v2_types
    assert "No versions match" in page(server, "/?site=no-such-site")
    assert "No versions match" in page(server, "/?since=2999-01-01")
    assert "v2 edit" in page(server, "/?until=2999-01-01&since=2000-01-01")
    bad = page(server, "/?cursor=not-a-cursor", status=400)
    assert "not a cursor" in bad
    assert "edits only" in first and 'name="q"' in first  # the form


def test_the_search_box_shows_highlighted_escaped_results(server, archived):
    _, article_id, _ = archived
    html = page(server, "/?q=gallery")
    assert_escaped(html)
    assert "<mark>gallery</mark>" in html and f"/articles/{article_id}" in html
    assert "of 2 matching version(s)" in html
    removed = page(server, "/?q=%227+to+2%22&in=removed")  # the figure the edit changed
    assert "version 2" in removed and "<mark>" in removed
    assert "No versions match" in page(server, "/?q=nonexistentword")
    error = page(server, "/?q=%25", status=400)  # nothing to search for
    assert 'class="error"' in error
    hostile = page(server, "/?q=%3Cscript%3Ealert")
    assert_escaped(hostile)
    assert "&lt;script" in hostile


# -- the article page ----------------------------------------------------------------------
def test_the_article_page_has_a_timeline_and_the_diff_between_any_two(server, archived):
    _, article_id, history = archived
    html = page(server, f"/articles/{article_id}")
    assert_escaped(html)
    timeline = html[
        html.index('id="timeline"') : html.index("</table>", html.index('id="timeline"'))
    ]
    assert timeline.count("<tr>") == 3  # a header and two versions
    for record in history["versions"]:
        assert record["captured_at"] in timeline
        assert ", ".join(record["authors"]).replace("&", "&amp;") in timeline
        for t in record["edit_types"]:
            assert f"<span>{t}</span>" in timeline
    assert "2024-01-01" in timeline  # the published date
    # The moved paragraph is a move, the changed figure a word change.
    assert "Changes from version 1 to version 2" in html
    assert 'class="move"' in html and 'class="move-origin"' in html
    assert "The vote was <del>7</del> <ins>6</ins>" in html
    # Any two, either order.
    backwards = page(server, f"/articles/{article_id}?from=2&to=1")
    assert "Changes from version 2 to version 1" in backwards
    # Each version links to its archived response (a Memento URI-M).
    links = re.findall(r'href="(/memento/\d{14}/[^"]+)"', html)
    assert len(links) == 2
    code, headers, _ = request(server, links[0].replace("&amp;", "&"))
    assert code == 200 and "sandbox" in headers["content-security-policy"]


# -- Memento -------------------------------------------------------------------------------
LINK = re.compile(r'\s*<([^>]*)>((?:\s*;\s*[a-zA-Z]+\s*=\s*(?:"[^"]*"|[^;,\s]*))*)\s*(?:,|$)')
PARAM = re.compile(r';\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


def parse_links(text: str) -> list[tuple[str, dict[str, str]]]:
    """RFC 6690 link-format / RFC 8288 Link header values: [(uri, {param: value})]. Strict:
    the whole text must be links (a stray character fails)."""
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = LINK.match(text, pos)
        assert m and m.end() > pos, f"not link-format at {text[pos : pos + 60]!r}"
        out.append((m.group(1), {p[0]: p[1] or p[2] for p in PARAM.findall(m.group(2))}))
        pos = m.end()
    return out


RFC_7089_TIMEMAP = """<http://a.example.org>;rel="original",
<http://arxiv.example.net/timemap/http://a.example.org>
  ; rel="self";type="application/link-format"
  ; from="Tue, 20 Jun 2000 18:02:59 GMT"
  ; until="Wed, 09 Apr 2008 20:30:51 GMT",
<http://arxiv.example.net/timegate/http://a.example.org>
  ; rel="timegate",
<http://arxiv.example.net/web/20000620180259/http://a.example.org>
  ; rel="first memento";datetime="Tue, 20 Jun 2000 18:02:59 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20091027204954/http://a.example.org>
   ; rel="last memento";datetime="Tue, 27 Oct 2009 20:49:54 GMT"
   ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20000621011731/http://a.example.org>
  ; rel="memento";datetime="Wed, 21 Jun 2000 01:17:31 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20000621044156/http://a.example.org>
  ; rel="memento";datetime="Wed, 21 Jun 2000 04:41:56 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/"
"""


def check_timemap(links: list[tuple[str, dict[str, str]]], *, span: bool = True) -> dict[str, list]:
    """What RFC 7089 section 5 asks of a TimeMap; returns the links by relation type.
    `span`: `from`/`until` are the first and last mementos' (ours; the RFC's example
    TimeMap is one page of a longer one, its `until` is not its last memento's)."""
    by_rel: dict[str, list] = {}
    for target, params in links:
        for rel in params["rel"].split():
            by_rel.setdefault(rel, []).append((target, params))
    assert len(by_rel["original"]) == 1 and len(by_rel["timegate"]) == 1
    [(_, self_params)] = by_rel["self"]
    assert self_params["type"] == "application/link-format"
    assert by_rel["memento"] and len(by_rel["first"]) == 1 and len(by_rel["last"]) == 1
    for _, params in by_rel["memento"]:
        assert parsedate_to_datetime(params["datetime"]).tzinfo is not None
        assert params["datetime"].endswith(" GMT")
    times = [parsedate_to_datetime(p["datetime"]) for _, p in by_rel["memento"]]
    assert parsedate_to_datetime(by_rel["first"][0][1]["datetime"]) == min(times)
    assert parsedate_to_datetime(by_rel["last"][0][1]["datetime"]) == max(times)
    if span:
        assert parsedate_to_datetime(self_params["from"]) == min(times)
        assert parsedate_to_datetime(self_params["until"]) == max(times)
    return by_rel


def test_the_rfc_7089_example_timemap_passes_the_same_checks():
    by_rel = check_timemap(parse_links(RFC_7089_TIMEMAP), span=False)
    assert len(by_rel["memento"]) == 4


def test_timemap_of_an_archived_url(server, archived):
    _, _, history = archived
    url = history["url"]
    code, headers, body = request(server, f"/timemap/link/{url}")
    assert code == 200 and headers["content-type"] == "application/link-format"
    by_rel = check_timemap(parse_links(body.decode()))
    assert by_rel["original"][0][0] == url
    assert by_rel["timegate"][0][0] == f"{server.base}/timegate/{url}"
    assert by_rel["self"][0][0] == f"{server.base}/timemap/link/{url}"
    stamps = [memento.timestamp(datetime.fromisoformat(v["captured_at"].replace("Z", "+00:00")))
              for v in history["versions"]]  # fmt: skip
    assert [t for t, _ in by_rel["memento"]] == [f"{server.base}/memento/{s}/{url}" for s in stamps]
    assert request(server, "/timemap/link/http://127.0.0.1:9/never-archived")[0] == 404


def test_timegate_redirects_to_the_closest_memento(server, archived):
    _, _, history = archived
    url = history["url"]
    times = [datetime.fromisoformat(v["captured_at"].replace("Z", "+00:00")).replace(microsecond=0)
             for v in history["versions"]]  # fmt: skip
    stamps = [memento.timestamp(t) for t in times]
    cases = [
        ("Tue, 01 Jan 2000 00:00:00 GMT", stamps[0]),  # before the first: the first
        ("Fri, 01 Jan 2999 00:00:00 GMT", stamps[1]),  # after the last: the last
        (memento.http_date(times[1]), stamps[1]),
        (None, stamps[1]),  # no Accept-Datetime: the newest
    ]
    for accept, expected in cases:
        code, headers, _ = request(
            server, f"/timegate/{url}", {"Accept-Datetime": accept} if accept else {}
        )
        assert code == 302, (accept, headers)
        assert headers["location"] == f"{server.base}/memento/{expected}/{url}"
        assert headers["vary"].lower() == "accept-datetime"
        links = parse_links(headers["link"])
        rels = {r for _, p in links for r in p["rel"].split()}
        assert {"original", "timegate", "timemap", "memento", "first", "last"} <= rels
        chosen = [p for t, p in links if t == headers["location"]]
        assert chosen and "memento" in chosen[0]["rel"].split()
    code, _, body = request(server, f"/timegate/{url}", {"Accept-Datetime": "yesterday"})
    assert code == 400 and b"RFC 1123" in body
    code, headers, _ = request(
        server, f"/timegate/{url}", {"Accept-Datetime": cases[0][0]}, method="HEAD"
    )
    assert code == 302 and headers["location"].endswith(f"/memento/{stamps[0]}/{url}")


def test_a_memento_is_the_archived_response_sandboxed(server, archived):
    _, _, history = archived
    url = history["url"]
    version = history["versions"][0]
    at = datetime.fromisoformat(version["captured_at"].replace("Z", "+00:00")).astimezone(UTC)
    stamp = memento.timestamp(at)
    code, headers, body = request(server, f"/memento/{stamp}/{url}")
    assert code == 200
    # The archived bytes as they were, scripts included: they must not run on this origin.
    assert b"<script>document.title = 'pwned'" in body
    csp = [d.strip() for d in headers["content-security-policy"].split(";")]
    assert "sandbox" in csp  # no allow-scripts, no allow-same-origin: an opaque origin
    assert "default-src 'none'" in csp and not any("script-src" in d for d in csp)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].startswith("text/html")
    assert "set-cookie" not in headers
    assert parsedate_to_datetime(headers["memento-datetime"]) == at.replace(microsecond=0)
    rels = {r for _, p in parse_links(headers["link"]) for r in p["rel"].split()}
    assert {"original", "timegate", "timemap", "memento"} <= rels
    # A timestamp between mementos redirects to the closest one.
    code, headers, _ = request(server, f"/memento/{stamp[:8]}000000/{url}")
    assert code == 302 and headers["location"] == f"{server.base}/memento/{stamp}/{url}"
    assert request(server, f"/memento/2024/{url}")[0] == 400
    assert request(server, f"/memento/{stamp}/http://127.0.0.1:9/never-archived")[0] == 404


def test_link_values_cannot_be_broken_by_an_archived_url():
    links = memento.Links("http://127.0.0.1:1/", 'http://x.test/a>;rel="evil" b\r\nX: y')
    m = memento.Memento(1, datetime(2025, 3, 4, 9, tzinfo=UTC), None)
    header = memento.link_header(links, [m], m)
    assert "\r" not in header and "\n" not in header and '>;rel="evil"' not in header
    parsed = parse_links(header)
    assert [p["rel"] for _, p in parsed] == [
        "original",
        "timegate",
        "timemap",
        "first last memento",
    ]
    parse_links(memento.timemap(links, [m]))


def test_memento_headers_ask_for_a_sandbox_without_scripts():
    csp = memento.MEMENTO_HEADERS["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "allow-" not in csp and "default-src 'none'" in csp


# -- headless Chromium: screenshots of the timeline and a search ------------------------------
def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit, non-interlaced RGB(A) PNG."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw, stride, rows = zlib.decompress(idat), width * bpp, []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def screenshot(url: str, out: Path, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from tests.test_serve import _env

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh test")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-domain-reliability", "--no-pings", "--no-proxy-server", "--hide-scrollbars",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=900,700",
           f"--user-data-dir={tmp_path / 'chromium-shots'}", f"--screenshot={out}", url]  # fmt: skip
    result = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=60, env=_env()
    )
    assert result.returncode == 0 and out.exists(), result.stderr[-2000:]


def assert_not_blank(path: Path) -> None:
    width, height, rows = png_pixels(path.read_bytes())
    assert (width, height) == (900, 700)
    bpp = len(rows[0]) // width
    colours, inked = set(), 0
    for row in rows:
        for x in range(0, len(row), bpp):
            pixel = row[x : x + 3]
            colours.add(pixel)
            inked += pixel != b"\xff\xff\xff"
    assert len(colours) > 20 and inked > width * height // 200, (len(colours), inked)


def test_chromium_renders_the_timeline_and_a_search(server, archived, tmp_path):
    from tests.test_serve import _dump_dom

    _, article_id, history = archived
    timeline_url = f"{server.base}/articles/{article_id}?from=1&to=2"
    dom = _dump_dom(timeline_url, tmp_path)
    assert "Timeline" in dom and "Changes from version 1 to version 2" in dom
    assert "&lt;script&gt;alert('t')&lt;/script&gt; Council &amp; mayor agree budget" in dom
    assert '<span class="move" data-from="3">' in dom and "<span>reorder</span>" in dom
    assert "pwned" not in dom
    search_url = f"{server.base}/?q=gallery"
    dom = _dump_dom(search_url, tmp_path)
    assert "<mark>gallery</mark>" in dom and "1–2 of 2 matching version(s)" in dom
    assert 'value="gallery"' in dom
    for name, url in (("timeline.png", timeline_url), ("search.png", search_url)):
        shot = tmp_path / name
        screenshot(url, shot, tmp_path)
        assert_not_blank(shot)


# -- the search API ------------------------------------------------------------------------
def test_the_search_api_and_the_article_list_use_the_index(server, archived):
    _, article_id, history = archived
    code, _, body = request(server, "/api/search?q=gallery&limit=1")
    assert code == 200
    found = json.loads(body)
    assert found["candidates"] == 2 and found["next_offset"] == 1 and len(found["results"]) == 1
    [hit] = found["results"]
    assert hit["article_id"] == article_id and "<mark>gallery</mark>" in hit["snippet"]
    assert "&lt;img src=x" in hit["snippet"] and "<img" not in hit["snippet"]
    assert hit["links"]["page"].startswith(f"/articles/{article_id}")
    assert hit["edit_types"] in ([], history["versions"][1]["edit_types"])
    code, _, body = request(server, "/api/search?q=gallery&limit=1&offset=1")
    assert json.loads(body)["next_offset"] is None
    code, _, body = request(server, "/api/search?q=%2236+to+3%22&in=added")
    assert code == 200 and json.loads(body)["results"] == []
    code, _, body = request(server, "/api/search?q=%226+to+3%22&in=added")
    assert [(h["version"], h["edit_types"]) for h in json.loads(body)["results"]] == [
        (2, history["versions"][1]["edit_types"])
    ]
    for bad in ("q=%25", "q=flood&in=sideways", "q=flood&since=yesterday"):
        code, headers, body = request(server, "/api/search?" + bad)
        assert code == 400 and headers["content-type"] == "application/json", bad
        assert json.loads(body)["error"]
    code, _, body = request(server, "/api/articles?q=gallery")
    assert [i["article_id"] for i in json.loads(body)["items"]] == [article_id]
