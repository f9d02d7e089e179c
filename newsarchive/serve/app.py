"""The FastAPI application of `newsarchive serve`: JSON API, HTML pages, the job worker."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive import search_index
from archive.catalog import Catalog
from archive.clock import WHEN_HINT, parse_when
from archive.config import Config
from archive.edit_types import EDIT_TYPES
from archive.history import ArticleNotFound, article_history, diff_between, find_article
from archive.search_index import SearchIndexNotReady
from archive.search_query import SearchQueryError
from archive.urls import normalize_url
from archive.warc_reader import RecordUnavailable, read_response
from crawler.address_policy import AddressPolicy, AddressRefused
from crawler.url_form import InvalidUrl, fetch_url
from newsarchive.serve import memento, pages, queries
from newsarchive.serve.feeds import install_feeds
from newsarchive.serve.jobs import JobStore, JobWorker, QueueFull, job_view
from newsarchive.serve.offline_docs import install_offline_docs
from newsarchive.serve.security import ApiError, RateLimiter, TokenAuth
from newsarchive.serve.settings import ServeSettings

logger = logging.getLogger(__name__)
# CPU-heavy reads (diffs) run in threads of their own, a few at a time: they can neither
# block the event loop nor take every thread of the shared pool, so /healthz and the cheap
# reads keep answering while they run. Searches (`q=`, a scan) get their own few too.
DIFF_THREADS = 2
SEARCH_THREADS = 4
CACHED_DIFFS = 256
PAGE_RESULTS = 20  # search results per page of the web pages
SITES_TTL = 60.0  # seconds the pages' list of the archive's sites is kept

HTML_HEADERS = {
    # Archived text is escaped, and this forbids scripts and outside loads besides.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ArchiveRequest(BaseModel):
    """POST /api/archive: the URLs to archive now, and optionally the site profile to parse them with."""

    urls: list[str] = Field(min_length=1, description="http(s) URLs")
    site: str | None = Field(
        default=None, description="site profile name (default: chosen by host)"
    )


class ArchiveAccepted(BaseModel):
    id: str
    status: str
    urls: list[str]
    already_queued: dict[str, str]
    links: dict[str, str]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _when(value: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    """`since`/`until` as the CLI reads them (archive.clock.parse_when), or a 400."""
    if not value:
        return None
    try:
        return parse_when(value, end_of_day=end_of_day)
    except ValueError:
        raise ApiError(400, f"{name} takes {WHEN_HINT}, not {value[:100]!r}") from None


class _LruCache:
    """A few computed diffs, by their versions (versions never change once written)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _client(request: Request) -> str:
    """The peer's address (no proxy headers are trusted: uvicorn runs with proxy_headers off)."""
    return request.client.host if request.client else "unknown"


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the request body is over the limit of {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"the request body is over the limit of {limit} bytes")
    return bytes(body)


