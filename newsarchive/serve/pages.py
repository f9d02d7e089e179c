"""Server-rendered HTML: recent changes, and one article's versions with a side-by-side
diff between any two (what NewsDiffs showed). No scripts, no build step; every value
from the archive is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import zip_longest
from typing import Any
from urllib.parse import quote

from archive.diffs import Budget, bounded_opcodes, paragraphs

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 2rem;color:#222}
a{color:#0645ad}table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;vertical-align:top;
text-align:left;border-bottom:1px solid #ddd}th{background:#f4f4f4}.muted{color:#666;font-size:.9em}
table.diff td{width:50%}ins{background:#d4f7d4;text-decoration:none}del{background:#fbd3d3}
tr.removed td.old{background:#fff0f0}tr.added td.new{background:#f0fff0}tr.changed td{background:#fffbe6}
form{margin:1rem 0}select,button{font:inherit}
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


def index_page(changes: list[dict[str, Any]]) -> str:
    """Recent changes across the archive, newest first."""
    rows = "".join(
        f"<tr><td class=muted>{escape(c['captured_at'] or '')}</td><td>{escape(c['site'])}</td>"
        f'<td><a href="{escape(_article_href(c["article_id"], **({"from": c["version"] - 1, "to": c["version"]} if c["version"] > 1 else {})))}">'
        f"{escape(c['title'] or c['url'])}</a></td><td>v{c['version']} {escape(c['change'] or '')}"
        f" <span class=muted>{escape(', '.join(c['changed_fields']))}</span></td>"
        f"<td>{_stats(c['chars_added'], c['chars_removed'])}</td></tr>"
        for c in changes
    )  # fmt: skip
    table = ("<table><tr><th>captured</th><th>site</th><th>article</th><th>version</th><th>chars</th></tr>"
             f"{rows}</table>") if changes else "<p>Nothing archived yet.</p>"  # fmt: skip
    return _page("newsarchive: recent changes", f"<h1>Recent changes</h1>{table}")


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


def _diff_table(old: dict[str, Any], new: dict[str, Any]) -> str:
    rows = []
    budget = Budget()
    if (old.get("title") or "") != (new.get("title") or ""):
        rows.append(
            DiffRow("changed", *_words(old.get("title") or "", new.get("title") or "", budget))
        )
    old_by, new_by = ", ".join(old.get("authors") or []), ", ".join(new.get("authors") or [])
    if old_by != new_by:
        rows.append(DiffRow("changed", *_words("By " + old_by, "By " + new_by, budget)))
    rows += side_by_side(old.get("text"), new.get("text"), budget)
    body = "".join(f'<tr class="{r.kind}"><td class="old">{r.old}</td><td class="new">{r.new}</td></tr>'
                   for r in rows)  # fmt: skip
    return (f'<table class="diff" id="diff"><tr><th>version {old["version"]} · {escape(old.get("captured_at") or "")}'
            f'</th><th>version {new["version"]} · {escape(new.get("captured_at") or "")}</th></tr>{body}</table>')  # fmt: skip


def _select(name: str, versions: list[int], chosen: int) -> str:
    options = "".join(f'<option value="{n}"{" selected" if n == chosen else ""}>version {n}</option>'
                      for n in versions)  # fmt: skip
    return f'<label>{name} <select name="{name}">{options}</select></label>'


def _version_row(article_id: str, record: dict[str, Any], *, first: int) -> str:
    n = record["version"]
    diff = record.get("diff") or {}
    link = (
        ""
        if n == first
        else f'<a href="{escape(_article_href(article_id, **{"from": n - 1, "to": n}))}">diff</a>'
    )
    return (f"<tr><td>{n}</td><td class=muted>{escape(record.get('captured_at') or '')}</td>"
            f"<td>{escape(record.get('change') or '')}</td><td>{escape(', '.join(record.get('changed_fields') or []))}</td>"
            f"<td>{escape(record.get('title') or '')}</td>"
            f"<td>{_stats(diff.get('chars_added'), diff.get('chars_removed')) if diff else ''}</td><td>{link}</td></tr>")  # fmt: skip


def _article_feed(article_id: str) -> str:
    return f"/feeds/articles/{quote(article_id, safe='')}"


def article_page(history: dict[str, Any], a: int | None, b: int | None) -> str:
    """One article: its versions and, when it has two or more, the diff between `a` and `b`."""
    records = history["versions"]
    by_number = {r["version"]: r for r in records}
    numbers = sorted(by_number)
    title = history["title"] or history["url"]
    head = (f"<h1>{escape(title)}</h1><p><a href=\"{escape(history['url'])}\" rel=\"noreferrer nofollow\">"
            f"{escape(history['url'])}</a></p><p class=muted>{escape(history['site'])} · first seen "
            f"{escape(history['first_seen_at'] or '')} · last changed {escape(history['last_changed_at'] or '')}"
            f" · {len(records)} version(s) · <a href=\"/api/articles/{escape(quote(history['article_id']))}\">JSON</a></p>")  # fmt: skip
    rows = "".join(_version_row(history["article_id"], r, first=numbers[0]) for r in records)
    table = ("<h2>Versions</h2><table><tr><th>#</th><th>captured</th><th>change</th><th>fields</th>"
             f"<th>title</th><th>chars</th><th></th></tr>{rows}</table>")  # fmt: skip
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
    form = (f'<form method="get" action="{escape(_article_href(history["article_id"]))}">'
            f"{_select('from', numbers, old)} {_select('to', numbers, new)} <button>compare</button></form>")  # fmt: skip
    diff = _diff_table(by_number[old], by_number[new])
    return _page(
        title,
        f"{head}{table}<h2>Changes from version {old} to version {new}</h2>{form}{diff}",
        _article_feed(history["article_id"]),
    )
