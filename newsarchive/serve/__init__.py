"""`newsarchive serve`: the HTTP service for on-demand archiving and reading the archive.

Modules: `settings` ([serve] config), `security` (token, rate limit, body limit),
`jobs` (the persistent job queue and its worker), `queries` (reading the catalog),
`pages` (server-rendered HTML), `app` (the FastAPI application). FastAPI is imported
only by `app`, so the crawl never needs it.
"""