def create_app(config: Config, settings: ServeSettings, token: str | None, *, run_worker: bool = True,
               read_only_catalog: bool = False) -> FastAPI:  # fmt: skip
    """The application over the archive of `config`; `token` None makes it read-only.
    `read_only_catalog`: the catalog cannot be written (a read-only mount): opened without
    writing anything; pass no token and no worker with it."""
    catalog = Catalog(config.resolved_catalog_url, read_only=read_only_catalog)
    store = JobStore(catalog.engine, settings.max_queued_urls)
    worker = JobWorker(store, config, settings)
    auth = TokenAuth(token)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    failed_logins = RateLimiter(
        settings.failed_logins_per_minute, what="failed logins from this address"
    )
    searches = RateLimiter(
        settings.search_rate_limit_per_minute, what="searches (q=) from this address"
    )
    diff_threads = anyio.CapacityLimiter(DIFF_THREADS)
    search_threads = anyio.CapacityLimiter(SEARCH_THREADS)
    health_thread = anyio.CapacityLimiter(1)
    diffs = _LruCache(CACHED_DIFFS)
    policy = AddressPolicy.from_config(config)  # the one of every command: [crawl]
    known_sites: set[str] | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(
            store.pending_urls
        )  # the queue's index, built before the first POST
        if run_worker:
            worker.start()
        try:
            yield
        finally:
            worker.stop()
            catalog.close()

    app = FastAPI(
        title="newsarchive",
        version="0.1.0",
        description="Archive URLs now (WARC + versioned JSON records) and read the archive: articles, "
        "versions, diffs. Writes need `Authorization: Bearer <token>` (NEWSARCHIVE_API_TOKEN).",
        lifespan=lifespan,
        docs_url=None,  # served from local assets below: the default page loads them from a CDN
        redoc_url=None,
    )  # fmt: skip
    install_offline_docs(app)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "no such page: see /docs for the API"
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _error(400, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Every error is JSON, a bug's too (logged with its traceback, never shown).
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, f"internal error ({type(exc).__name__}): the server log has the details")

    def _sites() -> set[str]:
        nonlocal known_sites
        if known_sites is None:
            from crawler.profiles import load_profiles

            known_sites = set(load_profiles(config))
        return known_sites

    # -- service ---------------------------------------------------------------------------------
    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness, and how many jobs wait and run. On the event loop, its query in a thread
        of its own: it answers while every other thread is busy (diffs, searches)."""
        counts = await anyio.to_thread.run_sync(store.counts, limiter=health_thread)
        return {"status": "ok", "read_only": auth.read_only, "jobs": counts}

    # -- archiving -------------------------------------------------------------------------------
    @app.post("/api/archive", status_code=202, tags=["archive"], response_model=ArchiveAccepted,
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": ArchiveRequest.model_json_schema()}}}})  # fmt: skip
    async def archive(request: Request) -> Any:
        """Queue URLs for archiving; poll `GET /api/jobs/{id}`. A URL already queued (or being
        archived) is not queued again: `already_queued` names the job that has it."""
        client = _client(request)
        failed_logins.check(client)  # an address that guessed too often waits, right or wrong
        try:
            token_key = auth.check(request.headers.get("authorization"))
        except ApiError as exc:
            if exc.status == 401:
                failed_logins.take(client)
            raise
        limiter.take(token_key)
        raw = await _read_body(request, settings.max_body_bytes)
        try:
            body = ArchiveRequest.model_validate_json(raw or b"null")
        except ValidationError as exc:
            parts = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
            ]
            raise ApiError(400, "invalid request: " + "; ".join(parts)) from None
        # Each URL is parsed once, by the parser the crawler fetches with (crawler/url_form.py):
        # what is checked is what will be fetched. Several spellings of one URL are one URL.
        if len(body.urls) > 4 * settings.max_urls_per_request:
            raise ApiError(
                400,
                f"at most {settings.max_urls_per_request} URLs per request, got {len(body.urls)}",
            )
        by_key: dict[str, tuple[str, str]] = {}
        for given in body.urls:
            try:
                fetched = fetch_url(given)
            except InvalidUrl as exc:
                raise ApiError(400, str(exc)) from None
            by_key.setdefault(normalize_url(fetched), (given.strip(), fetched))
        if len(by_key) > settings.max_urls_per_request:
            raise ApiError(
                400, f"at most {settings.max_urls_per_request} URLs per request, got {len(by_key)}"
            )
        urls = [given for given, _ in by_key.values()]
        if body.site is not None and body.site not in await run_in_threadpool(_sites):
            raise ApiError(
                400, f"unknown site {body.site!r} (known: {', '.join(sorted(_sites()))})"
            )

        def check_all() -> None:
            for _, fetched in by_key.values():
                policy.check_url(fetched)

        try:
            await run_in_threadpool(check_all)
        except AddressRefused as exc:
            raise ApiError(400, str(exc)) from None
        try:
            job_id, already = await run_in_threadpool(store.create, urls, body.site, token_key)
        except QueueFull as exc:
            raise ApiError(503, str(exc), {"Retry-After": "60"}) from None
        if job_id is None:
            job_id = already[urls[0]]
        else:
            worker.notify()
        job = await run_in_threadpool(store.get, job_id)
        assert job is not None
        return JSONResponse(
            {"id": job_id, "status": job["status"], "urls": [u for u in urls if u not in already],
             "already_queued": already, "links": {"job": f"/api/jobs/{job_id}"}},
            status_code=202, headers={"Location": f"/api/jobs/{job_id}"},
        )  # fmt: skip

    @app.get("/api/jobs/{job_id}", tags=["archive"])
    def get_job(job_id: str) -> dict[str, Any]:
        """A job's status (`queued`, `running`, `done`, `failed`) and a result per URL."""
        job = store.get(job_id)
        if job is None:
            raise ApiError(404, f"no job {job_id!r}")
        return job_view(job)

    # -- reading ---------------------------------------------------------------------------------
    def _history(article_id: str) -> dict[str, Any]:
        if "/" in article_id or "://" in article_id:
            raise ApiError(400, "use the article id (see GET /api/articles), not a URL")
        if (
            len(article_id) > 64 or not article_id.isprintable()
        ):  # PostgreSQL refuses NUL in a string
            raise ApiError(404, f"no article {article_id[:64]!r}")
        try:
            return article_history(catalog, article_id)
        except ArticleNotFound as exc:
            raise ApiError(404, str(exc)) from None

    @app.get("/api/articles", tags=["read"])
    async def list_articles(
        request: Request,
        site: str | None = None,
        since: Annotated[
            str | None, Query(description="a version captured on or after (ISO date/time, UTC)")
        ] = None,
        until: Annotated[
            str | None, Query(description="a version captured on or before (ISO date/time, UTC)")
        ] = None,
        q: Annotated[
            str | None,
            Query(
                max_length=1000,
                description="a search over every version's title, "
                "authors and text (syntax: docs/search.md)",
            ),
        ] = None,  # fmt: skip
        limit: Annotated[int | None, Query(ge=1)] = None,
        cursor: Annotated[str | None, Query(description="`next` of the previous page")] = None,
    ) -> dict[str, Any]:
        """Articles, most recently changed first: `{"items": [...], "next": cursor or null}`.
        `q`: the articles of the newest 1,000 versions matching the search (the full-text
        index; ranked results with snippets: `/api/search`); limited per client address."""
        flt = queries.ArticleFilter(site, _when(since, "since", end_of_day=False),
                                    _when(until, "until", end_of_day=True), (q or "").strip() or None)  # fmt: skip
        size = min(limit or settings.page_size, settings.page_size * 4)
        try:
            after = queries.decode_cursor(cursor) if cursor else None
        except queries.BadCursor as exc:
            raise ApiError(400, str(exc)) from None
        if flt.q:
            searches.take(_client(request))
        items, next_cursor = await anyio.to_thread.run_sync(
            lambda: _searching(lambda: queries.list_articles(catalog.engine, flt, limit=size, after=after)),
            limiter=search_threads if flt.q else None)  # fmt: skip
        return {"items": items, "next": next_cursor}

    def _searching(run: Callable[[], Any]) -> Any:
        """A search's errors as the client's (400) or the archive's state (503)."""
        try:
            return run()
        except SearchQueryError as exc:
            raise ApiError(400, str(exc)) from None
        except SearchIndexNotReady as exc:
            raise ApiError(503, str(exc)) from None

    @app.get("/api/search", tags=["read"])
    async def search_versions(
        request: Request,
        q: Annotated[
            str,
            Query(
                min_length=1,
                max_length=1000,
                description='words, "a phrase", a OR b, -excluded, prefix* (docs/search.md)',
            ),
        ],
        site: str | None = None,
        since: Annotated[
            str | None, Query(description="captured on or after (ISO date/time, UTC)")
        ] = None,
        until: Annotated[
            str | None, Query(description="captured on or before (ISO date/time, UTC)")
        ] = None,
        in_: Annotated[
            str,
            Query(
                alias="in",
                pattern="^(any|added|removed)$",
                description="any: title, authors, text; added/removed: what an edit "
                "added or removed",
            ),
        ] = "any",
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> dict[str, Any]:
        """Versions matching a search, best first, with highlighted snippets (escaped HTML,
        matches in `<mark>`) and edit types; `next_offset` for the next page or null."""
        low = _when(since, "since", end_of_day=False)
        high = _when(until, "until", end_of_day=True)
        searches.take(_client(request))
        results = await anyio.to_thread.run_sync(
            lambda: _searching(lambda: search_index.search(
                catalog.engine, q, site=site, since=low, until=high, scope=in_, limit=limit, offset=offset)),
            limiter=search_threads)  # fmt: skip
        more = results.candidates > offset + len(results) and len(results) == limit
        return {"query": q, "in": in_, "candidates": results.candidates, "capped": results.capped,
                "results": [queries.search_hit(h) for h in results],
                "next_offset": offset + limit if more else None}  # fmt: skip

    @app.get("/api/articles/{article_id}", tags=["read"])
    def get_article(article_id: str) -> dict[str, Any]:
        """The article with its latest version (the full record) and the list of versions."""
        history = _history(article_id)
        records = history.pop("versions")
        history["latest"] = records[-1] if records else None
        history["versions"] = [queries.version_summary(r) for r in records]
        history["links"] = {"page": f"/articles/{article_id}"}
        return history

    @app.get("/api/articles/{article_id}/versions/{n}", tags=["read"])
    def get_version(article_id: str, n: int) -> dict[str, Any]:
        """One version's JSON record."""
        history = _history(article_id)
        for record in history["versions"]:
            if record["version"] == n:
                return record  # type: ignore[no-any-return]
        raise ApiError(
            404, f"article {article_id} has no version {n} (it has 1..{history['latest_version']})"
        )

    def _diff(history: dict[str, Any], a: int, b: int) -> dict[str, Any]:
        """Statistics, unified diff and side-by-side rows of two versions: bounded work
        (archive/diffs.py), the stored diff of consecutive versions reused (computed once,
        when the version was recorded), the result cached (versions never change)."""
        by_number = {r["version"]: r for r in history["versions"]}
        if a not in by_number or b not in by_number:
            raise ApiError(404, f"article {history['article_id']} has no version {a if a not in by_number else b} "
                                f"(it has 1..{history['latest_version']})")  # fmt: skip
        old, new = by_number[a], by_number[b]

        def make() -> dict[str, Any]:
            stored = new.get("diff")
            if b == a + 1 and isinstance(stored, dict) and stored.get("from_version") == a:
                diff = dict(stored)
            else:
                diff = diff_between(history, a, b)
            rows = pages.side_by_side(old.get("text"), new.get("text"))
            return {
                **diff,
                "side_by_side": [{"kind": r.kind, "old": r.old, "new": r.new} for r in rows],
            }

        key = (
            "api",
            history["article_id"],
            a,
            b,
            old.get("content_sha256"),
            new.get("content_sha256"),
        )
        return diffs.get_or_make(key, make)  # type: ignore[no-any-return]

    @app.get("/api/articles/{article_id}/diff", tags=["read"])
    async def get_diff(
        article_id: str,
        from_: Annotated[int | None, Query(alias="from", ge=1)] = None,
        to: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        """The diff between two versions (default: the last two): statistics, a unified diff,
        and both texts' paragraphs side by side."""
        history = await run_in_threadpool(_history, article_id)
        latest = history["latest_version"]
        b = to if to is not None else latest
        a = from_ if from_ is not None else max(1, b - 1)
        diff = await anyio.to_thread.run_sync(_diff, history, a, b, limiter=diff_threads)
        return {"article_id": history["article_id"], "from": a, "to": b, **diff}

    # -- pages -----------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, tags=["pages"])
    async def index(
        request: Request,
        q: Annotated[str, Query(max_length=1000)] = "",
        in_: Annotated[str, Query(alias="in")] = "any",
        site: str = "",
        type_: Annotated[str, Query(alias="type")] = "",
        since: str = "",
        until: str = "",
        edits: str = "",
        cursor: Annotated[str, Query(max_length=600)] = "",
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> HTMLResponse:
        """Recent changes across the archive (filters: site, edit type, dates, edits only;
        keyset pages), or, with `q`, search results with highlighted snippets."""
        form = pages.IndexQuery(q=q.strip(), scope=in_ if in_ in search_index.SCOPES else "any", site=site,
                                edit_type=type_ if type_ in EDIT_TYPES else "", since=since, until=until,
                                edits_only=bool(edits))  # fmt: skip
        sites = await run_in_threadpool(_archive_sites)
        try:
            low = _when(since, "since", end_of_day=False)
            high = _when(until, "until", end_of_day=True)
            if form.q:
                searches.take(_client(request))
                results = await anyio.to_thread.run_sync(
                    lambda: _searching(lambda: search_index.search(
                        catalog.engine, form.q, site=site or None, since=low, until=high, scope=form.scope,
                        limit=PAGE_RESULTS, offset=offset)), limiter=search_threads)  # fmt: skip
                html = pages.index_page(
                    [], form=form, sites=sites, results=results, offset=offset, limit=PAGE_RESULTS
                )
            else:
                after = queries.decode_change_cursor(cursor) if cursor else None
                flt = queries.ChangeFilter(site=site or None, edit_type=form.edit_type or None, since=low,
                                           until=high, edits_only=form.edits_only)  # fmt: skip
                changes, next_cursor = await run_in_threadpool(
                    lambda: queries.recent_changes(
                        catalog.engine, limit=settings.page_size, flt=flt, after=after
                    )
                )
                from newsarchive.notify.health import unhealthy_sites

                broken = await run_in_threadpool(unhealthy_sites, catalog.engine)
                html = pages.index_page(changes, form=form, sites=sites, next_cursor=next_cursor,
                                        unhealthy=broken)  # fmt: skip
        except (ApiError, queries.BadCursor) as exc:
            status = exc.status if isinstance(exc, ApiError) else 400
            if status == 429:
                raise
            message = exc.message if isinstance(exc, ApiError) else str(exc)
            return HTMLResponse(pages.index_page([], form=form, sites=sites, error=message), status_code=status,
                                headers=HTML_HEADERS)  # fmt: skip
        return HTMLResponse(html, headers=HTML_HEADERS)

    archive_sites: dict[str, Any] = {"at": -SITES_TTL, "names": []}

    def _archive_sites() -> list[str]:
        """The sites the archive holds (the pages' site filter), read at most once a minute."""
        from sqlalchemy import select

        from archive import catalog_schema as t

        if time.monotonic() - archive_sites["at"] >= SITES_TTL:
            with catalog.engine.connect() as conn:
                names = sorted(conn.execute(select(t.articles.c.site).distinct()).scalars())
            archive_sites.update(at=time.monotonic(), names=names)
        return list(archive_sites["names"])

    @app.get("/articles/{article_id}", response_class=HTMLResponse, tags=["pages"])
    async def article_page(
        article_id: str,
        from_: Annotated[int | None, Query(alias="from")] = None,
        to: Annotated[int | None, Query()] = None,
    ) -> HTMLResponse:
        """An article's versions and a side-by-side diff between any two."""
        history = await run_in_threadpool(_history, article_id)
        key = ("page", history["article_id"], history["latest_version"], from_, to)
        html = await anyio.to_thread.run_sync(
            lambda: diffs.get_or_make(key, lambda: pages.article_page(history, from_, to)),
            limiter=diff_threads,
        )
        return HTMLResponse(html, headers=HTML_HEADERS)

    # -- Memento (RFC 7089) ------------------------------------------------------------------------
    def _original(url: str, request: Request) -> str:
        """The URI-R of a Memento path: its query string is the URL's (a client or proxy may
        have folded `http://` to `http:/`)."""
        if re.match(r"^https?:/[^/]", url):
            url = url.replace(":/", "://", 1)
        query = request.url.query
        return url + ("?" + query if query else "")

    def _mementos(url: str) -> tuple[dict[str, Any], list[memento.Memento]]:
        if len(url) > 8000 or not url.isprintable():
            raise ApiError(404, "no mementos of that URL")
        try:
            history = article_history(catalog, find_article(catalog, url)["id"])
        except ArticleNotFound:
            raise ApiError(404, f"no mementos of {url[:200]!r} in this archive") from None
        items = memento.mementos(history["versions"])
        if not items:
            raise ApiError(404, f"no mementos of {url[:200]!r} in this archive")
        return history, items

    def _links(request: Request, history: dict[str, Any]) -> memento.Links:
        return memento.Links(str(request.base_url), history["url"])

    @app.get("/timemap/link/{url:path}", tags=["memento"])
    async def timemap(url: str, request: Request) -> Response:
        """The TimeMap of a URL (RFC 7089 section 5): its original, TimeGate and mementos
        with their datetimes, as `application/link-format`."""
        history, items = await run_in_threadpool(_mementos, _original(url, request))
        return Response(memento.timemap(_links(request, history), items),
                        headers={"Content-Type": memento.LINK_FORMAT, "X-Content-Type-Options": "nosniff"})  # fmt: skip

    @app.get("/timegate/{url:path}", tags=["memento"])
    @app.head("/timegate/{url:path}", include_in_schema=False)
    async def timegate(url: str, request: Request) -> Response:
        """The TimeGate of a URL: a 302 to the memento closest to `Accept-Datetime` (the
        newest without it)."""
        history, items = await run_in_threadpool(_mementos, _original(url, request))
        wanted = request.headers.get("accept-datetime")
        try:
            chosen = (
                memento.closest(items, memento.parse_accept_datetime(wanted))
                if wanted
                else items[-1]
            )
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        links = _links(request, history)
        return Response(status_code=302, headers={
            "Location": memento.uri(links.memento(chosen)), "Vary": "accept-datetime",
            "Link": memento.link_header(links, items, chosen),
        })  # fmt: skip

    @app.get("/memento/{stamp}/{url:path}", tags=["memento"])
    @app.head("/memento/{stamp}/{url:path}", include_in_schema=False)
    async def memento_view(stamp: str, url: str, request: Request) -> Response:
        """The archived response of a memento (URI-M), raw but sandboxed: it cannot run
        scripts or reach anything from this origin. A timestamp that is not a memento's
        redirects to the closest one."""
        history, items = await run_in_threadpool(_mementos, _original(url, request))
        try:
            chosen = memento.closest(items, memento.parse_timestamp(stamp))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        links = _links(request, history)
        link = memento.link_header(links, items, chosen)
        if chosen.stamp != stamp:
            return Response(
                status_code=302,
                headers={"Location": memento.uri(links.memento(chosen)), "Link": link},
            )
        if not chosen.warc:
            raise ApiError(404, f"version {chosen.version} has no archived response")
        try:
            archived = await run_in_threadpool(read_response, config, catalog, chosen.warc)
        except RecordUnavailable as exc:
            raise ApiError(404, f"the archived response is unavailable: {exc}") from None
        headers = {**memento.MEMENTO_HEADERS, "Content-Type": memento.media_type(archived.headers),
                   "Memento-Datetime": memento.http_date(chosen.at), "Link": link}  # fmt: skip
        return Response(archived.body if request.method == "GET" else b"", headers=headers)

    install_feeds(app, catalog.engine, settings, _sites)  # /feeds/…: Atom and JSON Feed

    app.state.store = store
    app.state.worker = worker
    return app
