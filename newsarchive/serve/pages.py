"""Server-rendered HTML: recent changes (filters, keyset paging, a search box with
highlighted results), and one article's timeline of versions with the sentence-aligned diff
between any two and links to the archived responses. No scripts, no build step; every
value from the archive is escaped (the search index's snippets come escaped, marks added)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import zip_longest
from typing import Any
from urllib.parse import quote

from archive.diff_align import align, to_html, word_diff
from archive.diffs import Budget, bounded_opcodes, paragraphs
from archive.edit_types import EDIT_TYPES

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 2rem;color:#222}
a{color:#0645ad}table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;vertical-align:top;
text-align:left;border-bottom:1px solid #ddd}th{background:#f4f4f4}.muted{color:#666;font-size:.9em}
table.diff td{width:50%}ins{background:#d4f7d4;text-decoration:none}del{background:#fbd3d3}
tr.removed td.old{background:#fff0f0}tr.added td.new{background:#f0fff0}tr.changed td{background:#fffbe6}
form{margin:1rem 0}select,button,input{font:inherit}form.filters label{margin-right:.8rem;white-space:nowrap}
mark{background:#ffe066}.types span{display:inline-block;background:#eef;border-radius:.3rem;padding:0 .3rem;
margin:0 .2rem .2rem 0;font-size:.85em}.hit{margin:1rem 0;border-bottom:1px solid #ddd;padding-bottom:.5rem}
.hit h3{margin:.2rem 0;font-size:1.05em}.aligned p{margin:.5rem 0}.aligned .move{background:#e6f0ff}
.aligned .move-origin{background:#eef;text-decoration:line-through;color:#557}.aligned .replace{background:#fffbe6}
.pager{margin:1rem 0}.error{color:#a00;font-weight:bold}
"""


def _page(title: str, body: str, feed: str = "/feeds/changes") -> str:
    """A page; `feed`: its change feed's path without the extension (announced in the head
    for readers' feed discovery, and linked)."""
    feeds = (f'<link rel="alternate" type="application/atom+xml" title="Atom" href="{escape(feed)}.atom">'
             f'<link rel="alternate" type="application/feed+json" title="JSON Feed" href="{escape(feed)}.json">')  # fmt: skip
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style>{feeds}</head>'
            f'<body><p class="muted"><a href="/">newsarchive</a> · <a href="/docs">API</a> · '
            f'<a href="{escape(feed)}.atom">feed</a></p>{body}</body></html>')  # fmt: skip


def _article_href(article_id: str, **params: Any) -> str:
    query = "&".join(f"{k}={quote(str(val))}" for k, val in params.items() if val is not None)
    return f"/articles/{quote(article_id)}" + (f"?{query}" if query else "")


def _stats(added: Any, removed: Any) -> str:
    if added is None and removed is None:
        return ""
    return f"<ins>+{int(added or 0)}</ins> <del>−{int(removed or 0)}</del>"


def _types(types: list[str] | None) -> str:
    if types is None:
        return '<span class="muted">not computed</span>'
    return "".join(f"<span>{escape(t)}</span>" for t in types) or '<span class="muted">—</span>'


def _query_string(params: dict[str, Any]) -> str:
    return "&".join(
        f"{quote(k)}={quote(str(val))}" for k, val in params.items() if val not in (None, "", False)
    )


@dataclass
class IndexQuery:
    """The recent-changes page's form, as given (echoed back escaped)."""

    q: str = ""
    scope: str = "any"
    site: str = ""
    edit_type: str = ""
    since: str = ""
    until: str = ""
    edits_only: bool = False

    def params(self) -> dict[str, Any]:
        return {"q": self.q, "in": self.scope if self.q and self.scope != "any" else "", "site": self.site,
                "type": self.edit_type, "since": self.since, "until": self.until,
                "edits": "1" if self.edits_only else ""}  # fmt: skip


def _options(values: list[str], chosen: str, blank: str) -> str:
    items = [f'<option value="">{escape(blank)}</option>']
    items += [
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(v)}</option>'
        for v in values
    ]
    return "".join(items)


