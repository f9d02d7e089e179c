"""The FastAPI application of `newsarchive serve`: JSON API, HTML pages, the job worker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive.catalog import Catalog
from archive.config import Config
from archive.history import ArticleNotFound, article_history, diff_between
from archive.urls import normalize_url
from crawler.address_policy import AddressPolicy, AddressRefused
from crawler.serve import pages, queries
from crawler.serve.jobs import JobStore, JobWorker, job_view
from crawler.serve.security import ApiError, RateLimiter, TokenAuth
from crawler.serve.settings import ServeSettings
from crawler.url_form import InvalidUrl, fetch_url

HTML_HEADERS = {
    # Archived text is escaped, and this forbids scripts and outside loads besides.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ArchiveRequest(BaseModel):
    """POST /api/archive: the URLs to archive now, and optionally the site profile to parse them with."""

    urls: list[str] = Field(min_length=1, description="http(s) URLs")
    site: str | None = Field(default=None, description="site profile name (default: chosen by host)")


class ArchiveAccepted(BaseModel):
    id: str
    status: str
    urls: list[str]
    already_queued: dict[str, str]
    links: dict[str, str]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _when(value: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} takes an ISO date or date-time like 2026-05-06 or 2026-05-06T12:00Z, "
                            f"not {value!r}") from None  # fmt: skip
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and "T" not in value and " " not in value.strip():
        moment += timedelta(days=1, microseconds=-1)
    return moment.astimezone(UTC)


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


def create_app(config: Config, settings: ServeSettings, token: str | None, *, run_worker: bool = True) -> FastAPI:
    """The application over the archive of `config`; `token` None makes it read-only."""
    catalog = Catalog(config.resolved_catalog_url)
    store = JobStore(catalog.engine)
    worker = JobWorker(store, config, settings)
    auth = TokenAuth(token)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    policy = AddressPolicy.from_config(config)  # the one of every command: [crawl]
    known_sites: set[str] | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
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
    )  # fmt: skip

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

    def _sites() -> set[str]:
        nonlocal known_sites
        if known_sites is None:
            from crawler.profiles import load_profiles

            known_sites = set(load_profiles(config))
        return known_sites

    # -- service ---------------------------------------------------------------------------------
    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness, and how many jobs wait and run."""
        return {"status": "ok", "read_only": auth.read_only, "jobs": store.counts()}

    # -- archiving -------------------------------------------------------------------------------
    @app.post("/api/archive", status_code=202, tags=["archive"], response_model=ArchiveAccepted,
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": ArchiveRequest.model_json_schema()}}}})  # fmt: skip
    async def archive(request: Request) -> Any:
        """Queue URLs for archiving; poll `GET /api/jobs/{id}`. A URL already queued (or being
        archived) is not queued again: `already_queued` names the job that has it."""
        token_key = auth.check(request.headers.get("authorization"))
        limiter.take(token_key)
        raw = await _read_body(request, settings.max_body_bytes)
        try:
            body = ArchiveRequest.model_validate_json(raw or b"null")
        except ValidationError as exc:
            parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]
            raise ApiError(400, "invalid request: " + "; ".join(parts)) from None
        # Each URL is parsed once, by the parser the crawler fetches with (crawler/url_form.py):
        # what is checked is what will be fetched. Several spellings of one URL are one URL.
        if len(body.urls) > 4 * settings.max_urls_per_request:
            raise ApiError(400, f"at most {settings.max_urls_per_request} URLs per request, got {len(body.urls)}")
        by_key: dict[str, tuple[str, str]] = {}
        for given in body.urls:
            try:
                fetched = fetch_url(given)
            except InvalidUrl as exc:
                raise ApiError(400, str(exc)) from None
            by_key.setdefault(normalize_url(fetched), (given.strip(), fetched))
        if len(by_key) > settings.max_urls_per_request:
            raise ApiError(400, f"at most {settings.max_urls_per_request} URLs per request, got {len(by_key)}")
        urls = [given for given, _ in by_key.values()]
        if body.site is not None and body.site not in await run_in_threadpool(_sites):
            raise ApiError(400, f"unknown site {body.site!r} (known: {', '.join(sorted(_sites()))})")

        def check_all() -> None:
            for _, fetched in by_key.values():
                policy.check_url(fetched)

        try:
            await run_in_threadpool(check_all)
        except AddressRefused as exc:
            raise ApiError(400, str(exc)) from None
        job_id, already = await run_in_threadpool(store.create, urls, body.site, token_key)
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
        try:
            return article_history(catalog, article_id)
        except ArticleNotFound as exc:
            raise ApiError(404, str(exc)) from None

    @app.get("/api/articles", tags=["read"])
    def list_articles(
        site: str | None = None,
        since: Annotated[str | None, Query(description="a version captured on or after (ISO date/time, UTC)")] = None,
        until: Annotated[str | None, Query(description="a version captured on or before (ISO date/time, UTC)")] = None,
        q: Annotated[str | None, Query(max_length=200, description="text in the title or any version")] = None,
        limit: Annotated[int | None, Query(ge=1)] = None,
        cursor: Annotated[str | None, Query(description="`next` of the previous page")] = None,
    ) -> dict[str, Any]:
        """Articles, most recently changed first: `{"items": [...], "next": cursor or null}`."""
        flt = queries.ArticleFilter(site, _when(since, "since", end_of_day=False),
                                    _when(until, "until", end_of_day=True), (q or "").strip() or None)  # fmt: skip
        size = min(limit or settings.page_size, settings.page_size * 4)
        try:
            items, next_cursor = queries.list_articles(catalog.engine, flt, limit=size, cursor=cursor)
        except queries.BadCursor as exc:
            raise ApiError(400, str(exc)) from None
        return {"items": items, "next": next_cursor}

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
        raise ApiError(404, f"article {article_id} has no version {n} (it has 1..{history['latest_version']})")

    @app.get("/api/articles/{article_id}/diff", tags=["read"])
    def get_diff(
        article_id: str,
        from_: Annotated[int | None, Query(alias="from", ge=1)] = None,
        to: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        """The diff between two versions (default: the last two): statistics, a unified diff,
        and both texts' paragraphs side by side."""
        history = _history(article_id)
        latest = history["latest_version"]
        b = to if to is not None else latest
        a = from_ if from_ is not None else max(1, b - 1)
        try:
            diff = diff_between(history, a, b)
        except ArticleNotFound as exc:
            raise ApiError(404, str(exc)) from None
        rows = pages.side_by_side(*(next(r.get("text") for r in history["versions"] if r["version"] == n) for n in (a, b)))
        return {"article_id": history["article_id"], "from": a, "to": b, **diff,
                "side_by_side": [{"kind": r.kind, "old": r.old, "new": r.new} for r in rows]}  # fmt: skip

    # -- pages -----------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, tags=["pages"])
    def index(site: str | None = None) -> HTMLResponse:
        """Recent changes across the archive."""
        return HTMLResponse(pages.index_page(queries.recent_changes(catalog.engine, site=site)), headers=HTML_HEADERS)

    @app.get("/articles/{article_id}", response_class=HTMLResponse, tags=["pages"])
    def article_page(
        article_id: str,
        from_: Annotated[int | None, Query(alias="from")] = None,
        to: Annotated[int | None, Query()] = None,
    ) -> HTMLResponse:
        """An article's versions and a side-by-side diff between any two."""
        return HTMLResponse(pages.article_page(_history(article_id), from_, to), headers=HTML_HEADERS)

    app.state.store = store
    app.state.worker = worker
    return app
