"""Change feeds: Atom 1.0 and JSON Feed 1.1 documents of new versions, paged as RFC 5005
archived feeds. Built here for both `newsarchive serve` (newsarchive/serve/feeds.py) and
`newsarchive feed` (a static file): query.py reads the entries, document.py lays out the
pages and links, atom.py and jsonfeed.py write the documents."""