def _filter_form(form: IndexQuery, sites: list[str]) -> str:
    scopes = [
        ("any", "title, byline, text"),
        ("added", "text an edit added"),
        ("removed", "text an edit removed"),
    ]
    scope_options = "".join(f'<option value="{k}"{" selected" if k == form.scope else ""}>{v}</option>'
                            for k, v in scopes)  # fmt: skip
    return (
        '<form class="filters" method="get" action="/" role="search">'
        f'<p><label>Search <input type="search" name="q" value="{escape(form.q)}" size="40" '
        'placeholder="words, &quot;a phrase&quot;, a OR b, -not, prefix*"></label>'
        f'<label>in <select name="in">{scope_options}</select></label> <button>search</button></p>'
        f'<p><label>site <select name="site">{_options(sites, form.site, "all sites")}</select></label>'
        f'<label>edit type <select name="type">{_options(list(EDIT_TYPES), form.edit_type, "any")}</select></label>'
        f'<label>from <input type="date" name="since" value="{escape(form.since)}"></label>'
        f'<label>to <input type="date" name="until" value="{escape(form.until)}"></label>'
        f'<label><input type="checkbox" name="edits" value="1"{" checked" if form.edits_only else ""}> edits only</label>'
        "<button>filter</button></p></form>"
    )  # fmt: skip


def _change_href(c: dict[str, Any]) -> str:
    return _article_href(
        c["article_id"],
        **({"from": c["version"] - 1, "to": c["version"]} if c["version"] > 1 else {}),
    )


def index_page(changes: list[dict[str, Any]], *, form: IndexQuery | None = None, sites: list[str] | None = None,
               next_cursor: str | None = None, results: Any = None, offset: int = 0, limit: int = 20,
               error: str | None = None, unhealthy: list[dict[str, Any]] | None = None) -> str:  # fmt: skip
    """Recent changes across the archive, newest first, or the results of a search; first the
    sites that look broken (newsarchive/notify/health.py)."""
    form = form or IndexQuery()
    broken = "".join(
        f"<li><strong>{escape(h['site'])}</strong> <span class=muted>since {escape(str(h['since'])[:19])}</span>: "
        f"{escape('; '.join(h['reasons']))}</li>"
        for h in unhealthy or []
    )  # fmt: skip
    health = f"<h2>Sites that look broken</h2><ul class=health>{broken}</ul>" if broken else ""
    body = f"<h1>{'Search' if form.q else 'Recent changes'}</h1>{health}{_filter_form(form, sites or [])}"
    if error:
        body += f'<p class="error">{escape(error)}</p>'
    elif results is not None:
        body += _results(results, form, offset, limit)
    else:
        rows = "".join(
            f"<tr><td class=muted>{escape(c['captured_at'] or '')}</td><td>{escape(c['site'])}</td>"
            f'<td><a href="{escape(_change_href(c))}">{escape(c["title"] or c["url"])}</a>'
            f"<br><span class=muted>{escape(', '.join(c.get('authors') or []))}</span></td>"
            f"<td>v{c['version']} {escape(c['change'] or '')}"
            f" <span class=muted>{escape(', '.join(c['changed_fields']))}</span></td>"
            f"<td class=types>{_types(c.get('edit_types'))}</td>"
            f"<td>{_stats(c['chars_added'], c['chars_removed'])}</td></tr>"
            for c in changes
        )  # fmt: skip
        body += ("<table><tr><th>captured</th><th>site</th><th>article</th><th>version</th><th>edit types</th>"
                 f"<th>chars</th></tr>{rows}</table>") if changes else "<p>No versions match.</p>"  # fmt: skip
        if next_cursor:
            href = "/?" + _query_string({**form.params(), "cursor": next_cursor})
            body += f'<p class="pager"><a rel="next" href="{escape(href)}">older changes →</a></p>'
    return _page("newsarchive: " + ("search" if form.q else "recent changes"), body)


