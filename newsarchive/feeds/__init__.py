"""Change feeds: Atom 1.0 and JSON Feed 1.1 documents of new versions, paged as RFC 5005
archived feeds (docs/feeds.md). Built here for both `newsarchive serve`
(newsarchive/serve/feeds.py) and `newsarchive feed` (static files):

- query.py: the entries, read from the catalog in a stable order (SQLite and PostgreSQL);
- document.py: pages, links, Last-Modified and ETag of one document;
- model.py: what a document holds, whatever its format, and its URLs;
- diff_html.py: a version's changes as escaped HTML with <del>/<ins>;
- atom.py (feedgen), jsonfeed.py (json): the two formats.
"""
