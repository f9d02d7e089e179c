"""The public Python API: open an archive, iterate its versions, read an article's history,
diff two versions, read an archived HTTP response.

    from newsarchive import open_archive

    with open_archive("data") as archive:
        print(archive.summary())
        for record in archive.versions(site="npr-text", since="2026-05-01"):
            ...

Records are the JSON records of the archive (README "JSON record"): plain dicts. Everything
here only reads: an archive on a read-only disk opens read-only by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from archive.config import Config, load_config


class Archive:
    """An archive (a data directory and its catalog), opened for reading.

    `data_dir`: the data directory (default: env `NEWSARCHIVE_DATA_DIR`, else `./data`);
    `config`: a config file (default: env `NEWSARCHIVE_CONFIG`, else none), which names a
    shared catalog (`catalog_url`) or S3 (`[s3]`, for WARC files kept only there)."""

    def __init__(
        self, data_dir: str | Path | None = None, *, config: str | Path | None = None
    ) -> None:
        from archive.catalog import Catalog, catalog_writable

        self.config: Config = load_config(config, data_dir)
        url = self.config.resolved_catalog_url
        path = self.config.data_dir / "catalog.sqlite"
        if url.startswith("sqlite") and not self.config.catalog_url and not path.exists():
            raise FileNotFoundError(f"no archive in {self.config.data_dir}: {path} does not exist")
        self.catalog = Catalog(url, read_only=not catalog_writable(url))

    # -- context -------------------------------------------------------------------------
    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.close()

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    # -- reading -------------------------------------------------------------------------
    def summary(self) -> dict[str, int]:
        """How many articles, versions and captures the catalog holds."""
        return {table: self.catalog.count(table) for table in ("articles", "versions", "captures")}

    def versions(self, *, site: str | list[str] | None = None, since: str | datetime | None = None,
                 until: str | datetime | None = None, latest_only: bool = False,
                 batch_size: int = 1000) -> Iterator[dict[str, Any]]:  # fmt: skip
        """The JSON record of every version (or with `latest_only`, of each article's newest
        version), in article order, streamed from the catalog `batch_size` at a time.

        `since`/`until`: ISO dates or date-times (or datetimes) bounding the capture time,
        both inclusive; a bare date covers its whole day."""
        import sqlalchemy as sa

        from archive import catalog_schema as t
        from archive.clock import parse_when
        from archive.history import with_edit_types

        sites = [site] if isinstance(site, str) else list(site or [])
        start, end = parse_when(since), parse_when(until, end_of_day=True)
        v = t.versions.c
        query = sa.select(v.article_id, v.version, v.record, v.edit_types).select_from(
            t.versions.join(t.articles, t.articles.c.id == v.article_id)
        )
        if sites:
            query = query.where(t.articles.c.site.in_(sites))
        if start is not None:
            query = query.where(v.captured_at >= start)
        if end is not None:
            query = query.where(v.captured_at <= end)
        if latest_only and start is None and end is None:
            query = query.where(v.version == t.articles.c.latest_version)
        after: tuple[str, int] | None = None
        pending: dict[str, Any] | None = None
        with self.catalog.reading() as conn:
            while True:
                page = query
                if after is not None:
                    page = page.where(sa.or_(v.article_id > after[0],
                                             sa.and_(v.article_id == after[0], v.version > after[1])))  # fmt: skip
                rows = conn.execute(page.order_by(v.article_id, v.version).limit(batch_size)).all()
                for row in rows:
                    record = row.record if isinstance(row.record, dict) else _json(row.record)
                    record = with_edit_types(record, row.edit_types)
                    if not latest_only:
                        yield record
                    elif pending is not None and pending["article_id"] != record["article_id"]:
                        yield pending
                    pending = record
                if len(rows) < batch_size:
                    break
                after = (rows[-1].article_id, rows[-1].version)
        if latest_only and pending is not None:
            yield pending

    def articles(self, *, site: str | None = None) -> Iterator[dict[str, Any]]:
        """One row per article: id, site, URL, title, first/last seen, latest version, tracking."""
        for row in self.catalog.all_articles():
            if site is None or row["site"] == site:
                yield row

    def history(self, url_or_id: str) -> dict[str, Any]:
        """An article and all its versions (records), by any URL that normalises to it or by
        its id; raises LookupError when the archive holds no such article."""
        from archive.history import article_history

        return article_history(self.catalog, url_or_id)

    def diff(self, url_or_id: str, a: int, b: int) -> dict[str, Any]:
        """The diff between versions `a` and `b` of an article (any two, either order)."""
        from archive.history import diff_between

        return diff_between(self.history(url_or_id), a, b)

    def response(self, record: dict[str, Any]) -> Any:
        """The archived HTTP response behind a version record (its `warc` pointer): an
        `ArchivedResponse` with `status_line`, `headers` and the `body` decoded. Reads the
        local WARC file, or the S3 copy by byte range when only that is left."""
        from archive.warc_reader import read_response

        pointer = record.get("warc") or record
        return read_response(self.config, self.catalog, pointer)


def open_archive(
    data_dir: str | Path | None = None, *, config: str | Path | None = None
) -> Archive:
    """Open the archive in `data_dir` for reading (see `Archive`)."""
    return Archive(data_dir, config=config)


def reextract(
    data_dir: str | Path | None = None, *, config: str | Path | None = None,
    site: str | list[str] | None = None, since: str | datetime | None = None,
    until: str | datetime | None = None, parser: str | None = None, dry_run: bool = False,
    progress: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Read the archived captures again with today's extractor (`newsarchive reextract`,
    docs/reextract.md); returns the report as a dict (the CLI's `--json`).

    Each selected article's latest capture is read from its WARC file (local, or S3 by
    byte range) and extracted again; nothing is fetched. Other content becomes a new
    version with `change: "reextract"`; `dry_run=True` writes nothing and reports how many
    would change, with a sample of word diffs. `site`, `since`/`until` (ISO dates or
    datetimes, on the latest version's capture time) and `parser` (the parser that reads
    the site today) select the articles. An interrupted run continues where it stopped
    when called again with the same selection. `progress(advance, total)` is called after
    each batch. Raises `newsarchive.reextraction.ReextractError` when it cannot run (a crawl
    is writing to the archive, no archive, an unknown parser)."""
    from archive.clock import parse_when
    from newsarchive.reextraction import ReextractOptions, run_reextract

    settings = load_config(config, data_dir)
    sites = [site] if isinstance(site, str) else list(site or [])
    options = ReextractOptions(sites=tuple(dict.fromkeys(sites)), since=parse_when(since),
                               until=parse_when(until, end_of_day=True), parser=parser,
                               dry_run=dry_run)  # fmt: skip
    return run_reextract(settings, options, progress).to_dict()


def _json(value: Any) -> dict[str, Any]:
    import json

    return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)