def _results(results: Any, form: IndexQuery, offset: int, limit: int) -> str:
    """Search hits: title and snippet with the matches marked (the index escaped them)."""
    if not results.hits:
        return "<p>No versions match.</p>"
    items = []
    for hit in results.hits:
        href = _article_href(
            hit.article_id,
            **({"from": hit.version - 1, "to": hit.version} if hit.version > 1 else {}),
        )
        captured = hit.captured_at.strftime("%Y-%m-%d %H:%M UTC")
        items.append(
            f'<div class="hit"><h3><a href="{escape(href)}">{hit.title_html or escape(hit.url or hit.article_id)}</a></h3>'
            f"<p class=muted>{escape(hit.site)} · version {hit.version} · {escape(captured)} "
            f'<span class="types">{_types(hit.edit_types)}</span></p><p class="snippet">{hit.snippet}</p></div>'
        )  # fmt: skip
    summary = f"<p class=muted>{offset + 1}–{offset + len(results.hits)} of {results.candidates} matching version(s)"
    summary += " (the newest were ranked: narrow the dates to reach back)" if results.capped else ""
    pager = []
    if offset > 0:
        pager.append(
            f'<a rel="prev" href="{escape("/?" + _query_string({**form.params(), "offset": max(0, offset - limit)}))}">← better matches</a>'
        )
    if results.candidates > offset + len(results.hits) and len(results.hits) == limit:
        pager.append(
            f'<a rel="next" href="{escape("/?" + _query_string({**form.params(), "offset": offset + limit}))}">more results →</a>'
        )
    return summary + "</p>" + "".join(items) + (f'<p class="pager">{" · ".join(pager)}</p>' if pager else "")  # fmt: skip


@dataclass
class DiffRow:
    kind: str  # equal, removed, added, changed
    old: str  # HTML (escaped, with <del>)
    new: str  # HTML (escaped, with <ins>)


def _words(old: str, new: str, budget: Budget) -> tuple[str, str]:
    a, b = old.split(" "), new.split(" ")
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in bounded_opcodes(a, b, budget):
        old_part, new_part = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return " ".join(left), " ".join(right)


def side_by_side(
    old_text: str | None, new_text: str | None, budget: Budget | None = None
) -> list[DiffRow]:
    """Paragraph-aligned rows; a changed paragraph shows its removed and added words. The
    alignment work is bounded (archive/diffs.py): past `budget`, it is approximate."""
    budget = budget if budget is not None else Budget()
    old_paras, new_paras = paragraphs(old_text), paragraphs(new_text)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in bounded_opcodes(old_paras, new_paras, budget):
        if op == "equal":
            rows += [DiffRow("equal", escape(p), escape(p)) for p in old_paras[i1:i2]]
        elif op == "delete":
            rows += [DiffRow("removed", f"<del>{escape(p)}</del>", "") for p in old_paras[i1:i2]]
        elif op == "insert":
            rows += [DiffRow("added", "", f"<ins>{escape(p)}</ins>") for p in new_paras[j1:j2]]
        else:
            for old, new in zip_longest(old_paras[i1:i2], new_paras[j1:j2]):
                if old is None:
                    rows.append(DiffRow("added", "", f"<ins>{escape(new)}</ins>"))
                elif new is None:
                    rows.append(DiffRow("removed", f"<del>{escape(old)}</del>", ""))
                else:
                    rows.append(DiffRow("changed", *_words(old, new, budget)))
    return rows


def _words_html(old: str, new: str) -> tuple[str, str]:
    """A title or byline change, word by word (archive/diff_align.word_diff), escaped."""
    left, right = [], []
    for tag, text in word_diff(old, new):
        if tag in ("equal", "delete"):
            left.append(escape(text) if tag == "equal" else f"<del>{escape(text)}</del>")
        if tag in ("equal", "insert"):
            right.append(escape(text) if tag == "equal" else f"<ins>{escape(text)}</ins>")
    return " ".join(left), " ".join(right)


