"""The change feeds of `newsarchive serve`: Atom 1.0 and JSON Feed 1.1, all changes, per
site, per article, paged as RFC 5005 archived feeds, answered conditionally (ETag,
Last-Modified → 304). The documents are built by newsarchive/feeds (as `newsarchive feed`
builds its static file)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Query, Request, Response
from sqlalchemy import Engine

from newsarchive.feeds import query
from newsarchive.feeds.document import FORMATS, DocumentCache, FeedDocument, PageNotFound, build
from newsarchive.serve.security import ApiError
from newsarchive.serve.settings import ServeSettings

FEED_THREADS = 2
MAX_INCLUDE_LENGTH = 100


def _split(name: str) -> tuple[str, str]:
    """`"cnn-lite.atom"` → ("cnn-lite", "atom"); a 404 for another extension."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in FORMATS or not stem:
        raise ApiError(404, f"a feed ends in .atom or .json, not {name[:80]!r}")
    return stem, fmt


def not_modified(request: Request, doc: FeedDocument) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    tags = request.headers.get("if-none-match")
    if tags is not None:
        given = [tag.strip().removeprefix("W/") for tag in tags.split(",")]
        return "*" in given or doc.etag in given
    since = request.headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return doc.last_modified.replace(microsecond=0) <= moment
    return False


# Fresh FieldInfo objects for each route: FastAPI must not share one between parameters.
def _include_doc() -> Any:
    return Query(
        description="also `new` (new articles), `suspect` (collapsed pages): comma-separated"
    )


def _page_doc() -> Any:
    return Query(ge=0, description="an archive page (0 = oldest); absent: the newest entries")


def install_feeds(app: FastAPI, engine: Engine, settings: ServeSettings,
                  known_sites: Callable[[], set[str]]) -> None:  # fmt: skip
    """Add the feed routes to `app`."""
    threads = anyio.CapacityLimiter(FEED_THREADS)
    cache = DocumentCache()

    async def answer(request: Request, scope: query.Scope, fmt: str, page: int | None) -> Response:
        base = settings.public_url or str(request.base_url).rstrip("/")

        def make() -> FeedDocument:
            return build(engine, scope, fmt, base_url=base, page=page,
                         page_size=settings.feed_page_size,
                         settle_seconds=settings.feed_settle_seconds, cache=cache)  # fmt: skip

        try:
            doc = await anyio.to_thread.run_sync(make, limiter=threads)
        except PageNotFound as exc:
            raise ApiError(404, str(exc)) from None
        headers = {
            "ETag": doc.etag,
            "Last-Modified": doc.last_modified_http,
            # The subscription document: ask every time (cheap with 304). An archive page
            # only ever gains its next-archive link.
            "Cache-Control": "no-cache" if page is None else "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        }
        if not_modified(request, doc):
            return Response(status_code=304, headers=headers)
        return Response(doc.body, media_type=doc.media_type, headers=headers)

    def scope_of(include: str | None, **where: str | None) -> query.Scope:
        if include is not None and len(include) > MAX_INCLUDE_LENGTH:
            raise ApiError(400, "include is too long")
        try:
            return query.Scope(kinds=query.parse_include(include), **where)  # type: ignore[arg-type]
        except query.BadScope as exc:
            raise ApiError(400, str(exc)) from None

    @app.get("/feeds/changes.{fmt}", tags=["feeds"], response_class=Response)
    @app.head(
        "/feeds/changes.{fmt}", include_in_schema=False
    )  # feed readers and link checkers ask HEAD
    async def changes_feed(
        request: Request, fmt: str, include: Annotated[str | None, _include_doc()] = None,
        page: Annotated[int | None, _page_doc()] = None,
    ) -> Response:  # fmt: skip
        """Every change in the archive: Atom (`.atom`) or JSON Feed (`.json`), newest first."""
        _split(f"changes.{fmt}")
        return await answer(request, scope_of(include), fmt, page)

    @app.get("/feeds/sites/{name}", tags=["feeds"], response_class=Response)
    @app.head(
        "/feeds/sites/{name}", include_in_schema=False
    )  # feed readers and link checkers ask HEAD
    async def site_feed(
        request: Request, name: str, include: Annotated[str | None, _include_doc()] = None,
        page: Annotated[int | None, _page_doc()] = None,
    ) -> Response:  # fmt: skip
        """The changes of one site: `/feeds/sites/cnn-lite.atom`."""
        site, fmt = _split(name)
        known = await anyio.to_thread.run_sync(known_sites)
        if site not in known and not await anyio.to_thread.run_sync(
            query.site_exists, engine, site
        ):
            raise ApiError(404, f"no site {site[:64]!r}")
        return await answer(request, scope_of(include, site=site), fmt, page)

    @app.get("/feeds/articles/{name}", tags=["feeds"], response_class=Response)
    @app.head(
        "/feeds/articles/{name}", include_in_schema=False
    )  # feed readers and link checkers ask HEAD
    async def article_feed(
        request: Request, name: str, include: Annotated[str | None, _include_doc()] = None,
        page: Annotated[int | None, _page_doc()] = None,
    ) -> Response:  # fmt: skip
        """The changes of one article: `/feeds/articles/<article id>.json`."""
        article_id, fmt = _split(name)
        if len(article_id) > 64 or not article_id.isprintable() or not await anyio.to_thread.run_sync(
            query.article_exists, engine, article_id
        ):  # fmt: skip
            raise ApiError(404, f"no article {article_id[:64]!r}")
        return await answer(request, scope_of(include, article_id=article_id), fmt, page)
