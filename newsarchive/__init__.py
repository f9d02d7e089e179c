"""newsarchive: every version of every story, in WARC files, with JSON records and diffs.

This package is the application layer (the `newsarchive` command, the HTTP service, the
scheduler, the distributed worker) and the public Python API for notebooks and scripts::

    import newsarchive

    with newsarchive.open_archive("data") as archive:
        for record in archive.versions(site="cnn-lite", since="2026-01-01"):
            print(record["version"], record["change"], record["title"])
        history = archive.history("https://lite.cnn.com/2026/05/05/politics/some-story")
        response = archive.response(history["versions"][-1])  # the archived HTTP response
        print(response.status_line, len(response.body))

The rest of the repository is layered below it: `crawler` (the Scrapy project), then
`pipelines` (item pipelines and extraction), then `archive` (storage, versions, export).
Imports are lazy: `import newsarchive` costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive import __version__

if TYPE_CHECKING:
    from newsarchive.api import Archive, open_archive, reextract

__all__ = ["Archive", "__version__", "open_archive", "reextract"]


def __getattr__(name: str) -> Any:
    if name in ("Archive", "open_archive", "reextract"):
        from newsarchive import api

        return getattr(api, name)
    raise AttributeError(f"module 'newsarchive' has no attribute {name!r}")