def aligned_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The change from `old` to `new`: title and byline word by word, then the text aligned
    by sentence with moves shown as moves (archive/diff_align.py, which escapes)."""
    parts = []
    for label, a, b in (("headline", old.get("title") or "", new.get("title") or ""),
                        ("byline", ", ".join(old.get("authors") or []), ", ".join(new.get("authors") or []))):  # fmt: skip
        if a != b:
            was, now = _words_html(a, b)
            parts.append(f"<tr><th>{label}</th><td>{was}</td><td>{now}</td></tr>")
    head = (f'<table class="diff"><tr><th></th><th>version {old["version"]}</th><th>version {new["version"]}</th></tr>'
            f"{''.join(parts)}</table>") if parts else ""  # fmt: skip
    text = to_html(align(old.get("text"), new.get("text")))
    legend = ('<p class=muted><del>removed</del> <ins>added</ins> <span class="aligned"><span class="move">moved here'
              '</span> <del class="move-origin">moved from here</del></span></p>')  # fmt: skip
    return f'{head}{legend}<div class="aligned" id="diff">{text}</div>'


def _select(name: str, versions: list[int], chosen: int) -> str:
    options = "".join(f'<option value="{n}"{" selected" if n == chosen else ""}>version {n}</option>'
                      for n in versions)  # fmt: skip
    return f'<label>{name} <select name="{name}">{options}</select></label>'


def memento_href(record: dict[str, Any], url: str) -> str | None:
    """The archived response of a version (its Memento URI-M), when it has one."""
    from newsarchive.serve.memento import mementos, uri

    found = mementos([record])
    if not found or not record.get("warc"):
        return None
    return f"/memento/{found[0].stamp}/{uri(url)}"


def _date(value: Any) -> str:
    return escape(str(value)) if value else '<span class="muted">—</span>'


def _version_row(history: dict[str, Any], record: dict[str, Any], *, first: int) -> str:
    n = record["version"]
    diff = record.get("diff") or {}
    links = []
    if n != first:
        links.append(
            f'<a href="{escape(_article_href(history["article_id"], **{"from": n - 1, "to": n}))}">diff</a>'
        )
    archived = memento_href(record, history["url"])
    if archived:
        links.append(f'<a href="{escape(archived)}" rel="noreferrer nofollow">archived page</a>')
    return (f"<tr><td>{n}</td><td class=muted>{escape(record.get('captured_at') or '')}</td>"
            f"<td>{escape(record.get('change') or '')}</td><td class=types>{_types(record.get('edit_types'))}</td>"
            f"<td>{escape(record.get('title') or '')}</td><td>{escape(', '.join(record.get('authors') or []))}</td>"
            f"<td>{_date(record.get('published_at'))}</td><td>{_date(record.get('modified_at'))}</td>"
            f"<td>{_stats(diff.get('chars_added'), diff.get('chars_removed')) if diff else ''}</td>"
            f"<td>{' · '.join(links)}</td></tr>")  # fmt: skip


def _article_feed(article_id: str) -> str:
    return f"/feeds/articles/{quote(article_id, safe='')}"


def article_page(history: dict[str, Any], a: int | None, b: int | None) -> str:
    """One article: the timeline of its versions and, when it has two or more, the diff
    between any two (`a` → `b`, either order; default the last two)."""
    records = history["versions"]
    by_number = {r["version"]: r for r in records}
    numbers = sorted(by_number)
    title = history["title"] or history["url"]
    timemap = f"/timemap/link/{quote(history['url'], safe=':/?#[]@!$&()*+,;=%~-._')}"
    head = (f"<h1>{escape(title)}</h1><p><a href=\"{escape(history['url'])}\" rel=\"noreferrer nofollow\">"
            f"{escape(history['url'])}</a></p><p class=muted>{escape(history['site'])} · first seen "
            f"{escape(history['first_seen_at'] or '')} · last changed {escape(history['last_changed_at'] or '')}"
            f" · {len(records)} version(s) · <a href=\"/api/articles/{escape(quote(history['article_id']))}\">JSON</a>"
            f" · <a href=\"{escape(timemap)}\">TimeMap</a></p>")  # fmt: skip
    rows = "".join(_version_row(history, r, first=numbers[0]) for r in records)
    table = ("<h2>Timeline</h2><table id=\"timeline\"><tr><th>#</th><th>captured</th><th>change</th><th>edit types</th>"
             f"<th>title</th><th>byline</th><th>published</th><th>modified</th><th>chars</th><th></th></tr>{rows}</table>")  # fmt: skip
    if len(numbers) < 2:
        text = "".join(
            f"<p>{escape(p)}</p>" for p in paragraphs(records[-1].get("text") if records else "")
        )
        return _page(
            title,
            f"{head}{table}<h2>Text</h2><p class=muted>Only one version so far.</p>{text}",
            _article_feed(history["article_id"]),
        )
    old = a if a is not None and a in by_number else numbers[-2]
    new = b if b is not None and b in by_number else numbers[-1]
    if old == new:
        old = numbers[max(0, numbers.index(new) - 1)] if new != numbers[0] else numbers[1]
    form = (f'<form method="get" action="{escape(_article_href(history["article_id"]))}">'
            f"{_select('from', numbers, old)} {_select('to', numbers, new)} <button>compare</button></form>")  # fmt: skip
    diff = aligned_diff(by_number[old], by_number[new])
    return _page(
        title,
        f"{head}{table}<h2>Changes from version {old} to version {new}</h2>{form}{diff}",
        _article_feed(history["article_id"]),
    )
