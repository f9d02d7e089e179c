"""Bundled sample site for `newsarchive demo`."""
