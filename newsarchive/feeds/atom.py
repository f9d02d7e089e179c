"""Atom 1.0 documents (RFC 4287) written with feedgen, with the feed-history elements of
RFC 5005 (`prev-archive`, `next-archive`, `current` links; `<fh:archive/>`)."""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from newsarchive.feeds.model import FeedPage, xml_safe

FH_NS = "http://purl.org/syndication/history/1.0"
MEDIA_TYPE = "application/atom+xml"


class _FeedHistory(BaseExtension):  # type: ignore[misc]
    """`<fh:archive/>` on an archive document (before the entries, as RFC 4287 asks)."""

    archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        if self.archive:
            etree.SubElement(feed, f"{{{FH_NS}}}archive")
        return feed


class _EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """An entry's links with their `rel` and `type` (feedgen 1.0's own entry links lose
    both: its loop variable shadows the link it writes)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link in self.links:
            etree.SubElement(entry, "link", **link)
        return entry


def render(page: FeedPage) -> bytes:
    """The Atom document of `page`."""
    fg = FeedGenerator()
    fg.register_extension("fh", _FeedHistory, _EntryLinks, atom=True, rss=False)
    fg.fh.archive = page.is_archive
    fg.id(page.feed_id)
    fg.title(xml_safe(page.title))
    fg.subtitle(xml_safe(page.description))
    fg.author({"name": "newsarchive"})
    fg.updated(page.updated)
    fg.link(href=page.self_url("atom"), rel="self", type=MEDIA_TYPE)
    fg.link(href=page.home_url, rel="alternate", type="text/html")
    if page.is_archive:
        fg.link(href=page.current_url("atom"), rel="current", type=MEDIA_TYPE)
    if page.prev_page is not None:
        fg.link(href=page.page_url("atom", page.prev_page), rel="prev-archive", type=MEDIA_TYPE)
    if page.next_page is not None:
        fg.link(href=page.page_url("atom", page.next_page), rel="next-archive", type=MEDIA_TYPE)
    for item in page.items:
        fe = fg.add_entry(order="append")
        fe.id(item.id)
        fe.title(xml_safe(item.title))
        fe.fh.links = [
            {"href": xml_safe(item.link), "rel": "alternate", "type": "text/html"},
            {"href": xml_safe(item.article_url), "rel": "related", "type": "text/html"},
        ]
        fe.updated(item.updated)
        fe.published(item.updated)
        fe.content(xml_safe(item.content_html), type="html")
        for scheme, term in item.categories:
            fe.category(term=xml_safe(term), scheme=page.scheme_url(scheme))
    return fg.atom_str(pretty=True)  # type: ignore[no-any-return]
